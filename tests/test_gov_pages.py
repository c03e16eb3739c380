"""GOV.UK's publishing pages, through the command line: nations (`applies_to`), collections,
consultations, speeches and people, and scheduled publishing, all on one build clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import DEFAULT_CONFIG, build_fails, build_ok, html_of, page, run

PEOPLE = DEFAULT_CONFIG + """\
people:
  alan-milburn:
    name: Alan Milburn
    role: Secretary of State for Health
  hazel-blears:
    name: Hazel Blears
"""


def epoch(year, month, day, hour=0, minute=0) -> dict:
    """SOURCE_DATE_EPOCH for a UTC time."""
    moment = dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)
    return {"SOURCE_DATE_EPOCH": str(int(moment.timestamp()))}


def text(doc) -> str:
    """The page's main text with its spaces folded, as a reader sees it."""
    return " ".join(doc.find("main").text().split())


def built(site, *extra, env=None):
    r = run("build", site, *extra, env=env)
    assert r.code == 0, r.err
    r.assert_no_traceback()
    assert r.diagnostics == [], r.err
    return site / "_site"


# ---- nations ---------------------------------------------------------------------

@pytest.mark.parametrize("keys, shown", [
    ("[wales, england]", "Applies to England and Wales"),
    ("[wales, scotland, england]", "Applies to England, Scotland and Wales"),
    ("[northern-ireland]", "Applies to Northern Ireland"),
])
def test_applies_to_is_shown_in_the_metadata(make_site, keys, shown):
    site = make_site({"content/a.md": page("A", extra=f"applies_to: {keys}")})
    doc = html_of(build_ok(site), "a/index.html")
    assert shown in doc.find("div", class_="app-metadata").text()


def test_a_page_without_applies_to_says_nothing_about_nations(make_site):
    site = make_site({"content/a.md": page("A")})
    assert "Applies to" not in (build_ok(site) / "a/index.html").read_text()


def test_an_unknown_nation_is_an_error_at_its_line_with_a_suggestion(make_site):
    site = make_site({"content/a.md": page("A", extra="applies_to:\n  - england\n  - walse\n  - ulster")})
    r = build_fails(site, "content/a.md", 6, "unknown applies_to `walse`", "did you mean `wales`?")
    r.assert_has("content/a.md", 7, "error", "unknown applies_to `ulster`", "england", "northern-ireland")


# ---- collections -----------------------------------------------------------------

COLLECTION = """\
---
title: Health inequalities papers
description: Everything we published on health inequalities.
type: collection
organisations: [department-of-testing]
groups:
  - title: Strategy
    description: Our plans.
    pages:
      - policy/plan.md
      - /guides/tool.md
  - title: Guidance
    pages: [guides/tool.md, old.md]
---

## Strategy

An introduction whose heading shares the first group's words.
"""


def collection_site(make_site, **more):
    files = {
        "content/papers.md": COLLECTION,
        "content/policy/plan.md": page("The plan", extra="type: policy\ndate: 2008-11-06\n"
                                                          "organisations: [department-of-testing]"),
        "content/guides/tool.md": page("The tool", extra="type: guidance\ndate: 2009-01-02\n"
                                                          "organisations: [department-of-testing]"),
        "content/old.md": page("Old paper", extra="type: publication\ndate: 2006-05-01\n"
                                                  "organisations: [department-of-testing]\n"
                                                  "government: old-government\npolitical: true\n"
                                                  "withdrawn:\n  date: 2010-01-01\n  explanation: Replaced."),
    }
    files.update(more)
    return make_site(files)


