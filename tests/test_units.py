"""Units: links.Resolver, site.slugify/folder_title, markup.heading_id/unique_id, yamlfile.load."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import page

from policysite import yamlfile
from policysite.config import load_config, normalise_base_url
from policysite.diagnostics import Diagnostics
from policysite.links import LinkProblem, Resolver
from policysite.markup import heading_id, unique_id
from policysite.site import build_site, folder_title, slugify, valid_url_path
from policysite.write import OutputFolder, OutputProblem

# ---- links.Resolver ------------------------------------------------------------------

@pytest.fixture
def resolver_for(make_site):
    def make(base_url="https://www.example.gov.uk/"):
        site_dir = make_site({
            "site_config.yaml": f"title: T\nbase_url: {base_url}\n",
            "content/policy/_index.md": page("Policy", None),
            "content/policy/a.md": page("Page A"),
            "content/policy/other.md": page("Other"),
            "content/policy/files/report.pdf": b"%PDF",
            "content/care/deep.md": page("Deep"),
            "content/care/moved.md": page("Moved", extra="url: /somewhere/else/"),
            "content/generated/x.md": page("X"),
            "content/wip.md": page("WIP", extra="draft: true"),
            "assets/site.css": "x",
        })
        diagnostics = Diagnostics()
        config = load_config(site_dir, diagnostics)
        site = build_site(site_dir, config, diagnostics)
        assert diagnostics.items == []
        return Resolver(site), site
    return make


@pytest.mark.parametrize("raw,href,target,fragment", [
    ("other.md", "/policy/other/", "content/policy/other.md", ""),
    ("./other.md", "/policy/other/", "content/policy/other.md", ""),
    ("../care/deep.md", "/care/deep/", "content/care/deep.md", ""),
    ("/care/deep.md", "/care/deep/", "content/care/deep.md", ""),
    ("other.md#some-heading", "/policy/other/#some-heading", "content/policy/other.md", "some-heading"),
    ("#local", "#local", "content/policy/a.md", "local"),
    ("/policy/other/", "/policy/other/", "content/policy/other.md", ""),
    ("/policy/other", "/policy/other/", "content/policy/other.md", ""),
    ("/policy/other/#x", "/policy/other/#x", "content/policy/other.md", "x"),
    ("/somewhere/else/", "/somewhere/else/", "content/care/moved.md", ""),
    ("../care/moved.md", "/somewhere/else/", "content/care/moved.md", ""),
    ("_index.md", "/policy/", "content/policy/_index.md", ""),
    ("/", "/", None, ""),
    ("../generated/", "/generated/", None, ""),
    ("other.md?x=1#y", "/policy/other/?x=1#y", "content/policy/other.md", "y"),
    ("other.md#caf%C3%A9", "/policy/other/#caf%C3%A9", "content/policy/other.md", "café"),
])
def test_resolver_pages(resolver_for, raw, href, target, fragment):
    resolver, site = resolver_for()
    here = site.by_source["content/policy/a.md"]
    t = resolver.resolve(raw, here)
    assert t.href == href
    assert t.page is not None and not t.external and t.file is None
    if target:
        assert t.page.source == target
    assert t.fragment == fragment


@pytest.mark.parametrize("raw,href", [
    ("files/report.pdf", "/policy/files/report.pdf"),
    ("/policy/files/report.pdf", "/policy/files/report.pdf"),
    ("../policy/files/report.pdf", "/policy/files/report.pdf"),
    ("/assets/site.css", "/assets/site.css"),
    ("/assets/search.js", "/assets/search.js"),
])
def test_resolver_files(resolver_for, raw, href):
    resolver, site = resolver_for()
    t = resolver.resolve(raw, site.by_source["content/policy/a.md"])
    assert t.href == href and t.file is not None and t.page is None


@pytest.mark.parametrize("raw", [
    "https://www.gov.uk/x", "http://example.org", "HTTPS://EXAMPLE.ORG/", "mailto:a@b.example",
    "tel:+441234567890", "//cdn.example/x.js",
])
def test_resolver_external(resolver_for, raw):
    resolver, site = resolver_for()
    t = resolver.resolve(raw, site.by_source["content/policy/a.md"])
    assert t.external and t.href == raw and t.page is None and t.file is None


@pytest.mark.parametrize("raw,words", [
    ("", ("no address",)),
    ("   ", ("no address",)),
    ("missing.md", ("no page content/policy/missing.md",)),
    ("othr.md", ("did you mean content/policy/other.md",)),
    ("../../outside.md", ("outside content/",)),
    ("/../outside.md", ("outside content/",)),
    ("../../x.pdf", ("outside content/",)),
    ("files/missing.pdf", ("no file content/policy/files/missing.pdf",)),
    ("/nowhere/", ("no page has the address /nowhere/",)),
    ("/img/missing.png", ("no file at /img/missing.png", "content/img/missing.png", "assets/")),
    ("/release-1.2/", ("no page has the address /release-1.2/",)),
    ("/assets/missing.css", ("assets/missing.css",)),
    ("/../../etc/passwd", ("no page has the address /etc/passwd/",)),
    ("../wip.md", ("draft",)),
    ("javascript:alert(1)", ("javascript:", "not allowed")),
    ("JAVASCRIPT:alert(1)", ("javascript:", "not allowed")),
    ("data:text/html;base64,PHNjcmlwdD4=", ("data:", "not allowed")),
    ("vbscript:msgbox(1)", ("vbscript:", "not allowed")),
    ("file:///etc/passwd", ("file:", "not allowed")),
    ("ftp://example.org/", ("ftp:", "not allowed")),
    ("files\\report.pdf", ("`/`",)),
])
def test_resolver_errors(resolver_for, raw, words):
    resolver, site = resolver_for()
    with pytest.raises(LinkProblem) as info:
        resolver.resolve(raw, site.by_source["content/policy/a.md"])
    for word in words:
        assert word.lower() in str(info.value).lower(), str(info.value)


def test_resolver_under_base_path(resolver_for):
    resolver, site = resolver_for("https://example.github.io/health/")
    here = site.by_source["content/policy/a.md"]
    assert resolver.resolve("other.md#x", here).href == "/health/policy/other/#x"
    assert resolver.resolve("/policy/other/", here).href == "/health/policy/other/"
    assert resolver.resolve("files/report.pdf", here).href == "/health/policy/files/report.pdf"
    assert resolver.resolve("/assets/site.css", here).href == "/health/assets/site.css"
    assert resolver.resolve("#top", here).href == "#top"
    assert resolver.resolve("https://x.example/", here).href == "https://x.example/"


def test_resolver_from_generated_section(resolver_for):
    resolver, site = resolver_for()
    section = site.by_url["/generated/"]
    assert resolver.resolve("x.md", section).page.source == "content/generated/x.md"


# ---- site -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,slug", [
    ("health-inequalities", "health-inequalities"),
    ("Health Inequalities", "health-inequalities"),
    ("2002-04-01-nhs-structure", "2002-04-01-nhs-structure"),
    ("news_story 2020", "news-story-2020"),
    ("  spaced  out  ", "spaced-out"),
    ("Café résumé", "cafe-resume"),
    ("a--b__c", "a-b-c"),
    ("-lead-and-trail-", "lead-and-trail"),
    ("what's new?", "what-s-new"),
    ("日本語", ""),
])
def test_slugify(name, slug):
    assert slugify(name) == slug


@pytest.mark.parametrize("name,title", [
    ("health-and-social-care", "Health and social care"),
    ("nhs", "Nhs"),
    ("primary-care-trusts", "Primary care trusts"),
    ("a", "A"),
    ("older_people", "Older people"),
])
def test_folder_title(name, title):
    assert folder_title(name) == title


@pytest.mark.parametrize("url,ok", [
    ("/", True), ("/a/", True), ("/a/b-c/", True), ("/a/../b/", False), ("/./", False),
    ("a/", False), ("/a", False), ("//", False), ("/a//b/", False), ("/a b/", False),
])
def test_valid_url_path(url, ok):
    assert valid_url_path(url) is ok


@pytest.mark.parametrize("value,normal", [
    ("https://www.example.gov.uk", "https://www.example.gov.uk/"),
    ("https://example.github.io/health", "https://example.github.io/health/"),
    ("http://localhost:8000/", "http://localhost:8000/"),
    ("ftp://x.example/", None),
    ("www.example.gov.uk", None),
    ("https://x.example/?q=1", None),
    ("https://x.example/a/../b/", None),
    ("javascript:alert(1)", None),
])
def test_normalise_base_url(value, normal):
    assert normalise_base_url(value) == normal


# ---- markup -------------------------------------------------------------------------------

@pytest.mark.parametrize("text,ident", [
    ("Some heading", "some-heading"),
    ("Health & Care: the 2020 Plan", "health-care-the-2020-plan"),
    ("  Leading and trailing  ", "leading-and-trailing"),
    ("Multiple   spaces", "multiple-spaces"),
    ("Already-hyphenated words", "already-hyphenated-words"),
    ("snake_case_words", "snake-case-words"),
    ("What's new?", "whats-new"),
    ("Café", "café"),
    ("!!!", "section"),
    ("", "section"),
])
def test_heading_id(text, ident):
    assert heading_id(text) == ident


def test_unique_id():
    taken = set()
    out = []
    for base in ["x", "x", "x", "y", "x-1"]:
        ident = unique_id(base, taken)
        taken.add(ident)
        out.append(ident)
    assert out == ["x", "x-1", "x-2", "y", "x-1-1"]


# ---- yamlfile -----------------------------------------------------------------------------

def test_yaml_lines_of_keys_and_items():
    text = "title: A\ndescription: d\ntopics:\n  - one\n  - two\nimage:\n  src: x.png\n  alt: X\n"
    data = yamlfile.load(text, first_line=2)
    assert data == {"title": "A", "description": "d", "topics": ["one", "two"], "image": {"src": "x.png", "alt": "X"}}
    assert data.line_of("title") == 2
    assert data.line_of("topics") == 4
    assert data["topics"].line_of(0) == 5 and data["topics"].line_of(1) == 6
    assert data["image"].line_of("alt") == 9
    assert data.line_of("missing") == data.line


def test_yaml_values():
    data = yamlfile.load("d: 2008-11-06\nn: 3\nb: true\ns: '2008'\nnothing:\n")
    assert data == {"d": dt.date(2008, 11, 6), "n": 3, "b": True, "s": "2008", "nothing": None}


def test_yaml_bad_date_kept_as_bad_date():
    data = yamlfile.load("d: 2008-02-30\n")
    assert isinstance(data["d"], yamlfile._BadDate)


@pytest.mark.parametrize("text,line,words", [
    ("a: 1\nb: 2\na: 3\n", 3, ("`a` is given twice", "first at line 1")),
    ("x:\n  k: 1\n  k: 2\n", 3, ("`k` is given twice",)),
    ("a: &anchor 1\nb: *anchor\n", 2, ("aliases",)),
    ("a: &l [1, 2]\nb: 1\nc: *l\n", 3, ("aliases",)),
    ("a: !!python/object/apply:os.system ['echo hi']\n", 1, ("tag",)),
    ("a: !!python/name:os.system\n", 1, ("tag",)),
    ("a: !custom x\n", 1, ("tag",)),
    ("<<: {a: 1}\n", 1, ("merge",)),
    ("a: [1, 2\n", 1, ("not valid YAML",)),
    ("a: 1\n b: 2\n", 2, ("not valid YAML",)),
    ("a:\n\t- x\n", 2, ("tabs",)),
    ("a: b: c\n", 1, ("quotes",)),
    ("? [a, b]\n: 1\n", 1, ("plain text",)),
])
def test_yaml_problems(text, line, words):
    with pytest.raises(yamlfile.YamlProblem) as info:
        yamlfile.load(text)
    assert info.value.line == line, info.value.message
    for word in words:
        assert word.lower() in info.value.message.lower(), info.value.message


def test_yaml_key_given_twice_noted_and_first_value_kept():
    repeated = []
    data = yamlfile.load("a: 1\nb: 2\na: 3\nx:\n  k: 1\n  k: 2\n", repeated=repeated)
    assert data == {"a": 1, "b": 2, "x": {"k": 1}}
    assert [(p.line, p.message.split(" (")[0]) for p in repeated] == [(3, "`a` is given twice"), (6, "`k` is given twice")]
    assert data.line_of("a") == 1


def test_yaml_problem_lines_offset_by_first_line():
    with pytest.raises(yamlfile.YamlProblem) as info:
        yamlfile.load("a: 1\na: 2\n", first_line=10)
    assert info.value.line == 11


def test_yaml_billion_laughs_refused_quickly():
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f'{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n'
        for i in range(8))
    with pytest.raises(yamlfile.YamlProblem) as info:
        yamlfile.load(text)
    assert "aliases" in info.value.message


def test_yaml_empty_and_scalar():
    assert yamlfile.load("") is None
    assert yamlfile.load("# only a comment\n") is None
    assert yamlfile.load("just text") == "just text"
    assert isinstance(yamlfile.load("- a\n- b\n"), list)


SCALARS = ["plain", "'quoted'", '"2008"', "2008-11-06", "2008-02-30", "2001-12-14 21:59:43.10 -5", "3", "-0x1f",
           "0o17", "017", "1_000", "1:20", "3.5", "-.5e+3", ".inf", "-.INF", ".NaN", "1e400", "yes", "No", "off", "TRUE",
           "~", "null", "Null", "", "=", "<<x", "123456789012345678901234567890", "!!str 3", "!!int '7'",
           "!!float 2", "!!bool true", "!!null ''", "!!timestamp 2008-11-06", "é", "a b  c", "x: y"]


@pytest.mark.parametrize("value", SCALARS)
def test_yaml_scalars_read_as_pyyaml_reads_them(value):
    """Our node walker takes shortcuts for common scalars: the values (and types) must stay PyYAML's own."""
    import yaml
    text = f"v: {value}\nw:\n  - {value}\n"
    try:
        expected = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        expected = None   # PyYAML refuses it: we report it, or keep a date that is not one
    for _ in range(2):   # the second time from the remembered tags
        try:
            data = yamlfile.load(text)
        except yamlfile.YamlProblem:
            assert expected is None
            continue
        if expected is None:
            assert isinstance(data["v"], yamlfile._BadDate) and data["v"] == value
        else:
            assert repr(data) == repr(expected) and type(data["v"]) is type(expected["v"])


