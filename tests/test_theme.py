"""The built-in theme on govuk-frontend, through the command line: its settings
(nav, theme, govuk_brand, footer, strings) and what readers meet in the pages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import DEFAULT_CONFIG, PNG_320, build, build_fails, build_ok, html_of, page, run

from policysite import templates


def front(*lines: str, body: str = "Body.\n") -> str:
    return "---\n" + "\n".join(lines) + "\n---\n" + body


WITHDRAWN = front("title: Old tool", "description: d", "type: guidance", "topics: [public-health]",
                  "withdrawn:", "  date: 2012-03-04", "  explanation: Replaced.")
OLD_GOVERNMENT = front("title: Old policy", "description: d", "type: policy", "topics: [public-health]",
                       "government: old-government", "political: true")


def section_index(title: str, weight: int | None = None) -> str:
    return front(f"title: {title}", *( [f"weight: {weight}"] if weight is not None else []))


# -- status (item 1) ---------------------------------------------------------

def test_status_in_title_and_every_listing(make_site):
    site = make_site({
        "content/s/_index.md": section_index("Section"),
        "content/s/old-tool.md": WITHDRAWN,
        "content/s/old-policy.md": OLD_GOVERNMENT,
        "content/s/current.md": front("title: Current", "description: d", "topics: [public-health]"),
    })
    out = build_ok(site)
    assert html_of(out, "s/old-tool/index.html").find("title").text() == "[Withdrawn] Old tool - Department of Testing"
    assert html_of(out, "s/current/index.html").find("title").text() == "Current - Department of Testing"
    for listing in ("s/index.html", "topics/public-health/index.html"):
        items = {li.find("a").text(): li.text() for li in html_of(out, listing).find_all("li", class_="document-list__item")}
        assert "Withdrawn" in items["Old tool"], listing
        assert "Published under the 2005 to 2010 Old government" in items["Old policy"], listing
        assert "Withdrawn" not in items["Current"] and "Published under" not in items["Current"], listing
    # Search keeps the facts, not the words: search.js words them from the search page's strings.
    pages = {p["url"]: p for p in json.loads((out / "search-index.json").read_text())["pages"]}
    assert pages["/s/old-tool/"]["status"] == {"withdrawn": True}
    assert pages["/s/old-policy/"]["status"] == {"government": "2005 to 2010 Old government"}
    assert "status" not in pages["/s/current/"]


def search_words(out) -> dict:
    """The words the search page gives search.js."""
    script = html_of(out, "search/index.html").find("script", id="search-words")
    assert script.attrs["type"] == "application/json"
    return json.loads(script.text())


def test_one_status_worded_by_the_strings_table_everywhere(make_site):
    """`strings: {withdrawn: BBB}` reaches the title's notice, listings and search; no index holds the English word."""
    site = make_site({
        "site_config.yaml": DEFAULT_CONFIG + "strings:\n  withdrawn: BBB\n  previous_government: Under {government}\n",
        "content/s/_index.md": section_index("Section"),
        "content/s/old-tool.md": WITHDRAWN,
        "content/s/old-policy.md": OLD_GOVERNMENT,
    })
    out = build_ok(site)
    assert html_of(out, "s/old-tool/index.html").find("h2", id="withdrawn-title").text() == "BBB"
    items = {li.find("a").text(): li.text() for li in html_of(out, "s/index.html").find_all("li", class_="document-list__item")}
    assert "BBB" in items["Old tool"] and "Under 2005 to 2010 Old government" in items["Old policy"]
    for index in [out / "search-index.json", *sorted((out / "search").rglob("*.json"))]:
        assert "Withdrawn" not in index.read_text(encoding="utf-8"), index
    manifest = json.loads((out / "search" / "index.json").read_text())
    assert {"withdrawn": True} in manifest["statuses"]
    words = search_words(out)
    assert words["withdrawn"] == "BBB" and words["previous_government"] == "Under {government}"


