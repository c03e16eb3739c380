"""SPEC "What every build guarantees" about the output folder, plus the HTML every page carries."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from conftest import build, build_ok, html_of, page, parse_html, read_tree, run, run_subprocess


def small_site(make_site, **more):
    files = {
        "content/_index.md": page("Home", "The home page.", body="Welcome. See [policy](policy/_index.md).\n"),
        "content/policy/_index.md": page("Policy", "All our policies."),
        "content/policy/a.md": page("Policy A", extra="date: 2008-11-06\ntopics:\n  - public-health\naliases:\n  - /old-a/",
                                    body="## Part one\n\nText with [b](../guides/b.md#step-two).\n\n## Part two\n"),
        "content/guides/b.md": page("Guide B", extra="updated: 2010-01-01\ndate: 2009-01-01",
                                    body="## Step one\n\n## Step two\n\n[a](/policy/a.md) [file](files/r.pdf)\n"),
        "content/guides/files/r.pdf": b"%PDF-1.4" + bytes(range(256)),
        "assets/site.css": "body { color: black; }\n",
    }
    files.update(more)
    return make_site(files)


# ---- same sources, same bytes ---------------------------------------------------

def test_two_builds_give_identical_bytes(make_site, tmp_path):
    site = small_site(make_site)
    first = read_tree(build_ok(site, "--no-cache"))
    shutil.rmtree(site / "_site")
    second = read_tree(build_ok(site, "--no-cache"))
    assert first.keys() == second.keys()
    for rel in first:
        assert first[rel] == second[rel], rel
    # A rebuild over the previous output, with the cache, and into another folder: the same.
    assert read_tree(build_ok(site)) == first
    assert read_tree(build_ok(site)) == first
    other = tmp_path / "elsewhere" / "out"
    r = run("build", site, "--output", other, "--no-cache")
    assert r.code == 0, r.err
    assert read_tree(other) == first


def test_parallel_and_serial_builds_match(make_site, tmp_path):
    from policysite.builder import PARALLEL_THRESHOLD

    count = PARALLEL_THRESHOLD + 16   # enough pages for worker processes to be used
    files = {f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"[next](p{(i + 1) % count:03d}.md#heading-{(i + 1) % count})\n\n## Heading {i}\n")
             for i in range(count)}
    site = make_site(files)
    r = run("build", site, "--jobs", "1", "--no-cache", "--output", tmp_path / "one")
    assert r.code == 0, r.err
    r = run("build", site, "--jobs", "4", "--no-cache", "--output", tmp_path / "four")
    assert r.code == 0, r.err
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "four")


def test_parallel_loading_gives_what_loading_one_by_one_gives(make_site):
    """A cold build loads its Markdown files in worker processes: the same pages, the same
    problems in the same order, and load records that the next build reuses."""
    from policysite import stages
    from policysite.builder import PARALLEL_THRESHOLD
    from policysite.cache import BuildCache

    count = PARALLEL_THRESHOLD + 16
    files = {f"content/s/p{i:03d}.md": page(f"Page {i}", body=f"Text {i}.\n") for i in range(count)}
    files["content/s/p007.md"] = "---\ntitle: [unclosed\n---\nText.\n"
    files["content/s/p040.md"] = page("Forty", extra="type: not-a-type")
    files["content/s/p051.md"] = ""
    site = make_site(files)

    def load(jobs: int, cache: BuildCache) -> stages.BuildState:
        state = stages.BuildState(options=stages.BuildOptions(site_dir=site, jobs=jobs, write=False), cache=cache)
        stages.load_configuration(state)
        stages.load_pages(state)
        return state

    def pages(state):
        return [(p.source, p.kind, p.title, p.fields, p.lines, p.body, p.body_line) for p in state.site.pages]

    one_by_one, cache = load(1, BuildCache()), BuildCache()
    parallel = load(2, cache)
    problems = [d.format() for d in parallel.diagnostics.items]
    assert problems == [d.format() for d in one_by_one.diagnostics.items]
    assert [p.split(":")[0] for p in problems if ": error:" in p] == ["content/s/p007.md", "content/s/p040.md", "content/s/p051.md"]
    assert pages(parallel) == pages(one_by_one)
    assert cache.loaded == one_by_one.cache.loaded and len(cache.loaded) == count + 1
    again = load(2, cache)
    assert again.cache.stats.load_hits == count + 1
    assert [d.format() for d in again.diagnostics.items] == problems and pages(again) == pages(parallel)


def test_no_build_time_in_output(make_site):
    site = small_site(make_site)
    out = build_ok(site, "--no-cache")
    today = dt.date.today()
    stamps = [today.isoformat(), f"{today.day} {today.strftime('%B')} {today.year}"]
    for rel, data in read_tree(out).items():
        for stamp in stamps:
            assert stamp.encode() not in data, (rel, stamp)
    assert str(site).encode() not in b"".join(read_tree(out).values())


def test_example_site_builds_reproducibly(tmp_path):
    """The repository's example site, end to end through `python build.py`, twice."""
    a, b = tmp_path / "a", tmp_path / "b"
    r = run_subprocess("build", ".", "--output", a, "--no-cache", "--strict")
    assert r.code == 0, r.err
    r.assert_no_traceback()
    assert r.out.startswith("Built ") and f"into {a}" in r.out
    assert r.err == ""
    r = run_subprocess("build", ".", "--output", b, "--jobs", "1", "--no-cache")
    assert r.code == 0, r.err
    assert read_tree(a) == read_tree(b)


