"""SPEC "Front matter": each field's type, where its problems are reported, and what it shows."""

from __future__ import annotations

import re

import pytest
from conftest import PNG_300, PNG_320, build, build_fails, build_ok, html_of, page, run

P = "content/p.md"


def front(*lines: str, body: str = "Body.\n") -> str:
    """Front matter from the given lines exactly: line 1 is `---`, lines[0] is line 2."""
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


def check_error(make_site, text: str, line: int, *words: str, path: str = P, extra_files=None):
    files = {path: text}
    files.update(extra_files or {})
    return build_fails(make_site(files), path, line, *words)


# ---- type errors, each at its field's line --------------------------------

@pytest.mark.parametrize("lines,line,words", [
    (("title: 2008", "description: d"), 2, ("title", "text", "quotes")),
    (("title: yes", "description: d"), 2, ("title", "text")),
    (("title: [a, b]", "description: d"), 2, ("title", "text")),
    (("title: t", "description: 12"), 3, ("description", "text")),
    (("title: t", "description: d", "type: policypaper"), 4, ("unknown type", "policypaper")),
    (("title: t", "description: d", "date: 6 November 2008"), 4, ("date", "YYYY-MM-DD")),
    (("title: t", "description: d", "date: 2008-02-30"), 4, ("`date` is 2008-02-30", "not a real date",
                                                            "February 2008 has no day 30", "correct")),
    (("title: t", "description: d", "date: 2008-01-01", "updated: 2008-13-01"), 5, ("`updated`", "there is no month 13")),
    (("title: t", "description: d", "date: 2024-04-31 10:00"), 4, ("`date`", "April 2024 has no day 31")),
    (("title: t", "description: d", "date: 2023-02-29"), 4, ("`date`", "February 2023 has no day 29")),
    (("title: t", "description: d", "date: 2024-01-00"), 4, ("`date`", "there is no day 0")),
    (("title: t", "description: d", "withdrawn:", "  date: 2010-06-31", "  explanation: gone"), 5,
     ("`withdrawn.date`", "June 2010 has no day 31")),
    (("title: t", "description: d", "change_history:", "  - date: 2009-02-30", "    note: x"), 5,
     ("`change_history.date`", "February 2009 has no day 30")),
    (("title: t", "description: d", "draft: maybe"), 4, ("draft", "true or false")),
    (("title: t", "description: d", "political: 1"), 4, ("political", "true or false")),
    (("title: t", "description: d", "weight: heavy"), 4, ("weight", "whole number")),
    (("title: t", "description: d", "weight: 1.5"), 4, ("weight", "whole number")),
    (("title: t", "description: d", "organisations: 5"), 4, ("organisations", "list")),
    (("title: t", "description: d", "topics:", "  - public-health", "  - 7"), 6, ("topics", "text")),
    (("title: t", "description: d", "government: [a]"), 4, ("government",)),
    (("title: t", "description: d", "change_history: yesterday"), 4, ("change_history", "list")),
    (("title: t", "description: d", "change_history:", "  - date: 2009-01-01", "    note: ok", "  - date: soon", "    note: x"), 7, ("change_history", "date")),
    (("title: t", "description: d", "change_history:", "  - date: 2009-01-01"), 5, ("change_history", "note")),
    (("title: t", "description: d", "withdrawn: yes"), 4, ("withdrawn", "explanation")),
    (("title: t", "description: d", "withdrawn:", "  date: 2010-01-01", "  explanation: 3"), 6, ("withdrawn.explanation",)),
    (("title: t", "description: d", "withdrawn:", "  date: someday", "  explanation: gone"), 5, ("withdrawn.date",)),
    (("title: t", "description: d", "aliases: 3"), 4, ("aliases", "list")),
    (("title: t", "description: d", "aliases:", "  - old/path/"), 5, ("alias", "/")),
    (("title: t", "description: d", "related: 3"), 4, ("related", "list")),
    (("title: t", "description: d", "layout: 3"), 4, ("layout", "text")),
    (("title: t", "description: d", "image: x.png"), 4, ("image", "alt")),
    (("title: t", "description: d", "slug: 4"), 4, ("slug", "text")),
])
def test_field_type_error_at_field_line(make_site, lines, line, words):
    check_error(make_site, front(*lines), line, *words)


