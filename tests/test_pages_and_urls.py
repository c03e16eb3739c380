"""SPEC "Pages and URLs": where each source ends up, slug:, url:, drafts, generated sections."""

from __future__ import annotations

import pytest
from conftest import build, build_ok, html_of, page, run


def test_every_row_of_the_pages_table(make_site):
    site = make_site({
        "content/_index.md": page("Home of the site", None, body="Home body.\n"),
        "content/policy/_index.md": page("Policy", None, body="All our policies.\n"),
        "content/policy/health-inequalities.md": page("Health inequalities"),
        "content/policy/files/report.pdf": b"%PDF-1.4 fake\x00\xff binary",
    })
    out = build_ok(site)
    home = html_of(out, "index.html")
    assert home.find("h1").text() == "Home of the site"
    assert html_of(out, "policy/index.html").find("h1").text() == "Policy"
    doc = html_of(out, "policy/health-inequalities/index.html")
    assert doc.find("h1").text() == "Health inequalities"
    assert doc.find("link", rel="canonical").attrs["href"] == "https://www.example.gov.uk/policy/health-inequalities/"
    assert (out / "policy/files/report.pdf").read_bytes() == b"%PDF-1.4 fake\x00\xff binary"
    # No stray outputs for the sources themselves.
    assert not (out / "policy/health-inequalities.md").exists()
    assert not (out / "policy/health-inequalities.html").exists()
    assert not (out / "_index").exists()


def test_markdown_suffix_variants_are_pages(make_site):
    site = make_site({"content/notes.markdown": page("Notes")})
    out = build_ok(site)
    assert html_of(out, "notes/index.html").find("h1").text() == "Notes"


def test_generated_section_for_folder_without_index(make_site):
    site = make_site({
        "content/health-and-social-care/care-homes.md": page("Care homes", body="x\n"),
        "content/health-and-social-care/older-people/day-centres.md": page("Day centres"),
    })
    out = build_ok(site)
    doc = html_of(out, "health-and-social-care/index.html")
    assert doc.find("h1").text() == "Health and social care"
    assert doc.find("title").text() == "Health and social care - Department of Testing"
    links = {a.attrs["href"]: a.text() for a in doc.find_all("a", class_="document-list__link")}
    assert links == {"/health-and-social-care/care-homes/": "Care homes",
                     "/health-and-social-care/older-people/": "Older people"}
    nested = html_of(out, "health-and-social-care/older-people/index.html")
    assert nested.find("h1").text() == "Older people"
    crumbs = nested.find("nav", aria_label="Breadcrumb")
    assert [a.text() for a in crumbs.find_all("a")] == ["Home", "Health and social care"]


def test_generated_home_when_there_is_no_index(make_site):
    site = make_site({"content/_index.md": None, "content/about.md": page("About us")})
    out = build_ok(site)
    assert html_of(out, "index.html").find("h1").text() == "Department of Testing"


def test_slug_replaces_last_segment(make_site):
    site = make_site({"content/policy/long-file-name.md": page("Short", extra="slug: short-name")})
    out = build_ok(site)
    assert (out / "policy/short-name/index.html").is_file()
    assert not (out / "policy/long-file-name").exists()


def test_slug_on_section_index(make_site):
    site = make_site({"content/policy/_index.md": page("Policy", None, extra="slug: policies")})
    out = build_ok(site)
    assert html_of(out, "policies/index.html").find("h1").text() == "Policy"


@pytest.mark.parametrize("value", ["a/b", "..", "has space"])
def test_bad_slug_is_error_at_its_line(make_site, value):
    site = make_site({"content/x.md": page("X", extra=f"weight: 1\nslug: \"{value}\"")})
    r = build(site)
    assert r.code == 1
    r.assert_has("content/x.md", 5, "error", "slug")
    r.assert_no_traceback()


def test_url_sets_whole_path(make_site):
    site = make_site({"content/policy/deep/page.md": page("Moved", extra="url: /elsewhere/moved/")})
    out = build_ok(site)
    assert html_of(out, "elsewhere/moved/index.html").find("h1").text() == "Moved"
    assert not (out / "policy/deep/page").exists()


