"""Translations (Welsh first): `x.cy.md` beside `x.md`, through the command line, reading the output."""

from __future__ import annotations

import json
import re

from conftest import DEFAULT_CONFIG, build, build_fails, build_ok, html_of, main_text, page, run

from policysite.strings import known_keys, strings_for

WELSH = DEFAULT_CONFIG + "languages:\n  cy:\n    name: Cymraeg\n"


def welsh_site(make_site, extra: dict | None = None, config: str = WELSH):
    files = {
        "site_config.yaml": config,
        "content/policy/_index.md": page("Policy", None),
        "content/policy/_index.cy.md": page("Polisi", None),
        "content/policy/apples.md": page("Apples", "About apples.", "type: policy\ndate: 2008-11-06\nupdated: 2009-03-01\n"
                                         "topics: [health-inequalities]\n",
                                         body="See [bananas](bananas.md) and [cherries](cherries.md).\n"),
        "content/policy/apples.cy.md": page("Afalau", "Am afalau.", "type: policy\ndate: 2008-11-06\nupdated: 2009-03-01\n",
                                            body="Gweler [bananas](bananas.md), [ceirios](cherries.md) a "
                                                 "[afalau yn Saesneg](/policy/apples/).\n"),
        "content/policy/bananas.md": page("Bananas", "About bananas.", "date: 2010-01-01\n"),
        "content/policy/bananas.cy.md": page("Bananas (Cymraeg)", "Am fananas.", "date: 2010-01-01\n"),
        "content/policy/cherries.md": page("Cherries", "About cherries.", "date: 2011-01-01\n"),
    }
    files.update(extra or {})
    return make_site(files)


def test_a_translation_has_its_own_address_and_language(make_site):
    out = build_ok(welsh_site(make_site))
    english = html_of(out, "policy/apples/index.html")
    welsh = html_of(out, "policy/apples.cy/index.html")
    assert english.find("html").attrs["lang"] == "en-GB"
    assert welsh.find("html").attrs["lang"] == "cy"
    assert welsh.find("h1").text() == "Afalau"
    assert welsh.find("link", rel="canonical").attrs["href"] == "https://www.example.gov.uk/policy/apples.cy/"
    # A Welsh section page is at the English one's address with `.cy`.
    assert html_of(out, "policy.cy/index.html").find("h1").text() == "Polisi"


def test_each_page_of_a_pair_links_to_the_other_named_in_its_own_language(make_site):
    out = build_ok(welsh_site(make_site))
    for rel, here, there, lang, url in (
            ("policy/apples/index.html", "English", "Cymraeg", "cy", "/policy/apples.cy/"),
            ("policy/apples.cy/index.html", "Cymraeg", "English", "en", "/policy/apples/")):
        doc = html_of(out, rel)
        switch = main_text(doc).find("nav", class_="app-language-switch")
        assert switch is not None, rel
        link = switch.find("a")
        assert (link.text(), link.attrs["lang"], link.attrs["hreflang"], link.attrs["href"]) == (there, lang, lang, url)
        current = switch.find("li", aria_current="true")
        assert current.text() == here and current.find("a") is None
        alternates = {link.attrs["hreflang"]: link.attrs["href"] for link in doc.find_all("link", rel="alternate")
                      if "hreflang" in link.attrs}
        assert alternates == {"en": "https://www.example.gov.uk/policy/apples/",
                              "cy": "https://www.example.gov.uk/policy/apples.cy/",
                              "x-default": "https://www.example.gov.uk/policy/apples/"}
    # A page with no translation has neither.
    cherries = html_of(out, "policy/cherries/index.html")
    assert cherries.find("nav", class_="app-language-switch") is None
    assert not [link for link in cherries.find_all("link", rel="alternate") if "hreflang" in link.attrs]


