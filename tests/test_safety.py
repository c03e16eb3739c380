"""Safety: front matter escaped, raw HTML cleaned with warnings, nothing written or read outside the site."""

from __future__ import annotations

import os
import re

import pytest

from conftest import PNG_300, build, build_ok, html_of, page, read_tree, run

EVIL = '<script>alert(1)</script>'
P = "content/p.md"


THEME_SCRIPT = re.compile(r'<script src="[^"<>]*/assets/[\w.-]+\.js" defer></script>')
JSON_LD = re.compile(r'<script type="application/ld\+json">([^<]*)</script>')


def assert_no_script(html: str):
    """No script element but the theme's own: its JS files, and JSON-LD data holding no `<` at all
    (so no value from front matter can close the element)."""
    rest = JSON_LD.sub("", THEME_SCRIPT.sub("", html))
    assert "<script" not in rest.lower(), re.findall(r".{60}<script.{60}", rest, re.I | re.S)


def test_front_matter_values_are_escaped(make_site):
    site = make_site({
        P: page(f'Title {EVIL} & "q"', f'Desc {EVIL} "quoted"', extra=(
            "date: 2008-01-01\n"
            "image:\n"
            f"  src: files/x.png\n  alt: 'Alt {EVIL} \" end'\n  caption: 'Cap {EVIL}'\n  credit: 'Cred {EVIL}'\n"
            "change_history:\n"
            f"  - date: 2009-01-01\n    note: 'Note {EVIL}'\n"
            "withdrawn:\n"
            f"  date: 2010-01-01\n  explanation: 'Why {EVIL}'\n"
            "related:\n  - q.md\n"
            "topics:\n  - public-health\n"
        )),
        "content/q.md": page(f"Other {EVIL}", f"Other desc {EVIL}", body="[](p.md)\n"),
        "content/files/x.png": PNG_300,
    })
    out = build_ok(site)
    for rel in ("p/index.html", "q/index.html", "index.html", "topics/public-health/index.html", "search/index.html"):
        assert_no_script((out / rel).read_text())
    html = (out / "p/index.html").read_text()
    doc = html_of(out, "p/index.html")
    title = f'Title {EVIL} & "q"'
    assert doc.find("h1").text() == title
    assert doc.find("title").text() == f"[Withdrawn] {title} - Department of Testing"
    assert doc.find("meta", name="description").attrs["content"] == f'Desc {EVIL} "quoted"'
    assert "Title &lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    img = doc.find("figure").find("img")
    assert img.attrs["alt"] == f'Alt {EVIL} " end'
    assert doc.find("figcaption").text() == f"Cap {EVIL} Credit: Cred {EVIL}"
    assert doc.find("section", id="full-history").find("p").text() == f"Note {EVIL}"
    assert doc.find("div", class_="govuk-notification-banner app-notice--withdrawn").find_all("p")[1].text() == f"Why {EVIL}"
    related = doc.find("section", aria_labelledby="related-title").find("a")
    assert related.text() == f"Other {EVIL}"
    # The empty link text filled from a title is escaped too.
    q = html_of(out, "q/index.html").find("div", class_="govspeak").find("a")
    assert q.text() == title
    # Feeds and the search index carry the text, escaped for their format.
    feed = (out / "feed.xml").read_text()
    assert "<script" not in feed and "&lt;script&gt;" in feed


def test_site_config_values_are_escaped(make_site):
    config = ("title: 'Dept <script>x</script>'\nbase_url: https://x.example/\n"
              "topics:\n  t:\n    name: 'Topic <b>bold</b>'\n    description: '<img src=x onerror=alert(1)>'\n")
    site = make_site({"site_config.yaml": config, P: page("P", extra="topics:\n  - t")})
    out = build_ok(site)
    for p in out.rglob("*.html"):
        text = p.read_text()
        assert_no_script(text)
        assert "<b>bold" not in text and "<img src=x" not in text, p


