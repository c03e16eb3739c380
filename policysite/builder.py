"""`build` and `check` around the stages: the output folder, the disk cache and the memo.

The stages themselves (stages.py) read the site and render it into a sink:
BuildSink writes a fresh output folder that replaces the old one only when the
build succeeds; FolderSink (for `serve`) writes in place, touching only files
that change. A BuildCache (kept in memory by `serve`, on disk for `build`)
lets the stages skip work whose inputs are unchanged; every reuse is checked
first, so the result is byte for byte what a clean build would give.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
import time
from pathlib import Path

from . import clock, memo, stages
from .cache import BuildCache, file_stamp
from .diagnostics import Diagnostic, Diagnostics
from .pool import PARALLEL_THRESHOLD
from .stages import BuildOptions, BuildResult, BuildState, config_fingerprint
from .write import OutputFolder, OutputProblem, check_output_folder, describe_os_error

__all__ = ["BuildOptions", "BuildResult", "Builder", "BuildSink", "FolderSink", "PARALLEL_THRESHOLD", "build"]


def build(options: BuildOptions, cache: BuildCache | None = None) -> BuildResult:
    """A whole build into the output folder (or, for `check`, no writing at all)."""
    started = time.perf_counter()
    if options.now is None:   # one clock for the whole build, memo included
        options = dataclasses.replace(options, now=clock.build_time())
    output = options.output or options.site_dir / "_site"
    if options.write:
        try:
            check_output_folder(output, options.site_dir)
        except OutputProblem as problem:
            result = BuildResult(diagnostics=Diagnostics(), output=output, output_problem=str(problem), usage_problem=True)
            return result
    use_disk_cache = cache is None and options.cache_file is not None
    timings: dict[str, float] = {}   # the builder's own steps, beside the stages'
    if not options.write:
        if use_disk_cache:
            with _timed(timings, "read cache"):
                cache = BuildCache.read(options.cache_file)
        result = Builder(options, cache or BuildCache()).run(None)
        result.timings = {**timings, **result.timings}
        return result
    builder = Builder(options, cache or BuildCache())   # its cache is read below, unless the memo does
    inputs = memo_file = None
    if use_disk_cache:
        memo_file = options.cache_file.with_name(memo.MEMO_NAME)
        # Before anything is read: a file edited during the build then counts as changed.
        with _timed(timings, "hash inputs"):
            inputs = memo.input_digest(options.site_dir, config_fingerprint(options))
    folder = None
    try:
        folder = OutputFolder(output)
        sink = BuildSink(folder, output)
        if inputs is not None:
            last = memo.read(memo_file)
            if last is not None and last["inputs"] == inputs and memo.clock_holds(last, options.now):
                with _timed(timings, "take over the last output"):
                    taken = memo.take_over(last, sink)
                if taken:
                    return _taken_over(last, options, folder, output, started)
                folder.reset()
        if use_disk_cache:
            with _timed(timings, "read cache"):
                builder.cache = BuildCache.read(options.cache_file)
        result = builder.run(sink)
        if result.ok:
            with _timed(timings, "swap in the output"):
                folder.commit()
            if use_disk_cache and (builder.cache.dirty or not options.cache_file.is_file()):
                with _timed(timings, "write cache"):
                    builder.cache.write(options.cache_file)
            if inputs is not None:
                known = {rel: record.sha for rel, record in builder.cache.outputs.items()}
                known.update(builder.cache.search.files)
                with _timed(timings, "note the output"):
                    memo.write(memo_file, inputs, output, result.diagnostics.items, result.pages, result.files, known,
                               builder.window)
        else:
            folder.discard()
        after = ("swap in the output", "write cache", "note the output")
        result.timings = {**{k: v for k, v in timings.items() if k not in after}, **result.timings,
                          **{k: v for k, v in timings.items() if k in after}}
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


@contextlib.contextmanager
def _timed(timings: dict[str, float], step: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - started


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


class Builder:
    """Runs the stages with one BuildCache; `serve` keeps one and calls `run` after each edit."""

    def __init__(self, options: BuildOptions, cache: BuildCache):
        self.options = options
        self.cache = cache
        self.diagnostics = Diagnostics()
        self.window = clock.Window()   # how long the last run's clock-dependent outcomes hold

    def run(self, sink, changed: set[Path] | None = None) -> BuildResult:
        """Build into `sink`. `changed` (from `serve`'s watcher) names the files edited since
        the last run: when they are only page bodies, a quick rebuild may do instead."""
        started = time.perf_counter()
        result = None
        now = self.options.now or clock.build_time()   # `serve` leaves it unset: each run reads it once
        last = self.cache.last_run
        if changed is not None and last is not None and last.window.holds(now):
            result = stages.quick_rebuild(last, changed, sink)
        if result is None:
            self.cache.last_run = None
            state = BuildState(options=self.options, cache=self.cache, sink=sink, now=now)
            # A Builder can run again (after an edit): each run reports only its own problems.
            self.diagnostics = state.diagnostics
            result = stages.run(state)
            self.window = state.window
            if result.ok and isinstance(sink, FolderSink):
                self.cache.last_run = state
        self.diagnostics = result.diagnostics
        result.seconds = time.perf_counter() - started
        return result

    def config_fingerprint(self, options: BuildOptions) -> str:
        return config_fingerprint(options)
