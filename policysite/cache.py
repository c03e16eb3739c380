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

import contextlib
import datetime as dt
import fcntl
import glob
import hashlib
import json
import os
import secrets
import time
import zlib
from array import array
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .heap import collector_paused
from .model import EMPTY, Deferred, deferred, held

FORMAT = 10
# A file changed this recently may change again within the same tick of the file system's
# clock, keeping its stamp: until it is older, it is read again rather than trusted.
SETTLE_NS = 2_000_000_000


def file_stamp(st: os.stat_result, now_ns: int) -> tuple | None:
    """What tells a file's contents apart without reading them, or None while the file is too new to trust.

    The change time is in it because editors' tools can keep a file's size and
    modification time (`cp -p`, `tar x`, `rsync -t`) but never its ctime. `now_ns`: the
    time to judge by (time.time_ns()), taken before the file was looked at: a change made
    just after the look is then too new to trust, however long the look took.
    """
    if now_ns - max(st.st_mtime_ns, st.st_ctime_ns) < SETTLE_NS:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def look_at(path: str | Path) -> tuple[os.stat_result, tuple | None]:
    """A file's os.stat and its stamp (file_stamp), judged by the clock as it was just before the look."""
    now = time.time_ns()
    st = os.stat(path)
    return st, file_stamp(st, now)


def digest(*parts) -> str:
    """A SHA-1 of the parts, each followed by a NUL byte."""
    if parts:
        try:   # all text, as most are: one string, one encoding, one update (asked for every page)
            return hashlib.sha1(("\0".join(parts) + "\0").encode("utf-8", "surrogatepass")).hexdigest()
        except TypeError:
            pass
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
        import importlib.metadata  # here: its import costs a start-up that needs no fingerprint

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


def _unlike_json(value):
    """What JSON has no type for, as the cache writes it (the JSON encoder's `default`, asked only
    for those, so a record is not walked beforehand): a date as {"$date": ...}, a set as a list."""
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot be written to the build cache")


def revive_date(value: dict):
    """A JSON object back as it was before _unlike_json: `json.loads(text, object_hook=revive_date)`."""
    if len(value) == 1 and "$date" in value:
        text = value["$date"]   # a date, or a date with a time (front matter keeps times)
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    return value


# Slots on the records a build keeps one of per page or file: an instance's dict costs more than its values.
@dataclass(slots=True)
class PageData:
    """A loaded page as the load stage keeps it: everything `load_page` read from the file.

    Read from a cache file, `body` is a PackText standing for the text until a page needs it."""
    kind: str
    title: str
    description: str
    fields: dict[str, Any]
    lines: dict[str, int]
    body: str | Deferred
    body_line: int

    def to_json(self) -> list:
        """All but the body, which the pack keeps apart (encode_record). The title and description
        as null when they are those of the fields, as load_page gives them: every build parses
        every page's record, and they were a fifth of it."""
        fields = self.fields
        return [self.kind, None if self.title == fields.get("title", "") else self.title,
                None if self.description == fields.get("description", "") else self.description,
                fields, self.lines, self.body_line]

    @classmethod
    def from_json(cls, data: list, body: str | Deferred) -> PageData:
        """From to_json's list read with revive_date (its dates are dates again)."""
        kind, title, description, fields_, lines, body_line = data
        return cls(kind, fields_.get("title", "") if title is None else title,
                   fields_.get("description", "") if description is None else description,
                   fields_, lines, body, body_line)


@dataclass(slots=True)
class LoadRecord:
    """The load stage's record of one Markdown file: keyed by its bytes and the configuration."""
    key: str
    page: PageData | None                 # None: the file did not give a page
    diagnostics: list[list[str | int]] | tuple[()]   # Diagnostic.as_list() of its problems

    def __post_init__(self) -> None:
        if not self.diagnostics:
            self.diagnostics = EMPTY   # most files have none: see model.EMPTY

    def to_json(self) -> list:
        return [self.key, self.diagnostics] if self.page is None else [self.key, self.diagnostics, self.page.to_json()]

    @classmethod
    def from_json(cls, data: list, cold=None, body: str | Deferred = "") -> LoadRecord:
        page = PageData.from_json(data[2], body) if len(data) == 3 else None
        return cls(key=data[0], page=page, diagnostics=data[1])

    def text(self) -> str | Deferred | None:
        """The bulky text the pack keeps after the JSON: the page's body."""
        return None if self.page is None else self.page.body