def test_title_required(make_site):
    # A missing field is reported at the first line of the front matter.
    check_error(make_site, front("description: d"), 2, "title", "required")


def test_description_required_except_on_index(make_site):
    check_error(make_site, front("title: t"), 2, "description", "required")
    site = make_site({"content/_index.md": front("title: Home"), "content/s/_index.md": front("title: Section")})
    build_ok(site)


def test_empty_description_is_error(make_site):
    check_error(make_site, front("title: t", "description: ''"), 3, "description", "empty")


def test_misspelled_field_is_an_error_in_every_mode(make_site):
    """One or two edits from a known field: the value would be dropped, so it is an error even without --strict."""
    site = make_site({P: front("titel: Oops", "title: t", "description: d")})
    r = build(site)
    assert r.code == 1
    r.assert_has(P, 2, "error", "unknown field `titel`", "did you mean `title`?", "dropped")
    assert not (site / "_site").exists()


def test_unknown_field_warns_and_suggests_extra(make_site):
    site = make_site({P: front("registration_url: https://example.org/", "title: t", "description: d")})
    r = build(site)
    assert r.code == 0
    r.assert_has(P, 2, "warning", "unknown field `registration_url`", "extra:")
    assert "did you mean" not in r.err
    assert (site / "_site/p/index.html").is_file()


def test_strict_makes_warning_an_error(make_site):
    site = make_site({P: front("kicker: Oops", "title: t", "description: d")})
    r = build(site, "--strict")
    assert r.code == 1
    r.assert_has(P, 2, "error", "unknown field `kicker`", "(an error under --strict)")
    assert not (site / "_site").exists()
    r = run("check", site, "--strict")
    assert r.code == 1
    r.assert_has(P, 2, "error", "kicker")


@pytest.mark.parametrize("lines,line,words", [
    (("title: t", "description: d", "organisations:", "  - department-of-testin"), 5,
     ("unknown organisation", "department-of-testin", "did you mean `department-of-testing`")),
    (("title: t", "description: d", "topics:", "  - public-health", "  - public-helth"), 6,
     ("unknown topic", "public-helth", "did you mean `public-health`")),
    (("title: t", "description: d", "type: polcy"), 4, ("unknown type", "polcy", "did you mean `policy`")),
    (("title: t", "description: d", "government: old-governmnt"), 4,
     ("unknown government", "old-governmnt", "did you mean `old-government`")),
    (("title: t", "description: d", "layout: pag"), 4, ("unknown layout", "pag", "did you mean `page`")),
])
def test_unknown_keys_are_errors_with_hint(make_site, lines, line, words):
    check_error(make_site, front(*lines), line, *words)


def test_updated_before_date(make_site):
    check_error(make_site, front("title: t", "description: d", "date: 2010-05-01", "updated: 2010-04-30"),
                5, "updated", "before", "date")


def test_image_without_alt(make_site):
    check_error(make_site, front("title: t", "description: d", "image:", "  src: files/x.png"), 4, "alt",
                extra_files={"content/files/x.png": b"\x89PNG"})


def test_image_with_missing_file(make_site):
    check_error(make_site, front("title: t", "description: d", "image:", "  alt: A chart", "  src: files/missing.png"),
                6, "image.src", "missing.png")