def test_welsh_pages_show_the_theme_in_welsh_with_welsh_dates(make_site):
    out = build_ok(welsh_site(make_site))
    welsh = html_of(out, "policy/apples.cy/index.html")
    metadata = welsh.find("div", class_="app-metadata").text()
    assert "Cyhoeddwyd" in metadata and "6 Tachwedd 2008" in metadata
    assert "Diweddarwyd ddiwethaf" in metadata and "1 Mawrth 2009" in metadata
    assert "Published" not in metadata and "November" not in metadata
    assert welsh.find("span", class_="govuk-caption-l").text() == "Papur polisi"
    assert welsh.find("a", class_="govuk-skip-link").text() == "Neidio i'r prif gynnwys"
    assert welsh.find("nav", class_="govuk-breadcrumbs").attrs["aria-label"] == "Briwsion bara"
    english = html_of(out, "policy/apples/index.html").find("div", class_="app-metadata").text()
    assert "Published" in english and "6 November 2008" in english and "Cyhoeddwyd" not in english


def test_breadcrumbs_use_welsh_ancestors_where_they_exist_else_english_marked(make_site):
    out = build_ok(welsh_site(make_site))
    links = html_of(out, "policy/apples.cy/index.html").find("nav", class_="govuk-breadcrumbs").find_all("a")
    # No Welsh home page: the theme's own word for it; the Welsh section where there is one.
    assert [(a.text(), a.attrs["href"], a.attrs.get("lang")) for a in links] == [
        ("Hafan", "/", None), ("Polisi", "/policy.cy/", None)]
    site = welsh_site(make_site, {"content/policy/_index.cy.md": None})
    links = html_of(build_ok(site), "policy/apples.cy/index.html").find("nav", class_="govuk-breadcrumbs").find_all("a")
    assert [(a.text(), a.attrs["href"], a.attrs.get("lang")) for a in links][1] == ("Policy", "/policy/", "en")


def test_links_from_a_welsh_page_prefer_welsh_versions(make_site):
    out = build_ok(welsh_site(make_site))
    body = html_of(out, "policy/apples.cy/index.html").find("div", class_="govspeak")
    hrefs = {a.text(): a.attrs["href"] for a in body.find_all("a")}
    assert hrefs["bananas"] == "/policy/bananas.cy/"       # has a Welsh version
    assert hrefs["ceirios"] == "/policy/cherries/"          # has none: the English page
    assert hrefs["afalau yn Saesneg"] == "/policy/apples/"  # an address is taken as written
    english = html_of(out, "policy/apples/index.html").find("div", class_="govspeak")
    assert {a.text(): a.attrs["href"] for a in english.find_all("a")}["bananas"] == "/policy/bananas/"


def test_a_welsh_page_may_link_to_a_translation_by_its_file(make_site):
    site = welsh_site(make_site, {"content/policy/cherries.md": page("Cherries", "About cherries.",
                                                                     body="In Welsh: [afalau](apples.cy.md).\n")})
    body = html_of(build_ok(site), "policy/cherries/index.html").find("div", class_="govspeak")
    assert body.find("a").attrs["href"] == "/policy/apples.cy/"


def test_listings_list_english_pages_and_a_welsh_section_its_welsh_versions(make_site):
    out = build_ok(welsh_site(make_site))
    english = [a.attrs["href"] for a in html_of(out, "policy/index.html").find("ul", class_="document-list").find_all("a")]
    assert english == ["/policy/cherries/", "/policy/bananas/", "/policy/apples/"]   # newest first
    items = html_of(out, "policy.cy/index.html").find("ul", class_="document-list").find_all("a")
    assert [(a.attrs["href"], a.attrs.get("lang")) for a in items] == [
        ("/policy/cherries/", "en"), ("/policy/bananas.cy/", None), ("/policy/apples.cy/", None)]
    topic = [a.attrs["href"] for a in html_of(out, "topics/health-inequalities/index.html").find_all("a", class_="document-list__link")]
    assert topic == ["/policy/apples/"]


def test_sitemap_lists_both_versions_with_alternates(make_site):
    out = build_ok(welsh_site(make_site))
    sitemap = (out / "sitemap.xml").read_text()
    assert 'xmlns:xhtml="http://www.w3.org/1999/xhtml"' in sitemap
    block = re.search(r"<url>\s*<loc>https://www.example.gov.uk/policy/apples.cy/</loc>.*?</url>", sitemap, re.S).group(0)
    assert '<xhtml:link rel="alternate" hreflang="en" href="https://www.example.gov.uk/policy/apples/"/>' in block
    assert '<xhtml:link rel="alternate" hreflang="cy" href="https://www.example.gov.uk/policy/apples.cy/"/>' in block
    assert "<loc>https://www.example.gov.uk/policy/apples/</loc>" in sitemap
    cherries = re.search(r"<url>\s*<loc>https://www.example.gov.uk/policy/cherries/</loc>.*?</url>", sitemap, re.S).group(0)
    assert "xhtml:link" not in cherries