@dataclass(slots=True)
class MarkdownRecord:
    """The Markdown stage's record of one body: its HTML and what the later stages need of it.

    Valid while `key` matches and every link in `deps` resolves to the same signature.
    Read from a cache file, `html`, `links` and `deps` are read from it when first asked for
    (model.deferred): a page whose record holds while nothing it links to has changed needs none of them.
    Made in a big build's Markdown stage, they and `toc` are in its scratch file (spill.py)."""
    key: str
    html: str
    sha: str
    ids: list[str]
    toc: list[dict[str, str]]             # {"id", "text"} of each `##` heading
    links: list[str]                      # every link target as written, in order
    deps: list[tuple[str, list[object]]]  # (link as written, links.signature of its outcome); lists in JSON
    problems: list[tuple[int, str, str, str]] | tuple[()]   # markup.Problem: (line, severity, message, code); lists in JSON
    # The pages its links lead to, noted when they were last resolved; None until then. Valid while
    # SiteRecord.links holds. Flat, three items a link (triples() gives them back): index in `links`,
    # the page's address, the #fragment to check. One tuple, not a list of three for each link:
    # a big build holds every record's all build long, and those lists took 500 bytes a page.
    targets: tuple[int | str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.problems:
            self.problems = EMPTY

    def to_json(self) -> list:
        """What every build reads (encode_record keeps the rest apart: `cold` and `text`)."""
        return [self.key, self.sha, self.ids, self.toc, self.problems, self.targets]

    def cold(self) -> list:
        """What a build reads only when links may lead elsewhere (as held: encode_record reads them)."""
        return [held(self, "links"), held(self, "deps")]

    @classmethod
    def from_json(cls, data: list, cold, html: str | Deferred = "") -> MarkdownRecord:
        """From to_json's list, with `cold`'s list (or a Deferred standing for each of its items)."""
        key, sha, ids, toc, problems, targets = data
        links, deps = cold
        return cls(key, html, sha, ids, toc, links, deps, problems, None if targets is None else tuple(targets))

    def text(self) -> str | Deferred:
        return held(self, "html")

    def with_targets(self, targets: tuple[int | str, ...]) -> MarkdownRecord:
        """This record with these targets: its HTML, contents, links and deps passed on as held, unread."""
        return MarkdownRecord(self.key, held(self, "html"), self.sha, self.ids, held(self, "toc"), held(self, "links"),
                              held(self, "deps"), self.problems, targets)

    def __getstate__(self) -> list:
        """For pickling (a record made in a worker process, sent back): what it holds, a Deferred
        left unread, where pickling a slot would read it."""
        return [held(self, name) if name in _MARKDOWN_DEFERRED else getattr(self, name) for name in self.__slots__]

    def __setstate__(self, state: list) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)


def triples(targets: tuple[int | str, ...]):
    """(index in `links`, the page's address, the #fragment) of each of a MarkdownRecord's targets."""
    items = iter(targets)
    return zip(items, items, items, strict=True)


# Each into its slot: a big build holds a record for each page until it ends, and a dict
# of its own took more than the record's values.
_MARKDOWN_DEFERRED = ("html", "toc", "links", "deps")
for _name in _MARKDOWN_DEFERRED:
    setattr(MarkdownRecord, _name, deferred(_name, MarkdownRecord.__dict__[_name]))


@dataclass(slots=True)
class OutputRecord:
    """The render stage's record of one written file: a hash of what its layout saw, of its bytes,
    and the links its layout wrote (outside the page's Markdown body), checked on every build.

    Read from a cache file, `links` is read from it when first asked for: a build checks
    only the links of the pages it rendered again while the site's files are the same."""
    ctx: str
    sha: str
    links: list[str] = field(default_factory=list)

    def to_json(self) -> list:
        """What every build reads (encode_record keeps the links apart: `cold`)."""
        return [self.ctx, self.sha]

    def cold(self) -> list:
        return [self.links]

    @classmethod
    def from_json(cls, data: list, cold) -> OutputRecord:
        """From to_json's list, with `cold`'s list (or a Deferred standing for its one item)."""
        ctx, sha = data
        links = cold[0]
        return cls(ctx, sha, links if type(links) is list or isinstance(links, Deferred) else list(links))


