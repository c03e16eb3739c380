"""Site search in Chromium: typing finds pages with the full-text index
(fetching only the files the words need), the count is announced, the JSON
fallback works without the full-text index, and without JavaScript the page
offers lists to browse. Also under a sub-path base_url.

Uses the session's example site (see conftest.py); like every browser test it
skips when Chromium or Playwright is missing, and fails instead when CI is set.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import pytest

from .conftest import REPO, _Handler, example_served

QUERY = "health inequalities"
TARGET = "/policy/health-inequalities/"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def type_query(page, text: str = QUERY) -> None:
    """Type like a person; wait until the results are those for the whole text, not a prefix."""
    box = page.locator("#search-input")
    box.click()
    box.press_sequentially(text, delay=40)
    page.wait_for_function("q => document.getElementById('search-results').textContent.includes('\u201c' + q + '\u201d')",
                           arg=text, timeout=120_000)
    page.wait_for_selector("#search-hits a.document-list__link", timeout=120_000)


def hit_links(page) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        "#search-hits a.document-list__link", "els => els.map(a => [a.textContent, a.getAttribute('href')])")


def test_typing_finds_the_page_and_announces_the_count(site, page):
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(site.url("/search/"))
    assert page.locator("form[role=search]").is_visible()
    type_query(page)
    assert ["Health inequalities", TARGET] in hit_links(page)
    # The live region holds only the count, so a screen reader hears one short sentence.
    status = page.locator("#search-results")
    assert status.get_attribute("aria-live") == "polite"
    page.wait_for_function("document.getElementById('search-results').textContent.includes('results for')")
    assert status.inner_text().startswith(tuple(f"{n} results for \u201c{QUERY}\u201d" for n in range(2, 100)))
    assert status.locator("a").count() == 0
    # Results came from the full-text index: its manifest, the term files of the two
    # words (he, in) and no other, and page files; the address keeps the query.
    paths = [urlsplit(url).path for url in fetched]
    assert "/search/index.json" in paths
    assert sorted({p for p in paths if p.startswith("/search/terms/")}) == ["/search/terms/he.json", "/search/terms/in.json"]
    assert any(p.startswith("/search/pages/") for p in paths)
    assert "/search-index.json" not in paths
    assert "q=health+inequalities" in page.url
    page.click(f"#search-hits a[href='{TARGET}']")
    page.wait_for_url(site.url(TARGET))
    assert page.locator("h1").inner_text() == "Health inequalities"


def test_full_text_finds_words_only_in_page_bodies(site, page):
    html = (site.root / TARGET.strip("/") / "index.html").read_text(encoding="utf-8")
    assert "spearhead" in html and "spearhead" not in html.split('id="main-content"')[0].lower()
    page.goto(site.url("/search/"))
    type_query(page, "spearhead")
    titles = [t for t, _ in hit_links(page)]
    assert "Health inequalities" in titles
    # Each result shows its type and description.
    item = page.locator(f"#search-hits li:has(a[href='{TARGET}'])")
    assert item.locator(".document-list__meta").inner_text().startswith("Policy paper")
    assert item.locator(".document-list__description").inner_text().startswith("Our strategy to narrow the gap")


def test_query_in_the_address_runs_on_load(site, page):
    page.goto(site.url("/search/?q=health+inequalities"))
    page.wait_for_selector("#search-hits a.document-list__link")
    assert page.locator("#search-input").input_value() == QUERY
    assert ["Health inequalities", TARGET] in hit_links(page)


def test_no_results_says_so_and_points_to_browsing(site, page):
    page.goto(site.url("/search/"))
    page.locator("#search-input").press_sequentially("zzqxjv", delay=20)
    page.wait_for_function("document.getElementById('search-results').textContent.includes('No results')")
    assert "browse by topic or section" in page.locator("#search-results").inner_text()
    assert page.locator("#search-hits li").count() == 0


def test_falls_back_to_the_json_index_without_the_full_text_index(site, page):
    # As under `serve`, which does not write search/index.json.
    page.route("**/search/index.json*", lambda route: route.fulfill(status=404, body="not found"))
    fetched = []
    page.on("request", lambda r: fetched.append(urlsplit(r.url).path))
    page.goto(site.url("/search/"))
    type_query(page)
    assert ["Health inequalities", TARGET] in hit_links(page)
    assert "results for" in page.locator("#search-results").inner_text()
    assert "/search-index.json" in fetched and not any(p.startswith("/search/terms/") for p in fetched)


def test_without_javascript_the_page_offers_browse_lists(site, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(site.url("/search/?q=health"))
        # A static site cannot answer the form, so it stays hidden; the lists are the way in.
        assert not tab.locator("form[role=search]").is_visible()
        assert tab.locator("noscript").count() == 1
        topics = tab.locator(".search-browse a[href='/topics/health-inequalities/']")
        assert topics.inner_text() == "Health inequalities"
        assert tab.locator(".search-browse a[href='/policy/']").count() == 1
        topics.click()
        tab.wait_for_url(site.url("/topics/health-inequalities/"))
        assert tab.locator(f"a[href='{TARGET}']").count() >= 1
    finally:
        context.close()


def test_search_results_pass_axe(site, page, axe_js):
    page.goto(site.url("/search/"))
    type_query(page)
    page.add_script_tag(path=str(axe_js))
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                      resultTypes: ['violations']})).violations""", WCAG_TAGS)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory):
    """The example site built for /health/ and served from a folder above it."""
    with example_served(tmp_path_factory.mktemp("subpath-served"), "health") as base_url:
        yield base_url


