#!/usr/bin/env python3
"""Where a cold build's memory goes: the peak of each stage, and what the build holds.

    python bench/memory.py SITE [--output DIR] [--jobs N] [--no-cache] [--holders STAGE,...]

Runs one cold build of SITE in this process (its `.policysite-cache` and the
output are removed first), as `build` does, and samples every 0.2 s the PSS of
this process and of the worker processes it forks. Prints, for each stage, the
peak of the whole tree's PSS while it ran (a stage that hands work to worker
processes runs with them alive) and this process's PSS after it (after a
collection). `--holders STAGE` also prints, after that stage, the deep size of
what the build holds, by holder (each object counted once, under the first
holder that reaches it): page bodies, HTML, the cache's records, the search
index's words and so on. Sizing takes a while at 30,000 pages.

The stages are found by name in policysite.stages and wrapped here: a build
with this tool is the build `build` runs, with the sampling beside it.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import threading
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from policysite import builder, clock, stages  # noqa: E402
from policysite.cli import CACHE_FILE  # noqa: E402
from policysite.model import held  # noqa: E402

STAGES = ("load_configuration", "load_pages", "prepare_layouts", "render_markdown", "check_links", "render_pages",
          "make_extras", "check_layout_links", "write_files", "post_build")


def pss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            children = [int(c) for c in fh.read().split()]
    except OSError:
        return []
    found = []
    for child in children:
        found += [child, *descendants(child)]
    return found


class Sampler:
    """The tree's peak PSS in each step, and this process's PSS at that peak."""

    def __init__(self):
        self.step = "start"
        self.peaks: dict[str, tuple[float, float]] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._done.set()
        self._thread.join()

    def enter(self, step: str) -> None:
        """The build is now at `step`: the last one is sampled once more at its end, the new one at its start."""
        self.sample()
        self.step = step
        self.sample()

    def sample(self) -> None:
        me = os.getpid()
        main = pss_mb(me)
        tree = main + sum(pss_mb(child) for child in descendants(me))
        step = self.step
        if tree > self.peaks.get(step, (0.0, 0.0))[0]:
            self.peaks[step] = (tree, main)

    def _run(self):
        while not self._done.wait(0.2):
            self.sample()


def deep_size(root, seen: set[int], stop: tuple[type, ...] = ()) -> int:
    """Bytes of `root` and everything it reaches that `seen` has not counted yet (not past `stop` types)."""
    size, todo = 0, [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, (type, types.ModuleType, types.FunctionType)) or (
                obj is not root and isinstance(obj, stop)):
            continue
        seen.add(id(obj))
        size += sys.getsizeof(obj)
        if isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
            continue
        if isinstance(obj, dict):
            todo += obj.keys()
            todo += obj.values()
        elif isinstance(obj, (list, tuple, set, frozenset)):
            todo += obj
        elif hasattr(obj, "__dict__"):
            todo.append(vars(obj))
        else:
            todo += [held(obj, s) if isinstance(getattr(type(obj), s, None), property) else getattr(obj, s)
                     for s in getattr(type(obj), "__slots__", ()) if hasattr(obj, s)]
    return size


def holders(state) -> list[tuple[str, int]]:
    """(holder, bytes) of what the build holds, each object counted under the first holder that reaches it."""
    from policysite.model import Page
    from policysite.site import Site

    seen: set[int] = set()
    site, cache = state.site, state.cache
    pages = site.pages

    def records(section):
        return list(getattr(section, "records", section).values())

    markdown = records(cache.markdown)
    rows = [
        # As held: a body or HTML in the build's scratch file (policysite/spill.py) is not read.
        ("page bodies", sum(deep_size(held(p, "body"), seen) for p in pages)),
        ("page HTML", sum(deep_size(held(p, "html"), seen) for p in pages)),
        ("page fields and lines", sum(deep_size(p.fields, seen) + deep_size(p.lines, seen) for p in pages)),
        ("page ids and contents", sum(deep_size(p.ids, seen) + deep_size(p.toc, seen) for p in pages)),
        ("pages otherwise", sum(deep_size(p, seen, (Page,)) for p in pages)),
        ("the site otherwise", deep_size(site, seen)),
        ("load records", deep_size(records(cache.loaded), seen)),
        ("Markdown records: deps", sum(deep_size(held(r, "deps"), seen) for r in markdown)),
        ("Markdown records: links, targets", sum(deep_size(held(r, "links"), seen) + deep_size(r.targets, seen) for r in markdown)),
        ("Markdown records otherwise", deep_size(markdown, seen)),
        ("output records", deep_size(records(cache.outputs), seen)),
        ("search index record", deep_size(cache._search, seen)),
        ("sitemap, feeds, search list", deep_size(state.extra, seen)),
        ("link resolver", deep_size(state.resolver, seen, (Page, Site))),
        ("layouts", deep_size(state.templates, seen, (Page, Site))),
        ("summaries, files written", deep_size(dict(state.summaries), seen) + deep_size(state.written, seen)
         + deep_size(state.rendered, seen)),
    ]
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("site", type=Path)
    ap.add_argument("--output", type=Path, default=None, help="default: a folder beside the site, removed first")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--no-cache", action="store_true", help="keep no cache (as `build --no-cache`)")
    ap.add_argument("--holders", default="", help="stages after which to size what the build holds, comma-separated")
    args = ap.parse_args()
    site = args.site.resolve()
    output = args.output or site.with_name(site.name + "-memory-out")
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(site / CACHE_FILE.parent, ignore_errors=True)
    sized = {s for s in args.holders.split(",") if s}
    sampler = Sampler()
    after: dict[str, float] = {}
    sizes: dict[str, list[tuple[str, int]]] = {}

    def wrap(name):
        stage = getattr(stages, name)

        def measured(state, *a, **k):
            sampler.enter(name)
            try:
                return stage(state, *a, **k)
            finally:
                sampler.enter(f"after {name}")
                gc.collect()
                after[name] = pss_mb()
                if name in sized and state.site is not None:
                    sizes[name] = holders(state)
        setattr(stages, name, measured)

    for name in STAGES:
        wrap(name)
    write = builder.BuildCache.write

    def write_measured(cache, path):
        sampler.enter("write cache")
        try:
            return write(cache, path)
        finally:
            sampler.enter("after write cache")
    builder.BuildCache.write = write_measured

    options = stages.BuildOptions(site_dir=site, output=output, jobs=args.jobs, now=clock.build_time(),
                                  cache_file=None if args.no_cache else site / CACHE_FILE)
    sampler.start()
    started = time.perf_counter()
    result = builder.build(options)
    sampler.stop()
    print(f"{result.pages} pages, ok={result.ok}, {time.perf_counter() - started:.1f} s")
    print("\n| step | tree PSS peak MB | this process then | this process after |\n| --- | ---: | ---: | ---: |")
    for step, (tree, main) in sampler.peaks.items():
        name = step.removeprefix("after ")
        end = f"{after[name]:.0f}" if not step.startswith("after") and name in after else ""
        print(f"| {step} | {tree:.0f} | {main:.0f} | {end} |")
    for stage, rows in sizes.items():
        pages = max(result.pages, 1)
        print(f"\nHeld after {stage} ({sum(v for _, v in rows) / 1e6:.0f} MB in all):\n")
        print("| holder | MB | bytes a page |\n| --- | ---: | ---: |")
        for holder, size in rows:
            print(f"| {holder} | {size / 1e6:.1f} | {size / pages:.0f} |")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