# ---- a failed build leaves the previous output -----------------------------------

def test_failed_build_leaves_previous_output_exactly(make_site):
    site = small_site(make_site)
    out = build_ok(site)
    before = read_tree(out)
    siblings = sorted(p.name for p in site.iterdir())
    # Now break a link.
    (site / "content/guides/b.md").write_text(page("Guide B", body="[gone](../nowhere.md)\n"))
    r = build(site)
    assert r.code == 1
    r.assert_has("content/guides/b.md", 5, "error", "nowhere.md")
    assert read_tree(out) == before
    assert sorted(p.name for p in site.iterdir()) == siblings, "a temporary folder was left beside the output"
    # Fixed again, the build replaces the output.
    (site / "content/guides/b.md").write_text(page("Guide B fixed", body="## Step two\n"))
    build_ok(site)
    assert html_of(out, "guides/b/index.html").find("h1").text() == "Guide B fixed"
    # The output it replaced is kept beside it, for the next build to start from.
    assert sorted(p.name for p in site.iterdir()) == sorted(siblings + ["._site.spare"])


def test_failed_layout_render_leaves_previous_output(make_site):
    site = small_site(make_site)
    out = build_ok(site)
    before = read_tree(out)
    (site / "layouts").mkdir()
    (site / "layouts/page.html").write_text('{% extends "theme/page.html" %}{% block after_body %}{{ page.nope.deeper }}{% endblock %}')
    r = build(site)
    assert r.code == 1
    r.assert_no_traceback()
    assert read_tree(out) == before
    assert not [p for p in site.iterdir() if p.name.startswith("._site")]


def test_removed_source_disappears_from_output(make_site):
    site = small_site(make_site, **{"content/extra.md": page("Extra")})
    out = build_ok(site)
    assert (out / "extra/index.html").exists()
    (site / "content/extra.md").unlink()
    build_ok(site)
    assert not (out / "extra").exists()


def test_warnings_do_not_stop_the_build(make_site):
    site = small_site(make_site, **{"content/w.md": page("W", extra="kicker: x")})
    r = build(site)
    assert r.code == 0
    assert r.out.startswith("Built ") and "1 warning" in r.out
    assert (site / "_site/w/index.html").is_file()


