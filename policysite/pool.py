"""Worker processes: one job split into chunks, shared between this process and forked workers.

A `Job` names everything the work needs: `work(start, stop)` gives the results
for items start..stop-1 of `count`. Workers are forked, so they inherit the job
(the site, the layouts, the hooks) without pickling it; each receives it once,
through the pool's initializer, and keeps it for the pool's life. Only results
travel back, pickled.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass

from .heap import frozen

# Below this many items, worker processes cost more than they save.
PARALLEL_THRESHOLD = 64


@dataclass
class Job:
    """`work(start, stop)` -> the results for items start..stop-1 of `count`, in order.

    `keep`, when given, makes each chunk's results into what this process keeps of them,
    as each chunk arrives: a big job's results are then never all held as they came."""
    work: Callable[[int, int], list[object]]
    count: int
    keep: Callable[[list[object]], list[object]] | None = None

    def kept(self, results: list[object]) -> list[object]:
        """What this process keeps of a chunk's results. They live on at least as long as the
        job: left out of the cycle collector's walks from now on (run's heap.frozen), or else each
        full collection walks every result so far (2.4 s of render_markdown at 100,000 pages)."""
        kept = results if self.keep is None else self.keep(results)
        gc.freeze()
        return kept


@dataclass
class _Claims:
    """Who has which chunk: one shared flag per chunk, so the main process can take some too."""
    taken: object
    lock: object

    def claim(self, index: int) -> bool:
        with self.lock:
            if self.taken[index]:
                return False
            self.taken[index] = 1
            return True


# In a worker process only: the job and claims it was started with (set by `_adopt`).
_ADOPTED: tuple[Job, _Claims] | None = None


# Held while the workers are forked: a worker takes them only once its own handlers are set.
_HELD = {signal.SIGINT, signal.SIGTERM}


def _adopt(job: Job, claims: _Claims) -> None:
    """A worker's start: keep its job, and leave interrupts to the main process, which cleans up.

    The worker was forked with _HELD signals blocked (see `_start`): a Ctrl-C that came
    meanwhile is dropped here, once ignored, instead of stopping the worker with a traceback."""
    global _ADOPTED
    _ADOPTED = (job, claims)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


def _start(context, processes: int, job: Job, claims: _Claims):
    """A pool of `processes` workers, each holding the job.

    Interrupts are held while the workers are forked. Otherwise one that came half way
    would stop Pool() before it returns the pool, leaving the workers forked so far
    waiting for work for ever, and would reach a new worker before it ignores it.
    A held interrupt is raised here once the pool exists, which is then ended."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        pool = context.Pool(processes, initializer=_adopt, initargs=(job, claims))
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)   # runs the handler of a held signal
    except BaseException:
        pool.terminate()
        raise
    return pool


def _worker_chunk(item: tuple[int, tuple[int, int]]) -> list | None:
    """A worker's share: None for a chunk the main process took first."""
    index, (start, stop) = item
    job, claims = _ADOPTED
    return job.work(start, stop) if claims.claim(index) else None


def processes_for(jobs: int | None) -> int:
    """How many processes `run` works in for `--jobs` (None: one for each core)."""
    return jobs or os.cpu_count() or 1


def parallel(count: int, processes: int | None = None) -> bool:
    """Whether `run` would use worker processes for `count` items."""
    processes = processes_for(processes)
    return processes > 1 and count >= PARALLEL_THRESHOLD and _can_share()


# Whether processes here can share a lock; None until first asked.
_SHARING: bool | None = None


def _can_share() -> bool:
    """Whether this system lets processes share a lock (a POSIX semaphore). Some containers
    cannot make one (no /dev/shm, or a read-only one): the work is then done in this process
    alone, more slowly, instead of the build failing."""
    global _SHARING
    if _SHARING is None:
        import multiprocessing

        try:
            multiprocessing.get_context("fork").Lock()
            _SHARING = True
        except OSError:
            _SHARING = False
    return _SHARING


def run(job: Job, processes: int | None = None, progress: Callable[[int, int], None] | None = None,
        alongside: Callable[[], None] | None = None) -> list:
    """Every result of `job`, in order; in worker processes when it pays.

    `alongside` runs in this process meanwhile, while it would otherwise wait for the workers."""
    count = job.count
    processes = processes_for(processes)
    serial = not parallel(count, processes)
    if alongside is not None and (count == 0 or serial):
        alongside()
        alongside = None
    if count == 0:
        return []
    # Everything made so far is left out of garbage collection while the job runs (and the
    # results as they come: Job.kept). In a worker, a collection would write to every object it
    # inherited, copying the whole site into the worker's own memory, page by page.
    with frozen():
        return _serially(job, progress) if serial else _in_workers(job, processes, alongside, progress)


def _serially(job: Job, progress) -> list:
    out: list = []
    step = 50
    for start in range(0, job.count, step):
        out.extend(job.kept(job.work(start, min(job.count, start + step))))
        if progress:
            progress(len(out), job.count)
    return out


def _in_workers(job: Job, processes: int, alongside, progress) -> list:
    count = job.count
    size = max(16, min(200, count // (processes * 8) or 1))
    chunks = [(start, min(count, start + size)) for start in range(0, count, size)]
    # This process is one of the `processes`: it forks one worker fewer (each holds a copy of
    # the site) and, once `alongside` is done, takes chunks from the end while the
    # workers take them from the start.
    import multiprocessing  # here: a small build, or `check`, never starts a worker

    context = multiprocessing.get_context("fork")
    claims = _Claims(context.RawArray("b", len(chunks)), context.Lock())
    with _start(context, processes - 1, job, claims) as pool:
        return _share(pool, job, claims, chunks, alongside, progress)


def _share(pool, job: Job, claims: _Claims, chunks: list[tuple[int, int]], alongside, progress) -> list:
    """The results of every chunk, in order: the workers take chunks from the start, this
    process (once `alongside` is done) from the end.

    Between chunks of its own, this process takes in the workers' results that have come
    (through `job.keep`), rather than leaving them all waiting until its share is done."""
    import multiprocessing

    mine: dict[int, list] = {}
    out: list = []
    parts = pool.imap(_worker_chunk, list(enumerate(chunks)))
    gathered = 0   # chunks whose results are in `out`

    def gather(wait: bool) -> None:
        nonlocal gathered
        while gathered < len(chunks):
            try:
                part = parts.next() if wait else parts.next(timeout=0)
            except multiprocessing.TimeoutError:
                return
            # None: a chunk this process took, and has done (it gathers only between chunks).
            out.extend(mine.pop(gathered) if part is None else job.kept(part))
            gathered += 1
            if progress:
                progress(len(out), job.count)

    if alongside is not None:
        alongside()
    for index in range(len(chunks) - 1, -1, -1):
        if not claims.claim(index):
            break
        mine[index] = job.kept(job.work(*chunks[index]))
        gather(wait=False)
    gather(wait=True)
    return out
