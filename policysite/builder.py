"""The build, stage by stage: gather and check everything, then write.

Nothing touches the output folder until every page has been loaded, linked,
rendered and checked, so a problem found late never leaves half a site.
A BuildCache (kept in memory by `serve`, on disk for `build`) lets a build
skip work whose inputs are unchanged; every reuse is checked first, so the
result is byte for byte what a clean build would give.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import time
from urllib.parse import quote
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import images, memo, publish, search
from .cache import BuildCache, code_fingerprint, digest, file_stamp
from .config import CONFIG_NAME, load_config
from .diagnostics import Diagnostic, Diagnostics, closest
from .links import URL_SAFE, LinkProblem, Resolver, signature
from .load import MAX_FILE_BYTES, load_page
from .markup import MarkdownRenderer, Rendered, link_lines, render_fingerprint
from .model import Page
from .site import Site, build_site
from .templates import (LayoutError, Templates, check_compiled_assets, listing_page_count, page_context,
                        paged_url, paginate, site_context)
from .write import OutputFolder, OutputProblem, check_output_folder, describe_os_error

def layout_ids(page: Page) -> set[str]:
    """Ids the theme's layouts give a page, so links such as `page.md#full-history` resolve."""
    ids = {"main-content"}
    if page.fields.get("change_history"):
        ids.add("full-history")
    return ids
# Below this many pages to render, worker processes cost more than they save.
PARALLEL_THRESHOLD = 64


@dataclass
class BuildOptions:
    site_dir: Path
    output: Path | None = None
    strict: bool = False
    drafts: bool = False
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
    stats: dict = field(default_factory=dict)


def build(options: BuildOptions, cache: BuildCache | None = None) -> BuildResult:
    """A whole build into the output folder (or, for `check`, no writing at all)."""
    started = time.perf_counter()
    output = options.output or options.site_dir / "_site"
    if options.write:
        try:
            check_output_folder(output, options.site_dir)
        except OutputProblem as problem:
            result = BuildResult(diagnostics=Diagnostics(), output=output, output_problem=str(problem), usage_problem=True)
            return result
    use_disk_cache = cache is None and options.cache_file is not None
    if not options.write:
        if use_disk_cache:
            cache = BuildCache.read(options.cache_file)
        return Builder(options, cache or BuildCache()).run(None)
    builder = Builder(options, cache or BuildCache())   # its cache is read below, unless the memo does
    inputs = memo_file = None
    if use_disk_cache:
        memo_file = options.cache_file.with_name(memo.MEMO_NAME)
        # Before anything is read: a file edited during the build then counts as changed.
        inputs = memo.input_digest(options.site_dir, builder.config_fingerprint(options))
    folder = None
    try:
        folder = OutputFolder(output)
        sink = BuildSink(folder, output)
        if inputs is not None:
            last = memo.read(memo_file)
            if last is not None and last["inputs"] == inputs:
                if memo.take_over(last, sink):
                    return _taken_over(last, options, folder, output, started)
                folder.reset()
        if use_disk_cache:
            builder.cache = BuildCache.read(options.cache_file)
        result = builder.run(sink)
        if result.ok:
            folder.commit()
            if use_disk_cache and (builder.cache.dirty or not options.cache_file.is_file()):
                builder.cache.write(options.cache_file)
            if inputs is not None:
                known = {rel: entry["sha"] for rel, entry in builder.cache.outputs.items()}
                known.update(builder.cache.search.get("files") or {})
                memo.write(memo_file, inputs, output, result.diagnostics.items, result.pages, result.files, known)
        else:
            folder.discard()
        result.seconds = time.perf_counter() - started
        return result
    except OutputProblem as problem:
        if folder is not None:
            folder.discard()
        return BuildResult(diagnostics=builder.diagnostics, output=output, output_problem=str(problem))
    except OSError as exc:
        if folder is not None:
            folder.discard()
        return BuildResult(diagnostics=builder.diagnostics, output=output, output_problem=describe_os_error(exc))
    except BaseException:
        if folder is not None:
            folder.discard()
        raise


