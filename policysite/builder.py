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
import json
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from array import array
from pathlib import Path

from . import clock, memo, pool, stages
from .cache import BuildCache, CacheDamaged, look_at
from .diagnostics import Diagnostic, Diagnostics
from .folders import linked_cache
from .heap import collector_paused, frozen
from .pool import PARALLEL_THRESHOLD
from .spill import SpillProblem
from .stages import BuildOptions, BuildResult, BuildState, config_fingerprint
from .write import MARKER, OutputFolder, OutputProblem, check_output_folder, describe_os_error, remove_folder

__all__ = ["BuildOptions", "BuildResult", "Builder", "BuildSink", "FolderSink", "PARALLEL_THRESHOLD", "build"]


def build(options: BuildOptions, cache: BuildCache | None = None) -> BuildResult:
    """A whole build into the output folder (or, for `check`, no writing at all)."""
    try:
        return _build(options, cache)
    except CacheDamaged:
        # The cache file changed under this build (it has removed its index, so the next
        # build starts clean): a damaged cache counts as none, so build again without it.
        return _build(dataclasses.replace(options, cache_file=None), BuildCache() if cache is not None else None)


def _build(options: BuildOptions, cache: BuildCache | None) -> BuildResult:
    started = time.perf_counter()
    if options.now is None:   # one clock for the whole build, memo included
        options = dataclasses.replace(options, now=clock.build_time())
    output = options.output or options.site_dir / "_site"
    if options.cache_file is not None and cache is None:
        problem = linked_cache(options.cache_file.parent, options.site_dir)
        if problem is not None:
            return BuildResult(diagnostics=Diagnostics(), output=output, output_problem=problem, usage_problem=True)
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
    inputs = memo_file = last = None
    if use_disk_cache:
        memo_file = options.cache_file.with_name(memo.MEMO_NAME)
        # The note and the inputs' stamps live all build long (a few tuples for each file): the
        # cycle collector need not walk them again and again as they are made.
        with collector_paused():
            last = memo.read(memo_file)
            # Before anything is read: a file edited during the build then counts as changed.
            with _timed(timings, "hash inputs"):
                # With no note and no cache (a first build), nothing can be taken over and every page
                # is loaded: files under content/ are hashed as the load stage reads them, not read
                # twice (Inputs.finish). Not with a cache: its records hold for files whose stamps
                # the walk took, which the load stage then need not read at all.
                inputs = memo.input_digest(options.site_dir, config_fingerprint(options), last.stamps if last else None,
                                           defer=last is None and not options.cache_file.is_file())
    folder = sink = None
    try:
        folder = OutputFolder(output, take_spare=_spare_worth_taking(last, output))
        previous = last.outputs if last is not None else {}   # checked file by file, wherever it came from
        sink = BuildSink(folder, output, previous)
        if inputs is not None and inputs.digest is not None and last is not None and last.inputs == inputs.digest \
                and memo.clock_holds(last, options.now):
            with _timed(timings, "take over the last output"):
                checked = memo.holds(last, output)
            if checked is not None:
                return _taken_over(last, options, folder, output, started, timings, memo_file, inputs, checked)
        sink.start_linking()
        if use_disk_cache:
            with _timed(timings, "read cache"):
                builder.cache = BuildCache.read(options.cache_file)
            builder.cache.stamps.update(inputs.stamps)   # the load stage need not read these files again
            if last is not None and last.cache and last.cache == builder.cache.index_digest:
                builder.cache.noted_outputs = last.outputs   # saved with this very cache
            if inputs.walked:   # a walk that met no link and no unreadable folder
                builder.cache.content_listing = inputs.content
        result = builder.run(sink)
        # What is left (the swap, the cache, the note) makes many small objects, and each
        # full collection of Python's cycle collector would walk the whole site again (about
        # 0.3 s at 10,000 pages), and the objects made so far (about 1 s at 100,000 pages, as
        # the cache is written): until this build ends, the collector does not run.
        with frozen(), collector_paused():
            sink.stop()
            if result.ok:
                sink.wait()   # the linking's own failure, if it had one
                with _timed(timings, "swap in the output"):
                    folder.commit(keep_lock=True)   # for start_spare, until finish
                if inputs is not None and inputs.deferred:
                    with _timed(timings, "note the output"):
                        inputs.finish(builder.cache.stamps)   # the files deferred, as the load stage hashed them
                noting = inputs is not None and inputs.digest is not None
                names = sink.names(builder.cache) if noting else set()
                if noting and use_disk_cache and _spare_surely_wanted(sink, names, options, builder.hooks_write_files):
                    folder.start_spare()   # linked while the note is made and the cache written
                if noting:
                    with _timed(timings, "note the output"):
                        files = sink.manifest(builder.cache, names, walk=builder.hooks_write_files)
                    if use_disk_cache and _spare_wanted(sink, files, options, builder.hooks_write_files):
                        folder.start_spare()   # linked while the cache and the note are written
                if use_disk_cache and (builder.cache.dirty or not options.cache_file.is_file()):
                    with _timed(timings, "write cache"):
                        builder.cache.write(options.cache_file)
                if noting:
                    with _timed(timings, "note the output"):
                        # Files too new to be stamped when they were walked (before the cache was
                        # written) may be old enough now: the next build then knows them by it.
                        sink.stamp_settled(files)
                        # Each output's sha in the note is its record's, unless a hook could have
                        # changed the file after it was rendered (then read from its bytes).
                        agrees = builder.cache.index_digest if not builder.hooks_write_files else ""
                        memo.write(memo_file, inputs, output, result.diagnostics.items, result.pages, result.files,
                                   files, builder.window, cache=agrees, scheduled=result.scheduled)
                with _timed(timings, "wait for the spare") if folder.making_spare else contextlib.nullcontext():
                    folder.finish()
            else:
                _abandon(folder, sink)
            after = ("swap in the output", "note the output", "write cache", "wait for the spare")
            result.timings = {**{k: v for k, v in timings.items() if k not in after}, **result.timings,
                              **{k: v for k, v in timings.items() if k in after}}
            result.seconds = time.perf_counter() - started
            return result
    except OutputProblem as problem:
        _abandon(folder, sink)
        return BuildResult(diagnostics=builder.diagnostics, output=output, output_problem=str(problem))
    except CacheDamaged:
        _abandon(folder, sink)
        raise
    except OSError as exc:
        _abandon(folder, sink)
        return BuildResult(diagnostics=builder.diagnostics, output=output, output_problem=describe_os_error(exc))
    except BaseException:
        _abandon(folder, sink)
        raise
    finally:
        builder.cache.drop_ahead()   # begun while pages rendered (stages.save_ahead), and not saved


