"""SPEC "Links in Markdown": every form resolves to the right href, every broken one fails at its line."""

from __future__ import annotations

import pytest
from conftest import PNG_300, build, build_ok, html_of, page, run

A = "content/policy/a.md"


def body_links(out, rel):
    """(href, text) of every link in the rendered body."""
    body = html_of(out, rel).find("div", class_="govspeak")
    return [(a.attrs.get("href"), a.text()) for a in body.find_all("a")]


@pytest.fixture
def linked_site(make_site):
    def make(body: str, **more):
        files = {
            A: page("Page A", body=body),
            "content/policy/other.md": page("Other page", body="## Some heading\n\nText.\n\n## Second part\n"),
            "content/care/deep.md": page("Deep care page", body="## Care heading\n"),
            "content/policy/files/report.pdf": b"%PDF" + b"x" * 3000,
            "content/policy/_index.md": page("Policy", None),
        }
        files.update(more)
        return make_site(files)
    return make


@pytest.mark.parametrize("written,href,text", [
    ("[text](other.md)", "/policy/other/", "text"),
    ("[text](../care/deep.md)", "/care/deep/", "text"),
    ("[text](/policy/other.md)", "/policy/other/", "text"),
    ("[text](/care/deep.md)", "/care/deep/", "text"),
    ("[text](other.md#some-heading)", "/policy/other/#some-heading", "text"),
    ("[text](../care/deep.md#care-heading)", "/care/deep/#care-heading", "text"),
    ("[text](#local-heading)", "#local-heading", "text"),
    ("[](other.md)", "/policy/other/", "Other page"),
    ("[](../care/deep.md#care-heading)", "/care/deep/#care-heading", "Deep care page"),
    ("[text](/policy/other/)", "/policy/other/", "text"),
    ("[text](/policy/other/#second-part)", "/policy/other/#second-part", "text"),
    ("[text](/policy/)", "/policy/", "text"),
    ("[text](/)", "/", "text"),
    ("[text](_index.md)", "/policy/", "text"),
    ("[text](../_index.md)", "/", "text"),
    ("[text](https://www.gov.uk/a?b=1#c)", "https://www.gov.uk/a?b=1#c", "text"),
    ("[text](http://example.org/)", "http://example.org/", "text"),
    ("[text](mailto:someone@example.gov.uk)", "mailto:someone@example.gov.uk", "text"),
    ("[text](tel:+442070000000)", "tel:+442070000000", "text"),
])
def test_link_forms(linked_site, written, href, text):
    site = linked_site(f"## Local heading\n\nSee {written} here.\n")
    out = build_ok(site)
    assert body_links(out, "policy/a/index.html") == [(href, text)]


def test_file_under_content_is_linked_and_copied(linked_site):
    site = linked_site("Read [the report](files/report.pdf).\n")
    out = build_ok(site)
    body = html_of(out, "policy/a/index.html").find("div", class_="govspeak")
    a = body.find("a")
    assert a.attrs["href"] == "/policy/files/report.pdf"
    assert a.text() == "the report (PDF, 3 KB)"
    assert (out / "policy/files/report.pdf").read_bytes() == b"%PDF" + b"x" * 3000


def test_file_linked_from_another_folder(linked_site):
    site = linked_site("x\n", **{"content/care/c.md": page("C", body="[r](../policy/files/report.pdf)\n")})
    out = build_ok(site)
    assert body_links(out, "care/c/index.html")[0][0] == "/policy/files/report.pdf"


def test_image_in_markdown_resolved(linked_site):
    site = linked_site("![A chart](files/chart.png)\n", **{"content/policy/files/chart.png": PNG_300})
    out = build_ok(site)
    img = html_of(out, "policy/a/index.html").find("div", class_="govspeak").find("img")
    assert (img.attrs["src"], img.attrs["alt"]) == ("/policy/files/chart.png", "A chart")


def test_markdown_image_without_alt_warns(linked_site):
    site = linked_site("Intro.\n\n![](files/chart.png)\n", **{"content/policy/files/chart.png": PNG_300})
    r = build(site)
    assert r.code == 0
    r.assert_has(A, 7, "warning", "alt")