def test_search_under_a_sub_path(subpath_site, page):
    fetched = []
    page.on("request", lambda r: fetched.append(urlsplit(r.url).path))
    page.goto(subpath_site + "search/")
    type_query(page)
    assert ["Health inequalities", "/health" + TARGET] in hit_links(page)
    assert "/health/search/index.json" in fetched and "/health/search/terms/he.json" in fetched
    assert not any(p.startswith("/search/") for p in fetched)
    page.click(f"#search-hits a[href='/health{TARGET}']")
    page.wait_for_url(subpath_site + TARGET.lstrip("/"))
    assert page.locator("h1").inner_text() == "Health inequalities"
    # and with the JSON index as well
    page.route("**/search/index.json*", lambda route: route.abort())
    page.goto(subpath_site + "search/")
    type_query(page)
    assert ["Health inequalities", "/health" + TARGET] in hit_links(page)


# -- more than one page of results, and what each result says ------------------------

MANY = 27   # pages with the word "capybara": more than the 20 a search shows at first
CONFIG = """\
title: Department of Capybaras
base_url: http://127.0.0.1/
governments:
  old-government:
    name: 2005 to 2010 Old government
  new-government:
    name: 2024 New government
current_government: new-government
"""


def _write_many(root) -> None:
    (root / "content" / "many").mkdir(parents=True)
    (root / "site_config.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "content" / "_index.md").write_text("---\ntitle: Home\n---\nWelcome.\n", encoding="utf-8")
    (root / "content" / "many" / "_index.md").write_text("---\ntitle: Many pages\n---\nSome pages.\n", encoding="utf-8")
    for n in range(MANY):
        extra = ""
        if n == 0:   # ranked first: the word in its title
            extra = "type: news\ndate: 2010-02-01\nwithdrawn:\n  date: 2012-01-01\n  explanation: Out of date.\n"
        elif n == 1:
            extra = "type: speech\ndate: 2008-11-06\ngovernment: old-government\npolitical: true\n"
        title = "Capybara rules" if n == 0 else f"Page {n:02}"
        (root / "content" / "many" / f"p{n:02}.md").write_text(
            f"---\ntitle: {title}\ndescription: A page.\n{extra}---\n" + "Capybara. " * (n % 5 + 1) + "\n",
            encoding="utf-8")


@pytest.fixture(scope="module")
def many_site(tmp_path_factory):
    """A small site with MANY pages that share a word, built and served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("many-results")
    _write_many(root)
    yield from _built_and_served(root)


def _built_and_served(root):
    """Build the site in `root` for a local server, and yield its address while it serves."""
    out = root / "_site"
    out.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(out)))
    base_url = f"http://127.0.0.1:{server.server_port}/"
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    proc = subprocess.run([sys.executable, str(REPO / "build.py"), "build", str(root), "--base-url", base_url, "--quiet"],
                          env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        server.server_close()
        pytest.fail(f"building the test site failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()


def test_show_more_reaches_results_past_the_first_twenty(many_site, page):
    page.goto(many_site + "search/")
    type_query(page, "capybara")
    status = page.locator("#search-results")
    assert status.inner_text() == f"Showing 20 of {MANY} results for \u201ccapybara\u201d"
    assert len(hit_links(page)) == 20
    more = page.locator("#search-hits button.search-more")
    assert more.inner_text() == f"Show {MANY - 20} more results"
    # With the keyboard: the button is the next tab stop after the last result, and Enter presses it.
    page.locator("#search-hits a.document-list__link").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('search-more')")
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#search-hits a.document-list__link').length === {MANY}")
    links = hit_links(page)
    assert len({href for _, href in links}) == MANY
    # The count is announced again, focus moved to result 21, and the button went away.
    page.wait_for_function("document.getElementById('search-results').textContent.startsWith('27 results')")
    assert status.inner_text() == f"{MANY} results for \u201ccapybara\u201d"
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == links[20][1]
    assert more.count() == 0


def test_results_show_type_date_and_status(many_site, page, axe_js):
    page.goto(many_site + "search/?q=capybara")
    page.wait_for_selector("#search-hits a.document-list__link")
    withdrawn = page.locator("#search-hits li:has(a[href='/many/p00/']) .document-list__meta")
    assert withdrawn.inner_text() == "News story \u00b7 1 February 2010 \u00b7 Withdrawn"
    assert withdrawn.locator("time").get_attribute("datetime") == "2010-02-01"
    history = page.locator("#search-hits li:has(a[href='/many/p01/']) .document-list__meta")
    assert history.inner_text() == "Speech \u00b7 6 November 2008 \u00b7 Published under the 2005 to 2010 Old government"
    # The list with its "Show more" button passes axe as well.
    assert page.locator("#search-hits button.search-more").count() == 1
    page.add_script_tag(path=str(axe_js))
    violations = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                      resultTypes: ['violations']})).violations""", WCAG_TAGS)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_the_json_index_gives_date_and_status_too(many_site, page):
    # As under `serve`, where the small index (titles, descriptions, types, topics) answers.
    page.route("**/search/index.json*", lambda route: route.fulfill(status=404, body="not found"))
    page.goto(many_site + "search/")
    type_query(page, "capybara rules")
    withdrawn = page.locator("#search-hits li:has(a[href='/many/p00/']) .document-list__meta")
    assert withdrawn.inner_text() == "News story \u00b7 1 February 2010 \u00b7 Withdrawn"