def test_a_collection_lists_its_groups_in_order_with_each_pages_type_date_and_status(make_site):
    out = build_ok(collection_site(make_site))
    doc = html_of(out, "papers/index.html")
    sections = doc.find_all("section", class_="app-collection-group")
    assert [s.find("h2").text() for s in sections] == ["Strategy", "Guidance"]
    ids = [e.attrs["id"] for e in doc.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids))                       # the body's "Strategy" heading keeps its own id
    assert sections[0].find("h2").attrs["id"] != "strategy"
    assert "Our plans." in sections[0].text()
    first = [li.find("a").text() for li in sections[0].find_all("li", class_="document-list__item")]
    second = [li.find("a").text() for li in sections[1].find_all("li", class_="document-list__item")]
    assert first == ["The plan", "The tool"] and second == ["The tool", "Old paper"]
    items = [" ".join(li.text().split()) for li in sections[1].find_all("li", class_="document-list__item")]
    assert "Guidance · 2 January 2009" in items[0]
    assert "Withdrawn" in items[1] and "Published under the 2005 to 2010 Old government" in items[1]
    assert "Publication · 1 May 2006" in items[1]
    assert doc.find("span", class_="govuk-caption-l").text() == "Collection"


def test_each_member_says_it_is_part_of_the_collection(make_site):
    out = build_ok(collection_site(make_site, **{
        "content/more.md": page("More papers", extra="type: collection\norganisations: [department-of-testing]\n"
                                                     "groups:\n  - title: All\n    pages: [guides/tool.md]")}))
    tool = text(html_of(out, "guides/tool/index.html"))
    assert "Part of a collection: Health inequalities papers, More papers" in tool
    links = [a.attrs["href"] for a in html_of(out, "guides/tool/index.html").find("div", class_="app-metadata").find_all("a")]
    assert links == ["/papers/", "/more/"]
    assert "Part of a collection: Health inequalities papers" in text(html_of(out, "policy/plan/index.html"))
    assert "Part of a collection" not in (out / "papers/index.html").read_text()


def test_a_collection_path_is_checked_like_a_link_at_its_line(make_site):
    site = collection_site(make_site, **{"content/papers.md": COLLECTION.replace("/guides/tool.md", "/guides/tol.md")
                                                              .replace("old.md]", "draft.md]"),
                                         "content/draft.md": page("Draft", extra="draft: true")})
    r = build_fails(site, "content/papers.md", 11, "collection page `/guides/tol.md`", "did you mean content/guides/tool.md")
    r.assert_has("content/papers.md", 13, "error", "collection page `draft.md`", "draft")


def test_a_collection_without_groups_or_with_a_bad_group_is_an_error(make_site):
    site = make_site({"content/c.md": page("C", extra="type: collection\norganisations: [department-of-testing]")})
    build_fails(site, "content/c.md", 2, "`groups:` is required")
    site = make_site({"content/c.md": page("C", extra="type: collection\norganisations: [department-of-testing]\n"
                                                      "groups:\n  - description: No title\n    pages: [x.md]\n"
                                                      "  - title: Second\n    pagez: [x.md]")})
    r = build_fails(site, "content/c.md", 7, "`groups.title` is missing")
    r.assert_has("content/c.md", 10, "error", "unknown field `pagez`", "did you mean `pages`?")


# ---- consultations ----------------------------------------------------------------

CONSULTATION = """\
---
title: Our proposals
description: We want your views on our proposals.
type: consultation
date: 2026-02-01
organisations: [department-of-testing]
opens: 2026-03-01 09:00 +00:00
closes: 2026-04-01 23:59 +01:00
{outcome}---

What we propose.
"""


def consultation_site(make_site, outcome=True):
    files = {"content/c.md": CONSULTATION.format(outcome="outcome: outcome.md\n" if outcome else ""),
             "content/outcome.md": page("What we heard", extra="date: 2026-02-01"),
             "content/_index.md": page("Home", body="[the consultation](c.md)\n")}
    return make_site(files)


def consultation_banner(out) -> tuple[str, str, str]:
    doc = html_of(out, "c/index.html")
    banner = doc.find("div", class_="govuk-notification-banner__content")
    return doc.find("span", class_="govuk-caption-l").text(), " ".join(banner.text().split()), \
        (out / "index.html").read_text()


