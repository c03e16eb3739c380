"""Links written in layouts (the site's own and the built-in theme's) are checked after render, at the layout's line."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from conftest import DEFAULT_CONFIG, build, build_ok, page, write_files
from test_incremental import Served

LAYOUT = """\
{% extends "theme/page.html" %}
{% block after_body %}
<p><a href="{{ 'about/'|url }}">About us</a></p>
<p><a href="/missing/">Our plans</a></p>
<p><img src="{{ 'assets/crest.png'|url }}" alt="Crest"></p>
{% endblock %}
"""


def test_a_site_layout_linking_to_a_missing_page_is_an_error_at_its_line(make_site):
    site = make_site({"layouts/page.html": LAYOUT, "content/about.md": page("About"), "content/a.md": page("A")})
    result = build(site)
    assert result.code == 1
    result.assert_has("layouts/page.html", 4, "error", "broken link", "/missing/")
    result.assert_has("layouts/page.html", 5, "error", "broken link", "/assets/crest.png")
    assert not any("about" in m for _, _, m in result.errors())
    result.assert_no_traceback()
    assert not (site / "_site").exists()


def test_a_layout_link_to_a_page_that_exists_builds(make_site):
    site = make_site({"layouts/page.html": LAYOUT.replace("/missing/", "{{ 'about/'|url }}#x"),
                      "content/about.md": page("About"), "assets/crest.png": b"\x89PNG\r\n"})
    build_ok(site)


def test_deleting_the_page_a_layout_links_to_is_seen_by_an_incremental_build(make_site, tmp_path):
    layout = LAYOUT.replace("/missing/", "{{ 'plans/'|url }}")
    served = Served(make_site({"layouts/page.html": layout, "content/about.md": page("About"),
                               "content/plans.md": page("Plans"), "assets/crest.png": b"\x89PNG\r\n"}), tmp_path)
    assert served.build().ok
    served.edit({"content/plans.md": None})
    result = served.build()   # compared with a clean build, problems included
    assert not result.ok
    assert any(d.path == "layouts/page.html" and d.line == 4 and "/plans/" in d.message
               for d in result.diagnostics.items)


def test_a_link_a_site_layout_makes_with_the_url_filter_is_found_at_its_line(make_site):
    """An address computed while the layout runs is not written in the layout: its line is found by rendering again."""
    layout = ('{% extends "theme/page.html" %}\n{% block after_body %}\n'
              '{% set plan = page.extra.plan %}\n<p><a href="{{ plan|url }}">Our plan</a></p>\n{% endblock %}\n')
    site = make_site({"layouts/page.html": layout, "content/a.md": page("A", extra="extra:\n  plan: plans/2025/")})
    result = build(site, "--format", "json")
    assert result.code == 1
    problems = json.loads(result.out)
    assert [(p["path"], p["line"], p["code"]) for p in problems] == [("layouts/page.html", 4, "broken-layout-link")]
    assert "/plans/2025/" in problems[0]["message"]


def internal_links(out: Path) -> list[tuple[str, str]]:
    """Every internal href and src in every page of a built site, with the page."""
    found = []
    for path in sorted(out.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for link in re.findall(r'\s(?:href|src)="([^"#][^"]*)"', text):
            if not re.match(r"^[a-z]+:|^//", link):
                found.append((path.relative_to(out).as_posix(), html.unescape(link)))
    return found


def test_the_built_in_theme_links_only_to_files_the_build_writes(make_site):
    site = make_site({"content/about.md": page("About"),
                      "content/policy/_index.md": page("Policy", description=None),
                      **{f"content/policy/p{i}.md": page(f"Policy {i}", extra="organisations: [department-of-testing]\n"
                                                         f"topics: [public-health]\naliases: [/old/p{i}/]",
                                                         body="| a | b |\n|---|---|\n| 1 | 2 |\n")
                         for i in range(23)}})
    out = build_ok(site)
    links = internal_links(out)
    assert ("policy/index.html", "/policy/page-2/") in links and ("404.html", "/search/") in links
    for where, link in links:
        target = out / link.split("?")[0].lstrip("/")
        assert target.is_file() or (target / "index.html").is_file(), f"{where} links to {link}"


def test_a_broken_link_in_the_built_in_theme_is_an_error_at_the_theme_layout(make_site, tmp_path, monkeypatch):
    """The theme once linked to /accessibility/ on every page: a site without that page now fails to build."""
    from policysite import templates

    theme = tmp_path / "theme-layouts"
    shutil.copytree(templates.THEME_LAYOUTS, theme)
    footer = (theme / "_footer.html").read_text(encoding="utf-8").splitlines(keepends=True)
    footer.insert(3, "<a href=\"{{ 'accessibility/'|url }}\">Accessibility</a>\n")
    (theme / "_footer.html").write_text("".join(footer), encoding="utf-8")
    monkeypatch.setattr(templates, "THEME_LAYOUTS", theme)
    site = make_site({"content/a.md": page("A")})
    result = build(site)
    assert result.code == 1
    result.assert_has("policysite/theme/layouts/_footer.html", 4, "error", "broken link", "/accessibility/",
                      "other pages")
    result.assert_no_traceback()
    assert not (site / "_site").exists()
    write_files(site, {"content/accessibility.md": page("Accessibility statement")})
    build_ok(site)


def test_an_organisation_on_another_site_is_linked_as_it_is(make_site):
    config = DEFAULT_CONFIG.replace("    name: Department of Testing\n",
                                    "    name: Department of Testing\n    url: https://testing.example.gov.uk/\n")
    site = make_site({"site_config.yaml": config, "content/a.md": page("A", extra="organisations: [department-of-testing]")})
    out = build_ok(site)
    assert 'href="https://testing.example.gov.uk/"' in (out / "a/index.html").read_text(encoding="utf-8")



def test_a_cached_build_checks_again_only_the_layout_links_that_can_have_broken(make_site, tmp_path, monkeypatch):
    """While every file of the last build is still written, only the pages rendered again are checked;
    once a file has gone, every page is: their links may have led to it."""
    from test_incremental import CACHE

    from policysite import layoutlinks
    from policysite.builder import BuildOptions
    from policysite.builder import build as run_build

    layout = ('{% extends "theme/page.html" %}\n{% block after_body %}\n<p><a href="../">Up</a></p>\n'
              '<p><a href="{{ \'other/p3/\'|url }}">Three</a></p>\n{% endblock %}\n')
    site = make_site({"layouts/page.html": layout, "content/other/_index.md": page("Other"),
                      **{f"content/other/p{n}.md": page(f"Page {n}") for n in range(4)}})
    options = BuildOptions(site_dir=site, output=tmp_path / "out", jobs=1, cache_file=site / CACHE)
    real = layoutlinks.output_path
    seen: set[str] = set()   # the pages whose relative link `../` was checked

    def noting(link, page_url, root, base_url):
        seen.add(page_url)
        return real(link, page_url, root, base_url)

    monkeypatch.setattr(layoutlinks, "output_path", noting)
    assert run_build(options).ok
    assert "/other/p0/" in seen
    seen.clear()
    write_files(site, {"content/other/new.md": page("New page")})   # one file more: the others' links still hold
    result = run_build(options)
    assert result.ok and 0 < result.rendered < 6, result.stats
    assert "/other/new/" in seen and "/other/p0/" not in seen, seen
    seen.clear()
    (site / "content/other/p3.md").unlink()   # a file gone, that pages not rendered again link to
    result = run_build(options)
    assert not result.ok and any(d.path == "layouts/page.html" and d.line == 4 and "/other/p3/" in d.message
                                 for d in result.diagnostics.items), [d.format() for d in result.diagnostics.items]
    assert {"/other/p0/", "/other/new/"} <= seen, seen


def test_a_relative_layout_link_is_checked_from_each_page(make_site):
    """`../about/` leads somewhere else from each page: broken from one page is not broken from
    all, while an address with a host or a scheme is the same from every page."""
    layout = LAYOUT.replace('<p><a href="/missing/">Our plans</a></p>',
                            '<p><a href="../about/">About</a> <a href="https://www.gov.uk/">GOV.UK</a> '
                            '<a href="//www.gov.uk/x">x</a></p>')
    site = make_site({"layouts/page.html": layout, "content/about.md": page("About"), "content/x.md": page("X"),
                      "content/a/_index.md": page("A"), "content/a/y.md": page("Y"), "assets/crest.png": b"\x89PNG\r\n"})
    result = build(site)
    broken = [m for _, _, m in result.errors()]
    assert len(broken) == 1 and "`../about/` (on /a/y/)" in broken[0], broken


def test_which_links_lead_to_the_same_place_from_every_page():
    from policysite.layoutlinks import same_from_every_page

    assert all(same_from_every_page(link) for link in ("/about/", "https://www.gov.uk/", "//www.gov.uk/x",
                                                       "mailto:a@example.org"))
    assert not any(same_from_every_page(link) for link in ("notes/", "../up/", "notes.html", "?page=2"))


def test_links_in_finds_href_and_src_after_white_space_outside_the_body():
    from policysite.layoutlinks import links_in

    page_html = ('<a href="/a/"><img data-src="/no/" src=\'/b/\'>x<i>BODY <a href="/in-body/"> '
                 'href="/after/"</i><b\u00a0href="/q?x=1&amp;y=2">y<a href="/a/"><a href="#top"><a href="">')
    # White space just before the span after the body counts, as anywhere else; hrefs come before srcs.
    assert links_in(page_html, 'BODY <a href="/in-body/"> ') == ["/a/", "/after/", "/q?x=1&y=2", "/b/"]
    assert links_in('<a href="a src=\'/c/\'">', "") == ["a src='/c/'", "/c/"]
    assert links_in('href="/start/"', "") == []   # nothing before it: not an attribute


def test_a_plain_address_from_the_root_is_taken_as_it_is_with_the_answer_the_full_resolution_gives(monkeypatch):
    """output_path takes most links (a page's own address) as they are; for each kind of link, with
    each root and base URL, that gives what splitting, unquoting and normalising it gives."""
    import re

    from policysite import layoutlinks

    links = ["/", "/a/", "/a/b/", "/a/b", "/a/b.html", "/a/b.tar.gz", "/a-b/c_d/~e/", "/health/", "/health/a/",
             "/healthy/", "/a//b/", "/a/./b/", "/a/../b/", "/../a/", "/a/..b/", "/.well-known/x", "/a/%20b/",
             "/a/?q=1", "/a/#top", "/a/b/#", "//host/a/", "../a/", "a/", "./", "", "#x", "?x",
             "https://www.example.gov.uk/a/", "https://www.example.gov.uk/health/a/", "https://other.example/a/",
             "mailto:a@example.gov.uk", "/café/", "/a b/"]
    cases = [(root, base) for root in ("/", "/health/")
             for base in ("https://www.example.gov.uk/", f"https://www.example.gov.uk{root}", "/", "")]
    fast = [[layoutlinks.output_path(link, "/x/y/", root, base) for link in links] for root, base in cases]
    assert any(layoutlinks._PLAIN.match(link) for link in links)
    monkeypatch.setattr(layoutlinks, "_PLAIN", re.compile(r"(?!)"))   # every link the full way
    full = [[layoutlinks.output_path(link, "/x/y/", root, base) for link in links] for root, base in cases]
    for (root, base), got, wanted in zip(cases, fast, full, strict=True):
        assert got == wanted, (root, base, [(link, g, w) for link, g, w in zip(links, got, wanted, strict=True) if g != w])