@pytest.mark.parametrize("value,words", [
    ("/../outside/", ("url", "inside the site")),
    ("/a/../../b/", ("url", "inside the site")),
    ("no-slashes", ("url", "start and end with `/`")),
    ("/no-trailing", ("url", "start and end with `/`")),
    ("https://evil.example/", ("url", "start and end with `/`")),
])
def test_bad_url_is_error_at_its_line(make_site, value, words):
    site = make_site({"content/x.md": page("X", extra=f"date: 2020-01-01\nurl: \"{value}\"")})
    r = build(site)
    assert r.code == 1, r.err
    r.assert_has("content/x.md", 5, "error", *words)
    r.assert_no_traceback()
    assert not (site / "_site").exists()


def test_drafts_left_out_unless_asked(make_site):
    site = make_site({
        "content/ready.md": page("Ready"),
        "content/wip.md": page("Work in progress", extra="draft: true"),
    })
    out = build_ok(site)
    assert (out / "ready/index.html").is_file()
    assert not (out / "wip").exists()
    assert b"Work in progress" not in (out / "sitemap.xml").read_bytes()
    assert b"Work in progress" not in (out / "index.html").read_bytes()

    out = build_ok(site, "--drafts")
    assert html_of(out, "wip/index.html").find("h1").text() == "Work in progress"


def test_link_to_draft_is_error(make_site):
    site = make_site({
        "content/ready.md": page("Ready", body="Intro.\n\nSee [the plan](wip.md).\n"),
        "content/wip.md": page("Work in progress", extra="draft: true"),
    })
    r = build(site)
    assert r.code == 1
    r.assert_has("content/ready.md", 7, "error", "wip.md", "draft")
    assert run("build", site, "--drafts").code == 0


def test_related_to_draft_is_error(make_site):
    site = make_site({
        "content/ready.md": page("Ready", extra="related:\n  - wip.md"),
        "content/wip.md": page("Work in progress", extra="draft: true"),
    })
    r = build(site)
    assert r.code == 1
    r.assert_has("content/ready.md", 5, "error", "wip.md", "draft")


def test_two_sources_claim_one_url_names_both(make_site):
    site = make_site({
        "content/policy/a.md": page("A", extra="url: /policy/b/"),
        "content/policy/b.md": page("B"),
    })
    r = build(site)
    assert r.code == 1
    msgs = [m for p, n, m in r.errors() if "/policy/b/" in m]
    assert len(msgs) == 1, r.err
    assert "content/policy/a.md" in msgs[0] and "content/policy/b.md" in msgs[0]
    assert "rename one of them or give one a different `slug:`" in msgs[0]
    r.assert_no_traceback()


def test_slug_and_file_claim_one_url(make_site):
    site = make_site({
        "content/one.md": page("One", extra="slug: two"),
        "content/two.md": page("Two"),
    })
    r = build(site)
    assert r.code == 1
    (path, line, msg), = [e for e in r.errors() if "claimed" in e[2]]
    assert "content/one.md" in msg and "content/two.md" in msg
    if path == "content/one.md":
        assert line == 4   # the `slug:` line


def test_page_and_folder_claim_one_url(make_site):
    site = make_site({
        "content/policy.md": page("Policy page"),
        "content/policy/x.md": page("X"),
    })
    r = build(site)
    assert r.code == 1
    assert any("content/policy.md" in m and "content/policy" in m.replace("content/policy.md", "") for _, _, m in r.errors()), r.err


def test_a_page_and_an_asset_of_the_site_or_the_theme_claim_one_file(make_site):
    """assets/ is copied to /assets/ over anything there: a page at an asset's address, or a file
    under content/ at one, is reported, not silently replaced."""
    site = make_site({
        "content/assets/guide.md": page("A guide"),
        "assets/guide/index.html": "<p>An asset.</p>\n",
        "content/assets/search.js": "// not the theme's\n",
    })
    r = build(site)
    r.assert_no_traceback()
    assert r.code == 1
    r.assert_has("content/assets/guide.md", 1, "error", "`/assets/guide/` is claimed by both", "assets/guide/index.html",
                 "give this page a different `slug:` or rename its file")
    r.assert_has("content/assets/search.js", 1, "error", "claimed by both", "policysite/theme/assets/search.js",
                 "rename or move this file")


