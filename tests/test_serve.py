"""`serve`: the dev server builds, serves only the output folder, shows build errors, and recovers.

Fast checks drive serve.DevSite as a WSGI app with a fake environ (PATH_INFO as
a WSGI server gives it: percent-decoded once, as latin-1 text). A few tests
start `python build.py serve SITE --port N` as a subprocess; every wait is
bounded and the process is always killed.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from conftest import page, run_subprocess, write_files
from serving import ServeProcess

from policysite.serve import DevSite, is_loopback

SECRET = "SECRET-7f3a91-not-for-the-web"
CONFIG = f"""\
# {SECRET}
title: Department of Serving
base_url: https://www.example.gov.uk/
"""
SITE = {
    "site_config.yaml": CONFIG,
    "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
    "content/policy/_index.md": "---\ntitle: Policy\n---\nPolicy pages.\n",
    "content/policy/plan.md": page("The plan", body=f"## Costs\n\nSee [the report](files/report.pdf).\n\n<!-- {SECRET} -->\n"),
    "content/policy/files/report.pdf": b"%PDF-1.4 " + SECRET.encode(),
    "content/other.md": page("Other page", body="Back to [](policy/plan.md#costs).\n"),
    "content/files/rapport-\u00e9t\u00e9.pdf": b"%PDF-1.4 accents",
}
TRAVERSALS = [
    "/../site_config.yaml",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2fetc%2fpasswd",
    "/%2e%2e%2fsite_config.yaml",
    "//etc/passwd",
    "/assets/../../content/other.md",
    "/assets/..%2f..%2fcontent%2fother.md",
    "/policy/../../site_config.yaml",
    "/%252e%252e/site_config.yaml",
    "/..\\site_config.yaml",
    "/%5c..%5csite_config.yaml",
    "/policy/plan/index.html%00.md",
    "/policy/%00/",
]


def make(tmp_path: Path, files: dict | None = None) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    write_files(site, {**SITE, **(files or {})})
    return site


def environ_path(raw: str) -> str:
    """PATH_INFO for a request line path, as a WSGI server passes it."""
    return unquote_to_bytes(raw.split("?")[0]).decode("latin-1")


def call(app: DevSite, raw: str, host: str = "127.0.0.1:8000"):
    got = {}

    def start_response(status, headers, exc_info=None):
        got["status"], got["headers"] = int(status.split()[0]), dict(headers)

    environ = {"PATH_INFO": environ_path(raw), "REQUEST_METHOD": "GET", "QUERY_STRING": "", "HTTP_HOST": host}
    body = b"".join(app(environ, start_response))
    return got["status"], got["headers"], body


def built_dev_site(tmp_path, host: str = "127.0.0.1") -> DevSite:
    """The test site, built once, served as `serve --host HOST` would serve it."""
    site = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    app = DevSite(site, host, 8000, drafts=False, output=out)
    assert app.rebuild(), app.problems
    return app


@pytest.fixture
def dev(tmp_path):
    return built_dev_site(tmp_path)


# -- DevSite, in process ---------------------------------------------------------

def test_pages_files_and_redirects(dev):
    status, headers, body = call(dev, "/policy/plan/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<h1" in body and b"The plan" in body
    status, headers, body = call(dev, "/policy/files/report.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    status, headers, _ = call(dev, "/policy/plan")
    assert status == 301 and headers["Location"] == "/policy/plan/"
    status, _, body = call(dev, "/files/rapport-%C3%A9t%C3%A9.pdf")   # non-ASCII file names as browsers send them
    assert (status, body) == (200, b"%PDF-1.4 accents")
    status, _, body = call(dev, "/no/such/page/")
    assert status == 404 and b"Page not found" in body


@pytest.mark.parametrize("raw", TRAVERSALS)
def test_requests_outside_the_output_folder_are_not_found(dev, raw):
    assert dev.locate(environ_path(raw)) is None
    status, _, body = call(dev, raw)
    assert status == 404
    assert SECRET.encode() not in body and b"root:" not in body


def test_links_in_the_output_folder_that_leave_it_are_not_followed(dev, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text(f"<p>{SECRET}</p>")
    (outside / "secret.txt").write_text(SECRET)
    (dev.output / "leak").symlink_to(outside, target_is_directory=True)
    (dev.output / "policy" / "secret.txt").symlink_to(outside / "secret.txt")
    (dev.output / "passwd").symlink_to("/etc/passwd")
    for raw in ("/leak/", "/leak/index.html", "/leak/secret.txt", "/policy/secret.txt", "/passwd", "/leak"):
        assert dev.locate(environ_path(raw)) is None, raw
        status, _, body = call(dev, raw)
        assert status == 404 and SECRET.encode() not in body and b"root:" not in body, raw
    # The next build clears them away without following them.
    assert dev.rebuild()
    assert not any(p.is_symlink() for p in dev.output.rglob("*"))
    assert (outside / "secret.txt").read_text() == SECRET


def test_no_folder_listings(dev):
    assert not (dev.output / "assets" / "index.html").exists()
    not_found = call(dev, "/no-such-page/")
    for raw in ("/assets/", "/assets", "/policy/files/", "/policy/files", "/files/"):
        assert call(dev, raw) == not_found, raw   # the site's 404 page, not a listing
    assert b"report.pdf" not in not_found[2]


def test_a_redirect_never_leaves_the_site(dev):
    status, headers, _ = call(dev, "//policy")
    assert status == 301 and headers["Location"] == "/policy/"


def test_a_broken_edit_shows_the_error_with_its_line_and_a_fix_brings_the_page_back(dev):
    write_files(dev.site_dir, {"content/other.md": page("Other page", body="Intro.\n\nBack to [](policy/nope.md).\n")})
    assert not dev.rebuild()
    status, headers, body = call(dev, "/other/")
    assert status == 500 and headers.get("Cache-Control") == "no-store"
    assert b"content/other.md:7: error: broken link" in body
    assert call(dev, "/assets/govuk/theme.css")[0] == 200   # files still come from the last good build
    write_files(dev.site_dir, {"content/other.md": page("Other page", body="Fixed.\n")})
    assert dev.rebuild()
    status, _, body = call(dev, "/other/")
    assert status == 200 and b"Fixed." in body


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LocalHost", "docs.localhost:8000"])
def test_requests_to_this_machine_are_answered(dev, host):
    assert call(dev, "/policy/plan/", host=host)[0] == 200


@pytest.mark.parametrize("host", ["attacker.example:8000", "attacker.example", "localhost.attacker.example:8000",
                                  "127.0.0.1.attacker.example", ""])
def test_requests_to_another_name_are_refused(dev, host):
    # A page on the web can point a name of its own at 127.0.0.1 and read what this serves (DNS rebinding).
    status, _, body = call(dev, "/policy/plan/", host=host)
    assert status == 403 and b"The plan" not in body
    assert call(dev, "/policy/files/report.pdf", host=host)[0] == 403


def test_a_server_listening_beyond_this_machine_answers_any_name(tmp_path):
    assert call(built_dev_site(tmp_path, "0.0.0.0"), "/policy/plan/", host="laptop.example:8000")[0] == 200


def test_the_error_page_escapes_what_it_shows():
    from policysite.serve import error_page
    html = error_page(["content/a.md:1: error: <script>alert(1)</script>"])
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_is_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.2")


# -- the command, as a subprocess ------------------------------------------------


@pytest.fixture
def serving(tmp_path):
    started = []

    def start(site: Path, *extra: str) -> ServeProcess:
        process = ServeProcess(site, *extra)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def test_serve_injects_live_reload_shows_errors_and_recovers(tmp_path, serving):
    site = make(tmp_path)
    server = serving(site)
    status, headers, body = server.wait_until("/policy/plan/", lambda s, b: s == 200)
    assert b"livereload.js" in body and b"The plan" in body
    # A broken link: the page shows the problem at its file and line; the server keeps running.
    write_files(site, {"content/policy/plan.md": page("The plan", body="## Costs\n\nSee [](missing.md).\n")})
    status, _, body = server.wait_until("/policy/plan/", lambda s, b: s == 500)
    assert b"content/policy/plan.md:7: error: broken link" in body and b"livereload.js" in body
    write_files(site, {"content/policy/plan.md": page("The plan, fixed", body="## Costs\n\nNone.\n")})
    server.wait_until("/policy/plan/", lambda s, b: s == 200 and b"The plan, fixed" in b)
    # A YAML syntax error in front matter.
    write_files(site, {"content/other.md": "---\ntitle: Other page\ndescription: [unclosed\n---\nBody.\n"})
    status, _, body = server.wait_until("/other/", lambda s, b: s == 500)
    assert b"content/other.md:" in body
    write_files(site, {"content/other.md": page("Other page again")})
    server.wait_until("/other/", lambda s, b: s == 200 and b"Other page again" in b)
    # No site_config.yaml, then back.
    (site / "site_config.yaml").unlink()
    status, _, body = server.wait_until("/", lambda s, b: s == 500)
    assert b"site_config.yaml:1: error:" in body
    write_files(site, {"site_config.yaml": CONFIG.replace("Department of Serving", "Department of Serving Again")})
    server.wait_until("/", lambda s, b: s == 200 and b"Department of Serving Again" in b)
    assert server.proc.poll() is None


def test_serve_rebuilds_a_body_edit_quickly_and_anything_else_fully(tmp_path, serving):
    site = make(tmp_path)
    server = serving(site)
    server.wait_until("/policy/plan/", lambda s, b: s == 200)
    write_files(site, {"content/policy/plan.md": page("The plan", body="## Costs\n\nA new sentence.\n")})
    server.wait_until("/policy/plan/", lambda s, b: s == 200 and b"A new sentence." in b)
    server.wait_for_output("pages rendered (only the edited pages)")
    quick_lines = server.output.count("(only the edited pages)")
    write_files(site, {"content/policy/plan.md": page("The plan, renamed", body="## Costs\n\nA new sentence.\n")})
    server.wait_until("/other/", lambda s, b: s == 200 and b"The plan, renamed" in b)   # its link text there
    assert server.output.count("(only the edited pages)") == quick_lines


def test_serve_never_leaks_files(tmp_path, serving):
    site = make(tmp_path)
    server = serving(site)
    server.wait_until("/", lambda s, b: s == 200)
    status, _, not_found = server.get("/no-such-page/")
    assert status == 404
    for raw in TRAVERSALS + ["/assets/", "/policy/files/", "/site_config.yaml", "/content/other.md"]:
        status, _, body = server.get(raw)
        assert status in (400, 404), (raw, status)
        assert SECRET.encode() not in body and b"root:" not in body, raw
    for line in (b"GET /a\x00/../../site_config.yaml HTTP/1.1", b"GET /../../etc/passwd HTTP/1.1",
                 b"GET ../site_config.yaml HTTP/1.1", b"GET http://127.0.0.1/../site_config.yaml HTTP/1.1"):
        response = server.raw(line)
        status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else None
        assert status is None or status >= 400, (line, response[:200])
        assert SECRET.encode() not in response and b"root:" not in response, line
    assert server.get("/policy/files/report.pdf")[0] == 200   # the attachment itself is published
    refused = server.raw(b"GET /policy/files/report.pdf HTTP/1.1", host=b"attacker.example:%d" % server.port)
    assert refused.startswith(b"HTTP/1.1 403") and b"%PDF" not in refused, refused[:200]


def _listening(port: int) -> list[str]:
    """Local addresses listening on `port`, from /proc/net/tcp and tcp6."""
    found = []
    for name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":   # 0A: LISTEN
                found.append(f"{name}:{address}")
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_serve_listens_on_loopback_only_by_default(tmp_path, serving):
    server = serving(make(tmp_path))
    server.wait_until("/", lambda s, b: s == 200)
    # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex.
    assert _listening(server.port) == ["tcp:0100007F"], _listening(server.port)


def test_serve_on_a_port_in_use_says_so_and_nothing_else(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        r = run_subprocess("serve", make(tmp_path), "--port", str(port), timeout=120)
    assert r.code == 2, r.err
    assert f"cannot listen on 127.0.0.1:{port}" in r.err and "try another --port" in r.err
    assert "Serving" not in r.err + r.out


def test_serve_warns_when_listening_beyond_this_machine(tmp_path, serving):
    site = make(tmp_path)
    server = serving(site, "--host", "0.0.0.0")
    server.wait_for_output("warning: serving on 0.0.0.0")
    server.stop()   # at once: it is not to be reached from outside
    assert "anyone who can reach this machine can see the site" in server.output


def test_the_watcher_names_the_files_changed_and_ignores_hidden_ones(tmp_path, monkeypatch):
    from livereload.handlers import LiveReloadHandler

    from policysite.serve import _site_watcher

    monkeypatch.setattr(LiveReloadHandler, "reload_waiters", classmethod(lambda cls, path=None: None))

    content = tmp_path / "content"
    write_files(tmp_path, {"content/a.md": "one", "content/deep/b.md": "two", "site_config.yaml": "title: x\n"})
    calls = []
    watcher = _site_watcher(calls.append)
    watcher.watch(str(content), watcher.note)
    watcher.watch(str(tmp_path / "site_config.yaml"), watcher.note)
    watcher.examine()
    calls.clear()   # the first look may count files written just now

    def bump(path: Path, text: str) -> None:
        path.write_text(text)
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))   # a later tick, whatever the clock

    bump(content / "deep/b.md", "three")
    watcher.examine()
    assert calls == [{content / "deep/b.md"}]
    (content / ".b.md.swp").write_text("editor state")
    watcher.examine()
    assert calls == [{content / "deep/b.md"}]            # hidden files do not rebuild
    (content / "c.md").write_text("new")
    bump(tmp_path / "site_config.yaml", "title: y\n")
    watcher.examine()
    assert calls[-1] == {content / "c.md", tmp_path / "site_config.yaml"}
    (content / "a.md").unlink()
    watcher.examine()
    assert calls[-1] is None                              # a file went: a full rebuild
    watcher.examine()
    assert len(calls) == 3                                # nothing more changed


def test_each_page_served_says_which_build_it_came_from(dev):
    from policysite.serve import BUILD_COOKIE

    _, headers, _ = call(dev, "/policy/plan/")
    assert headers["Set-Cookie"] == f"{BUILD_COOKIE}-8000=1; Path=/; SameSite=Strict"   # each port its own
    _, headers, _ = call(dev, "/policy/files/report.pdf")
    assert "Set-Cookie" not in headers   # only pages: a tab connects from a page
    assert dev.rebuild()
    _, headers, _ = call(dev, "/policy/plan/")
    assert headers["Set-Cookie"].startswith(f"{BUILD_COOKIE}-8000=2;")
    (dev.site_dir / "content/policy/plan.md").write_text("---\ntitle: [broken\n---\n")
    assert not dev.rebuild()
    status, headers, _ = call(dev, "/policy/plan/")
    assert status == 500 and headers["Set-Cookie"].startswith(f"{BUILD_COOKIE}-8000=3;")   # the error page reloads too


class FakeTab:
    """A reload socket's handler, as the watcher sees one: the cookies of its handshake, what it was sent."""

    def __init__(self, cookie: str | None, name: str = "policysite-build-8000"):
        from http.cookies import SimpleCookie
        from types import SimpleNamespace

        jar = SimpleCookie()
        if cookie is not None:
            jar[name] = cookie
        self.request = SimpleNamespace(cookies=jar)
        self.sent: list[dict] = []

    def write_message(self, message) -> None:
        self.sent.append(message)