def test_feed_holds_both_languages_welsh_entries_marked(make_site):
    out = build_ok(welsh_site(make_site))
    feed = (out / "feed.xml").read_text()
    entries = re.findall(r"<entry( xml:lang=\"cy\")?>\s*<title>([^<]*)</title>", feed)
    assert ("", "Apples") in entries and (' xml:lang="cy"', "Afalau") in entries


def test_search_entries_carry_their_language(make_site):
    out = build_ok(welsh_site(make_site))
    small = {p["url"]: p for p in json.loads((out / "search-index.json").read_text())["pages"]}
    assert small["/policy/apples.cy/"]["lang"] == "cy" and "lang" not in small["/policy/apples/"]
    rows = []
    for path in sorted((out / "search" / "pages").glob("*.json")):
        rows += json.loads(path.read_text())
    by_url = {row[0]: row for row in rows}
    assert by_url["/policy/apples.cy/"][7] == "cy"
    assert len(by_url["/policy/apples/"]) < 8


def test_an_unlisted_language_is_an_error_naming_the_setting(make_site):
    site = welsh_site(make_site, {"content/policy/apples.fr.md": page("Pommes", "Sur les pommes.")})
    r = build_fails(site, "content/policy/apples.fr.md", 1, "`fr`", "languages:")
    assert not r.has("content/policy/apples.fr.md", 1, "error", "url")


def test_a_dotted_name_that_is_not_a_language_is_a_page(make_site):
    site = welsh_site(make_site, {"content/policy/report.v2.md": page("Report")})
    assert html_of(build_ok(site), "policy/report-v2/index.html").find("h1").text() == "Report"


def test_a_translation_of_nothing_is_an_error(make_site):
    site = welsh_site(make_site, {"content/policy/dates.cy.md": page("Dyddiadau")})
    build_fails(site, "content/policy/dates.cy.md", 1, "translation", "content/policy/dates.md")


def test_the_default_language_in_a_file_name_is_an_error(make_site):
    site = welsh_site(make_site, {"content/policy/dates.en.md": page("Dates")})
    build_fails(site, "content/policy/dates.en.md", 1, "rename", "dates.md")


def test_a_draft_page_takes_its_translation_out_with_it(make_site):
    site = welsh_site(make_site, {"content/policy/dates.md": page("Dates", extra="draft: true\n"),
                                  "content/policy/dates.cy.md": page("Dyddiadau")})
    out = build_ok(site)
    assert not (out / "policy" / "dates.cy").exists() and not (out / "policy" / "dates").exists()
    assert (build_ok(site, "--drafts") / "policy" / "dates.cy" / "index.html").exists()


def test_missing_wording_falls_back_to_english_with_one_warning_per_language(make_site):
    config = DEFAULT_CONFIG + "languages:\n  gd:\n    name: Gàidhlig\nstrings:\n  gd:\n" + "".join(
        f"    {key}: '{key} (gd)'\n" for key in sorted(known_keys() - {"published", "contents"}))
    site = make_site({"site_config.yaml": config,
                      "content/a.md": page("A", extra="date: 2008-11-06\n"),
                      "content/a.gd.md": page("A (gd)", extra="date: 2008-11-06\n")})
    r = build(site)
    assert r.code == 0, r.err
    assert r.warnings() == [("site_config.yaml", DEFAULT_CONFIG.count("\n") + 2,
                             "no Gàidhlig (gd) wording for 2 of the theme's words (there is no "
                             "policysite/theme/strings/gd.yaml), namely `published` (\"Published\") and `contents` "
                             "(\"Contents\"): they show in English; give each in site_config.yaml under `strings:` and "
                             "the language's code, as `strings: {gd: {published: …, contents: …}}` "
                             "(policysite/theme/strings/en.yaml lists every word)")], r.err
    doc = html_of(site / "_site", "a.gd/index.html")
    assert "Published" in doc.find("div", class_="app-metadata").text()   # English for the missing word
    assert doc.find("a", class_="govuk-skip-link").text() == "skip_link (gd)"
    assert run("build", site, "--strict").code == 1


