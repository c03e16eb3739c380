"""Problems written for the reader at hand: a person, GitHub Actions, or a program.

`text` is the `PATH:LINE: severity: message` line of diagnostics.py.
`github` is GitHub's workflow commands, which show each problem as an
annotation on its file and line in a pull request. `json` is one array of
objects. `markdown_summary` is the table a workflow adds to its job summary.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .diagnostics import Diagnostic

def github_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub reads it back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value (`file=`, `title=`): `:` and `,` escaped as well."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def repository_path(site_dir: Path, path: str) -> str:
    """`path` (from the site folder) as a path from the current folder, the repository root in a workflow."""
    full = Path(path) if Path(path).is_absolute() else site_dir / path
    try:
        return Path(os.path.relpath(full)).as_posix()
    except ValueError:   # another drive on Windows
        return full.as_posix()


def github_line(d: Diagnostic, site_dir: Path) -> str:
    """`::error file=PATH,line=N,title=CODE::MESSAGE` (or `::warning`)."""
    command = "error" if d.severity == "error" else "warning"
    props = [f"file={github_property(repository_path(site_dir, d.path))}", f"line={d.line}"]
    if d.code:
        props.append(f"title={github_property(d.code)}")
    return f"::{command} {','.join(props)}::{github_data(d.message)}"


def json_text(diagnostics: list[Diagnostic]) -> str:
    """One JSON array of {path, line, severity, code, message}."""
    items = [{"path": d.path, "line": d.line, "severity": d.severity, "code": d.code, "message": d.message}
             for d in diagnostics]
    return json.dumps(items, ensure_ascii=False, indent=1)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no HTML, no column breaks."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(diagnostics: list[Diagnostic], verb: str, pages: int, site_dir: Path,
                     problem: str | None = None) -> str:
    """A heading and a table of every problem, for a workflow's job summary ($GITHUB_STEP_SUMMARY)."""
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    lines = [f"### policysite {verb}", ""]
    if problem:
        lines += [f"**Error:** {_cell(problem)}", ""]
    if not diagnostics:
        if not problem:
            lines.append(f"No problems in {pages} page{'s' if pages != 1 else ''}.")
        return "\n".join(lines) + "\n"
    lines.append(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}. "
                 "Each is also shown on its line in the pull request's **Files changed** tab.")
    lines += ["", "| file | line | severity | code | problem and what to do |", "| --- | ---: | --- | --- | --- |"]
    for d in diagnostics:
        lines.append(f"| `{_cell(repository_path(site_dir, d.path))}` | {d.line} | {d.severity} | "
                     f"{_cell(d.code) or ''} | {_cell(d.message)} |")
    return "\n".join(lines) + "\n"