# ---- output folder choices ---------------------------------------------------------

@pytest.mark.parametrize("where", ["content", "content/sub", ".", "layouts", "assets"])
def test_unusable_output_is_refused_with_exit_2(make_site, where):
    site = small_site(make_site)
    (site / "layouts").mkdir(exist_ok=True)
    before = read_tree(site)
    r = run("build", site, "--output", site / where)
    assert r.code == 2, r.err
    r.assert_no_traceback()
    assert "output" in r.err
    assert read_tree(site) == before


def test_output_containing_the_site_is_refused(make_site):
    site = small_site(make_site)
    r = run("build", site, "--output", site.parent)
    assert r.code == 2


def test_non_empty_foreign_output_is_refused(make_site, tmp_path):
    site = small_site(make_site)
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"important")
    r = run("build", site, "--output", foreign)
    assert r.code == 2
    assert (foreign / "thesis.docx").read_bytes() == b"important"
    assert [p.name for p in foreign.iterdir()] == ["thesis.docx"]


def test_output_elsewhere_is_fine(make_site, tmp_path):
    site = small_site(make_site)
    r = run("build", site, "--output", tmp_path / "new" / "out")
    assert r.code == 0, r.err
    assert (tmp_path / "new/out/index.html").is_file()
    assert not (site / "_site").exists()


def test_check_writes_nothing(make_site, tmp_path):
    site = small_site(make_site)
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")}
    r = run("check", site)
    assert r.code == 0, r.err
    assert r.out.startswith("Checked ")
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")}
    assert after == before
    # And a failing check also writes nothing.
    (site / "content/bad.md").write_text("no front matter\n")
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")}
    r = run("check", site)
    assert r.code == 1
    r.assert_has("content/bad.md", 1, "error", "front matter")
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")} == before


# ---- what every page carries -------------------------------------------------------

def _pages(out):
    return [p for p in sorted(out.rglob("*.html")) if p.name == "index.html" or p.name == "404.html"]


def test_every_page_has_the_guaranteed_parts(make_site):
    site = small_site(make_site)
    out = build_ok(site)
    pages = _pages(out)
    assert len(pages) >= 8
    for path in pages:
        rel = path.relative_to(out).as_posix()
        doc = parse_html(path.read_text())
        html = doc.find("html")
        assert html.attrs.get("lang") == "en-GB", rel
        assert doc.find("title").text().strip(), rel
        meta = doc.find("meta", name="description")
        assert meta is not None and meta.attrs["content"].strip(), rel
        skip = doc.find("a", href="#main-content")
        assert skip is not None, rel
        main = doc.find_all("main")
        assert len(main) == 1 and main[0].attrs.get("id") == "main-content", rel
        h1s = doc.find_all("h1")
        assert len(h1s) == 1, (rel, h1s)
        # The skip link comes before main.
        text = path.read_text()
        assert text.index('href="#main-content"') < text.index('<main id="main-content"'), rel


def test_generated_sections_have_no_filler_description(make_site):
    """A section without `_index.md` shows no made-up description; its meta description is a plain sentence."""
    site = make_site({"content/_index.md": None, "content/health-care/a.md": page("A")})
    out = build_ok(site)
    section = html_of(out, "health-care/index.html")
    assert section.find("meta", name="description").attrs["content"] == "Health care on the Department of Testing website."
    assert section.find("p", class_="app-page-header__lead") is None
    home = html_of(out, "index.html")
    assert home.find("meta", name="description").attrs["content"] == "Department of Testing"
    assert "pages from" not in home.text().lower()
    assert "pages from" not in (out / "search-index.json").read_text().lower()


