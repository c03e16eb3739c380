"""Issue 7, the corpus: every bad input ends in `PATH:LINE: error: what to do`.

Each case in tests/hardening/corpus/cases.py is built with the real command
line (in this process, for speed) and must give its exit code (0 built, 1
content problems, 2 command-line misuse), exactly its diagnostics (path, line
and the words of the message), no traceback, and nothing written, deleted or
left behind when the build fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hardening.corpus.cases import CASES, OTHER_LINES
from hardening.helpers import (
    assert_diagnostics_sane,
    diagnostics_in,
    glob_regex,
    leftovers,
    run_cli_in_process,
    write_site,
)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry under `folder`, links not followed: path -> bytes, link target or folder mark."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                out[rel] = b"->" + os.readlink(path).encode()
            elif name in dirs:
                out[rel + "/"] = b""
            else:
                out[rel] = path.read_bytes()
    return out


def matches(diagnostic: dict, path: str, line: int, severity: str, *words: str) -> bool:
    message = diagnostic["message"].lower()
    return (diagnostic["path"] == path and diagnostic["line"] == line and diagnostic["severity"] == severity
            and all(word.lower() in message for word in words))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corpus(case, tmp_path):
    site = write_site(tmp_path / "site", {rel: (v() if callable(v) else v) for rel, v in case.files.items()})
    if case.setup:
        case.setup(site, tmp_path)
    out = case.output(site, tmp_path) if case.output else tmp_path / "out"
    before = snapshot(tmp_path)

    result = run_cli_in_process(["build", str(site), "--output", str(out), "--no-cache", "--quiet"])

    assert result.exception is None, f"{type(result.exception).__name__} escaped: {result.exception!r}\n{result.stderr}"
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == case.code, result.stderr
    found = diagnostics_in(result.stderr)
    for expected in case.expect:
        assert any(matches(d, *expected) for d in found), f"expected {expected} in:\n{result.stderr}"
    if case.only:
        unexpected = [d for d in found if d["severity"] == "error" and not any(matches(d, *e) for e in case.expect)]
        assert not unexpected, f"unexpected errors: {unexpected}"
    # Nothing but diagnostics and the one-line summary or output problem: never a raw exception text.
    for line in result.stderr.splitlines():
        if line.strip() and not any(d["path"] and line.startswith(f"{d['path']}:{d['line']}: ") for d in found):
            assert any(glob_regex(p).match(line) for p in OTHER_LINES), f"stray line in stderr: {line!r}"
    for word in case.says:
        assert word.lower() in result.stderr.lower(), f"{word!r} not in:\n{result.stderr}"
    assert_diagnostics_sane(site, found)

    if case.code == 0:
        assert (out / "index.html").is_file()
    else:
        # A failed build or a refused output folder writes, moves and deletes nothing.
        assert snapshot(tmp_path) == before
    if out.parent.is_dir():
        assert not [n for n in leftovers(out.parent, out.name) if ".tmp-" in n]
    if case.check:
        case.check(site, out, result)


def test_corpus_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def test_markdown_that_would_take_hours_is_stopped_with_an_error(tmp_path, monkeypatch):
    """30,000 `[` on one line: Python-Markdown is quadratic on it (hours at 1 MB); the build stops it."""
    import policysite.markup as markup

    monkeypatch.setattr(markup, "CONVERT_SECONDS", 1)
    body = "Intro.\n\n" + "[" * 30_000 + "\n\nAfter.\n"
    site = write_site(tmp_path / "site", {"content/p.md": "---\ntitle: A\ndescription: d\n---\n" + body})
    result = run_cli_in_process(["build", str(site), "--output", str(tmp_path / "out"), "--no-cache", "--jobs", "1"])
    assert result.exception is None, repr(result.exception)
    assert result.returncode == 1, result.stderr
    found = diagnostics_in(result.stderr)
    assert [(d["path"], d["line"]) for d in found if d["severity"] == "error"] == [("content/p.md", 7)], result.stderr
    assert "took over 1 s to convert" in found[0]["message"] and "split it" in found[0]["message"]
    assert not (tmp_path / "out").exists()
