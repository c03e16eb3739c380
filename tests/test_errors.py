"""SPEC "Errors": every problem as PATH:LINE: error: MESSAGE, all in one run, exit 1, no traceback."""

from __future__ import annotations

import pytest
from conftest import DEFAULT_CONFIG, build, page, run_subprocess, write_files

P = "content/p.md"


def fails_with(make_site, files, path, line, *words, severity="error"):
    site = make_site(files)
    r = build(site)
    assert r.code == 1, r.err
    r.assert_has(path, line, severity, *words)
    r.assert_no_traceback()
    assert not (site / "_site").exists()
    assert "build failed" in r.err
    return r


# ---- front matter that cannot be read --------------------------------------

@pytest.mark.parametrize("text,line,words", [
    ("---\ntitle: A\ndescription: d\nbad: [unclosed\n---\n", 4, ("not valid YAML",)),
    ("---\ntitle: A\ndescription: d: with colon\n---\n", 3, ("not valid YAML", "quotes")),
    ("---\ntitle: A\ndescription: d\ntopics:\n\t- public-health\n---\n", 5, ("tabs",)),
    ("---\ntitle: A\n  description: d\n---\n", 3, ("not valid YAML",)),
    ("---\ntitle: A\ndescription: d\ntitle: B\n---\n", 4, ("`title` is given twice", "line 2")),
    ("---\ntitle: &t A\ndescription: *t\n---\n", 3, ("aliases",)),
    ("---\ntitle: A\ndescription: d\ntopics: &x [a]\nlayout: x\nrelated: *x\n---\n", 6, ("aliases",)),
    ("---\ntitle: A\ndescription: d\nlayout: !!python/object:os.system x\n---\n", 4, ("tag",)),
    ("---\n- title: A\n- description: d\n---\n", 2, ("top level",)),
    ("---\njust a sentence\n---\n", 2, ("top level",)),
    ("---\n---\nbody\n", 2, ("empty",)),
    ("title: A\ndescription: d\n", 1, ("no front matter",)),
    ("# Just markdown\n\nNo front matter.\n", 1, ("no front matter",)),
    ("", 1, ("empty",)),
    ("\n\n  \n", 1, ("empty",)),
    ("---\ntitle: A\ndescription: d\n\nbody that never closes\n", 4, ("not closed", "add a line `---` here")),
    ("---\ntitle: A\ndescription: d\n", 1, ("not closed", "after the last field")),
])
def test_unreadable_front_matter(make_site, text, line, words):
    fails_with(make_site, {P: text}, P, line, *words)


def test_invalid_utf8_reports_line_of_bad_byte(make_site):
    data = page("A").encode() + b"line six\nline seven \xff\xfe bad\n"
    r = fails_with(make_site, {P: data}, P, 7, "UTF-8")
    assert len(r.errors()) == 1


def test_invalid_utf8_in_front_matter(make_site):
    fails_with(make_site, {P: b"---\ntitle: Caf\xe9\ndescription: d\n---\n"}, P, 2, "UTF-8")


def test_utf8_bom_and_crlf_are_fine(make_site):
    site = make_site({P: b"\xef\xbb\xbf---\r\ntitle: A\r\ndescription: d\r\n---\r\nBody [x](nope.md)\r\n"})
    r = build(site)
    assert r.code == 1
    r.assert_has(P, 5, "error", "nope.md")


def test_nul_byte(make_site):
    fails_with(make_site, {P: page("A").encode() + b"\nx\x00y\n"}, P, 7, "NUL")


# ---- two sources, one URL ---------------------------------------------------

def test_two_sources_one_url(make_site):
    r = fails_with(make_site, {
        "content/guides/a.md": page("A", extra="url: /guides/b/"),
        "content/guides/b.md": page("B"),
    }, "content/guides/a.md", 4, "/guides/b/", "content/guides/a.md", "content/guides/b.md")
    assert len(r.errors()) == 1