@pytest.mark.parametrize("scheme", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "vbscript:msgbox", "file:///etc/passwd"])
def test_other_schemes_are_errors(linked_site, scheme):
    site = linked_site(f"Intro.\n\n[click]({scheme})\n")
    r = build(site)
    assert r.code == 1
    r.assert_has(A, 7, "error", "not allowed")
    r.assert_no_traceback()
    assert not (site / "_site").exists()


@pytest.mark.parametrize("written,words", [
    ("nope.md", ("broken link", "nope.md")),
    ("../nowhere/other.md", ("broken link", "other.md")),
    ("/policy/missing/", ("broken link", "/policy/missing/")),
    ("files/missing.pdf", ("broken link", "missing.pdf")),
    ("../../../etc/passwd.md", ("broken link", "outside")),
    ("/assets/nothing.css", ("broken link", "nothing.css")),
])
def test_broken_link_at_its_line(linked_site, written, words):
    site = linked_site(f"Intro.\n\nMore text.\n\nSee [x]({written}).\n")
    r = build(site)
    assert r.code == 1
    r.assert_has(A, 9, "error", *words)
    r.assert_no_traceback()


def test_near_miss_gets_did_you_mean(linked_site):
    site = linked_site("[x](othr.md)\n")
    r = build(site)
    r.assert_has(A, 5, "error", "did you mean content/policy/other.md")


@pytest.mark.parametrize("written,missing", [
    ("other.md#no-such-heading", "no-such-heading"),
    ("#not-here", "not-here"),
    ("/policy/other/#nope", "nope"),
])
def test_broken_fragment_at_its_line(linked_site, written, missing):
    site = linked_site(f"## Here\n\nSee [x]({written}).\n")
    r = build(site)
    assert r.code == 1
    r.assert_has(A, 7, "error", "broken link", missing)


@pytest.mark.parametrize("written,href", [
    ("#top", "#top"),
    ("other.md#top", "/policy/other/#top"),
    ("#:~:text=Some%20heading", "#:~:text=Some%20heading"),
    ("other.md#:~:text=Text", "/policy/other/#:~:text=Text"),
    ("other.md#second-part:~:text=part", "/policy/other/#second-part:~:text=part"),
])
def test_top_and_text_fragments_are_places_every_page_has(linked_site, written, href):
    site = linked_site(f"See [x]({written}).\n")
    out = build_ok(site)
    assert (href, "x") in body_links(out, "policy/a/index.html")


def test_a_text_fragment_after_a_missing_id_is_still_broken(linked_site):
    site = linked_site("See [x](other.md#nope:~:text=Text).\n")
    r = build(site)
    r.assert_has(A, 5, "error", "broken link", "`nope`")


def test_fragment_hint(linked_site):
    site = linked_site("[x](other.md#some-headin)\n")
    r = build(site)
    r.assert_has(A, 5, "error", "some-headin", "did you mean `#some-heading`")


def test_same_broken_link_on_two_lines_reports_both(linked_site):
    site = linked_site("First [x](gone.md).\n\nSecond [y](gone.md).\n\nThird [z](other.md#gone)\nand [w](other.md#gone)\n")
    r = build(site)
    assert r.code == 1
    r.assert_has(A, 5, "error", "gone.md")
    r.assert_has(A, 7, "error", "gone.md")
    r.assert_has(A, 9, "error", "#gone" if False else "gone", "other")
    r.assert_has(A, 10, "error", "gone", "other")
    assert len(r.errors()) == 4, r.err


def test_links_with_no_address_are_each_reported_at_their_own_line(linked_site):
    # Body lines 9 to 15 of the file: one error each, not one merged error at the first body line.
    site = linked_site("Intro.\n\nMore.\n\nSee [a]().\n\nAnd [b]( ) too.\n\nThen [c](<>), [d]()\n"
                       "and\n\n![chart]( \"t\").\n")
    r = build(site)
    assert r.code == 1
    r.assert_no_traceback()
    for line, words in [(9, ("the link `a`",)), (11, ("the link `b`",)), (13, ("the link `c`",)),
                        (13, ("the link `d`",)), (16, ("the image `chart`", "remove the image"))]:
        r.assert_has(A, line, "error", *words, "has no address", "between the brackets `( )`")
    r.assert_has(A, 9, "error", "or remove the link")
    assert len(r.errors()) == 5, r.err
    assert "broken link ``" not in r.err


