"""Publishing (issue 4): sitemap, robots.txt, 404, Atom feeds, aliases, canonical
links, Open Graph, JSON-LD and the search indexes, read back as XML and JSON."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import build_fails, build_ok, html_of, page, run

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://www.example.gov.uk/"

CONFIG = """\
title: Department of Testing
base_url: https://www.example.gov.uk/
organisations:
  department-of-testing:
    name: Department of Testing
  office-for-checks:
    name: Office for Checks
topics:
  health-inequalities:
    name: Health inequalities
  public-health:
    name: Public health
  empty-topic:
    name: Empty topic
"""


def publishing_site(make_site, **more):
    files = {
        "site_config.yaml": CONFIG,
        "content/_index.md": page("Home", "The home page."),
        "content/policy/_index.md": page("Policy", None),
        "content/policy/old.md": page("Old policy", extra="date: 2001-05-01\ntopics: [public-health]\norganisations: [office-for-checks]"),
        "content/policy/tackling.md": page(
            "Tackling inequalities", "How we narrow the gap.",
            extra="type: policy\ndate: 2008-03-14\nupdated: 2010-06-01\norganisations: [department-of-testing, office-for-checks]\n"
                  "topics: [health-inequalities, public-health]\naliases:\n  - /en/Policy/Tackling/\n  - /old-tackling.html\n"
                  "image:\n  src: /assets/chart.svg\n  alt: A chart"),
        "content/news/story.md": page("A news story", extra="type: news\ndate: 2009-01-02\ntopics: [health-inequalities]\norganisations: [department-of-testing]"),
        "content/about.md": page("About us"),  # no date: in the sitemap without lastmod, not in feeds
        "content/draft.md": page("Draft page", extra="draft: true\ndate: 2020-01-01"),
        "content/organisations/department-of-testing.md": page("Department of Testing", "Who we are.", extra="type: organisation"),
        "content/organisations/office-for-checks.md": page("Office for Checks", "The checkers.", extra="type: organisation\ndate: 2000-01-01"),
        "assets/chart.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    }
    files.update(more)
    return make_site(files)


@pytest.fixture
def out(make_site):
    return build_ok(publishing_site(make_site))


def pages_in(out) -> dict[str, object]:
    """URL path -> parsed HTML of every page the build wrote (redirects left out)."""
    found = {}
    for path in sorted(out.rglob("*.html")):
        rel = path.relative_to(out).as_posix()
        text = path.read_text(encoding="utf-8")
        if 'http-equiv="refresh"' in text:
            continue
        url = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        found[url] = html_of(out, rel)
    return found


# ---- sitemap, robots.txt, 404 ---------------------------------------------------

def sitemap_entries(out) -> dict[str, str | None]:
    root = ET.parse(out / "sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    entries = {}
    for url in root:
        assert url.tag == f"{SM}url"
        loc = url.find(f"{SM}loc").text
        assert loc not in entries, f"{loc} listed twice"
        lastmod = url.find(f"{SM}lastmod")
        entries[loc] = lastmod.text if lastmod is not None else None
    return entries


def test_sitemap_lists_every_published_page_but_404(out):
    entries = sitemap_entries(out)
    expected = {BASE + url.lstrip("/") for url in pages_in(out) if url != "/404.html"}
    assert set(entries) == expected
    assert BASE + "policy/tackling/" in entries and BASE + "topics/public-health/" in entries
    assert not any("draft" in loc or "404" in loc or "en/Policy" in loc or "old-tackling" in loc for loc in entries)


def test_sitemap_lastmod_from_updated_then_date(out):
    entries = sitemap_entries(out)
    assert entries[BASE + "policy/tackling/"] == "2010-06-01"     # updated wins over date
    assert entries[BASE + "policy/old/"] == "2001-05-01"          # date alone
    assert entries[BASE + "about/"] is None                       # neither: no lastmod
    # Listing pages change when what they list does: the newest of their pages.
    assert entries[BASE + "policy/"] == "2010-06-01"
    assert entries[BASE + "topics/health-inequalities/"] == "2010-06-01"
    assert entries[BASE + "topics/empty-topic/"] is None
    assert entries[BASE] == "2010-06-01"
    for lastmod in entries.values():
        assert lastmod is None or re.fullmatch(r"\d{4}-\d\d-\d\d", lastmod)


def test_robots_points_to_sitemap(out):
    robots = (out / "robots.txt").read_text()
    assert "User-agent: *" in robots
    assert "Sitemap: https://www.example.gov.uk/sitemap.xml" in robots.splitlines()


def test_404_page_is_not_indexed(out):
    doc = html_of(out, "404.html")
    assert doc.find("meta", name="robots").attrs["content"] == "noindex"
    assert doc.find("link", rel="canonical") is None
    assert doc.find("h1").text() == "Page not found"


# ---- Atom feeds -------------------------------------------------------------------

def parse_feed(out, rel):
    root = ET.parse(out / rel).getroot()
    assert root.tag == f"{ATOM}feed"
    return root


def check_atom(feed, self_url: str, alternate: str) -> list[dict]:
    """The feed-level elements RFC 4287 requires; the entries as dicts, in order."""
    assert feed.find(f"{ATOM}id").text == self_url
    assert feed.find(f"{ATOM}title").text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", feed.find(f"{ATOM}updated").text)
    links = {(link.get("rel"), link.get("href")) for link in feed.findall(f"{ATOM}link")}
    assert ("self", self_url) in links and ("alternate", alternate) in links
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "Department of Testing"
    entries = []
    for entry in feed.findall(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        item = {
            "id": entry.find(f"{ATOM}id").text, "title": entry.find(f"{ATOM}title").text,
            "updated": entry.find(f"{ATOM}updated").text, "link": (link.get("rel"), link.get("href")),
            "authors": [a.find(f"{ATOM}name").text for a in entry.findall(f"{ATOM}author")],
            "categories": [c.get("term") for c in entry.findall(f"{ATOM}category")],
        }
        assert item["id"] and item["title"] and item["updated"]
        assert item["link"] == ("alternate", item["id"])
        entries.append(item)
    updated = [e["updated"] for e in entries]
    assert updated == sorted(updated, reverse=True), "entries must be newest first"
    if entries:
        assert feed.find(f"{ATOM}updated").text == entries[0]["updated"]
    return entries


def test_site_feed(out):
    entries = check_atom(parse_feed(out, "feed.xml"), BASE + "feed.xml", BASE)
    assert [e["title"] for e in entries] == ["Tackling inequalities", "A news story", "Old policy", "Office for Checks"]
    tackling = entries[0]
    assert tackling["id"] == BASE + "policy/tackling/"
    assert tackling["updated"] == "2010-06-01T00:00:00Z"
    assert tackling["authors"] == ["Department of Testing", "Office for Checks"]
    assert tackling["categories"] == ["health-inequalities", "public-health"]
    feed = parse_feed(out, "feed.xml")
    summary = feed.find(f"{ATOM}entry/{ATOM}summary").text
    assert summary == "How we narrow the gap."
    assert feed.find(f"{ATOM}entry/{ATOM}published").text == "2008-03-14T00:00:00Z"


def test_topic_feeds_hold_that_topics_pages(out):
    entries = check_atom(parse_feed(out, "topics/health-inequalities/feed.xml"),
                         BASE + "topics/health-inequalities/feed.xml", BASE + "topics/health-inequalities/")
    assert [e["title"] for e in entries] == ["Tackling inequalities", "A news story"]
    entries = check_atom(parse_feed(out, "topics/public-health/feed.xml"),
                         BASE + "topics/public-health/feed.xml", BASE + "topics/public-health/")
    assert [e["title"] for e in entries] == ["Tackling inequalities", "Old policy"]
    empty = parse_feed(out, "topics/empty-topic/feed.xml")
    assert check_atom(empty, BASE + "topics/empty-topic/feed.xml", BASE + "topics/empty-topic/") == []
    assert empty.find(f"{ATOM}updated").text == "2010-06-01T00:00:00Z"   # the site's newest change, not the build time


def test_organisation_feeds_hold_that_organisations_pages(out):
    url = BASE + "organisations/office-for-checks/"
    entries = check_atom(parse_feed(out, "organisations/office-for-checks/feed.xml"), url + "feed.xml", url)
    assert [e["title"] for e in entries] == ["Tackling inequalities", "Old policy"]
    url = BASE + "organisations/department-of-testing/"
    entries = check_atom(parse_feed(out, "organisations/department-of-testing/feed.xml"), url + "feed.xml", url)
    assert [e["title"] for e in entries] == ["Tackling inequalities", "A news story"]


def test_feed_keeps_the_newest_fifty(make_site):
    files = {f"content/news/n{i:03d}.md": page(f"Story {i}", extra=f"date: {2000 + i // 12}-{i % 12 + 1:02d}-01") for i in range(60)}
    out = build_ok(make_site(files))
    entries = check_atom(parse_feed(out, "feed.xml"), BASE + "feed.xml", BASE)
    assert len(entries) == 50
    assert entries[0]["title"] == "Story 59" and entries[-1]["title"] == "Story 10"


def test_pages_link_their_feeds(out):
    for url, doc in pages_in(out).items():
        feeds = [link.attrs["href"] for link in doc.find_all("link", rel="alternate") if link.attrs.get("type") == "application/atom+xml"]
        assert feeds[0] == "/feed.xml", url
        if url.startswith("/topics/") and url != "/topics/":
            assert feeds[1:] == [url + "feed.xml"], url
        elif url.startswith("/organisations/") and url != "/organisations/":
            assert feeds[1:] == [url + "feed.xml"], url
            assert doc.find("p", class_="govuk-body app-feed-link").find("a").attrs["href"] == url + "feed.xml"
        else:
            assert feeds == ["/feed.xml"], url
        for href in feeds:
            assert (out / href.lstrip("/")).is_file()


def test_feed_text_is_escaped(make_site):
    site = make_site({"content/a.md": page("Fish & <chips>", "Less < more & \"quotes\"", extra="date: 2001-01-01")})
    feed = parse_feed(build_ok(site), "feed.xml")
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Fish & <chips>"
    assert entry.find(f"{ATOM}summary").text == "Less < more & \"quotes\""


def test_control_characters_pasted_into_front_matter_leave_the_feeds_and_sitemap_readable(make_site):
    # XML allows no control character but tab and line breaks, escaped or not: one would make a
    # feed reader refuse the whole feed. They are invisible, so they are left out of the XML.
    title = "Ctl \x01\x08 \x1b[31m end"
    site = make_site({"content/a.md": page(json.dumps(title), json.dumps("Desc \x0b nul"), extra="date: 2001-01-01")})
    r = run("build", site)
    assert r.code == 0, r.err
    # Each is named at its field's line, and left out of the page too.
    r.assert_has("content/a.md", 2, "warning", "control characters U+0001, U+0008, U+001B")
    r.assert_has("content/a.md", 3, "warning", "control character U+000B")
    out = site / "_site"
    entry = parse_feed(out, "feed.xml").find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Ctl [31m end"
    assert " ".join(entry.find(f"{ATOM}summary").text.split()) == "Desc nul"
    ET.parse(out / "sitemap.xml")


# ---- aliases ----------------------------------------------------------------------

def check_redirect(out, rel: str, target_path: str, target_url: str, title: str) -> None:
    doc = html_of(out, rel)
    assert doc.find("meta", http_equiv="refresh").attrs["content"] == f"0; url={target_path}"
    assert doc.find("link", rel="canonical").attrs["href"] == target_url
    assert doc.find("meta", name="robots").attrs["content"] == "noindex"
    links = doc.find("main").find_all("a")
    assert [(a.attrs["href"], a.text()) for a in links] == [(target_path, title)]


def test_alias_redirects_point_at_the_page(out):
    check_redirect(out, "en/Policy/Tackling/index.html", "/policy/tackling/", BASE + "policy/tackling/", "Tackling inequalities")
    check_redirect(out, "old-tackling.html", "/policy/tackling/", BASE + "policy/tackling/", "Tackling inequalities")


def test_alias_redirects_under_a_sub_path(make_site):
    out = build_ok(publishing_site(make_site), "--base-url", "https://example.github.io/health/")
    check_redirect(out, "en/Policy/Tackling/index.html", "/health/policy/tackling/",
                   "https://example.github.io/health/policy/tackling/", "Tackling inequalities")
    assert html_of(out, "en/Policy/Tackling/index.html").find("link", rel="stylesheet").attrs["href"] == "/health/assets/govuk/theme.css"


def fails(make_site, files, path, line, *words):
    return build_fails(make_site(files), path, line, *words)


def test_alias_colliding_with_a_page_names_both(make_site):
    fails(make_site, {
        "content/a.md": page("A", extra="aliases:\n  - /policy/b/"),
        "content/policy/b.md": page("B"),
    }, "content/a.md", 5, "/policy/b/", "content/policy/b.md")


def test_alias_colliding_with_another_alias_names_both(make_site):
    fails(make_site, {
        "content/a.md": page("A", extra="aliases:\n  - /old/"),
        "content/b.md": page("B", extra="aliases:\n  - /elsewhere/\n  - /OLD/"),
    }, "content/b.md", 6, "/OLD/", "content/a.md")


def test_alias_on_a_generated_page_is_an_error(make_site):
    fails(make_site, {"content/a.md": page("A", extra="aliases:\n  - /topics/public-health/")},
          "content/a.md", 5, "/topics/public-health/")


@pytest.mark.parametrize("alias, words", [
    ("/feed.xml/", ("feed.xml", "Atom feed")),
    ("/sitemap.xml/old.html", ("sitemap.xml", "sitemap")),
    ("/search/terms/", ("/search/", "search index")),
    ("/organisations/department-of-testing/feed.xml", ("feed.xml", "content/organisations/department-of-testing.md")),
])
def test_alias_in_the_way_of_a_generated_file(make_site, alias, words):
    fails(make_site, {
        "site_config.yaml": CONFIG,
        "content/organisations/department-of-testing.md": page("Department of Testing", extra="type: organisation"),
        "content/a.md": page("A", extra=f"aliases:\n  - {alias}"),
    }, "content/a.md", 5, *words)


def test_files_in_the_search_folder_are_an_error(make_site):
    # /search/ holds the search page and the full-text index (search/index.json, search/terms/…).
    fails(make_site, {"content/search/terms/he.json": "{}"}, "content/search/terms/he.json", 1, "/search/", "search index")


def test_page_moved_into_the_search_folder_is_an_error(make_site):
    fails(make_site, {"content/help.md": page("Help", extra="url: /search/help/")}, "content/help.md", 4, "/search/", "search index")


# ---- canonical, Open Graph, JSON-LD -----------------------------------------------

def meta_property(doc, name):
    found = doc.find("meta", property=name)
    return found.attrs["content"] if found is not None else None


def jsonld_of(doc) -> dict:
    scripts = doc.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    data = json.loads(scripts[0].text())
    assert data["@context"] == "https://schema.org"
    return {node["@type"]: node for node in data["@graph"]}


def test_every_page_has_canonical_open_graph_and_breadcrumbs_data(out):
    for url, doc in pages_in(out).items():
        if url == "/404.html":
            continue
        absolute = BASE + url.lstrip("/")
        assert doc.find("link", rel="canonical").attrs["href"] == absolute, url
        title = doc.find("h1").text().strip()
        assert meta_property(doc, "og:title") == title, url
        assert meta_property(doc, "og:url") == absolute, url
        assert meta_property(doc, "og:site_name") == "Department of Testing"
        assert meta_property(doc, "og:locale") == "en_GB"
        assert meta_property(doc, "og:description") == doc.find("meta", name="description").attrs["content"]
        assert meta_property(doc, "og:type") in ("article", "website")
        nodes = jsonld_of(doc)
        if url == "/":
            assert "BreadcrumbList" not in nodes
            continue
        items = nodes["BreadcrumbList"]["itemListElement"]
        assert [i["position"] for i in items] == list(range(1, len(items) + 1)), url
        assert items[0]["item"] == BASE and items[-1]["item"] == absolute and items[-1]["name"] == title
        crumbs = doc.find("nav", aria_label="Breadcrumb").find_all("a")
        assert [i["item"] for i in items[:-1]] == ["https://www.example.gov.uk" + a.attrs["href"] for a in crumbs]


def test_content_page_is_an_article(out):
    doc = html_of(out, "policy/tackling/index.html")
    assert meta_property(doc, "og:type") == "article"
    assert meta_property(doc, "og:image") == BASE + "assets/chart.svg"
    assert meta_property(doc, "og:image:alt") == "A chart"
    article = jsonld_of(doc)["Article"]
    assert article["headline"] == "Tackling inequalities"
    assert article["datePublished"] == "2008-03-14" and article["dateModified"] == "2010-06-01"
    assert article["url"] == BASE + "policy/tackling/"
    assert article["image"] == BASE + "assets/chart.svg"
    assert article["publisher"] == {"@type": "GovernmentOrganization", "name": "Department of Testing",
                                    "url": BASE + "organisations/department-of-testing/"}
    assert [a["name"] for a in article["author"]] == ["Department of Testing", "Office for Checks"]
    # No organisations: the site publishes it; no date: no dates claimed.
    about = jsonld_of(html_of(out, "about/index.html"))["Article"]
    assert about["publisher"] == {"@type": "GovernmentOrganization", "name": "Department of Testing", "url": BASE}
    assert "datePublished" not in about and "dateModified" not in about
    assert meta_property(html_of(out, "about/index.html"), "og:image") is None


def test_organisation_page_and_home_page(out):
    doc = html_of(out, "organisations/office-for-checks/index.html")
    assert meta_property(doc, "og:type") == "website"
    nodes = jsonld_of(doc)
    assert "Article" not in nodes
    assert nodes["GovernmentOrganization"] == {"@type": "GovernmentOrganization", "name": "Office for Checks",
                                               "url": BASE + "organisations/office-for-checks/", "description": "The checkers."}
    home = jsonld_of(html_of(out, "index.html"))
    site = home["WebSite"]
    assert site["name"] == "Department of Testing" and site["url"] == BASE
    assert site["potentialAction"]["target"] == BASE + "search/?q={search_term_string}"
    assert set(home) == {"WebSite"}
    assert set(jsonld_of(html_of(out, "topics/public-health/index.html"))) == {"BreadcrumbList", "CollectionPage"}


HOSTILE = '</script><script>alert("x")</script> & <!-- Tom\'s'


def test_jsonld_cannot_be_broken_out_of(make_site):
    site = make_site({
        "site_config.yaml": "title: '" + HOSTILE.replace("'", "''") + "'\nbase_url: https://www.example.gov.uk/\n",
        "content/_index.md": page("Home", "Home </SCRIPT> page"),
        "content/a.md": page(HOSTILE, f"About {HOSTILE}", extra="date: 2001-01-01"),
    })
    out = build_ok(site)
    for rel in ("index.html", "a/index.html"):
        html = (out / rel).read_text()
        start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
        body = html[start:html.index("</script>", start)]
        # Nothing that could end the element or open a comment: <, > and & are \u escapes.
        assert "<" not in body and ">" not in body and "&" not in body
        assert "\\u003c/script\\u003e" in body and "\\u0026" in body
        data = json.loads(body)
        names = json.dumps(data)
        assert json.dumps(HOSTILE)[1:-1] in names            # the exact title, after JSON decoding
        assert html.count("<script") == html.count("</script>")   # the title opened or closed none
    article = {n["@type"]: n for n in json.loads(re.search(r'ld\+json">(.*?)</script>', (out / "a/index.html").read_text()).group(1))["@graph"]}["Article"]
    assert article["headline"] == HOSTILE
    assert article["description"] == f"About {HOSTILE}"


def test_jsonld_filter_for_site_layouts(make_site):
    site = make_site({
        "layouts/page.html": '{% extends "theme/page.html" %}{% block head %}<script type="application/ld+json">{{ {"name": page.title}|jsonld }}</script>{% endblock %}',
        "content/a.md": page("</script><b>x</b>"),
    })
    out = build_ok(site)
    html = (out / "a/index.html").read_text()
    assert '<script type="application/ld+json">{"name":"\\u003c/script\\u003e\\u003cb\\u003ex\\u003c/b\\u003e"}</script>' in html


# ---- search indexes -----------------------------------------------------------------

def test_json_search_index(out):
    data = json.loads((out / "search-index.json").read_text())
    by_url = {p["url"]: p for p in data["pages"]}
    assert by_url["/policy/tackling/"] == {"title": "Tackling inequalities", "url": "/policy/tackling/",
                                           "description": "How we narrow the gap.", "type": "Policy paper",
                                           "topics": ["Health inequalities", "Public health"],
                                           "date": "2008-03-14", "updated": "2010-06-01"}
    assert "/404.html" not in by_url and "/search/" not in by_url


def test_full_text_index_is_built(out):
    # Its files are tested in test_search.py; here: it is there, and names every page but two.
    manifest = json.loads((out / "search" / "index.json").read_text())
    assert manifest["pages"] == len([u for u in pages_in(out) if u not in ("/search/", "/404.html")])


# The workflows (.github/workflows/ and the one `init` writes) are tested in test_workflows.py.