def test_a_language_with_no_wording_at_all_gives_one_warning_at_its_line(make_site):
    # One line of settings, a language with no table: one warning that counts and names some, not one a word.
    site = make_site({"site_config.yaml": DEFAULT_CONFIG + "languages: {fr: {name: Français}}\n"})
    r = build(site)
    assert r.code == 0, r.err
    line = DEFAULT_CONFIG.count("\n") + 1
    assert len(r.warnings()) == 1, r.err
    r.assert_has("site_config.yaml", line, "warning", f"all {len(known_keys())} of the theme's words",
                 "no policysite/theme/strings/fr.yaml", "such as `skip_link` (\"Skip to main content\")",
                 "they show in English", "`strings: {fr: {skip_link: …,")
    assert run("build", site, "--strict").code == 1


def test_one_missing_word_is_named_with_its_english(make_site):
    config = DEFAULT_CONFIG + "languages:\n  gd:\n    name: Gàidhlig\nstrings:\n  gd:\n" + "".join(
        f"    {key}: '{key} (gd)'\n" for key in sorted(known_keys() - {"contents"}))
    r = build(make_site({"site_config.yaml": config}))
    assert r.warnings() == [("site_config.yaml", DEFAULT_CONFIG.count("\n") + 2,
                             "no Gàidhlig (gd) wording for the theme's `contents` (\"Contents\"; there is no "
                             "policysite/theme/strings/gd.yaml): English is shown; add `strings: {gd: {contents: …}}` "
                             "to site_config.yaml")], r.err


def test_welsh_table_has_every_key_and_needs_no_warning(make_site):
    assert set(strings_for("cy")) == known_keys()
    english = strings_for("en")
    untranslated = {k for k in known_keys() if strings_for("cy")[k] == english[k] and "{" not in english[k] and any(c.isalpha() for c in english[k])}
    assert untranslated == set()
    build_ok(welsh_site(make_site))   # no missing-translation warnings


def test_site_strings_per_language_and_plain_for_the_default(make_site):
    config = WELSH + "strings:\n  published: First published\n  cy:\n    published: Cyhoeddwyd gyntaf\n"
    out = build_ok(welsh_site(make_site, config=config))
    assert "First published" in html_of(out, "policy/apples/index.html").find("div", class_="app-metadata").text()
    assert "Cyhoeddwyd gyntaf" in html_of(out, "policy/apples.cy/index.html").find("div", class_="app-metadata").text()


def test_bad_language_settings_are_errors_at_their_lines(make_site):
    config = DEFAULT_CONFIG + "languages:\n  cy:\n    naem: Cymraeg\n  xx:\n    {}\n  Welsh language: {name: Cymraeg}\n"
    r = build(make_site({"site_config.yaml": config}))
    base = DEFAULT_CONFIG.count("\n")
    r.assert_has("site_config.yaml", base + 3, "warning", "`naem`", "did you mean `name`")
    r.assert_has("site_config.yaml", base + 4, "error", "`languages.xx` needs a `name:`")
    r.assert_has("site_config.yaml", base + 6, "error", "not a language code")
    r.assert_no_traceback()


def test_the_default_language_takes_its_name_from_languages(make_site):
    config = WELSH + "  en-GB:\n    name: English (UK)\n"
    out = build_ok(welsh_site(make_site, config=config))
    switch = html_of(out, "policy/apples.cy/index.html").find("nav", class_="app-language-switch")
    assert switch.find("a").text() == "English (UK)"


def test_search_results_mark_a_welsh_page_in_its_language(make_site):
    from test_search import query  # search.js's full-text engine, run under Node

    out = build_ok(welsh_site(make_site))
    found, english = query(out, "afalau", "cherries")
    assert found["items"][0]["url"] == "/policy/apples.cy/" and found["items"][0]["lang"] == "cy"
    assert "lang" not in english["items"][0]


def test_a_translation_may_have_its_own_slug(make_site):
    site = welsh_site(make_site, {"content/policy/cherries.cy.md": page("Ceirios", "Am geirios.", "slug: ceirios\n")})
    out = build_ok(site)
    assert html_of(out, "policy/ceirios/index.html").find("html").attrs["lang"] == "cy"
    switch = html_of(out, "policy/cherries/index.html").find("nav", class_="app-language-switch")
    assert switch.find("a").attrs["href"] == "/policy/ceirios/"