@pytest.mark.parametrize("raw,line,words", [
    ("<script>alert(1)</script>", 7, ("<script>",)),
    ('<iframe src="https://evil.example/"></iframe>', 7, ("<iframe>",)),
    ('<p onclick="alert(1)">Click</p>', 7, ("onclick",)),
    ('<a href="javascript:alert(1)">x</a>', 7, ("javascript:",)),
    ('<img src="data:image/png;base64,AAAA" alt="x">', 7, ("data:",)),
    ("<style>body{display:none}</style>", 7, ("<style>",)),
    ('<object data="x.swf"></object>', 7, ("<object>",)),
    ('<div>\n<span onmouseover="alert(1)">x</span>\n</div>', 8, ("onmouseover",)),
])
def test_raw_html_removed_with_warning(make_site, raw, line, words):
    site = make_site({P: page("P", body=f"Intro.\n\n{raw}\n\nAfter.\n")})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has(P, line, "warning", *words)
    r.assert_no_traceback()
    body = str((site / "_site/p/index.html").read_text())
    main = body[body.index('<div class="govspeak">'):]
    main = main[:main.index("</main>")]
    for bad in ("<script", "<iframe", "onclick", "onmouseover", "javascript:", "data:image", "<style", "<object", "alert(1)"):
        assert bad not in main, main
    assert "After." in main


def test_raw_html_warning_is_error_under_strict(make_site):
    site = make_site({P: page("P", body="<script>alert(1)</script>\n")})
    r = build(site, "--strict")
    assert r.code == 1
    r.assert_has(P, 5, "error", "<script>")


def test_allowed_raw_html_kept(make_site):
    site = make_site({P: page("P", body='<div class="box" id="b"><abbr title="x">X</abbr> <strong>s</strong></div>\n')})
    out = build_ok(site)
    html = (out / "p/index.html").read_text()
    assert '<div class="box" id="b"><abbr title="x">X</abbr> <strong>s</strong></div>' in html