def test_page_and_generated_section_one_url(make_site):
    fails_with(make_site, {
        "content/report.md": page("Report", extra="url: /files/"),
        "content/files/summary.md": page("Summary"),
    }, "content/report.md", 4, "/files/", "content/report.md", "content/files")


@pytest.mark.parametrize("name", ["404.html", "sitemap.xml", "feed.xml", "robots.txt", "search-index.json"])
def test_static_file_claims_a_generated_file(make_site, name):
    fails_with(make_site, {f"content/{name}": "mine\n"}, f"content/{name}", 1, f"/{name}", "claimed", "rename or move this file")


def test_page_claims_generated_search_page(make_site):
    fails_with(make_site, {"content/search.md": page("Search us")}, "content/search.md", 1, "/search/", "search",
               "give this page a different `slug:` or rename its file")


@pytest.mark.parametrize("field", ["slug: feed.xml", "url: /feed.xml/"])
def test_an_address_in_the_way_of_a_generated_file_is_reported_at_the_field_that_gives_it(make_site, field):
    fails_with(make_site, {"content/a.md": page("A", extra=f"date: 2001-01-01\n{field}")},
               "content/a.md", 5, "/feed.xml", "choose another address")


def test_a_link_to_a_page_kept_out_by_an_address_clash_says_so(make_site):
    # `new content/about/x.md` beside about.md: both claim /about/; the link to about.md is not "no page".
    r = build(make_site({"content/a.md": page("A", body="See [about](about.md).\n"), "content/about.md": page("About"),
                         "content/about/x.md": page("X")}))
    assert r.code == 1
    r.assert_has("content/about.md", 1, "error", "claimed by both")
    r.assert_has("content/a.md", 5, "error", "content/about.md is left out while another claims its address")
    assert "there is no page" not in r.err


def test_alias_collides_with_page(make_site):
    fails_with(make_site, {
        "content/a.md": page("A", extra="aliases:\n  - /b/"),
        "content/b.md": page("B"),
    }, "content/a.md", 5, "alias", "/b/", "content/b.md")


# ---- layouts -----------------------------------------------------------------

def test_jinja_syntax_error_in_site_layout(make_site):
    layout = '{% extends "page.html" %}\n{% block after_body %}\n<p>{{ page.title }</p>\n{% endblock %}\n'
    fails_with(make_site, {"layouts/special.html": layout, P: page("A", extra="layout: special")},
               "layouts/special.html", 3, "layout syntax error")


def test_jinja_syntax_error_in_overridden_theme_layout(make_site):
    layout = "<html>\n<body>\n{{ page.title + }}\n</body>\n"
    fails_with(make_site, {"layouts/base.html": layout}, "layouts/base.html", 3, "layout syntax error")


def test_jinja_runtime_error_in_layout(make_site):
    layout = '{% extends "page.html" %}\n{% block after_body %}\n{{ page.no_such_thing.deeper }}\n{% endblock %}\n'
    r = fails_with(make_site, {"layouts/special.html": layout, P: page("A", extra="layout: special")},
                   "layouts/special.html", 3, "layout error")
    assert "/p/" in r.err


def test_one_mistake_in_a_layout_is_one_error_yet_fails_every_page_it_is_on(make_site):
    # `page.extra.team` is given on /c/ only: the mistake shows on /a/ and /b/, said once with how many.
    layout = '{% extends "page.html" %}\n{% block after_body %}\n<p>{{ page.extra.team.upper() }}</p>\n{% endblock %}\n'
    files = {"layouts/special.html": layout,
             "content/a.md": page("A", extra="layout: special"), "content/b.md": page("B", extra="layout: special"),
             "content/c.md": page("C", extra="layout: special\nextra: {team: Analysis}")}
    site = make_site(files)
    r = build(site)
    assert r.code == 1 and not (site / "_site").exists(), r.err
    r.assert_no_traceback()
    assert r.errors() == [("layouts/special.html", 3, "layout error: `upper` is not there: what comes before it is empty (None) on this page; "
                                                      "give it a value, or ask first with `{% if ... %}` "
                                                      "(while building /a/ first; on 2 pages in all)")], r.err
    # Each page it is on still fails the build: putting right the first leaves the other, said alone.
    write_files(site, {"content/a.md": page("A", extra="layout: special\nextra: {team: Policy}")})
    r = build(site)
    assert r.code == 1, r.err
    assert r.errors() == [("layouts/special.html", 3, "layout error: `upper` is not there: what comes before it is empty (None) on this page; "
                                                      "give it a value, or ask first with `{% if ... %}` "
                                                      "(while building /b/)")], r.err
    write_files(site, {"content/b.md": page("B", extra="layout: special\nextra: {team: Data}")})
    assert build(site).code == 0