OutputRecord.links = deferred("links", OutputRecord.__dict__["links"])   # into its slot


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
    its layouts wrote led to one of them. `shape`: a digest of what every page's output reads
    besides the page's own file and Markdown (stages.site_shape), noted by a full render that
    succeeded; "" from the moment any load, Markdown or output record changes until the next.
    `layout_ids`: the ids the layouts give, as [their fingerprint (Templates.fingerprint),
    layoutids.LayoutIds.to_json()], or []: reading them takes about as long as compiling the layouts."""
    links: str = ""
    extras: str = ""
    extra_files: dict[str, str] = field(default_factory=dict)
    layout_files: str = ""
    shape: str = ""
    layout_ids: list[object] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict) -> SiteRecord:
        return cls(links=str(data.get("links", "")), extras=str(data.get("extras", "")),
                   extra_files=dict(data.get("extra_files") or {}), layout_files=str(data.get("layout_files", "")),
                   shape=str(data.get("shape", "")), layout_ids=list(data.get("layout_ids") or []))


@dataclass
class LinkRecord:
    """What check_links found of every page, as the last build that rendered or kept every output
    had it (its SiteRecord.shape): enough for a build after an edit to bodies alone to check only
    the edited pages (stages.narrow_pages). Each page is named by its source, or by its address
    when generated.

    `backlinks`: the pages that link to each page, in the order its "Pages that link here" shows
    them; `collections`: the collections that list each page, in the order they were found;
    `diagnostics`: Diagnostic.as_list() of every problem check_links reported."""
    shape: str = ""
    backlinks: dict[str, list[str]] = field(default_factory=dict)
    collections: dict[str, list[str]] = field(default_factory=dict)
    diagnostics: list[list[str | int]] = field(default_factory=list)

    def to_json(self) -> list:
        return [self.shape, self.backlinks, self.collections, self.diagnostics]

    @classmethod
    def from_json(cls, data: list) -> LinkRecord:
        shape, backlinks, collections, diagnostics = data
        if not (isinstance(shape, str) and isinstance(backlinks, dict) and isinstance(collections, dict)
                and isinstance(diagnostics, list) and all(Diagnostic.well_formed(d) for d in diagnostics)):
            raise ValueError("not a link record")
        return cls(shape, backlinks, collections, diagnostics)


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
    untouched: int = 0            # outputs kept without keying them: an edit to bodies alone could not reach them
    unread: int = 0               # of those, the outputs kept without reading their records (BuildCache.noted_outputs)
    quick: int = 0
    taken_over: int = 0
    images_encoded: int = 0
    images_reused: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


class BuildCache:
    """Every stage's records, by source path (load, Markdown) or output path (pages).

    Read from disk (`read`), each section is a `Section`: only the index of where each
    record lies is read at once; a record is read when a stage asks for it."""

    def __init__(self):
        self.loaded: MutableMapping[str, LoadRecord] = {}       # source path ->
        self.markdown: MutableMapping[str, MarkdownRecord] = {}  # source path ->
        self.outputs: MutableMapping[str, OutputRecord] = {}     # output path ->
        self._search: SearchRecord | None = SearchRecord()
        self._links: LinkRecord | None = LinkRecord()
        self.site = SiteRecord()
        self.stats = BuildStats()
        self.stamps: dict[str, tuple] = {}    # path -> (file_stamp, sha): in memory; `build` keeps them in its memo
        # True for a cache read from disk: `build` reads one for a single build and fills `stamps`
        # with those it took before reading anything (memo.input_digest), so a file whose stamp is
        # there need not be looked at again (edited since, it differs from its stamp in the note
        # and is read again next time). False in memory (`serve`): those stamps are of past builds.
        self.stamps_of_this_build = False
        # Every file under content/ as memo.input_digest found it when this build began (for `build`),
        # taken by the load stage instead of walking the folder again; None: walk it.
        self.content_listing: list[str] | None = None
        self.compiled_layouts: dict = {}      # in memory only (it is code): Jinja bytecode
        self.layout_ids = None                # in memory only: (layouts' fingerprint, layoutids.LayoutIds)
        self.last_run = None                  # in memory only: the BuildState of serve's last good run
        self.dirty = False                    # changed since read or since the last build began
        self._read: dict[str, Section] = {}   # the sections as read from disk
        # A hash of the index file as read, or as `write` last left it (Pack.digest): the same
        # hash names the very same records. "": not read from disk, or not known to be saved.
        self.index_digest = ""
        # The note (memo.Note.outputs) of the build that saved this cache, when it says so
        # (Note.cache is index_digest): output file -> its entry, whose sha is that of the
        # file's OutputRecord. The render stage then need not read the records to know them.
        self.noted_outputs: Mapping[str, str] | None = None
        self._ahead: AheadPack | None = None   # write_ahead's pack, until `write` takes it or drop_ahead

    @property
    def search(self) -> SearchRecord:
        if self._search is None:   # read only when the index is built
            record = self._read["search"].get("") or SearchRecord()
            if record.words.get("pages") == 0:   # each page's words are records of their own
                record.words = {**record.words, "pages": self._read["search_pages"]}
            self._search = record
        return self._search

    @search.setter
    def search(self, record: SearchRecord) -> None:
        self._search = record

    @property
    def links(self) -> LinkRecord:
        if self._links is None:   # read only by a build after an edit to bodies alone
            self._links = self._read["links"].get("") or LinkRecord()
        return self._links

    @links.setter
    def links(self, record: LinkRecord) -> None:
        self._links = record

    def reset_stats(self) -> None:
        self.stats = BuildStats()
        self.dirty = False

    @classmethod
    def read(cls, path: Path) -> BuildCache:
        """The cache saved at `path`, or an empty one if it is missing, old or damaged.

        A record found damaged later, when a stage asks for it, counts as missing."""
        cache = cls()
        cache.stamps_of_this_build = True
        # The index makes a tuple for each record, which lives all build long: the cycle collector,
        # set off again and again as they pile up, walked the whole heap (at 10,000 pages, a full
        # collection each build) to find no garbage.
        with collector_paused():
            pack = Pack.open(path)
        if pack is None:
            return cache
        cache._read = {name: Section(pack, name) for name in CODECS}
        cache.index_digest = pack.digest
        cache.loaded, cache.markdown, cache.outputs = (cache._read[n] for n in ("loaded", "markdown", "outputs"))
        cache._search = cache._links = None
        stored = cache._read["site"].get("")
        # A copy, not the record read: `write` tells a change by comparing the two, and a change
        # made in place would reach both (the stages make a new record: stages.note_site).
        cache.site = SiteRecord.from_json(json.loads(json.dumps(stored.to_json()))) if stored is not None else SiteRecord()
        return cache

    def write(self, path: Path) -> None:
        """Save atomically, appending only the records that changed; a cache that cannot be
        written is simply not saved (the next build then reads the last one, or none)."""
        sections = {"loaded": self.loaded, "markdown": self.markdown, "outputs": self.outputs, "site": {"": self.site},
                    "links": self._read["links"] if self._links is None else {"": self._links}}
        if self._search is None:   # never asked for: as it was
            sections["search"], sections["search_pages"] = self._read["search"], self._read["search_pages"]
        else:
            # Each page's words apart, so that an edit appends only the edited pages' words.
            words = self._search.words
            pages = words.get("pages") if isinstance(words, dict) else None
            if isinstance(pages, Mapping):
                words = {**words, "pages": 0}
            sections["search"] = {"": SearchRecord(key=self._search.key, files=self._search.files, words=words)}
            sections["search_pages"] = pages if isinstance(pages, Mapping) else {}
        self.index_digest = ""
        ahead = self._ahead
        if ahead is not None and (self._read or ahead.index != path):
            self.drop_ahead()
            ahead = None
        try:
            self._ahead = None   # save() names it or removes it, however it ends
            self.index_digest = save(path, self._read, sections, ahead)
        except OSError:
            pass
        except _DAMAGE:   # an index edited by hand, or text that cannot be UTF-8: start again next time
            with contextlib.suppress(OSError):
                path.unlink()


    def write_ahead(self, path: Path, names: tuple[str, ...] = ("loaded", "markdown")) -> None:
        """Begin the pack that `write` (to the same `path`) will save, with every record of these
        sections, while the build has other work left: what `write` then does is smaller.

        Only when nothing was read (a first build, or one after policysite changed), so that
        `write` makes a new pack: otherwise it may rather append the few records that changed.
        A record replaced after this is written again by `write`."""
        if self._read or self._ahead is not None:
            return
        self._ahead = AheadPack.begin(path, {name: getattr(self, name) for name in names})

    def drop_ahead(self) -> None:
        """Remove write_ahead's pack, when the build ends without writing the cache."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.discard()


