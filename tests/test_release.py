"""The version: one source, `--version` without loading the build, and a CHANGELOG entry for it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from conftest import REPO, run

from policysite import __version__


def test_the_version_has_one_source():
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "policysite.__version__"}


def test_version_option_prints_the_version():
    r = run("--version")
    assert r.code == 0
    assert r.out.strip() == f"policysite, version {__version__}"


def test_version_option_does_not_load_the_build():
    code = ("import sys; sys.argv = ['policysite', '--version']\n"
            "from policysite.__main__ import run\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('policysite.builder', 'jinja2', 'markdown', 'yaml') if m in sys.modules]\n"
            "print('loaded:', heavy)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"policysite, version {__version__}", "loaded: []"]


def test_changelog_has_an_unreleased_section_then_this_version():
    text = (REPO / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[0] == "Unreleased"
    assert headings[1].startswith(f"[{__version__}]")
    assert any(h.startswith("[0.1.0]") for h in headings)
