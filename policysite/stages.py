"""The build as a list of stages over one BuildState; `run` shows them all in order.

Each stage is a plain function that reads and fills the state. Nothing is
written until every page has been loaded, linked, rendered and checked, so a
problem found late never leaves half a site. Three stages keep a typed record
per item in the BuildCache (cache.py) and reuse it only when it still holds, so
a build gives byte for byte what a clean build would:

    load_pages        LoadRecord per Markdown file
    render_markdown   MarkdownRecord per page body
    render_pages      OutputRecord per written page, SearchRecord for the index

`serve`'s quick rebuild (`quick_rebuild`) runs the same stage functions for the
pages whose bodies were edited, when nothing else can have changed.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import posixpath
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import clock, images, layoutids, layoutlinks, pool, publish, search, translations
from .cache import (
    BuildCache,
    LinkRecord,
    LoadRecord,
    MarkdownRecord,
    OutputRecord,
    PageData,
    SearchRecord,
    Section,
    code_fingerprint,
    digest,
    look_at,
    triples,
)
from .config import CONFIG_NAME, SiteConfig, load_config
from .diagnostics import Diagnostic, Diagnostics, closest
from .heap import collector_paused, frozen, lasting
from .hooks import PAGE_HOOKS, HookError, Hooks, load_hooks
from .hooks import fingerprint as hooks_fingerprint
from .layoutids import LayoutIds
from .links import URL_SAFE, LinkProblem, Resolver, Target, signature
from .load import MAX_FILE_BYTES, load_page, read_bytes
from .markup import RESERVED_IDS, MarkdownRenderer, link_lines, render_fingerprint
from .memo import SHA_LENGTH, read_file
from .model import EMPTY, Group, Page, held
from .schema import moment
from .site import LISTING_PAGE_SIZE, Site, build_site, listing_page_count, paged_url, slugify
from .spill import Spill, SpillText, put_json
from .status import CURRENT
from .templates import (
    LayoutError,
    Templates,
    check_compiled_assets,
    page_context,
    paginate,
    site_context,
    type_label,
)


@dataclass
class BuildOptions:
    site_dir: Path
    output: Path | None = None
    strict: bool = False
    drafts: bool = False
    future: bool = False          # include pages dated after the build time
    now: dt.datetime | None = None   # the build time (clock.py); None: read once when the build starts
    base_url: str | None = None
    jobs: int | None = None
    write: bool = True            # False for `check`
    progress: Callable[[int, int], None] | None = None
    cache_file: Path | None = None  # where `build` keeps its cache between runs


@dataclass
class BuildResult:
    diagnostics: Diagnostics
    ok: bool = False
    site: Site | None = None
    pages: int = 0
    rendered: int = 0             # pages whose layout actually ran
    files: int = 0
    seconds: float = 0.0
    output: Path | None = None
    output_problem: str | None = None
    usage_problem: bool = False   # the output folder given cannot be used: exit 2
    # Pages left out as dated after the build time: [source, line of `date:`, the date], for the summary.
    scheduled: list[list[str | int]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)   # seconds per stage, for `--timings`


@dataclass
class BuildState:
    """Everything one build knows, filled in stage by stage."""
    options: BuildOptions
    cache: BuildCache
    now: dt.datetime = field(default_factory=clock.build_time)   # the build time, read once
    window: clock.Window = field(default_factory=clock.Window)    # how long the clock-dependent outcomes hold
    sink: Any = None                  # builder.BuildSink, builder.FolderSink, or None for `check`
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    config: SiteConfig | None = None
    config_fp: str = ""               # the configuration, options and hooks: part of every load key
    seal: str = ""                    # the hooks: part of every Markdown and page key
    hooks: Hooks = field(default_factory=Hooks)
    site: Site | None = None
    templates: Templates | None = None
    resolver: Resolver | None = None
    renderer: MarkdownRenderer | None = None   # kept for quick rebuilds
    spill: Spill | None = None        # where bodies and HTML made in bulk are kept (spill.py), made when first needed
    layout_ids: LayoutIds = field(default_factory=LayoutIds)
    ctx_site: dict[str, Any] = field(default_factory=dict)
    site_key: str = ""                # hash of what every layout sees besides the page
    link_table: str = ""              # what links can lead to (stages.link_table), "" until Markdown is rendered
    rendered: set[str] = field(default_factory=set)   # output files whose layout ran in this build
    # Pages whose links this build resolved as it rendered their Markdown (render_markdown): the
    # targets in their MarkdownRecords hold, whatever the last build's link table was.
    resolved: set[str] = field(default_factory=set)
    summaries: _Summaries = field(default_factory=lambda: _Summaries())   # what other pages show of each page
    written: list[str] = field(default_factory=list)
    extra: dict[str, str | SpillText] = field(default_factory=dict)   # sitemap, robots, feeds, search-index.json
    search_files: list[str] = field(default_factory=list)   # extras already in the sink: the full-text index, reused ones
    last_files: set[str] = field(default_factory=set)   # the files the last build wrote, as its records name them
    # What an edit reached, to render only the pages it can change (only_bodies_changed):
    last_shape: str = ""              # SiteRecord.shape as this build found it
    body_edits: set[str] | None = None   # files whose record was made again with only the body changed; None: more changed
    markdown_before: dict[str, MarkdownRecord | None] = field(default_factory=dict)   # source -> its record before render_markdown made it again
    only_bodies: list[Page] | None = None   # the pages whose outputs can have changed, when that is all; None: any
    # The pages whose Markdown and links this run renders and checks when only their bodies can have
    # changed (narrow_pages); the other pages' links are the LinkRecord's. None: every page's.
    narrow: list[Page] | None = None
    found_links: LinkRecord | None = None   # what check_links found, for render_pages to note with the shape
    files: int = 0
    timings: dict[str, float] = field(default_factory=dict)   # seconds per stage, in the order they ran

    @property
    def output(self) -> Path:
        return self.options.output or self.options.site_dir / "_site"

    def spill_for(self, count: int) -> Spill | None:
        """The build's scratch file, for a stage about to make `count` texts; None for a few
        (as many as pool.run does in this process alone: held, they cost little)."""
        if count < pool.PARALLEL_THRESHOLD:
            return None
        if self.spill is None:
            # Shared with worker processes only when the build forks any (pool.run does for
            # as many items as this, unless it may use one process alone).
            self.spill = Spill(shared=pool.parallel(count, self.options.jobs))
        return self.spill

    def failed(self) -> bool:
        return self.diagnostics.has_errors(self.options.strict)


def timed(stage):
    """Add the stage's wall time to `state.timings` (shown by `build --timings`), however it ends."""
    def timed_stage(state: BuildState, *args, **kwargs):
        started = time.perf_counter()
        try:
            return stage(state, *args, **kwargs)
        finally:
            state.timings[stage.__name__] = state.timings.get(stage.__name__, 0.0) + time.perf_counter() - started
    timed_stage.__name__ = stage.__name__
    timed_stage.__doc__ = stage.__doc__
    timed_stage.__wrapped__ = stage
    return timed_stage


def run(state: BuildState) -> BuildResult:
    """A whole build into `state.sink` (None: check only, write nothing)."""
    state.cache.reset_stats()      # each run reports only its own reuse
    load_configuration(state)      # site_config.yaml, hook files, then on_config
    # The site and the cache's records live until the build ends: Python's cycle collector,
    # run again and again as the later stages make many small objects, need not walk them
    # each time (at 10,000 pages that took a second of a rebuild that renders one page).
    # Frozen before it runs again: not even one collection walks them as they are loaded.
    with frozen():                 # until the build ends: `serve`'s last site must be collectable
        with lasting():
            load_pages(state)      # content/ into a Site, each file through its LoadRecord
        prepare_layouts(state)     # the layouts, the ids they give a page; every `layout:` names one
        # on_page_markdown, then HTML: of the edited pages alone when only bodies can have changed
        state.narrow = narrow_pages(state)
        render_markdown(state, [p for p in state.site.pages if p.source] if state.narrow is None else state.narrow)
        if state.narrow is not None and only_bodies_changed(state) is None:
            widen(state)           # their ids or links changed: every page's Markdown, every page's links
        with lasting():            # the links and backlinks it makes live on, as do the records
            check_links(state)     # fragments, backlinks, `related:`, `image.src`, generated paths
        if not state.failed():
            # on_page_context, the layout, on_page_html; meanwhile sitemap, feeds, search, and the cache's first part
            render_pages(state, page_jobs(state), alongside=lambda: (make_extras(state), save_ahead(state)))
            check_layout_links(state)   # every internal href and src the layouts wrote leads somewhere
        if not state.failed() and state.sink is not None:
            write_files(state)     # static files and extras; files the site no longer has go
            post_build(state)      # on_post_build
    return result_of(state, ok=not state.failed())


# -- configuration -----------------------------------------------------------

def config_fingerprint(options: BuildOptions, config: SiteConfig | None = None) -> str:
    """What every loaded page depends on besides its own file: configuration, options and hooks.

    Not policysite's own code: records only ever meet the code that made them, since a
    cache file written by other code is not read at all (BuildCache.read), and leaving
    the code out spares `check` the cost of fingerprinting it."""
    try:
        raw = (options.site_dir / CONFIG_NAME).read_bytes()
    except OSError:
        raw = b""
    if config is None:
        config = load_config(options.site_dir, Diagnostics(), base_url=options.base_url)
    return digest(raw, str(options.base_url), str(options.drafts), str(options.future), hooks_fingerprint(config))


@timed
def load_configuration(state: BuildState) -> None:
    options = state.options
    state.config = config = load_config(options.site_dir, state.diagnostics, base_url=options.base_url)
    state.config_fp = config_fingerprint(options, config)
    state.seal = digest(hooks_fingerprint(config))
    state.hooks = load_hooks(config, state.diagnostics)
    try:
        state.hooks.run("on_config", f"reading {CONFIG_NAME}", config=config)
    except HookError as error:
        state.diagnostics.error(*error.as_tuple(), code="hook-failed")


# -- loading -----------------------------------------------------------------

@timed
def load_pages(state: BuildState) -> None:
    """content/ into a Site; records of files no longer there are dropped."""
    cache, options = state.cache, state.options
    skip = [state.output] if options.write else []
    loaded: set[str] = set()
    state.last_shape, state.body_edits = cache.site.shape, set()
    if isinstance(cache.loaded, Section):
        cache.loaded.prefetch()   # every file's record is asked for: read them in a few large reads
    listing, cache.content_listing = cache.content_listing, None   # for this build only
    state.site = build_site(options.site_dir, state.config, state.diagnostics, drafts=options.drafts, skip=skip,
                            load=cached_loader(state, loaded), now=state.now, future=options.future, listing=listing)
    state.window = clock.window(clock_moments(state.site), state.now)
    for gone in [s for s in cache.loaded if s not in loaded]:
        del cache.loaded[gone]
        cache.stamps.pop(gone, None)
        cache.dirty = True
        state.body_edits = None
        note_site(state, shape="")
    live = {p.source for p in state.site.pages if p.source}
    for stale in [s for s in cache.markdown if s not in live]:
        del cache.markdown[stale]
        cache.dirty = True