def test_image_from_content_and_assets(make_site):
    site = make_site({
        P: front("title: t", "description: d", "image:", "  src: files/x.png", "  alt: A chart", "  caption: Figure 1", "  credit: ONS"),
        "content/q.md": front("title: q", "description: d", "image:", "  src: /assets/images/y.png", "  alt: A map"),
        "content/files/x.png": PNG_300,
        "assets/images/y.png": PNG_320,
    })
    out = build_ok(site)
    fig = html_of(out, "p/index.html").find("figure")
    img = fig.find("img")
    assert (img.attrs["src"], img.attrs["alt"]) == ("/files/x.png", "A chart")
    assert "Figure 1" in fig.find("figcaption").text() and "ONS" in fig.find("figcaption").text()
    assert (out / "files/x.png").read_bytes() == PNG_300
    img = html_of(out, "q/index.html").find("figure").find("img")
    assert img.attrs["src"] == "/assets/images/y.png"
    assert (out / "assets/images/y.png").read_bytes() == PNG_320


def test_related_must_resolve(make_site):
    check_error(make_site, front("title: t", "description: d", "related:", "  - other.md", "  - nowhere.md"),
                6, "related", "nowhere.md", extra_files={"content/other.md": page("Other")})


def test_related_shown_with_target_titles(make_site):
    site = make_site({
        P: front("title: t", "description: d", "related:", "  - other.md", "  - /s/third/"),
        "content/other.md": page("The other page"),
        "content/s/third.md": page("Third page"),
    })
    out = build_ok(site)
    section = html_of(out, "p/index.html").find("section", aria_labelledby="related-title")
    assert [(a.attrs["href"], a.text()) for a in section.find_all("a")] == [
        ("/other/", "The other page"), ("/s/third/", "Third page")]


def test_related_fragment_must_exist(make_site):
    check_error(make_site, front("title: t", "description: d", "related:", "  - other.md#nope"),
                5, "related", "nope", extra_files={"content/other.md": page("Other", body="## Yes\n")})


def test_withdrawn_missing_explanation(make_site):
    check_error(make_site, front("title: t", "description: d", "withdrawn:", "  date: 2012-01-01"), 4,
                "withdrawn.explanation")


def test_withdrawn_notice(make_site):
    site = make_site({P: front("title: t", "description: d", "withdrawn:", "  date: 2012-03-04",
                               "  explanation: Replaced by the new strategy.")})
    out = build_ok(site)
    notice = html_of(out, "p/index.html").find("div", class_="govuk-notification-banner app-notice--withdrawn")
    assert notice.find("h2").text() == "Withdrawn"
    assert [p.text() for p in notice.find_all("p")] == ["This page was withdrawn on 4 March 2012", "Replaced by the new strategy."]


def test_change_history_newest_first(make_site):
    site = make_site({P: front(
        "title: t", "description: d", "date: 2008-01-01", "updated: 2011-01-01", "change_history:",
        "  - date: 2009-06-01", "    note: Middle change",
        "  - date: 2008-01-01", "    note: First published",
        "  - date: 2011-01-01", "    note: Latest change")})
    out = build_ok(site)
    history = html_of(out, "p/index.html").find("section", id="full-history")
    items = [(li.find("time").attrs["datetime"], li.find("p").text()) for li in history.find_all("li")]
    assert items == [("2011-01-01", "Latest change"), ("2009-06-01", "Middle change"), ("2008-01-01", "First published")]


def test_dates_shown_and_organisations(make_site):
    site = make_site({P: front("title: t", "description: d", "date: 2008-11-06", "updated: 2009-01-02",
                               "organisations:", "  - department-of-testing")})
    html = (build_ok(site) / "p/index.html").read_text()
    assert re.search(r"<dt>Published</dt>\s*<dd><time datetime=\"2008-11-06\">6 November 2008</time>", html)
    assert re.search(r"<dt>Last updated</dt>\s*<dd><time datetime=\"2009-01-02\">2 January 2009</time>", html)
    assert re.search(r"<dt>From:</dt>\s*<dd>Department of Testing</dd>", html)