@pytest.mark.parametrize("path", ["content/a.md", "content/_index.md", "content/x/b.markdown", "content/.md",
                                  "content/a.", "content/a.b.c", "content/noext", "a.md", "content/x/", "content/x/."])
def test_file_stem_is_pathlib_stem(path):
    from pathlib import PurePosixPath

    from policysite.load import file_stem
    assert file_stem(path) == PurePosixPath(path).stem


# ---- sanitize.scan --------------------------------------------------------------------------

from policysite import sanitize  # noqa: E402


@pytest.mark.parametrize("text,found", [
    ("See <https://www.gov.uk/x> and <name@example.gov.uk>.\n", []),
    ("<mailto:name@example.gov.uk>\n", []),
    ("Text\n\n<script>x</script>\n", [(3, "<script>")]),
    ("<tel:+441234567890>\n", [(1, "<tel:+441234567890>")]),
    ("<javascript:alert(1)>\n", [(1, "<javascript:alert(1)>")]),
    ('<a href="java\tscript:alert(1)">x</a>\n', [(1, "javascript:")]),
    ('<a href="JAVASCRIPT:alert(1)">x</a>\n', [(1, "javascript:")]),
    ('<a href="https://x.example/" onclick="y">x</a>\n', [(1, "onclick")]),
    ('<a href="other.md">x</a>\n', []),   # resolved like a Markdown link, by markup
    ("Use `<script>` here.\n", []),
    ("```\n<script>\n```\n<iframe>\n", [(4, "<iframe>")]),
    ("Para:\n\n    <script>code</script>\n\n    <iframe>\n\n<embed>\n", [(7, "<embed>")]),
    ("Para\n    <script>lazy continuation</script>\n", [(2, "<script>")]),
    ("- item\n\n    <b onclick=\"x\">more</b>\n", [(3, "onclick")]),
    ("1. item\n\n    <b onclick=\"x\">more</b>\n\nAfter\n\n    <script>code</script>\n", [(3, "onclick")]),
    ("[x](<a b.md>)\n", []),
])
def test_sanitize_scan(text, found):
    got = sanitize.scan(text, first_line=1)
    assert [f.line for f in got] == [line for line, _ in found], got
    for finding, (_, word) in zip(got, found, strict=True):
        assert word in finding.message


