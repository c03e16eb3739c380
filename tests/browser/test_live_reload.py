"""`serve` reloads an open tab when a page's Markdown changes.

Starts `python build.py serve SITE --port N` on a small site, opens a page in
Chromium (launched as tests/browser/conftest.py does: the system Chromium,
failing rather than skipping when it is missing and CI is set), edits the
page's title in its Markdown file and waits, bounded, for the open tab to show
the new <h1> without the test navigating: livereload reloaded it.
"""

from __future__ import annotations

import pytest
from serving import HANG, ServeProcess

WAIT_MS = 120_000   # bounds a hang only: every wait is for what the tab shows


def source(title: str) -> str:
    return f"---\ntitle: {title}\ndescription: A page to edit while it is open.\n---\n## Costs\n\nSome text.\n"


class Served(ServeProcess):
    """A served site, as tests/serving.py runs it, with the log livereload's requests left out."""

    @property
    def log(self) -> str:
        return "".join(line for line in self.lines if "wsgi:" not in line)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, text: str, timeout: float = HANG) -> None:
        self.wait_for_output(text, timeout)


@pytest.fixture
def served_site(tmp_path):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "site_config.yaml").write_text("title: Department of Reloading\nbase_url: https://www.example.gov.uk/\n")
    (site / "content" / "_index.md").write_text("---\ntitle: Home\n---\nWelcome.\n")
    (site / "content" / "plan.md").write_text(source("First title"))
    server = Served(site, "--verbose")   # livereload's own lines say when the tab's socket is open
    try:
        server.wait_for("Serving ")
        yield site, server
    finally:
        server.stop()


def wait_for_h1(tab, title: str, server: Served) -> None:
    try:
        tab.wait_for_function("t => { const h = document.querySelector('h1'); return h && h.textContent.trim() === t; }",
                              arg=title, timeout=WAIT_MS)
    except Exception as exc:  # playwright's TimeoutError: say what the tab shows instead
        shown = tab.evaluate("() => document.querySelector('h1') && document.querySelector('h1').textContent")
        pytest.fail(f"the open tab still shows {shown!r}, not {title!r}, after {WAIT_MS} ms ({exc.__class__.__name__})\n{server.log}")


def test_an_open_page_reloads_when_its_markdown_changes(page, served_site):
    site, server = served_site
    tab = page
    navigations = []
    tab.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == tab.main_frame else None)
    tab.goto(server.url("/plan/"))
    assert tab.locator("h1").inner_text().strip() == "First title"
    server.wait_for("Browser Connected")   # livereload.js has opened its socket
    (site / "content" / "plan.md").write_text(source("Second title"))
    wait_for_h1(tab, "Second title", server)
    # A second save soon after the first must show too (livereload alone ignores changes
    # within 3 s of its last reload).
    (site / "content" / "plan.md").write_text(source("Third title"))
    wait_for_h1(tab, "Third title", server)
    assert tab.url == server.url("/plan/")
    assert len(navigations) >= 3   # the first load and two reloads, none of them by the test


def test_a_broken_edit_shows_the_error_then_the_fixed_page(page, served_site):
    site, server = served_site
    tab = page
    tab.goto(server.url("/plan/"))
    server.wait_for("Browser Connected")
    (site / "content" / "plan.md").write_text(source("Broken") + "\nSee [](missing.md).\n")
    tab.wait_for_function("() => document.title.startsWith('Build failed')", timeout=WAIT_MS)
    assert "content/plan.md:9: error: broken link" in tab.locator("main").inner_text()
    (site / "content" / "plan.md").write_text(source("Mended"))
    wait_for_h1(tab, "Mended", server)


def test_a_tab_that_reconnects_after_a_save_was_told_reloads_for_it(page, served_site):
    """A tab connects to the reload socket only once its page has loaded its script. A save rebuilt
    meanwhile is told to the tabs connected then, not to it: its page says which build it came
    from, and the server tells it to reload once it connects. Here the script is held back until
    the second save's build has ended, as a slow machine would hold it."""
    site, server = served_site
    tab = page
    held, holding = [], [False]

    def script(route):
        if holding[0]:
            held.append(route)   # let through below, once the second save is built
        else:
            route.continue_()

    tab.route("**/livereload.js*", script)
    tab.goto(server.url("/plan/"))
    server.wait_for("Browser Connected")
    holding[0] = True
    (site / "content" / "plan.md").write_text(source("Second title"))
    wait_for_h1(tab, "Second title", server)
    builds = server.output.count("pages rendered")
    (site / "content" / "plan.md").write_text(source("Third title"))
    server.wait_for_output_count("pages rendered", builds + 1)
    assert tab.locator("h1").inner_text().strip() == "Second title" and held
    holding[0] = False
    for route in held:
        route.continue_()
    wait_for_h1(tab, "Third title", server)