def test_political_history_banner(make_site):
    site = make_site({
        P: front("title: t", "description: d", "government: old-government", "political: true"),
        "content/q.md": front("title: q", "description: d", "government: new-government", "political: true"),
        "content/r.md": front("title: r", "description: d", "government: old-government"),
    })
    out = build_ok(site)
    assert "This was published under the 2005 to 2010 Old government" in (out / "p/index.html").read_text()
    assert "This was published under" not in (out / "q/index.html").read_text()
    assert "This was published under" not in (out / "r/index.html").read_text()


def test_type_label_shown(make_site):
    site = make_site({P: front("title: t", "description: d", "type: policy")})
    doc = html_of(build_ok(site), "p/index.html")
    assert doc.find("span", class_="govuk-caption-l").text() == "Policy paper"


def test_layout_override(make_site):
    site = make_site({
        P: front("title: t", "description: d", "layout: special"),
        "layouts/special.html": '{% extends "page.html" %}{% block after_body %}<p id="special-marker">special</p>{% endblock %}',
    })
    doc = html_of(build_ok(site), "p/index.html")
    assert doc.find("p", id="special-marker") is not None


def test_several_field_errors_in_one_file_all_reported(make_site):
    text = front("title: 12", "description: d", "date: nope", "weight: x", "topics:", "  - nothing-here")
    site = make_site({P: text})
    r = build(site)
    assert r.code == 1
    r.assert_has(P, 2, "error", "title")
    r.assert_has(P, 4, "error", "date")
    r.assert_has(P, 5, "error", "weight")
    r.assert_has(P, 7, "error", "unknown topic", "nothing-here")


def test_image_with_space_in_file_name(make_site):
    site = make_site({
        P: front("title: t", "description: d", "image:", "  src: files/my chart.png", "  alt: A chart"),
        "content/files/my chart.png": PNG_300,
    })
    out = build_ok(site)
    src = html_of(out, "p/index.html").find("figure").find("img").attrs["src"]
    assert src == "/files/my%20chart.png"


@pytest.mark.parametrize("value", ["", " ~", " null"])
def test_title_with_no_value_is_empty_at_its_line(make_site, value):
    r = check_error(make_site, front("description: d", f"title:{value}"), 3,
                    "`title` is empty", "write the title after `title:`")
    assert "add a line" not in r.err


@pytest.mark.parametrize("value,words", [
    ("https://www.gov.uk/", ("related", "page on this site")),
    ("files/x.png", ("related", "page on this site")),
    ("javascript:alert(1)", ("related", "javascript:")),
])
def test_related_must_be_a_page(make_site, value, words):
    check_error(make_site, front("title: t", "description: d", "related:", f"  - '{value}'"), 5, *words,
                extra_files={"content/files/x.png": b"\x89PNG"})


@pytest.mark.parametrize("value,words", [
    ("other.md", ("image.src",)),
    ("https://example.org/x.png", ("image.src",)),
    ("/assets/images/missing.png", ("image.src", "missing.png")),
    ("javascript:alert(1)", ("image.src", "javascript:")),
])
def test_image_src_must_be_a_file(make_site, value, words):
    check_error(make_site, front("title: t", "description: d", "image:", "  alt: A chart", f"  src: '{value}'"), 6, *words,
                extra_files={"content/other.md": page("Other")})


# ---- a ` #` in plain text starts a YAML comment ------------------------------

@pytest.mark.parametrize("lines,line,words", [
    (("title: Our #1 priority", "description: d"), 2,
     ("`title`", "`#1 priority` was left out", "quotes", '`title: "Our #1 priority"`')),
    (("title: t", "description: This is our #1 priority for 2024"), 3,
     ("`description`", "`#1 priority for 2024` was left out", '`description: "This is our #1 priority for 2024"`')),
    (("title: t", "description: d", "withdrawn:", "  date: 2020-01-01", '  explanation: Replaced by "the" #2 plan'), 6,
     ("withdrawn.explanation", "`#2 plan` was left out", """`explanation: 'Replaced by "the" #2 plan'`""")),
    (("title: t", "description: d", "change_history:", "  - date: 2020-01-01", "    note: Fixed #3"), 6,
     ("change_history.note", "`#3` was left out")),
    (("title: #1 priority", "description: d"), 2,
     ("`title` is empty", "starting with `#` must be in quotes", '`title: "#1 priority"`')),
])
def test_comment_after_plain_text_is_an_error(make_site, lines, line, words):
    r = check_error(make_site, front(*lines), line, *words)
    assert len(r.errors()) == 1, r.err


