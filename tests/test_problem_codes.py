"""Every problem code the source gives is in the README's "Problem codes" table, and only those."""

from __future__ import annotations

import json
import re

from conftest import REPO, run

CODE_IN_SOURCE = re.compile(r"""\bcode=["']([a-z0-9-]+)["']""")
CODE_KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def codes_in_source() -> set[str]:
    found = set()
    for path in (REPO / "policysite").rglob("*.py"):
        found.update(CODE_IN_SOURCE.findall(path.read_text(encoding="utf-8")))
    return found


def codes_in_readme() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Problem codes\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [re.match(r"\| `([^`]+)` \|", row)[1] for row in rows]


def test_every_code_in_the_source_is_in_the_readme_table_and_no_other():
    table = codes_in_readme()
    assert len(table) == len(set(table)), "a code is in the table twice"
    source = codes_in_source()
    assert source, "no codes found in policysite/"
    assert sorted(source - set(table)) == [], "codes missing from the README's Problem codes table"
    assert sorted(set(table) - source) == [], "codes in the README that policysite never gives"


def test_codes_are_kebab_case():
    assert all(CODE_KEBAB.match(code) for code in codes_in_source() | set(codes_in_readme()))


def test_a_config_problem_carries_its_code(make_site):
    site = make_site({"site_config.yaml": "title: T\nbase_url: https://x.example/\ncolour: blue\n"})
    r = run("check", site, "--format", "json")
    problems = json.loads(r.out)
    assert [(p["path"], p["line"], p["code"]) for p in problems] == [("site_config.yaml", 3, "unknown-field")]