@pytest.mark.parametrize("when, label, banner", [
    (epoch(2026, 2, 15), "Forthcoming consultation", "This consultation opens at 9:00am on 1 March 2026"),
    (epoch(2026, 3, 1, 9, 0), "Open consultation", "This consultation closes at 11:59pm on 1 April 2026"),
    (epoch(2026, 4, 1, 22, 58), "Open consultation", "This consultation closes at 11:59pm on 1 April 2026"),
    (epoch(2026, 4, 1, 22, 59), "Closed consultation", "This consultation has closed"),
])
def test_a_consultation_takes_its_label_and_banner_from_the_build_time(make_site, when, label, banner):
    out = built(consultation_site(make_site, outcome=False), env=when)
    shown_label, shown_banner, home = consultation_banner(out)
    assert (shown_label, shown_banner) == (label, banner)
    assert "outcome" not in shown_banner.lower()


def test_a_closed_consultation_with_an_outcome_links_to_it(make_site):
    out = built(consultation_site(make_site), env=epoch(2026, 5, 1))
    label, banner, _ = consultation_banner(out)
    assert label == "Consultation outcome"
    assert banner == "This consultation has closed Read the consultation outcome: What we heard"
    link = html_of(out, "c/index.html").find("a", class_="govuk-notification-banner__link")
    assert link.attrs["href"] == "/outcome/"
    # While it is open, the outcome is not shown yet.
    out = built(consultation_site(make_site), env=epoch(2026, 3, 5))
    assert consultation_banner(out)[:2] == ("Open consultation", "This consultation closes at 11:59pm on 1 April 2026")


def test_listings_and_search_use_the_consultations_state(make_site):
    site = consultation_site(make_site, outcome=False)
    out = built(site, env=epoch(2026, 3, 5))
    home = " ".join(html_of(out, "index.html").find("main").text().split())
    assert "Open consultation · 1 February 2026" in home
    assert '"type":"Open consultation"' in (out / "search-index.json").read_text()
    assert b"Open consultation" in (out / "search/pages/0.json").read_bytes()


@pytest.mark.parametrize("written, shown", [
    ("2026-04-01 12:00 +00:00", "midday"), ("2026-04-01 00:00 +00:00", "midnight"),
    ("2026-04-01 09:05 +00:00", "9:05am"), ("2026-04-01 13:30 +00:00", "1:30pm"), ("2026-04-01", "11:59pm"),
])
def test_consultation_times_are_written_as_govuk_writes_them(make_site, written, shown):
    site = make_site({"content/c.md": CONSULTATION.format(outcome="").replace("2026-04-01 23:59 +01:00", written)})
    _, banner, _ = consultation_banner(built(site, env=epoch(2026, 3, 5)))
    assert banner == f"This consultation closes at {shown} on 1 April 2026"


def test_consultation_errors_are_at_their_lines(make_site):
    site = make_site({"content/c.md": CONSULTATION.format(outcome="outcome: nowhere.md\n")
                      .replace("closes: 2026-04-01 23:59 +01:00", "closes: 2026-02-01 10:00 +00:00")})
    build_fails(site, "content/c.md", 8, "`closes`", "is before `opens`")
    site = make_site({"content/c.md": CONSULTATION.format(outcome="outcome: nowhere.md\n")})
    build_fails(site, "content/c.md", 9, "`outcome` `nowhere.md`", "there is no page content/nowhere.md")
    site = make_site({"content/c.md": CONSULTATION.format(outcome="").replace("closes: 2026-04-01 23:59 +01:00", "closes: soon")})
    build_fails(site, "content/c.md", 8, "`closes` must be a date")


def test_a_consultation_without_opens_is_open_until_it_closes_and_one_without_closes_is_a_warning(make_site):
    site = make_site({"content/c.md": CONSULTATION.format(outcome="").replace("opens: 2026-03-01 09:00 +00:00\n", "")})
    assert consultation_banner(built(site, env=epoch(2026, 2, 15)))[:2] == (
        "Open consultation", "This consultation closes at 11:59pm on 1 April 2026")
    site = make_site({"content/c.md": CONSULTATION.format(outcome="").replace("closes: 2026-04-01 23:59 +01:00\n", "")})
    r = run("build", site, env=epoch(2026, 3, 5))
    assert r.code == 0, r.err
    r.assert_has("content/c.md", 2, "warning", "a consultation needs `closes:`")
    assert run("build", site, "--strict", env=epoch(2026, 3, 5)).code == 1
    doc = html_of(site / "_site", "c/index.html")
    assert doc.find("span", class_="govuk-caption-l").text() == "Consultation"
    assert doc.find("div", class_="app-consultation-banner") is None