# -- how the cache lies on disk ------------------------------------------------
#
# Two files side by side: an index (JSON) naming, for each record, where it lies in a pack;
# and the pack, records one after another, each its JSON and then its bulky text (a page's
# body, its HTML) as plain UTF-8, so that text is neither escaped nor parsed as JSON.
# The index gives each section as two lists, its keys and three numbers per key (where
# the record starts, its length, its CRC-32): one parse and one dump for tens of
# thousands of records. A build appends only the records that changed, then replaces
# the index. When most of the pack is records the index no longer names, the live ones
# go to a new pack.
#
# Records read together are parsed together (their JSON as one list). Their text is
# not kept: a PackText stands for it and reads it again, checked, if a stage needs it;
# an unchanged page is rendered from it again only when something it shows has changed.

PACK_MAGIC = b"policysite-cache\n"
WRITE_BUFFER = 1 << 20
MIN_COMPACT = 1 << 20   # a pack smaller than this keeps its garbage
STALE_SECONDS = 24 * 3600   # a pack left half written this long ago is removed by the next save


class CacheDamaged(OSError):
    """A record's text, read again from the pack, is no longer what was checked when the
    record was read: the pack was changed in place while the build was reading it."""


class PackPart:
    """Part of one record in a pack, read again (and checked against the record's CRC) when first used."""

    __slots__ = ("pack", "entry", "start", "stop")

    def __init__(self, pack: Pack, entry: tuple[int, int, int], start: int, stop: int):
        self.pack = pack
        self.entry = entry   # the whole record's (offset, length, crc), as the index gives it
        self.start, self.stop = start, stop   # where the part lies in the record

    def data(self) -> bytes:
        raw = self.pack.raw(self.entry)
        if raw is None:
            # Without its index, the next build starts from an empty cache.
            with contextlib.suppress(OSError):
                self.pack.index.unlink()
            raise CacheDamaged(f"the build cache {self.pack.index} changed while this build read it: build again")
        return raw[self.start:self.stop]

    def same_place(self, other) -> bool:
        return isinstance(other, PackPart) and self.pack is other.pack and (self.entry, self.start) == (other.entry, other.start)


class PackText(Deferred):
    """A record's bulky text (a page's body, its HTML), left in the pack until it is needed."""

    __slots__ = ("part",)

    def __init__(self, part: PackPart):
        self.part = part

    def value(self) -> str:
        try:
            return self.part.data().decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as error:   # its bytes held the record's CRC: written so by hand
            raise CacheDamaged(f"the build cache {self.part.pack.index} is damaged: build again") from error

    def __eq__(self, other) -> bool:
        if isinstance(other, PackText):
            return self.part.same_place(other.part) or self.value() == other.value()
        if isinstance(other, str):
            return self.value() == other
        return NotImplemented

    __hash__ = None

    def __reduce__(self):
        return (str, (self.value(),))   # to another process as its text: the pack stays open here only

    def __repr__(self) -> str:
        return f"<PackText {self.part.entry}>"


class PackJSON:
    """A record's JSON that only some builds need (MarkdownRecord.cold), parsed when first needed."""

    __slots__ = ("part", "parsed")

    def __init__(self, part: PackPart):
        self.part = part
        self.parsed = None

    def items(self) -> list:
        if self.parsed is None:
            try:
                parsed = json.loads(self.part.data())
            except ValueError as error:   # its bytes held the record's CRC: written so by hand
                raise CacheDamaged(f"the build cache {self.part.pack.index} is damaged: build again") from error
            if not isinstance(parsed, list):
                raise CacheDamaged(f"the build cache {self.part.pack.index} is damaged: build again")
            self.parsed = parsed
        return self.parsed


class PackItem(Deferred):
    """One item of a PackJSON list, standing for a record's field."""

    __slots__ = ("source", "index")

    def __init__(self, source: PackJSON, index: int):
        self.source, self.index = source, index

    def value(self):
        return self.source.items()[self.index]

    def __reduce__(self):
        return (_same_value, (self.value(),))


def _value(item):
    """A value, or the one a Deferred stands for (a big build's words kept in its scratch file)."""
    return item.value() if isinstance(item, Deferred) else item


def _no_text(record) -> None:
    return None


def _same_value(value, cold=None, text=None):
    return value


def _deferred_items(cold: PackJSON | list | None, count: int) -> list:
    if isinstance(cold, PackJSON):
        return [PackItem(cold, i) for i in range(count)]
    return cold


