"""The code stays clean under the ruff rules set in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_ruff_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(REPO)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "No module named ruff" not in proc.stderr, "ruff is not installed: pip install -e '.[test]'"
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_bare_dict_list_or_set_on_class_fields():
    """Each class field's containers say what they hold: `dict[str, int]`, never a bare `dict`."""
    import ast

    bare = []
    for path in sorted((REPO / "policysite").rglob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(cls, ast.ClassDef):
                continue
            for statement in cls.body:
                if not isinstance(statement, ast.AnnAssign):
                    continue
                subscripted = {id(n.value) for n in ast.walk(statement.annotation) if isinstance(n, ast.Subscript)}
                if any(isinstance(n, ast.Name) and n.id in ("dict", "list", "set", "tuple") and id(n) not in subscripted
                       for n in ast.walk(statement.annotation)):
                    bare.append(f"{path.relative_to(REPO)}:{statement.lineno}: {ast.unparse(statement)}")
    assert bare == []
