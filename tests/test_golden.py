"""The example site builds to exactly the bytes recorded in tests/fixtures/golden/example.json.

The record was taken before the build was split into stages; it proves that
refactoring the pipeline changed no output. When the output is meant to change
(a theme or Markdown change), record again with `python bench/golden.py record`,
which also checks bench's 1k site.
"""
from __future__ import annotations

import hashlib
import json

from conftest import FIXTURES, REPO, run


def test_example_site_output_matches_golden_digests(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")   # bench/golden.py EPOCH: after every date
    out = tmp_path / "out"
    result = run("build", REPO, "-o", out, "--no-cache", "-q")
    assert result.code == 0, result.err
    got = {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
           for p in sorted(out.rglob("*")) if p.is_file()}
    want = json.loads((FIXTURES / "golden" / "example.json").read_text())
    differ = sorted(p for p in set(got) | set(want) if got.get(p) != want.get(p))
    assert differ == [], f"{len(differ)} output files differ from the golden digests: {differ[:10]}"