def test_generated_sections_use_the_site_description_only_in_meta(make_site):
    config = "title: Department of Testing\nbase_url: https://www.example.gov.uk/\ndescription: We test things.\n"
    site = make_site({"site_config.yaml": config, "content/_index.md": None, "content/health-care/a.md": page("A")})
    out = build_ok(site)
    section = html_of(out, "health-care/index.html")
    assert section.find("meta", name="description").attrs["content"] == "We test things."
    assert section.find("p", class_="app-page-header__lead") is None
    assert html_of(out, "index.html").find("p", class_="app-page-header__lead").text() == "We test things."


def test_index_without_description_still_has_meta_description(make_site):
    site = make_site({"content/_index.md": page("Home", None), "content/policy/_index.md": page("Policy", None)})
    out = build_ok(site)
    for rel in ("index.html", "policy/index.html"):
        meta = html_of(out, rel).find("meta", name="description")
        assert meta is not None and meta.attrs["content"].strip(), rel


def test_language_from_site_config(make_site):
    config = "title: Llywodraeth\nbase_url: https://x.example/\nlanguage: cy\n"
    site = make_site({"site_config.yaml": config, "content/a.md": page("A")})
    out = build_ok(site)
    assert html_of(out, "a/index.html").find("html").attrs["lang"] == "cy"
    assert 'xml:lang="cy"' in (out / "feed.xml").read_text()


def test_h1_is_the_title_and_body_h1_is_warned(make_site):
    site = make_site({"content/a.md": page("The title", body="Intro.\n\n# Another top heading\n")})
    r = build(site)
    assert r.code == 0
    r.assert_has("content/a.md", 7, "warning", "##")
    out = site / "_site"
    doc = html_of(out, "a/index.html")
    assert [h.text() for h in doc.find_all("h1")][0] == "The title"


def breadcrumbs(out, rel):
    doc = html_of(out, rel)
    navs = doc.find_all("nav", aria_label="Breadcrumb")
    if not navs:
        return None
    assert len(navs) == 1
    ol = navs[0].elements()
    assert [e.tag for e in ol] == ["ol"]
    items = []
    for li in ol[0].elements():
        assert li.tag == "li"
        a = li.find("a")
        items.append((li.text().strip(), a.attrs["href"] if a else None, li.attrs.get("aria-current")))
    return items


def test_breadcrumbs_exactly(make_site):
    site = make_site({
        "content/_index.md": page("Home page", None),
        "content/policy/_index.md": page("Policies", None),
        "content/policy/nhs/care-trusts/how-they-work.md": page("How trusts work"),
        "content/policy/a.md": page("Policy A"),
    })
    out = build_ok(site)
    assert breadcrumbs(out, "index.html") is None
    assert breadcrumbs(out, "policy/index.html") == [("Home page", "/", None), ("Policies", None, "page")]
    assert breadcrumbs(out, "policy/a/index.html") == [
        ("Home page", "/", None), ("Policies", "/policy/", None), ("Policy A", None, "page")]
    assert breadcrumbs(out, "policy/nhs/care-trusts/how-they-work/index.html") == [
        ("Home page", "/", None), ("Policies", "/policy/", None), ("Nhs", "/policy/nhs/", None),
        ("Care trusts", "/policy/nhs/care-trusts/", None), ("How trusts work", None, "page")]
    assert breadcrumbs(out, "topics/index.html") == [("Home page", "/", None), ("Topics", None, "page")]
    assert breadcrumbs(out, "topics/public-health/index.html") == [
        ("Home page", "/", None), ("Topics", "/topics/", None), ("Public health", None, "page")]
    assert breadcrumbs(out, "search/index.html") == [("Home page", "/", None), ("Search", None, "page")]


def test_breadcrumbs_follow_url_not_file(make_site):
    """A page moved by `url:` still sits under its folder's section, as its breadcrumbs show."""
    site = make_site({"content/policy/a.md": page("A", extra="slug: b")})
    out = build_ok(site)
    assert breadcrumbs(out, "policy/b/index.html") == [
        ("Home", "/", None), ("Policy", "/policy/", None), ("A", None, "page")]