def test_comments_after_other_values_are_fine(make_site):
    """Numbers, dates, true/false, quoted text, addresses and comment lines keep their comments."""
    site = make_site({P: front("# The page's own fields", "title: 'Our #1 priority'  # quoted",
                               'description: "A #1 page" # quoted', "date: 2024-01-01 # first published",
                               "draft: false # ready", "weight: 3 # third", "slug: first # short",
                               "topics:  # one topic", "  - public-health  # the main one")})
    out = build_ok(site)
    doc = html_of(out, "first/index.html")
    assert "Our #1 priority" in doc.find("h1").text()


# ---- YAML that cannot be read: in plain words, with the line to write -------

@pytest.mark.parametrize("value,words", [
    ("[Draft] Plan", ("starts with `[` must be in quotes", '`title: "[Draft] Plan"`')),
    ("{Draft} Plan", ("starts with `{` must be in quotes", '`title: "{Draft} Plan"`')),
    ("`code` plan", ("starts with a backquote", "must be in quotes", '`` title: "`code` plan" ``')),
    ("@handle", ("starts with `@` must be in quotes", '`title: "@handle"`')),
    ("% done", ("starts with `%` must be in quotes", '`title: "% done"`')),
    ("*bold* plan", ("starts with `*` must be in quotes", '`title: "*bold* plan"`')),
    ("& more", ("starts with `&` must be in quotes", '`title: "& more"`')),
    ("- dash plan", ("starts with `-` must be in quotes", '`title: "- dash plan"`')),
    ("> quote", ("starts with `>` must be in quotes", '`title: "> quote"`')),
    ("| pipe", ("starts with `|` must be in quotes", '`title: "| pipe"`')),
    ("! important", ("starts with `!` must be in quotes", '`title: "! important"`')),
    ("!important notice", ("tag", "not allowed", "double quotes", '`title: "!important notice"`')),
    ("'It's broken'", ("apostrophe", "double quotes around it", "`title: \"It's broken\"`")),
    ('"He said "hi" today"', ("quotes inside", "single quotes around it", """`title: 'He said "hi" today'`""",
                              "typographic")),
])
def test_value_yaml_cannot_read_says_what_to_write(make_site, value, words):
    r = check_error(make_site, front(f"title: {value}", "description: d"), 2, *words)
    assert "did not find" not in r.err and "cannot start any token" not in r.err and "context" not in r.err


def test_indented_field_says_fields_start_at_the_beginning(make_site):
    r = check_error(make_site, front("title: t", " description: x"), 3,
                    "indented", "beginning of the line", "remove the spaces before `description:`")
    assert "quotes" not in r.err
    check_error(make_site, front("title: t", "description: d", "withdrawn:", "  date: 2020-01-01",
                                 "   explanation: gone"), 6, "indented more than `date:`", "start `explanation:`")


def test_text_with_colon_still_says_quotes(make_site):
    check_error(make_site, front("title: t", "description: Health: a plan"), 3, "`: `", "quotes")


# ---- the closing `---` left out -----------------------------------------------

