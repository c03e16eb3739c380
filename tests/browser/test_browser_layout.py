"""Keyboard use, reflow at 320px, print styles and screenshots."""

from __future__ import annotations

YELLOW = "rgb(255, 221, 0)"


def test_tab_first_focuses_visible_skip_link_and_enter_moves_to_main(site, deep_page, page):
    page.goto(site.url(deep_page))
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const el = document.activeElement;
            const box = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            return {cls: el.className, href: el.getAttribute('href'), text: el.textContent.trim(),
                    width: box.width, height: box.height, top: box.top, left: box.left,
                    background: style.backgroundColor};
        }"""
    )
    assert "skip-link" in focused["cls"], focused
    assert focused["href"] == "#main-content"
    assert focused["text"] == "Skip to main content"
    assert focused["width"] > 100 and focused["height"] > 20, f"skip link not visible when focused: {focused}"
    assert focused["top"] >= 0 and focused["left"] >= 0, focused
    assert focused["background"] == YELLOW, focused
    page.keyboard.press("Enter")
    active = page.evaluate("() => [document.activeElement.tagName, document.activeElement.id]")
    assert active == ["MAIN", "main-content"], active
    # the next Tab continues inside the main content
    page.keyboard.press("Tab")
    inside = page.evaluate("() => !!document.activeElement.closest('#main-content')")
    assert inside


def test_focused_links_get_the_yellow_focus_style(site, deep_page, page):
    page.goto(site.url(deep_page))
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # site title in the header
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [document.activeElement.tagName, s.backgroundColor, s.boxShadow]; }"""
    )
    assert style[0] == "A"
    assert style[1] == YELLOW, style
    assert "rgb(11, 12, 12)" in style[2], style


def test_no_horizontal_scroll_at_320px(site, sample_pages, deep_page, page):
    page.set_viewport_size({"width": 320, "height": 640})
    problems = []
    for path in sorted(set(sample_pages) | {deep_page}):
        page.goto(site.url(path))
        result = page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                const wide = [];
                for (const el of document.querySelectorAll('body *')) {
                    const box = el.getBoundingClientRect();
                    if (box.width && box.right > width + 1) {
                        wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ` (right edge ${Math.round(box.right)}px)`);
                    }
                }
                return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
            }"""
        )
        if result["scroll"] > result["width"]:
            problems.append(f"{path}: page is {result['scroll']}px wide in a {result['width']}px viewport; too wide: {result['wide']}")
    assert not problems, "\n".join(problems)


def test_print_styles_hide_navigation(site, deep_page, page):
    page.goto(site.url(deep_page))
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """() => ['.skip-link', '.site-nav', '.site-footer__links'].map(sel => {
               const el = document.querySelector(sel);
               return el ? getComputedStyle(el).display : 'none';
           })"""
    )
    assert hidden == ["none", "none", "none"], hidden


def test_screenshots_of_deep_page(site, deep_page, sample_pages, browser, screenshots_dir):
    """Phone and desktop screenshots for people to look at (screenshots/, not committed)."""
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        tab = context.new_page()
        try:
            for path in [deep_page] + [p for p in sample_pages if p != deep_page]:
                tab.goto(site.url(path))
                name = "deep-page" if path == deep_page else (path.strip("/").replace("/", "_").replace(".html", "") or "home")
                target = screenshots_dir / f"{name}-{width}.png"
                tab.screenshot(path=str(target), full_page=True)
                assert target.stat().st_size > 0
        finally:
            context.close()