def test_sanitize_scan_counts_from_first_line():
    assert [f.line for f in sanitize.scan("a\n<script>\n", first_line=10)] == [11]


def test_sanitize_clean():
    html = '<p onclick="x">a<script>alert(1)</script><a href="javascript:y">b</a><iframe src="x"></iframe></p>'
    out = sanitize.clean(html)
    assert out == '<p>a<a>b</a></p>'


def test_resolver_relative_to_source_file_not_url(resolver_for):
    resolver, site = resolver_for()
    moved = site.by_source["content/care/moved.md"]
    assert moved.url == "/somewhere/else/"
    assert resolver.resolve("deep.md", moved).href == "/care/deep/"
    assert resolver.resolve("../policy/other.md", moved).href == "/policy/other/"


@pytest.mark.parametrize("rel", ["../x.html", "a/../../x.html", "/etc/x.html", "..", ".", "", "a/\x00.html"])
def test_the_output_folder_refuses_paths_that_leave_it(tmp_path, rel):
    folder = OutputFolder(tmp_path / "out")
    try:
        with pytest.raises(OutputProblem, match="outside the output folder"):
            folder.write(rel, b"x")
        assert sorted(p.name for p in tmp_path.iterdir()) == [folder.tmp.name]
    finally:
        folder.discard()


