"""`new PATH --type TYPE` through the command line: archetypes (the site's, then
the theme's), filled placeholders, no overwriting, and pages that pass
`check --strict` as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, fill_in, html_of, run

TYPES = ["page", "policy", "guidance", "publication", "news", "speech", "consultation", "collection", "organisation"]
THEME_ARCHETYPES = REPO / "policysite" / "theme" / "archetypes"
EPOCH = {"SOURCE_DATE_EPOCH": "1226000000"}   # 2008-11-06

# Front matter each type's archetype must give.
NEEDS = {
    "page": ["title", "description", "type", "date"],
    "policy": ["title", "description", "type", "date", "organisations", "topics", "government", "political", "change_history"],
    "guidance": ["title", "description", "type", "date", "organisations", "topics", "change_history"],
    "publication": ["title", "description", "type", "date", "organisations", "topics", "government"],
    "news": ["title", "description", "type", "date", "organisations", "topics", "government", "political"],
    "speech": ["title", "description", "type", "date", "organisations", "topics", "government", "political",
               "speaker", "delivered_on", "location", "speech_type"],
    "consultation": ["title", "description", "type", "date", "organisations", "topics", "government", "opens", "closes"],
    "collection": ["title", "description", "type", "date", "organisations", "topics", "groups"],
    "organisation": ["title", "description", "type", "topics"],
}


def front_matter(path: Path) -> dict:
    import yaml
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_theme_has_an_archetype_for_every_type():
    assert sorted(p.stem for p in THEME_ARCHETYPES.glob("*.md")) == sorted(TYPES)


@pytest.mark.parametrize("page_type", TYPES)
def test_new_page_left_as_written_fails_check(make_site, page_type):
    """issue13: a page made by `new` and never filled in is not published."""
    site = make_site()
    rel = f"content/policy/left-{page_type}.md"
    assert run("new", rel, "--type", page_type, cwd=site).code == 0
    r = run("check", site)
    assert r.code == 1
    r.assert_has(rel, 3, "error", "replace the placeholder description")
    if "organisations" in NEEDS[page_type]:
        r.assert_has(rel, 7, "error", "`organisations` is empty")
    if "topics" in NEEDS[page_type]:
        assert any(d[0] == rel and d[2] == "warning" and "`topics` is empty" in d[3] for d in r.diagnostics), r.err
    assert run("build", site).code == 1


@pytest.mark.parametrize("page_type", TYPES)
def test_new_page_of_each_type_passes_check_strict_once_filled_in(make_site, page_type):
    site = make_site()
    rel = f"content/policy/tackling-{page_type}-things.md"
    r = run("new", rel, "--type", page_type, cwd=site, env=EPOCH)
    assert r.code == 0, r.err
    assert r.out == f"Wrote {rel}\n"
    fields = front_matter(site / rel)
    assert list(fields) == NEEDS[page_type]
    assert fields["title"] == f"Tackling {page_type} things"
    assert fields["type"] == page_type
    if "date" in fields:
        assert str(fields["date"]) == "2008-11-06"
    if "government" in fields:
        assert fields["government"] == "new-government"          # the site's current government
    assert fields.get("organisations", []) == [] and fields.get("topics", []) == []
    assert "{" not in (site / rel).read_text()                      # every placeholder filled
    fill_in(site / rel)
    r = run("check", site, "--strict")
    assert r.code == 0, r.err
    assert r.diagnostics == []
    r = run("build", site, "--strict")
    assert r.code == 0, r.err
    doc = html_of(site / "_site", f"policy/tackling-{page_type}-things/index.html")
    assert doc.find("h1").text() == f"Tackling {page_type} things"


def test_keys_filled_in_still_pass(make_site):
    """Once an editor fills the empty lists with real keys, the page is still clean."""
    site = make_site()
    r = run("new", "content/policy/filled.md", "--type", "policy", cwd=site)
    assert r.code == 0, r.err
    fill_in(site / "content/policy/filled.md")
    r = run("check", site, "--strict")
    assert r.code == 0 and r.diagnostics == [], r.err


def test_site_archetype_comes_first(make_site):
    site = make_site({"archetypes/news.md": "---\ntitle: {title}\ndescription: Ours.\ntype: {type}\ndate: {date}\n---\n\nOur own news layout.\n"})
    r = run("new", "content/news/big-day.md", "--type", "news", cwd=site, env=EPOCH)
    assert r.code == 0, r.err
    text = (site / "content/news/big-day.md").read_text()
    assert text == "---\ntitle: Big day\ndescription: Ours.\ntype: news\ndate: 2008-11-06\n---\n\nOur own news layout.\n"
    # other types still come from the theme
    r = run("new", "content/policy/other.md", "--type", "policy", cwd=site)
    assert r.code == 0, r.err
    assert "## The issue" in (site / "content/policy/other.md").read_text()


def test_refuses_to_overwrite(make_site):
    original = "---\ntitle: Precious\ndescription: Keep me.\n---\nDo not lose this.\n"
    site = make_site({"content/policy/precious.md": original})
    for page_type in ("policy", "page"):
        r = run("new", "content/policy/precious.md", "--type", page_type, cwd=site)
        assert r.code == 1
        assert "already exists" in r.err
    r = run("new", "content/policy/precious", "--type", "news", cwd=site)   # .md added, still the same file
    assert r.code == 1
    assert (site / "content/policy/precious.md").read_text() == original


def test_without_a_current_government_the_lines_are_left_out(make_site):
    config = "title: Plain site\nbase_url: https://www.example.gov.uk/\n"
    site = make_site({"site_config.yaml": config})
    for page_type in ("policy", "speech", "news"):
        r = run("new", f"content/{page_type}.md", "--type", page_type, cwd=site)
        assert r.code == 0, r.err
        fields = front_matter(site / f"content/{page_type}.md")
        assert "government" not in fields and "political" not in fields
        fill_in(site / f"content/{page_type}.md", keys=False)
    r = run("check", site, "--strict")
    assert r.code == 0 and r.diagnostics == [], r.err


def test_titles_that_need_quoting_and_section_index(make_site):
    site = make_site()
    r = run("new", "content/policy/nhs: the next steps #2.md", "--type", "policy", cwd=site)
    assert r.code == 2 and "cannot be checked out on Windows" in r.err and "`:`" in r.err, r.err
    assert not (site / "content/policy").exists()
    r = run("new", "content/policy/nhs & the next steps #2.md", "--type", "policy", cwd=site)
    assert r.code == 0, r.err
    assert front_matter(site / "content/policy/nhs & the next steps #2.md")["title"] == "Nhs & the next steps #2"
    r = run("new", "content/social-care/_index.md", "--type", "page", cwd=site)
    assert r.code == 0, r.err
    assert front_matter(site / "content/social-care/_index.md")["title"] == "Social care"
    fill_in(site / "content/policy/nhs & the next steps #2.md")
    fill_in(site / "content/social-care/_index.md")
    r = run("check", site, "--strict")
    assert r.code == 0 and r.diagnostics == [], r.err


def test_site_option_and_usage_errors(make_site, tmp_path):
    site = make_site()
    r = run("new", "content/guides/apply", "--type", "guidance", "--site", site, cwd=tmp_path)
    assert r.code == 0, r.err
    assert (site / "content/guides/apply.md").is_file()
    r = run("new", "notes/x.md", cwd=site)
    assert r.code == 2 and "content/" in r.err
    r = run("new", "content/x.md", "--type", "memo", cwd=site)
    assert r.code == 2
    empty = tmp_path / "not-a-site"
    empty.mkdir()
    r = run("new", "content/x.md", cwd=empty)
    assert r.code == 2 and "site_config.yaml" in r.err
    assert not (empty / "content").exists()
