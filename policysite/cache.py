"""What a build can reuse from the last one, and how to prove it still holds.

Three caches, each checked before use so that a hit gives the same bytes as
a clean build:

- loaded files, keyed by the file's bytes and the site configuration;
- rendered Markdown, keyed by the body and valid only while every link it
  resolved still resolves the same way (dependencies recorded by access, so
  a new page fixes the links that pointed at it and a deleted one breaks them);
- written pages, keyed by a hash of everything the layout could see.

Each is a typed record owned by one stage (stages.py): LoadRecord,
MarkdownRecord, OutputRecord and SearchRecord, each with its own JSON form;
SiteRecord holds what the stages know of the whole site.

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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

FORMAT = 4
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


@dataclass
class PageData:
    """A loaded page as the load stage keeps it: everything `load_page` read from the file."""
    kind: str
    title: str
    description: str
    fields: dict[str, Any]
    lines: dict[str, int]
    body: str
    body_line: int

    def to_json(self) -> dict:
        return {"kind": self.kind, "title": self.title, "description": self.description,
                "fields": _encode(self.fields), "lines": self.lines, "body": self.body, "body_line": self.body_line}

    @classmethod
    def from_json(cls, data: dict) -> PageData:
        return cls(kind=data["kind"], title=data["title"], description=data["description"],
                   fields=_decode(data["fields"]), lines=data["lines"], body=data["body"], body_line=data["body_line"])


@dataclass
class LoadRecord:
    """The load stage's record of one Markdown file: keyed by its bytes and the configuration."""
    key: str
    page: PageData | None                 # None: the file did not give a page
    diagnostics: list[list[str | int]]    # Diagnostic.as_list() of its problems

    def to_json(self) -> dict:
        return {"key": self.key, "page": None if self.page is None else self.page.to_json(),
                "diagnostics": self.diagnostics}

    @classmethod
    def from_json(cls, data: dict) -> LoadRecord:
        page = data["page"]
        return cls(key=data["key"], page=None if page is None else PageData.from_json(page),
                   diagnostics=data["diagnostics"])


@dataclass
class MarkdownRecord:
    """The Markdown stage's record of one body: its HTML and what the later stages need of it.

    Valid while `key` matches and every link in `deps` resolves to the same signature."""
    key: str
    html: str
    sha: str
    ids: list[str]
    toc: list[dict[str, str]]             # {"id", "text"} of each `##` heading
    links: list[str]                      # every link target as written, in order
    deps: list[tuple[str, list[object]]]  # (link as written, links.signature of its outcome); lists in JSON
    problems: list[tuple[int, str, str, str]]   # markup.Problem: (line, severity, message, code); lists in JSON
    # The pages its links lead to, as (index in `links`, the page's address, the #fragment to check),
    # noted when they were last resolved; None until then. Valid while SiteRecord.links holds.
    targets: list[tuple[int, str, str]] | None = None

    def to_json(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict) -> MarkdownRecord:
        return cls(**{name: data[name] for name in _MARKDOWN_FIELDS if name in data})


@dataclass
class OutputRecord:
    """The render stage's record of one written file: a hash of what its layout saw, of its bytes,
    and the links its layout wrote (outside the page's Markdown body), checked on every build."""
    ctx: str
    sha: str
    links: list[str] = field(default_factory=list)

    def to_json(self) -> list:
        return [self.ctx, self.sha, self.links]

    @classmethod
    def from_json(cls, data: list) -> OutputRecord:
        ctx, sha, links = data
        return cls(ctx=ctx, sha=sha, links=list(links))


@dataclass
class SearchRecord:
    """The full-text index's record: a hash of what it reads, and its files' hashes."""
    key: str = ""
    files: dict[str, str] = field(default_factory=dict)
    words: dict[str, object] = field(default_factory=dict)   # search.WordRecord.to_json(): each page's words, for the next build

    def to_json(self) -> dict:
        return {"key": self.key, "files": self.files, "words": self.words}

    @classmethod
    def from_json(cls, data: dict) -> SearchRecord:
        return cls(key=str(data.get("key", "")), files=dict(data.get("files") or {}), words=dict(data.get("words") or {}))