def test_html_in_code_is_shown_not_run_and_not_warned(make_site):
    site = make_site({P: page("P", body="Use `<script>` tags.\n\n```html\n<script>alert(1)</script>\n```\n")})
    out = build_ok(site)
    html = (out / "p/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_no_script(html)


def test_markdown_link_with_quotes_cannot_break_attribute(make_site):
    site = make_site({P: page("P", body='[x](https://example.org/"onmouseover="alert(1))\n')})
    r = build(site)
    html = (site / "_site/p/index.html").read_text() if r.code == 0 else ""
    assert 'onmouseover="alert' not in html


# ---- nothing outside the site ---------------------------------------------------

def _snapshot(root):
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.mark.parametrize("extra,line", [
    ("url: /../../escaped/", 4),
    ("slug: ../../escaped", 4),
    ("aliases:\n  - /../../escaped/", 5),
    ("aliases:\n  - ../escaped", 5),
])
def test_paths_that_leave_the_output_are_refused(make_site, tmp_path, extra, line):
    site = make_site({P: page("P", extra=extra)})
    before = _snapshot(tmp_path)
    r = build(site)
    assert r.code == 1
    r.assert_has(P, line, "error")
    r.assert_no_traceback()
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("cache", [False, True])
def test_build_writes_only_inside_output(make_site, tmp_path, cache):
    site = make_site({
        P: page("P", extra="aliases:\n  - /old/p/\n  - /legacy.html"),
        "content/files/a.pdf": b"%PDF",
        "assets/x.css": "body{}",
    })
    before = _snapshot(tmp_path)
    build_ok(site, *([] if cache else ["--no-cache"]))
    new = _snapshot(tmp_path) - before
    # The build cache (README: `SITE/.policysite-cache/`) is the one thing besides the output.
    allowed = ("site1/_site",) + (("site1/.policysite-cache",) if cache else ())
    assert new and all(p in allowed or p.startswith(tuple(a + "/" for a in allowed)) for p in new), new
    out = site / "_site"
    assert (out / "old/p/index.html").is_file()
    assert (out / "legacy.html").is_file()


def test_symlinked_file_outside_content_is_reported_not_followed(make_site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET\n")
    site = make_site({"content/a.md": page("A")})
    os.symlink(secret, site / "content/leak.txt")
    os.symlink(secret, site / "content/leak.md")
    r = build(site)
    assert r.code == 1
    r.assert_has("content/leak.txt", 1, "error", "outside content/")
    r.assert_has("content/leak.md", 1, "error", "outside content/")
    r.assert_no_traceback()
    assert not (site / "_site").exists()
    assert "TOP SECRET" not in r.err


def test_symlinked_folder_outside_content_is_reported_not_followed(make_site, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.md").write_text(page("Private"))
    site = make_site({"content/a.md": page("A")})
    os.symlink(outside, site / "content/linked", target_is_directory=True)
    r = build(site)
    assert r.code == 1
    r.assert_has("content/linked", 1, "error", "outside content/")
    assert "private.md" not in r.err


def test_symlink_inside_content_is_fine(make_site):
    site = make_site({"content/a.md": page("A", body="[f](files/copy.txt)\n"), "content/files/real.txt": "same\n"})
    os.symlink("real.txt", site / "content/files/copy.txt")
    out = build_ok(site)
    assert (out / "files/copy.txt").read_text() == "same\n"


def test_dangling_symlink_reported(make_site, tmp_path):
    site = make_site()
    os.symlink(tmp_path / "does-not-exist.md", site / "content/gone.md")
    r = build(site)
    assert r.code == 1
    r.assert_no_traceback()
    assert any(p == "content/gone.md" for p, _, _ in r.errors()), r.err


def test_layout_symlink_outside_layouts_not_used(make_site, tmp_path):
    outside = tmp_path / "evil.html"
    outside.write_text("EVIL LAYOUT {{ page.title }}")
    site = make_site({P: page("P")})
    (site / "layouts").mkdir()
    os.symlink(outside, site / "layouts/page.html")
    r = build(site)
    r.assert_no_traceback()
    if r.code == 0:
        assert "EVIL LAYOUT" not in (site / "_site/p/index.html").read_text()


def test_asset_symlink_outside_not_copied(make_site, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("SECRET")
    site = make_site({"assets/ok.css": "ok"})
    os.symlink(secret, site / "assets/leak.css")
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1
    r.assert_has("assets/leak.css", 1, "error", "outside assets/")
    assert not (site / "_site").exists()


def test_html_in_indented_code_block_is_not_warned(make_site):
    site = make_site({P: page("P", body="Example:\n\n    <script>alert(1)</script>\n    <p onclick=\"x\">\n\nAfter.\n")})
    r = build(site, "--strict")
    assert r.code == 0, r.err
    html = (site / "_site/p/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_in_list_continuation_is_still_warned(make_site):
    site = make_site({P: page("P", body="- item\n\n    <p onclick=\"x\">continued</p>\n")})
    r = build(site)
    r.assert_has(P, 7, "warning", "onclick")
    assert "onclick" not in (site / "_site/p/index.html").read_text()


@pytest.mark.parametrize("href", ["java&#09;script:alert(1)", "java&#x0A;script:alert(1)", " JaVaScRiPt:alert(1)",
                                  "&#106;avascript:alert(1)"])
def test_obfuscated_scheme_in_raw_html_is_warned_and_removed(make_site, href):
    site = make_site({P: page("P", body=f'Intro.\n\n<a href="{href}">x</a>\n')})
    r = build(site)
    r.assert_has(P, 7, "warning", "javascript:")
    html = (site / "_site/p/index.html").read_text()
    assert "alert(1)" not in html.lower()


@pytest.mark.parametrize("written", ["[x](<javascript:alert(1)>)", "[x]( javascript:alert(1) )", "[x][r]\n\n[r]: javascript:alert(1)",
                                     "<javascript:alert(1)>"])
def test_markdown_javascript_links_in_other_forms(make_site, written):
    site = make_site({P: page("P", body=f"{written}\n")})
    r = build(site)
    html = (site / "_site/p/index.html").read_text() if r.code == 0 else ""
    assert "javascript:" not in html.lower()
    if r.code == 0:
        assert r.warnings(), "removed without a word"
    else:
        r.assert_has(P, 7 if "[r]:" in written else 5, "error", "javascript:")
