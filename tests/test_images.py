"""Images (policysite/images.py): width and height on every <img> made from a
local file, the small lead image warning, smaller copies (srcset) of large
raster images and their cache, and damaged files reported at their line."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from conftest import build, build_ok, html_of, main_text, page, read_tree
from PIL import Image

from policysite import images
from policysite.builder import BuildOptions
from policysite.builder import build as build_site


def raster(fmt: str, size: tuple[int, int], mode: str = "RGB", **save) -> bytes:
    """A real image of `size` in `fmt`, with some detail so encoders have work to do."""
    image = Image.new(mode, size, (30, 90, 160) if mode == "RGB" else 0)
    if mode == "RGB":
        pixels = image.load()
        for x in range(0, size[0], 3):
            for y in range(0, size[1], 7):
                pixels[x, y] = (x % 256, y % 256, (x + y) % 256)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def svg(attributes: str) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" {attributes}><rect width="5" height="5"/></svg>\n'


def lead(src: str, body: str = "Body.\n") -> str:
    # line 4 is `  src:`
    return f"---\ntitle: Story\ndescription: A story.\nimage:\n  src: {src}\n  alt: A picture\n---\n{body}"


def img_attrs(out: Path, rel: str = "story/index.html") -> dict[str, dict]:
    """alt -> attributes of every <img> in the page's main content."""
    return {img.attrs["alt"]: img.attrs for img in main_text(html_of(out, rel)).find_all("img")}


BODY = """---
title: Pictures
description: Every kind of image.
---
![A png](files/a.png)

![A jpeg](files/b.jpg) ![A gif](files/c.gif)

![A webp](/assets/d.webp)

![An svg](/assets/e.svg) ![A boxed svg](/assets/f.svg) ![A half svg](/assets/g.svg)
"""


def test_body_images_get_width_and_height_for_every_format(make_site):
    out = build_ok(make_site({
        "content/pictures.md": BODY,
        "content/files/a.png": raster("PNG", (40, 30)),
        "content/files/b.jpg": raster("JPEG", (64, 48)),
        "content/files/c.gif": raster("GIF", (12, 9)),
        "assets/d.webp": raster("WEBP", (200, 100)),
        "assets/e.svg": svg('width="120" height="60px"'),
        "assets/f.svg": svg('viewBox="0 0 300 150"'),
        "assets/g.svg": svg('width="100" viewBox="0 0 50 20"'),
    }))
    found = img_attrs(out, "pictures/index.html")
    sizes = {alt: (a.get("width"), a.get("height")) for alt, a in found.items()}
    assert sizes == {"A png": ("40", "30"), "A jpeg": ("64", "48"), "A gif": ("12", "9"), "A webp": ("200", "100"),
                     "An svg": ("120", "60"), "A boxed svg": ("300", "150"), "A half svg": ("100", "40")}
    # Small images get no smaller copies.
    assert not any("srcset" in a for a in found.values())


def test_lead_image_gets_width_and_height_and_small_one_is_warned(make_site):
    site = make_site({"content/story.md": lead("/assets/tiny.png"), "assets/tiny.png": raster("PNG", (4, 3))})
    result = build(site)
    assert result.code == 0, result.err
    result.assert_has("content/story.md", 5, "warning", "4×3 pixels", "at least 300 pixels wide")
    img = html_of(site / "_site", "story/index.html").find("figure").find("img")
    assert (img.attrs["width"], img.attrs["height"]) == ("4", "3")
    # The same warning carries its code.
    options = BuildOptions(site_dir=site, output=site / "_site2")
    codes = {(d.path, d.line, d.code) for d in build_site(options).diagnostics.items}
    assert codes == {("content/story.md", 5, "image-too-small")}


def test_a_lead_image_wide_enough_is_not_warned(make_site):
    out = build_ok(make_site({"content/story.md": lead("/assets/ok.svg"), "assets/ok.svg": svg('width="630" height="300"')}))
    img = html_of(out, "story/index.html").find("figure").find("img")
    assert (img.attrs["width"], img.attrs["height"]) == ("630", "300")


def test_large_images_get_smaller_copies_in_srcset(make_site):
    site = make_site({
        "content/story.md": lead("/assets/photo.jpg", "![A chart](files/chart.png)\n\n![A drawing](files/anim.gif)\n"),
        "assets/photo.jpg": raster("JPEG", (1600, 1200)),
        "content/files/chart.png": raster("PNG", (1000, 500)),
        "content/files/anim.gif": raster("GIF", (1200, 600)),
    })
    out = build_ok(site)
    figure = html_of(out, "story/index.html").find("figure").find("img")
    assert (figure.attrs["width"], figure.attrs["height"]) == ("1600", "1200")
    assert figure.attrs["srcset"] == ("/assets/photo-320w.jpg 320w, /assets/photo-640w.jpg 640w, "
                                      "/assets/photo-960w.jpg 960w, /assets/photo.jpg 1600w")
    assert figure.attrs["sizes"] == images.SIZES
    chart = img_attrs(out)["A chart"]
    assert chart["srcset"].split(", ")[0] == "/files/chart-320w.png 320w"
    assert "sizes" in chart
    # Each copy is there, as wide as its name says, in the same format, without metadata.
    for rel, width, height, fmt in (("assets/photo-320w.jpg", 320, 240, "JPEG"), ("assets/photo-640w.jpg", 640, 480, "JPEG"),
                                    ("assets/photo-960w.jpg", 960, 720, "JPEG"), ("files/chart-640w.png", 640, 320, "PNG")):
        with Image.open(out / rel) as copy:
            assert (copy.size, copy.format) == ((width, height), fmt), rel
            assert not copy.getexif()
    # A GIF is left as it is: a resize would stop an animation.
    assert "srcset" not in img_attrs(out)["A drawing"]
    assert not list(out.glob("files/anim-*"))


