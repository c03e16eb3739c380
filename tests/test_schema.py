"""The one declarative page schema (policysite/schema.py) and what it drives:
field checks, near-miss field names, dates with times, character references,
site page types under `types:`, `extra:`, the archetypes and the README table."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import DEFAULT_CONFIG, FIXTURES, REPO, build, build_fails, build_ok, html_of, page, run

from policysite import schema

P = "content/p.md"


def front(*lines: str, body: str = "Body.\n") -> str:
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


# ---- the README and the archetypes follow the schema ---------------------------

def test_readme_field_table_is_the_schemas():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(schema.README_START) + len(schema.README_START)
    table = text[start:text.index(schema.README_END)].strip()
    assert table == schema.readme_table(), "run `python -m policysite.schema README.md`"
    for spec in schema.FIELDS:
        assert f"| `{spec.name}` |" in table


@pytest.mark.parametrize("page_type", list(schema.BUILTIN_TYPES))
def test_theme_archetype_writes_the_declared_fields_and_placeholder(page_type):
    text = (REPO / "policysite/theme/archetypes" / f"{page_type}.md").read_text(encoding="utf-8")
    head = text.split("---\n", 2)[1]
    assert "description: {description}" in head        # the placeholder comes from the schema
    filled = re.sub(r"\{(\w+)\}", "x", head)
    assert tuple(yaml.safe_load(filled)) == schema.BUILTIN_TYPES[page_type].archetype_fields


def test_new_choices_are_the_declared_types(make_site):
    site = make_site()
    r = run("new", "content/x.md", "--type", "memo", cwd=site)
    assert r.code == 2
    for key in schema.BUILTIN_TYPES:
        assert key in r.err


# ---- near-miss field names --------------------------------------------------------

def corpus_names() -> list[tuple[str, str | None]]:
    rows = []
    for line in (FIXTURES / "corpus-front-matter-fields.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, meant = line.partition("\t")
            rows.append((name, meant or None))
    return rows


def test_near_miss_threshold_on_real_field_lists():
    known = set(schema.FIELD_BY_NAME)
    rows = corpus_names()
    assert len(rows) > 30
    for name, meant in rows:
        if name in known:
            continue
        assert schema.misspelling_of(name, known) == meant, name


@pytest.mark.parametrize("name,meant", [
    ("titel", "title"), ("organsations", "organisations"), ("descripton", "description"),
    ("udpated", "updated"), ("topic", "topics"), ("Title", "title"),
    ("registration_url", None), ("captions", None), ("name", None), ("tags", None), ("status", None),
])
def test_misspelling_of(name, meant):
    assert schema.misspelling_of(name, schema.FIELD_BY_NAME) == meant


def test_edit_distance_counts_a_swap_as_one():
    assert schema.edit_distance("udpated", "updated") == 1
    assert schema.edit_distance("organsations", "organisations") == 1
    assert schema.edit_distance("captions", "description") > 2


def test_misspelled_field_fails_a_plain_build(make_site):
    site = make_site({P: front("title: t", "description: d", "organsations: [department-of-testing]")})
    r = build(site)
    assert r.code == 1
    r.assert_has(P, 4, "error", "unknown field `organsations`", "did you mean `organisations`?", "dropped")
    assert not (site / "_site").exists()


def test_diagnostic_codes_for_field_names(make_site):
    from policysite.config import load_config
    from policysite.diagnostics import Diagnostics
    from policysite.load import load_page
    site = make_site({P: front("title: t", "description: d", "organsations: [x]", "registration_url: https://x.example/")})
    diagnostics = Diagnostics()
    load_page(P, site / P, load_config(site, diagnostics), diagnostics)
    found = {(d.line, d.severity, d.code) for d in diagnostics.items}
    assert found == {(4, "error", "misspelled-field"), (5, "warning", "unknown-field")}
    unknown = next(d for d in diagnostics.items if d.line == 5)
    assert "did you mean" not in unknown.message and "extra:" in unknown.message


def test_misspelled_sub_field_is_an_error(make_site):
    site = make_site({P: front("title: t", "description: d", "withdrawn:", "  date: 2010-01-01",
                               "  explanaton: Replaced.", "  explanation: Replaced.")})
    r = build(site)
    assert r.code == 1
    r.assert_has(P, 6, "error", "explanaton", "did you mean `explanation`?")


# ---- dates with times -----------------------------------------------------------

TIMED = {
    "content/news/_index.md": front("title: News", "description: All news."),
    "content/news/early.md": front("title: Early", "description: d", "date: 2015-09-16 11:10:24 -0400"),
    "content/news/late.md": front("title: Late", "description: d", "date: 2015-09-16T18:00:00Z"),
    "content/news/zulu.md": front("title: Zulu", "description: d", "date: 2015-09-16T11:10:24-04:00",
                                  "updated: 2015-09-17 08:00:00 +0100"),
    "content/news/plain.md": front("title: Plain", "description: d", "date: 2015-09-16"),
}


@pytest.mark.parametrize("value,expected", [
    ("2015-09-16 11:10:24 -0400", "2015-09-16T11:10:24-04:00"),
    ("2015-09-16T11:10:24Z", "2015-09-16T11:10:24+00:00"),
    ("2015-09-16T11:10:24-04:00", "2015-09-16T11:10:24-04:00"),
    ("2015-09-16 11:10", "2015-09-16T11:10:00+00:00"),
    ("2015-09-16", "2015-09-16"),
])
def test_date_value_keeps_the_time(value, expected):
    assert schema.date_value(value).isoformat() == expected
    assert schema.date_value(yaml.safe_load(f"d: {value}")["d"]).isoformat() == expected


@pytest.mark.parametrize("value,words", [
    ("2015-09-16 25:10:24", ("YYYY-MM-DD",)),
    ("2015-13-16T11:10:24Z", ("not a real date", "there is no month 13")),
    ("16/09/2015 11:10", ("YYYY-MM-DD",)),
    ("2015-09-16 11:10:24 EST", ("YYYY-MM-DD",)),
])
def test_bad_times_are_errors_at_their_line(make_site, value, words):
    build_fails(make_site({P: front("title: t", "description: d", f"date: {value}")}), P, 4, "date", *words)


def test_dates_with_times_sort_by_time_show_the_date_and_keep_the_time_in_feeds(make_site):
    site = make_site(TIMED)
    out = build_ok(site)
    listing = html_of(out, "news/index.html").text()
    # 18:00Z is after 11:10-04:00 (15:10Z), which is after a plain date (midnight UTC); `zulu` ties with `early`.
    order = [listing.index(t) for t in ("Late", "Early", "Zulu", "Plain")]
    assert order == sorted(order)
    page = html_of(out, "news/early/index.html").find("main", id="main-content").text()
    assert "16 September 2015" in page and "11:10" not in page
    feed = (out / "feed.xml").read_text()
    assert "<published>2015-09-16T11:10:24-04:00</published>" in feed
    assert "<updated>2015-09-17T08:00:00+01:00</updated>" in feed
    assert "<published>2015-09-16T00:00:00Z</published>" in feed          # a plain date as before
    doc = (out / "news/zulu/index.html").read_text()
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', doc, re.S).group(1))
    article = next(n for n in data["@graph"] if n.get("@type") == "Article")
    assert article["datePublished"] == "2015-09-16T11:10:24-04:00"
    assert article["dateModified"] == "2015-09-17T08:00:00+01:00"
    # built again from the cache: the same bytes
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert build(site).code == 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first


def test_updated_before_date_with_times(make_site):
    build_fails(make_site({P: front("title: t", "description: d", "date: 2015-09-16T11:00:00Z",
                                    "updated: 2015-09-16 06:00:00 -0400")}), P, 5, "updated", "before")
    # 06:00 -04:00 is 10:00Z: before; 08:00 -04:00 is 12:00Z: after
    build_ok(make_site({P: front("title: t", "description: d", "date: 2015-09-16T11:00:00Z",
                                 "updated: 2015-09-16 08:00:00 -0400")}))


def test_change_history_and_withdrawn_take_times(make_site):
    site = make_site({P: front("title: t", "description: d", "date: 2015-09-16", "change_history:",
                               "  - date: 2015-09-16 09:00:00 +0000", "    note: First.",
                               "  - date: 2015-09-16T10:00:00Z", "    note: Second.",
                               "withdrawn:", "  date: 2016-01-01T12:00:00Z", "  explanation: Gone.")})
    doc = html_of(build_ok(site), "p/index.html").text()
    assert doc.index("Second.") < doc.index("First.")
    assert "1 January 2016" in doc


# ---- character references, blank lines, the home page's title --------------------

def test_character_references_are_decoded_with_a_warning(make_site):
    site = make_site({P: front("title: It&#8217;s time", "description: Fish &amp; chips&nbsp;today")})
    r = build(site)
    assert r.code == 0
    r.assert_has(P, 2, "warning", "`&#8217;`", "write the characters themselves")
    r.assert_has(P, 3, "warning", "`&amp;`", "`&nbsp;`")
    doc = html_of(site / "_site", "p/index.html")
    assert doc.find("h1").text() == "It\u2019s time"
    assert "&amp;amp;" not in (site / "_site/p/index.html").read_text()
    assert "Fish &amp; chips" in (site / "_site/p/index.html").read_text()


def test_blank_lines_before_front_matter(make_site):
    site = make_site({P: b"\n\n---\ntitle: t\ndescription: d\ndate: soon\n---\nBody.\n"})
    build_fails(site, P, 6, "date")                                     # lines still counted from the top
    site = make_site({P: b"\n  \n---\ntitle: Blank first\ndescription: d\n---\nBody.\n"})
    assert html_of(build_ok(site), "p/index.html").find("h1").text() == "Blank first"


def test_home_page_without_title_takes_the_site_title(make_site):
    site = make_site({"content/_index.md": front("description: Welcome.")})
    doc = html_of(build_ok(site), "index.html")
    assert doc.find("h1").text() == "Department of Testing"
    # a section's index still needs one
    build_fails(make_site({"content/s/_index.md": front("description: d")}), "content/s/_index.md", 2, "title", "required")


# ---- empty lists and placeholders ------------------------------------------------

def test_empty_organisations_error_on_types_that_need_one_and_empty_topics_warn(make_site):
    site = make_site({P: front("title: t", "description: d", "type: news", "organisations: []", "topics: []")})
    r = build(site)
    assert r.code == 1
    r.assert_has(P, 5, "error", "`organisations` is empty")
    r.assert_has(P, 6, "warning", "`topics` is empty")
    site = make_site({P: front("title: t", "description: d", "type: page", "organisations: []")})
    r = build(site)
    assert r.code == 0
    r.assert_has(P, 5, "warning", "`organisations` is empty")


def test_placeholder_descriptions_are_the_archetypes(make_site):
    for page_type in schema.BUILTIN_TYPES.values():
        site = make_site({P: front("title: t", f"description: {json.dumps(page_type.placeholder_description)}")})
        build_fails(site, P, 3, "replace the placeholder description")


# ---- extra: ---------------------------------------------------------------------------

def test_extra_reaches_layouts_unchecked(make_site):
    layout = ('{% extends "theme/page.html" %}{% block content %}<p id="x">{{ page.extra.team }}|'
              '{{ page.extra.missing }}|{{ page.extra.when }}|{{ page.weight }}</p>{{ super() }}{% endblock %}')
    site = make_site({
        "layouts/page.html": layout,
        P: front("title: t", "description: d", "weight: 3", "extra:", "  team: Analysis &amp; data",
                 "  when: 2020-01-02", "  nested: {a: [1, 2]}"),
        "content/q.md": front("title: q", "description: d"),
    })
    out = build_ok(site)
    assert html_of(out, "p/index.html").find("p", id="x").text() == "Analysis &amp; data|None|2020-01-02|3"
    assert html_of(out, "q/index.html").find("p", id="x").text() == "None|None|None|None"


def test_extra_must_be_a_mapping(make_site):
    build_fails(make_site({P: front("title: t", "description: d", "extra: hello")}), P, 4, "extra", "name: value")


# ---- page types of the site's own (types: in site_config.yaml) ------------------------

STATS_CONFIG = """\
title: Department of Testing
base_url: https://www.example.gov.uk/
organisations:
  department-of-testing:
    name: Department of Testing