# ---- speeches and people -----------------------------------------------------------

def speech(title, date, extra="") -> str:
    return page(title, extra=f"type: speech\ndate: {date}\norganisations: [department-of-testing]\n"
                             f"speaker: alan-milburn\ndelivered_on: {date}\n{extra}")


def people_site(make_site, **more):
    files = {"site_config.yaml": PEOPLE,
             "content/speeches/first.md": speech("First speech", "2001-04-25", "location: Lancaster House, London\n"
                                                                                "speech_type: transcript"),
             "content/speeches/second.md": speech("Second speech", "2008-11-06", "speech_type: draft-text"),
             "content/speeches/third.md": speech("Third speech", "2005-01-01")}
    files.update(more)
    return make_site(files)


def test_a_speech_shows_its_speaker_when_and_where_and_its_kind(make_site):
    out = build_ok(people_site(make_site))
    doc = html_of(out, "speeches/first/index.html")
    meta = " ".join(doc.find("div", class_="app-metadata").text().split())
    assert "From: Department of Testing and Alan Milburn" in meta
    assert "Delivered on 25 April 2001 (Transcript of the speech, exactly as it was delivered)" in meta
    assert "Location Lancaster House, London" in meta
    speaker = [a for a in doc.find("div", class_="app-metadata").find_all("a") if a.text() == "Alan Milburn"]
    assert speaker[0].attrs["href"] == "/people/alan-milburn/"
    second = " ".join(html_of(out, "speeches/second/index.html").find("div", class_="app-metadata").text().split())
    assert "Delivered on 6 November 2008 (" in second and "may differ from what was delivered" in second


@pytest.mark.parametrize("kind, words", [("speaking-notes", "may differ from what was delivered"),
                                         ("written-statement", "written statement to Parliament")])
def test_each_speech_type_has_its_notice(make_site, kind, words):
    site = people_site(make_site, **{"content/speeches/third.md": speech("Third speech", "2005-01-01",
                                                                         f"speech_type: {kind}")})
    assert words in html_of(build_ok(site), "speeches/third/index.html").find("div", class_="app-metadata").text()


def test_each_person_has_a_page_with_their_role_and_speeches_newest_first(make_site):
    out = build_ok(people_site(make_site))
    doc = html_of(out, "people/alan-milburn/index.html")
    assert doc.find("h1").text() == "Alan Milburn"
    assert "Secretary of State for Health" in doc.find("div", class_="app-page-header").text()
    titles = [li.find("a").text() for li in doc.find_all("li", class_="document-list__item")]
    assert titles == ["Second speech", "Third speech", "First speech"]
    other = html_of(out, "people/hazel-blears/index.html")
    assert "There are no speeches by Hazel Blears" in text(other)
    index = [a.text() for a in html_of(out, "people/index.html").find("main").find_all("a", class_="document-list__link")]
    assert index == ["Alan Milburn", "Hazel Blears"]
    assert "https://www.example.gov.uk/people/alan-milburn/" in (out / "sitemap.xml").read_text()


def test_speech_errors_are_at_their_lines_with_suggestions(make_site):
    site = people_site(make_site, **{"content/speeches/third.md": page("Bad", extra=(
        "type: speech\norganisations: [department-of-testing]\nspeaker: alan-milbrun\n"
        "delivered_on: last week\nspeech_type: transcrpt"))})
    r = build_fails(site, "content/speeches/third.md", 6, "unknown speaker `alan-milbrun`", "did you mean `alan-milburn`?")
    r.assert_has("content/speeches/third.md", 7, "error", "`delivered_on` must be a date")
    r.assert_has("content/speeches/third.md", 8, "error", "unknown speech_type `transcrpt`", "did you mean `transcript`?")


