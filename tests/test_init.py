"""`init DIR --title TITLE`: a new site repository that passes `check --strict` and builds at once."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from conftest import html_of, run, run_subprocess

from policysite import __version__

EPOCH = {"SOURCE_DATE_EPOCH": "1226000000"}   # 2008-11-06
FILES = [".github/workflows/publish.yml", ".gitignore", "README.md", "content/_index.md",
         "content/accessibility.md", "requirements.txt", "site_config.yaml"]


def written(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_init_writes_a_site_that_checks_strict_with_no_warnings_and_builds(tmp_path):
    site = tmp_path / "transport-site"
    r = run_subprocess("init", site, "--title", "Department for Transport", env=EPOCH)
    assert r.code == 0, r.err
    assert written(site) == FILES
    r = run_subprocess("check", site, "--strict")
    assert r.code == 0, r.err
    assert r.err == "" and r.out.startswith("Checked ") and r.out.endswith(": no errors\n")
    r = run("build", site, "--strict")
    assert r.code == 0, r.err
    assert r.diagnostics == []
    home = html_of(site / "_site", "index.html")
    assert home.find("h1").text() == "Department for Transport"
    statement = html_of(site / "_site", "accessibility/index.html")
    assert statement.find("h1").text() == "Accessibility statement"
    headings = [h.text() for h in statement.find_all("h2")]
    for heading in ("Reporting accessibility problems", "Enforcement procedure", "Compliance status"):
        assert heading in headings
    assert "Department for Transport" in statement.find("main").text()
    assert "6 November 2008" in statement.find("main").text()     # first published the day init ran


def test_init_fills_in_the_title_and_pins_this_version(tmp_path):
    site = tmp_path / "s"
    assert run("init", site, "--title", "Office: of *Tests*", "--base-url", "https://tests.example.gov.uk").code == 0
    config = yaml.safe_load((site / "site_config.yaml").read_text())
    assert config["title"] == "Office: of *Tests*"
    assert config["base_url"] == "https://tests.example.gov.uk/"
    assert config["organisations"] == {"office-of-tests": {"name": "Office: of *Tests*"}}
    assert (site / "requirements.txt").read_text().splitlines()[-1] == f"policysite=={__version__}"
    for rel in FILES:
        assert not re.search(r"@[A-Z_]+@", (site / rel).read_text()), rel   # every token filled in
    assert ".policysite-cache/" in (site / ".gitignore").read_text().splitlines()
    assert "_site/" in (site / ".gitignore").read_text().splitlines()
    assert "._site.spare/" in (site / ".gitignore").read_text().splitlines()   # the output a build replaced (write.py)
    assert run("check", site, "--strict").code == 0
    build = run("build", site, "--strict")
    assert build.code == 0, build.err
    assert "Office: of *Tests*" in html_of(site / "_site", "index.html").find("main").text()


def test_init_writes_a_title_as_given_even_when_it_looks_like_a_token(tmp_path):
    site = tmp_path / "s"
    assert run("init", site, "--title", "Office @DATE@ and @TITLE@").code == 0
    assert yaml.safe_load((site / "site_config.yaml").read_text())["title"] == "Office @DATE@ and @TITLE@"


def test_init_requirement_option_pins_a_release_wheel(tmp_path):
    wheel = f"policysite @ https://github.com/OWNER/policysite/releases/download/v{__version__}/policysite-{__version__}-py3-none-any.whl"
    r = run("init", tmp_path / "s", "--title", "T", "--requirement", wheel)
    assert r.code == 0, r.err
    lines = (tmp_path / "s" / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if not line.startswith("#")] == [wheel]


@pytest.mark.parametrize("existing", ["a file", "a hidden file"])
def test_init_refuses_a_folder_that_is_not_empty(tmp_path, existing):
    site = tmp_path / "s"
    site.mkdir()
    name = "notes.txt" if existing == "a file" else ".git"
    (site / name).write_text("mine")
    r = run("init", site, "--title", "T")
    assert r.code == 2
    assert "not empty" in r.err
    r.assert_no_traceback()
    assert written(site) == [name] and (site / name).read_text() == "mine"


def test_init_into_an_empty_folder_and_misuse(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("init", empty, "--title", "T").code == 0
    assert written(empty) == FILES
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for args in (["init", a_file, "--title", "T"], ["init", tmp_path / "n1"], ["init", tmp_path / "n2", "--title", " "],
                 ["init", tmp_path / "n3", "--title", "T", "--base-url", "not an address"]):
        r = run(*args)
        assert r.code == 2, (args, r.err)
        r.assert_no_traceback()
    assert not any((tmp_path / n).exists() for n in ("n1", "n2", "n3"))


def test_a_broken_page_in_a_new_site_is_annotated_for_github(tmp_path):
    site = tmp_path / "s"
    assert run("init", site, "--title", "T").code == 0
    page = site / "content" / "accessibility.md"
    lines = page.read_text().splitlines()
    lines[8] = "See [the missing page](missing.md)."
    page.write_text("\n".join(lines) + "\n")
    r = run_subprocess("check", ".", "--strict", "--format", "github", cwd=site)
    assert r.code == 1
    assert r.out.startswith("::error file=content/accessibility.md,line=9")
    assert "missing.md" in r.out


def test_in_a_new_site_a_page_left_as_new_wrote_it_fails_the_pull_request_check(tmp_path):
    site = tmp_path / "s"
    assert run("init", site, "--title", "Department for Testing").code == 0
    assert run("new", site, "content/policy/roads.md", "--type", "policy").code == 0
    r = run_subprocess("check", ".", "--strict", "--format", "github", cwd=site)
    assert r.code == 1
    found = [line for line in r.out.splitlines() if line.startswith("::error file=content/policy/roads.md,")]
    titles = {re.search(r"title=([a-z-]+)", line)[1] for line in found}
    assert {"placeholder", "empty-field"} <= titles, r.out
    r = run_subprocess("check", ".", "--format", "json", cwd=site)   # errors without --strict too
    assert r.code == 1
    codes = {p["code"] for p in json.loads(r.out) if p["path"] == "content/policy/roads.md" and p["severity"] == "error"}
    assert {"placeholder", "empty-field"} <= codes


def test_in_a_new_site_a_misspelled_field_fails_the_build(tmp_path):
    site = tmp_path / "s"
    assert run("init", site, "--title", "Department for Testing").code == 0
    (site / "content" / "roads.md").write_text(
        "---\ntitle: Roads\ndescription: How roads are planned.\ntype: news\n"
        "organsations: [department-for-testing]\n---\nText.\n")
    r = run_subprocess("build", ".", "--format", "github", cwd=site)
    assert r.code == 1
    assert r.out.startswith("::error file=content/roads.md,line=5,title=misspelled-field::")
    assert not (site / "_site").exists()