def test_a_tab_that_connects_after_a_reload_was_sent_is_told_if_its_page_is_older(dev, monkeypatch):
    """A tab reloading for one save connects again only once its page has loaded: a second
    save rebuilt meanwhile was told to the tabs connected then, not to it."""
    from livereload.handlers import LiveReloadHandler

    from policysite.serve import _site_watcher

    monkeypatch.setattr(LiveReloadHandler, "waiters", set())
    sent_to_all = []

    def reload_waiters(cls, path=None):
        sent_to_all.append(set(cls.waiters))

    monkeypatch.setattr(LiveReloadHandler, "reload_waiters", classmethod(reload_waiters))
    watcher = _site_watcher(dev.rebuild, dev.page_is_older)
    watcher.watch(str(dev.site_dir / "content"), watcher.note)
    watcher.examine()
    assert dev.generation == 1
    watcher.note()
    connected = FakeTab("1")
    LiveReloadHandler.waiters.add(connected)
    watcher.examine()   # a save: build 2, told to the tab connected
    assert dev.generation == 2 and sent_to_all == [{connected}]
    fresh, stale, unknown, garbled = FakeTab("2"), FakeTab("1"), FakeTab(None), FakeTab("x")
    elsewhere = FakeTab("1", name="policysite-build-8001")   # another server's page, on another port
    LiveReloadHandler.waiters.update({fresh, stale, unknown, garbled, elsewhere})
    watcher.examine()
    assert stale.sent == [{"command": "reload", "path": "*", "liveCSS": True, "liveImg": True}]
    assert connected.sent == fresh.sent == unknown.sent == garbled.sent == elsewhere.sent == []
    watcher.examine()
    assert len(stale.sent) == 1   # told once