def test_words_for_an_unlisted_language_are_a_warning_naming_languages(make_site):
    config = DEFAULT_CONFIG + "strings:\n  fr:\n    published: Publié\n"
    r = build(make_site({"site_config.yaml": config}))
    r.assert_has("site_config.yaml", DEFAULT_CONFIG.count("\n") + 2, "warning", "`fr`", "languages:")


def test_english_text_on_a_welsh_page_is_marked(make_site):
    site = welsh_site(make_site, {
        "content/policy/apples.cy.md": page("Afalau", "Am afalau.", "organisations: [department-of-testing]\n"
                                            "topics: [health-inequalities]\nrelated: [cherries.md, bananas.md]\n"
                                            "government: old-government\npolitical: true\n")})
    doc = html_of(build_ok(site), "policy/apples.cy/index.html")
    metadata = doc.find("div", class_="app-metadata")
    assert metadata.find("dd").find("span", lang="en").text() == "Department of Testing"
    related = {a.text(): a.attrs.get("lang") for a in doc.find("section", aria_labelledby="related-title").find_all("a")}
    assert related == {"Cherries": "en", "Bananas (Cymraeg)": None}
    topic = doc.find("section", aria_labelledby="topics-title").find("a")
    assert topic.attrs["lang"] == "en"
    banner = doc.find("p", class_="govuk-notification-banner__heading")
    assert banner.text() == "Cyhoeddwyd hyn o dan 2005 to 2010 Old government"
    assert banner.find("span", lang="en").text() == "2005 to 2010 Old government"


def test_dates_in_each_language_from_one_function():
    import datetime as dt

    from policysite.strings import Translator

    welsh, english = Translator(strings_for("cy")), Translator(strings_for("en-GB"))
    assert welsh.date(dt.date(2008, 11, 6)) == "6 Tachwedd 2008"
    assert english.date(dt.datetime(2008, 11, 6, 9, 30)) == "6 November 2008"
    assert [welsh.date(dt.date(2020, m, 1)).split()[1] for m in range(1, 13)] == [
        "Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst", "Medi", "Hydref",
        "Tachwedd", "Rhagfyr"]


def test_a_welsh_site_with_english_translations(make_site):
    config = DEFAULT_CONFIG.replace("language: en-GB", "language: cy") + "languages:\n  en: {name: English}\n"
    site = make_site({"site_config.yaml": config,
                      "content/a.md": page("Afalau", extra="date: 2008-11-06\n"),
                      "content/a.en.md": page("Apples", extra="date: 2008-11-06\n")})
    out = build_ok(site)
    welsh, english = html_of(out, "a/index.html"), html_of(out, "a.en/index.html")
    assert welsh.find("html").attrs["lang"] == "cy" and english.find("html").attrs["lang"] == "en"
    assert "6 Tachwedd 2008" in welsh.find("div", class_="app-metadata").text()
    assert "6 November 2008" in english.find("div", class_="app-metadata").text()
    link = welsh.find("nav", class_="app-language-switch").find("a")
    assert (link.text(), link.attrs["hreflang"], link.attrs["href"]) == ("English", "en", "/a.en/")


def test_pages_that_link_here_are_in_the_page_language(make_site):
    out = build_ok(welsh_site(make_site))
    cherries = html_of(out, "policy/cherries/index.html").find("section", aria_labelledby="backlinks-title")
    assert [a.text() for a in cherries.find_all("a")] == ["Apples"]   # not the Welsh page that links to it too
    bananas = html_of(out, "policy/bananas.cy/index.html").find("section", aria_labelledby="backlinks-title")
    assert [a.text() for a in bananas.find_all("a")] == ["Afalau"]


def test_the_theme_tables_read_as_yaml_reads_them():
    """strings._table reads the tables with LibYAML's parser where there is one: the same words."""
    import yaml

    from policysite import strings

    for path in sorted(strings.STRINGS_DIR.glob("*.yaml")):
        expected = {str(k): str(v) for k, v in yaml.safe_load(path.read_text(encoding="utf-8")).items()}
        assert strings._table(path.stem) == expected, path.name
