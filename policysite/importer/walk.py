"""Walking SRC safely: symbolic links are followed only inside it, loops are cut."""

from __future__ import annotations

import os
from pathlib import Path

from .report import Report


def walk(root: Path, folder: Path, report: Report, skip=lambda rel, is_dir: False):
    """(path from root, absolute path) for every file under `folder`, sorted, hidden ones left out."""
    root_real = root.resolve()
    found: list[tuple[str, Path]] = []

    def visit(current: Path, above: frozenset):
        try:
            real = current.resolve()
        except (OSError, RuntimeError):
            return
        if real in above:
            return
        above = above | {real}
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            report.add("file", _rel(current, root), 1, f"cannot read this folder: {exc.strerror}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            rel = _rel(path, root)
            try:
                if entry.is_symlink():
                    try:
                        target = path.resolve(strict=True)
                    except (OSError, RuntimeError):
                        report.add("file", rel, 1, "a link that leads nowhere (or round in a loop): not imported")
                        continue
                    if not target.is_relative_to(root_real):
                        report.add("file", rel, 1, "a link to a place outside the source site: not followed")
                        continue
                is_dir = entry.is_dir()
                if skip(rel, is_dir):
                    continue
                if is_dir:
                    visit(path, above)
                elif entry.is_file():
                    found.append((rel, path))
            except OSError as exc:
                report.add("file", rel, 1, f"cannot read it: {exc.strerror}")

    if folder.is_dir():
        try:
            inside = folder.resolve().is_relative_to(root_real)
        except (OSError, RuntimeError):
            inside = False
        if not inside:   # a configured folder given as a path out of SRC, or a link out of it: never read
            report.add("file", _rel(folder, root), 1, "this folder is outside the source site (or a link to a place "
                       "outside it): not read")
            return found
        visit(folder, frozenset())
    return found


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