def test_copies_are_the_same_bytes_every_time_and_drop_exif(make_site):
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    site = make_site({"content/story.md": lead("/assets/photo.jpg"),
                      "assets/photo.jpg": raster("JPEG", (1200, 900), exif=exif.tobytes()),
                      "assets/wide.webp": raster("WEBP", (1100, 300)),
                      "assets/big.png": raster("PNG", (1000, 1000))})
    first = read_tree(build_ok(site, "--no-cache"))
    second = read_tree(build_ok(site, "--no-cache", "--output", site / "again"))
    copies = sorted(k for k in first if "w." in k and k.startswith("assets/"))
    assert copies == ["assets/big-320w.png", "assets/big-640w.png", "assets/big-960w.png",
                      "assets/photo-320w.jpg", "assets/photo-640w.jpg", "assets/photo-960w.jpg",
                      "assets/wide-320w.webp", "assets/wide-640w.webp", "assets/wide-960w.webp"]
    assert {k: first[k] for k in copies} == {k: second[k] for k in copies}
    assert b"Camera maker" in first["assets/photo.jpg"] and b"Camera maker" not in first["assets/photo-640w.jpg"]


def test_a_second_build_takes_copies_from_the_cache(make_site):
    site = make_site({"content/story.md": lead("/assets/photo.jpg"), "assets/photo.jpg": raster("JPEG", (1400, 700))})
    out = build_ok(site)
    cached = sorted((site / ".policysite-cache" / "images").iterdir())
    assert len(cached) == 3
    # Mark the cached copies: a build that encoded them again would replace them.
    for path in cached:
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = {k: v for k, v in read_tree(out).items() if "-" in k and k.startswith("assets/photo-")}
    story = site / "content/story.md"
    story.write_text(story.read_text() + "More words.\n")   # so the build runs, rather than keeping the last output
    out = build_ok(site)
    assert sorted((site / ".policysite-cache" / "images").iterdir()) == cached
    assert all(path.stat().st_mtime_ns == 1_000_000_000 for path in cached)
    assert {k: v for k, v in read_tree(out).items() if "-" in k and k.startswith("assets/photo-")} == before
    # An edited image is encoded again, and the old copies leave the cache.
    (site / "assets/photo.jpg").write_bytes(raster("JPEG", (1300, 700)))
    out = build_ok(site)
    now = sorted((site / ".policysite-cache" / "images").iterdir())
    assert len(now) == 3 and not set(now) & set(cached)
    with Image.open(out / "assets/photo-640w.jpg") as copy:
        assert copy.size == (640, 345)


def test_damaged_images_are_reported_at_their_line(make_site):
    site = make_site({
        "content/story.md": lead("files/broken.jpg", "Intro.\n\n![A chart](files/broken.png)\n"),
        "content/files/broken.jpg": b"\xff\xd8\xff not really a jpeg",
        "content/files/broken.png": b"\x89PNG\r\n\x1a\n",
    })
    result = build(site)
    result.assert_no_traceback()
    result.assert_has("content/story.md", 5, "warning", "image.src", "broken.jpg", "export it again")
    result.assert_has("content/story.md", 10, "warning", "broken.png", "export it again")
    assert result.code == 0   # the page still works, with the alt text in the image's place
    assert build(site, "--strict").code == 1
    img = img_attrs(site / "_site")["A chart"]
    assert "width" not in img and img["src"] == "/files/broken.png"


def test_an_svg_with_entities_is_refused_not_expanded(make_site):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY ext SYSTEM "file:///etc/passwd">]>\n<svg xmlns="http://www.w3.org/2000/svg" width="&b;"/>\n')
    site = make_site({"content/story.md": lead("/assets/bomb.svg"), "assets/bomb.svg": bomb})
    result = build(site)
    result.assert_no_traceback()
    result.assert_has("content/story.md", 5, "warning", "entities")