def test_the_output_folder_writes_inside_it(tmp_path):
    folder = OutputFolder(tmp_path / "out")
    folder.write("a/b/../c/index.html", b"x")
    folder.commit()
    assert (tmp_path / "out/a/c/index.html").read_bytes() == b"x"


def test_the_output_folder_replaces_a_linked_file_and_remakes_a_folder_gone_since(tmp_path):
    import os

    outside = tmp_path / "previous.html"
    outside.write_bytes(b"old")
    folder = OutputFolder(tmp_path / "out")
    try:
        folder.write("a/index.html", b"1")
        os.link(outside, folder.tmp / "a/page.html")   # as BuildSink links the last output's file
        folder.write("a/page.html", b"new")
        assert outside.read_bytes() == b"old" and (folder.tmp / "a/page.html").read_bytes() == b"new"
        os.unlink(folder.tmp / "a/index.html")
        os.unlink(folder.tmp / "a/page.html")
        os.rmdir(folder.tmp / "a")   # a folder it made, gone (as when the spare starts afresh)
        folder.write("a/index.html", b"2")
        assert (folder.tmp / "a/index.html").read_bytes() == b"2"
    finally:
        folder.discard()


def test_the_build_cache_reads_back_what_it_wrote(tmp_path):
    import datetime as dt

    from policysite.cache import BuildCache, LoadRecord, MarkdownRecord, OutputRecord, PageData, SearchRecord

    cache = BuildCache()
    data = PageData(kind="page", title="Ä \"quoted\"", description="d", fields={"date": dt.date(2020, 1, 2), "title": "Ä"},
                    lines={"title": 2}, body="Body\u2028", body_line=4)
    cache.loaded = {"content/a.md": LoadRecord(key="k1", page=data, diagnostics=[]),
                    "content/b.md": LoadRecord(key="k2", page=None, diagnostics=[["x", 1, "error", "m", "code"]])}
    cache.markdown = {"content/a.md": MarkdownRecord(key="m1", html="<p>\u2028</p>", sha="s", ids=["a"], toc=[],
                                                     links=["b.md"], deps=[["b.md", ["/b/", "B", None]]],
                                                     problems=[[3, "warning", "w"]])}
    cache.outputs = {"a/index.html": OutputRecord(ctx="c", sha="s")}
    cache.search = SearchRecord(key="q", files={"search/index.json": "h"})
    cache.write(tmp_path / "c.json.gz")
    back = BuildCache.read(tmp_path / "c.json.gz")
    assert (back.loaded, back.markdown, back.outputs, back.search) == (cache.loaded, cache.markdown, cache.outputs, cache.search)
    empty = BuildCache()
    empty.write(tmp_path / "e.json.gz")
    assert BuildCache.read(tmp_path / "e.json.gz").loaded == {}