@pytest.mark.parametrize("body", [
    # The page text up to a Markdown rule was read as front matter: a YAML error at a body line ...
    "The department reviewed the evidence in 2023.\n\n---\n\nMore text.\n",
    # ... or, where the text reads as YAML, unknown fields, and the text vanished from the page.
    "## Background\n\nBackground: the department reviewed the evidence in 2023.\n\n---\n\nMore text.\n",
    "Our aim: to narrow the gap.\n\n---\n\nMore text.\n",
])
def test_missing_closing_line_is_reported_where_it_belongs(make_site, body):
    r = check_error(make_site, "---\ntitle: t\ndescription: d\n\n" + body, 4,
                    "no line `---` to close it", "add a line `---` here")
    assert len(r.diagnostics) == 1, r.err


@pytest.mark.parametrize("field", ['"location": London', "Review date: 2024"])
def test_a_quoted_or_two_word_field_after_a_blank_line_is_a_field(make_site, field):
    # Not page text after a missing `---`: the page builds, with the field's own warning as before.
    site = make_site({P: f"---\ntitle: t\ndescription: d\n\n{field}\n---\n\nBody.\n"})
    r = build(site)
    assert r.code == 0, r.err
    assert "no line `---`" not in r.err and [line for path, line, _ in r.warnings() if path == P] == [5]


def test_an_optional_field_left_empty_with_a_note_is_fine(make_site):
    site = make_site({P: "---\ntitle: t\ndescription: d\ntype: speech\nlocation: # to confirm\n---\n\nBody.\n"})
    r = build(site)
    assert r.code == 0 and "location" not in r.err, r.err


def test_blank_lines_and_long_values_in_front_matter_are_fine(make_site):
    site = make_site({P: "---\ntitle: t\n\ndescription: >\n  One.\n\n  Two.\n\n# Dates\ndate: 2020-01-01\n"
                         'extra:\n  note: "First part.\n\nSecond part."\ntopics:\n\n- public-health\n\n'
                         "---\nBody.\n\n---\n\nMore.\n"})
    build_ok(site)


@pytest.mark.parametrize("name,hint,words", [
    ("last_updated", "updated", ()),
    ("published", "date", ()),
    ("Published", "date", ()),
    ("withdrawn_date", "withdrawn", ("`withdrawn:` takes `date:` and `explanation:` indented below it",)),
])
def test_other_systems_names_for_a_field_suggest_it(make_site, name, hint, words):
    check_error(make_site, front("title: t", "description: d", f"{name}: 2024-01-01"), 4,
                f"unknown field `{name}`, did you mean `{hint}`?", "dropped", *words)


@pytest.mark.parametrize("lines", [
    ("date: 2024-01-01", "published: 2024-01-01"),   # beside the field it stands for: data of the editor's own
    ("published: false",),                            # Jekyll's, for a page left out: not a date
])
def test_other_systems_name_that_is_not_the_field_is_only_unknown(make_site, lines):
    site = make_site({P: front("title: t", "description: d", *lines)})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has(P, 3 + len(lines), "warning", "unknown field `published`", "extra:")


def test_a_control_character_in_a_text_value_is_a_warning_at_its_line(make_site):
    # Written as escapes here, as YAML allows in double quotes; pasted raw, YAML itself refuses them.
    site = make_site({"content/a.md": '---\ntitle: "Budget\\u0001 2024"\ndescription: "Plans\\x7f and \\x02\\x1b"\n'
                                      'change_history:\n  - date: 2024-01-01\n    note: "First\\u0085 published\\u0007"\n'
                                      '---\nText.\n'})
    r = build(site)
    assert r.code == 0, r.err
    r.assert_has("content/a.md", 2, "warning", "`title` contains the control character U+0001", "remove it")
    r.assert_has("content/a.md", 3, "warning", "control characters U+007F, U+0002, U+001B", "remove them")
    r.assert_has("content/a.md", 6, "warning", "`change_history.note`", "U+0007")
    assert len(r.warnings()) == 3, r.err   # U+0085, a line break to YAML, is a space
    doc = html_of(site / "_site", "a/index.html")
    assert doc.find("h1").text() == "Budget 2024"
    assert run("build", site, "--strict").code == 1