def _spare_worth_taking(last: memo.Note | None, output: Path):
    """Whether to start from the spare (write.py), asked once the output is locked: only with a
    note of this very output, when a sample of the noted files shows that the spare holds most
    of them. Each file it holds otherwise would be removed one by one while the build waits,
    which costs more than a detached process removing the whole spare after the swap (as after
    a build that wrote every page again, or a first build with the cache)."""
    def worth_it(spare: Path) -> bool:
        if last is None or not last.outputs:
            return False
        try:
            if Path(last.output).resolve() != output.resolve():
                return False
        except (OSError, RuntimeError, ValueError):
            return False
        return memo.share_in(last, spare) >= 0.5
    return worth_it


# A spare is made (write.SpareMaker) only for an output of at least this many files: a next
# build links a smaller one whole in a few tenths of a second at most.
SPARE_FROM = 1000


def _spare_wanted(sink: BuildSink, files: dict[str, str], options: BuildOptions, copied_for_hook: bool) -> bool:
    """Whether to make a spare from the new output (`files`: its note): see _spare_pays."""
    stamped = sum(len(entry) > memo.SHA_LENGTH for entry in files.values())
    return _spare_pays(len(files), 0 if copied_for_hook else len(sink.kept), stamped, options)


def _spare_surely_wanted(sink: BuildSink, names: set[str], options: BuildOptions, copied_for_hook: bool) -> bool:
    """Whether _spare_wanted will say yes, told before the note is made, so that the linking
    begins while it is made (at 10,000 pages, half a second sooner). It counts fewer files
    noted with their stamps than the note will have: those linked from the last output with
    theirs, and those of pages whose results came in at least memo.SETTLE_NS ago (each was
    written before its result came). Its count of all files is of those the note will look
    at, every one of them there after a build that succeeded. False when that is not enough
    to tell (or the note walks the output for a hook): the note decides. `names`: sink.names."""
    if copied_for_hook:
        return False
    stamped = len(sink.kept_as_noted(names)) + sink.settled(time.time_ns() - memo.SETTLE_NS)
    return _spare_pays(len(names), len(sink.kept), stamped, options)