topics:
  public-health:
    name: Public health
types:
  statistics:
    label: Official statistics
    layout: statistics
    fields:
      release_date: {type: date, required: true, doc: When the figures were released}
      frequency: {type: string}
      national: {type: bool}
"""
STATS_LAYOUT = ('{% extends "theme/page.html" %}{% block content %}<p id="stats">{{ page.release_date|date }}|'
                '{{ page.frequency }}|{{ page.national }}|{{ page.extra.owner }}</p>{{ super() }}{% endblock %}')


def stats_site(make_site, **files):
    return make_site({"site_config.yaml": STATS_CONFIG, "layouts/statistics.html": STATS_LAYOUT, **files})


def test_site_type_fields_reach_its_layout(make_site):
    site = stats_site(make_site, **{"content/stats/march.md": front(
        "title: March figures", "description: d", "type: statistics", "release_date: 2024-03-05 09:30:00 +0000",
        "frequency: monthly", "national: true", "extra:", "  owner: Analysis")})
    out = build_ok(site)
    doc = html_of(out, "stats/march/index.html")
    assert doc.find("p", id="stats").text() == "5 March 2024|monthly|True|Analysis"
    assert "Official statistics" in doc.text()


def test_site_type_fields_are_checked_at_their_lines(make_site):
    site = stats_site(make_site, **{
        "content/stats/a.md": front("title: a", "description: d", "type: statistics", "frequency: 3"),
        "content/stats/b.md": front("title: b", "description: d", "type: statistics", "release_date: soon",
                                    "national: maybe", "frequnecy: monthly"),
        "content/c.md": front("title: c", "description: d", "release_date: 2024-01-01"),
    })
    r = build(site)
    assert r.code == 1
    r.assert_has("content/stats/a.md", 2, "error", "`release_date:` is required")
    r.assert_has("content/stats/a.md", 5, "error", "`frequency` must be text")
    r.assert_has("content/stats/b.md", 5, "error", "`release_date` must be a date")
    r.assert_has("content/stats/b.md", 6, "error", "`national` must be true or false")
    r.assert_has("content/stats/b.md", 7, "error", "frequnecy", "did you mean `frequency`?")
    r.assert_has("content/c.md", 4, "warning", "`release_date` is a field of pages of type `statistics`")


def test_type_declarations_are_checked_at_their_lines(make_site):
    config = STATS_CONFIG + """\
  briefing:
    lable: Briefing
    fields:
      when: {type: datetime}
      title: {type: string}
      who: {type: string, requried: true}
  policy:
    label: Ours
