"""`serve`: build, serve the output, rebuild on change, reload the browser.

The server never stops for a bad edit: when a build fails, every page
shows the problems (file, line, message) instead, and comes back when the
edit is fixed. Rebuilds reuse one in-memory BuildCache, so only pages whose
inputs changed are rendered again, and only changed files are rewritten.
Files are served only from inside the output folder: no `..`, encoded or
not, no links out, no folder listings.
"""

from __future__ import annotations

import html
import ipaddress
import mimetypes
import shutil
import socket
import tempfile
import threading
import time
import traceback
import weakref
from pathlib import Path
from urllib.parse import quote

import click

from .builder import Builder, BuildOptions, FolderSink
from .cache import BuildCache
from .config import CONFIG_NAME, load_config
from .diagnostics import Diagnostics


class DevSite:
    """The served site: its output folder, its cache and the last build's problems."""

    def __init__(self, site_dir: Path, host: str, port: int, drafts: bool, output: Path | None = None,
                 future: bool = False):
        self.site_dir = site_dir
        self.output = output or Path(tempfile.mkdtemp(prefix="policysite-serve-"))
        self.options = BuildOptions(site_dir=site_dir, output=self.output, drafts=drafts, future=future,
                                    base_url=f"http://{_url_host(host)}:{port}/", write=True)
        self.cache = BuildCache()
        self.sink = FolderSink(self.output)
        self.problems: list[str] | None = None
        self.lock = threading.Lock()
        self.last_seconds = 0.0
        self.generation = 0   # builds so far: each page served says which it came from (BUILD_COOKIE)
        # Cookies are kept by host, not port: each server on this machine names its own.
        self.cookie_name = f"{BUILD_COOKIE}-{port}"
        # Bound to this machine alone, only requests addressed to it are answered. Else a web page
        # could point a name of its own at 127.0.0.1 (DNS rebinding) and read the drafts served here.
        self.any_host = not is_loopback(host)

    def rebuild(self, changed: set[Path] | None = None) -> bool:
        """Build again; a failure is recorded for the browser, never raised.

        `changed` names the files edited since the last build, when the watcher
        knows them all: an edit to page bodies alone is then rebuilt quickly."""
        with self.lock:
            started = time.perf_counter()
            try:
                builder = Builder(self.options, self.cache)
                result = builder.run(self.sink, changed)
                diagnostics = result.diagnostics.sorted()
                if result.ok:
                    self.problems = None
                else:
                    found = [f"error: {result.output_problem}"] if result.output_problem else []
                    self.problems = found + [d.format() for d in diagnostics if d.severity == "error"] or ["the build failed"]
                for d in diagnostics:
                    click.echo(d.format(), err=True)
                if result.output_problem:
                    click.echo(f"error: {result.output_problem}", err=True)
                summary = f"{result.rendered} of {result.pages} pages rendered" if result.ok else "build failed"
                if result.ok and result.stats.get("quick"):
                    summary += " (only the edited pages)"
            except Exception as exc:  # never let a bad edit stop the server
                self.problems = [f"internal error while building: {type(exc).__name__}: {exc}"]
                traceback.print_exc()
                summary = "build failed"
            self.last_seconds = time.perf_counter() - started
            self.generation += 1
            click.echo(f"{time.strftime('%H:%M:%S')} {summary} in {self.last_seconds * 1000:.0f} ms", err=True)
            return self.problems is None

    # -- WSGI -----------------------------------------------------------------

    def __call__(self, environ, start_response):
        if not (self.any_host or addressed_here(environ.get("HTTP_HOST", ""))):
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
            return [b"This preview answers only requests to localhost or 127.0.0.1.\n"]
        raw_path = environ.get("PATH_INFO", "/") or "/"
        built = self.build_cookie()   # read first: a page served while a build ends counts as the one before
        if self.problems is not None and _wants_page(raw_path):
            body = error_page(self.problems).encode("utf-8")
            start_response("500 Internal Server Error", [("Content-Type", "text/html; charset=utf-8"),
                                                         ("Cache-Control", "no-store"), built])
            return [body]
        path = self.locate(raw_path)
        if path is None:
            return self._not_found(start_response)
        if isinstance(path, str):
            start_response("301 Moved Permanently", [("Location", path), ("Content-Type", "text/plain")])
            return [b"Moved\n"]
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json", "application/xml"):
            ctype += "; charset=utf-8"
        headers = [("Content-Type", ctype), ("Cache-Control", "no-store")]
        start_response("200 OK", headers + [built] if ctype.startswith("text/html") else headers)
        return [path.read_bytes()]

    def build_cookie(self) -> tuple[str, str]:
        """The header that tells the browser which build the page it is given came from."""
        return ("Set-Cookie", f"{self.cookie_name}={self.generation}; Path=/; SameSite=Strict")

    def page_is_older(self, tab) -> bool:
        """Whether the page of a reload socket's tab came from a build before the last (its cookie)."""
        morsel = tab.request.cookies.get(self.cookie_name)   # Tornado reads any header without raising
        try:
            return morsel is not None and int(morsel.value) < self.generation
        except ValueError:   # not one of ours
            return False

    def locate(self, path_info: str):
        """The file a request path names inside the output folder, a URL to redirect to, or None.

        `path_info` is the WSGI PATH_INFO: already percent-decoded by the server, as
        latin-1 text standing for the request's bytes (UTF-8 for non-ASCII names).
        It is not decoded again: `%2e%2e` that reaches here is a name, not `..`.
        """
        try:
            path = path_info.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
        if "\x00" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return None
        root = self.output.resolve()
        target = root.joinpath(*parts) if parts else root
        try:
            real = target.resolve()
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(root):
            return None
        if real.is_dir():
            index = real / "index.html"
            if not index.is_file() or not index.resolve().is_relative_to(root):
                return None   # no listings, and no hint that the folder exists
            if not path.endswith("/"):
                # Built from the checked parts, never from the request: `//host` must not leave the site.
                return quote("/" + "/".join(parts) + "/")
            real = index
        if not real.is_file():
            return None
        return real

    def _not_found(self, start_response):
        page = self.output / "404.html"
        body = page.read_bytes() if page.is_file() else b"<!DOCTYPE html><title>Not found</title><h1>Page not found</h1>"
        start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8")])
        return [body]