def _cache_of(n: int, text: str = "body", repeat: int = 50):
    from policysite.cache import BuildCache, MarkdownRecord, OutputRecord

    cache = BuildCache()
    cache.markdown = {f"content/{i}.md": MarkdownRecord(key=f"k{i}", html=f"<p>{text} {i}</p>" * repeat, sha="s", ids=[],
                                                       toc=[], links=[], deps=[], problems=[]) for i in range(n)}
    cache.outputs = {f"{i}/index.html": OutputRecord(ctx=f"c{i}", sha="s") for i in range(n)}
    return cache


def test_the_build_cache_appends_only_what_changed_and_reads_only_what_is_asked_for(tmp_path):
    import dataclasses

    from policysite.cache import BuildCache

    index = tmp_path / "c" / "build.json"
    _cache_of(200).write(index)
    pack = next(index.parent.glob("build.json-*.pack"))
    size = pack.stat().st_size
    cache = BuildCache.read(index)
    assert len(cache.markdown) == 200 and not cache.markdown.records   # keys at once, records when asked
    first = cache.markdown["content/0.md"]
    assert list(cache.markdown.records) == ["content/0.md"]
    cache.markdown["content/0.md"] = dataclasses.replace(first, html="<p>edited</p>")
    cache.outputs = dict(cache.outputs)   # assigned anew, the same records: nothing to write for them
    cache.write(index)
    assert next(index.parent.glob("build.json-*.pack")) == pack
    assert size < pack.stat().st_size < size + 200   # the one changed record
    back = BuildCache.read(index)
    assert back.markdown["content/0.md"].html == "<p>edited</p>" and back.markdown["content/1.md"] == _cache_of(2).markdown["content/1.md"]
    assert back.outputs == _cache_of(200).outputs
    mtime = index.stat().st_mtime_ns
    back.write(index)   # nothing changed: nothing written
    assert index.stat().st_mtime_ns == mtime