def test_broken_link_line_is_the_links_line_not_a_prose_mention(linked_site):
    site = linked_site("The file nope.md was renamed.\n\nSee [x](nope.md).\n")
    r = build(site)
    assert r.code == 1
    r.assert_has(A, 7, "error", "nope.md")
    assert [n for p, n, m in r.errors()] == [7]


def test_broken_fragment_line_when_one_link_starts_like_another(linked_site):
    site = linked_site("See [x](other.md#gone-for-good).\n\nSee [y](other.md#gone).\n")
    r = build(site)
    assert r.code == 1
    r.assert_has(A, 5, "error", "gone-for-good")
    r.assert_has(A, 7, "error", "`gone`")


def test_reference_style_link(linked_site):
    site = linked_site("See [the other page][o].\n\n[o]: other.md#second-part\n")
    out = build_ok(site)
    assert body_links(out, "policy/a/index.html") == [("/policy/other/#second-part", "the other page")]


def test_reference_style_broken_link_at_definition(linked_site):
    site = linked_site("See [the other page][o].\n\n[o]: missing.md\n")
    r = build(site)
    assert r.code == 1
    r.assert_has(A, 7, "error", "missing.md")


def test_link_in_body_after_long_front_matter_counts_file_lines(make_site):
    text = page("A", extra="date: 2020-01-01\ntopics:\n  - public-health\n  - health-inequalities\n",
                body="\n\n\n[x](missing.md)\n")
    site = make_site({"content/a.md": text})
    r = build(site)
    r.assert_has("content/a.md", 12, "error", "missing.md")


def test_heading_ids_lower_case_hyphenated_unique(make_site):
    body = "## Health & Care: the 2020 Plan\n\n## Summary\n\n## Summary\n\n### Summary\n\n[a](#summary-1) [b](#summary-2) [c](#health-care-the-2020-plan)\n"
    site = make_site({"content/a.md": page("A", body=body)})
    out = build_ok(site)
    body_el = html_of(out, "a/index.html").find("div", class_="govspeak")
    ids = [h.attrs["id"] for h in body_el.iter() if h.tag in ("h2", "h3")]
    assert ids == ["health-care-the-2020-plan", "summary", "summary-1", "summary-2"]


def test_explicit_attr_list_id_is_a_target(make_site):
    body = "## Named {#custom-id}\n\n[a](#custom-id)\n"
    site = make_site({"content/a.md": page("A", body=body)})
    out = build_ok(site)
    assert html_of(out, "a/index.html").find("h2", id="custom-id") is not None


def test_raw_html_id_is_a_target(make_site):
    body = '<div id="box">Boxed</div>\n\n[a](#box)\n'
    site = make_site({"content/a.md": page("A", body=body), "content/b.md": page("B", body="[b](a.md#box)\n")})
    build_ok(site)


def test_layout_ids_are_targets(make_site):
    site = make_site({"content/a.md": page("A", body="[skip](#main-content)\n")})
    build_ok(site)


def test_link_to_section_folder(make_site):
    site = make_site({
        "content/a.md": page("A", body="[s](guides/) and [t](guides/_index.md) and [u](generated/)\n"),
        "content/guides/_index.md": page("Guides", None),
        "content/guides/g.md": page("G"),
        "content/generated/g.md": page("G"),
    })
    out = build_ok(site)
    assert [h for h, _ in body_links(out, "a/index.html")] == ["/guides/", "/guides/", "/generated/"]


def test_link_to_page_with_slug_and_url(make_site):
    site = make_site({
        "content/a.md": page("A", body="[s](s.md) [u](u.md)\n"),
        "content/s.md": page("S", extra="slug: renamed"),
        "content/u.md": page("U", extra="url: /custom/place/"),
    })
    out = build_ok(site)
    assert [h for h, _ in body_links(out, "a/index.html")] == ["/renamed/", "/custom/place/"]


