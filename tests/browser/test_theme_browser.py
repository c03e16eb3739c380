"""The theme in Chromium: order on narrow screens, tables that scroll, the footer on short pages."""

from __future__ import annotations

YELLOW = "rgb(255, 221, 0)"
POLICY = "/policy/health-inequalities/"
TABLE_PAGE = "/publications/health-inequalities-update-2006-08/"


def tops(page, *selectors):
    return page.evaluate(
        "(sels) => sels.map(s => document.querySelector(s).getBoundingClientRect().top + window.scrollY)",
        list(selectors))


def test_on_a_phone_the_sidebar_comes_before_the_change_history(site, page):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(site.url(POLICY))
    contents, image, body, sidebar, history = tops(
        page, ".app-contents-list", ".app-lead-image", ".govspeak", ".app-sidebar", "#full-history")
    assert contents < image < body < sidebar < history


def test_on_a_wide_screen_the_sidebar_sits_beside_the_text(site, page):
    page.goto(site.url(POLICY))
    boxes = page.evaluate("""() => ['.app-page-layout__main', '.app-sidebar'].map(s => {
        const b = document.querySelector(s).getBoundingClientRect(); return [b.left, b.right, b.top]; })""")
    (main_left, main_right, main_top), (side_left, _, side_top) = boxes
    assert side_left >= main_right and abs(side_top - main_top) < 40
    heading = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.app-sidebar__heading')).fontSize)")
    assert heading <= 19.5   # GOV.UK's small heading, not 24px


def test_a_table_is_a_tab_stop_only_when_it_overflows(site, page):
    page.goto(site.url(TABLE_PAGE))
    page.wait_for_load_state("load")
    wrapper = page.locator(".table-wrapper").first
    assert wrapper.get_attribute("tabindex") is None and wrapper.get_attribute("role") is None
    # make it too wide, as a long table on a phone is, and let the script look again
    page.evaluate("""() => { const cell = document.querySelector('.table-wrapper td');
        cell.style.whiteSpace = 'nowrap'; cell.textContent = 'wide '.repeat(200); }""")
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_function("() => document.querySelector('.table-wrapper').getAttribute('tabindex') === '0'")
    assert wrapper.get_attribute("role") == "region"
    assert wrapper.get_attribute("aria-label").endswith("(scrolls sideways)")
    wrapper.focus()
    colours = page.evaluate("""() => { const w = document.querySelector('.table-wrapper');
        return [getComputedStyle(w).backgroundColor, getComputedStyle(w.querySelector('table')).backgroundColor,
                getComputedStyle(w).outlineColor]; }""")
    assert YELLOW not in colours[:2], colours   # the table does not turn yellow
    assert colours[2] == YELLOW, colours        # but the focus shows


def test_words_in_table_cells_are_never_broken(site, page):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(site.url(TABLE_PAGE))
    wrap = page.evaluate("""() => [...document.querySelectorAll('.govspeak td, .govspeak th')].map(c => {
        const s = getComputedStyle(c); return s.overflowWrap + ' ' + s.wordBreak; })""")
    assert wrap and all(w == "normal normal" for w in wrap), wrap


def test_the_footer_reaches_the_bottom_of_a_short_page(site, page):
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(site.url("/404.html"))
    bottom = page.evaluate("() => document.querySelector('footer').getBoundingClientRect().bottom")
    assert abs(bottom - 1400) < 2, bottom
    assert page.locator("nav[aria-label=Breadcrumb]").count() == 0