def test_a_build_cache_mostly_garbage_is_compacted(tmp_path):
    from policysite.cache import BuildCache

    index = tmp_path / "build.json"
    _cache_of(300, repeat=200).write(index)
    for text in ("one", "two", "three"):
        cache = BuildCache.read(index)
        cache.markdown = _cache_of(300, text, 200).markdown
        cache.write(index)
    packs = list(tmp_path.glob("build.json-*.pack"))
    live = sum(len(r.html) for r in _cache_of(300, "three", 200).markdown.values())
    assert len(packs) == 1 and packs[0].stat().st_size < 2.2 * live
    assert BuildCache.read(index).markdown == _cache_of(300, "three", 200).markdown
    # A few records at a time are appended, until most of the pack is garbage.
    for round_ in range(12):
        cache = BuildCache.read(index)
        for i in range(40):
            cache.markdown[f"content/{i}.md"] = _cache_of(300, f"round {round_}", 200).markdown[f"content/{i}.md"]
        cache.write(index)
    packs = list(tmp_path.glob("build.json-*.pack"))
    assert len(packs) == 1 and packs[0].stat().st_size < 2.2 * live
    back = BuildCache.read(index).markdown
    assert back["content/0.md"].html.startswith("<p>round 11 0") and back["content/299.md"].html.startswith("<p>three 299")