@dataclass
class SiteRecord:
    """What the stages know of the whole site at the end of the last build, to tell what an edit reached.

    `links`: digests of everything a link's outcome depends on (links.Resolver) when every
    MarkdownRecord's links were last checked, as "WHERE:TITLES" (stages.link_table): while both
    are the same, no link resolves otherwise; while the first is, each leads where it did.
    `extras`: a digest of what the sitemap, feeds and search-index.json read, with the hash of each
    of those files. `layout_files`: a digest of the files the last build wrote, when every link
    its layouts wrote led to one of them."""
    links: str = ""
    extras: str = ""
    extra_files: dict[str, str] = field(default_factory=dict)
    layout_files: str = ""

    def to_json(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict) -> SiteRecord:
        return cls(links=str(data.get("links", "")), extras=str(data.get("extras", "")),
                   extra_files=dict(data.get("extra_files") or {}), layout_files=str(data.get("layout_files", "")))


_MARKDOWN_FIELDS = [f.name for f in fields(MarkdownRecord)]


@dataclass
class BuildStats:
    """What a build reused and what it did again (reported by `serve` and the benches)."""
    load_hits: int = 0
    markdown_hits: int = 0
    page_hits: int = 0
    rendered: int = 0
    search_reused: int = 0
    search_files_made: int = 0    # full-text index files made again (not taken from the last output)
    extras_reused: int = 0        # 1 when the sitemap, feeds and search list were the last output's
    links_resolved: int = 0       # pages whose Markdown links were resolved again
    quick: int = 0
    taken_over: int = 0
    images_encoded: int = 0
    images_reused: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


class BuildCache:
    """Every stage's records, by source path (load, Markdown) or output path (pages)."""

    def __init__(self):
        self.loaded: dict[str, LoadRecord] = {}       # source path ->
        self.markdown: dict[str, MarkdownRecord] = {}  # source path ->
        self.outputs: dict[str, OutputRecord] = {}     # output path ->
        self.search = SearchRecord()
        self.site = SiteRecord()
        self.stats = BuildStats()
        self.stamps: dict[str, tuple] = {}    # in memory only: path -> (file_stamp, sha)
        self.compiled_layouts: dict = {}      # in memory only (it is code): Jinja bytecode
        self.layout_ids = None                # in memory only: (layouts' fingerprint, layoutids.LayoutIds)
        self.last_run = None                  # in memory only: the BuildState of serve's last good run
        self.dirty = False                    # changed since read or since the last build began

    def reset_stats(self) -> None:
        self.stats = BuildStats()
        self.dirty = False

    @classmethod
    def read(cls, path: Path) -> BuildCache:
        """The cache saved at `path`, or an empty one if it is missing, old or damaged."""
        cache = cls()
        try:
            data = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError, EOFError, gzip.BadGzipFile):
            return cache
        if not isinstance(data, dict) or data.get("code") != code_fingerprint():
            return cache
        try:
            cache.loaded = {k: LoadRecord.from_json(v) for k, v in data["loaded"].items()}
            cache.markdown = {k: MarkdownRecord.from_json(v) for k, v in data["markdown"].items()}
            cache.outputs = {k: OutputRecord.from_json(v) for k, v in data["outputs"].items()}
            cache.search = SearchRecord.from_json(data.get("search") or {})
            cache.site = SiteRecord.from_json(data.get("site") or {})
        except (KeyError, TypeError, AttributeError, ValueError):
            return cls()
        return cache

    def write(self, path: Path) -> None:
        """Save atomically; a cache that cannot be written is simply not saved.

        Written entry by entry into the compressed file: one JSON text of the
        whole cache took about 180 MB more memory at 10,000 pages."""
        def dumps(value) -> bytes:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

        sections = {"loaded": self.loaded, "markdown": self.markdown, "outputs": self.outputs}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
            with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
                out.write(b'{"code":' + dumps(code_fingerprint()) + b',"search":' + dumps(self.search.to_json())
                          + b',"site":' + dumps(self.site.to_json()))
                for name, records in sections.items():
                    out.write(b',"' + name.encode() + b'":{')
                    for n, (key, record) in enumerate(records.items()):
                        out.write((b"," if n else b"") + dumps(key) + b":" + dumps(record.to_json()))
                    out.write(b"}")
                out.write(b"}")
            os.replace(tmp, path)
        except OSError:
            pass