def test_serve_keeps_the_web_servers_own_lines_out_unless_verbose():
    import logging

    from policysite.serve import quiet_server_logs

    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(f"{record.name}:{record.getMessage()}")

    names = ("livereload", "tornado.access", "tornado.general", "tornado.application")
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg.level, list(lg.filters), list(lg.handlers), lg.propagate) for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.INFO)
            lg.handlers, lg.filters, lg.propagate = [Keep()], [], False

        def emit_all():
            logging.getLogger("livereload").info("Browser Connected: http://127.0.0.1/")
            logging.getLogger("livereload").error("Error sending message")
            logging.getLogger("tornado.access").info("200 GET / (127.0.0.1) 2.00ms")
            logging.getLogger("tornado.access").warning("404 GET /favicon.ico (127.0.0.1) 1.00ms")
            logging.getLogger("tornado.general").info("routine")
            logging.getLogger("tornado.application").error("Uncaught exception")

        emit_all()
        assert len(seen) == 6          # as livereload and tornado show them by themselves (and with --verbose)
        seen.clear()
        quiet_server_logs()
        emit_all()
        assert seen == ["livereload:Error sending message", "tornado.application:Uncaught exception"]
    finally:
        for lg, (level, filters, handlers, propagate) in zip(loggers, saved, strict=True):
            lg.setLevel(level)
            lg.filters, lg.handlers, lg.propagate = filters, handlers, propagate