def test_the_search_page_gives_search_js_its_words_in_the_pages_language(make_site):
    out = build_ok(make_site({"site_config.yaml": DEFAULT_CONFIG.replace("language: en-GB", "language: cy")
                              if "language: en-GB" in DEFAULT_CONFIG else DEFAULT_CONFIG + "language: cy\n"}))
    words = search_words(out)
    assert words["search_results_many"] == "{count} canlyniad ar gyfer \u201c{query}\u201d"
    assert words["months"].split()[0] == "Ionawr"
    script = (out / "search" / "index.html").read_text()
    # JSON inside <script>: nothing in it can close the element.
    body = script.split('id="search-words">', 1)[1].split("</script>", 1)[0]
    assert "<" not in body


def test_search_js_shows_no_english_of_its_own():
    source = (templates.THEME / "assets" / "search.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    for words in ("Withdrawn", "Updated", "Show ", "more result", "results for", "No results", "not available", "January"):
        assert words not in code, words


# -- contents list before the lead image (item 2) ----------------------------

def test_contents_list_comes_straight_after_the_metadata(make_site):
    site = make_site({
        "assets/chart.png": PNG_320,
        "content/p.md": front("title: P", "description: d", "date: 2008-01-01",
                              "image:", "  src: /assets/chart.png", "  alt: A chart.",
                              body="## One\n\nText.\n\n## Two\n\nText.\n"),
    })
    html = (build_ok(site) / "p/index.html").read_text()
    assert html.index('class="app-metadata"') < html.index('class="app-contents-list"') < html.index('class="app-lead-image"')
    assert html.index('class="app-lead-image"') < html.index('class="govspeak"')


# -- sidebar (item 4) ----------------------------------------------------------

def test_pages_that_link_here_counts_only_content_page_bodies(make_site):
    site = make_site({
        "content/_index.md": front("title: Home", body="[](target.md)\n"),
        "content/s/_index.md": front("title: Section", body="[](../target.md)\n"),
        "content/org.md": front("title: Org", "description: d", "type: organisation", body="[](target.md)\n"),
        "content/target.md": front("title: Target", "description: d", "related: [a.md]"),
        "content/a.md": front("title: Alpha", "description: d", body="[](target.md)\n"),
        "content/b.md": front("title: Beta", "description: d", body="[](target.md) and [again](target.md)\n"),
    })
    doc = html_of(build_ok(site), "target/index.html")
    backlinks = doc.find("section", aria_labelledby="backlinks-title")
    assert [a.attrs["href"] for a in backlinks.find_all("a")] == ["/b/"]   # Alpha is already under Related content
    related = doc.find("section", aria_labelledby="related-title")
    assert [a.attrs["href"] for a in related.find_all("a")] == ["/a/"]


def test_sidebar_links_with_the_same_text_say_where_they_are(make_site):
    site = make_site({
        "content/x/_index.md": section_index("Ex"),
        "content/y/_index.md": section_index("Why"),
        "content/x/same.md": front("title: Same", "description: d", body="[](../target.md)\n"),
        "content/y/same.md": front("title: Same", "description: d", body="[](../target.md)\n"),
        "content/target.md": front("title: Target", "description: d"),
    })
    doc = html_of(build_ok(site), "target/index.html")
    texts = [li.text().strip() for li in doc.find("section", aria_labelledby="backlinks-title").find_all("li")]
    assert texts == ["Same (Ex)", "Same (Why)"]


def test_sidebar_comes_before_the_change_history(make_site):
    site = make_site({"content/p.md": front("title: P", "description: d", "topics: [public-health]",
                                            "date: 2008-01-01", "change_history:", "  - date: 2008-01-01", "    note: First.")})
    html = (build_ok(site) / "p/index.html").read_text()
    assert html.index('class="govspeak"') < html.index('class="app-sidebar"') < html.index('id="full-history"')


# -- print (item 5) ------------------------------------------------------------

def test_print_styles_write_every_body_link_as_a_full_address(make_site):
    site = make_site({"content/p.md": front("title: P", "description: d")})
    out = build_ok(site, "--base-url", "https://example.github.io/health/")
    html = (out / "p/index.html").read_text()
    assert '--ps-site-origin:"https://example.github.io"' in html
    assert '--ps-page-address:"https://example.github.io/health/p/"' in html
    css = (out / "assets/govuk/theme.css").read_text()
    assert re.search(r'\.govspeak a\[href\^="/"\]::after\{content:" \(" var\(--ps-site-origin\) attr\(href\) "\)"', css)
    assert re.search(r'\.govspeak a\[href\^="#"\]::after\{content:" \(" var\(--ps-page-address\) attr\(href\) "\)"', css)


# -- wording (item 6) --------------------------------------------------------------

def test_generated_wording_keeps_names_and_writes_sentences(make_site):
    site = make_site({
        "site_config.yaml": DEFAULT_CONFIG.replace("  public-health:\n    name: Public health\n", "  nhs:\n    name: NHS structure\n"),
        "content/_index.md": front("title: Home", body="Welcome.\n"),
        "content/about.md": front("title: About us", "description: d"),
        "content/news.md": front("title: A story", "description: d", "type: news"),
    })
    out = build_ok(site)
    topic = html_of(out, "topics/nhs/index.html")
    assert topic.find("meta", name="description").attrs["content"] == "Pages about NHS structure on the Department of Testing website."
    home = html_of(out, "index.html")
    listed = [a.text() for a in home.find_all("a", class_="document-list__link")]
    assert listed == ["A story"]   # not About us, Search or Topics
    search = (out / "search/index.html").read_text()
    search = search[search.index("<main"):search.index("</main>")]
    visible = re.sub(r'<span class="govuk-visually-hidden">[^<]*</span>|<label[^>]*>[^<]*</label>|<title>.*?</title>|'
                     r'<script[^>]*>.*?</script>|<[^>]+>', " ", search, flags=re.S)
    assert len(re.findall(r"\bSearch\b", visible)) == 1   # the heading only (the header has no link to the page itself)
    header = html_of(out, "search/index.html").find("header")
    assert "/search/" not in [a.attrs["href"] for a in header.find_all("a")]


# -- tables (item 8) -------------------------------------------------------------

def test_tables_are_not_a_tab_stop_until_they_overflow(make_site):
    site = make_site({"content/p.md": front("title: P", "description: d", body="| Metric | Total |\n| --- | --- |\n| a | 1 |\n")})
    out = build_ok(site)
    html = (out / "p/index.html").read_text()
    assert '<div class="table-wrapper"><table>' in html and "tabindex" not in html.split("<main")[1].split("</main>")[0].replace('tabindex="-1"', "")
    assert 'src="/assets/tables.js"' in html
    assert "tables.js" not in (out / "index.html").read_text()   # no table, no script
    css = (out / "assets/govuk/theme.css").read_text()
    assert not re.search(r"(td|th|table)[^{}]*\{[^}]*(overflow-wrap:anywhere|word-break:break-all)", css)
    assert re.search(r"\.govspeak th,\.govspeak td\{overflow-wrap:normal;word-break:normal", css)


# -- organisation layout (item 9) ---------------------------------------------------

def test_organisation_page_groups_its_pages_by_type_with_counts(make_site):
    site = make_site({
        "content/org.md": front("title: Department of Testing", "description: d", "type: organisation",
                                "date: 2008-01-01", "updated: 2009-01-01", body="We test.\n"),
        "content/p1.md": front("title: P1", "description: d", "type: policy", "organisations: [department-of-testing]"),
        "content/p2.md": front("title: P2", "description: d", "type: policy", "organisations: [department-of-testing]"),
        "content/n1.md": front("title: N1", "description: d", "type: news", "organisations: [department-of-testing]"),
    })
    site.joinpath("site_config.yaml").write_text(DEFAULT_CONFIG.replace(
        "    name: Department of Testing\n", "    name: Department of Testing\n    url: /org/\n", 1))
    doc = html_of(build_ok(site), "org/index.html")
    groups = [h.text() for h in doc.find_all("h3")]
    assert groups == ["News story (1)", "Policy paper (2)"]
    text = doc.text()
    assert "Last updated" not in text and "Full page history" not in text and "Contents" not in text


# -- footer (item 11) and 404 (item 13) --------------------------------------------

def test_footer_links_only_to_pages_that_exist(make_site):
    out = build_ok(make_site({"content/p.md": page("P")}))
    footer = html_of(out, "p/index.html").find("footer")
    assert [a.attrs["href"] for a in footer.find_all("a") if "nationalarchives" not in a.attrs["href"]] == ["/feed.xml"]
    out = build_ok(make_site({"content/accessibility.md": page("Accessibility statement")}))
    footer = html_of(out, "index.html").find("footer")
    assert "/accessibility/" in [a.attrs["href"] for a in footer.find_all("a")]


def test_footer_settings(make_site):
    config = DEFAULT_CONFIG + "footer:\n  links:\n    - about.md\n    - {title: Blog, url: https://blog.example.gov.uk/}\n  licence: false\n  owner: © Testing\n"
    out = build_ok(make_site({"site_config.yaml": config, "content/about.md": page("About us")}))
    footer = html_of(out, "index.html").find("footer")
    assert [(a.attrs["href"], a.text()) for a in footer.find_all("a")] == [("/about/", "About us"), ("https://blog.example.gov.uk/", "Blog")]
    assert "Open Government Licence" not in footer.text() and "© Testing" in footer.text()


def test_404_has_no_breadcrumbs(make_site):
    doc = html_of(build_ok(make_site()), "404.html")
    assert doc.find("nav", aria_label="Breadcrumb") is None


# -- nav (issue12 item 10) -------------------------------------------------------

def nav_links(out, rel="index.html"):
    nav = html_of(out, rel).find("nav", class_="govuk-service-navigation__wrapper")
    return [(a.attrs["href"], a.text().strip()) for a in nav.find_all("a")]


def test_without_nav_the_header_lists_sections_with_an_index_in_weight_order(make_site):
    out = build_ok(make_site({
        "content/b/_index.md": section_index("Bee", weight=2),
        "content/a/_index.md": section_index("Ay", weight=1),
        "content/no-index/x.md": page("X"),
        "content/about.md": page("About"),
    }))
    assert nav_links(out) == [("/a/", "Ay"), ("/b/", "Bee"), ("/search/", "Search")]


def test_nav_setting_orders_pages_and_links(make_site):
    config = DEFAULT_CONFIG + "nav:\n  - about.md\n  - s/_index.md\n  - {title: Blog, url: https://blog.example.gov.uk/}\n  - {title: Topics, url: /topics/}\n"
    out = build_ok(make_site({"site_config.yaml": config, "content/about.md": page("About us"),
                              "content/s/_index.md": section_index("Section")}))
    assert nav_links(out) == [("/about/", "About us"), ("/s/", "Section"), ("https://blog.example.gov.uk/", "Blog"),
                              ("/topics/", "Topics"), ("/search/", "Search")]
    assert nav_links(out, "s/index.html")[1] == ("/s/", "Section")


def active_nav(out, rel):
    nav = html_of(out, rel).find("nav", class_="govuk-service-navigation__wrapper")
    return [(a.attrs["href"], a.attrs.get("aria-current")) for a in nav.find_all("a") if a.attrs.get("aria-current")]


def nav_site(make_site, extra: dict | None = None):
    return make_site({
        "content/a/_index.md": section_index("Ay", weight=1),
        "content/a/one.md": page("One"), "content/a/two.md": page("Two"),
        "content/b/_index.md": section_index("Bee", weight=2),
        "content/b/three.md": page("Three"),
        **(extra or {}),
    })


def test_the_header_rendered_once_for_pages_alike_marks_each_page_s_own_section(make_site, monkeypatch):
    made = []
    real_init = templates.Templates.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(templates.Templates, "__init__", init)
    out = build_ok(nav_site(make_site), "-j", "1", "--no-cache")
    assert active_nav(out, "a/index.html") == [("/a/", "page")]
    assert active_nav(out, "a/one/index.html") == active_nav(out, "a/two/index.html") == [("/a/", "true")]
    assert active_nav(out, "b/three/index.html") == [("/b/", "true")]
    assert active_nav(out, "index.html") == active_nav(out, "search/index.html") == []
    assert "/search/" not in [href for href, _ in nav_links(out, "search/index.html")]
    # One header for each different thing it shows of a page, one footer for the whole site.
    shared = made[-1]._shared
    assert sum(1 for key in shared if key[0] == "_footer.html") == 1
    headers = [key for key in shared if key[0] == "_header.html"]
    assert 4 <= len(headers) < 10   # home and others, search, a/, a's pages, b/, b's pages …


def test_a_site_header_is_rendered_for_each_page(make_site):
    out = build_ok(nav_site(make_site, {"layouts/_header.html": "<header>{{ page.title }}</header>\n"}))
    assert "<header>One</header>" in (out / "a/one/index.html").read_text()
    assert "<header>Two</header>" in (out / "a/two/index.html").read_text()


def test_a_hook_changing_site_page_by_page_is_seen_in_every_header(make_site):
    hook = "def on_page_context(context, page):\n    context['site']['header_name'] = 'For ' + page.title\n    return context\n"
    out = build_ok(nav_site(make_site, {"site_config.yaml": DEFAULT_CONFIG + "hooks:\n  - hooks/name.py\n",
                                        "hooks/name.py": hook}))
    assert "<span>For One</span>" in (out / "a/one/index.html").read_text()
    assert "<span>For Two</span>" in (out / "a/two/index.html").read_text()


@pytest.mark.parametrize("item,line,words", [
    ("  - missing.md", 2, ("content/missing.md",)),
    ("  - {title: Gone, url: /gone/}", 2, ("/gone/",)),
    ("  - {title: Bad, url: http://insecure.example/}", 2, ("https",)),
    ("  - 12", 2, ("about.md",)),
])
def test_nav_items_are_checked_at_their_line(make_site, item, line, words):
    config = DEFAULT_CONFIG + "nav:\n" + item + "\n"
    config_lines = DEFAULT_CONFIG.count("\n")
    site = make_site({"site_config.yaml": config})
    build_fails(site, "site_config.yaml", config_lines + line, *words)


# -- theme, brand, strings -------------------------------------------------------

def test_theme_colour_and_logo(make_site):
    config = DEFAULT_CONFIG + "theme:\n  colour: \"#00703c\"\n  logo: assets/logo.svg\n  name: Testing\n"
    out = build_ok(make_site({"site_config.yaml": config, "assets/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}))
    html = (out / "index.html").read_text()
    assert "--govuk-brand-colour:#00703c;" in html
    assert '<img class="app-header__logo" src="/assets/logo.svg" alt="Testing">' in html


@pytest.mark.parametrize("setting,words", [
    ("  colour: \"#ffdd00\"", ("too light",)),
    ("  colour: blue", ("#1d70b8",)),
    ("  logo: assets/nope.svg", ("no file assets/nope.svg",)),
])
def test_theme_settings_are_checked(make_site, setting, words):
    site = make_site({"site_config.yaml": DEFAULT_CONFIG + "theme:\n" + setting + "\n"})
    build_fails(site, "site_config.yaml", DEFAULT_CONFIG.count("\n") + 2, *words)


def test_brand_is_off_by_default_and_on_with_govuk_brand(make_site):
    out = build_ok(make_site())
    html = (out / "index.html").read_text()
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    css = (out / "assets/govuk/theme.css").read_text()
    for text in (html, css):
        assert "GDS Transport" not in text and "crest" not in text and "crown" not in text.lower()
    assert not any("fonts/" in f or "brand/" in f for f in files)
    out = build_ok(make_site({"site_config.yaml": DEFAULT_CONFIG + "govuk_brand: true\n"}))
    html = (out / "index.html").read_text()
    css = (out / "assets/govuk/brand/theme.css").read_text()
    assert 'href="/assets/govuk/brand/theme.css"' in html and "govuk-footer__copyright-logo" in html
    assert "GDS Transport" in css and 'url("images/govuk-crest.svg")' in css
    assert (out / "assets/govuk/brand/images/govuk-crest.svg").is_file()
    for match in re.findall(r'url\("([^"]+)"\)', css):   # every file the CSS asks for is there
        assert (out / "assets/govuk/brand" / match).is_file(), match


def test_strings_replace_the_theme_words(make_site):
    config = DEFAULT_CONFIG + "strings:\n  published: First published\n  publishd: x\n"
    site = make_site({"site_config.yaml": config, "content/p.md": front("title: P", "description: d", "date: 2008-01-01")})
    r = run("build", site)
    assert r.code == 0
    r.assert_has("site_config.yaml", DEFAULT_CONFIG.count("\n") + 3, "warning", "publishd", "published")
    assert "<dt>First published</dt>" in (site / "_site/p/index.html").read_text()


def test_missing_compiled_assets_stop_the_build_with_the_command(make_site, monkeypatch, tmp_path):
    monkeypatch.setattr(templates, "COMPILED_CSS", tmp_path / "nowhere.css")
    site = make_site()
    r = build(site)
    assert r.code == 1
    r.assert_has("policysite/theme/assets/govuk/theme.css", 1, "error", "npm ci && npm run build:theme")
    r.assert_no_traceback()
    assert run("check", site).code == 0   # check writes nothing and needs no CSS


def test_long_listings_are_paginated(make_site):
    files = {"content/s/_index.md": front("title: Section", body="Introduction.\n")}
    for n in range(45):
        files[f"content/s/p{n:02}.md"] = front(f"title: Page {n:02}", "description: d", f"weight: {n}")
    out = build_ok(make_site(files))
    first, second, third = (html_of(out, rel) for rel in ("s/index.html", "s/page-2/index.html", "s/page-3/index.html"))
    titles = [[a.text() for a in doc.find_all("a", class_="document-list__link")] for doc in (first, second, third)]
    assert [len(t) for t in titles] == [20, 20, 5]
    assert titles[0][0] == "Page 00" and titles[1][0] == "Page 20" and titles[2][-1] == "Page 44"
    assert second.find("title").text() == "Section (page 2 of 3) - Department of Testing"
    nav = second.find("nav", class_="govuk-pagination")
    assert nav.find("a", rel="prev").attrs["href"] == "/s/" and nav.find("a", rel="next").attrs["href"] == "/s/page-3/"
    assert nav.find("a", aria_current="page").text() == "2"
    assert "Introduction." in first.text() and "Introduction." not in second.text()
    assert first.find("link", rel="canonical").attrs["href"] == "https://www.example.gov.uk/s/"
    assert second.find("link", rel="canonical").attrs["href"] == "https://www.example.gov.uk/s/page-2/"
    assert not (out / "s/page-4").exists()
    short = build_ok(make_site({"content/t/_index.md": section_index("T"), "content/t/a.md": page("A")}))
    assert html_of(short, "t/index.html").find("nav", class_="govuk-pagination") is None


def test_a_long_listing_is_worked_out_once_however_many_pages_it_takes(make_site, monkeypatch):
    """An organisation's listing is made for it from every page it tags, and its page count from
    that. Made again for each page of the listing (its count, its context), they cost the square
    of its length: how often a build asks for them must not grow with the listing's pages."""
    from policysite.site import Site

    made: list[str] = []    # lists made (Site._listing)
    asked: list[str] = []   # lists asked for (Site.listing): the page count's own, unless it is kept
    listing, make = Site.listing, Site._listing
    monkeypatch.setattr(Site, "listing", lambda self, page: asked.append(page.url) or listing(self, page))
    monkeypatch.setattr(Site, "_listing", lambda self, page: made.append(page.url) or make(self, page))
    org = "/organisations/department-of-testing/"

    def build_tagged(count: int) -> tuple[int, int]:
        made.clear()
        asked.clear()
        files = {"content/organisations/department-of-testing.md": page("Department of Testing", extra="type: organisation")}
        for n in range(count):
            files[f"content/policy/p{n:03}.md"] = page(f"Policy {n:03}", extra=f"date: 2020-01-{n % 28 + 1:02}\n"
                                                                           "organisations:\n  - department-of-testing\n")
        out = build_ok(make_site(files), "--jobs", "1")
        pages = -(-count // 20)
        assert (out / f"organisations/department-of-testing/page-{pages}/index.html").is_file()
        assert not (out / f"organisations/department-of-testing/page-{pages + 1}").exists()
        return made.count(org), asked.count(org)

    made_short, asked_short = build_tagged(45)    # 3 pages
    made_long, asked_long = build_tagged(205)     # 11 pages
    assert made_short == made_long == 1
    assert asked_short == asked_long


def test_a_long_listing_links_the_first_last_and_nearby_pages_with_ellipses(make_site):
    """Each page of a 10-page listing links pages 1, 10, itself and its neighbours; a longer gap is an ellipsis."""
    files = {"content/s/_index.md": front("title: Section", body="Introduction.\n")}
    for n in range(200):
        files[f"content/s/p{n:03}.md"] = front(f"title: Page {n:03}", "description: d", f"weight: {n}")
    out = build_ok(make_site(files))

    def numbers(rel: str) -> list[str]:
        nav = html_of(out, rel).find("nav", class_="govuk-pagination")
        return [li.text().strip() for li in nav.find_all("li")]

    assert numbers("s/index.html") == ["1", "2", "\u22ef", "10"]
    assert numbers("s/page-3/index.html") == ["1", "2", "3", "4", "\u22ef", "10"]
    assert numbers("s/page-5/index.html") == ["1", "\u22ef", "4", "5", "6", "\u22ef", "10"]
    assert numbers("s/page-10/index.html") == ["1", "\u22ef", "9", "10"]
    nav = html_of(out, "s/page-5/index.html").find("nav", class_="govuk-pagination")
    assert nav.find("a", aria_current="page").text() == "5"
    assert [a.attrs["href"] for a in nav.find("ul").find_all("a")] == [
        "/s/", "/s/page-4/", "/s/page-5/", "/s/page-6/", "/s/page-10/"]


def test_status_of_a_page_edge_cases():
    """One function decides: an unlisted government key names no government; the current one is no status."""
    from types import SimpleNamespace

    from policysite.model import Page
    from policysite.status import CURRENT, status_of
    config = SimpleNamespace(current_government="new", governments={"old": SimpleNamespace(name="Old government"),
                                                                    "new": SimpleNamespace(name="New government")})
    def status(**fields):
        return status_of(Page(kind="page", fields=fields), config)
    assert status(government="gone", political=True) == CURRENT and not status(government="gone", political=True)
    assert status(government="new", political=True) == CURRENT
    assert status(government="old") == CURRENT                      # not political: no banner
    old = status(government="old", political=True)
    assert old.earlier_government == "Old government" and old.search_data() == {"government": "Old government"}
    gone = status(withdrawn={"date": dt.date(2012, 1, 1), "explanation": "Replaced."})
    assert (gone.withdrawn, gone.withdrawn_on, gone.withdrawn_explanation) == (True, dt.date(2012, 1, 1), "Replaced.")
    assert gone.search_key() == '{"withdrawn":true}'
