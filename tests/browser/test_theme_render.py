"""The theme's layouts rendered with hand-made contexts (no browser, no build).

The Jinja environment mirrors the generator's: autoescape, StrictUndefined,
trim/lstrip blocks, and the `url`, `absolute_url`, `date`, `iso` filters of the
design contract, with the site living under a base path (/health/).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from markupsafe import Markup

from policysite import publish
from policysite.status import PageStatus
from policysite.strings import Translator, strings_for
from policysite.templates import css_string

LAYOUTS = Path(__file__).resolve().parents[2] / "policysite" / "theme" / "layouts"
ROOT = "/health/"
BASE = "https://example.github.io/health/"
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]


@pytest.fixture(scope="module")
def env():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(LAYOUTS)), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["url"] = lambda u: ROOT + str(u).lstrip("/")
    env.filters["absolute_url"] = lambda u: BASE + str(u).lstrip("/")
    env.filters["date"] = lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    env.filters["iso"] = lambda d: d.isoformat()
    env.filters["css_string"] = css_string
    env.globals["t"] = Translator(strings_for("en-GB"))
    env.globals["strings"] = lambda *keys: Translator(strings_for("en-GB")).texts(*keys)
    env.filters["jsonld"] = lambda data: Markup(publish.script_json(data))
    return env


SITE = {
    "title": "Department of <Health>", "description": None, "base_url": BASE, "root": ROOT, "language": "en-GB",
    "organisations": {"doh": {"key": "doh", "name": "Department of Health", "url": "/organisations/doh/", "description": None}},
    "topics": {"hi": {"key": "hi", "name": "Health inequalities", "url": "/topics/hi/", "description": "Gaps in health."}},
    "governments": {}, "current_government": "x",
    "nav": [{"title": "Policy", "url": "/policy/", "external": False}, {"title": "News", "url": "/news/", "external": False}],
    "build_date": None,
    "brand": False, "stylesheet": "/assets/govuk/theme.css", "colour": None, "logo": None,
    "header_name": "Department of <Health>", "origin": "https://example.github.io",
    "footer": {"links": [{"title": None, "key": "atom_feed", "url": "/feed.xml", "external": False}],
               "licence": True, "owner": "Department of <Health>"},
}
HOME_CRUMB = {"title": "Home", "url": "/"}


def make_page(**fields):
    page = {
        "title": "Tackling <health> inequalities", "description": "A summary & more", "meta_description": "A summary & more",
        "url": "/policy/tackling/",
        "kind": "page", "type": "page", "type_label": "", "content": Markup("<p>Body text.</p>"),
        "date": None, "updated": None, "change_history": [], "organisations": [], "topics": [],
        "government": None, "history_banner": None, "withdrawn": None, "image": None,
        "breadcrumbs": [HOME_CRUMB, {"title": "Policy", "url": "/policy/"}], "toc": [], "related": [],
        "backlinks": [], "children": [], "feed_url": None, "status": PageStatus(),
    }
    page.update(fields)
    return page


def item(title, url, kind="page", date=None, type_label="Policy paper"):
    return {"title": title, "url": url, "description": f"About {title}.", "type": "policy", "type_label": type_label,
            "date": date, "updated": None, "kind": kind, "status": {}}


class Outline(HTMLParser):
    """Counts of tags, ids, and the text of the elements we care about."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.stack, self.text = [], [], [], {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        for tag in set(self.stack):
            self.text.setdefault(tag, []).append(data)

    def all(self, tag):
        return [attrs for name, attrs in self.tags if name == tag]


def render(env, layout, page, **extra):
    html = env.get_template(layout).render(site=SITE, page=page, **extra)
    outline = Outline()
    outline.feed(html)
    return html, outline


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


LISTING = [item("Health inequalities", "/policy/hi/", date=dt.date(2008, 11, 6)), item("NHS reform", "/policy/nhs/", kind="section")]
CASES = {
    "page.html": make_page(),
    "home.html": make_page(kind="home", url="/", breadcrumbs=[], title="Department of Health", children=LISTING),
    "section.html": make_page(kind="section", children=LISTING, feed_url="/policy/feed.xml"),
    "topic.html": make_page(kind="topic", url="/topics/hi/", children=LISTING, feed_url="/topics/hi/feed.xml"),
    "topics.html": make_page(kind="topics", url="/topics/"),
    "organisation.html": make_page(type="organisation", type_label="Organisation", children=LISTING),
    "search.html": make_page(kind="search", url="/search/"),
    "404.html": make_page(kind="404", url="/404.html", breadcrumbs=[HOME_CRUMB]),
}