def test_backlinks_listed(make_site):
    site = make_site({
        "content/a.md": page("Alpha", body="[b](b.md)\n"),
        "content/b.md": page("Bravo"),
    })
    out = build_ok(site)
    section = html_of(out, "b/index.html").find("section", aria_labelledby="backlinks-title")
    assert [(a.attrs["href"], a.text()) for a in section.find_all("a")] == [("/a/", "Alpha")]


def test_links_in_code_are_not_checked(make_site):
    site = make_site({"content/a.md": page("A", body="Use `[x](nope.md)` in text.\n\n```\n[y](nope.md)\n```\n")})
    build_ok(site)


def test_check_reports_the_same_link_errors(linked_site):
    site = linked_site("Intro.\n\n[x](nope.md)\n")
    r = run("check", site)
    assert r.code == 1
    r.assert_has(A, 7, "error", "nope.md")
    assert not (site / "_site").exists()


def test_file_with_space_in_name_gets_an_encoded_href(make_site):
    site = make_site({
        "content/a.md": page("A", body="[r](files/annual%20report.pdf) and [s](<files/annual report.pdf>)\n"),
        "content/files/annual report.pdf": b"%PDF",
    })
    out = build_ok(site)
    assert [h for h, _ in body_links(out, "a/index.html")] == ["/files/annual%20report.pdf"] * 2
    assert (out / "files/annual report.pdf").read_bytes() == b"%PDF"


def test_file_with_non_ascii_name(make_site):
    site = make_site({
        "content/a.md": page("A", body="[r](files/caf%C3%A9.pdf) [s](files/café.pdf)\n"),
        "content/files/café.pdf": b"%PDF",
    })
    out = build_ok(site)
    assert [h for h, _ in body_links(out, "a/index.html")] == ["/files/caf%C3%A9.pdf"] * 2
    assert (out / "files/café.pdf").is_file()


@pytest.mark.parametrize("fragment", ["full-history", "contents"])
def test_layout_fragment_on_page_without_that_part_is_broken(make_site, fragment):
    site = make_site({
        "content/a.md": page("A", body=f"Intro.\n\n[h](b.md#{fragment})\n"),
        "content/b.md": page("B", body="Just one paragraph.\n"),
    })
    r = build(site)
    assert r.code == 1
    r.assert_has("content/a.md", 7, "error", fragment)


def test_layout_fragments_that_exist_resolve(make_site):
    site = make_site({
        "content/a.md": page("A", body="[h](b.md#full-history)\n"),
        "content/b.md": page("B", extra="change_history:\n  - date: 2020-01-01\n    note: First.",
                             body="## One\n\n## Two\n"),
    })
    out = build_ok(site)
    doc = html_of(out, "b/index.html")
    assert doc.find("section", id="full-history") is not None


def test_headings_never_take_layout_ids(make_site):
    site = make_site({"content/a.md": page("A", body="## Main content\n\n## Full history\n\n## The `config` file\n")})
    out = build_ok(site)
    body = html_of(out, "a/index.html").find("div", class_="govspeak")
    assert [h.attrs["id"] for h in body.find_all("h2")] == ["main-content-1", "full-history-1", "the-config-file"]


def test_empty_link_text_to_a_file_uses_its_name(make_site):
    site = make_site({"content/a.md": page("A", body="[](files/report.pdf)\n"), "content/files/report.pdf": b"%PDF"})
    out = build_ok(site)
    assert body_links(out, "a/index.html") == [("/files/report.pdf", "report.pdf (PDF, 1 KB)")]


def test_heading_id_does_not_repeat_a_raw_html_id(make_site):
    body = '<div id="summary">Boxed</div>\n\n## Summary\n\n[a](#summary) [b](#summary-1)\n'
    site = make_site({"content/a.md": page("A", body=body)})
    out = build_ok(site)
    html = (out / "a/index.html").read_text()
    assert html.count('id="summary"') == 1
    assert '<h2 id="summary-1">Summary</h2>' in html


def test_links_in_raw_html_are_resolved_and_checked(linked_site):
    body = ('<div class="box">\n<a href="other.md#second-part">other</a>\n<img src="files/report.pdf" alt="r">\n</div>\n\n'
            'Inline <a href="/policy/other/">link</a> and <a href="https://www.gov.uk/">out</a>.\n')
    site = linked_site(body)
    out = build_ok(site)
    html = (out / "policy/a/index.html").read_text()
    assert '<a href="/policy/other/#second-part">other</a>' in html
    assert '<img src="/policy/files/report.pdf" alt="r">' in html
    assert '<a href="/policy/other/">link</a>' in html
    assert '<a href="https://www.gov.uk/">out</a>' in html