def test_people_in_site_config_are_checked_at_their_lines(make_site):
    site = make_site({"site_config.yaml": DEFAULT_CONFIG + "people:\n  Bad Key:\n    name: X\n  no-name:\n    role: R\n"
                                                         "  extra:\n    name: E\n    rank: 3\n"})
    r = run("build", site)
    assert r.code == 1
    r.assert_has("site_config.yaml", 19, "error", "`Bad Key` is not a usable key")
    r.assert_has("site_config.yaml", 21, "error", "`people.no-name` needs a `name:`")
    r.assert_has("site_config.yaml", 25, "warning", "unknown field `rank` in `people.extra`")


def test_a_content_page_at_a_person_address_is_an_error(make_site):
    site = people_site(make_site, **{"content/people/alan-milburn.md": page("Alan")})
    build_fails(site, "content/people/alan-milburn.md", 1, "`/people/alan-milburn/` is claimed by both")


# ---- scheduled publishing and the clock ---------------------------------------------

def scheduled_site(make_site, link=False):
    return make_site({
        "content/now.md": page("Now", extra="date: 2026-01-01", body="[later](later.md)\n" if link else "Text.\n"),
        "content/later.md": page("Later", extra="date: 2026-06-01 09:00:00 +01:00"),
    })


def test_a_page_dated_after_the_build_time_is_left_out_until_future(make_site):
    site = scheduled_site(make_site)
    out = built(site, env=epoch(2026, 3, 1))
    assert not (out / "later").exists()
    assert "later" not in (out / "sitemap.xml").read_text() + (out / "feed.xml").read_text()
    assert "Later" not in (out / "search-index.json").read_text()
    out = built(site, "--future", env=epoch(2026, 3, 1))
    assert html_of(out, "later/index.html").find("h1").text() == "Later"
    # On its date (08:00 UTC is 9:00am in summer time) it is published without the flag.
    assert not (built(site, env=epoch(2026, 6, 1, 7, 59)) / "later").exists()
    assert (built(site, env=epoch(2026, 6, 1, 8, 0)) / "later/index.html").is_file()


def test_a_page_left_out_as_dated_after_the_build_time_is_named_not_warned_about(make_site):
    site = scheduled_site(make_site)
    later = "content/later.md:4: note: not published yet: `date` is 2026-06-01T09:00:00+01:00, after the build time"
    summary = "Left out 1 page dated after the build time: content/later.md (2026-06-01); `--future` includes it"
    for args in (("build",), ("build",), ("check", "--strict")):   # the second build takes the first's output over
        r = run(*args, site, env=epoch(2026, 3, 1))
        assert r.code == 0, r.err
        assert r.diagnostics == [], r.err          # a note: neither a warning nor, with --strict, an error
        assert later in r.err and "`--future` includes the page now" in r.err, r.err
        assert summary in r.out, r.out
    r = run("build", site, "--quiet", env=epoch(2026, 3, 1))
    assert r.err == "" and r.out == ""
    r = run("build", site, "--future", env=epoch(2026, 3, 1))
    assert "note:" not in r.err and "Left out" not in r.out
    # In a workflow, a notice on the page's date line: beside the editor's change, failing nothing.
    r = run("check", site, "--format", "github", env=epoch(2026, 3, 1))
    assert r.code == 0, r.err
    notices = [line for line in r.out.splitlines() if line.startswith("::notice ")]
    assert len(notices) == 1 and "line=4,title=not-published-yet::not published yet: `date` is 2026-06-01" in notices[0]
    assert "later.md" in notices[0] and "note:" not in r.err


def test_a_link_to_a_scheduled_page_is_treated_like_a_link_to_a_draft(make_site):
    site = scheduled_site(make_site, link=True)
    r = run("build", site, env=epoch(2026, 3, 1))
    assert r.code == 1
    r.assert_has("content/now.md", 6, "error", "not published until 2026-06-01", "--future")
    r = run("check", site, "--future", env=epoch(2026, 3, 1))
    assert r.code == 0, r.err
    built(site, "--future", env=epoch(2026, 3, 1))


