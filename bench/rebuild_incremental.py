#!/usr/bin/env python3
"""Time incremental rebuilds of a large generated site: build's disk cache and serve's long-lived builder.

    python bench/rebuild_incremental.py [--pages 10000] [--seed 1] [--repeat 3] [--jobs N] [--work DIR] [--keep]

Generates a site with `bench/generate.py --pages N --out DIR`, then times:

  cold build            `build()` with no output and no cache (the CLI's first `build`)
  build, no change      `build()` again with the on-disk cache (SITE/.policysite-cache)
  build, 1 page edit    the same after editing one page's body
  serve, first build    one Builder + BuildCache + FolderSink, as `serve` starts
  serve, full rebuild   the same Builder run again with nothing changed (what any
                        edit beyond a page body costs)
  serve, 1 page edit    the same after editing one page's body, told which file
                        changed as `serve`'s watcher tells it (what a save costs)
  serve, watcher poll   one look by `serve`'s watcher for changed files (it looks
                        about once a second)

Rows after the first are the median of --repeat runs (each edit is a new
sentence in the same deep page); the cold builds run once. Every build must
succeed; each row shows how many pages were rendered. Timings depend on the
machine and on what else it is doing: print them with that said.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from policysite.builder import Builder, BuildOptions, FolderSink, build  # noqa: E402
from policysite.cache import BuildCache  # noqa: E402

CACHE = Path(".policysite-cache") / "build.json"


def deep_page(site: Path) -> Path:
    """The deepest leaf page (the same one for the same site)."""
    pages = sorted(p for p in (site / "content").rglob("*.md") if p.name != "_index.md")
    return max(pages, key=lambda p: (len(p.parts), -pages.index(p)))


def edit_body(path: Path, original: str, n: int) -> None:
    head, sep, body = original.partition("\n---\n")
    path.write_text(head + sep + body.replace(". ", f". Edit number {n} added this sentence. ", 1), encoding="utf-8")


def timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    if not result.ok:
        problems = [d.format() for d in result.diagnostics.sorted()][:10]
        raise SystemExit(f"build failed: {result.output_problem or ''}\n" + "\n".join(problems))
    return seconds, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per timed row, the median is shown (default 3)")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--work", help="folder for the site and outputs (default: a new temporary folder)")
    ap.add_argument("--keep", action="store_true", help="leave the generated site and outputs in place")
    args = ap.parse_args(argv)

    work = Path(args.work or tempfile.mkdtemp(prefix="policysite-rebuild-"))
    work.mkdir(parents=True, exist_ok=True)
    site = work / f"site-{args.pages}-s{args.seed}"
    rows: list[tuple[str, float, str]] = []
    page = None
    original = None
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--pages", str(args.pages), "--seed", str(args.seed),
                        "--out", str(site), "--force"], check=True, stdout=subprocess.DEVNULL)
        print(f"generated {args.pages} pages in {time.perf_counter() - started:.1f} s: {site}", file=sys.stderr)
        page = deep_page(site)
        original = page.read_text(encoding="utf-8")
        print(f"editing {page.relative_to(site)}; {os.cpu_count()} cores, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", file=sys.stderr)

        def row(label: str, times: list[float], result) -> None:
            note = f"{result.rendered} of {result.pages} pages rendered"
            rows.append((label, statistics.median(times), note + (f", median of {len(times)}" if len(times) > 1 else "")))
            print(f"  {label}: {rows[-1][1]:.3f} s ({rows[-1][2]})", file=sys.stderr)

        # -- `python build.py build`, run after run, with its cache on disk
        out = work / "built"
        options = BuildOptions(site_dir=site, output=out, jobs=args.jobs, cache_file=site / CACHE)
        seconds, result = timed(lambda: build(options))
        row("build, cold (no output, no cache)", [seconds], result)
        runs = [timed(lambda: build(options)) for _ in range(args.repeat)]
        row("build, no change (disk cache)", [s for s, _ in runs], runs[-1][1])
        times = []
        for n in range(1, args.repeat + 1):
            edit_body(page, original, n)
            seconds, result = timed(lambda: build(options))
            times.append(seconds)
        row("build, 1 page body edit (disk cache)", times, result)
        page.write_text(original, encoding="utf-8")

        # -- `serve`: one Builder, BuildCache and FolderSink for the whole session
        served = work / "served"
        served.mkdir()
        builder = Builder(BuildOptions(site_dir=site, output=served, jobs=args.jobs), BuildCache())
        sink = FolderSink(served)
        seconds, result = timed(lambda: builder.run(sink))
        row("serve, first build", [seconds], result)
        runs = [timed(lambda: builder.run(sink)) for _ in range(args.repeat)]
        row("serve, full rebuild, nothing changed", [s for s, _ in runs], runs[-1][1])
        times = []
        for n in range(1, args.repeat + 1):
            edit_body(page, original, 100 + n)
            seconds, result = timed(lambda: builder.run(sink, {page}))
            if not result.stats.get("quick"):
                raise SystemExit("the one-page body edit did not take the quick path")
            times.append(seconds)
        row("serve, 1 page body edit", times, result)

        from policysite.serve import _site_watcher
        watcher = _site_watcher(lambda changed: None)
        watcher.watch(str(site / "content"), watcher.note)
        watcher.examine()   # the first look records every file
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            watcher.examine()
            times.append(time.perf_counter() - started)
        rows.append(("serve, watcher poll (no change)", statistics.median(times), f"median of {len(times)}"))
        print(f"  {rows[-1][0]}: {rows[-1][1]:.3f} s", file=sys.stderr)
    finally:
        if page is not None and original is not None:
            page.write_text(original, encoding="utf-8")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    width = max(len(label) for label, _, _ in rows)
    print(f"\n{args.pages} pages, {os.cpu_count()} cores, jobs={args.jobs or 'all'}; "
          f"load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'':{width}}  seconds  what")
    for label, seconds, note in rows:
        print(f"{label:{width}}  {seconds:7.3f}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