# Each section's record type, as (to_json: what every read parses, cold: JSON parsed only when
# asked for, or None, text: its bulky text or None, from_json(data, cold, text)).
CODECS: dict[str, tuple[Any, Any, Any, Any]] = {
    "loaded": (LoadRecord.to_json, _no_text, LoadRecord.text, LoadRecord.from_json),
    "markdown": (MarkdownRecord.to_json, MarkdownRecord.cold, MarkdownRecord.text,
                 lambda data, cold, text: MarkdownRecord.from_json(data, _deferred_items(cold, 2), text)),
    "outputs": (OutputRecord.to_json, OutputRecord.cold, _no_text,
                lambda data, cold, text: OutputRecord.from_json(data, _deferred_items(cold, 1))),
    "search": (SearchRecord.to_json, _no_text, _no_text, lambda data, cold, text: SearchRecord.from_json(data)),
    # search.WordRecord's words of one page, by its address: [digest, terms, scores], the terms and scores
    # read only when asked for (search.PageWords).
    "search_pages": (lambda words: words[:1], lambda words: words[1:], _no_text,
                     lambda data, cold, text: [data[0], *_deferred_items(cold, 2)]),
    "site": (SiteRecord.to_json, _no_text, _no_text, lambda data, cold, text: SiteRecord.from_json(data)),
    "links": (LinkRecord.to_json, _no_text, _no_text, lambda data, cold, text: LinkRecord.from_json(data)),
}
# Sections whose JSON may hold dates ({"$date": ...}, see _unlike_json).
_DATED = {"loaded"}

PREFETCH_AFTER = 64   # records read one by one before Section reads the rest together
_NEW = None   # in Section.live: a record assigned in this build, not in the pack


def encode_record(section: str, record) -> bytes:
    """A record's bytes in the pack: the length of its JSON and the JSON, the length of its
    cold JSON and that JSON, then its bulky text."""
    to_json, cold_of, text_of, _ = CODECS[section]
    meta = _ENCODER.encode(to_json(record)).encode("utf-8", "surrogatepass")
    cold = cold_of(record)
    cold = b"" if cold is None else _encode_cold(cold).encode("utf-8", "surrogatepass")
    text = text_of(record)
    if text is None:
        blob = b""
    else:
        blob = (text if type(text) is str else text.value()).encode("utf-8", "surrogatepass")
    return b"".join((len(meta).to_bytes(4, "little"), meta, len(cold).to_bytes(4, "little"), cold, blob))


def _encode_cold(items: list) -> str:
    """A record's cold list as JSON. Its items may be Deferred: one already kept as JSON text
    (a big build's links and deps in its scratch file) goes in as it is, not parsed and encoded
    again (that was a fifth of writing a cold build's cache); the same bytes as encoding the list."""
    if not any(isinstance(item, Deferred) for item in items):
        return _ENCODER.encode(items)
    parts = []
    for item in items:
        text = item.json_text() if isinstance(item, Deferred) else None
        parts.append(_ENCODER.encode(_value(item)) if text is None else text)
    return "[" + ",".join(parts) + "]"


# Made once: json.dumps makes one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_unlike_json)


def decode_records(pack: Pack, section: str, found: list[tuple[tuple[int, int, int], Any]],
                   colds: list | None = None) -> list:
    """The records of these (entry, bytes) pairs, their CRC checked: their JSON parsed as one
    list, their cold JSON and text left in the pack. None for a record that does not decode.
    `colds`: given, each record's PackJSON (or None) is added to it."""
    from_json = CODECS[section][3]
    hook = revive_date if section in _DATED else None
    heads, places = [], []
    for _, raw in found:
        size = int.from_bytes(raw[:4], "little")
        cold_at = 4 + size + 4
        cold_size = int.from_bytes(raw[4 + size:cold_at], "little")
        if cold_at + cold_size > len(raw):
            heads.append(b"!")   # never JSON: damaged
            places.append((0, 0))
        else:
            heads.append(raw[4:4 + size])
            places.append((cold_at, cold_size))
    try:
        datas = json.loads(b"[" + b",".join(heads) + b"]", object_hook=hook) if len(heads) > 1 else None
        if not (isinstance(datas, list) and len(datas) == len(heads)):
            datas = None
    except _DAMAGE:
        datas = None   # one of them is damaged: each on its own
    records = []
    for i, (entry, raw) in enumerate(found):
        try:
            data = datas[i] if datas is not None else json.loads(bytes(heads[i]), object_hook=hook)
            cold_at, cold_size = places[i]
            text_at = cold_at + cold_size
            cold = PackJSON(PackPart(pack, entry, cold_at, text_at)) if cold_size else None
            text = PackText(PackPart(pack, entry, text_at, len(raw))) if text_at < len(raw) else ""
            records.append(from_json(data, cold, text))
        except _DAMAGE:
            records.append(None)
            cold = None
        if colds is not None:
            colds.append(cold)
    return records


_DAMAGE = (ValueError, TypeError, KeyError, AttributeError, IndexError, UnicodeError)


def _parse_cold(pairs: list[tuple[PackJSON, Any]]) -> None:
    """The cold JSON of these records, each with its record's checked bytes, parsed as one list.
    When that fails, each is parsed on its own when asked for."""
    texts = [raw[part.part.start:part.part.stop] for part, raw in pairs]
    try:
        parsed = json.loads(b"[" + b",".join(texts) + b"]")
    except ValueError:
        return
    if isinstance(parsed, list) and len(parsed) == len(pairs):
        for (part, _), items in zip(pairs, parsed, strict=True):
            if isinstance(items, list):
                part.parsed = items