@pytest.mark.parametrize("tag,line,words", [
    ('<a href="nope.md">x</a>', 7, ("nope.md",)),
    ('<a href="/policy/missing/">x</a>', 7, ("/policy/missing/",)),
    ('<a href="other.md#no-such-part">x</a>', 7, ("no-such-part",)),
    ('<div>\n<img src="files/none.png" alt="x">\n</div>', 8, ("none.png",)),
])
def test_broken_links_in_raw_html_fail_at_their_line(linked_site, tag, line, words):
    site = linked_site(f"Intro.\n\n{tag}\n")
    r = build(site)
    assert r.code == 1, r.err
    r.assert_has(A, line, "error", "broken link", *words)


def test_email_autolink(make_site):
    site = make_site({"content/a.md": page("A", body="Write to <name@example.gov.uk> or <https://www.gov.uk/x>.\n")})
    out = build_ok(site)
    links = body_links(out, "a/index.html")
    import html as html_lib
    assert [(html_lib.unescape(h), html_lib.unescape(t)) for h, t in links] == [
        ("mailto:name@example.gov.uk", "name@example.gov.uk"), ("https://www.gov.uk/x", "https://www.gov.uk/x")]


def test_footnotes_and_tables_with_links(make_site):
    body = ("Text with a note.[^1]\n\n| a | b |\n|---|---|\n| [x](#note) | [b](b.md) |\n\n## Note\n\n"
            "[^1]: The note, see [home](_index.md).\n")
    site = make_site({"content/a.md": page("A", body=body), "content/b.md": page("B")})
    out = build_ok(site)
    html = (out / "a/index.html").read_text()
    assert '<a class="footnote-ref" href="#fn:1">1</a>' in html
    assert '<li id="fn:1">' in html
    assert '<td><a href="#note">x</a></td>' in html and '<a href="/b/">b</a>' in html
    assert 'see <a href="/">home</a>' in html


@pytest.mark.parametrize("jobs", [1, 2])
def test_fragments_are_checked_where_the_renderer_found_each_link_leads(make_site, monkeypatch, jobs):
    """The renderer notes where each link to a page leads (in a worker process, with --jobs 2 and
    enough pages): checking fragments resolves none of them again, and still finds a broken one."""
    from policysite import stages
    from policysite.builder import BuildOptions
    from policysite.builder import build as build_in_process
    from policysite.cache import BuildCache, triples
    from policysite.links import Resolver

    files = {f"content/policy/p{n}.md": page(f"Page {n}", body="## Part\n\nSee [the next](p1.md#part).\n")
             for n in range(80)}
    files[A] = page("Page A", body="## Here\n\nSee [x](p2.md#part), [y](#here), [z](/policy/p3/), "
                                   "[w](https://www.gov.uk/) and [v](p4.md#gone).\n")
    site = make_site(files)
    checking = []   # the links resolved while fragments were checked
    resolve = Resolver.outcome
    check = stages.check_page_links

    def outcome(self, raw, page):
        if checking:
            checking.append(raw)
        return resolve(self, raw, page)

    def check_page_links(state, page, held=None):
        checking.append(None)
        try:
            return check(state, page, held)
        finally:
            checking.remove(None)

    monkeypatch.setattr(Resolver, "outcome", outcome)
    monkeypatch.setattr(stages, "check_page_links", check_page_links)
    cache = BuildCache()
    result = build_in_process(BuildOptions(site_dir=site, output=site / "_site", jobs=jobs), cache)
    assert checking == []
    assert list(triples(cache.markdown[A].targets)) == [(0, "content/policy/p2.md", "part"), (1, A, "here"),
                                                        (2, "content/policy/p3.md", ""), (3, "content/policy/p4.md", "gone")]
    assert [(d.path, d.line) for d in result.diagnostics.items if "`gone`" in d.message] == [(A, 7)]
    assert result.stats["links_resolved"] == 82   # every page's, as it was rendered