def test_a_damaged_build_cache_is_an_empty_cache_or_misses_the_damaged_records(tmp_path):
    from policysite.cache import BuildCache

    index = tmp_path / "build.json"
    _cache_of(100).write(index)
    pack = next(tmp_path.glob("build.json-*.pack"))
    good = pack.read_bytes()
    # A byte changed inside one record: that record is missing, the others are read.
    at = good.index(b"body 37")
    pack.write_bytes(good[:at] + b"B" + good[at + 1:])
    cache = BuildCache.read(index)
    assert "content/37.md" not in cache.markdown and cache.markdown.get("content/37.md") is None
    assert cache.markdown["content/36.md"].html.startswith("<p>body 36")
    assert len([k for k in cache.markdown if cache.markdown.get(k) is not None]) == 99
    cache.markdown.prefetch()
    # Cut short, missing, or an index that is not ours: an empty cache.
    pack.write_bytes(good[:len(good) // 2])
    assert BuildCache.read(index).markdown == {}
    pack.unlink()
    assert BuildCache.read(index).outputs == {}
    for text in ("{", "[]", '{"format": 5}', '{"pack": "../x", "end": 1, "sections": {}}'):
        index.write_text(text)
        assert BuildCache.read(index).loaded == {}


def test_an_interrupt_inside_the_sanitiser_is_not_lost(monkeypatch):
    from policysite import sanitize

    real = sanitize._url_filter

    def interrupted(tag, name, value):
        if value == "/stop/":
            raise KeyboardInterrupt
        return real(tag, name, value)

    monkeypatch.setattr(sanitize, "_url_filter", interrupted)
    monkeypatch.setattr(sanitize, "_CLEANER", None)   # nh3.clean looks the filter up on each call
    assert 'href="/go/"' in sanitize.clean('<a href="/go/">x</a>')
    with pytest.raises(KeyboardInterrupt):
        sanitize.clean('<a href="/stop/">x</a>')


def test_t_remembers_each_wording_yet_escapes_plain_values_and_keeps_safe_ones():
    from markupsafe import Markup

    from policysite.strings import Translator

    t = Translator({"plain": "A & B", "hello": "Hello {name}, page {page}"})
    assert t("plain") == Markup("A &amp; B") and t("plain") is t("plain")
    assert t("hello", name="<b>", page=2) == "Hello &lt;b&gt;, page 2"
    # Equal text, but safe: not escaped, whatever was remembered for the plain one.
    assert t("hello", name=Markup("<b>"), page=2) == "Hello <b>, page 2"
    assert t("hello", name="<b>", page=2) == "Hello &lt;b&gt;, page 2"
    assert t("hello", name=["<i>"], page=2) == "Hello [&#39;&lt;i&gt;&#39;], page 2"   # not remembered, still escaped
    with pytest.raises(KeyError):
        t("missing")


def test_layouts_output_values_escaped_exactly_as_markupsafe_escapes_them():
    from markupsafe import Markup, escape

    from policysite.templates import _Environment

    env = _Environment(autoescape=True)
    template = env.from_string("{{ v }}|{% set b %}<{{ v }}>{% endset %}{{ b }}|{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(v) }}")
    for value in ["plain", "a & b < c > d 'e' \"f\"", "", Markup("<em>safe</em>"), 3, 2.5, None, True, ["<x>"]]:
        text = str(escape(value))
        assert template.render(v=value) == f"{text}|<{text}>|[{text}]", value


def test_layout_calls_give_the_same_answers_as_jinja_with_the_quick_path():
    import jinja2

    from policysite.strings import Translator
    from policysite.templates import _Context, _Environment

    source = ("{{ t('hi', name=n) }}|{{ 'abc'.startswith('a') }}|{% set xs = [] %}{% for i in [1, 2] %}"
              "{% set _ = xs.append(i) %}{% endfor %}{{ xs }}|{{ who() }}|{{ env_name() }}")

    @jinja2.pass_context
    def who(ctx):
        return ctx["n"]

    @jinja2.pass_environment
    def env_name(env):
        return type(env).__name__

    values = {"t": Translator({"hi": "Hi {name}"}), "n": "<b>", "who": who, "env_name": env_name}
    quick = _Environment(autoescape=True)
    assert quick.context_class is _Context   # the quick path is the one tested
    plain = _Environment(autoescape=True)
    plain.context_class = jinja2.runtime.Context
    expected = "Hi &lt;b&gt;|True|[1, 2]|&lt;b&gt;|_Environment"
    assert plain.from_string(source).render(values) == expected
    assert quick.from_string(source).render(values) == expected


def test_css_string_escapes_all_but_letters_digits_and_a_few_marks():
    from policysite.templates import css_string

    assert css_string("https://www.example.gov.uk/a_b-c/?q=1&x=%20~+,#top") == '"https://www.example.gov.uk/a_b-c/?q=1&x=%20~+,#top"'
    assert css_string('Café ٣ "</style>;', quoted=False) == 'Café ٣ \\22 \\3c /style\\3e \\3b '
    assert css_string("a\nb") == '"a\\a b"'


def test_collector_paused_nests_and_leaves_the_collector_as_it_found_it():
    import gc

    from policysite.heap import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()   # the inner block found it off: it stays off
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()   # off before: off after
    finally:
        gc.enable()


def test_frozen_nests_and_only_the_outermost_block_lets_go():
    import gc

    from policysite.heap import frozen, lasting

    assert gc.get_freeze_count() == 0
    with frozen():
        before = gc.get_freeze_count()
        assert before > 0
        with frozen():
            pass
        assert gc.get_freeze_count() >= before   # the inner block ending lets nothing go
        with lasting():
            made = [[n] for n in range(100)]
            assert not gc.isenabled()
        assert gc.isenabled() and gc.get_freeze_count() >= before + len(made)   # frozen as the step ends
    assert gc.get_freeze_count() == 0