def _taken_over(last: dict, options: BuildOptions, folder: OutputFolder, output: Path, started: float) -> BuildResult:
    """The result of a build whose inputs were those of the last one: its output, its warnings."""
    diagnostics = Diagnostics()
    diagnostics.extend([Diagnostic.from_list(d) for d in last["diagnostics"]])
    result = BuildResult(diagnostics=diagnostics, output=output, pages=last["pages"], files=last["files"],
                         stats={"taken_over": 1})
    if diagnostics.has_errors(options.strict):
        folder.discard()
    else:
        folder.commit()
        result.ok = True
    result.seconds = time.perf_counter() - started
    return result


class BuildSink:
    """Writes into a build's temporary folder, reusing unchanged pages from the last output."""

    def __init__(self, folder: OutputFolder, previous: Path):
        self.folder = folder
        self.tmp = folder.tmp
        self.previous = previous

    def reuse(self, rel: str, sha: str, checked: bool = False) -> bool:
        """Link the last output's copy of `rel` in, if it holds `sha` (already `checked` by the caller)."""
        old = self.previous / rel
        try:
            if not checked and hashlib.sha1(old.read_bytes()).hexdigest() != sha:
                return False
            dest = self.folder._path(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(old, dest)
            return True
        except OSError:
            return False

    def write(self, rel: str, data: bytes) -> None:
        self.folder.write(rel, data)

    def copy(self, rel: str, source: str) -> None:
        self.folder.copy(rel, source)

    def finish(self, keep: set[str]) -> None:
        pass


class FolderSink:
    """Writes into a folder in place, touching only files that change (for `serve`)."""

    def __init__(self, root: Path):
        self.root = root
        self._real = root.resolve()
        self.copied: dict[str, tuple] = {}

    def _path(self, rel: str) -> Path:
        path = self.root / rel
        if not path.resolve().is_relative_to(self._real):
            raise OutputProblem(f"refusing to write {rel}: it is outside the output folder")
        return path

    def reuse(self, rel: str, sha: str) -> bool:
        return (self.root / rel).is_file()

    def write(self, rel: str, data: bytes) -> None:
        path = self._path(rel)
        try:
            if path.read_bytes() == data:
                return
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def copy(self, rel: str, source: str) -> None:
        stamp = file_stamp(os.stat(source))
        if stamp is not None and self.copied.get(rel) == (source, stamp) and (self.root / rel).is_file():
            return
        path = self._path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        if stamp is None:
            self.copied.pop(rel, None)
        else:
            self.copied[rel] = (source, stamp)

    def finish(self, keep: set[str]) -> None:
        """Remove files (and links) that the site no longer has, then emptied folders."""
        root = str(self.root)
        for folder, dirs, files in os.walk(root, topdown=False):
            rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
            prefix = "" if rel_folder == "." else rel_folder + "/"
            # os.walk lists a link to a folder among `dirs` and does not follow it.
            for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                if prefix + name not in keep:
                    os.unlink(os.path.join(folder, name))
            if folder != root and not os.listdir(folder):
                os.rmdir(folder)


# State the worker processes inherit when they are forked.
_WORKER: dict = {}


class Builder:
    def __init__(self, options: BuildOptions, cache: BuildCache):
        self.options = options
        self.cache = cache
        self.diagnostics = Diagnostics()

    def run(self, sink, changed: set[Path] | None = None) -> BuildResult:
        """Build into `sink`. `changed` (from `serve`'s watcher) names the files edited since
        the last run: when they are only page bodies, a quick rebuild may do instead."""
        started = time.perf_counter()
        if changed is not None and self.cache.last_run is not None:
            quick = QuickRebuild(self, sink).run(changed)
            if quick is not None:
                return self._done(quick, started)
        self.cache.last_run = None
        options = self.options
        # A Builder can run again (after an edit): each run reports only its own problems.
        diagnostics = self.diagnostics = Diagnostics()
        self.cache.reset_stats()
        result = BuildResult(diagnostics=diagnostics, output=options.output or options.site_dir / "_site")

        config = load_config(options.site_dir, diagnostics, base_url=options.base_url)
        config_fp = self.config_fingerprint(options)
        skip = [result.output] if options.write else []
        loaded: set[str] = set()
        site = build_site(options.site_dir, config, diagnostics, drafts=options.drafts, skip=skip,
                          load=self._cached_loader(config_fp, loaded))
        for gone in [s for s in self.cache.loaded if s not in loaded]:   # files no longer there
            del self.cache.loaded[gone]
            self.cache.stamps.pop(gone, None)
            self.cache.dirty = True
        result.site = site
        templates = Templates(site, diagnostics, self.cache.compiled_layouts)
        if options.write:
            check_compiled_assets(diagnostics, config.govuk_brand)
        check_layouts(site, templates, diagnostics)
        resolver = Resolver(site)
        self.render_markdown(site, resolver)
        check_front_matter_links(site, resolver, diagnostics)
        images.size_lead_images(site, resolver, diagnostics)   # images: lead images' sizes and checks
        publish.check_generated_paths(site, diagnostics)
        if diagnostics.has_errors(options.strict):
            return self._done(result, started)

        extra: dict[str, str] = {}
        search_files: list[str] = []

        def meanwhile() -> None:
            """Work done while worker processes render the pages."""
            if sink is None:
                return
            extra.update({"sitemap.xml": publish.sitemap(site), "robots.txt": publish.robots(site),
                          "search-index.json": publish.search_index(site), **publish.feeds(site)})
            if isinstance(sink, BuildSink):
                # `serve` skips the full-text index (search.js then falls back to
                # search-index.json) to keep rebuilds quick.
                search_files.extend(self.search_index(site, sink))

        written = self.render_pages(site, templates, sink, alongside=meanwhile)
        if diagnostics.has_errors(options.strict):
            return self._done(result, started)
        result.pages = len(site.pages)
        if sink is not None:
            keep = set(written)
            for static in list(site.assets.values()) + sorted(site.files.values(), key=lambda f: f.url):
                sink.copy(static.output_path, static.abs_path)
                keep.add(static.output_path)
            for rel in sorted(extra):
                sink.write(rel, extra[rel].encode("utf-8"))
                keep.add(rel)
            keep.update(search_files)
            # images: smaller copies of large images, next to them (cached in .policysite-cache/images/).
            keep.update(images.VariantMaker(self.image_cache(), self.cache.stats, diagnostics).write(site, sink))
            sink.finish(keep)
        result.files = len(site.files) + len(site.assets)
        result.ok = True
        if isinstance(sink, FolderSink):
            self.cache.last_run = LastRun(site=site, resolver=resolver, templates=templates, config_fp=config_fp,
                                          ctx_site=self.page_keys[0], site_key=self.page_keys[1],
                                          diagnostics=list(diagnostics.items), files=result.files)
        return self._done(result, started)

    def search_index(self, site: Site, sink: "BuildSink") -> list[str]:
        """The full-text index (search.py), or the last build's files when nothing it reads has changed."""
        labels = search.Labels.of(site.config)
        key = search.fingerprint(site.pages, site.config.root, labels)
        before = self.cache.search
        if before.get("key") == key and before.get("files"):
            linked = []
            for rel, sha in sorted(before["files"].items()):
                if not sink.reuse(rel, sha):
                    break
                linked.append(rel)
            else:
                self.cache.stats["search_reused"] = 1
                return linked
            for rel in linked:   # a link that stayed would be written through, into the previous output
                (sink.tmp / rel).unlink()
        # Incremental index: unchanged pages' words come from the last build's record (search.WordRecord).
        previous = search.WordRecord.from_json(before.get("words"))
        files, words = search.build_index_reusing(site.pages, site.config.root, labels, previous)
        for rel in sorted(files):
            sink.write(rel, files[rel])
        self.cache.search = {"key": key, "files": {rel: hashlib.sha1(data).hexdigest() for rel, data in files.items()},
                             "words": words.to_json()}
        self.cache.dirty = True
        return sorted(files)

    def image_cache(self) -> Path | None:
        """Where smaller copies of images are kept between builds (None under --no-cache)."""
        cache_file = self.options.cache_file
        return cache_file.parent / "images" if cache_file is not None else None

    def _done(self, result: BuildResult, started: float) -> BuildResult:
        result.seconds = time.perf_counter() - started
        result.stats = dict(self.cache.stats)
        result.rendered = result.stats.get("rendered", 0)
        return result

    @staticmethod
    def config_fingerprint(options: BuildOptions) -> str:
        try:
            raw = (options.site_dir / CONFIG_NAME).read_bytes()
        except OSError:
            raw = b""
        return digest(raw, str(options.base_url), str(options.drafts), code_fingerprint())

    # -- load ---------------------------------------------------------------

    def _cached_loader(self, config_fp: str, loaded: set[str]):
        cache = self.cache

        def load(where: str, path: Path, config, diagnostics: Diagnostics):
            loaded.add(where)
            raw = None   # the file's bytes, when they had to be read to hash them
            try:
                st = path.stat()
                stamp = file_stamp(st)
                known = cache.stamps.get(where)
                if stamp is not None and known is not None and known[0] == stamp:
                    sha = known[1]
                elif st.st_size > MAX_FILE_BYTES:
                    return load_page(where, path, config, diagnostics)   # reported there, unread
                else:
                    raw = path.read_bytes()
                    sha = hashlib.sha1(raw).hexdigest()
                    if stamp is None:
                        cache.stamps.pop(where, None)
                    else:
                        cache.stamps[where] = (stamp, sha)
            except OSError:
                return load_page(where, path, config, diagnostics)
            key = digest(sha, config_fp)
            entry = cache.loaded.get(where)
            if entry is not None and entry["key"] == key:
                cache.stats["load_hits"] += 1
                diagnostics.extend([Diagnostic.from_list(d) for d in entry["diagnostics"]])
                if entry["page"] is None:
                    return None
                data = entry["page"]
                return Page(kind=data["kind"], source=where, title=data["title"], description=data["description"],
                            fields=data["fields"], lines=data["lines"], body=data["body"], body_line=data["body_line"])
            local = Diagnostics()
            page = load_page(where, path, config, local, raw)
            diagnostics.extend(local.items)
            data = None
            if page is not None:
                data = {"kind": page.kind, "title": page.title, "description": page.description,
                        "fields": page.fields, "lines": page.lines, "body": page.body, "body_line": page.body_line}
            cache.loaded[where] = {"key": key, "page": data,
                                   "diagnostics": [d.as_list() for d in local.items]}
            cache.dirty = True
            return page
        return load

    # -- Markdown -----------------------------------------------------------

    def render_markdown(self, site: Site, resolver: Resolver) -> None:
        """Render every body (reusing what still holds), then check fragments and collect backlinks."""
        cache, diagnostics = self.cache, self.diagnostics
        pages = [p for p in site.pages if p.source]
        root = render_fingerprint(site.config)
        todo = []
        outcome = resolver.outcome
        for page in pages:
            key = digest(page.source, page.body, str(page.body_line), root, code_fingerprint())
            entry = cache.markdown.get(page.source)
            if entry is not None and entry["key"] == key and all(
                    signature(outcome(raw, page)) == sig for raw, sig in entry["deps"]):
                cache.stats["markdown_hits"] += 1
                self._apply(page, entry)
            else:
                todo.append((page, key))

        _WORKER.update(site=site, resolver=resolver, pages=[p for p, _ in todo], renderer=None)
        try:
            results = self._map(_render_markdown_chunk, len(todo))
        finally:
            _WORKER.clear()
        for (page, key), rendered in zip(todo, results):
            entry = {"key": key, "html": rendered.html, "sha": digest(rendered.html), "ids": sorted(rendered.ids),
                     "toc": rendered.toc, "links": rendered.links, "deps": rendered.deps, "problems": rendered.problems}
            cache.markdown[page.source] = entry
            cache.dirty = True
            self._apply(page, entry)
        live = {p.source for p in pages}
        for stale in [s for s in cache.markdown if s not in live]:
            del cache.markdown[stale]
            cache.dirty = True

        for page in site.pages:
            if not page.source:
                page.ids = layout_ids(page)
        for page in pages:
            entry = cache.markdown[page.source]
            for line, severity, message, code in entry["problems"]:
                (diagnostics.error if severity == "error" else diagnostics.warning)(page.source, line, message, code)
            seen = set()
            lines = None
            for index, raw in enumerate(entry["links"]):
                target = outcome(raw, page)
                if isinstance(target, LinkProblem) or target.page is None:
                    continue
                linked = target.page
                if target.fragment and target.fragment not in linked.ids:
                    if lines is None:   # found only when needed: locating every link is costly
                        lines = link_lines(page, entry["links"])
                    where = "this page" if linked is page else (linked.source or linked.url)
                    diagnostics.error(page.source, lines[index], f"broken link `{raw}`: there is no heading or id `{target.fragment}` in {where}{_ids_hint(linked, target.fragment)}",
                                      code="broken-link")
                if linked is not page and id(linked) not in seen:
                    seen.add(id(linked))
                    page.links_to.append(linked)
                    linked.backlinks.append(page)
        for page in site.pages:
            page.backlinks.sort(key=lambda p: (p.title.casefold(), p.url))

    @staticmethod
    def _apply(page: Page, entry: dict) -> None:
        page.html = entry["html"]
        page.html_sha = entry["sha"]
        page.ids = set(entry["ids"]) | layout_ids(page)
        page.toc = entry["toc"]

    def _map(self, func, count: int, alongside: Callable[[], None] | None = None) -> list:
        """func over chunks of range(count), in worker processes when it pays; results in order.

        `alongside` runs in this process meanwhile, while it would otherwise wait for the workers."""
        if alongside is not None and (count == 0 or (self.options.jobs or os.cpu_count() or 1) <= 1
                                      or count < PARALLEL_THRESHOLD):
            alongside()
            alongside = None
        if count == 0:
            return []
        jobs = self.options.jobs or os.cpu_count() or 1
        progress = self.options.progress
        if jobs <= 1 or count < PARALLEL_THRESHOLD:
            out = []
            step = 50
            for start in range(0, count, step):
                out.extend(func((start, min(count, start + step))))
                if progress:
                    progress(len(out), count)
            return out
        size = max(16, min(200, count // (jobs * 8) or 1))
        chunks = [(start, min(count, start + size)) for start in range(0, count, size)]
        # This process is one of the `jobs`: it forks one worker fewer (each holds a copy of
        # the site) and, once `alongside` is done, takes chunks from the end while the
        # workers take them from the start. A shared flag per chunk says who has it.
        context = multiprocessing.get_context("fork")
        taken, lock = context.RawArray("b", len(chunks)), context.Lock()
        _WORKER.update(chunk_func=func, chunk_taken=(taken, lock))
        mine: dict[int, list] = {}
        out = []
        try:
            with context.Pool(jobs - 1, initializer=_quiet_worker) as pool:
                parts = pool.imap(_claimed_chunk, list(enumerate(chunks)))
                if alongside is not None:
                    alongside()
                for index in range(len(chunks) - 1, -1, -1):
                    if not _claim(index):
                        break
                    mine[index] = func(chunks[index])
                for index, part in enumerate(parts):
                    out.extend(mine.pop(index) if part is None else part)
                    if progress:
                        progress(len(out), count)
        finally:
            _WORKER.pop("chunk_func", None)
            _WORKER.pop("chunk_taken", None)
        return out

    # -- layouts ------------------------------------------------------------

    def render_pages(self, site: Site, templates: Templates, sink, alongside=None) -> list[str]:
        """Every page (and alias redirect) through its layout, written to `sink`; their paths.

        `alongside` is work for this process while worker processes render."""
        ctx_site = site_context(site)
        site_key = digest(json.dumps(ctx_site, sort_keys=True, default=str), templates.fingerprint(), code_fingerprint())
        self.page_keys = (ctx_site, site_key)
        jobs = []
        for page in site.pages:
            jobs.append(("page", page))
            for number in range(2, listing_page_count(page, site) + 1):   # the rest of a long listing
                jobs.append(("listing", (page, number)))
        for alias in site.aliases:
            jobs.append(("alias", alias))
        previous = self.cache.outputs
        # Until this run ends, nothing on disk is vouched for: if it stops half way on an
        # exception (a FolderSink writes in place), the next run renders every page again.
        self.cache.outputs = {}
        _WORKER.update(jobs=jobs, site=site, templates=templates, ctx_site=ctx_site, site_key=site_key,
                       sink=sink, previous=previous)
        try:
            results = self._map(_render_page_chunk, len(jobs), alongside)
        finally:
            _WORKER.clear()
        written = []
        outputs = {}
        rendered = 0
        for path, ctx_key, sha, error, did_render in results:
            if error is not None:
                self.diagnostics.error(*error)
                continue
            outputs[path] = {"ctx": ctx_key, "sha": sha}
            written.append(path)
            rendered += did_render
        if self.diagnostics.has_errors(self.options.strict):
            # A FolderSink has already written some of these in place: remember what is there
            # now, or a later build would take an old entry's word for a page it overwrote.
            self.cache.outputs = {**previous, **outputs}
        else:
            self.cache.outputs = outputs
        self.cache.dirty |= self.cache.outputs != previous
        self.cache.stats["rendered"] = rendered
        self.cache.stats["page_hits"] = len(written) - rendered
        return written


@dataclass
class LastRun:
    """What a successful `serve` run leaves behind for a quick rebuild after a body-only edit."""
    site: Site
    resolver: Resolver
    templates: Templates
    config_fp: str
    ctx_site: dict
    site_key: str
    diagnostics: list[Diagnostic]
    files: int
    renderer: MarkdownRenderer | None = None


class QuickRebuild:
    """Re-render only the pages whose bodies were edited, when nothing else can have changed.

    A page's body reaches other pages only through its headings' ids (links to
    `page.md#id`) and the pages it links to (their "Pages that link here"). When
    the edited files are existing pages whose front matter is unchanged, whose ids
    and link targets are the same and which render without errors, every other
    output is the same as before, so only these pages are rendered and written.
    Anything else (a new, deleted or renamed file, a layout, an asset, the
    configuration, a front matter edit, an error) returns None: a full run then
    gives the answer. The caches are updated exactly as a full run would.
    """

    def __init__(self, builder: "Builder", sink):
        self.builder = builder
        self.cache = builder.cache
        self.last: LastRun = builder.cache.last_run
        self.sink = sink

    def run(self, changed: set[Path]) -> BuildResult | None:
        builder, cache, last = self.builder, self.cache, self.last
        options = builder.options
        if not changed or not isinstance(self.sink, FolderSink):
            return None
        by_source = {p.source: p for p in last.site.pages if p.source}
        root = Path(os.path.abspath(options.site_dir))   # as the watcher names files, links not followed
        pages = []
        for path in sorted(changed):
            try:
                where = Path(os.path.abspath(path)).relative_to(root).as_posix()
            except ValueError:
                return None
            page = by_source.get(where)
            if page is None or not (options.site_dir / where).is_file():
                return None
            pages.append(page)

        diagnostics = Diagnostics()
        diagnostics.extend(last.diagnostics)
        renderer = last.renderer = last.renderer or MarkdownRenderer(last.resolver)
        for page in pages:
            if not self._reload(page) or not self._render_markdown(page, renderer, diagnostics):
                return None
        if diagnostics.has_errors(options.strict):
            return None

        ctx_site, site_key = last.ctx_site, last.site_key
        _WORKER.update(jobs=[("page", p) for p in pages], site=last.site, templates=last.templates,
                       ctx_site=ctx_site, site_key=site_key, sink=self.sink, previous=cache.outputs)
        try:
            results = _render_page_chunk((0, len(pages)))
        finally:
            _WORKER.clear()
        if any(error is not None for _, _, _, error, _ in results):
            return None
        rendered = 0
        for path, ctx_key, sha, _, did_render in results:
            cache.outputs[path] = {"ctx": ctx_key, "sha": sha}
            rendered += did_render
        cache.reset_stats()
        cache.stats.update(rendered=rendered, page_hits=len(results) - rendered, quick=1)
        cache.dirty = True
        last.diagnostics = list(diagnostics.items)
        builder.diagnostics = diagnostics
        return BuildResult(diagnostics=diagnostics, ok=True, site=last.site, pages=len(last.site.pages),
                           rendered=rendered, files=last.files, output=options.output, stats=dict(cache.stats))

    def _reload(self, page: Page) -> bool:
        """Load the edited file again; True when only its body changed (the page then has the new body)."""
        where = page.source
        before = self.cache.loaded.get(where)
        self.cache.stamps.pop(where, None)   # read it again, whatever its stamp says
        local = Diagnostics()
        fresh = self.builder._cached_loader(self.last.config_fp, set())(where, self.builder.options.site_dir / where,
                                                                       self.last.site.config, local)
        after = self.cache.loaded.get(where)
        if fresh is None or before is None or after is None or before["diagnostics"] != after["diagnostics"]:
            return False
        old, new = before["page"], after["page"]
        if old is None or any(old[k] != new[k] for k in new if k != "body"):
            return False
        page.body = fresh.body
        return True

    def _render_markdown(self, page: Page, renderer: MarkdownRenderer, diagnostics: Diagnostics) -> bool:
        """Render the new body; True when its ids and link targets are as before and every fragment holds."""
        cache, outcome = self.cache, self.last.resolver.outcome
        before = cache.markdown.get(page.source)
        if before is None:
            return False
        rendered = renderer.render(page)
        key = digest(page.source, page.body, str(page.body_line), render_fingerprint(self.last.site.config), code_fingerprint())
        entry = {"key": key, "html": rendered.html, "sha": digest(rendered.html), "ids": sorted(rendered.ids),
                 "toc": rendered.toc, "links": rendered.links, "deps": rendered.deps, "problems": rendered.problems}
        if set(entry["ids"]) | layout_ids(page) != page.ids:
            return False
        links_to, seen = [], set()
        for raw in rendered.links:
            target = outcome(raw, page)
            if isinstance(target, LinkProblem) or target.page is None:
                continue
            if target.fragment and target.fragment not in target.page.ids:
                return False   # a full run reports it, at its line
            if target.page is not page and id(target.page) not in seen:
                seen.add(id(target.page))
                links_to.append(target.page)
        if seen != {id(p) for p in page.links_to}:
            return False
        # This page's problems from its last render give way to those of this one.
        old, new = Diagnostics(), Diagnostics()
        for problems, into in ((before["problems"], old), (rendered.problems, new)):
            for line, severity, message, code in problems:
                (into.error if severity == "error" else into.warning)(page.source, line, message, code)
        for gone in old.items:
            if gone not in diagnostics.items:
                return False
            diagnostics.items.remove(gone)
        diagnostics.extend(new.items)
        cache.markdown[page.source] = entry
        Builder._apply(page, entry)
        page.links_to = links_to
        return True


def _quiet_worker() -> None:
    """Workers leave interrupts to the main process, which cleans up and reports."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _claim(index: int) -> bool:
    """Take chunk `index` for this process, unless another process has it."""
    taken, lock = _WORKER["chunk_taken"]
    with lock:
        if taken[index]:
            return False
        taken[index] = 1
        return True


def _claimed_chunk(item) -> list | None:
    """A worker's share of Builder._map: None for a chunk the main process took."""
    index, bounds = item
    return _WORKER["chunk_func"](bounds) if _claim(index) else None


def _render_markdown_chunk(bounds) -> list[Rendered]:
    if _WORKER.get("renderer") is None:
        _WORKER["renderer"] = MarkdownRenderer(_WORKER["resolver"])
    renderer = _WORKER["renderer"]
    pages = _WORKER["pages"]
    return [renderer.render(pages[i]) for i in range(*bounds)]


def _render_page_chunk(bounds) -> list[tuple]:
    jobs, site, templates = _WORKER["jobs"], _WORKER["site"], _WORKER["templates"]
    ctx_site, site_key, sink, previous = _WORKER["ctx_site"], _WORKER["site_key"], _WORKER["sink"], _WORKER["previous"]
    out = []
    for index in range(*bounds):
        kind, item = jobs[index]
        if kind in ("page", "listing"):
            page, number = (item, 1) if kind == "page" else item
            count = listing_page_count(page, site)
            path = page.output_path if number == 1 else paged_url(page.url, number).strip("/") + "/index.html"
            layout = templates.layout_for(page)
            context = {"page": paginate(page_context(page, site, ctx_site), number, count), "site": ctx_site}
            hashed = dict(context["page"], content=page.html_sha if number == 1 else "")
            where = paged_url(page.url, number)
        else:
            path = item.path
            layout = "redirect.html"
            target = item.target
            context = {"page": {"title": target.title, "url": item.url, "description": target.description,
                                "kind": "redirect", "breadcrumbs": []},
                       "target": {"title": target.title, "url": target.url}, "site": ctx_site}
            hashed = dict(context["page"], target=context["target"])
            where = f"the redirect {item.url}"
        ctx_key = digest(site_key, layout, json.dumps(hashed, sort_keys=True, default=str))
        before = previous.get(path)
        if sink is not None and before is not None and before["ctx"] == ctx_key and sink.reuse(path, before["sha"]):
            out.append((path, ctx_key, before["sha"], None, 0))
            continue
        try:
            html = templates.render(layout, context)
        except LayoutError as error:
            out.append((path, ctx_key, "", (error.path, error.line, f"{error.message} (while building {where})"), 0))
            continue
        data = html.encode("utf-8")
        sha = hashlib.sha1(data).hexdigest()
        if sink is not None:
            sink.write(path, data)
        out.append((path, ctx_key, sha, None, 1 if kind == "page" else 0))   # redirects are not counted as pages
    return out


def check_layouts(site: Site, templates: Templates, diagnostics: Diagnostics) -> None:
    names = sorted(n[:-5] for n in templates.names if n.endswith(".html") and not n.startswith(("_", "theme/")))
    for page in site.pages:
        if "layout" in page.fields and not templates.has_layout(page.fields["layout"]):
            hint = closest(page.fields["layout"], names)
            tip = f", did you mean `{hint}`?" if hint else f": available layouts are {', '.join(names)}"
            diagnostics.error(page.source, page.line("layout"), f"unknown layout `{page.fields['layout']}`{tip}")
    for page_type in site.config.types.values():   # a site type's `layout:` (schema.PageType)
        if page_type.layout and not templates.has_layout(page_type.layout):
            hint = closest(page_type.layout, names)
            tip = f", did you mean `{hint}`?" if hint else f": available layouts are {', '.join(names)}"
            diagnostics.error(CONFIG_NAME, page_type.layout_line, f"unknown layout `{page_type.layout}` for type `{page_type.key}`{tip}",
                              code="unknown-layout")


def _ids_hint(page: Page, wanted: str) -> str:
    hint = closest(wanted, sorted(page.ids - layout_ids(page)))
    return f": did you mean `#{hint}`?" if hint else ""


def check_front_matter_links(site: Site, resolver: Resolver, diagnostics: Diagnostics) -> None:
    """`related:` links and `image.src`, resolved like links in Markdown."""
    for page in site.pages:
        related = []
        for raw, line in page.fields.get("related", ()):
            try:
                target = resolver.resolve(raw, page)
            except LinkProblem as problem:
                diagnostics.error(page.source, line, f"related link `{raw}` does not resolve: {problem}")
                continue
            if target.page is None:
                diagnostics.error(page.source, line, f"related link `{raw}` must be a page on this site, written as a path to its `.md` file")
                continue
            if target.fragment and target.fragment not in target.page.ids:
                diagnostics.error(page.source, line, f"related link `{raw}`: there is no heading or id `{target.fragment}` in {target.page.source or target.page.url}")
                continue
            related.append({"title": target.page.title, "url": target.page.url + (f"#{target.fragment}" if target.fragment else ""),
                            "description": target.page.description})
        page.related = related
        image = page.fields.get("image")
        if image:
            line = image.get("src_line", image.get("line", 1))
            try:
                target = resolver.resolve(image["src"], page)
            except LinkProblem as problem:
                diagnostics.error(page.source, line, f"`image.src` `{image['src']}` does not resolve: {problem}")
                continue
            if target.file is None:
                diagnostics.error(page.source, line, f"`image.src` must be an image file under assets/ or content/, not `{image['src']}`")
                continue
            page.image_url = quote(target.file.url, safe=URL_SAFE)