def test_children_ordered_by_weight_then_date_then_title(make_site):
    site = make_site({
        "content/s/b.md": page("Bravo"),
        "content/s/a.md": page("Alpha"),
        "content/s/old.md": page("Zulu old", extra="date: 2001-01-01"),
        "content/s/new.md": page("Yankee new", extra="date: 2020-01-01"),
        "content/s/first.md": page("X-ray first", extra="weight: 1"),
    })
    out = build_ok(site)
    titles = [a.text() for a in html_of(out, "s/index.html").find_all("a", class_="document-list__link")]
    assert titles == ["X-ray first", "Yankee new", "Zulu old", "Alpha", "Bravo"]


def test_file_names_are_slugified(make_site):
    site = make_site({"content/News Story_2020.md": page("News")})
    out = build_ok(site)
    assert (out / "news-story-2020/index.html").is_file()


def test_topic_pages_and_search_are_generated(make_site):
    site = make_site({"content/p.md": page("Tagged", extra="topics:\n  - public-health")})
    out = build_ok(site)
    topic = html_of(out, "topics/public-health/index.html")
    assert topic.find("h1").text() == "Public health"
    assert [a.attrs["href"] for a in topic.find_all("a", class_="document-list__link")] == ["/p/"]
    assert (out / "search/index.html").is_file()
    assert (out / "404.html").is_file()
    assert (out / "sitemap.xml").is_file()
    assert (out / "feed.xml").is_file()


def test_alias_writes_redirect(make_site):
    site = make_site({"content/new.md": page("New home", extra="aliases:\n  - /old/place/")})
    out = build_ok(site)
    doc = html_of(out, "old/place/index.html")
    refresh = doc.find("meta", http_equiv="refresh")
    assert refresh.attrs["content"] == "0; url=/new/"
    assert doc.find("link", rel="canonical").attrs["href"] == "https://www.example.gov.uk/new/"


def test_base_url_with_path_prefixes_internal_links(make_site):
    site = make_site({
        "content/a.md": page("A", body="[b](b.md) and [file](files/x.txt)\n"),
        "content/b.md": page("B"),
        "content/files/x.txt": "hello\n",
    })
    out = build_ok(site, "--base-url", "https://example.github.io/health/")
    doc = html_of(out, "a/index.html")
    hrefs = [a.attrs["href"] for a in doc.find("div", class_="govspeak").find_all("a")]
    assert hrefs == ["/health/b/", "/health/files/x.txt"]
    crumbs = doc.find("nav", aria_label="Breadcrumb")
    assert [a.attrs["href"] for a in crumbs.find_all("a")] == ["/health/"]
    css = doc.find("link", rel="stylesheet").attrs["href"]
    assert css.startswith("/health/assets/")
    assert "https://example.github.io/health/a/" in (out / "sitemap.xml").read_text()


def test_two_index_files_in_one_folder(make_site):
    site = make_site({
        "content/policy/_index.md": page("Policy", None),
        "content/policy/_index.markdown": page("Policy again", None),
    })
    r = build(site)
    assert r.code == 1
    r.assert_no_traceback()
    assert any("content/policy/_index.md" in m and "content/policy/_index.markdown" in m for _, _, m in r.errors()), r.err


def test_names_differing_only_in_case_claim_one_url(make_site):
    site = make_site({"content/About.md": page("About 1"), "content/about.md": page("About 2")})
    r = build(site)
    assert r.code == 1
    assert any("content/About.md" in m and "content/about.md" in m for _, _, m in r.errors()), r.err


def test_two_files_differing_only_in_case_are_told_to_be_renamed_not_given_a_slug(make_site):
    site = make_site({"content/Report.pdf": "%PDF-1.4 one\n", "content/report.pdf": "%PDF-1.4 two\n"})
    r = build(site)
    assert r.code == 1
    (_, _, message), = [e for e in r.errors() if "claimed by both" in e[2]]
    assert "content/Report.pdf" in message and "content/report.pdf" in message
    assert "rename or move one of them" in message and "slug" not in message


