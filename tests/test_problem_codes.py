"""Every problem code the source gives is in the README's "Problem codes" table, and only those."""

from __future__ import annotations

import json
import re
import shutil

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


# -- every problem a build reports carries a code from the table --------------

MANY_PROBLEMS = {
    "site_config.yaml": "title: T\nbase_url: https://www.example.gov.uk/\nlangauge: en-GB\nhooks:\n  - hooks/none.py\n",
    "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
    "content/body.md": (
        "---\ntitle: Body\ndescription: d\n---\n"
        "# A second title\n\n"
        "![](/assets/none.png)\n\n"
        "See [nowhere](nowhere.md) and [no heading](#no-such-heading).\n\n"
        '<marquee>moving</marquee>\n\n<a href="https://example.org/" onclick="go()">go</a>\n\n'
        '<a href="javascript:alert(1)">js</a>\n\n<p style="color: red">red</p>\n\n'
        '<iframe src="https://example.org/video"></iframe>\n\n'
        "{{< youtube abc >}}\n\n$CTA\nA call to action never closed.\n"),
    "content/front.md": (
        "---\ntitle: Front\ndescription: d\nslug: a/b\nlayout: nothing\naliases:\n  - no-slash\n"
        "related:\n  - missing.md\n  - https://example.org/\nimage:\n  src: /assets/none.png\n  alt: A thing\n"
        "date: 6 November 2008\ntitel: Oops\n---\nBody.\n"),
    "content/one.md": "---\ntitle: One\ndescription: d\nurl: /same/\n---\nBody.\n",
    "content/two.md": "---\ntitle: Two\ndescription: d\nurl: /same/\n---\nBody.\n",
    "content/empty.md": "",
    "content/unclosed.md": "---\ntitle: Unclosed\n",
    "content/latin.md": b"---\ntitle: Caf\xe9\n---\nBody.\n",
}

# Kinds of problem MANY_PROBLEMS must show: were one to lose its code, or its problem, this would say so.
MANY_PROBLEMS_CODES = {
    "unknown-field", "misspelled-field", "hook-config", "heading-level", "missing-alt-text", "broken-link",
    "html-not-allowed", "script-attribute", "url-scheme-not-allowed", "presentational-attribute", "embed-replaced",
    "template-tag", "govspeak", "broken-image", "invalid-address", "unknown-layout", "address-collision",
    "front-matter", "not-utf-8", "field-type",
}


def problems_of(site) -> list[dict]:
    r = run("check", site, "--format", "json")
    assert r.code == 1, r.err
    r.assert_no_traceback()
    return json.loads(r.out)


def assert_coded(problems: list[dict], where: str) -> set[str]:
    """Every problem has a code from the README table; the codes seen."""
    table = set(codes_in_readme())
    uncoded = [p for p in problems if not p["code"] or p["code"] not in table]
    assert not uncoded, f"{where}: problems without a code from the README table: {uncoded}"
    return {p["code"] for p in problems}


def test_every_problem_of_a_broken_site_has_a_code_from_the_table(tmp_path, make_site):
    site = tmp_path / "broken-site"
    shutil.copytree(REPO / "tests" / "fixtures" / "broken-site", site)
    problems = problems_of(site)
    assert len(problems) >= 5
    seen = assert_coded(problems, "broken-site")
    seen |= assert_coded(problems_of(make_site(MANY_PROBLEMS)), "many problems")
    assert sorted(MANY_PROBLEMS_CODES - seen) == []


def test_a_broken_layout_has_a_code_from_the_table(make_site):
    site = make_site({"layouts/page.html": "{% if %}\n"})
    assert "layout-error" in assert_coded(problems_of(site), "broken layout")