@pytest.fixture(scope="module")
def welsh_site(tmp_path_factory):
    """A site in Welsh: search.js speaks the search page's language."""
    root = tmp_path_factory.mktemp("welsh-search")
    (root / "content").mkdir()
    (root / "site_config.yaml").write_text(CONFIG + "language: cy\n", encoding="utf-8")
    (root / "content" / "_index.md").write_text("---\ntitle: Hafan\n---\nCroeso.\n", encoding="utf-8")
    (root / "content" / "cyntaf.md").write_text(
        "---\ntitle: Capybara cyntaf\ndescription: Tudalen.\ndate: 2008-11-06\nupdated: 2009-01-02\n"
        "withdrawn:\n  date: 2012-01-01\n  explanation: Hen.\n---\nCapybara.\n", encoding="utf-8")
    (root / "content" / "ail.md").write_text("---\ntitle: Ail\ndescription: Tudalen.\n---\nCapybara.\n", encoding="utf-8")
    yield from _built_and_served(root)


def test_search_speaks_the_search_pages_language(welsh_site, page):
    page.goto(welsh_site + "search/")
    type_query(page, "capybara")
    assert page.locator("#search-results").inner_text() == "2 canlyniad ar gyfer \u201ccapybara\u201d"
    first = page.locator("#search-hits li:has(a[href='/cyntaf/']) .document-list__meta")
    assert first.inner_text() == "Diweddarwyd 2 Ionawr 2009 \u00b7 Wedi'i dynnu'n \u00f4l"
    box = page.locator("#search-input")
    box.fill("")
    box.press_sequentially("zzqxjv", delay=20)
    page.wait_for_function("document.getElementById('search-results').textContent.includes('Dim canlyniadau')")
    assert "porwch fesul pwnc" in page.locator("#search-results").inner_text()