@pytest.mark.parametrize("expression, words", [
    ("nosuch", "`nosuch` is not defined here: check its spelling, or set it first"),
    ("page.nonexistent.attr", "`nonexistent` is not there: this value has no `nonexistent` (check the name"),
    ("page.title.nope", "`nope` is not there: a str object has no `nope`"),
    ("lipsum.__globals__", "`__globals__` is unsafe to use in a layout, which can only show the values it is given"),
])
def test_a_layout_mistake_is_said_in_plain_words(make_site, expression, words):
    layout = '{% extends "page.html" %}\n{% block after_body %}\n{{ ' + expression + ' }}\n{% endblock %}\n'
    r = build(make_site({"layouts/special.html": layout, P: page("A", extra="layout: special")}))
    assert r.code == 1, r.err
    r.assert_has("layouts/special.html", 3, "error", words)


def test_two_mistakes_in_layouts_are_two_errors(make_site):
    layout = '{% extends "page.html" %}\n{% block after_body %}\n{{ page.no_such_thing.deeper }}\n{% endblock %}\n'
    other = '{% extends "page.html" %}\n{% block after_body %}\n\n{{ site.nothing_here.at_all }}\n{% endblock %}\n'
    files = {"layouts/special.html": layout, "layouts/other.html": other}
    files.update({f"content/s{i}.md": page(f"S{i}", extra="layout: special") for i in range(3)})
    files.update({f"content/o{i}.md": page(f"O{i}", extra="layout: other") for i in range(4)})
    r = build(make_site(files))
    assert r.code == 1, r.err
    assert len(r.errors()) == 2, r.err
    r.assert_has("layouts/special.html", 3, "error", "`no_such_thing` is not there", "on 3 pages in all")
    r.assert_has("layouts/other.html", 4, "error", "`nothing_here` is not there", "on 4 pages in all")


@pytest.mark.parametrize("written,words", [
    ('{{ page.date | date("%Y") }}', ("the `date` filter was given more values in brackets than it takes",
                                     "write it as `{{ page.date | date }}`", "takes nothing in brackets",
                                     "`{{ page.date.year }}`")),
    ("{{ page.url | url(absolute=true) }}", ("the `url` filter has no setting `absolute`", "`{{ page.url | url }}`")),
    ("{{ t() }}", ("the `t` function was not given all it needs (`key`)", '`{{ t("published") }}`',
                   "one key of the theme's words")),
    ("{{ page.title | truncate(1, 2, 3, 4, 5, 6) }}", ("the `truncate` filter was given more values",
                                                      "`{{ value | truncate(length=255, killwords=False, end='...', leeway=None) }}`")),
])
def test_a_filter_or_function_given_the_wrong_values_says_how_it_is_written(make_site, written, words):
    layout = f'{{% extends "page.html" %}}\n{{% block after_body %}}\n\n<p>{written}</p>\n{{% endblock %}}\n'
    r = fails_with(make_site, {"layouts/special.html": layout, P: page("A", extra="layout: special\ndate: 2008-11-06")},
                   "layouts/special.html", 4, "layout error", *words)
    assert "lambda" not in r.err and "positional argument" not in r.err, r.err


# ---- site_config.yaml --------------------------------------------------------

