"""Site search in Chromium: typing finds pages with the full-text index
(fetching only the files the words need), the count is announced, the JSON
fallback works without the full-text index, and without JavaScript the page
offers lists to browse. Also under a sub-path base_url.

Uses the session's example site (see conftest.py); like every browser test it
skips when Chromium or Playwright is missing, and fails instead when CI is set.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .conftest import example_served

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
    assert item.locator(".document-list__meta").inner_text() == "Policy paper"
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