def test_file_name_without_usable_letters(make_site):
    site = make_site({"content/日本語.md": page("Japanese")})
    r = build(site)
    assert r.code == 1
    r.assert_has("content/日本語.md", 1, "error", "web address", "slug")
    site = make_site({"content/日本語.md": page("Japanese", extra="slug: japanese")})
    out = build_ok(site)
    assert (out / "japanese/index.html").is_file()


@pytest.mark.parametrize("name", ["_Index.md", "__index.md", "index.md", "Index.md", "_INDEX.markdown"])
def test_a_section_page_misnamed_is_a_warning_at_the_file(make_site, name):
    site = make_site({f"content/policy/{name}": page("Policy"), "content/policy/plan.md": page("Plan")})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has(f"content/policy/{name}", 1, "warning", "/policy/index/", "/policy/ shows the automatic list",
                 "must be named `_index.md` exactly", "rename the file to `_index.")
    assert len(r.diagnostics) == 1, r.err
    assert ("slug: index" in r.err) == (name.lower() == "index.md")
    assert run("build", site, "--strict").code == 1


def test_a_misnamed_section_page_beside_the_real_one_is_told_to_go_into_it(make_site):
    site = make_site({"content/policy/_index.md": page("Policy", None), "content/policy/_Index.md": page("Again")})
    r = build(site)
    r.assert_has("content/policy/_Index.md", 1, "warning", "already has its page, content/policy/_index.md")


@pytest.mark.parametrize("files", [
    {"content/policy/_index.md": page("Policy", None), "content/policy/index.md": page("A-Z index")},   # a page called index
    {"content/policy/index.md": page("A-Z index", extra="slug: index")},    # its address chosen
    {"content/policy/_Index.md": page("Policy", extra="url: /policy-pages/")},
    {"content/policy/indexes.md": page("Indexes")},
])
def test_a_page_meant_to_be_called_index_is_not_warned_about(make_site, files):
    build_ok(make_site(files))


@pytest.mark.parametrize("rel,words", [
    ("content/CON.md", ("`CON` is a name Windows keeps for a device",)),
    ("content/aux.md", ("`aux` is a name Windows keeps",)),
    ("content/files/nul.txt", ("`nul` is a name Windows keeps",)),
    ("content/lpt1.pdf", ("`lpt1`",)),
    ('content/say "hi".md', ('Windows does not allow `"`',)),
    ("content/why?.md", ("`?`",)),
    ("content/all*.md", ("`*`",)),
    ("content/<b>.md", ("`<`",)),
    ("content/a|b.pdf", ("`|`",)),
    ("content/report.", ("ends in a dot",)),
    ("content/report.pdf ", ("ends in a space",)),
    ("assets/aux.css", ("`aux`",)),
    ("assets/images/chart?.png", ("`?`",)),
])
def test_a_name_windows_cannot_hold_is_a_warning_at_the_file(make_site, rel, words):
    text = page("A page") if rel.endswith(".md") else "x\n"
    r = build(make_site({rel: text}))
    assert r.code == 0, r.err
    r.assert_has(rel, 1, "warning", "cannot be checked out on Windows", *words, "rename it")
    assert len(r.warnings()) == 1, r.err


def test_a_folder_windows_cannot_hold_is_one_warning_at_the_folder(make_site):
    r = build(make_site({"content/q&a?/one.md": page("One"), "content/q&a?/two.md": page("Two")}))
    r.assert_has("content/q&a?", 1, "warning", "this folder cannot be checked out on Windows", "`?`")
    assert len(r.warnings()) == 1, r.err


def test_a_colon_in_a_name_is_a_warning_at_the_file(make_site):
    r = build(make_site({"content/plan: 2024.md": page("Plan")}))   # the path holds `:`, so read as text
    assert r.code == 0, r.err
    assert "content/plan: 2024.md:1: warning: this file cannot be checked out on Windows: Windows does not allow `:`" in r.err


def test_ordinary_names_are_not_warned_about(make_site):
    build_ok(make_site({"content/console.md": page("Console"), "content/auxiliary/nullify.md": page("Nullify"),
                        "content/com10.md": page("Com10"), "assets/con-tents.css": "x\n"}))