@pytest.mark.parametrize("verb", ["build", "check", "serve"])
def test_build_check_and_serve_take_future(verb):
    r = run(verb, "--help")
    assert r.code == 0 and "--future" in r.out and "after the build" in " ".join(r.out.split())


def test_serve_builds_with_future(make_site, tmp_path, monkeypatch):
    from policysite.serve import DevSite
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(2026, 3, 1)["SOURCE_DATE_EPOCH"])
    site = scheduled_site(make_site)
    for future, present in ((False, False), (True, True)):
        dev = DevSite(site, "127.0.0.1", 8000, drafts=False, output=tmp_path / f"out-{future}", future=future)
        assert dev.rebuild()
        assert (tmp_path / f"out-{future}" / "later/index.html").is_file() is present


def test_new_problems_carry_their_codes(make_site):
    from policysite.builder import BuildOptions, build
    site = make_site({
        "site_config.yaml": PEOPLE,
        "content/c.md": CONSULTATION.format(outcome="outcome: nowhere.md\n").replace("2026-04-01 23:59 +01:00",
                                                                                     "2026-02-01 10:00 +00:00"),
        "content/s.md": page("S", extra="applies_to: [walse]\nspeaker: nobody\nspeech_type: notes"),
        "content/k.md": page("K", extra="type: collection\norganisations: [department-of-testing]\n"
                                        "groups:\n  - title: G\n    pages: [gone.md]"),
    })
    result = build(BuildOptions(site_dir=site, write=False, now=dt.datetime(2026, 3, 5, tzinfo=dt.UTC)))
    codes = {(d.path, d.line): d.code for d in result.diagnostics.items}
    assert codes[("content/c.md", 8)] == "date-order"
    assert codes[("content/s.md", 4)] == codes[("content/s.md", 5)] == codes[("content/s.md", 6)] == "unknown-key"
    assert codes[("content/k.md", 8)] == "broken-link"


