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