@pytest.mark.parametrize("config,line,words,severity", [
    ("title: T\nbase_url: https://x.example/\ntitel: Oops\n", 3, ("unknown setting `titel`", "did you mean `title`"), "warning"),
    ("title: 2008\nbase_url: https://x.example/\n", 1, ("title", "text"), "error"),
    ("title: T\nbase_url: ftp://x.example/\n", 2, ("base_url", "http"), "error"),
    ("title: T\nbase_url: not a url\n", 2, ("base_url",), "error"),
    ("title: T\nbase_url: https://x.example/\nlanguage: english please\n", 3, ("language",), "error"),
    ("title: T\nbase_url: https://x.example/\ntopics: [a, b]\n", 3, ("topics",), "error"),
    ("title: T\nbase_url: https://x.example/\ntopics:\n  Bad Key:\n    name: B\n", 4, ("Bad Key", "key"), "error"),
    ("title: T\nbase_url: https://x.example/\ntopics:\n  good:\n    name: G\n    descripton: B\n", 6, ("descripton", "did you mean `description`"), "warning"),
    ("title: T\nbase_url: https://x.example/\ntopics:\n  good:\n    description: B\n", 4, ("name",), "error"),
    ("title: T\nbase_url: https://x.example/\ngovernments:\n  a:\n    name: A\ncurrent_government: b\n", 6, ("unknown government", "`b`"), "error"),
    ("title: T\nbase_url: https://x.example/\ntitle: Again\n", 3, ("given twice",), "error"),
    ("title: T\nbase_url: https://x.example/\n  bad: indent\n", 3, ("not valid YAML",), "error"),
    ("- title: T\n", 1, ("setting: value",), "error"),
    ("base_url: https://x.example/\n", 1, ("title", "required"), "error"),
    ("title: T\nbase_url: https://x.example/\norganisations:\n  o:\n    name: O\n    url: javascript:alert(1)\n", 6, ("url",), "error"),
])
def test_site_config_problems(make_site, config, line, words, severity):
    site = make_site({"site_config.yaml": config})
    r = build(site)
    r.assert_has("site_config.yaml", line, severity, *words)
    assert r.code == (0 if severity == "warning" else 1), r.err
    r.assert_no_traceback()


def test_site_config_invalid_utf8(make_site):
    site = make_site({"site_config.yaml": b"title: T\nbase_url: https://x.example/\ndescription: \xff\n"})
    r = build(site)
    assert r.code == 1
    r.assert_has("site_config.yaml", 3, "error", "UTF-8")


def test_site_config_missing(make_site):
    site = make_site({"site_config.yaml": None})
    r = build(site)
    assert r.code == 1
    r.assert_has("site_config.yaml", 1, "error", "missing")
    r.assert_no_traceback()


def test_content_missing(make_site, tmp_path):
    site = tmp_path / "bare"
    site.mkdir()
    (site / "site_config.yaml").write_text(DEFAULT_CONFIG)
    r = build(site)
    assert r.code == 1
    r.assert_has("content", 1, "error", "content/", "missing")


def test_bad_base_url_on_command_line(make_site):
    site = make_site()
    r = build(site, "--base-url", "javascript:alert(1)")
    assert r.code == 1
    assert any("--base-url" in m for _, _, m in r.errors()), r.err


# ---- everything in one run ---------------------------------------------------