@pytest.mark.parametrize("layout", sorted(CASES))
def test_every_layout_has_the_common_frame(env, layout):
    page = CASES[layout]
    html, outline = render(env, layout, page)
    assert html.startswith("<!DOCTYPE html>")
    assert outline.all("html")[0]["lang"] == "en-GB"
    title = "".join(outline.text["title"])
    if page["kind"] == "home":
        assert title == "Department of <Health>"
    else:
        assert title == "Tackling <health> inequalities - Department of <Health>"
    assert {"name": "description", "content": "A summary & more"} in outline.all("meta")
    assert '<link rel="stylesheet" href="/health/assets/govuk/theme.css">' in html
    links = outline.all("a")
    assert links[0] == {"class": "govuk-skip-link", "href": "#main-content"}
    assert outline.ids.count("main-content") == 1 and outline.all("main")[0]["id"] == "main-content"
    assert len(outline.all("h1")) == 1
    assert "<script>" not in html.replace('<script src="/health/assets/search.js" defer></script>', "")
    # the footer links only to what the site has: no accessibility statement here
    assert {"class": "govuk-footer__link", "href": "/health/feed.xml"} in links
    assert not any(a.get("href") == "/health/accessibility/" for a in links)
    # every id is unique
    assert len(outline.ids) == len(set(outline.ids)), outline.ids
    if layout != "404.html":
        assert f'<link rel="canonical" href="{BASE}{page["url"].lstrip("/")}">' in html


def test_breadcrumbs_follow_the_spec(env):
    html, _ = render(env, "page.html", CASES["page.html"])
    nav = re.search(r'<nav class="govuk-breadcrumbs" aria-label="Breadcrumb">\s*<ol class="govuk-breadcrumbs__list">(.*?)</ol>\s*</nav>', html, re.S)
    assert nav, html
    items = re.findall(r"<li[^>]*>.*?</li>", nav.group(1), re.S)
    assert items == [
        '<li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/health/">Home</a></li>',
        '<li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/health/policy/">Policy</a></li>',
        '<li class="govuk-breadcrumbs__list-item" aria-current="page">Tackling &lt;health&gt; inequalities</li>',
    ]
    home, _ = render(env, "home.html", CASES["home.html"])
    assert "Breadcrumb" not in home