"""
    r = build(make_site({"site_config.yaml": config, "layouts/statistics.html": STATS_LAYOUT}))
    assert r.code == 1
    r.assert_has("site_config.yaml", 17, "error", "`types.briefing` needs a `label:`")
    r.assert_has("site_config.yaml", 18, "error", "unknown setting `lable`", "did you mean `label`?")
    r.assert_has("site_config.yaml", 20, "error", "unknown field type `datetime`", "string, text, date")
    r.assert_has("site_config.yaml", 21, "error", "`title` is a built-in field")
    r.assert_has("site_config.yaml", 22, "error", "unknown setting `requried`", "did you mean `required`?")
    r.assert_has("site_config.yaml", 23, "error", "`policy` is a built-in page type")


def test_site_type_layout_must_exist(make_site):
    site = make_site({"site_config.yaml": STATS_CONFIG.replace("layout: statistics", "layout: statistcs"),
                      "layouts/statistics.html": STATS_LAYOUT})
    build_fails(site, "site_config.yaml", 12, "unknown layout `statistcs`", "did you mean `statistics`?")


def test_new_with_a_site_type_generates_its_archetype(make_site):
    site = stats_site(make_site)
    r = run("new", "content/stats/april.md", "--type", "statistics", cwd=site, env={"SOURCE_DATE_EPOCH": "1226000000"})
    assert r.code == 0, r.err
    text = (site / "content/stats/april.md").read_text()
    fields = yaml.safe_load(text.split("---\n", 2)[1])
    assert fields == {"title": "April", "description": schema.PageType("x", "x").placeholder_description,
                      "type": "statistics", "date": dt.date(2008, 11, 6), "release_date": dt.date(2008, 11, 6)}
    assert "# frequency:" in text and "# When the figures were released" in text
    r = run("check", site)
    assert r.code == 1
    r.assert_has("content/stats/april.md", 3, "error", "replace the placeholder description")
    r.assert_has("content/stats/april.md", 12, "error", "replace the placeholder text")
    (site / "content/stats/april.md").write_text(
        text.replace(fields["description"], "April's figures.").replace(schema.PLACEHOLDER_BODY, "The figures."))
    r = run("check", site, "--strict")
    assert r.code == 0, r.err


def test_new_with_a_site_type_uses_the_sites_archetype(make_site):
    archetype = "---\ntitle: {title}\ndescription: {description}\ntype: {type}\nrelease_date: {date}\n---\n\n## Main points\n"
    site = stats_site(make_site, **{"archetypes/statistics.md": archetype})
    r = run("new", "content/stats/may.md", "--type", "statistics", cwd=site, env={"SOURCE_DATE_EPOCH": "1226000000"})
    assert r.code == 0, r.err
    assert (site / "content/stats/may.md").read_text().endswith("release_date: 2008-11-06\n---\n\n## Main points\n")


# ---- adding a field is one declaration -------------------------------------------

def test_a_declared_field_is_checked_documented_and_given_to_layouts(make_site):
    """`applies_to`, one Field in schema.FIELDS: checked with lines, a near miss of it is an error,
    the README table lists it, and layouts see it as page.<name> (its default when absent)."""
    from policysite.config import load_config
    from policysite.diagnostics import Diagnostics
    from policysite.load import load_page
    from policysite.site import build_site
    from policysite.templates import page_context, site_context

    assert "| `applies_to` | `applies_to: [england, wales]` | list of keys | any of `england`" in schema.readme_table()

    site = make_site({P: front("title: t", "description: d", "applies_to:", "  - wales", "  - walse", "apllies_to: [x]"),
                      "content/q.md": front("title: q", "description: d")})
    diagnostics = Diagnostics()
    config = load_config(site, diagnostics)
    page = load_page(P, site / P, config, diagnostics)
    problems = sorted((d.line, d.code, d.message) for d in diagnostics.items)
    assert problems[0][:2] == (6, "unknown-key") and "did you mean `wales`?" in problems[0][2]
    assert problems[1][:2] == (7, "misspelled-field") and "did you mean `applies_to`?" in problems[1][2]
    assert len(problems) == 2
    assert page.fields["applies_to"] == ["wales"]

    built = build_site(site, config, Diagnostics())
    ctx_site = site_context(built)
    by_source = {p.source: p for p in built.pages}
    assert page_context(by_source[P], built, ctx_site)["applies_to"] == ["wales"]
    assert page_context(by_source["content/q.md"], built, ctx_site)["applies_to"] == []


def test_incremental_builds_with_site_types_and_extra_equal_clean_builds(make_site):
    import shutil
    site = stats_site(make_site, **{
        "content/stats/march.md": front("title: March", "description: d", "type: statistics",
                                        "release_date: 2024-03-05T09:30:00Z", "extra:", "  owner: Analysis"),
        "content/news.md": front("title: News", "description: d", "date: 2024-03-06 10:00:00 +0100"),
    })
    out = build_ok(site)
    page = site / "content/stats/march.md"
    page.write_text(page.read_text().replace("owner: Analysis", "owner: Statistics")
                    .replace("T09:30:00Z", "T11:30:00+01:00"))
    (site / "site_config.yaml").write_text(STATS_CONFIG.replace("Official statistics", "National statistics"))
    assert build(site).code == 0
    incremental = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert b"Statistics" in incremental[Path("stats/march/index.html")]
    assert b"National statistics" in incremental[Path("stats/march/index.html")]
    shutil.rmtree(out)
    shutil.rmtree(site / ".policysite-cache")
    assert build(site).code == 0
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == incremental


def test_character_references_in_sub_fields(make_site):
    site = make_site({P: front("title: t", "description: d", "date: 2015-09-16", "change_history:",
                               "  - date: 2015-09-16", "    note: Added Q&amp;A.",
                               "withdrawn:", "  date: 2016-01-01", "  explanation: It&#8217;s gone.")})
    r = build(site)
    assert r.code == 0
    r.assert_has(P, 7, "warning", "`change_history.note`", "`&amp;`")
    r.assert_has(P, 10, "warning", "`withdrawn.explanation`", "`&#8217;`")
    text = html_of(site / "_site", "p/index.html").text()
    assert "Added Q&A." in text and "It\u2019s gone." in text


def test_addresses_keep_their_character_references(make_site):
    """Only text shown to readers is decoded: a slug, url, layout or image path is left as written."""
    from policysite.config import load_config
    from policysite.diagnostics import Diagnostics
    from policysite.load import load_page
    site = make_site({P: front("title: Q&amp;A", "description: d", "layout: a&amp;b", "url: /a&amp;b/",
                               "image:", "  src: files/a&amp;b.png", "  alt: Fish &amp; chips")})
    diagnostics = Diagnostics()
    page = load_page(P, site / P, load_config(site, diagnostics), diagnostics)
    assert page.fields["layout"] == "a&amp;b" and page.fields["url"] == "/a&amp;b/"
    assert page.fields["image"]["src"] == "files/a&amp;b.png" and page.fields["image"]["alt"] == "Fish & chips"
    assert page.title == "Q&A"
    assert sorted(d.line for d in diagnostics.items if d.code == "character-reference") == [2, 8]


@pytest.mark.parametrize("page_type, line, users", [
    ("policy", "groups:\n  - title: G\n    pages: [other.md]", "`collection`"),
    ("news", "speaker: alan-milburn", "`speech`"),
    ("guidance", "opens: 2026-03-01 09:00 +00:00", "`consultation`"),
])
def test_a_field_of_another_type_warns_at_its_line_naming_the_type_that_uses_it(make_site, page_type, line, users):
    config = DEFAULT_CONFIG + "people:\n  alan-milburn:\n    name: Alan Milburn\n"
    site = make_site({"site_config.yaml": config, "content/other.md": page("Other"),
                      "content/p.md": page("P", extra=f"type: {page_type}\norganisations: [department-of-testing]\n{line}")})
    r = run("build", site)
    assert r.code == 0, r.err
    field = line.split(":")[0]
    r.assert_has("content/p.md", 6, "warning", f"`{field}:`", users, f"not `{page_type}`")
    assert r.err.count("warning:") == 1, r.err


def test_fields_of_the_right_type_do_not_warn(make_site):
    config = DEFAULT_CONFIG + "people:\n  alan-milburn:\n    name: Alan Milburn\n"
    site = make_site({"site_config.yaml": config, "content/s.md": page("S", extra=(
        "type: speech\norganisations: [department-of-testing]\nspeaker: alan-milburn\nlocation: London"))})
    build_ok(site)


def test_type_specific_fields_say_their_types_in_the_schema():
    assert schema.FIELD_BY_NAME["groups"].only_on == {"collection"}
    assert schema.FIELD_BY_NAME["speaker"].only_on == {"speech"}
    assert not schema.FIELD_BY_NAME["government"].only_on