def test_all_problems_reported_in_one_run(make_site):
    site = make_site({
        "site_config.yaml": DEFAULT_CONFIG + "colour: blue\n",
        "content/bad-yaml.md": "---\ntitle: A\ndescription: [oops\n---\n",
        "content/no-front.md": "Just text.\n",
        "content/empty.md": "",
        "content/bad-bytes.md": b"---\ntitle: A\ndescription: d\n---\n\xc3\x28\n",
        "content/types.md": page("B", extra="date: tomorrow\ntopics:\n  - unknown-topic"),
        "content/links.md": page("C", body="[a](missing.md)\n\n[b](#nowhere)\n\n[c](javascript:alert(1))\n"),
        "content/one.md": page("One", extra="url: /links/"),
        "layouts/page.html": "{% block x %}\n{% endblock y %}\n",
        "content/warn.md": page("W", extra="kicker: x", body="<script>alert(1)</script>\n"),
    })
    r = build(site)
    assert r.code == 1
    r.assert_no_traceback()
    expected = [
        ("site_config.yaml", 18, "warning", "colour"),
        ("content/bad-yaml.md", 3, "error", "YAML"),
        ("content/no-front.md", 1, "error", "no front matter"),
        ("content/empty.md", 1, "error", "empty"),
        ("content/bad-bytes.md", 5, "error", "UTF-8"),
        ("content/types.md", 4, "error", "date"),
        ("content/types.md", 6, "error", "unknown-topic"),
        ("content/links.md", 5, "error", "missing.md"),
        ("content/links.md", 7, "error", "nowhere"),
        ("content/links.md", 9, "error", "javascript"),
        ("content/one.md", 4, "error", "/links/"),
        ("layouts/page.html", 2, "error", "layout syntax error"),
        ("content/warn.md", 4, "warning", "kicker"),
        ("content/warn.md", 6, "warning", "script"),
    ]
    missing = [e for e in expected if not r.has(*e)]
    assert not missing, f"missing {missing} in:\n{r.err}"
    # Diagnostics come sorted by file and line, and the summary counts them.
    diags = r.diagnostics
    assert [(p, n) for p, n, _, _ in diags] == sorted((p, n) for p, n, _, _ in diags)
    errors, warnings = len(r.errors()), len(r.warnings())
    assert f"build failed: {errors} errors, {warnings} warnings" in r.err


def test_every_diagnostic_line_has_the_format(make_site):
    site = make_site({P: "---\ntitle: [\n---\n", "content/q.md": page("Q", body="[x](y.md)\n")})
    r = build(site)
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert lines[-1].startswith("build failed:")
    for line in lines[:-1]:
        assert line.count(": error: ") + line.count(": warning: ") == 1, line
    assert len(r.diagnostics) == len(lines) - 1


def test_no_traceback_through_the_real_entry_point(make_site):
    site = make_site({
        P: b"---\ntitle: \xff\n---\n",
        "content/q.md": "---\n- a\n---\n",
        "layouts/page.html": "{% if %}",
    })
    r = run_subprocess("build", site)
    assert r.code == 1
    r.assert_no_traceback()
    r.assert_has(P, 2, "error", "UTF-8")
    r.assert_has("content/q.md", 2, "error", "top level")
    r.assert_has("layouts/page.html", 1, "error", "layout syntax error")


def test_link_to_a_page_that_cannot_be_read_says_so(make_site):
    r = fails_with(make_site, {
        "content/a.md": page("A", body="See [b](b.md).\n"),
        "content/b.md": "---\ntitle: [broken\n---\n",
    }, "content/b.md", 2, "YAML")
    (line,) = [n for p, n, m in r.errors() if p == "content/a.md"]
    msg = [m for p, n, m in r.errors() if p == "content/a.md"][0]
    assert line == 5
    assert "there is no page" not in msg and "content/b.md" in msg and "cannot be read" in msg


def test_layout_including_a_missing_layout(make_site):
    layout = '{% extends "theme/page.html" %}\n{% block after_body %}\n{% include "missing-part.html" %}\n{% endblock %}\n'
    fails_with(make_site, {"layouts/page.html": layout, P: page("A")}, "layouts/page.html", 3, "missing-part.html")


def test_layout_not_utf8(make_site):
    fails_with(make_site, {"layouts/page.html": b"<p>\xff</p>\n"}, "layouts/page.html", 1, "UTF-8")