def cached_loader(state: BuildState, loaded: set[str]):
    """load_page, through the LoadRecord of each file (keyed by its bytes and the configuration).

    build_site first gives its `prefetch` every Markdown file: those whose record may
    not hold (on a cold build, all) are read, hashed and loaded in worker processes."""
    cache, config_fp = state.cache, state.config_fp
    own = hooks_see_pages(state)
    fetched: dict[str, Fetched] = {}
    holding: dict[str, LoadRecord] = {}   # files `prefetch` found unchanged, with their records

    def note_stamp(where: str, stamp: tuple | None, sha: str) -> None:
        if stamp is None:
            cache.stamps.pop(where, None)
        elif cache.stamps.get(where) != (stamp, sha):
            # Else kept as the build's first look at its inputs took it (builder.build), which is
            # held all build long too: not a second copy of every file's stamp and hash.
            cache.stamps[where] = (stamp, sha)

    def reuse(record: LoadRecord, where: str, diagnostics: Diagnostics) -> Page | None:
        cache.stats.load_hits += 1
        if record.diagnostics:
            diagnostics.extend([Diagnostic.from_list(d) for d in record.diagnostics])
        return page_of(record.page, where, own)

    def load(where: str, path: str | Path, config, diagnostics: Diagnostics):
        loaded.add(where)
        unchanged = holding.pop(where, None)
        if unchanged is not None:
            return reuse(unchanged, where, diagnostics)
        raw = None   # the file's bytes, when they had to be read to hash them
        ready = fetched.pop(where, None)
        try:
            if ready is not None:
                sha = ready.sha
                note_stamp(where, ready.stamp, sha)
            else:
                st, stamp = look_at(path)
                known = cache.stamps.get(where)
                if stamp is not None and known is not None and known[0] == stamp:
                    sha = known[1]
                elif st.st_size > MAX_FILE_BYTES:
                    return load_page(where, path, config, diagnostics)   # reported there, unread
                else:
                    raw = read_bytes(path)
                    sha = hashlib.sha1(raw).hexdigest()
                    note_stamp(where, stamp, sha)
        except OSError:
            return load_page(where, path, config, diagnostics)
        key = digest(sha, config_fp)
        record = cache.loaded.get(where)
        if record is not None and record.key == key:
            return reuse(record, where, diagnostics)
        local = Diagnostics()
        if ready is not None:
            data, local.items = ready.page, ready.diagnostics
        else:
            data = page_data(load_page(where, path, config, local, raw))
        diagnostics.extend(local.items)
        fresh = cache.loaded[where] = LoadRecord(key=key, page=data, diagnostics=[d.as_list() for d in local.items])
        cache.dirty = True
        note_edit(state, where, record, fresh)
        return page_of(data, where, own)

    def prefetch(entries: list[tuple[str, str]]) -> None:
        todo = []
        trusted = cache.stamps_of_this_build   # stamps taken as this build began: no need to look again
        for where, path in entries:
            record, known = cache.loaded.get(where), cache.stamps.get(where)
            if record is not None and known is not None and record.key == digest(known[1], config_fp):
                if trusted:
                    holding[where] = record
                    continue
                try:
                    if look_at(path)[1] == known[0]:
                        continue   # unchanged: its record holds
                except OSError:
                    continue       # load_page reports it
            todo.append((where, path))
        if not pool.parallel(len(todo), state.options.jobs):
            return   # loaded one by one, as they come
        work = LoadWork(files=todo, config=state.config, spill=state.spill_for(len(todo)))
        results = pool.run(pool.Job(work=work, count=len(todo), keep=partial(_share_lines, {})), state.options.jobs)
        for (where, _), ready in zip(todo, results, strict=True):
            if ready is not None:
                fetched[where] = ready

    load.prefetch = prefetch
    return load


def _share_lines(shared: dict[tuple, dict[str, int]], results: list[Fetched | None]) -> list[Fetched | None]:
    """Loaded pages with one `lines` dict for each set of fields on the same lines (pool.Job.keep),
    as each chunk arrives from a worker process: pages written from one template have the
    same, and each held its own copy all build long. Nothing changes a page's `lines`.
    Each list among its fields (topics, organisations) is made exactly as long as it is:
    unpickled, a list of one to five items keeps room for several more."""
    for fetched in results:
        if fetched is not None and fetched.page is not None:
            lines = fetched.page.lines
            fetched.page.lines = shared.setdefault(tuple(lines.items()), lines)
            fields = fetched.page.fields
            for name, value in fields.items():
                if type(value) is list:
                    fields[name] = value.copy()
    return results


def page_data(page: Page | None) -> PageData | None:
    """What load_page gave a page (all it sets), as its LoadRecord keeps it."""
    if page is None:
        return None
    return PageData(kind=page.kind, title=page.title, description=page.description, fields=page.fields,
                    lines=page.lines, body=page.body, body_line=page.body_line)


def page_of(data: PageData | None, where: str, own: bool = False) -> Page | None:
    """The page a LoadRecord's data stands for, its body as the record holds it (from a cache
    file, read only if a stage needs it). Its fields are the record's own, unless `own`: a
    copy, for a site whose hooks see pages (hooks_see_pages) and may change them in place."""
    if data is None:
        return None
    fields, lines = (copy.deepcopy(data.fields), dict(data.lines)) if own else (data.fields, data.lines)
    return Page(kind=data.kind, source=where, title=data.title, description=data.description,
                fields=fields, lines=lines, body=data.body, body_line=data.body_line)


def hooks_see_pages(state: BuildState) -> bool:
    """Whether a hook is handed pages, and so can change what a page holds in place. Their
    fields, ids and contents are then copies, not the records': the cache keeps what the
    stages made, whatever a hook did, for the next build to start from as a clean build does."""
    return state.hooks.has(*PAGE_HOOKS, "on_post_build")


def note_edit(state: BuildState, where: str, before: LoadRecord | None, after: LoadRecord) -> None:
    """A file's LoadRecord was made again: the last full render no longer matches the records
    (SiteRecord.shape), and unless only its body changed, any page's output may have."""
    note_site(state, shape="")
    if state.body_edits is None:
        return
    # Compared in their cached form (the body left out): a record read from the cache has lists
    # where one just loaded has tuples.
    if before is None or before.page is None or after.page is None \
            or json.dumps(before.to_json()[1:], default=repr) != json.dumps(after.to_json()[1:], default=repr):
        state.body_edits = None
    else:
        state.body_edits.add(where)


@dataclass
class Fetched:
    """A Markdown file read, hashed and loaded in a worker process."""
    stamp: tuple[int, int, int, int, int] | None   # cache.file_stamp, taken before the file was read
    sha: str                      # of its bytes
    # What load_page gave, without the Page's other (empty) attributes: a Page takes twice as
    # long to pickle and four times as long to unpickle, in the main process.
    page: PageData | None
    diagnostics: list[Diagnostic]


@dataclass
class LoadWork:
    """The load stage's job for the worker pool: each file to a Fetched, or None to leave it to `load`."""
    files: list[tuple[str, str]]
    config: SiteConfig
    spill: Spill | None = None   # given, each page's body is kept there, never sent back

    def __call__(self, start: int, stop: int) -> list[Fetched | None]:
        out: list[Fetched | None] = []
        for where, path in self.files[start:stop]:
            try:
                st, stamp = look_at(path)
                if st.st_size > MAX_FILE_BYTES:
                    out.append(None)   # load_page reports it, unread
                    continue
                raw = read_bytes(path)
            except OSError:
                out.append(None)
                continue
            local = Diagnostics()
            page = load_page(where, path, self.config, local, raw)
            out.append(Fetched(stamp=stamp, sha=hashlib.sha1(raw).hexdigest(), page=page_data(page), diagnostics=local.items))
        if self.spill is not None:
            datas = [fetched.page for fetched in out if fetched is not None and fetched.page is not None]
            for data, body in zip(datas, self.spill.put([d.body for d in datas]), strict=True):
                data.body = body
        return out


# -- layouts -----------------------------------------------------------------

@timed
def prepare_layouts(state: BuildState) -> None:
    """Load the layouts (compiled ones kept in the cache), gather the ids they give, check every `layout:`."""
    site = state.site
    state.templates = templates = Templates(site, state.diagnostics, state.cache.compiled_layouts)
    templates.share_fragments = not state.hooks.has("on_page_context")   # a hook may change `site` page by page
    if state.options.write:
        check_compiled_assets(state.diagnostics, site.config.govuk_brand)
    # Reading the layouts again takes about as long as compiling them: kept in memory (serve)
    # and in the cache file (build) while the layouts are the same.
    known, fingerprint = state.cache.layout_ids, templates.fingerprint()
    if known is None or known[0] != fingerprint:
        noted = state.cache.site.layout_ids
        ids = LayoutIds.from_json(noted[1]) if len(noted) == 2 and noted[0] == fingerprint else None
        if ids is None:
            ids = layoutids.gather(templates.env, templates.names)
            note_site(state, layout_ids=[fingerprint, ids.to_json()])
        known = state.cache.layout_ids = (fingerprint, ids)
    state.layout_ids = known[1]
    names = sorted(n[:-5] for n in templates.names if n.endswith(".html") and not n.startswith(("_", "theme/")))
    for page in site.pages:
        if "layout" in page.fields and not templates.has_layout(page.fields["layout"]):
            hint = closest(page.fields["layout"], names)
            tip = f", did you mean `{hint}`?" if hint else f": available layouts are {', '.join(names)}"
            state.diagnostics.error(page.source, page.line("layout"), f"unknown layout `{page.fields['layout']}`{tip}", code="unknown-layout")
    for page_type in site.config.types.values():   # a site type's `layout:` (schema.PageType)
        if page_type.layout and not templates.has_layout(page_type.layout):
            hint = closest(page_type.layout, names)
            tip = f", did you mean `{hint}`?" if hint else f": available layouts are {', '.join(names)}"
            state.diagnostics.error(CONFIG_NAME, page_type.layout_line, f"unknown layout `{page_type.layout}` for type `{page_type.key}`{tip}",
                                    code="unknown-layout")


# -- Markdown ----------------------------------------------------------------