def _spare_pays(total: int, shared: int, stamped: int, options: BuildOptions) -> bool:
    """Whether a spare of an output of `total` files is worth making: a next build would
    otherwise link all of them, which at 10,000 pages took one to two seconds. Not when the
    previous output, which becomes the spare, shares most of them (`shared`: the build linked
    them from it, and did not copy them for an on_post_build hook); nor when most are noted
    without their stamps (`stamped`: the others were written too recently, memo.SETTLE_NS), since
    the next build could not tell that the spare's files are the very files noted; nor with
    one process to work in (the linking would then only lengthen this build); nor in CI (in_ci)."""
    if in_ci() or total < SPARE_FROM or shared >= total / 2 or stamped < total / 2:
        return False
    return pool.processes_for(options.jobs) > 1


def in_ci() -> bool:
    """Whether this build runs in continuous integration (which sets CI, as GitHub Actions and GitLab
    do): its workspace is thrown away after the run, so no later build would start from a spare,
    and linking one cost that build up to seconds (more where making links is slow)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _abandon(folder: OutputFolder | None, sink: BuildSink | None) -> None:
    """Remove a build's temporary folder, once nothing writes into it any more."""
    try:
        if sink is not None:
            sink.stop()
    finally:   # a second Ctrl-C while the linking stops must not leave the output locked
        if folder is not None:
            folder.discard()