def test_organisation_url_without_a_page_at_its_line(make_site):
    config = DEFAULT_CONFIG.replace("    name: Department of Testing\n",
                                    "    name: Department of Testing\n    url: /organisations/testing/\n")
    r = fails_with(make_site, {"site_config.yaml": config}, "site_config.yaml", 7, "department-of-testing",
                   "/organisations/testing/")
    assert len(r.errors()) == 1


def test_topics_written_as_a_list_say_how_to_write_them(make_site):
    config = "title: Department of Testing\nbase_url: https://www.example.gov.uk/\ntopics: [housing, health]\n"
    fails_with(make_site, {"site_config.yaml": config}, "site_config.yaml", 3,
               "`topics` must have one line per entry under it", "`  housing: Its name`", "not a list")


def test_political_needs_government(make_site):
    fails_with(make_site, {P: page("A", extra="date: 2001-01-01\npolitical: true")}, P, 5, "political", "government")


def test_config_error_and_content_errors_in_one_run(make_site):
    config = DEFAULT_CONFIG.replace("language: en-GB", "language: english please")
    site = make_site({"site_config.yaml": config, P: page("A", body="[x](nope.md)\n")})
    r = build(site)
    assert r.code == 1
    r.assert_has("site_config.yaml", 3, "error", "language")
    r.assert_has(P, 5, "error", "nope.md")


def test_unreadable_config_does_not_make_every_key_unknown(make_site):
    config = DEFAULT_CONFIG + "broken: [\n"
    site = make_site({
        "site_config.yaml": config,
        P: page("A", extra="organisations:\n  - department-of-testing\ntopics:\n  - public-health\n"
                           "government: old-government"),
    })
    r = build(site)
    assert r.code == 1
    r.assert_has("site_config.yaml", 18, "error", "YAML")
    assert [p for p, _, _ in r.errors()] == ["site_config.yaml"], r.err


# ---- one problem does not hide the others --------------------------------------

def test_a_duplicate_key_does_not_hide_the_pages_other_problems(make_site):
    r = fails_with(make_site, {P: "---\ntitle: A\ndescription: d\ntitle: B\ndate: 2024-13-01\ntitel: x\n"
                                  "organisations: [nope]\n---\nSee [x](missing.md).\n"},
                   P, 4, "`title` is given twice", "line 2", "first is used", "keep one and remove the other")
    r.assert_has(P, 5, "error", "not a real date")
    r.assert_has(P, 6, "error", "titel", "did you mean `title`")
    r.assert_has(P, 7, "error", "unknown organisation `nope`")
    r.assert_has(P, 9, "error", "broken link", "missing.md")


def test_a_duplicate_setting_does_not_hide_the_other_settings_problems(make_site):
    site = make_site({"site_config.yaml": "title: T\nbase_url: not a url\ntitle: Again\n"})
    r = build(site)
    assert r.code == 1
    r.assert_no_traceback()
    r.assert_has("site_config.yaml", 3, "error", "`title` is given twice", "first is used")
    r.assert_has("site_config.yaml", 2, "error", "base_url")


@pytest.mark.parametrize("front,line", [
    (b"---\ntitle: A\ndescription: d: with colon\n---\n", 3),   # YAML cannot read it
    (b"---\n- title: A\n---\n", 2),                             # not `field: value` lines
    (b"\n---\n---\n", 3),                                        # empty, after a blank line
])
def test_front_matter_that_cannot_be_read_does_not_hide_the_bodys_problems(make_site, front, line):
    body = b"Intro.\n\n## Aims\n\nSee [x](missing.md), [y](q.md#nowhere) and [z](#aims).\n\n# Big\n"
    start = front.count(b"\n") + 1   # the body's first line
    r = fails_with(make_site, {P: front + body, "content/q.md": page("Q")}, P, line, "")
    r.assert_has(P, start + 4, "error", "broken link", "missing.md", "there is no page")
    r.assert_has(P, start + 4, "error", "broken link", "q.md#nowhere", "no heading or id `nowhere`")
    r.assert_has(P, start + 6, "warning", "heading")
    assert len(r.errors()) == 3, r.err