# A page's tab connects to the reload socket only once it has loaded, and a build that ends
# meanwhile tells the tabs connected then: this one would keep showing the build before. The
# socket's handshake carries this cookie (with the port after it), set with each page, so the
# watcher can tell it (see _site_watcher). One cookie for the whole site: two tabs loading at once
# may share it.
BUILD_COOKIE = "policysite-build"


def _wants_page(path: str) -> bool:
    last = path.rsplit("/", 1)[-1]
    return path.endswith("/") or last.endswith((".html", ".htm")) or "." not in last


def _url_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def error_page(problems: list[str]) -> str:
    """What the browser shows while the site does not build."""
    items = "\n".join(f"<li><code>{html.escape(p)}</code></li>" for p in problems)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Build failed - policysite</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;line-height:1.5}}
h1{{color:#d4351c}}li{{margin:.5rem 0}}code{{white-space:pre-wrap;font-size:1rem}}</style>
</head>
<body>
<main>
<h1>The site does not build</h1>
<p>Fix these problems and save: this page reloads by itself.</p>
<ul>
{items}
</ul>
</main>
</body>
</html>
"""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def addressed_here(host_header: str) -> bool:
    """Whether a request's Host names this machine: localhost (or a name under it) or a loopback address."""
    name = host_header.strip().lower()
    if name.startswith("["):   # [::1]:8000
        name = name[1:name.find("]")] if "]" in name else name
    else:
        name = name.rpartition(":")[0] if ":" in name else name
    return name == "localhost" or name.endswith(".localhost") or is_loopback(name)


def _site_watcher(on_change, page_is_older=lambda tab: False):
    """livereload's polling watcher, made to rebuild once per change and reload every open tab.

    livereload alone ignores a change that comes within 3 s of its last reload
    (and reloads once when a tab first connects), so a second quick save was
    rebuilt but never shown. Here every poll that sees changes rebuilds once,
    however many files changed, then tells every tab to reload; livereload's
    own reload is left out. It also tells the build which files changed, and
    looks at each file with a single stat: livereload's own look took 0.6 s
    per poll (every 0.8 s) on a 10,000-page site. Hidden files (editors' swap
    and backup files) are left out, as the build leaves them out.

    A tab that connects after a reload was sent (it was loading its page then)
    and whose page came from a build before the last (`page_is_older(tab)`,
    DevSite's) is told to reload at the next poll.
    """
    import os

    from livereload.handlers import LiveReloadHandler
    from livereload.watcher import Watcher
    from tornado.websocket import WebSocketClosedError

    class SiteWatcher(Watcher):
        def __init__(self):
            super().__init__()
            self.changed = False
            self.paths: set[Path] = set()   # files added or modified since the last rebuild
            self.removed = False            # a file went: the rebuild must be a full one
            self.seen: dict[str, dict] = {}  # watched path -> {file: stamp} at the last look
            self.started_ns = time.time_ns()
            self.told: weakref.WeakSet = weakref.WeakSet()   # tabs sent the last reload, or checked since

        def note(self):
            self.changed = True

        def is_changed(self, path, ignore=None):
            now: dict[str, tuple] = {}
            self._look(path, now, set())
            before = self.seen.get(path)
            self.seen[path] = now
            if before is None:   # the first look: files written since the watcher started count
                found = {f for f, stamp in now.items() if stamp[0] > self.started_ns}
            else:
                found = {f for f, stamp in now.items() if before.get(f) != stamp}
                if before.keys() - now.keys():
                    self.removed = True
            self.paths.update(Path(f) for f in found)
            return bool(found) or (before is not None and bool(before.keys() - now.keys()))

        def _look(self, path: str, into: dict, folders: set) -> None:
            """Every file under `path` (following links, once per real folder) with its stamp."""
            try:
                st = os.stat(path)
            except OSError:
                return
            if not os.path.isdir(path):
                into[path] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
                return
            if (st.st_dev, st.st_ino) in folders:
                return
            folders.add((st.st_dev, st.st_ino))
            try:
                entries = list(os.scandir(path))
            except OSError:
                return
            for entry in entries:
                if entry.name.startswith(".") or entry.name in self.ignored_dirs:
                    continue
                try:
                    if entry.is_dir():
                        self._look(entry.path, into, folders)
                    elif not self.ignore(entry.name):
                        st = entry.stat()
                        into[entry.path] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
                except OSError:
                    continue

        def examine(self):
            self._changes.clear()
            super().examine()
            if self.changed:
                changed = None if self.removed else set(self.paths)
                self.changed, self.paths, self.removed = False, set(), False
                on_change(changed)
                LiveReloadHandler.reload_waiters(path="*")
                self.told = weakref.WeakSet(LiveReloadHandler.waiters)
            for tab in list(LiveReloadHandler.waiters):
                if tab not in self.told:
                    self.told.add(tab)
                    if page_is_older(tab):
                        try:
                            tab.write_message(_RELOAD)
                        except WebSocketClosedError:   # it closed meanwhile: the tab is gone
                            LiveReloadHandler.waiters.discard(tab)
            return None, None

    return SiteWatcher()


_RELOAD = {"command": "reload", "path": "*", "liveCSS": True, "liveImg": True}   # as livereload sends it


def hook_folders(site_dir: Path) -> list[Path]:
    """The folders of the hook files site_config.yaml lists when `serve` starts (they are watched too)."""
    config = load_config(site_dir, Diagnostics())
    return sorted({hook.path.parent for hook in config.hooks})


def quiet_server_logs() -> None:
    """Keep livereload's and tornado's routine lines (each request, each browser, each file seen) out of the terminal.

    `serve` prints one line per rebuild itself; their warnings and errors still show.
    A filter on the logger, not its level: livereload sets its own level when it starts.
    """
    import logging

    logging.getLogger("livereload").addFilter(lambda record: record.levelno >= logging.WARNING)
    logging.getLogger("tornado.access").addFilter(lambda record: False)   # our pages say what failed
    logging.getLogger("tornado.general").addFilter(lambda record: record.levelno >= logging.WARNING)


def serve(site_dir: Path, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False,
          verbose: bool = False, future: bool = False) -> int:
    from livereload import Server

    if not verbose:
        quiet_server_logs()

    if not is_loopback(host):
        click.echo(f"warning: serving on {host}: anyone who can reach this machine can see the site, drafts included", err=True)
    try:   # before the first build, and before saying where the site is served
        socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET).close()
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}: try another --port", err=True)
        return 2
    dev = DevSite(site_dir, host, port, drafts, future=future)
    try:
        watcher = _site_watcher(dev.rebuild, dev.page_is_older)   # before the first build: edits during it count
        watched = [site_dir / "content", site_dir / "layouts", site_dir / "assets", site_dir / CONFIG_NAME]
        watched += hook_folders(site_dir)
        for path in watched:
            watcher.watch(str(path), watcher.note)
        dev.rebuild()
        server = Server(app=dev, watcher=watcher)
        click.echo(f"Serving {site_dir} at http://{_url_host(host)}:{port}/ (Ctrl+C to stop)", err=True)
        server.serve(host=host, port=port, debug=False, restart_delay=0)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}: try another --port", err=True)
        return 2
    finally:
        shutil.rmtree(dev.output, ignore_errors=True)
    return 0
