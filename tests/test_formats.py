"""`build` and `check` with `--format text|github|json` and `--summary FILE`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import page, run, run_subprocess

from policysite.diagnostics import Diagnostic
from policysite.formats import github_data, github_line, github_property, markdown_summary

BROKEN = {
    "content/policy/plan.md": page("The plan", extra="colour: blue", body="See [the costs](costs.md).\n"),
}
COMMAND = re.compile(r"^::(error|warning) file=([^,]*),line=(\d+)(?:,title=([^:]*))?::(.*)$")


def commands(out: str) -> list[tuple[str, str, int, str | None, str]]:
    found = []
    for line in out.splitlines():
        m = COMMAND.match(line)
        assert m, f"not a workflow command: {line!r}"
        found.append((m[1], m[2], int(m[3]), m[4], m[5]))
    return found


@pytest.mark.parametrize("verb", ["check", "build"])
def test_github_format_gives_an_annotation_at_each_problem(make_site, verb):
    site = make_site(BROKEN)
    r = run_subprocess(verb, ".", "--format", "github", cwd=site)
    assert r.code == 1
    found = commands(r.out)
    assert [(kind, path, line) for kind, path, line, _, _ in found] == [
        ("warning", "content/policy/plan.md", 4), ("error", "content/policy/plan.md", 6)]
    assert "colour" in found[0][4] and "costs.md" in found[1][4]
    assert f"{verb} failed: 1 error, 1 warning" in r.err
    assert not (site / "_site").exists()


def test_github_format_names_files_from_the_folder_it_runs_in(make_site):
    site = make_site(BROKEN, name="site")
    r = run("check", "site", "--strict", "--format", "github", cwd=site.parent)
    assert r.code == 1
    found = commands(r.out)
    assert {(kind, path) for kind, path, *_ in found} == {("error", "site/content/policy/plan.md")}


def test_github_format_escapes_what_github_reads_specially():
    assert github_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github_property("a,b:c%d") == "a%2Cb%3Ac%25d"
    d = Diagnostic("content/a,b:c.md", 3, "error", "broken link `x.md`: 50% of it, here", "broken-link")
    assert github_line(d, site_dir=Path(".")) == (
        "::error file=content/a%2Cb%3Ac.md,line=3,title=broken-link::broken link `x.md`: 50%25 of it, here")
    plain = Diagnostic("content/a.md", 1, "warning", "something", "")
    assert github_line(plain, site_dir=Path(".")) == "::warning file=content/a.md,line=1::something"


def test_json_format_is_one_array_of_problems(make_site):
    site = make_site(BROKEN)
    r = run("build", site, "--format", "json")
    assert r.code == 1
    problems = json.loads(r.out)
    assert [(p["path"], p["line"], p["severity"]) for p in problems] == [
        ("content/policy/plan.md", 4, "warning"), ("content/policy/plan.md", 6, "error")]
    assert all(set(p) == {"path", "line", "severity", "code", "message"} for p in problems)
    assert all(isinstance(p["code"], str) and p["message"] for p in problems)


def test_json_format_keeps_stdout_for_the_array_when_all_is_well(make_site):
    site = make_site({"content/a.md": page("A")})
    r = run("build", site, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out) == []
    assert r.err.startswith("Built ")
    r = run("check", site, "--format", "github")
    assert r.code == 0 and r.out == ""


def test_text_format_is_the_default(make_site):
    site = make_site(BROKEN)
    for extra in ([], ["--format", "text"]):
        r = run("check", site, *extra)
        assert r.code == 1 and r.out == ""
        r.assert_has("content/policy/plan.md", 6, "error", "costs.md")


def test_summary_adds_a_table_of_problems_to_a_file(make_site, tmp_path):
    site = make_site(BROKEN)
    summary = tmp_path / "summary.md"
    summary.write_text("Earlier step.\n")
    r = run("check", site, "--strict", "--format", "github", "--summary", summary)
    assert r.code == 1
    text = summary.read_text()
    assert text.startswith("Earlier step.\n### policysite check\n")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == 2 and all("content/policy/plan.md" in row for row in rows)
    assert "2 errors, 0 warnings" in text
    clean = make_site({"content/a.md": page("A")})
    summary.write_text("")
    assert run("check", clean, "--summary", summary).code == 0
    assert "No problems in" in summary.read_text()


def test_summary_cells_cannot_break_the_table_or_add_html():
    d = Diagnostic("content/a|b.md", 2, "warning", "raw HTML <script> removed | kept <b>", "")
    text = markdown_summary([d], "build", 1, Path("."))
    row = [line for line in text.splitlines() if line.startswith("| `")][0]
    assert "<script>" not in row and "&lt;script&gt;" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 6   # five cells: every other `|` escaped


def test_github_format_annotates_an_output_folder_it_cannot_use(make_site):
    site = make_site({"content/a.md": page("A")})
    (site / "_site").mkdir()
    (site / "_site" / "precious.txt").write_text("not ours")
    r = run("build", site, "--format", "github")
    assert r.code in (1, 2)
    assert r.out.startswith("::error title=output::") and r.out[-1] == "\n" and r.out.count("\n") == 1
    assert "error: " in r.err
    assert (site / "_site" / "precious.txt").read_text() == "not ours"