@dataclass
class MarkdownWork:
    """The Markdown stage's job for the worker pool: on_page_markdown, then the body to HTML."""
    pages: list[Page]
    keys: list[str]                            # each page's MarkdownRecord key
    resolver: Resolver
    hooks: Hooks
    reserved_ids: frozenset[str]               # ids the layouts give: headings never take them
    renderer: MarkdownRenderer | None = None   # made in each process on first use
    spill: Spill | None = None                 # given, each page's HTML, contents, links and deps are kept there, never sent back

    def __call__(self, start: int, stop: int) -> list:
        if self.renderer is None:
            self.renderer = MarkdownRenderer(self.resolver, reserved_ids=self.reserved_ids)
        done = [self.render(self.pages[i], self.keys[i]) for i in range(start, stop)]
        if self.spill is not None:
            made = [record for record in done if isinstance(record, MarkdownRecord)]
            htmls = self.spill.put([record.html for record in made])
            tocs = put_json(self.spill, [record.toc for record in made])
            links = put_json(self.spill, [record.links for record in made])
            deps = put_json(self.spill, [record.deps for record in made])
            for record, *spilled in zip(made, htmls, tocs, links, deps, strict=True):
                record.html, record.toc, record.links, record.deps = spilled
        return done

    def render(self, page: Page, key: str):
        """The page's MarkdownRecord, or the (path, line, message) of a hook that failed."""
        kept = held(page, "body")   # put back as it was: a spilled body is not to stay read on the page
        body = page.body
        try:
            page.body = self.hooks.transform("on_page_markdown", "markdown", body, f"building {page.source}",
                                             page=page, site=self.resolver.site)
            rendered = self.renderer.render(page)
        except HookError as error:
            return error.as_tuple()
        finally:
            page.body = kept
        # Its hash here, where the HTML is: the main process then need not read it. Its targets
        # as the renderer found them (render_markdown keeps them only when they hold).
        # Ids and fragments as one str each (the same headings recur from page to page): a chunk
        # of records sent back from a worker process then carries each once (see load.load_page).
        targets = rendered.targets
        for at in range(2, len(targets), 3):
            targets[at] = sys.intern(targets[at])
        return MarkdownRecord(key=key, html=rendered.html, sha=digest(rendered.html), ids=sorted(map(sys.intern, rendered.ids)),
                              toc=rendered.toc, links=rendered.links, deps=rendered.deps, problems=rendered.problems,
                              targets=tuple(targets))


def _resolved(outcome, page: Page, links: list[str]) -> list[tuple[int, Page, str]]:
    """(index in `links`, the page it leads to, the #fragment to check) of each link to a page."""
    targets = []
    for index, raw in enumerate(links):
        target = outcome(raw, page)
        if not isinstance(target, LinkProblem) and target.page is not None:
            targets.append((index, target.page, target.fragment))
    return targets


def _noted(targets: list[tuple[int, Page, str]]) -> tuple[int | str, ...]:
    """Targets as a MarkdownRecord notes them (flat): each page by its source, or its address when generated."""
    return tuple(item for index, linked, fragment in targets for item in (index, linked.source or linked.url, fragment))


@timed
def render_markdown(state: BuildState, pages: list[Page]) -> None:
    """Render these pages' bodies, reusing every MarkdownRecord that still holds.

    A record holds while its key is the same and each link in it resolves as it did. When
    nothing links can lead to has changed since the last build (link_table), that is so of
    every link, and none is resolved again."""
    cache, site = state.cache, state.site
    if state.resolver is None:
        state.resolver = Resolver(site)
    outcome = state.resolver.outcome
    reuse = not state.hooks.has("on_page_markdown")   # a hook sees the whole site: nothing is reusable
    if reuse and not state.link_table:
        state.link_table = ":".join(link_table(site))
    same_links = reuse and cache.site.links == state.link_table
    # Only titles changed: each link leads where it did, and holds unless it showed a changed title.
    titles = None
    if reuse and not same_links and cache.site.links.split(":")[0] == state.link_table.split(":")[0]:
        titles = {state.resolver.href_for(url): page.title for url, page in site.by_url.items()}
    todo = []
    reserved = state.layout_ids.reserved
    seal = digest(state.seal, *sorted(reserved))
    fingerprint = render_fingerprint(site.config)
    if isinstance(cache.markdown, Section) and len(pages) > 1:
        # Read together, in a few large reads; when links may lead elsewhere, each record's links too.
        cache.markdown.prefetch([p.source for p in pages], cold=reuse and not same_links)
    for page in pages:
        loaded = cache.loaded.get(page.source)
        # The LoadRecord's key names the file's bytes, so its body, while the page has the body it loaded.
        body = loaded.key if loaded is not None and loaded.page is not None and loaded.page.body is held(page, "body") \
            else page.body
        key = digest(page.source, body, str(page.body_line), fingerprint, seal)
        record = cache.markdown.get(page.source)
        if reuse and record is not None and record.key == key and (same_links or (
                _titles_hold(record, page, titles) if titles is not None else all(
                    signature(outcome(raw, page)) == sig for raw, sig in record.deps))):
            cache.stats.markdown_hits += 1
            _apply(state, page, record)
        else:
            todo.append((page, key))
            state.markdown_before[page.source] = record
    work = MarkdownWork(pages=[p for p, _ in todo], keys=[k for _, k in todo], resolver=state.resolver,
                        hooks=state.hooks, reserved_ids=reserved, renderer=state.renderer, spill=state.spill_for(len(todo)))
    results = pool.run(pool.Job(work=work, count=len(todo), keep=partial(_share_targets, site)), state.options.jobs,
                       state.options.progress)
    state.renderer = work.renderer   # this process's, when it rendered any: a quick rebuild reuses it
    if work.spill is not None:
        # Many pages rendered: the outcomes of this process's share would stay in memory through
        # the render stage, which forks a worker sharing them, for nothing (check_links takes
        # the rendered pages' targets from their records).
        state.resolver.forget()
    for (page, _), record in zip(todo, results, strict=True):   # one result per page, in order
        if isinstance(record, tuple):   # a hook failed
            state.diagnostics.error(*record, code="hook-failed")
            cache.markdown.pop(page.source, None)
            note_site(state, shape="")
            continue
        if reuse:
            # Where its links lead, as the renderer found them: check_links need not resolve them
            # again. Not with an on_page_markdown hook, which may have changed the site it sees
            # (in a worker process, only there).
            state.resolved.add(page.source)
            cache.stats.links_resolved += 1
        else:
            record.targets = None
        cache.markdown[page.source] = record
        cache.dirty = True
        note_site(state, shape="")
        _apply(state, page, record)


def _share_targets(site: Site, records: list) -> list:
    """MarkdownRecords with each target's page named by that page's own str (pool.Job.keep), as each
    chunk arrives from a worker process: unpickled, each is a copy, held as long as the record.
    And their ids in a list exactly as long as they are (unpickled, it keeps room for more)."""
    by_source, by_url = site.by_source, site.by_url
    for record in records:
        if isinstance(record, MarkdownRecord) and type(record.ids) is list:
            record.ids = record.ids.copy()
        if isinstance(record, MarkdownRecord) and record.targets:
            targets = list(record.targets)
            for at in range(1, len(targets), 3):
                where = targets[at]
                linked = by_source.get(where) or by_url.get(where)
                if linked is not None:
                    same = linked.source if linked.source == where else linked.url
                    if same == where:
                        targets[at] = same
            record.targets = tuple(targets)
    return records


def _titles_hold(record: MarkdownRecord, page: Page, titles: dict[str, str]) -> bool:
    """Whether each link of the record that showed a page's title (links.signature) shows it still,
    when every link leads where it did: `titles` is each page's title by its address in HTML."""
    for _raw, sig in record.deps:
        shown = sig[1]
        if shown is None:
            continue
        address = sig[0].split("#", 1)[0].split("?", 1)[0]
        if (titles.get(address) if address else page.title) != shown:   # `#id` alone: the page itself
            return False
    return True


