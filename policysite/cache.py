"""What a build can reuse from the last one, and how to prove it still holds.

Three caches, each checked before use so that a hit gives the same bytes as
a clean build:

- loaded files, keyed by the file's bytes and the site configuration;
- rendered Markdown, keyed by the body and valid only while every link it
  resolved still resolves the same way (dependencies recorded by access, so
  a new page fixes the links that pointed at it and a deleted one breaks them);
- written pages, keyed by a hash of everything the layout could see.

`serve` keeps one BuildCache in memory; `build` saves it as JSON (never
pickle: a cache file in a pull request must not be able to run code).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import importlib.metadata
import json
import os
import time
from pathlib import Path

FORMAT = 3
# A file changed this recently may change again within the same tick of the file system's
# clock, keeping its stamp: until it is older, it is read again rather than trusted.
SETTLE_NS = 2_000_000_000


def file_stamp(st: os.stat_result) -> tuple | None:
    """What tells a file's contents apart without reading them, or None while the file is too new to trust.

    The change time is in it because editors' tools can keep a file's size and
    modification time (`cp -p`, `tar x`, `rsync -t`) but never its ctime.
    """
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < SETTLE_NS:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def digest(*parts) -> str:
    h = hashlib.sha1()
    for part in parts:
        if isinstance(part, str):
            part = part.encode("utf-8", "surrogatepass")
        h.update(part)
        h.update(b"\x00")
    return h.hexdigest()


_CODE_FINGERPRINT: str | None = None
OUTPUT_LIBRARIES = ("markdown", "jinja2", "markupsafe", "nh3", "pyyaml")


def code_fingerprint() -> str:
    """Changes whenever policysite's own code changes: old caches are then ignored."""
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        package = Path(__file__).parent
        h = hashlib.sha1(str(FORMAT).encode())
        for path in sorted(package.glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
        # The libraries that shape the HTML: an upgrade must not keep pages rendered by the old one.
        for library in OUTPUT_LIBRARIES:
            try:
                h.update(f"{library}={importlib.metadata.version(library)}".encode())
            except importlib.metadata.PackageNotFoundError:
                h.update(f"{library}=none".encode())
        _CODE_FINGERPRINT = h.hexdigest()
    return _CODE_FINGERPRINT


def _encode(value):
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, set):
        return sorted(value)
    return value


def _decode(value):
    if isinstance(value, dict):
        if len(value) == 1 and "$date" in value:
            text = value["$date"]   # a date, or a date with a time (front matter keeps times)
            return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class BuildCache:
    def __init__(self):
        self.loaded: dict[str, dict] = {}     # source path -> {key, ...page data}
        self.markdown: dict[str, dict] = {}   # source path -> {key, html, ids, toc, links, deps, problems}
        self.outputs: dict[str, dict] = {}    # output path -> {ctx, sha}
        self.search: dict = {}                # the full-text index: {key, files: {path: sha}}
        self.stats = {"load_hits": 0, "markdown_hits": 0, "page_hits": 0}
        self.stamps: dict[str, tuple] = {}    # in memory only: path -> (file_stamp, sha)
        self.compiled_layouts: dict = {}      # in memory only (it is code): Jinja bytecode
        self.last_run = None                  # in memory only: builder.LastRun, for quick rebuilds
        self.dirty = False                    # changed since read or since the last build began

    def reset_stats(self) -> None:
        self.stats = {k: 0 for k in self.stats}
        self.dirty = False

    @classmethod
    def read(cls, path: Path) -> "BuildCache":
        """The cache saved at `path`, or an empty one if it is missing, old or damaged."""
        cache = cls()
        try:
            data = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError, EOFError, gzip.BadGzipFile):
            return cache
        if not isinstance(data, dict) or data.get("code") != code_fingerprint():
            return cache
        try:
            cache.loaded = {k: _decode(v) for k, v in data["loaded"].items()}
            cache.markdown = data["markdown"]
            cache.outputs = data["outputs"]
            cache.search = data.get("search") or {}
        except (KeyError, TypeError, AttributeError, ValueError):
            return cls()
        return cache

    def write(self, path: Path) -> None:
        """Save atomically; a cache that cannot be written is simply not saved.

        Written entry by entry into the compressed file: one JSON text of the
        whole cache took about 180 MB more memory at 10,000 pages."""
        def dumps(value) -> bytes:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

        sections = {"loaded": ((k, _encode(v)) for k, v in self.loaded.items()),
                    "markdown": iter(self.markdown.items()), "outputs": iter(self.outputs.items())}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
            with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
                out.write(b'{"code":' + dumps(code_fingerprint()) + b',"search":' + dumps(self.search))
                for name, entries in sections.items():
                    out.write(b',"' + name.encode() + b'":{')
                    for n, (key, value) in enumerate(entries):
                        out.write((b"," if n else b"") + dumps(key) + b":" + dumps(value))
                    out.write(b"}")
                out.write(b"}")
            os.replace(tmp, path)
        except OSError:
            pass
