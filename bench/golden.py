#!/usr/bin/env python3
"""Golden digests: prove a change to the generator leaves its output byte-identical.

    python bench/golden.py record   # write tests/fixtures/golden/*.json from today's output
    python bench/golden.py check    # rebuild and compare; exit 1 and list files that differ

Two sites are built from clean (`--no-cache`): the example site at the repo root, and
bench's 1k site (`generate.py --pages 1000 --seed 1`), each with one process and with
two. `example.json` holds the sha256 of every output file; `site-1000.json` holds the
file count and one digest over all of them (the full list would be large), so a
mismatch there is reported as a whole; rerun with `--keep DIR` to diff the trees.

Record again only when the output is meant to change, and say so in the commit.
tests/test_golden.py runs the example comparison in the normal suite.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "golden"
EPOCH = "1800000000"   # pinned: consultation states and scheduled pages depend on it (after every date in the sites)


def file_digests(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder`, sorted by path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def tree_digest(digests: dict[str, str]) -> str:
    """One sha256 over every path and its digest."""
    h = hashlib.sha256()
    for path, digest in sorted(digests.items()):
        h.update(f"{path}\0{digest}\n".encode())
    return h.hexdigest()


def build(site: Path, output: Path, jobs: int) -> None:
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    subprocess.run([sys.executable, str(REPO / "build.py"), "build", str(site), "-o", str(output),
                    "--no-cache", "-q", "-j", str(jobs)], check=True, env=env)


def build_digests(site: Path, work: Path, name: str) -> list[dict[str, str]]:
    found = []
    for jobs in (1, 2):
        out = work / f"{name}-j{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        build(site, out, jobs)
        found.append(file_digests(out))
    return found


def generate_1k(work: Path) -> Path:
    site = work / "site-1000"
    shutil.rmtree(site, ignore_errors=True)
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--pages", "1000",
                    "--out", str(site), "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
    return site


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["record", "check"])
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="golden-"))
    work.mkdir(parents=True, exist_ok=True)
    example = build_digests(REPO, work, "example")
    big = build_digests(generate_1k(work), work, "site-1000")
    failed = False
    for name, runs in (("example", example), ("site-1000", big)):
        if runs[0] != runs[1]:
            print(f"{name}: one process and two processes differ")
            failed = True
    big_record = {"files": len(big[0]), "tree_sha256": tree_digest(big[0])}
    if args.action == "record":
        FIXTURES.mkdir(parents=True, exist_ok=True)
        (FIXTURES / "example.json").write_text(json.dumps(example[0], indent=1, sort_keys=True) + "\n")
        (FIXTURES / "site-1000.json").write_text(json.dumps(big_record, indent=1, sort_keys=True) + "\n")
        print(f"recorded example ({len(example[0])} files) and site-1000 ({big_record['files']} files)")
    else:
        want = json.loads((FIXTURES / "example.json").read_text())
        for path in sorted(set(want) | set(example[0])):
            if want.get(path) != example[0].get(path):
                print(f"example: {path} differs")
                failed = True
        if json.loads((FIXTURES / "site-1000.json").read_text()) != big_record:
            print("site-1000: output differs from the recorded digest")
            failed = True
        print("golden: differs" if failed else
              f"golden: identical (example {len(example[0])} files, site-1000 {big_record['files']} files)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