def link_table(site: Site) -> tuple[str, str]:
    """Digests of everything the outcome of a link depends on besides the link and its page's
    folder and language (see links.Resolver and links.signature): where links can lead (every
    page's source, address, kind and translations, every file's address, size and image size,
    the drafts, the pages not yet published and the files that could not be read), and every
    page's title."""
    # Each part sorted: the same site gives the same digest whatever order its pages were loaded in.
    titles = sorted(f"{url}\0{page.title}" for url, page in site.by_url.items())
    lines = [site.config.root]
    lines += sorted(f"{source}\0{page.url}\0{page.kind}\0{page.lang}\0"
                    + " ".join(f"{lang}={other.url}" for lang, other in sorted(page.translations.items()))
                    for source, page in site.by_source.items())
    lines.append("\1")
    lines += sorted(f"{url}\0{page.source or page.kind}" for url, page in site.by_url.items())
    lines.append("\1")
    for files in (site.files, site.files_by_url, site.assets):
        lines += sorted(f"{name}\0{file.url}\0{file.size}\0{images.stamp(file)}" for name, file in files.items())
        lines.append("\1")
    lines += sorted(site.drafts)
    lines.append("\1")
    lines += sorted(f"{source}\0{page.date!r}" for source, page in site.scheduled.items())
    lines.append("\1")
    lines += sorted(site.unreadable)
    return (hashlib.sha1("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest(),
            hashlib.sha1("\n".join(titles).encode("utf-8", "surrogatepass")).hexdigest())


def _apply(state: BuildState, page: Page, record: MarkdownRecord) -> None:
    page.html = held(record, "html")   # from a cache file: read only if the page is rendered or indexed again
    page.html_sha = record.sha
    page.ids = record.ids   # the record's own list: the layout's ids are LayoutIds' (has_id)
    page.toc = held(record, "toc")   # a dict for each heading: in the scratch file, for a big build
    if hooks_see_pages(state):
        if isinstance(page.ids, list):   # else model.EMPTY, which nothing can change
            page.ids = list(page.ids)
        if isinstance(page.toc, list):   # read from the scratch file in a big build, afresh each time
            page.toc = copy.deepcopy(page.toc)   # asked: held by the page, a hook's change in place lasts


# -- links -------------------------------------------------------------------

@timed
def check_links(state: BuildState) -> None:
    """Every page's Markdown problems and links to fragments; backlinks; front matter links.

    Only the pages of state.narrow, when set: what the others' checks found is the
    LinkRecord's (their problems reported again from it), since only those pages' bodies
    changed, and not their ids or the pages they link to (only_bodies_changed)."""
    site, cache, narrow = state.site, state.cache, state.narrow
    pages = site.pages if narrow is None else narrow
    reported = len(state.diagnostics.items)
    held = _targets_hold(state)   # worked out once, not for each page
    for page in pages:
        if page.source and page.source in cache.markdown:
            page.links_to = check_page_links(state, page, held) or EMPTY
            if narrow is None:
                for linked in page.links_to:
                    if not isinstance(linked.backlinks, list):   # model.EMPTY: its first
                        linked.backlinks = []
                    linked.backlinks.append(page)
    if state.link_table and not state.hooks.has("on_page_markdown"):
        # Every record's links and targets now hold for this table (see render_markdown).
        note_site(state, links=state.link_table)
    if narrow is None:
        order = _ByTitle()   # a page is the backlink of many: its place is worked out once
        for page in site.pages:
            if len(page.backlinks) > 1:
                page.backlinks.sort(key=order.__getitem__)
    else:
        _links_of(state, narrow, cache.links)
        mine = {page.source for page in narrow}
        state.diagnostics.extend([Diagnostic.from_list(d) for d in cache.links.diagnostics if d[0] not in mine])
    if narrow is None:
        check_unread_bodies(state)
    check_front_matter_links(state, pages, state.diagnostics)
    images.size_lead_images(site, state.resolver, state.diagnostics, pages)   # lead images' sizes and checks
    state.found_links = _found_links(state, state.diagnostics.items[reported:])
    state.only_bodies = only_bodies_changed(state)
    if state.only_bodies is None:
        # The paths the site claims follow from its shape alone: after an edit to bodies alone,
        # they are those of the last build, which found none in the way (it rendered every page).
        publish.check_generated_paths(site, state.diagnostics)


def check_unread_bodies(state: BuildState) -> None:
    """The bodies of pages whose front matter could not be read: their Markdown problems and
    broken links, at their lines, so that fixing the front matter does not bring a second round
    of errors. Not kept in the cache: such a page fails the build, and there are few."""
    unread = state.site.unread_bodies
    if not unread:
        return
    renderer = state.renderer or MarkdownRenderer(state.resolver, reserved_ids=state.layout_ids.reserved)
    for page in unread:
        rendered = renderer.render(page)
        for problem in rendered.problems:
            _report(state.diagnostics, page, problem)
        lines = None
        for index, linked, fragment in _resolved(state.resolver.outcome, page, rendered.links):
            if fragment and not (fragment in rendered.ids if linked is page else has_id(state, linked, fragment)):
                if lines is None:
                    lines = link_lines(page, rendered.links)
                where = "this page" if linked is page else (linked.source or linked.url)
                state.diagnostics.error(page.source, lines[index], f"broken link `{rendered.links[index]}`: there is no "
                                        f"heading or id `{fragment}` in {where}", code="broken-link")


def _links_of(state: BuildState, pages: list[Page], record: LinkRecord) -> None:
    """These pages' backlinks and collections as the LinkRecord has them."""
    site = state.site
    for page in pages:
        name = page.source or page.url
        page.backlinks = _pages_named(site, record.backlinks.get(name, ()))
        page.collections = _pages_named(site, record.collections.get(name, ()))


def _pages_named(site: Site, names: list[str]) -> list[Page]:
    """The pages of these sources or (generated) addresses (all there while the site's shape holds)."""
    found = (site.by_source.get(name) or site.by_url.get(name) for name in names)
    return [page for page in found if page is not None]


def _found_links(state: BuildState, found: list[Diagnostic]) -> LinkRecord:
    """The LinkRecord of what check_links found (`found`: the problems it reported), its shape
    left for render_pages to fill in. After a narrow run, the last record's links."""
    problems = [d.as_list() for d in found]
    if state.narrow is not None:
        last = state.cache.links
        return LinkRecord(backlinks=last.backlinks, collections=last.collections, diagnostics=problems)
    backlinks, collections = {}, {}
    for page in state.site.pages:
        if page.backlinks:
            backlinks[page.source or page.url] = [p.source or p.url for p in page.backlinks]
        if page.collections:
            collections[page.source or page.url] = [p.source or p.url for p in page.collections]
    return LinkRecord(backlinks=backlinks, collections=collections, diagnostics=problems)


def narrow_pages(state: BuildState) -> list[Page] | None:
    """The pages whose files changed since the last build, when, as far as can be told before
    their Markdown is rendered, only their bodies did (only_bodies_changed) and the LinkRecord
    has what check_links found of every page at that build; None: every page is to be rendered
    and checked.

    Not for `serve`, whose quick rebuild takes every page's links from its last full run."""
    from .builder import BuildSink

    edits, site = state.body_edits, state.site
    if edits is None or not state.last_shape or not isinstance(state.sink, BuildSink) or state.failed() \
            or state.hooks.has(*PAGE_HOOKS, "on_config"):
        return None
    if not state.link_table:
        state.link_table = ":".join(link_table(site))
    if state.last_shape != site_shape(state) or state.cache.links.shape != state.last_shape:
        return None
    pages = [site.by_source.get(source) for source in sorted(edits)]
    return None if any(page is None for page in pages) else pages


def widen(state: BuildState) -> None:
    """Every page as a run over them all has it, after this run rendered only the pages of
    state.narrow: each other page's Markdown record applied, and, once check_links has checked
    the narrow pages, its links as the LinkRecord has them."""
    narrow = state.narrow
    if narrow is None:
        return
    state.narrow = None
    mine = {id(page) for page in narrow}
    rest = [page for page in state.site.pages if id(page) not in mine]
    render_markdown(state, [page for page in rest if page.source])
    if state.found_links is not None:
        _links_of(state, rest, state.cache.links)
        reported = Diagnostics()   # already: from the LinkRecord
        check_front_matter_links(state, rest, reported)
        images.size_lead_images(state.site, state.resolver, reported, rest)


def only_bodies_changed(state: BuildState) -> list[Page] | None:
    """The pages whose outputs can differ from the last build's, when the edit since was to
    pages' bodies alone; None when it may have reached any page.

    A body reaches other pages only through its headings' ids (links to `page.md#id`) and
    the pages it links to ("Pages that link here"); everything else another page's output
    shows of it comes from its front matter (OutputKeys). So when every file's record is the
    last build's but for files whose front matter is the same (body_edits), those pages'
    ids and link targets are too, and what every output reads besides its own page is what
    the last full render read (site_shape), only those pages' outputs can change."""
    edits, cache, site = state.body_edits, state.cache, state.site
    if edits is None or not state.last_shape or state.sink is None or state.failed() \
            or state.hooks.has(*PAGE_HOOKS, "on_config") or not state.markdown_before.keys() <= edits:
        return None
    if state.last_shape != site_shape(state):
        return None
    pages = []
    for source in sorted(edits):
        page = site.by_source.get(source)
        if page is None:
            return None
        if source in state.markdown_before:   # its Markdown was rendered again
            before, after = state.markdown_before[source], cache.markdown.get(source)
            if before is None or after is None or before.ids != after.ids \
                    or before.targets is None or after.targets is None \
                    or set(before.targets[1::3]) - {source} != set(after.targets[1::3]) - {source}:
                return None
        pages.append(page)
    return pages


def site_shape(state: BuildState) -> str:
    """A digest of what every page's output reads besides its own file and Markdown, as far as
    the other pages' front matter does not already say (only_bodies_changed): the layouts and
    `site` (site_key), the configuration and options, where links lead and every title
    (link_table), and the clock's window (a page's status)."""
    if not state.site_key:
        state.ctx_site = site_context(state.site)
        # Everything a layout can read besides the page: `site`, the layouts with `t()`'s words, the code.
        state.site_key = digest(json.dumps(state.ctx_site, sort_keys=True, default=str), state.templates.fingerprint(),
                                state.seal)
    return digest(state.site_key, state.config_fp, state.link_table, repr(state.window.as_list()))


class _ByTitle(dict):
    """Page -> its place in "Pages that link here": by title, then address."""

    def __missing__(self, page: Page) -> tuple[str, str]:
        found = self[page] = (page.title.casefold(), page.url)
        return found


def _targets_hold(state: BuildState) -> bool:
    """Whether the targets noted in MarkdownRecords still hold: nothing links can lead to has
    changed since they were noted. Targets depend on where links lead, not on titles: the
    first of link_table's two digests."""
    return bool(state.link_table) and state.cache.site.links.split(":")[0] == state.link_table.split(":")[0]


def check_page_links(state: BuildState, page: Page, held: bool | None = None) -> list[Page]:
    """Report the page's Markdown problems and broken fragments; the other pages it links to.

    Where its links lead is taken from its record when nothing links can lead to has
    changed since they were resolved (`held`, from _targets_hold) or when this build resolved
    them (state.resolved); else they are resolved again."""
    cache, site = state.cache, state.site
    record = cache.markdown[page.source]
    diagnostics = state.diagnostics
    for problem in record.problems:
        _report(diagnostics, page, problem)
    targets = None
    if held is None:
        held = _targets_hold(state)
    if record.targets is not None and (held or page.source in state.resolved):
        targets = []
        for index, where, fragment in triples(record.targets):
            linked = site.by_source.get(where) or site.by_url.get(where)
            if linked is None:   # cannot be while the table holds; resolved again to be sure
                targets = None
                break
            targets.append((index, linked, fragment))
    if targets is None:
        cache.stats.links_resolved += 1
        targets = _resolved(state.resolver.outcome, page, record.links)
        noted = _noted(targets)
        if record.targets != noted:
            # A new record, never the one read changed in place: the cache writes a record
            # only when it differs from the one it read (cache.save).
            cache.markdown[page.source] = record.with_targets(noted)
            cache.dirty = True
            note_site(state, shape="")
    seen: set[int] = set()
    links_to = []
    lines = None
    for index, linked, fragment in targets:
        if fragment and not has_id(state, linked, fragment):
            if lines is None:   # found only when needed: locating every link is costly
                lines = link_lines(page, record.links)
            raw = record.links[index]
            where = "this page" if linked is page else (linked.source or linked.url)
            diagnostics.error(page.source, lines[index], f"broken link `{raw}`: there is no heading or id `{fragment}` in {where}{_ids_hint(state, linked, fragment)}",
                              code="broken-link")
        if linked is not page and id(linked) not in seen:
            seen.add(id(linked))
            links_to.append(linked)
    return links_to


def _report(diagnostics: Diagnostics, page: Page, problem) -> None:
    """One of a MarkdownRecord's problems: [line, severity, message, code]."""
    line, severity, message, code = problem
    (diagnostics.error if severity == "error" else diagnostics.warning)(page.source, line, message, code=code)


def has_id(state: BuildState, page: Page, ident: str) -> bool:
    """Whether the page has this id: from its body, or from its layout (LayoutIds)."""
    return ident in _ids(state, page) or state.layout_ids.gives(page, ident)


def _ids(state: BuildState, page: Page) -> list[str]:
    """The ids the page's body gives. A page whose Markdown this run did not render (state.narrow)
    gets its record's now: it holds, as only the narrow pages changed."""
    if state.narrow is not None and page.source and not page.html_sha:
        record = state.cache.markdown.get(page.source)
        if record is not None:
            _apply(state, page, record)
    return page.ids


def _ids_hint(state: BuildState, page: Page, wanted: str) -> str:
    hint = closest(wanted, sorted(set(_ids(state, page)) - state.layout_ids.for_page(page)))
    return f": did you mean `#{hint}`?" if hint else ""


def clock_moments(site: Site) -> list[dt.datetime]:
    """Every moment at which a page's outcome changes with the clock: a page's date (published
    from then on) and a consultation's opening and closing."""
    moments = []
    for page in list(site.pages) + list(site.scheduled.values()):
        if page.date is not None:
            moments.append(moment(page.date))
        if page.consultation is not None:
            moments += [m for m in (page.consultation.opens, page.consultation.closes) if m is not None]
    return moments


def _front_matter_page(resolver: Resolver, page: Page, raw: str, line: int, what: str,
                       diagnostics: Diagnostics) -> Page | None:
    """The page a front matter path leads to, resolved like a link in Markdown, or None after an error."""
    try:
        target = resolver.resolve(raw, page)
    except LinkProblem as problem:
        diagnostics.error(page.source, line, f"{what} `{raw}` does not resolve: {problem}", code="broken-link")
        return None
    if target.page is None or target.fragment or not raw.split("#")[0].lower().endswith((".md", ".markdown")):
        diagnostics.error(page.source, line, f"{what} `{raw}` must be a page on this site, written as a path to its "
                                             "`.md` file, such as `../policy/name.md`", code="broken-link")
        return None
    return target.page


def resolve_collection(page: Page, resolver: Resolver, diagnostics: Diagnostics, layout_ids: LayoutIds) -> None:
    """A collection's `groups:`: each path checked like a link, each member told it is in the collection."""
    page.groups = EMPTY
    if page.type != "collection":
        return
    page.groups = []
    taken = set(page.ids) | layout_ids.for_page(page) | RESERVED_IDS   # and the ids the theme's layouts use
    for number, group in enumerate(page.fields.get("groups", ()), start=1):
        base = slugify(group["title"]) or f"group-{number}"
        ident, n = base, 1
        while ident in taken:   # a heading in the body, or another group, with the same words
            n += 1
            ident = f"{base}-{n}"
        taken.add(ident)
        members = []
        for raw, line in group.get("pages", ()):
            member = _front_matter_page(resolver, page, raw, line, "collection page", diagnostics)
            if member is None:
                continue
            if member is page:
                diagnostics.error(page.source, line, f"collection page `{raw}` is this collection itself: "
                                                     "list the pages it collects", code="broken-link")
                continue
            members.append(member)
            if page not in member.collections:
                if not isinstance(member.collections, list):   # model.EMPTY: its first
                    member.collections = []
                member.collections.append(page)
        page.groups.append(Group(title=group["title"], id=ident, description=group.get("description", ""),
                                 pages=members))


def check_front_matter_links(state: BuildState, pages: list[Page], diagnostics: Diagnostics) -> None:
    """These pages' `related:` links and `image.src`, resolved like links in Markdown; their problems into `diagnostics`."""
    resolver = state.resolver
    for page in pages:
        related = []
        for raw, line in page.fields.get("related", ()):
            target = _front_matter_target(state, diagnostics, page, raw, line, f"related link `{raw}`", "page", code="broken-link",
                                          wrong=f"related link `{raw}` must be a page on this site, written as a path to its `.md` file")
            if target is None:
                continue
            related.append({"title": target.page.title, "url": target.page.url + (f"#{target.fragment}" if target.fragment else ""),
                            "description": target.page.description, "lang": target.page.lang})
        page.related = related or EMPTY
        resolve_collection(page, resolver, diagnostics, state.layout_ids)
        outcome = page.fields.get("outcome")
        if outcome and page.type == "consultation":
            page.outcome_page = _front_matter_page(resolver, page, outcome, page.line("outcome"), "`outcome`", diagnostics)
        image = page.fields.get("image")
        if image:
            line = image.get("src_line", image.get("line", 1))
            target = _front_matter_target(state, diagnostics, page, image["src"], line, f"`image.src` `{image['src']}`", "file",
                                          code="broken-image",
                                          wrong=f"`image.src` must be an image file under assets/ or content/, not `{image['src']}`")
            if target is None:
                continue
            page.image_url = quote(target.file.url, safe=URL_SAFE)


def _front_matter_target(state: BuildState, diagnostics: Diagnostics, page: Page, raw: str, line: int, label: str,
                         leads_to: str, *, code: str, wrong: str) -> Target | None:
    """Where a link in front matter leads, if to a `leads_to` ("page" or "file"); else None, with the problem reported.

    `label` names the link in messages; `wrong` is the message for a link that leads to something else."""
    try:
        target = state.resolver.resolve(raw, page)
    except LinkProblem as problem:
        diagnostics.error(page.source, line, f"{label} does not resolve: {problem}", code=code)
        return None
    if getattr(target, leads_to) is None:
        diagnostics.error(page.source, line, wrong, code=code)
        return None
    if target.page is not None and target.fragment and not has_id(state, target.page, target.fragment):
        diagnostics.error(page.source, line, f"{label}: there is no heading or id `{target.fragment}` in "
                                f"{target.page.source or target.page.url}", code=code)
        return None
    return target


# -- pages -------------------------------------------------------------------

def page_jobs(state: BuildState, every: bool = False) -> list[tuple[str, Any]]:
    """Every page (with the further pages of a long listing), then every alias redirect: what render_pages writes.

    Only the pages an edit to bodies alone can have changed (state.only_bodies), unless `every`:
    render_pages then keeps the other outputs as they are."""
    site = state.site
    only = state.only_bodies if not every else None
    jobs: list[tuple[str, Any]] = []
    for page in (site.pages if only is None else only):
        jobs.append(("page", page))
        for number in range(2, listing_page_count(page, site) + 1):   # the rest of a long listing
            jobs.append(("listing", (page, number)))
    return jobs + [("alias", a) for a in site.aliases] if only is None else jobs


@dataclass
class PageJob:
    """One output file of the render stage: where it goes, its layout, what the layout sees."""
    path: str                  # site-relative output file
    layout: str
    context: dict[str, Any]
    where: str                 # for messages: the page's address, or the redirect's
    page: Page | None          # None for a redirect
    body: str                  # the rendered Markdown in the output: layout links are the rest


def page_job(state: BuildState, kind: str, item, base: dict[str, Any] | None = None) -> PageJob:
    """The PageJob of one item of page_jobs. `base`: the page's page_context, when made already
    (the pages of a long listing share it)."""
    site, ctx_site = state.site, state.ctx_site
    if kind in ("page", "listing"):
        page, number = (item, 1) if kind == "page" else item
        path = _job_path(kind, item)
        if base is None:
            base = page_context(page, site, ctx_site)
        context = {"page": paginate(base, number, listing_page_count(page, site)), "site": ctx_site}
        return PageJob(path=path, layout=state.templates.layout_for(page), context=context,
                       where=paged_url(page.url, number), page=page, body=page.html if number == 1 else "")
    target = item.target
    context = {"page": {"title": target.title, "url": item.url, "description": target.description,
                        "kind": "redirect", "breadcrumbs": []},
               "target": {"title": target.title, "url": target.url}, "site": ctx_site}
    return PageJob(path=item.path, layout="redirect.html", context=context, where=f"the redirect {item.url}",
                   page=None, body="")


class OutputKeys:
    """The key of each output file: a hash of everything its layout can see, made without
    making its context.

    templates.page_context shows a page's own values (its file, as the LoadRecord's key
    names it, its rendered body, what the build resolved for it: related links, lead
    image, groups, status) and a few values of other pages: its ancestors (breadcrumbs,
    structured data), what it lists, its backlinks (with their parents' titles), its
    collections, groups, outcome and translations. Each other page stands in the key by
    its summary (_Summaries): a digest of every value a context shows of a page not its
    own. A title edit so changes the keys of the pages that show that title, and a body
    edit only the page's own key. Each page of a long listing shows its share of what is
    listed (templates.paginate): its key has that share, and of the rest only the counts
    by type. Anything else a layout sees (`site`, the layouts, the code, the
    configuration) is in every key.
    """

    def __init__(self, state: BuildState):
        self.state = state
        self.prefix = digest(state.site_key, state.config_fp).encode()
        self.summaries = state.summaries
        self._last: tuple[Page | None, tuple | None] = (None, None)   # the last page and its page_parts
        self._chains: dict[Page, tuple[int, bytes]] = {}   # _chain
        self._backlinks: dict[Page, bytes] = {}              # _as_backlink

    def of(self, kind: str, item) -> str | None:
        """The key of one item of page_jobs; None when it cannot be told (the page is always rendered)."""
        if kind == "alias":
            return digest(self.prefix, "alias", item.url, item.path, self.summaries[item.target])
        page, number = (item, 1) if kind == "page" else item
        last, made = self._last
        if last is not page:
            made = self.page_parts(page)
            self._last = (page, made)
        if made is None:
            return None
        head, listed, count, counts = made
        summary = self.summaries.__getitem__
        if count == 1:
            shown = [b"\1l%d" % len(listed), *map(summary, listed)]
        else:
            # A long listing's page shows its share of what is listed, and the counts by type of all
            # of it (templates.paginate): a title edit renders again only the page that shows it.
            start = (number - 1) * LISTING_PAGE_SIZE
            shown = [b"\1l%d\1n%d" % (len(listed), number), counts,
                     *map(summary, listed[start:start + LISTING_PAGE_SIZE])]
        return hashlib.sha1(self.prefix + head + b"".join(shown)).hexdigest()

    def page_parts(self, page: Page) -> tuple[bytes, list[Page], int, bytes] | None:
        """(what every page of its listing shows alike, what it lists, how many pages the listing
        takes, the counts by type of what it lists when more than one); None when not known."""
        state, site = self.state, self.state.site
        if page.source:
            try:
                own = state.cache.loaded[page.source].key   # the file's bytes and the configuration: its front matter and body
            except KeyError:
                return None
        else:   # generated: what site.py gave it, from the configuration
            own = json.dumps([page.title, page.description, page.folder, page.fields], sort_keys=True, default=repr)
        summary = self.summaries.__getitem__
        listed, backlinks = site.listing(page), page.backlinks
        count = listing_page_count(page, site)
        toc = page.toc   # once: in a big build each read parses it again from the scratch file
        # Each list after its length, so that no two different sets of pages give the same bytes.
        # (repr of an empty list and of None written out: most pages have no table of contents,
        # related links, lead image or consultation.)
        parts = [
            # The layout (Templates.layout_for) follows from the fields, kind and type, the configuration
            # and the layouts' names: all in the key already.
            "\0".join((own, page.html_sha, repr(toc) if toc else "[]",
                       repr(page.related) if page.related else "[]", page.image_url or "",
                       "None" if page.lead_image is None else repr(page.lead_image),
                       "None" if page.consultation is None else repr(page.consultation),
                       str(count))).encode("utf-8", "surrogatepass"),
            summary(page),
            self._ancestry(page),
            b"\1b%d" % len(backlinks), *map(self._as_backlink, backlinks),
        ]
        if page.lang:   # breadcrumbs in the page's language
            parts += (b"\1v", *(summary(translations.version(a, page.lang)) for a in page.ancestors))
        if page.translations:
            parts.append(b"\1t%d" % len(page.translations))
            for lang, version in sorted(page.translations.items()):
                parts += (lang.encode(), summary(version))
        if page.groups:
            for group in page.groups:
                parts.append(b"\1g" + "\0".join((group.title, group.id, group.description)).encode("utf-8", "surrogatepass"))
                parts += (b"%d" % len(group.pages), *map(summary, group.pages))
        if page.collections:
            parts += (b"\1c%d" % len(page.collections), *map(summary, page.collections))
        if page.outcome_page is not None:
            parts += (b"\1o", summary(page.outcome_page))
        counts = b""
        if count > 1:   # as templates.paginate counts them: by each listed page's label in the page's language
            labels: dict[str, int] = {}
            for listed_page in listed:
                label = type_label(listed_page, site, page.lang)
                labels[label] = labels.get(label, 0) + 1
            counts = repr(sorted(labels.items())).encode("utf-8", "surrogatepass")
        return b"".join(parts), listed, count, counts

    def _ancestry(self, page: Page) -> bytes:
        """The count of the page's ancestors, then each one's summary from the home page down."""
        count, chain = self._chain(page)
        return b"\1a%d" % count + chain

    def _chain(self, page: Page) -> tuple[int, bytes]:
        """(how many ancestors, their summaries): made once per parent, as each child extends its parent's."""
        found = self._chains.get(page)
        if found is None:
            parent = page.parent
            if parent is None:
                found = (0, b"")
            else:
                count, chain = self._chain(parent)
                found = (count + 1, chain + self.summaries[parent])
            if page.children:   # kept for its children only: most pages have none
                self._chains[page] = found
        return found

    def _as_backlink(self, page: Page) -> bytes:
        """What a page's "Pages that link here" shows of a page: it and its parent (made once per page)."""
        found = self._backlinks.get(page)
        if found is None:
            summary = self.summaries.__getitem__
            found = self._backlinks[page] = summary(page) + (summary(page.parent) if page.parent is not None else b"\2")
        return found


class _Summaries(dict):
    """Page -> what a context can show of it when it is another page's (in listings,
    breadcrumbs, backlinks): a digest, made the first time it is asked for."""

    def __missing__(self, page: Page) -> bytes:
        fields = page.fields
        status = "" if page.status is CURRENT else repr(page.status)
        date, updated = fields.get("date"), fields.get("updated")   # Page.date and Page.updated
        text = (f"{page.url}\0{page.title}\0{page.description}\0{page.lang}\0{page.kind}\0{fields.get('type', 'page')}\0"
                f"{page.type_label}\0{'None' if date is None else repr(date)}\0{'None' if updated is None else repr(updated)}\0"
                f"{status}\0{page.source or ''}\0{page.key or ''}")
        found = self[page] = hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()
        return found


@dataclass
class PageWork:
    """The render stage's job for the worker pool: each page through its layout, into the sink."""
    jobs: list[tuple[str, Any]]
    keys: list[str | None]      # None: not worked out yet (by `keys_of`, if given), or not known
    state: BuildState
    share_contexts: bool        # False when a hook may change a context: each page then gets its own
    keys_of: OutputKeys | None = None
    _last: tuple[Page | None, dict[str, Any] | None] = (None, None)   # (page, its page_context): the pages of a long listing share it
    # One str per address in each process, so that a chunk's results, pickled together, carry each
    # address once: they wait, unpickled, in the main process while it makes the extras.
    _links: _SharedLinks | None = None

    def __call__(self, start: int, stop: int) -> list[tuple]:
        return [self.render(i) for i in range(start, stop)]

    def render(self, index: int) -> tuple:
        """(output path, key, sha, error or None, 1 if a page's layout ran, links the layout wrote,
        the file's stamp as written or None): the stamp goes to the sink as it comes in (_arrived)."""
        kind, item = self.jobs[index]
        key = self.keys[index]
        if key is None and self.keys_of is not None:
            key = self.keys_of.of(kind, item)   # for the OutputRecord: there was none it could match
        state = self.state
        site, templates, sink, hooks = state.site, state.templates, state.sink, state.hooks
        base = None
        if kind in ("page", "listing") and self.share_contexts:
            page = item if kind == "page" else item[0]
            last, base = self._last
            if last is not page:
                base = page_context(page, site, state.ctx_site)
                self._last = (page, base)
        job = page_job(state, kind, item, base)
        path, page, context = job.path, job.page, job.context
        try:
            if page is not None:
                context = hooks.transform("on_page_context", "context", context, f"building {page.where}",
                                          page=page, site=site)
            html = templates.render(job.layout, context)
            if page is not None:
                html = hooks.transform("on_page_html", "html", html, f"building {page.where}", page=page, site=site)
        except LayoutError as error:
            # The page apart from the message: render_pages reports each mistake once, not once a page.
            return (path, key, "", (error.path, error.line, error.message, job.where), 0, [], None)
        except HookError as error:
            # With the page its message names apart: render_pages reports each failure once, not once a page.
            return (path, key, "", (*error.as_tuple(), page.where if page is not None else ""), 0, [], None)
        data = html.encode("utf-8")
        sha = hashlib.sha1(data).hexdigest()
        stamp = sink.write_page(path, data) if sink is not None else None
        if self._links is None:
            self._links = _SharedLinks(site)
        links = self._links.of(layoutlinks.links_in(html, job.body))
        return (path, key, sha, None, 1 if kind == "page" else 0, links, stamp)   # redirects are not counted as pages


class _SharedLinks:
    """One str per distinct address among the links that layouts write (OutputRecord.links).

    Most of them are on many pages (the navigation, breadcrumbs, listings, each page's
    own address on the pages that list it), and every page's record keeps its own: each
    kept once, they cost a pointer a link instead of a string."""

    def __init__(self, site: Site):
        self.known = {page.url: page.url for page in site.pages}   # with a root of "/", a page's address as layouts write it

    def of(self, links: list[str]) -> list[str]:
        known = self.known
        return [known.setdefault(link, link) for link in links]

    def results(self, results: list[tuple]) -> list[tuple]:
        """PageWork results with their links shared, as each chunk of them arrives (pool.Job.keep)."""
        return [(*result[:5], self.of(result[5])) for result in results]   # without the stamp (_arrived)


@timed
def render_pages(state: BuildState, jobs: list[tuple[str, Any]], alongside: Callable[[], None] | None = None,
                 subset: bool = False) -> None:
    """These pages (and redirects) through their layouts into the sink, reusing OutputRecords that hold.

    An OutputRecord holds while its key (OutputKeys) is the same and the last output still
    has the file. `subset`: only some pages (a quick rebuild); the other records stay.
    When only some pages' bodies were edited (state.only_bodies), `jobs` are those pages'
    and every other output of the last build is kept as it is, its record with it.
    `alongside` is work for this process while worker processes render."""
    cache, sink = state.cache, state.sink
    shape = site_shape(state)
    note_site(state, shape="")   # noted again below once every output is rendered or kept
    previous = cache.outputs
    if not subset:
        state.last_files.update(previous)
        # Until this run ends, nothing on disk is vouched for: if it stops half way on an
        # exception (a FolderSink writes in place), the next run renders every page again.
        cache.outputs = {}
    # A hook that sees contexts or HTML can make them differ from what the key says.
    reuse = sink is not None and not state.hooks.has("on_page_context", "on_page_html")
    # on_config can change the configuration in ways its file does not show.
    keyed = reuse and not state.hooks.has("on_config")
    keys_of = OutputKeys(state) if keyed else None
    shared = _SharedLinks(state.site)
    results: list[tuple | None] = []
    kept: dict[str, OutputRecord] = {}   # the records that hold, as read: kept as they are
    unread: list[str] = []   # outputs kept with their records left in the cache file, unread (_keep_the_rest)
    todo_jobs, todo_keys, todo_at = [], [], []
    if state.only_bodies is not None and not subset and keyed:
        jobs = _keep_the_rest(state, jobs, previous, kept, results, unread)
    for kind, item in jobs:
        path = _job_path(kind, item)
        before = previous.get(path) if keys_of is not None else None
        # Worked out here only to tell whether the last record holds; the page's own key, for
        # its new record, is worked out as it is rendered (PageWork), by the worker process
        # that renders it: on a first build, every key.
        key = keys_of.of(kind, item) if before is not None else None
        if before is not None and before.ctx == key and sink.reuse(path, before.sha):
            kept[path] = before
            results.append((path, key, before.sha, None, 0, held(before, "links")))   # read only if checked
            continue
        todo_at.append(len(results))
        results.append(None)
        todo_jobs.append((kind, item))
        todo_keys.append(key)
    work = PageWork(jobs=todo_jobs, keys=todo_keys, state=state,
                    share_contexts=not state.hooks.has("on_page_context"), keys_of=keys_of)
    keep = shared.results if sink is None else partial(_arrived, sink, shared.results)
    done = pool.run(pool.Job(work=work, count=len(todo_jobs), keep=keep), state.options.jobs,
                    state.options.progress, alongside)
    for at, result in zip(todo_at, done, strict=True):
        results[at] = result
        state.rendered.add(result[0])
    if sink is not None:
        sink.wrote([result[0] for result in done if result[3] is None])
    outputs = {}
    rendered = 0
    # One mistake in a layout, or one way a hook fails, fails every page it meets: each is said once, at
    # its line, with the first page and how many (each page still fails the build, and is rendered
    # again by the next). PageWork.render gives (file, line, message, page); a hook's message names the
    # page itself, so it is grouped with the page taken out.
    failures: dict[tuple[str, str, int, str], list] = {}   # (code, file, line, message) -> [first page, how many]
    for path, key, sha, error, did_render, links in results:
        if error is not None:
            where, line, message, page_where = error
            if _is_hook(state, error):
                group = ("hook-failed", where, line, message.replace(page_where, "\0") if page_where else message)
            else:
                group = ("layout-error", where, line, message)
            failures.setdefault(group, [page_where, 0])[1] += 1
            continue
        record = kept.get(path)
        outputs[path] = record if record is not None else OutputRecord(ctx=key or "", sha=sha, links=links)
        state.written.append(path)
        rendered += did_render
    for (code, where, line, message), (first, count) in failures.items():
        if code == "hook-failed":
            more = "" if count == 1 else f" (and on {count - 1} more page{'s' if count > 2 else ''})"
            state.diagnostics.error(where, line, message.replace("\0", first) + more, code=code)
        else:
            pages = f"while building {first}" if count == 1 else f"while building {first} first; on {count} pages in all"
            state.diagnostics.error(where, line, f"{message} ({pages})", code=code)
    state.written += unread
    if subset or state.failed():
        # A FolderSink has already written some of these in place: remember what is there
        # now, or a later build would take an old record's word for a page it overwrote.
        cache.outputs = {**previous, **outputs}
        cache.dirty |= cache.outputs != previous
    else:
        if unread:
            # The records in the cache file stay there, unread, with only these changes made to them.
            for path in previous.keys() - outputs.keys() - set(unread):   # outputs the build no longer makes
                del previous[path]
                cache.dirty = True
            for path, record in outputs.items():
                if kept.get(path) is not record:
                    previous[path] = record
                    cache.dirty = True
            cache.outputs = previous
        else:
            cache.outputs = outputs
            # The same records while each is one that held and each that was there still is.
            cache.dirty |= len(kept) != len(outputs) or len(outputs) != len(previous)
        if keyed:
            note_site(state, shape=shape)
            found = replace(state.found_links, shape=shape)
            if found != cache.links:
                cache.links = found
                cache.dirty = True
    cache.stats.rendered = rendered
    cache.stats.page_hits = len(state.written) - rendered


def _arrived(sink, keep: Callable[[list[tuple]], list[tuple]], results: list[tuple]) -> list[tuple]:
    """A chunk of PageWork results, as it comes in: the sink learns which files were written by
    now, and their stamps as written; what is kept of each result is the rest."""
    sink.arrived([(result[0], result[6]) for result in results if result[3] is None and result[6] is not None])
    return keep(results)


def _keep_the_rest(state: BuildState, jobs: list[tuple[str, Any]], previous, kept: dict[str, OutputRecord],
                   results: list, unread: list[str]) -> list[tuple[str, Any]]:
    """The last build's outputs other than these jobs', kept as they are (an edit to bodies alone
    cannot have changed them: only_bodies_changed), into `kept` and `results`, or into `unread`
    when the note saved with the cache gives each one's sha (BuildCache.noted_outputs): its
    record, which the cache file keeps as it is, is then not read. The jobs left to key and
    render: these, and the job of any kept output the last output lacks."""
    sink, noted = state.sink, state.cache.noted_outputs
    if not isinstance(previous, Section):
        noted = None   # records in memory: nothing to spare
    mine = {_job_path(kind, item) for kind, item in jobs}
    lost = set()
    for path in list(previous):
        if path in mine:
            continue
        entry = noted.get(path) if noted is not None else None
        if isinstance(entry, str) and sink.reuse(path, entry[:SHA_LENGTH]):
            unread.append(path)
            continue
        before = previous.get(path)   # None: its record was found damaged
        if before is not None and sink.reuse(path, before.sha):
            kept[path] = before
            results.append((path, before.ctx, before.sha, None, 0, held(before, "links")))
        else:
            lost.add(path)
    state.cache.stats.untouched = len(kept) + len(unread)
    state.cache.stats.unread = len(unread)
    if lost:   # changed or removed by hand since: made again, with every page as a full run has it
        widen(state)
        jobs = jobs + [job for job in page_jobs(state, every=True) if _job_path(*job) in lost]
    return jobs


def _is_hook(state: BuildState, error: tuple) -> bool:
    return any(error[0] == f.source for f in state.hooks.files)


# -- extras and writing ------------------------------------------------------

@timed
def make_extras(state: BuildState) -> None:
    """Sitemap, robots.txt, feeds, the search list and (for `build`) the full-text index.

    The first four are the last build's files when nothing they read has changed (extras_key);
    the sitemap and robots.txt also when only what they do not show has (a title, a description).
    SiteRecord.extras notes both digests, as "SITEMAP:ALL"."""
    from .builder import BuildSink

    sink, site, record = state.sink, state.site, state.cache.site
    kept = record.extra_files
    state.last_files.update(kept)
    noted_sitemap, _, noted_every = record.extras.rpartition(":")
    # What they read is the front matter and the site's shape: an edit to bodies alone leaves it as
    # the last build, which made these files, noted it (only_bodies_changed).
    every = noted_every if state.only_bodies is not None and noted_every else extras_key(state)
    # The names come from the cache file, which sits in the site's folder: only these files.
    names = set(publish.generated_paths(site)) - {f"{search.FOLDER}/index.json"}
    if sink is not None and noted_every == every and set(kept) == names and _reuse_all(sink, kept):
        # What the sitemap reads is part of what extras_key covers: its digest holds too.
        state.search_files.extend(sorted(kept))
        state.cache.stats.extras_reused = 1
    else:
        shas = {}
        sitemap_key = digest(state.config_fp, publish.sitemap_key(site))   # only now: it reads every listing
        if (sink is not None and noted_sitemap == sitemap_key and set(kept) >= SITEMAP_FILES
                and _reuse_all(sink, {rel: kept[rel] for rel in SITEMAP_FILES})):
            state.search_files.extend(sorted(SITEMAP_FILES))
            shas = {rel: kept[rel] for rel in SITEMAP_FILES}
        else:
            state.extra.update({"sitemap.xml": publish.sitemap(site), "robots.txt": publish.robots(site)})
        state.extra.update({"search-index.json": publish.search_index(site), **publish.feeds(site)})
        shas.update({rel: hashlib.sha1(text.encode("utf-8")).hexdigest() for rel, text in state.extra.items()})
        spill = state.spill_for(len(site.pages))
        if spill is not None:   # as big as a few lines a page: not held while the pages are rendered
            state.extra.update(zip(state.extra, spill.put(list(state.extra.values())), strict=True))
        note_site(state, extras=f"{sitemap_key}:{every}", extra_files=shas)
    if isinstance(sink, BuildSink):
        # `serve` skips the full-text index (search.js then falls back to
        # search-index.json) to keep rebuilds quick. Its postings live until the files are
        # made: the cycle collector would walk them again and again as they pile up.
        with collector_paused():
            state.search_files.extend(search_index(state))


SITEMAP_FILES = frozenset({"sitemap.xml", "robots.txt"})   # what publish.sitemap_key covers


@timed
def save_ahead(state: BuildState) -> None:
    """Begin the cache file of a first build with the records no later stage changes (each file's
    LoadRecord, each page's MarkdownRecord: most of its bytes; a hook changes only copies, see
    hooks_see_pages) while pages render, rather than after the output is in place, when nothing
    else is left to do (BuildCache.write_ahead)."""
    if state.sink is not None and state.options.cache_file is not None and not state.failed():
        state.cache.write_ahead(state.options.cache_file)


def _reuse_all(sink, files: dict[str, str]) -> bool:
    """Take each of these files (path -> hash) from the last output; if any cannot be, none."""
    taken = []
    for rel, sha in sorted(files.items()):
        if not sink.reuse(rel, sha):
            for done in taken:   # else a file the build does not make again would stay in the output
                sink.drop(done)
            return False
        taken.append(rel)
    return True


def extras_key(state: BuildState) -> str:
    """A digest of everything the sitemap, feeds, robots.txt and search-index.json read (publish.py):
    the configuration, and of each page its summary (_Summaries), its parent, its topics and
    organisations and its translations (a listing page's last change is the newest of what it
    lists), and its weight: with the rest, what orders a listing (publish.sitemap_key)."""
    summaries = state.summaries
    parts = [state.config_fp.encode()]
    for page in state.site.pages:
        fields = page.fields
        versions = " ".join(f"{lang}={other.url}" for lang, other in page.translations.items())
        parts.append(summaries[page])
        parts.append(f"{page.parent.url if page.parent else ''}\0{fields.get('topics')!r}\0{fields.get('organisations')!r}"
                     f"\0{versions}\0{fields.get('weight')!r}\n".encode("utf-8", "surrogatepass"))
    return hashlib.sha1(b"".join(parts)).hexdigest()


def search_index(state: BuildState) -> list[str]:
    """The full-text index (search.py): the last build's files where nothing they come from has changed.

    Each page's words and result come from its summary (_Summaries), its rendered body and
    its topics: a page whose digest of those is the same is not read again, and the
    index files that none of the changed pages is in are the last build's. After an edit to
    bodies alone (only_bodies_changed), only the edited pages' digests can differ from those the
    last build's words have: no other page's digest is worked out, nor its words read, and the
    record's key is left unknown ("")."""
    site, sink, cache = state.site, state.sink, state.cache
    labels = search.Labels.of(site.config)
    pages = search.searchable(site.pages)
    summaries = state.summaries
    salt = digest(code_fingerprint(), site.config.root, repr(labels)).encode()

    def digest_of(page: Page) -> str:
        return hashlib.sha1(salt + summaries[page] + f"{page.html_sha}\0{page.fields.get('topics', ())!r}".encode(
            "utf-8", "surrogatepass")).hexdigest()

    edited = None
    if state.only_bodies is not None:
        mine = {id(page) for page in state.only_bodies}
        edited = [n for n, page in enumerate(pages) if id(page) in mine]
        digests: list[str] | dict[int, str] = {n: digest_of(pages[n]) for n in edited}
        key = ""
    else:
        digests = [digest_of(page) for page in pages]
        key = digest(salt, *digests)
    before = cache.search
    state.last_files.update(before.files)
    if key and before.key == key and before.files and _reuse_all(sink, before.files):
        cache.stats.search_reused = 1
        return sorted(before.files)
    previous = search.WordRecord.from_json(before.words)
    checked: dict[str, bytes] = {}   # files of the last output read and found as it wrote them
    last_output = str(sink.previous)

    def read(rel: str) -> bytes | None:
        sha = before.files.get(rel)
        if sha is None:
            return None
        data = read_file(os.path.join(last_output, rel), sha, sink.known.get(rel))
        if data is not None:
            checked[rel] = data
        return data

    made = search.update_index(pages, site.config.root, labels, digests, previous, read, edited) if before.files else None
    if made is None:
        widen(state)   # every page's HTML, not only the edited pages'
        if edited is not None:   # every page's words made or taken again: every page's digest
            digests = [digest_of(page) for page in pages]
            key = digest(salt, *digests)
        # Each page's words, as big as its HTML, are kept for the cache: in the scratch file
        # until it is written, not in this process while the pages are rendered. (Not after
        # an edit, which updates the last index: the words are then mostly the last build's.)
        spill = state.spill_for(len(pages))
        made = search.build_index_reusing(site.pages, site.config.root, labels, previous, digests,
                                          keep=None if spill is None else partial(_spilled_words, spill))
    files, words = made
    del made
    words = words.to_json()
    shas = {}
    for rel in sorted(files):
        data = files.pop(rel)   # gone once written: a big site's index is not held whole beside its words
        # A file as it was read from the last output has the hash it was checked by.
        shas[rel] = sha = before.files[rel] if checked.get(rel) is data else hashlib.sha1(data).hexdigest()
        if not (rel in checked and before.files.get(rel) == sha and sink.reuse(rel, sha)):
            sink.write(rel, data)
            cache.stats.search_files_made += 1
    cache.search = SearchRecord(key=key, files=shas, words=words)
    cache.dirty = True
    return sorted(shas)


def _spilled_words(spill: Spill, words: list[list[str]]) -> list[list]:
    """Pages' words ([digest, terms, scores]) with their terms and scores in the scratch file."""
    texts = iter(spill.put([text for _, terms, scores in words for text in (terms, scores)]))
    return [[digest_, next(texts), next(texts)] for digest_, _, _ in words]


@timed
def check_layout_links(state: BuildState) -> None:
    """Every internal href and src that layouts wrote (the theme's and the site's) leads to a file of this build.

    Checked from the OutputRecords, reused ones included, so a deleted page breaks
    the links to it in pages that were not rendered again."""
    if state.failed():
        return
    site, outputs, record = state.site, state.cache.outputs, state.cache.site
    files = set(outputs) | set(state.extra) | set(state.search_files)
    statics = {f.output_path for f in list(site.assets.values()) + list(site.files.values())}
    files |= statics
    # While the build has every file of the last one, whose layout links all led to one, only
    # the pages rendered again can have a broken one. The last build's files are those its
    # records name (state.last_files) with this build's static files: they are taken as the
    # last build's only when their digest is the one that build noted.
    written = _files_digest(site, files)
    checked = state.rendered
    if record.layout_files != written:
        last = state.last_files | statics
        if not (record.layout_files and last <= files and _files_digest(site, last) == record.layout_files):
            checked = outputs
    root, base_url = site.config.root, site.config.base_url
    # Links that are not relative to their page, and so give the same answer on every page: most
    # links are on many pages (the navigation, breadcrumbs, listings), and a page whose links are
    # all known to lead somewhere is passed over in one step (a set's issuperset, in C). Looked up
    # one by one, at 100,000 pages their 3 million links took 4 s, growing faster than the pages.
    leads: set[str] = set()
    leads_nowhere: set[str] = set()
    broken: dict[str, list[str]] = {}    # link as written -> the output files it is on
    for path in sorted(p for p in checked if p in outputs):
        links = outputs[path].links
        if leads.issuperset(links):
            continue
        page_url = None
        for link in links:
            if link in leads:
                continue
            if link in leads_nowhere:
                ok = False
            else:
                if page_url is None:
                    page_url = "/" + (posixpath.dirname(path) + "/").lstrip("/")
                rel = layoutlinks.output_path(link, page_url, root, base_url)
                ok = rel is None or layoutlinks.exists(rel, files)
                if layoutlinks.same_from_every_page(link):
                    (leads if ok else leads_nowhere).add(link)
            if not ok:
                broken.setdefault(link, []).append(path)
    if broken:
        _report_layout_links(state, broken)
        written = ""
    note_site(state, layout_files=written)


def _files_digest(site: Site, files: set[str]) -> str:
    """What SiteRecord.layout_files notes: the site's address and the files a build wrote."""
    return hashlib.sha1("\0".join([site.config.root, site.config.base_url, *sorted(files)]).encode(
        "utf-8", "surrogatepass")).hexdigest()


def _report_layout_links(state: BuildState, broken: dict[str, list[str]]) -> None:
    """Each broken layout link as an error at the layout file and line that wrote it.

    Found by rendering the first page that has it once more, noting where each
    `url` filter ran; else by the address as written in a layout; else at the
    page's layout."""
    templates, config = state.templates, state.site.config
    files = {templates.where(name): name for name in sorted(templates.names, reverse=True) if name.endswith(".html")}
    sources = [(where, templates.source(name)) for where, name in sorted(files.items(), key=lambda f: (
        f[0].startswith("policysite/"), f[0]))]   # the site's own layouts first
    wanted = {paths[0] for paths in broken.values()}
    widen(state)   # any page's output may be rendered again here
    jobs = {}
    for kind, item in page_jobs(state, every=True):
        if _job_path(kind, item) in wanted:
            jobs[_job_path(kind, item)] = page_job(state, kind, item)
    traced: dict[str, dict[str, tuple[str, int]]] = {}
    for link, paths in broken.items():
        job = jobs[paths[0]]
        if job.path not in traced:
            traced[job.path] = templates.trace_links(job.layout, job.context)
        found = traced[job.path].get(link) or layoutlinks.find_line(link, config.root, config.base_url, sources)
        if found is None:
            found = (templates.where(job.layout), 1)   # written some other way: at the page's layout
        page_url = "/" + (posixpath.dirname(paths[0]) + "/").lstrip("/")
        count = len(paths) - 1
        others = f" and {count} other page{'s' if count > 1 else ''}" if count else ""
        state.diagnostics.error(*found, f"broken link `{link}` (on {page_url}{others}): there is no page or file "
                                        "at that address on this site", code="broken-layout-link")


def _job_path(kind: str, item) -> str:
    """The output file of one item of page_jobs, without making its context."""
    if kind == "page":
        return item.output_path
    if kind == "listing":
        page, number = item
        return paged_url(page.url, number).strip("/") + "/index.html"
    return item.path


@timed
def write_files(state: BuildState) -> None:
    """Static files and extras into the sink; then anything the site no longer has goes."""
    site, sink = state.site, state.sink
    keep = set(state.written)
    for static in list(site.assets.values()) + sorted(site.files.values(), key=lambda f: f.url):
        sink.copy(static.output_path, static.abs_path)
        keep.add(static.output_path)
    for rel in sorted(state.extra):
        text = state.extra[rel]
        sink.write(rel, (text if isinstance(text, str) else text.value()).encode("utf-8"))
        keep.add(rel)
    keep.update(state.search_files)
    # Smaller copies of large images, next to them (kept in .policysite-cache/images/ between builds).
    cache_file = state.options.cache_file
    made: dict[str, int] = {}
    keep.update(images.VariantMaker(cache_file.parent / "images" if cache_file is not None else None, made,
                                    state.diagnostics).write(site, sink))
    state.cache.stats.images_encoded += made.get("images_encoded", 0)
    state.cache.stats.images_reused += made.get("images_reused", 0)
    sink.finish(keep)


@timed
def post_build(state: BuildState) -> None:
    """on_post_build, with the folder being written (files it adds there are part of the output)."""
    output_dir = getattr(state.sink, "tmp", None) or getattr(state.sink, "root", None)
    unshare = getattr(state.sink, "unshare", None)
    if unshare is not None and state.hooks.has("on_post_build"):
        unshare()   # files shared with the live output get their own copies before a hook can change them
    try:
        state.hooks.run("on_post_build", "finishing the build", site=state.site, output_dir=output_dir)
    except HookError as error:
        state.diagnostics.error(*error.as_tuple(), code="hook-failed")


def note_site(state: BuildState, **changes) -> None:
    """Change fields of the SiteRecord. A new record, never the one read changed in place:
    the cache writes a record only when it differs from the one it read (cache.save)."""
    record = state.cache.site
    if any(getattr(record, name) != value for name, value in changes.items()):
        state.cache.site = replace(record, **changes)
        state.cache.dirty = True


def result_of(state: BuildState, ok: bool) -> BuildResult:
    site = state.site
    stats = state.cache.stats.as_dict()
    files = len(site.files) + len(site.assets) if site is not None and ok else 0
    state.files = files
    return BuildResult(diagnostics=state.diagnostics, ok=ok, site=site, pages=len(site.pages) if ok and site else 0,
                       rendered=stats["rendered"], files=files, output=state.output, stats=stats,
                       timings=dict(state.timings), scheduled=scheduled_pages(site))


def scheduled_pages(site: Site | None) -> list[list[str | int]]:
    """[source, line of `date:`, the date] of each page left out as dated after the build time."""
    if site is None:
        return []
    return [[source, page.lines.get("date", 1), page.date.isoformat()] for source, page in sorted(site.scheduled.items())]


# -- serve's quick rebuild ---------------------------------------------------

def quick_rebuild(last: BuildState, changed: set[Path], sink) -> BuildResult | None:
    """Render again only the pages whose bodies were edited, when nothing else can have changed.

    A page's body reaches other pages only through its headings' ids (links to
    `page.md#id`) and the pages it links to (their "Pages that link here"). When
    the edited files are existing pages whose front matter is unchanged, whose ids
    and link targets are the same and which render without errors, every other
    output is the same as before, so only these pages go through the stages
    again. Anything else (a new, deleted or renamed file, a layout, an asset, the
    configuration, a hook, a front matter edit, an error) gives None: a full run
    then gives the answer. The records are updated exactly as a full run would.
    """
    from .builder import FolderSink

    options, cache = last.options, last.cache
    if not changed or not isinstance(sink, FolderSink) or last.hooks.has(*PAGE_HOOKS):
        return None   # page hooks see the whole site: an edit can reach any page
    by_source = {p.source: p for p in last.site.pages if p.source}
    root = Path(os.path.abspath(options.site_dir))   # as the watcher names files, links not followed
    pages = []
    for path in sorted(changed):
        try:
            where = Path(os.path.abspath(path)).relative_to(root).as_posix()
        except ValueError:
            return None
        page = by_source.get(where)
        if page is None or not (options.site_dir / where).is_file() or where not in cache.markdown:
            return None
        pages.append(page)

    # A scratch file of its own, if it renders many pages: one shared with the last run would
    # only grow, as long as `serve` runs, with the texts of every run after it.
    state = BuildState(**{**vars(last), "sink": sink, "diagnostics": Diagnostics(), "written": [],
                          "summaries": _Summaries(), "rendered": set(), "last_files": set(), "resolved": set(),
                          "body_edits": None, "markdown_before": {}, "only_bodies": None, "spill": None,
                          "narrow": None, "found_links": None})
    state.diagnostics.extend(last.diagnostics.items)
    cache.reset_stats()
    before = {}
    for page in pages:
        if not _reload_body(state, page):
            return None
        before[page.source] = (cache.markdown[page.source], set(page.ids), {id(p) for p in page.links_to})
    render_markdown(state, pages)
    for page in pages:
        record, ids, _ = before[page.source]
        if set(page.ids) != ids:
            return None
        # The page's problems from its last render give way to those of this one (added below).
        old = Diagnostics()
        for problem in record.problems:
            _report(old, page, problem)
        for gone in old.items:
            if gone not in state.diagnostics.items:
                return None
            state.diagnostics.items.remove(gone)
    for page in pages:
        links_to = check_page_links(state, page)
        if {id(p) for p in links_to} != before[page.source][2]:
            return None
        page.links_to = links_to
    if state.failed():
        return None
    render_pages(state, [("page", p) for p in pages], subset=True)
    if state.failed():
        return None
    note_site(state, layout_files="")   # their layout links were not checked: the next full build checks every page's
    cache.stats.quick = 1
    cache.dirty = True
    cache.last_run = state
    return result_of(state, ok=True)


def _reload_body(state: BuildState, page: Page) -> bool:
    """Load the edited file again; True when only its body changed (the page then has the new body)."""
    cache, where = state.cache, page.source
    before = cache.loaded.get(where)
    cache.stamps.pop(where, None)   # read it again, whatever its stamp says
    fresh = cached_loader(state, set())(where, state.options.site_dir / where, state.config, Diagnostics())
    after = cache.loaded.get(where)
    if fresh is None or before is None or after is None or before.diagnostics != after.diagnostics:
        return False
    old, new = before.page, after.page
    if old is None or new is None or old != replace(new, body=old.body):
        return False
    page.body = fresh.body
    return True