@contextlib.contextmanager
def _timed(timings: dict[str, float], step: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - started


def _taken_over(last: memo.Note, options: BuildOptions, folder: OutputFolder, output: Path, started: float,
                timings: dict[str, float], memo_file: Path, inputs: memo.Inputs, checked: dict[str, str]) -> BuildResult:
    """The result of a build whose inputs were those of the last one: its output, as it is, and its warnings."""
    folder.discard()   # the output stays: it is already what this build would write
    diagnostics = Diagnostics()
    diagnostics.extend([Diagnostic.from_list(d) for d in last.diagnostics])
    result = BuildResult(diagnostics=diagnostics, output=output, pages=last.pages, files=last.files,
                         stats={"taken_over": 1}, ok=not diagnostics.has_errors(options.strict),
                         scheduled=last.scheduled)
    if checked != last.outputs or memo.stamps_changed(inputs, last):   # files now old enough to trust by their stamps
        with _timed(timings, "note the output"):
            memo.write(memo_file, inputs, output, last.diagnostics, last.pages, last.files, checked, last.clock,
                       cache=last.cache, scheduled=last.scheduled)   # the same files and the same cache: they agree as they did
    result.timings = timings
    result.seconds = time.perf_counter() - started
    return result


@dataclasses.dataclass
class _Looks:
    """Files pages wrote and their stamps, in arrays: a big build writes hundreds of thousands."""
    rels: list[str] = dataclasses.field(default_factory=list)
    mtimes: array = dataclasses.field(default_factory=lambda: array("q"))
    sizes: array = dataclasses.field(default_factory=lambda: array("q"))
    inodes: array = dataclasses.field(default_factory=lambda: array("Q"))
    devices: array = dataclasses.field(default_factory=lambda: array("Q"))


class BuildSink:
    """Writes into a build's temporary folder, reusing unchanged files from the last output.

    `known`: the last build's note of each file it wrote ("SHA" or "SHA MTIME SIZE INODE DEVICE", memo.py).
    `start_linking` links every one of them that still holds its sha into the new folder, in a
    child process, while the stages before rendering run: linking and making folders is mostly
    time in the kernel, which the child spends on the other core. (A thread of this process did
    it before, but it waited for Python's lock before each of its tens of thousands of calls
    while the stages held it: at 10,000 pages it took three times as long, and the render
    stage waited for it. A thread still does it where no process can be made.) A file the
    stages reuse is then already there; one they write replaces its link (never writing
    through it into the previous output); `finish` removes those the build did not keep.

    When the temporary folder is the spare (write.py: the output before the last one, whose
    files are mostly hard links to the last output's), the linking brings it up to date instead:
    a file whose stamp is the one the note gives that file is the very file noted, so it stays
    (one lstat, no link); anything else in it is removed, and only the files still missing are
    linked from the last output."""

    def __init__(self, folder: OutputFolder, previous: Path, known: dict[str, str] | None = None):
        self.folder = folder
        self.tmp = folder.tmp
        self.previous = previous
        self.known = known or {}
        self.kept: dict[str, str] = {}      # linked from the last output: file -> its entry in the note
        self._now = time.time_ns()
        self._folders: set[str] = set()
        self._linker: threading.Thread | None = None
        self._child: tuple[int, int] | None = None   # the linking process and the pipe it answers on
        self._stop = False
        self._failure: OSError | None = None   # the linking's, raised in the main thread by `wait`
        self._linked: dict[str, str] = {}   # linked ahead, not yet claimed by `reuse`
        self._emptied: set[str] = set()     # folders of the spare that files were removed from
        # (time.time_ns() as pages' results came in, how many files they had written by then): see settled
        self._arrivals: list[tuple[int, int]] = []
        self._looks = _Looks()   # each page's file, as its writing left it (arrived, looked)
        self._others: set[str] = set()   # other files this process wrote or copied (`looked`)
        self._noted_looks: dict[str, int] = {}   # what `manifest` took from `looked`, for stamp_settled

    def start_linking(self) -> None:
        if (self.known or self.folder.from_spare) and self._linker is None and self._child is None:
            target = self._update_spare if self.folder.from_spare else self._link_all
            _LINKERS.add(self)
            if not self._fork(target):
                self._linker = threading.Thread(target=target, name="policysite-linker", daemon=True)
                # Started with Ctrl-C and SIGTERM blocked, as a thread keeps the mask it starts with:
                # the kernel then gives them to the main thread alone, which holds them back where a
                # stop would lose an output (write.py). Taken by this thread, one would still stop
                # the main thread, hold-back or not.
                unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
                try:
                    self._linker.start()
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)

    def _fork(self, target) -> bool:
        """Run `target` in a child process, which sends back what it did (`_outcome`); False when
        no process can be made."""
        try:
            answer, told = os.pipe()
        except OSError:
            return False
        # Ctrl-C and SIGTERM are the build's: it stops, then waits for the child to finish. Held
        # back across the fork, so that one sent to the whole process group just then reaches
        # the child only once it ignores them (Python's own work after a fork, in the child,
        # would otherwise stop with a traceback), and the build once it knows of the child.
        held_back = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        try:
            try:
                pid = os.fork()
            except OSError:
                os.close(answer)
                os.close(told)
                return False
            if pid == 0:   # the child: it never returns from here
                code = 1
                try:
                    os.close(answer)
                    with contextlib.suppress(ValueError, OSError):
                        for number in _STOPPING:
                            signal.signal(number, signal.SIG_IGN)   # one held back is then dropped
                        signal.pthread_sigmask(signal.SIG_SETMASK, held_back)
                    target()
                    with open(told, "wb") as pipe:
                        pipe.write(json.dumps(self._outcome()).encode("utf-8", "surrogatepass"))
                    code = 0
                finally:
                    os._exit(code)
            os.close(told)
            self._child = (pid, answer)
            return True
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held_back)

    def _outcome(self) -> dict:
        """What the linking did, for the build's process: which noted files are not linked, the
        entries of those linked by another entry than the note's, the folders files were removed
        from, whether the spare was left for an empty folder, and a failure."""
        failure = self._failure
        return {"absent": sorted(self.known.keys() - self._linked.keys()),
                "changed": {rel: entry for rel, entry in self._linked.items() if self.known.get(rel) != entry},
                "emptied": sorted(self._emptied), "afresh": not self.folder.from_spare,
                "failure": None if failure is None else [failure.errno, failure.strerror, failure.filename]}

    def _take(self, outcome: dict) -> None:
        """The child's `_outcome`, as if this process had done the linking."""
        absent = set(outcome["absent"])
        self._linked = {rel: entry for rel, entry in self.known.items() if rel not in absent}
        self._linked.update(outcome["changed"])
        self._emptied.update(outcome["emptied"])
        if outcome["afresh"]:
            self.folder.from_spare = False
        if outcome["failure"] is not None:
            self._failure = OSError(*outcome["failure"])

    def _link_all(self) -> None:
        previous, tmp = str(self.previous), str(self.tmp)
        for rel in sorted(self.known):
            if self._stop:
                return
            if rel in self._linked or not memo.plain_path(rel):
                continue
            fresh = memo.check_file(os.path.join(previous, rel), self.known[rel], self._now)
            if fresh is None:
                continue
            dest = os.path.join(tmp, rel)
            try:
                self._make_folder(os.path.dirname(dest))
                os.link(os.path.join(previous, rel), dest)
            except OSError:
                continue
            self._linked[rel] = fresh

    def _update_spare(self) -> None:
        """Keep each file of the spare that is the very file the note describes; remove every
        other entry (an older file, one the note does not name, a link, anything not a file);
        then link what is still missing, as `_link_all` does."""
        tmp = str(self.tmp)
        stack = [("", tmp)]
        try:
            while stack:
                if self._stop:
                    return
                rel_folder, folder = stack.pop()
                self._folders.add(folder)
                with os.scandir(folder) as entries:
                    entries = list(entries)
                if not entries and folder != tmp:
                    self._emptied.add(folder)
                for entry in entries:
                    rel = rel_folder + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((rel + "/", entry.path))
                        continue
                    if rel == MARKER:
                        continue   # it marks the folder as an output; the swap checks it
                    known = self.known.get(rel)
                    if known is not None and memo.is_noted_file(known, entry.stat(follow_symlinks=False)):
                        self._linked[rel] = known
                        continue
                    os.unlink(entry.path)   # never written into: it may be the last output's file too
                    self._emptied.add(folder)
        except OSError:
            self._link_afresh()   # something in the spare cannot be read or removed
            return
        self._link_all()

    def _link_afresh(self) -> None:
        """Every noted file linked into an empty folder, the one begun set aside."""
        try:
            self._start_afresh()
        except OSError as exc:
            self._failure = exc
            return
        self._link_all()

    def _start_afresh(self) -> None:
        aside = Path(tempfile.mkdtemp(prefix=f".{self.previous.name}.old-", dir=self.tmp.parent))
        os.rmdir(aside)
        os.rename(self.tmp, aside)
        os.mkdir(self.tmp)
        self.folder.from_spare = False   # not to be given back: it is no spare any more
        self._linked.clear()
        self._folders.clear()
        self._emptied.clear()
        remove_folder(aside)

    def wait(self) -> None:
        """Until the linking (process or thread) has finished (before any file is written, and before a fork)."""
        self._join()
        if self._failure is not None:
            raise self._failure

    def _join(self) -> None:
        # The thread itself may fork (remove_folder's process): it must not wait for itself.
        if self._linker is not None and self._linker is not threading.current_thread():
            self._linker.join()
            self._linker = None
            _LINKERS.discard(self)
        if self._child is not None:
            pid, answer = self._child
            self._child = None
            with open(answer, "rb") as pipe:
                data = pipe.read()
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:   # reaped already (SIGCHLD ignored): a whole answer says it finished
                status = 0
            _LINKERS.discard(self)
            try:
                outcome = json.loads(data) if status == 0 else None
            except ValueError:
                outcome = None
            if outcome is not None:
                self._take(outcome)
                return
            self._link_afresh()   # the process ended without telling what it did: again, here

    def stop(self) -> None:
        self._stop = True
        self._join()

    def _make_folder(self, parent: str) -> None:
        if parent not in self._folders:
            os.makedirs(parent, exist_ok=True)
            self._folders.add(parent)

    def reuse(self, rel: str, sha: str) -> bool:
        """Link the last output's copy of `rel` in, if it holds `sha`."""
        self.wait()
        linked = self._linked.get(rel)
        if linked is not None and linked[:memo.SHA_LENGTH] == sha:
            self.kept[rel] = linked
            return True
        known = self.known.get(rel)
        if not (isinstance(known, str) and known[:memo.SHA_LENGTH] == sha):
            known = sha   # no stamp to trust: read it
        fresh = memo.check_file(os.path.join(self.previous, rel), known, self._now)
        if fresh is None:
            return False
        try:
            dest = str(self.folder._path(rel))
            self._make_folder(os.path.dirname(dest))
            if linked is not None:
                os.unlink(dest)
            os.link(os.path.join(self.previous, rel), dest)
        except OSError:
            return False
        self.kept[rel] = fresh
        return True

    def drop(self, rel: str) -> None:
        """Give back a file `reuse` took, which the build will not keep after all: it leaves the
        folder, and a later `reuse` of it links it again rather than count it as there."""
        self._replaced(rel)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.folder._path(rel))

    def write_page(self, rel: str, data: bytes) -> tuple[int, int, int, int]:
        """Write a page's (or a redirect's) file; returns its stamp as written, for `arrived`."""
        self.wait()
        self._replaced(rel)
        st = self.folder.write(rel, data)
        return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)

    def write(self, rel: str, data: bytes) -> None:
        """Write any other file of the new output (an extra, an image); in this process, it is not
        taken as a page's file (`looked`), should a page have been written there."""
        self.wait()
        self._replaced(rel)
        self._others.add(rel)
        self.folder.write(rel, data)

    def copy(self, rel: str, source: str) -> None:
        self.wait()
        self._replaced(rel)
        self._others.add(rel)
        self.folder.copy(rel, source)

    def wrote(self, rels: list[str]) -> None:
        """Pages that worker processes wrote, each through its own copy of this sink: any file
        linked ahead for them is forgotten, so the note gives their new hashes (their records')."""
        for rel in rels:
            self._replaced(rel)

    def arrived(self, written: list[tuple[str, tuple[int, int, int, int]]]) -> None:
        """The results of pages that wrote these files have come in, each with its stamp as it was
        written (`write_page`): each was written before now."""
        self._arrivals.append((time.time_ns(), len(written)))
        looks = self._looks
        for rel, (mtime, size, ino, dev) in written:
            looks.rels.append(rel)
            looks.mtimes.append(mtime)
            looks.sizes.append(size)
            looks.inodes.append(ino)
            looks.devices.append(dev)

    def looked(self) -> dict[str, int]:
        """Each file one page wrote and nothing else wrote after it -> its place in the stamps kept
        as the pages were written (`look`): the note need not look at it again, and its hash is
        the page's record's. Nothing but this build writes in its temporary folder before the swap,
        and a change after the swap gives the file a later modification time than this one (or
        it is too new to be stamped): the note's stamps hold as if it had looked at them itself.
        A path two pages wrote (one in the way of the other), or that this process wrote or copied
        another file to, is left for the note to look at and read."""
        places: dict[str, int] = {}
        twice = set(self._others)
        for place, rel in enumerate(self._looks.rels):
            if places.setdefault(rel, place) != place:
                twice.add(rel)
        for rel in twice:
            places.pop(rel, None)
        return places

    def look(self, place: int) -> memo.Look:
        looks = self._looks
        return memo.Look(looks.mtimes[place], looks.sizes[place], looks.inodes[place], looks.devices[place])

    def settled(self, before_ns: int) -> int:
        """How many of the files pages wrote were surely written before `before_ns` (time.time_ns())."""
        return sum(files for at, files in self._arrivals if at <= before_ns)

    def _replaced(self, rel: str) -> None:
        """A file linked ahead (or reused) that the build now writes anew: its old hash no longer holds."""
        self._linked.pop(rel, None)
        self.kept.pop(rel, None)

    def finish(self, keep: set[str]) -> None:
        """Remove the files linked ahead that this build did not keep, and folders left empty."""
        self.wait()
        emptied = set(self._emptied)
        for rel in self._linked.keys() - keep:
            dest = os.path.join(self.tmp, rel)
            try:
                os.unlink(dest)
            except OSError:
                continue
            emptied.add(os.path.dirname(dest))
        for rel in self._linked.keys() & keep:
            self.kept.setdefault(rel, self._linked[rel])
        tmp = str(self.tmp)
        for folder in sorted(emptied, key=len, reverse=True):
            while folder != tmp and folder.startswith(tmp + os.sep):
                try:
                    os.rmdir(folder)
                except OSError:
                    break
                folder = os.path.dirname(folder)

    def unshare(self) -> None:
        """Give each file linked from the last output (or kept in the spare) its own copy, before
        an on_post_build hook runs: a hook that rewrote one in place would change the live output
        before the swap, and it would stay changed if the build then failed."""
        self.wait()
        tmp = str(self.tmp)
        for folder, _, names in os.walk(tmp):
            for name in names:
                path = os.path.join(folder, name)
                st = os.lstat(path)
                if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                    copy = os.path.join(folder, f".{name}.unshared")
                    shutil.copyfile(path, copy)
                    os.replace(copy, path)

    def stamp_settled(self, files: dict[str, str]) -> None:
        """Give the entries of `manifest` that have no stamp yet theirs, if their files are now
        old enough (memo.SETTLE_NS); the sha stays the one `manifest` found. A page's file that
        is no longer as its page wrote it (changed since the swap) stays without one."""
        now = time.time_ns()
        root = str(self.previous)
        looked = self._noted_looks
        for rel, entry in files.items():
            if len(entry) == memo.SHA_LENGTH:
                try:
                    st = os.lstat(os.path.join(root, rel))
                except OSError:
                    continue
                place = looked.get(rel)
                if place is not None and self.look(place) != (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev):
                    continue
                files[rel] = memo.output_entry(entry, st, now)

    def names(self, cache: BuildCache) -> set[str]:
        """The files of the output that the stages made (see `manifest`)."""
        names = set(cache.outputs) | set(cache.search.files) | set(self.folder.written) | set(self.kept)
        names.discard(MARKER)
        return names

    def kept_as_noted(self, names: set[str]) -> dict[str, str]:
        """The files among `names` linked from the last output (or kept in the spare) with a stamp,
        and not written since: each is the very file its entry describes, stamp and all (a link
        keeps the modification time, size and inode), and nothing here writes through a link, so
        its entry needs no second look. (Changed since by someone else, its modification time
        differs from the entry's, and the next build reads it again.)"""
        written = self.folder.written
        return {rel: entry for rel, entry in self.kept.items()
                if len(entry) > memo.SHA_LENGTH and rel in names and rel not in written}

    def manifest(self, cache: BuildCache, names: set[str], walk: bool = False) -> dict[str, str]:
        """Every file of the output just swapped in, with its hash and (once old enough) its stamp.

        The files are `names` (self.names: those the stages made, pages and redirects by their
        records, the search index, what this process wrote; the set is used up here); `walk`: also
        any a hook wrote, found by walking the output, and each file's hash is then read from its
        bytes, since a hook may have changed any of them."""
        if walk:
            names |= _walk(self.previous)
            names.discard(MARKER)
        now = time.time_ns()
        files = {}
        root = str(self.previous)
        if not walk:
            files.update(self.kept_as_noted(names))
            names -= files.keys()
        looked = self._noted_looks = {} if walk else self.looked()   # a hook may have changed what it wrote since
        for rel in names:
            full = os.path.join(root, rel)
            place = looked.get(rel)
            if place is not None:
                st = self.look(place)
            else:
                try:
                    st = os.lstat(full)
                except OSError:
                    continue
            old = self.known.get(rel)
            sha = None
            if not walk:
                if memo.same_stamp(old, st):
                    files[rel] = old   # the very file the last build noted: linked, not written
                    continue
                kept = self.kept.get(rel)
                sha = kept[:memo.SHA_LENGTH] if kept else cache.search.files.get(rel)
                if sha is None and rel in cache.outputs and (rel in looked or rel not in self.folder.written):
                    sha = cache.outputs[rel].sha   # the bytes its page's job wrote (looked), or linked
            if sha is None:
                try:
                    with open(full, "rb") as handle:
                        sha = hashlib.sha1(handle.read()).hexdigest()
                except OSError:
                    continue
            files[rel] = memo.output_entry(sha, st, now)
        return files