@pytest.mark.parametrize("text, size", [
    (svg('width="10" height="20"'), (10, 20)),
    (svg('width="10.4px" height="20.6"'), (10, 21)),
    (svg('viewBox="0,0,640,360"'), (640, 360)),
    (svg('height="50" viewBox="0 0 200 100"'), (100, 50)),
    (svg('width="100%" height="100%" viewBox="0 0 80 40"'), (80, 40)),
    ('<svg:svg xmlns:svg="http://www.w3.org/2000/svg" width="3" height="4"/>', (3, 4)),
])
def test_svg_sizes(text, size):
    found = images.svg_size(text.encode())
    assert (found.width, found.height) == size


@pytest.mark.parametrize("text, words", [
    ("<html></html>", "`<svg>`"),
    ("<svg", "well-formed"),
    (svg('width="10"'), "only one"),
])
def test_svg_problems(text, words):
    with pytest.raises(images.ImageProblem, match=words):
        images.svg_size(text.encode())


def test_an_svg_without_a_size_is_left_to_the_browser(make_site):
    out = build_ok(make_site({"content/story.md": lead("/assets/plain.svg"),
                              "assets/plain.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>'}))
    img = html_of(out, "story/index.html").find("figure").find("img")
    assert "width" not in img.attrs and "height" not in img.attrs


def test_a_size_the_editor_wrote_is_kept(make_site):
    out = build_ok(make_site({"content/story.md": page("Story", body="![A chart](a.png){: width=20 }\n"),
                              "content/a.png": raster("PNG", (40, 30))}))
    assert img_attrs(out)["A chart"].get("width") == "20" and "height" not in img_attrs(out)["A chart"]


def test_an_image_replaced_by_one_of_another_size_is_sized_again(make_site):
    site = make_site({"content/story.md": page("Story", body="![A logo](/assets/logo.svg)\n"),
                      "assets/logo.svg": svg('width="100" height="50"')})
    assert img_attrs(build_ok(site))["A logo"]["width"] == "100"
    (site / "assets/logo.svg").write_text(svg('width="300" height="50"'))   # the same number of bytes
    assert img_attrs(build_ok(site))["A logo"]["width"] == "300"


def test_a_copy_never_replaces_a_file_of_the_site(make_site):
    site = make_site({"content/story.md": lead("/assets/photo.png"), "assets/photo.png": raster("PNG", (1000, 500)),
                      "assets/photo-640w.png": raster("PNG", (7, 7))})
    out = build_ok(site)
    with Image.open(out / "assets/photo-640w.png") as kept:
        assert kept.size == (7, 7)
    srcset = html_of(out, "story/index.html").find("figure").find("img").attrs["srcset"]
    assert "640w" not in srcset and "/assets/photo-960w.png 960w" in srcset


def test_exif_rotation_swaps_width_and_height(make_site):
    exif = Image.Exif()
    exif[0x0112] = 6   # turned a quarter: shown 30 wide and 40 high
    out = build_ok(make_site({"content/story.md": page("Story", body="![A photo](a.jpg)\n"),
                              "content/a.jpg": raster("JPEG", (40, 30), exif=exif.tobytes())}))
    assert (img_attrs(out)["A photo"]["width"], img_attrs(out)["A photo"]["height"]) == ("30", "40")


def test_srcset_under_a_sub_path(make_site):
    site = make_site({"content/story.md": page("Story", body="![A photo](a.png)\n"), "content/a.png": raster("PNG", (1000, 400))})
    out = build_ok(site, "--base-url", "https://example.github.io/health/")
    attrs = img_attrs(out)["A photo"]
    assert attrs["src"] == "/health/a.png"
    assert attrs["srcset"].split(", ") == ["/health/a-320w.png 320w", "/health/a-640w.png 640w",
                                           "/health/a-960w.png 960w", "/health/a.png 1000w"]
    assert (out / "a-960w.png").is_file()


def test_images_in_raw_html_are_sized_too(make_site):
    body = ('Intro.\n\n<figure>\n<img src="a.png" alt="Raw small">\n</figure>\n\n'
            '<p><img alt="Raw large" src="/assets/b.jpg"> and <img src="a.png" alt="Raw sized" width="9"></p>\n')
    out = build_ok(make_site({"content/story.md": page("Story", body=body), "content/a.png": raster("PNG", (40, 30)),
                              "assets/b.jpg": raster("JPEG", (1200, 600))}))
    found = img_attrs(out)
    assert (found["Raw small"]["width"], found["Raw small"]["height"]) == ("40", "30")
    assert "srcset" not in found["Raw small"]
    assert (found["Raw large"]["width"], found["Raw large"]["height"]) == ("1200", "600")
    assert found["Raw large"]["srcset"].endswith("/assets/b.jpg 1200w") and "sizes" in found["Raw large"]
    assert found["Raw sized"].get("width") == "9" and "height" not in found["Raw sized"]


def test_a_damaged_image_in_raw_html_is_reported_at_its_line(make_site):
    site = make_site({"content/story.md": page("Story", body='Intro.\n\n<p><img src="bad.png" alt="Bad"></p>\n'),
                      "content/bad.png": b"GIF89a broken"})
    result = build(site)
    result.assert_no_traceback()
    result.assert_has("content/story.md", 7, "warning", "bad.png", "export it again")
