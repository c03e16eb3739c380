#!/usr/bin/env python3
"""Print pip constraints that pin every dependency to the lowest version pyproject.toml allows.

    python .ci/lowest_constraints.py [EXTRA ...] > lowest.txt
    pip install -c lowest.txt -e '.[test]'

pip has no way to resolve to the lowest versions, so this turns each `>=X`
lower bound (of the dependencies, and of the extras named) into `==X`.
A requirement with no lower bound is left out: pip picks its newest.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
LOWER = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(?:[^;]*?)>=\s*([0-9][^,;\s]*)")


def lowest(requirements: list[str]) -> list[str]:
    pins = []
    for requirement in requirements:
        if "==" in requirement:
            pins.append(requirement.split(";")[0].strip().replace(" ", ""))
            continue
        match = LOWER.match(requirement)
        if match:
            pins.append(f"{match[1]}=={match[3]}")
    return pins


def main(extras: list[str]) -> int:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            print(f"error: pyproject.toml has no extra {extra!r} (it has {', '.join(sorted(optional))})", file=sys.stderr)
            return 2
        requirements += optional[extra]
    print("\n".join(lowest(requirements)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