def test_page_furniture(env):
    page = make_page(
        type="policy", type_label="Policy paper", date=dt.date(2008, 11, 6), updated=dt.date(2010, 3, 3),
        change_history=[{"date": dt.date(2010, 3, 3), "note": "Added <b>report</b>."}, {"date": dt.date(2008, 11, 6), "note": "First published."}],
        organisations=[{"key": "doh", "name": "Department of Health", "url": "/organisations/doh/"}, {"key": "ho", "name": "Home Office", "url": None}],
        topics=[SITE["topics"]["hi"]], history_banner="2005 to 2010 Labour government",
        withdrawn={"date": dt.date(2011, 1, 1), "explanation": "Replaced <now>."},
        status=PageStatus(withdrawn=True, withdrawn_on=dt.date(2011, 1, 1), withdrawn_explanation="Replaced <now>.",
                          earlier_government="2005 to 2010 Labour government"),
        image={"src": "/assets/images/chart.png", "alt": "A \"chart\"", "caption": "Life expectancy.", "credit": "ONS"},
        toc=[{"id": "background", "text": "Background"}, {"id": "next", "text": "What & next"}],
        related=[{"title": "Progress report", "url": "/policy/progress/", "description": "x"}],
        backlinks=[{"title": "Health", "url": "/health-topic/"}],
    )
    html, outline = render(env, "page.html", page)
    text = text_of(html)
    assert '<span class="govuk-caption-l">Policy paper</span>' in html
    assert html.index("govuk-caption-l") < html.index("<h1")
    assert "From: Department of Health and Home Office" in text
    assert '<a class="govuk-link" href="/health/organisations/doh/">Department of Health</a>' in html
    assert "Published 6 November 2008" in text
    assert "Last updated 3 March 2010" in text and '<a class="govuk-link" href="#full-history">' in html
    assert "This was published under the 2005 to 2010 Labour government" in text
    assert "This page was withdrawn on 1 January 2011" in text and "Replaced &lt;now&gt;." in html
    assert '<img src="/health/assets/images/chart.png" alt="A &#34;chart&#34;">' in html
    assert "Life expectancy. Credit: ONS" in text
    assert re.search(r'<nav class="app-contents-list" aria-labelledby="contents-title">\s*<h2[^>]*>Contents</h2>', html)
    # the contents list comes straight after the metadata and notices, before the lead image
    assert html.index("app-metadata") < html.index("app-contents-list") < html.index("app-lead-image")
    assert '<a href="#next">What &amp; next</a>' in html
    assert "Related content" in text and '<a class="govuk-link" href="/health/policy/progress/">Progress report</a>' in html
    assert "Pages that link here" in text and '<a class="govuk-link" href="/health/health-topic/">Health</a>' in html
    assert '<a class="govuk-link" href="/health/topics/hi/">Health inequalities</a>' in html
    assert 'id="full-history"' in html
    history = html[html.index('id="full-history"'):]
    assert history.index("3 March 2010") < history.index("6 November 2008")
    assert "Added &lt;b&gt;report&lt;/b&gt;." in history
    assert html.index('class="govspeak"') < html.index("app-sidebar") < html.index('id="full-history"')


def test_plain_page_has_no_empty_furniture(env):
    html, _ = render(env, "page.html", make_page())
    for marker in ("app-metadata", "govuk-notification-banner", "app-contents-list", "app-change-history", "app-sidebar", "app-lead-image", "govuk-caption-l"):
        assert f'class="{marker}' not in html, marker


def test_listings_show_title_label_date_description(env):
    for layout in ("section.html", "topic.html", "organisation.html"):
        html, _ = render(env, layout, CASES[layout])
        assert '<a class="document-list__link" href="/health/policy/hi/">Health inequalities</a>' in html, layout
        assert '<time datetime="2008-11-06">6 November 2008</time>' in html
        assert "Policy paper" in html and "About Health inequalities." in html
    html, _ = render(env, "section.html", CASES["section.html"])
    assert 'href="/health/policy/feed.xml"' in html


def test_home_lists_sections_and_pages(env):
    html, outline = render(env, "home.html", CASES["home.html"])
    assert re.search(r'<li class="app-card"><a href="/health/policy/nhs/">NHS reform</a>', html)
    assert '<a class="document-list__link" href="/health/policy/hi/">Health inequalities</a>' in html


def test_search_page_hooks(env):
    html, outline = render(env, "search.html", CASES["search.html"])
    form = outline.all("form")[0]
    assert form["role"] == "search" and form["action"] == "/health/search/" and form["method"] == "get"
    assert {"class": "govuk-label govuk-visually-hidden", "for": "search-input"} in outline.all("label")
    assert any(a.get("id") == "search-input" and a.get("name") == "q" for a in outline.all("input"))
    results = [a for _, a in outline.tags if a.get("id") == "search-results"][0]
    assert results["aria-live"] == "polite" and results["data-index-url"] == "/health/search-index.json"
    assert '<script src="/health/assets/search.js" defer></script>' in html
    assert '<a class="govuk-link" href="/health/topics/hi/">Health inequalities</a>' in html
    assert '<a class="govuk-link" href="/health/news/">News</a>' in html


def test_redirect_page(env):
    html = env.get_template("redirect.html").render(site=SITE, target={"title": "New <place>", "url": "/policy/new/"})
    assert '<meta http-equiv="refresh" content="0; url=/health/policy/new/">' in html
    assert f'<link rel="canonical" href="{BASE}policy/new/">' in html
    assert '<a class="govuk-link" href="/health/policy/new/">New &lt;place&gt;</a>' in html
    assert '<html lang="en-GB" class="govuk-template">' in html