def test_sitemap_lists_pages_not_404_or_drafts(make_site):
    site = small_site(make_site, **{"content/d.md": page("Draft", extra="draft: true")})
    out = build_ok(site)
    sitemap = (out / "sitemap.xml").read_text()
    assert "<loc>https://www.example.gov.uk/policy/a/</loc>" in sitemap
    assert "<loc>https://www.example.gov.uk/guides/b/</loc>\n    <lastmod>2010-01-01</lastmod>" in sitemap
    assert "404" not in sitemap and "/d/" not in sitemap


def test_feed_has_dated_pages_newest_first(make_site):
    site = small_site(make_site)
    feed = (build_ok(site) / "feed.xml").read_text()
    assert feed.index("<title>Guide B</title>") < feed.index("<title>Policy A</title>")
    assert "<updated>2010-01-01T00:00:00Z</updated>" in feed


def test_site_layout_replaces_theme_layout_and_sees_the_contract(make_site):
    layout = ('<!DOCTYPE html><html lang="en"><head><title>{{ page.title }}</title></head><body><main id="main-content">'
              '<h1>{{ page.title }}</h1><p class="u">{{ page.url }}</p><p class="d">{{ page.description }}</p>'
              '<div class="c">{{ page.content }}</div><p class="s">{{ site.title }}|{{ site.base_url }}</p></main></body></html>')
    site = make_site({"layouts/page.html": layout, "content/a.md": page("A <b>", "Desc & more", body="**Bold** text\n")})
    out = build_ok(site)
    html = (out / "a/index.html").read_text()
    assert '<p class="u">/a/</p>' in html
    assert '<p class="d">Desc &amp; more</p>' in html
    assert "<h1>A &lt;b&gt;</h1>" in html
    assert '<div class="c"><p><strong>Bold</strong> text</p></div>' in html
    assert '<p class="s">Department of Testing|https://www.example.gov.uk/</p>' in html


def test_site_asset_replaces_theme_asset(make_site):
    site = make_site({"assets/govuk/theme.css": "/* mine */\n", "assets/images/logo.svg": "<svg/>"})
    out = build_ok(site)
    assert (out / "assets/govuk/theme.css").read_text() == "/* mine */\n"
    assert (out / "assets/images/logo.svg").read_text() == "<svg/>"


def test_a_clean_build_reads_each_page_once(make_site, monkeypatch):
    """The bytes read to hash a page for the cache are the bytes parsed: no second read."""
    import builtins
    import os
    import pathlib

    from policysite.builder import BuildOptions
    from policysite.builder import build as build_site

    site = make_site({f"content/p{i}.md": page(f"Page {i}") for i in range(5)})
    reads: dict[str, int] = {}
    original = builtins.open

    def counting(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.fspath(file).endswith(".md"):
            name = os.path.basename(os.fspath(file))
            reads[name] = reads.get(name, 0) + 1
        return original(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)

    def read_bytes(self):
        with counting(self, "rb") as handle:
            return handle.read()

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    result = build_site(BuildOptions(site_dir=site, write=False))
    assert result.ok, [d.format() for d in result.diagnostics.items]
    assert reads and set(reads.values()) == {1}, reads


def test_builds_into_sibling_folders_do_not_wait_for_each_other(tmp_path):
    """The output lock is per output folder: two outputs in one folder lock apart, one output locks once."""
    import fcntl
    import os

    from policysite.write import _lock_file

    first, sibling, again = _lock_file(tmp_path / "a"), _lock_file(tmp_path / "b"), _lock_file(tmp_path / "sub/../a")
    try:
        fcntl.flock(first, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(sibling, fcntl.LOCK_EX | fcntl.LOCK_NB)   # would raise if it shared the parent's lock
        with pytest.raises(BlockingIOError):
            fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)   # the same output, written another way
    finally:
        for fd in (first, sibling, again):
            os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == []   # nothing is left beside the outputs
