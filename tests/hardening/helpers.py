"""Shared helpers for the hardening tests: small sites on disk, builds, checks.

A site is written from a mapping {relative path: content}; content is str
(written as UTF-8) or bytes (written as is). `MINIMAL` is a site that builds.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_PY = REPO / "build.py"
if importlib.util.find_spec("policysite") is None:
    sys.path.insert(0, str(REPO))

CONFIG = """\
title: Department of Health
base_url: https://www.example.gov.uk/
organisations:
  department-of-health:
    name: Department of Health
governments:
  old-government:
    name: Old government
  new-government:
    name: New government
current_government: new-government
topics:
  health-inequalities:
    name: Health inequalities
"""

HOME = """\
---
title: Home
---
Welcome.
"""

MINIMAL = {
    "site_config.yaml": CONFIG,
    "content/_index.md": HOME,
}

DIAGNOSTIC = re.compile(r"^(?P<path>[^\n]+?):(?P<line>\d+): (?P<severity>error|warning): (?P<message>.+)$")


def page(title: str = "A page", description: str = "What the page is about.", body: str = "Some text.\n",
         extra: str = "") -> str:
    """A Markdown page with front matter; `extra` is more front matter lines."""
    return f"---\ntitle: {title}\ndescription: {description}\n{extra}---\n{body}"


def write_site(root: Path, files: dict, base: dict | None = MINIMAL) -> Path:
    """Write `base` then `files` under root (a value of None removes a base file)."""
    merged = dict(base or {})
    merged.update(files)
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in merged.items():
        if content is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


def build_in_process(site: Path, write: bool = False, output: Path | None = None, **kwargs):
    """policysite.builder.build on `site`; returns the BuildResult."""
    from policysite.builder import BuildOptions, build

    return build(BuildOptions(site_dir=site, output=output, write=write, **kwargs))


def run_cli(args: list[str], cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in a subprocess, as an editor runs it."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([sys.executable, str(BUILD_PY), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str, exception: BaseException | None):
        self.returncode, self.stdout, self.stderr, self.exception = code, stdout, stderr, exception


def run_cli_in_process(args: list[str]) -> CliResult:
    """The click command in this process (much faster than a subprocess).

    An exception other than SystemExit is returned, not raised, so a test can
    say that it escaped: the editor would have seen a traceback.
    """
    from policysite.cli import main

    out, err = io.StringIO(), io.StringIO()
    code, exception = 0, None
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main.main(args=list(args), prog_name="policysite", standalone_mode=True)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            exception = exc
            code = -1
    return CliResult(code, out.getvalue(), err.getvalue(), exception)


def diagnostics_in(stderr: str) -> list[dict]:
    """Every `PATH:LINE: severity: message` line of stderr, parsed."""
    found = []
    for line in stderr.splitlines():
        match = DIAGNOSTIC.match(line)
        if match:
            found.append({**match.groupdict(), "line": int(match.group("line"))})
    return found


def glob_regex(pattern: str) -> re.Pattern:
    """A pattern where only `*` is special (any text), matched against a whole line."""
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$", re.S)


def line_count(path: Path) -> int:
    """Lines in a file as an editor's editor counts them (at least 1)."""
    data = path.read_bytes()
    if not data:
        return 1
    # \r\n and lone \r end lines too; a final line without a newline still counts.
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return text.count(b"\n") + (0 if text.endswith(b"\n") else 1)


def assert_diagnostics_sane(site: Path, items, layouts_ok: bool = True) -> None:
    """Every diagnostic names a file of the site (or a folder) and a line inside it.

    `items` are Diagnostic objects or dicts from `diagnostics_in`. A theme
    layout (policysite/theme/layouts/...) is a path too when `layouts_ok`.
    """
    for d in items:
        if isinstance(d, dict):
            from policysite.diagnostics import Diagnostic
            d = Diagnostic(d["path"], d["line"], d["severity"], d["message"])
        path, line = d.path, d.line
        if layouts_ok and path.startswith("policysite/theme/layouts/"):
            theme = REPO / path
            assert theme.is_file(), d.format()
            assert 1 <= line <= line_count(theme), d.format()
            continue
        assert not os.path.isabs(path), f"absolute path in {d}"
        assert ".." not in Path(path).parts, f"path leaves the site in {d}"
        target = site / path
        assert target.exists() or target.is_symlink() or path == "site_config.yaml" or path == "content", \
            f"diagnostic names a path that does not exist: {d.format()}"
        assert line >= 1, d.format()
        if target.is_file() and not target.is_symlink():
            # One past the last line: a problem found at the end of the text.
            assert line <= line_count(target) + 1, f"line {line} is past the end ({line_count(target)} lines): {d.format()}"


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under folder: relative path -> bytes (symlinks as their target text)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = b"->" + os.readlink(path).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
        elif path.is_dir():
            out[rel + "/"] = b""
    return out


def leftovers(parent: Path, name: str) -> list[str]:
    """Temporary or old output folders a build left beside `parent/name`."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith((f".{name}.tmp-", f".{name}.old-")))