def test_a_source_date_epoch_that_is_not_a_time_is_wrong_use(make_site):
    site = scheduled_site(make_site)
    r = run("build", site, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert r.code == 2 and "SOURCE_DATE_EPOCH must be a whole number of seconds" in r.err
    assert not (site / "_site").exists()


def test_a_later_clock_changes_state_with_the_cache_kept(make_site):
    """The build cache and the "nothing changed" memo must not serve a stale result when
    only the clock has moved past a consultation's closing or a page's date."""
    site = consultation_site(make_site, outcome=False)
    (site / "content/later.md").write_text(page("Later", extra="date: 2026-04-10"), encoding="utf-8")
    out = built(site, env=epoch(2026, 3, 5))
    assert consultation_banner(out)[0] == "Open consultation" and not (out / "later").exists()
    # The same clock again: the last output is taken over whole.
    r = run("build", site, env=epoch(2026, 3, 6))
    assert r.code == 0 and re.match(r"Built (\d+) pages \(\1 unchanged\)", r.out), r.out
    assert (site / ".policysite-cache").is_dir()
    out = built(site, env=epoch(2026, 4, 20))
    assert consultation_banner(out)[:2] == ("Closed consultation", "This consultation has closed")
    assert html_of(out, "later/index.html").find("h1").text() == "Later"
    assert "Closed consultation" in html_of(out, "index.html").find("main").text()
    assert "Closed consultation" in (out / "search-index.json").read_text()
    assert b"Closed consultation" in (out / "search/pages/0.json").read_bytes()
    # And back: an earlier clock is a change too.
    out = built(site, env=epoch(2026, 3, 5))
    assert consultation_banner(out)[0] == "Open consultation" and not (out / "later").exists()


def test_the_memo_is_taken_over_only_within_the_clock_window(make_site):
    site = consultation_site(make_site, outcome=False)
    built(site, env=epoch(2026, 3, 5))
    from policysite import memo
    note = memo.read(site / ".policysite-cache" / memo.MEMO_NAME)
    assert note is not None
    opens = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    closes = dt.datetime(2026, 4, 1, 22, 59, tzinfo=dt.UTC)
    assert memo.clock_holds(note, opens) and memo.clock_holds(note, closes - dt.timedelta(seconds=1))
    assert not memo.clock_holds(note, closes) and not memo.clock_holds(note, opens - dt.timedelta(seconds=1))
    r = run("build", site, env=epoch(2026, 3, 20))   # within the window: taken over whole
    assert r.code == 0 and re.match(r"Built (\d+) pages \(\1 unchanged\)", r.out), r.out


def test_serve_quick_rebuild_is_not_used_when_the_clock_has_moved(make_site, tmp_path, monkeypatch):
    """A body-only edit is usually rebuilt alone; after the clock has passed a closing
    date, the whole site is built again, so listings and the page itself change state."""
    from policysite.serve import DevSite
    site = consultation_site(make_site, outcome=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(2026, 3, 5)["SOURCE_DATE_EPOCH"])
    out = tmp_path / "served"
    dev = DevSite(site, "127.0.0.1", 8000, drafts=False, output=out)
    assert dev.rebuild()
    assert consultation_banner(out)[0] == "Open consultation"
    edited = site / "content/c.md"
    edited.write_text(edited.read_text().replace("What we propose.", "What we propose, in full."))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(2026, 4, 20)["SOURCE_DATE_EPOCH"])
    assert dev.rebuild({edited})
    assert consultation_banner(out)[0] == "Closed consultation"
    assert "Closed consultation" in html_of(out, "index.html").find("main").text()
    # Within the same window a body-only edit is still rebuilt alone.
    edited.write_text(edited.read_text().replace("in full.", "in full, again."))
    assert dev.rebuild({edited})
    assert dev.cache.stats.quick == 1


def test_every_metadata_value_has_its_term(make_site):
    """A speech's kind without `delivered_on`, and a change history without `updated`: each <dd> after a <dt>."""
    site = people_site(make_site, **{"content/speeches/third.md": page("Third speech", extra=(
        "type: speech\norganisations: [department-of-testing]\nspeech_type: transcript\n"
        "change_history:\n  - date: 2005-01-01\n    note: First published.")), })
    doc = html_of(build_ok(site), "speeches/third/index.html")
    items = doc.find("dl", class_="app-metadata__list").find_all("div")
    assert items
    for item in items:
        names = [child.tag for child in item.elements()]
        assert names[0] == "dt" and "dd" in names, str(item)
    assert "Text Transcript of the speech" in " ".join(doc.find("div", class_="app-metadata").text().split())


def test_a_welsh_consultation_shows_its_state_in_welsh(make_site):
    """The status (the consultation's state) is worded in the page's language, above the title and in Welsh listings."""
    site = make_site({"site_config.yaml": DEFAULT_CONFIG + "languages:\n  cy:\n    name: Cymraeg\n",
                      "content/c.md": CONSULTATION.format(outcome=""),
                      "content/c.cy.md": CONSULTATION.format(outcome="").replace("Our proposals", "Ein cynigion")})
    out = built(site, env=epoch(2026, 3, 5))
    assert "Open consultation" in html_of(out, "c/index.html").find("div", class_="app-page-header").text()
    assert "Ymgynghoriad agored" in html_of(out, "c.cy/index.html").find("div", class_="app-page-header").text()
    # The banner too, its time and month included.
    banner = html_of(out, "c.cy/index.html").find("p", class_="govuk-notification-banner__heading").text()
    assert " ".join(banner.split()) == "Mae'r ymgynghoriad hwn yn cau am 11:59yh ar 1 Ebrill 2026"
    banner = html_of(out, "c/index.html").find("p", class_="govuk-notification-banner__heading").text()
    assert " ".join(banner.split()) == "This consultation closes at 11:59pm on 1 April 2026"

