#!/usr/bin/env python3
"""Time a policysite rebuild after editing one page.

    python bench/rebuild.py [--pages 1000] [--seed 1] [--edit body|title] [--repeat 3]

Generates (or reuses) bench/out/site-N-sS, builds it once from clean, then
repeatedly edits one page and rebuilds into the same output, printing each
time. The edited page is restored at the end.

Uses the policysite API in this process when it can be imported
(`policysite.builder.build` with the on-disk cache the CLI uses, and again
with one in-memory cache kept between builds, as a long-running `serve`
would); otherwise, or with --cli, runs `build.py build` as a subprocess.

`--edit body` changes a sentence in the page's body (only that page's HTML
should change); `--edit title` changes its title, which also appears in its
section's listing, breadcrumbs of pages below it and link texts elsewhere.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, REPO)

from compare import Trash, ensure_site  # noqa: E402

CACHE_DIR = ".policysite-cache"


def clean(site: str, out: str, trash: Trash) -> None:
    """No output, no spare (the output a build replaced, kept for the next) and no cache: a clean build next.
    Set aside, not deleted, as compare.py does (see its Trash): a deletion would slow the clean build."""
    spare = os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.spare")
    trash.put([out, spare, os.path.join(site, CACHE_DIR)])


def pick_page(site: str) -> str:
    """A deep leaf page, the same one for the same site."""
    best = None
    for d, dirs, files in os.walk(os.path.join(site, "content")):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".md") and f != "_index.md":
                path = os.path.join(d, f)
                depth = path.count(os.sep)
                if best is None or depth > best[0]:
                    best = (depth, path)
    return best[1]


def edit(path: str, original: str, how: str, n: int) -> None:
    if how == "title":
        text = original.replace('title: "', f'title: "Edit {n}: ', 1)
    else:
        head, sep, body = original.partition("\n---\n")
        body = body.replace(". ", f". This sentence was added by edit {n}. ", 1)
        text = head + sep + body
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def api_runner(site: str, out: str, memory: bool, jobs):
    from pathlib import Path

    from policysite.builder import BuildOptions, build
    cache_obj = None
    if memory:
        from policysite.cache import BuildCache
        cache_obj = BuildCache()
    options = BuildOptions(site_dir=Path(site), output=Path(out), jobs=jobs,
                           cache_file=None if memory else Path(site) / CACHE_DIR / "build.json")

    def run():
        t0 = time.perf_counter()
        result = build(options, cache_obj) if memory else build(options)
        dt = time.perf_counter() - t0
        if not result.ok:
            for d in result.diagnostics.sorted(strict=False)[:10]:
                print(d.format(), file=sys.stderr)
            raise SystemExit("build failed")
        stats = getattr(result, "stats", {}) or {}
        extra = f" rendered={result.rendered}/{result.pages}" if hasattr(result, "rendered") else ""
        if stats:
            extra += " " + " ".join(f"{k}={v}" for k, v in sorted(stats.items()) if k != "rendered")
        return dt, extra
    return run


def cli_runner(site: str, out: str, jobs):
    cmd = [sys.executable, os.path.join(REPO, "build.py"), "build", site,
           "--output", out, "--quiet"]
    if jobs:
        cmd += ["--jobs", str(jobs)]

    def run():
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            sys.stderr.write(r.stderr[-3000:])
            raise SystemExit(f"build failed (exit {r.returncode})")
        return dt, ""
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--edit", choices=("body", "title"), default="body")
    ap.add_argument("--repeat", type=int, default=3, help="edits to time (default 3)")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--cli", action="store_true", help="time the CLI even if the API imports")
    ap.add_argument("--work", default=os.path.join(HERE, "out"))
    args = ap.parse_args(argv)

    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    site = ensure_site(args.pages, args.seed, work)
    out = os.path.join(work, f"rebuild-out-{args.pages}")
    page = pick_page(site)
    with open(page, encoding="utf-8") as fh:
        original = fh.read()

    modes = []
    if not args.cli:
        try:
            import policysite.builder  # noqa: F401
            modes = [("API, on-disk cache", False), ("API, in-memory cache", True)]
        except ImportError as e:
            print(f"note: policysite API not importable ({e}); timing the CLI", file=sys.stderr)
    print(f"site: {site} ({args.pages} pages); editing {os.path.relpath(page, site)} ({args.edit})")
    trash = Trash(os.path.dirname(os.path.abspath(out)))
    try:
        for label, memory in modes or [("CLI", None)]:
            clean(site, out, trash)
            run = cli_runner(site, out, args.jobs) if memory is None else \
                api_runner(site, out, memory, args.jobs)
            dt, extra = run()
            print(f"[{label}] clean build:          {dt:7.3f} s{extra}")
            dt, extra = run()
            print(f"[{label}] rebuild, no change:   {dt:7.3f} s{extra}")
            for i in range(1, args.repeat + 1):
                edit(page, original, args.edit, i)
                dt, extra = run()
                print(f"[{label}] rebuild, 1 page edit: {dt:7.3f} s{extra}")
            with open(page, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(original)
    finally:
        with open(page, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(original)
        clean(site, out, trash)
        trash.empty()


if __name__ == "__main__":
    main()