class Pack:
    """An open pack, with the index that was read with it: where each record lies."""

    def __init__(self, index: Path, name: str, fd: int, end: int, sections: dict[str, dict[str, tuple]],
                 digest: str = ""):
        self.index = index
        self.name = name
        self.fd = fd              # read with os.pread: forked workers share it safely
        self.end = end            # bytes of the pack the index vouches for
        self.sections = sections  # section -> key -> (offset, length, crc32)
        self.digest = digest      # of the index's bytes: names every record of this cache (BuildCache.index_digest)

    def __del__(self):
        with contextlib.suppress(OSError, TypeError):
            os.close(self.fd)

    def __reduce__(self):
        raise TypeError("an open pack stays in the process that opened it")

    @classmethod
    def open(cls, index: Path) -> Pack | None:
        """The pack the index at `index` names, or None when either is missing, old or damaged."""
        try:
            raw = index.read_bytes()
            data = json.loads(raw)
            name, end, sections = data["pack"], data["end"], data["sections"]
            if not (data.get("format") == FORMAT and data.get("code") == code_fingerprint()
                    and isinstance(name, str) and name.startswith(index.name + "-") and "/" not in name
                    and type(end) is int and isinstance(sections, dict)):
                return None
            entries = {s: _section_entries(sections.get(s)) for s in CODECS}
            if any(e is None for e in entries.values()):
                return None
        except (OSError, *_DAMAGE):
            return None
        try:
            fd = os.open(index.with_name(name), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            if os.fstat(fd).st_size >= end and os.pread(fd, len(PACK_MAGIC), 0) == PACK_MAGIC:
                return cls(index, name, fd, end, entries, hashlib.sha1(raw).hexdigest())
        except OSError:
            pass
        os.close(fd)
        return None

    def raw(self, entry) -> bytes | None:
        """The bytes of the record at `entry`, or None when the entry or those bytes are damaged."""
        try:
            offset, length, crc = entry
            if not (type(offset) is int and type(length) is int and len(PACK_MAGIC) <= offset
                    and length >= 4 and offset + length <= self.end):
                return None
            raw = os.pread(self.fd, length, offset)
        except (OSError, *_DAMAGE):
            return None
        return raw if len(raw) == length and zlib.crc32(raw) == crc else None

    def read(self, section: str, entry) -> Any:
        """The record at `entry`, or None when it is damaged."""
        raw = self.raw(entry)
        if raw is None:
            return None
        return decode_records(self, section, [(entry, raw)])[0]


def _section_entries(data) -> dict[str, tuple[int, int, int]] | None:
    """An index's section, [keys, [offset, length, crc, ...]], as key -> entry; None if damaged."""
    if not (isinstance(data, list) and len(data) == 2):
        return None
    keys, numbers = data
    # Each item's type gathered in one pass (map, set) rather than checked one by one: the index
    # holds tens of thousands of keys and three times as many numbers, read by every build.
    if not (isinstance(keys, list) and isinstance(numbers, list) and 3 * len(keys) == len(numbers)
            and set(map(type, keys)) <= {str} and set(map(type, numbers)) <= {int}):
        return None
    return dict(zip(keys, zip(numbers[0::3], numbers[1::3], numbers[2::3], strict=True), strict=True))


class Section(MutableMapping):
    """One section of a cache read from disk: all its keys at once, a record when asked for.

    A damaged record is missing. Records assigned in this build stay in memory until written."""

    def __init__(self, pack: Pack, name: str):
        self.pack = pack
        self.name = name
        self.live: dict[str, tuple | None] = dict(pack.sections[name])   # key -> entry in the pack, or _NEW
        self.records: dict[str, Any] = {}   # key -> its record, read or assigned
        self.stored: dict[str, Any] = {}    # key -> the record read from the pack
        self.cold: dict[str, PackJSON] = {}   # key -> the cold JSON of the record read, left in the pack
        # A stage that has asked for this many records one by one will ask for the rest:
        # they are then read in a few large reads and parsed at once.
        self._until_prefetch = PREFETCH_AFTER

    def __getitem__(self, key: str):
        try:
            return self.records[key]
        except KeyError:
            pass
        entry = self.live[key]
        self._until_prefetch -= 1
        if self._until_prefetch == 0:
            self.prefetch()
            return self[key]
        raw = self.pack.raw(entry)
        colds: list[PackJSON | None] = []
        record = None if raw is None else decode_records(self.pack, self.name, [(entry, raw)], colds)[0]
        if record is None:   # damaged: as if it had never been written
            del self.live[key]
            raise KeyError(key)
        self.records[key] = self.stored[key] = record
        if colds[0] is not None:
            self.cold[key] = colds[0]
        return record

    def __contains__(self, key) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __setitem__(self, key: str, record) -> None:
        if self.stored.get(key) is record:
            # The record read, changed in place and assigned again: `save` must compare it
            # with the record as the pack has it, not with itself.
            del self.stored[key]
        self.live[key] = _NEW
        self.records[key] = record

    def __delitem__(self, key: str) -> None:
        del self.live[key]
        self.records.pop(key, None)

    def __iter__(self):
        return iter(list(self.live))

    def __len__(self) -> int:
        return len(self.live)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        if len(self) != len(other) or any(key not in self.live for key in other):
            return False
        return all(key in self and self[key] == other[key] for key in other)

    __hash__ = None

    def prefetch(self, keys=None, cold: bool = False) -> None:
        """Read these records (all by default) now, in the pack's order: a few large reads
        for many small ones, and one parse of their JSON. `cold`: their cold JSON too
        (MarkdownRecord.cold), when a stage will ask for every record's links."""
        # The records made live on: Python's cycle collector, set off again and again as they
        # pile up, would walk the whole heap each time to find no garbage.
        with collector_paused():
            self._prefetch(keys, cold)

    def _prefetch(self, keys, with_cold: bool) -> None:
        live, records, stored, cold = self.live, self.records, self.stored, self.cold
        todo = []
        for key in (live if keys is None else keys):
            entry = live.get(key)
            if entry is not _NEW and key not in records:   # an entry of the index: checked when it was read
                todo.append((key, entry))
        for group in self._blocks(todo):
            found = [(entry, raw) for _, entry, raw in group if raw is not None]
            colds: list[PackJSON | None] = []
            decoded = iter(decode_records(self.pack, self.name, found, colds))
            parts = iter(colds)
            unparsed = []
            for key, _, raw in group:
                record = next(decoded) if raw is not None else None
                part = next(parts) if raw is not None else None
                if record is None:
                    del live[key]   # damaged: as if it had never been written
                    continue
                records[key] = stored[key] = record
                if part is not None:
                    cold[key] = part
                    unparsed.append((part, raw))
            if with_cold and unparsed:
                _parse_cold(unparsed)

    def _blocks(self, todo: list[tuple[str, tuple[int, int, int]]]):
        """(key, entry) pairs in groups, in the pack's order, as [(key, entry, its bytes, or None
        when damaged)]: one read for each run of records lying one after another (at most 4 MB)."""
        todo = sorted(todo, key=lambda item: item[1][0])
        end, fd = self.pack.end, self.pack.fd
        i = 0
        while i < len(todo):
            first = last = todo[i][1][0]
            j = i
            while j < len(todo) and todo[j][1][0] == last and last - first < (4 << 20):
                last += todo[j][1][1]
                j += 1
            j = max(j, i + 1)
            try:
                block = memoryview(os.pread(fd, last - first, first) if last <= end else b"")
            except OSError:
                block = memoryview(b"")
            group = []
            for key, entry in todo[i:j]:
                offset, length, crc = entry
                raw = block[offset - first:offset - first + length]
                ok = len(raw) == length >= 4 and offset >= len(PACK_MAGIC) and zlib.crc32(raw) == crc
                group.append((key, entry, raw if ok else None))
            yield group
            i = j


class AheadPack:
    """A new pack begun before the build ends (BuildCache.write_ahead): its first records,
    under a temporary name that another build's `save` leaves alone for a day, until `save`
    adds the rest and names it."""

    def __init__(self, index: Path, name: str, tmp: Path, end: int, sections: dict[str, _Written]):
        self.index = index        # the index it is for
        self.name = name          # its name once saved
        self.tmp = tmp
        self.end = end
        self.sections = sections

    @classmethod
    def begin(cls, index: Path, sections: dict[str, Mapping]) -> AheadPack | None:
        """A pack holding these records; None when it cannot be written (`write` then does it all)."""
        name = f"{index.name}-{secrets.token_hex(6)}.pack"
        tmp = index.with_name(f"{name}.tmp-{os.getpid()}")   # not `-*.pack`: see _save_locked's clean-up
        written: dict[str, _Written] = {}
        try:
            index.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb", buffering=WRITE_BUFFER) as out:
                out.write(PACK_MAGIC)
                position = len(PACK_MAGIC)
                for section, items in sections.items():
                    these = written[section] = _Written(list(items), list(items.values()), array("q"), array("L"))
                    for record in these.records:
                        data = encode_record(section, record)
                        out.write(data)
                        these.starts.append(position)
                        these.crcs.append(zlib.crc32(data))
                        position += len(data)
                    these.starts.append(position)
        except (OSError, *_DAMAGE):   # `write` meets it again, and deals with it
            with contextlib.suppress(OSError):
                tmp.unlink()
            return None
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return cls(index, name, tmp, position, written)

    def entry(self, section: str, key: str, record) -> tuple | None:
        """Where `record` lies in this pack, if it is the very record written there."""
        written = self.sections.get(section)
        return None if written is None else written.entry(key, record)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.tmp.unlink()


@dataclass(slots=True)
class _Written:
    """One section's records in an AheadPack, in the order written: a big build has hundreds of
    thousands, held while its pages render, so a few numbers each rather than a tuple in a dict."""
    keys: list[str]
    records: list[Any]   # LoadRecord or MarkdownRecord
    starts: array     # where each record starts, and after them where the last one ends
    crcs: array
    _next: int = 0    # the place `save` is expected to ask for next: it asks in the same order
    _places: dict[str, int] | None = None   # key -> place, made only if asked out of that order

    def entry(self, key: str, record) -> tuple | None:
        at = self._next
        if at >= len(self.keys) or self.keys[at] != key:
            if self._places is None:
                self._places = {name: place for place, name in enumerate(self.keys)}
            at = self._places.get(key)
            if at is None:
                return None
        self._next = at + 1
        if self.records[at] is not record:
            return None
        start = self.starts[at]
        return (start, self.starts[at + 1] - start, self.crcs[at])


def save(index: Path, read: dict[str, Section], sections: dict[str, Mapping], ahead: AheadPack | None = None) -> str:
    """Append what changed to the pack (or begin a new one), then replace the index.
    Returns the hash of the index's bytes (Pack.digest) as it now is. `ahead`: the new pack
    begun already, when nothing was read (BuildCache.write_ahead)."""
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(index.parent, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)   # two builds of one site: one writes at a time
            return _save_locked(index, read, sections, ahead)
        finally:
            os.close(lock)
    except BaseException:
        if ahead is not None:
            ahead.discard()
        raise


def _save_locked(index: Path, read: dict[str, Section], sections: dict[str, Mapping],
                 ahead: AheadPack | None = None) -> str:
    pack = next(iter(read.values())).pack if read else None
    if pack is not None:
        assert ahead is None, "a pack begun ahead is only for a cache that read none"
    fresh: list[tuple[list, str, Any]] = []   # (its entry, to fill in; section; record) of each record to write
    entries: dict[str, dict[str, tuple | list]] = {}
    kept_bytes = 0
    for name, records in sections.items():
        stored = pack.sections[name] if pack is not None else {}
        before = read.get(name)
        out = entries[name] = {}
        if isinstance(records, Section) and records is before:
            pairs = records.live.items()
        else:
            pairs = ((key, _NEW) for key in records)
            if before is not None and len(records) > 64:
                before.prefetch(records)   # to compare them with what was assigned, cheaply
        for key, entry in pairs:
            if entry is _NEW:
                record = records.records[key] if isinstance(records, Section) else records[key]
                entry = stored.get(key)
                old = None
                if entry is not None and before is not None:
                    old = before.stored.get(key) if key in before.stored else pack.read(name, entry)
                if ahead is not None:
                    entry = ahead.entry(name, key, record)
                    if entry is not None:   # written already
                        out[key] = entry
                        kept_bytes += entry[1]
                        continue
                if old is None or not (old is record or old == record):
                    entry = [-1, 0, 0]
                    fresh.append((entry, name, record))
                    out[key] = entry
                    continue
            out[key] = entry
            kept_bytes += entry[1]
    if pack is not None and not fresh and all(entries[n] == pack.sections[n] for n in entries):
        return pack.digest   # nothing changed: the index and the pack stay as they are
    end = _appendable(index, pack)
    total = sum(len(out) for out in entries.values())
    if end is not None and len(fresh) <= max(64, total // 4):
        # A few changed records: after the others, unless most of the pack would be garbage.
        encoded = [_place(entry, encode_record(name, record)) for entry, name, record in fresh]
        added = sum(len(data) for data in encoded)
        if end + added < MIN_COMPACT or 2 * (kept_bytes + added) >= end + added:
            name = pack.name
            _append(index.with_name(name), end, [entry for entry, _, _ in fresh], encoded)
            end += added
        else:
            name = f"{index.name}-{secrets.token_hex(6)}.pack"
            end = _compact(index.with_name(name), pack, entries, zip([e for e, _, _ in fresh], encoded, strict=True))
    else:
        # Many: a new pack, each record written as it is encoded (never the whole cache in memory).
        name = f"{index.name}-{secrets.token_hex(6)}.pack" if ahead is None else ahead.name
        end = _compact(index.with_name(name), pack, entries,
                       ((entry, _place(entry, encode_record(section, record))) for entry, section, record in fresh),
                       ahead)
    layout = {section: [list(out), list(chain.from_iterable(out.values()))] for section, out in entries.items()}
    text = _ENCODER.encode({"format": FORMAT, "code": code_fingerprint(), "pack": name, "end": end, "sections": layout})
    raw = text.encode("utf-8", "surrogatepass")
    tmp = index.with_name(index.name + f".tmp-{os.getpid()}")
    tmp.write_bytes(raw)
    os.replace(tmp, index)
    for old in index.parent.glob(glob.escape(index.name) + "-*.pack"):
        if old.name != name:   # a previous pack; a build still reading it keeps it open
            with contextlib.suppress(OSError):
                old.unlink()
    # A pack being written (`.pack.tmp-PID`) is another build's, unless the build that began it
    # was stopped before it could remove it: a day later, it is litter.
    stale = time.time() - STALE_SECONDS
    for old in index.parent.glob(glob.escape(index.name) + "-*.pack.tmp-*"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < stale:
                old.unlink()
    return hashlib.sha1(raw).hexdigest()


def _place(entry: list, data: bytes) -> bytes:
    """Fill in a new record's length and checksum in its entry."""
    entry[1], entry[2] = len(data), zlib.crc32(data)
    return data


def _appendable(index: Path, pack: Pack | None) -> int | None:
    """The end of the pack this cache was read from, if new records can go after it."""
    if pack is None:
        return None
    try:
        st = os.stat(index.with_name(pack.name))
    except OSError:
        return None
    if os.fstat(pack.fd).st_ino != st.st_ino or st.st_size < pack.end:
        return None
    return st.st_size   # after anything another build appended meanwhile


def _append(path: Path, end: int, placed: list[list], encoded: list[bytes]) -> None:
    """Write these records after the pack's end; their entries then point at them."""
    position = end
    for entry, data in zip(placed, encoded, strict=True):
        entry[0] = position
        position += len(data)
    if encoded:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            data = b"".join(encoded)
            if os.pwrite(fd, data, end) != len(data):
                raise OSError("short write")
        finally:
            os.close(fd)


def _compact(path: Path, pack: Pack | None, entries: dict[str, dict[str, tuple | list]], fresh,
             ahead: AheadPack | None = None) -> int:
    """A new pack: the kept records copied as they are (their entries moved to point into it,
    damaged ones dropped), then each of `fresh`, (entry, bytes) pairs. Returns its end.
    `ahead`: the pack begun already (its `name` is path's), which holds every kept record."""
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}") if ahead is None else ahead.tmp
    try:
        # Records are a few KB each: a large buffer makes one write of many (at 10,000 pages, 42,000
        # writes through the default buffer, the file system's block size, took 0.2 s; in 1 MB, 0.05 s).
        with open(tmp, "wb" if ahead is None else "r+b", buffering=WRITE_BUFFER) as out:
            if ahead is None:
                out.write(PACK_MAGIC)
                position = len(PACK_MAGIC)
            else:
                position = out.seek(ahead.end)
            for section in entries.values():
                for key, entry in list(section.items()):
                    if isinstance(entry, list) and entry[0] < 0:
                        continue   # a fresh record: written below
                    if ahead is not None:
                        continue   # written ahead: where its entry says
                    raw = pack.raw(entry) if pack is not None else None
                    if raw is None:
                        del section[key]
                        continue
                    out.write(raw)
                    section[key] = (position, entry[1], entry[2])
                    position += len(raw)
            for entry, data in fresh:
                entry[0] = position
                out.write(data)
                position += len(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return position