def _walk(root: Path) -> set[str]:
    names = set()
    for folder, _, files in os.walk(root):
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        names.update(prefix + name for name in files)
    return names


# The signals that stop a build (Ctrl-C, and SIGTERM as from a CI runner).
_STOPPING = (signal.SIGINT, signal.SIGTERM)

# Sinks whose linking may be running: each is waited for before the process forks
# (pool.py's workers), so that no worker starts with a half-made folder.
_LINKERS: set[BuildSink] = set()


def _wait_for_linkers() -> None:
    for sink in list(_LINKERS):
        sink._join()


os.register_at_fork(before=_wait_for_linkers)


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

    def drop(self, rel: str) -> None:
        """Nothing to give back: `reuse` only found the file in place, where the build writes it
        again or `finish` removes it."""

    def wrote(self, rels: list[str]) -> None:
        """Nothing to remember: worker processes write in place, as this process does."""

    def arrived(self, written: list[tuple[str, tuple[int, int, int, int]]]) -> None:
        """Nothing to remember: `serve` makes no note."""

    def write_page(self, rel: str, data: bytes) -> None:
        self.write(rel, data)

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
        stamp = look_at(source)[1]
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
        self.hooks_write_files = False   # the last run had an on_post_build hook, which may write into the output

    def run(self, sink, changed: set[Path] | None = None) -> BuildResult:
        """Build into `sink`. `changed` (from `serve`'s watcher) names the files edited since
        the last run: when they are only page bodies, a quick rebuild may do instead."""
        started = time.perf_counter()
        result = None
        now = self.options.now or clock.build_time()   # `serve` leaves it unset: each run reads it once
        last = self.cache.last_run
        try:
            if changed is not None and last is not None and last.window.holds(now):
                result = stages.quick_rebuild(last, changed, sink)
            if result is None:
                self.cache.last_run = None
                state = BuildState(options=self.options, cache=self.cache, sink=sink, now=now)
                # A Builder can run again (after an edit): each run reports only its own problems.
                self.diagnostics = state.diagnostics
                result = stages.run(state)
                self.window = state.window
                self.hooks_write_files = state.hooks is not None and state.hooks.has("on_post_build")
                if result.ok and isinstance(sink, FolderSink):
                    self.cache.last_run = state
        except SpillProblem as problem:   # a full disk under the scratch file: an `error:` line, as for the output
            self.cache.last_run = None
            result = BuildResult(diagnostics=self.diagnostics, output=self.options.output or self.options.site_dir / "_site",
                                 output_problem=str(problem))
        self.diagnostics = result.diagnostics
        result.seconds = time.perf_counter() - started
        return result

    def config_fingerprint(self, options: BuildOptions) -> str:
        return config_fingerprint(options)
