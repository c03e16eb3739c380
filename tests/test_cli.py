"""SPEC "Command line": build, check, new, exit codes, as an editor types them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURES, REPO, fill_in, html_of, page, read_tree, run, run_subprocess


def copy_fixture(name: str, tmp_path):
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


# ---- end to end through `python build.py` -------------------------------------------

def test_build_fixture_site_end_to_end(tmp_path):
    site = copy_fixture("policy-site", tmp_path)
    r = run_subprocess("build", site)
    assert r.code == 0, r.err
    r.assert_no_traceback()
    assert r.err == ""
    assert r.out.startswith("Built ") and f"into {site / '_site'}" in r.out
    out = site / "_site"
    doc = html_of(out, "policy/health-inequalities/index.html")
    assert doc.find("h1").text() == "Health inequalities"
    assert (out / "policy/files/report.pdf").is_file()
    html = (out / "policy/health-inequalities/index.html").read_text()
    assert "This was published under the 2005 to 2010 Labour government" in html
    assert '<abbr title="National Health Service">NHS</abbr>' in html
    assert doc.find("figure").find("img").attrs["src"] == "/assets/images/chart.svg"
    body = doc.find("div", class_="govspeak")
    links = [(a.attrs["href"], a.text()) for a in body.find_all("a")]
    assert links == [
        ("/policy/files/report.pdf", "progress report (PDF, 1 KB)"),
        ("/guidance/intervention-tool/#using-the-tool", "intervention tool"),
        ("/news/2009-progress/", "Progress on health inequalities, 2009"),
        ("mailto:inequalities@example.gov.uk", "email"),
    ]
    related = doc.find("section", aria_labelledby="related-title")
    assert [a.attrs["href"] for a in related.find_all("a")] == ["/guidance/intervention-tool/"]
    history = [li.find("p").text() for li in doc.find("section", id="full-history").find_all("li")]
    assert history == ["Added the 2009 progress report.", "First published."]
    assert "url=/policy/health-inequalities/" in (out / "policies/health-inequalities/index.html").read_text()
    news = (out / "news/2009-progress/index.html").read_text()
    assert "This page was withdrawn on 1 January 2011" in news
    assert not (out / "news/draft-story").exists()
    topic = html_of(out, "topics/health-inequalities/index.html")
    assert [a.attrs["href"] for a in topic.find_all("a", class_="document-list__link")] == [
        "/guidance/intervention-tool/", "/policy/health-inequalities/"]
    # Generated section for guidance/ (no _index.md there).
    assert html_of(out, "guidance/index.html").find("h1").text() == "Guidance"
    r = run_subprocess("build", site, "--drafts")
    assert r.code == 0, r.err
    assert (out / "news/draft-story/index.html").is_file()


FAULT = ("import sys; sys.argv = ['policysite', 'check']; import policysite.__main__ as entry, policysite.cli as cli\n"
         "def broken():\n    raise IndexError('list index out of range')\n"
         "cli.main = broken\nentry.run()\n")


def test_a_fault_in_policysite_itself_is_one_line_and_exit_3(tmp_path):
    # What an editor sees in CI when policysite has a bug: not a page of Python, and not their fault.
    proc = subprocess.run([sys.executable, "-c", FAULT], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: policysite itself failed (IndexError: list index out of range at ")
    assert "not in your site" in proc.stderr and "POLICYSITE_TRACEBACK=1" in proc.stderr
    shown = subprocess.run([sys.executable, "-c", FAULT], capture_output=True, text=True, cwd=REPO, timeout=60,
                           env={**os.environ, "POLICYSITE_TRACEBACK": "1"})
    assert "Traceback" in shown.stderr and "IndexError" in shown.stderr


def test_build_defaults_to_current_folder(tmp_path):
    site = copy_fixture("policy-site", tmp_path)
    r = run_subprocess("build", cwd=site)
    assert r.code == 0, r.err
    assert (site / "_site/index.html").is_file()


def test_broken_fixture_reports_everything_end_to_end(tmp_path):
    site = copy_fixture("broken-site", tmp_path)
    r = run_subprocess("build", site)
    assert r.code == 1
    r.assert_no_traceback()
    r.assert_has("content/policy/bad-link.md", 9, "error", "broken link", "missing-page.md")
    r.assert_has("content/policy/bad-link.md", 11, "error", "no-such-heading")
    r.assert_has("content/policy/bad-fields.md", 4, "error", "date")
    r.assert_has("content/policy/bad-fields.md", 6, "error", "unknown organisation", "department-of-helth",
                 "did you mean `department-of-health`")
    r.assert_has("content/policy/bad-fields.md", 7, "error", "titel", "did you mean `title`")
    r.assert_has("content/news/no-front-matter.md", 1, "error", "no front matter")
    r.assert_has("site_config.yaml", 5, "warning", "unknown setting `langauge`", "did you mean `language`")
    assert not (site / "_site").exists()
    assert r.err.rstrip().splitlines()[-1] == "build failed: 6 errors, 1 warning"


def test_check_end_to_end_writes_nothing(tmp_path):
    site = copy_fixture("policy-site", tmp_path)
    before = read_tree(site)
    r = run_subprocess("check", site)
    assert r.code == 0, r.err
    assert r.out.startswith("Checked ")
    assert read_tree(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy-site"]


# ---- exit codes -----------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["build", "/nonexistent/site/folder"],
    ["check", "/nonexistent/site/folder"],
    ["build", "--no-such-option"],
    ["frobnicate"],
    ["build", ".", "--jobs", "0"],
    ["build", ".", "--jobs", "many"],
    ["new"],
    ["new", "content/x.md", "--type", "memo"],
])
def test_misuse_exits_2(args, make_site):
    site = make_site()
    r = run(*args, cwd=site)
    assert r.code == 2, (r.code, r.err)
    r.assert_no_traceback()
    assert r.err.strip()
    assert not (site / "_site").exists()


def test_site_that_is_a_file_exits_2(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = run("build", f)
    assert r.code == 2
    assert "not a folder" in r.err


def test_strict_exit_codes(make_site):
    site = make_site({"content/a.md": page("A", extra="colour: blue")})
    assert run("build", site).code == 0
    r = run("build", site, "--strict")
    assert r.code == 1
    r.assert_has("content/a.md", 4, "error", "colour", "strict")


def test_quiet_prints_only_problems(make_site):
    site = make_site({"content/a.md": page("A")})
    r = run("build", site, "--quiet")
    assert r.code == 0
    assert r.out == "" and r.err == ""
    site2 = make_site({"content/a.md": page("A", extra="colour: blue")})
    r = run("build", site2, "-q")
    assert r.code == 0
    r.assert_has("content/a.md", 4, "warning", "colour")
    assert r.out == ""


def test_version_and_help():
    r = run("--version")
    assert r.code == 0 and "policysite" in r.out
    r = run("--help")
    assert r.code == 0
    for verb in ("build", "check", "serve", "new", "init"):
        assert verb in r.out


# ---- new --------------------------------------------------------------------------------

TYPES = ["page", "policy", "guidance", "publication", "news", "speech", "consultation", "organisation"]


def _front_matter_problems(site, rel):
    from policysite.config import load_config
    from policysite.diagnostics import Diagnostics
    from policysite.load import load_page
    diagnostics = Diagnostics()
    config = load_config(site, diagnostics)
    page = load_page(rel, site / rel, config, diagnostics)
    return page, [d.format() for d in diagnostics.items]


@pytest.mark.parametrize("page_type", TYPES)
def test_new_page_front_matter_is_clean(make_site, page_type):
    site = make_site()
    rel = f"content/policy/new-{page_type}-page.md"
    r = run("new", rel, "--type", page_type, cwd=site)
    assert r.code == 0, r.err
    assert r.out == f"Wrote {rel}\n"
    loaded, problems = _front_matter_problems(site, rel)
    # Only what the editor must still write: the placeholder description, the empty lists (issue13).
    assert problems and all("placeholder description" in p or "is empty" in p for p in problems), problems
    fill_in(site / rel)
    loaded, problems = _front_matter_problems(site, rel)
    assert problems == []
    assert loaded.title == f"New {page_type} page"
    assert loaded.type == page_type
    assert loaded.description


@pytest.mark.parametrize("page_type", TYPES)
def test_new_page_builds_clean(make_site, page_type):
    site = make_site()
    r = run("new", f"content/policy/new-{page_type}-page.md", "--type", page_type, cwd=site)
    assert r.code == 0, r.err
    path = site / f"content/policy/new-{page_type}-page.md"
    assert path.is_file()
    text = path.read_text()
    assert text.startswith("---\n")
    assert f"type: {page_type}" in text
    assert run("build", site).code == 1          # left as written: placeholder description
    fill_in(path)
    r = run("build", site, "--strict")
    assert r.code == 0, r.err
    assert r.diagnostics == []
    doc = html_of(site / "_site", f"policy/new-{page_type}-page/index.html")
    assert doc.find("h1").text() == f"New {page_type} page"


def test_new_policy_with_site_option(make_site, tmp_path):
    site = make_site()
    r = run("new", "content/policy/fresh.md", "--type", "policy", "--site", site, cwd=tmp_path)
    assert r.code == 0, r.err
    fill_in(site / "content/policy/fresh.md")
    assert _front_matter_problems(site, "content/policy/fresh.md")[1] == []


def test_new_refuses_to_overwrite(make_site):
    original = page("Precious", body="Do not lose this.\n")
    site = make_site({"content/precious.md": original})
    r = run("new", "content/precious.md", "--type", "policy", cwd=site)
    assert r.code == 1
    assert "already exists" in r.err
    assert (site / "content/precious.md").read_text() == original


def test_new_without_suffix_adds_md(make_site):
    site = make_site()
    r = run("new", "content/guides/how-to-apply", "--type", "guidance", cwd=site)
    assert r.code == 0, r.err
    assert (site / "content/guides/how-to-apply.md").is_file()


def test_new_outside_content_is_refused(make_site):
    site = make_site()
    r = run("new", "elsewhere/x.md", cwd=site)
    assert r.code == 2
    assert not (site / "elsewhere").exists()
    r = run("new", "content/../../x.md", cwd=site)
    assert r.code == 2
    assert not (site.parent / "x.md").exists()


def test_new_via_build_py(make_site):
    site = make_site()
    r = run_subprocess("new", "content/news/announcement.md", "--type", "news", cwd=site)
    assert r.code == 0, r.err
    fill_in(site / "content/news/announcement.md")
    assert _front_matter_problems(site, "content/news/announcement.md")[1] == []


def test_new_takes_the_site_folder_first_like_the_other_commands(make_site, tmp_path):
    site = make_site()
    r = run("new", site, "content/policy/first.md", "--type", "policy", cwd=tmp_path)
    assert r.code == 0, r.err
    assert (site / "content/policy/first.md").is_file()
    fill_in(site / "content/policy/first.md")
    assert _front_matter_problems(site, "content/policy/first.md")[1] == []
    r = run("new", site, "content/other.md", "--site", site, cwd=tmp_path)
    assert r.code == 2 and "once" in r.err
    r = run("new", site, "content/a.md", "content/b.md", cwd=tmp_path)
    assert r.code == 2
    r = run("new", tmp_path / "no-such-site", "content/a.md", cwd=tmp_path)
    assert r.code == 2 and "not a folder" in r.err
    assert sorted(p.name for p in (site / "content").rglob("*.md")) == ["_index.md", "first.md"]


def test_timings_name_every_stage_in_order(make_site):
    """`--timings` prints one line per step of the build, the stages in the order they ran."""
    site = make_site({"content/policy/a.md": page("A")})
    result = run("build", site, "--timings", "--quiet")
    assert result.code == 0, result.err
    timed = [re.match(r"^ *(\d+\.\d{3})s  (.+)$", line) for line in result.err.splitlines()]
    assert all(timed), result.err
    steps = [m[2] for m in timed]
    for stage in ("load_configuration", "load_pages", "prepare_layouts", "render_markdown", "check_links",
                  "render_pages", "write_files", "write cache", "in all"):
        assert stage in steps, result.err
    assert steps.index("load_pages") < steps.index("render_markdown") < steps.index("render_pages") < steps.index("write_files")
    checked = run("check", site, "--timings")
    assert "load_pages" in checked.err and "write cache" not in checked.err, checked.err


def test_timings_of_a_build_that_keeps_the_last_output_name_its_steps(make_site):
    site = make_site({"content/policy/a.md": page("A")})
    assert run("build", site, "--quiet").code == 0
    result = run("build", site, "--timings", "--quiet")
    assert result.code == 0, result.err
    steps = [m[2] for m in (re.match(r"^ *(\d+\.\d{3})s  (.+)$", line) for line in result.err.splitlines()) if m]
    assert steps[:2] == ["hash inputs", "take over the last output"] and steps[-1] == "in all", result.err


@pytest.mark.parametrize("closed", [1, 2])
def test_the_command_ends_cleanly_when_started_with_stdout_or_stderr_closed(make_site, closed):
    """As a cron job or a service may start it (`policysite check >&-`): Python then has no
    sys.stdout (or sys.stderr), and the command must still end with its own exit status."""
    site = make_site({"content/a.md": "---\ntitle: A\ndescription: A page.\n---\nText.\n"})
    kept = 2 if closed == 1 else 1
    proc = subprocess.run([sys.executable, str(REPO / "build.py"), "check", str(site)], cwd=REPO,
                          stdout=subprocess.PIPE if kept == 1 else None, stderr=subprocess.PIPE if kept == 2 else None,
                          text=True, timeout=60, preexec_fn=lambda: os.close(closed))
    assert proc.returncode == 0, proc.stderr or proc.stdout
    assert "Traceback" not in (proc.stderr or proc.stdout or "")


def test_the_build_is_imported_with_the_collector_paused_and_it_runs_again_after(make_site, monkeypatch):
    import builtins
    import gc

    site = make_site({"content/a.md": page("Alpha")})
    seen = []
    real_import = builtins.__import__

    def importing(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "builder" and level == 1 and (globals or {}).get("__name__") == "policysite.cli":
            seen.append(gc.isenabled())
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", importing)
    assert gc.isenabled()
    result = run("check", site)
    assert result.code == 0, result.err
    assert seen == [False] and gc.isenabled()
