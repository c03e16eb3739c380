"""`markdown_extensions:` in site_config.yaml: Python-Markdown extensions a site adds after ours."""

from __future__ import annotations

import copy
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, build, build_fails, html_of, main_text, page, read_tree, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policysite import markup, mdext
from policysite.config import load_config
from policysite.diagnostics import Diagnostics
from policysite.links import Resolver
from policysite.site import build_site

CONFIG = "title: Department of Testing\nbase_url: https://www.example.gov.uk/\n"
P = "content/p.md"
BODY = ('!!! note "Before you start"\n    Check *this*.\n\nLine one\nline two\n\nText[^n].\n\n'
        'Term\n: Definition\n\n[^n]: The note.\n')


def test_extensions_from_the_standard_distribution_show_in_the_output(make_site):
    config = CONFIG + textwrap.dedent("""\
        markdown_extensions:
          - admonition
          - markdown.extensions.nl2br
          - footnotes:
              BACKLINK_TEXT: "back to the text"
          - def_list
        """)
    site = make_site({"site_config.yaml": config, P: page("P", body=BODY)})
    r = build(site)
    assert r.code == 0 and r.diagnostics == [], r.err
    main = main_text(html_of(site / "_site", "p/index.html"))
    note = main.find("div", class_="admonition note")
    assert note is not None and note.find("p", class_="admonition-title").text() == "Before you start"
    assert main.find("br") is not None   # nl2br: a line break inside a paragraph
    backlinks = main.find_all("a", class_="footnote-backref")
    assert [a.text() for a in backlinks] == ["back to the text"]   # our footnotes, with the site's settings, once
    assert main.find("dl") is not None


def test_without_the_setting_the_output_is_ours(make_site):
    site = make_site({P: page("P", body=BODY)})
    r = build(site)
    assert r.code == 0, r.err
    main = main_text(html_of(site / "_site", "p/index.html"))
    assert main.find("div", class_="admonition note") is None and main.find("br") is None


@pytest.mark.parametrize("entry, words", [
    ("  - no_such_extension_here", ("`no_such_extension_here` cannot be found", "install")),
    ("  - toc: {no_such_setting: 1}", ("`toc` has no setting `no_such_setting`",)),
    ("  - toc: [1, 2]", ("settings of Markdown extension `toc`",)),
    ("  - 42", ("must be a list",)),
    ("  - {a: 1, b: 2}", ("must be a list",)),
    ("  - os.path", ("`os.path` is not a Python-Markdown extension",)),
    ("  - ':x'", ("`:x` cannot be found",)),
])
def test_an_extension_that_cannot_be_used_is_an_error_at_its_line(make_site, entry, words):
    config = CONFIG + "markdown_extensions:\n  - admonition\n" + entry + "\n"
    site = make_site({"site_config.yaml": config, P: page("P")})
    build_fails(site, "site_config.yaml", 5, *words)


def test_the_setting_must_be_a_list(make_site):
    site = make_site({"site_config.yaml": CONFIG + "markdown_extensions: admonition\n", P: page("P")})
    build_fails(site, "site_config.yaml", 3, "must be a list")


@pytest.fixture
def site_module(tmp_path, monkeypatch):
    """site_module(name, source): an importable module of the test's own, as an installed extension would be."""
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))

    def make(name: str, source: str) -> str:
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
        sys.modules.pop(name, None)
        return name
    yield make


NOT_EXTENSIONS = """\
from pathlib import Path
def run(marker):
    Path(marker).write_text("ran")
class Plain:
    def __init__(self, marker):
        Path(marker).write_text("ran")
makeExtension = Plain
"""


@pytest.mark.parametrize("suffix", [":run", ":Plain", ""])
def test_a_name_that_is_not_an_extension_is_never_called(make_site, site_module, tmp_path, suffix):
    # Else site_config.yaml could run any function of any installed module (`os:system`)
    # with settings of its choice: code that no hook review would see.
    name = site_module("policysite_test_not_ext", NOT_EXTENSIONS)
    marker = tmp_path / "marker"
    config = CONFIG + f"markdown_extensions:\n  - {name}{suffix}:\n      marker: {str(marker)!r}\n"
    site = make_site({"site_config.yaml": config, P: page("P")})
    build_fails(site, "site_config.yaml", 4, f"`{name}{suffix}` is not a Python-Markdown extension")
    run("check", site)
    assert not marker.exists()


RAISES_ON_SETUP = """\
from markdown.extensions import Extension
class Broken(Extension):
    def extendMarkdown(self, md):
        raise RuntimeError("cannot start")
def makeExtension(**kwargs):
    return Broken(**kwargs)
"""

RAISES_ON_A_PAGE = """\
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
class Fussy(Preprocessor):
    def run(self, lines):
        if any("BOOM" in line for line in lines):
            raise ValueError("found BOOM")
        return lines
class FussyExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(Fussy(md), "fussy", 5)
def makeExtension(**kwargs):
    return FussyExtension(**kwargs)
"""

SHOUTS = """\
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
class Shout(Treeprocessor):
    def run(self, root):
        for el in root.iter("p"):
            if el.text:
                el.text = el.text.upper()
class ShoutExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {"mark": ["", "added after each paragraph's text"]}
        super().__init__(**kwargs)
    def extendMarkdown(self, md):
        md.treeprocessors.register(Shout(md), "shout", 1)
def makeExtension(**kwargs):
    return ShoutExtension(**kwargs)
"""


def test_an_extension_that_fails_to_set_itself_up_is_an_error_at_its_line(make_site, site_module):
    name = site_module("policysite_test_broken_ext", RAISES_ON_SETUP)
    site = make_site({"site_config.yaml": CONFIG + f"markdown_extensions:\n  - {name}\n", P: page("P")})
    build_fails(site, "site_config.yaml", 4, f"`{name}` failed while setting itself up", "cannot start")


def test_an_extension_that_fails_on_a_page_is_an_error_at_that_page(make_site, site_module):
    name = site_module("policysite_test_fussy_ext", RAISES_ON_A_PAGE)
    site = make_site({"site_config.yaml": CONFIG + f"markdown_extensions:\n  - {name}\n",
                      P: page("P", body="Fine.\n\nBOOM\n"), "content/q.md": page("Q")})
    r = build_fails(site, P, 5, "Markdown extension", "found BOOM")
    assert not any(path == "content/q.md" for path, *_ in r.diagnostics)


def test_a_third_party_extension_runs_without_the_stand_ins(make_site, site_module):
    name = site_module("policysite_test_shout_ext", SHOUTS)
    config = CONFIG + f"markdown_extensions:\n  - {name}:\n      mark: '!'\n"
    site = make_site({"site_config.yaml": config, P: page("P", body="quiet words\n")})
    r = build(site)
    assert r.code == 0, r.err
    assert "QUIET WORDS" in (site / "_site/p/index.html").read_text()
    renderer = _renderer(site, speedups=True)
    assert renderer.speedups is False and not hasattr(renderer.md, "speedups")


def test_standard_extensions_keep_the_stand_ins(make_site):
    site = make_site({"site_config.yaml": CONFIG + "markdown_extensions:\n  - admonition\n  - toc\n", P: page("P")})
    renderer = _renderer(site, speedups=True)
    assert renderer.speedups is True and renderer.md.speedups


def _renderer(site_dir, speedups: bool) -> markup.MarkdownRenderer:
    diagnostics = Diagnostics()
    site = build_site(site_dir, load_config(site_dir, diagnostics), diagnostics)
    return markup.MarkdownRenderer(Resolver(site), speedups=speedups)


def test_changing_the_extensions_renders_again_as_a_clean_build_would(make_site, tmp_path):
    site = make_site({P: page("P", body=BODY)})
    out = tmp_path / "out"
    assert run("build", str(site), "--output", str(out)).code == 0
    assert "admonition" not in (out / "p/index.html").read_text()
    (site / "site_config.yaml").write_text((site / "site_config.yaml").read_text() + "markdown_extensions:\n  - admonition\n")
    assert run("build", str(site), "--output", str(out)).code == 0
    assert 'class="admonition note"' in (out / "p/index.html").read_text()
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns(".policysite*", "_site"))
    assert run("build", str(clean), "--output", str(tmp_path / "clean-out")).code == 0
    assert read_tree(out) == read_tree(tmp_path / "clean-out")


def test_the_fingerprint_follows_names_and_settings():
    a = mdext.fingerprint([mdext.ExtensionSetting("toc", {"permalink": True})])
    assert a == mdext.fingerprint([mdext.ExtensionSetting("toc", {"permalink": True}, line=9)])
    assert a != mdext.fingerprint([mdext.ExtensionSetting("toc", {"permalink": False})])
    assert a != mdext.fingerprint([mdext.ExtensionSetting("admonition")])
    assert mdext.fingerprint([]) != a


# -- the stand-ins give Python-Markdown's own output with every extension they allow ----------

SAMPLES = [
    BODY,
    '!!! warning\n    **Careful** [a link](other.md).\n\n!!! danger "Title"\n\n    Later.\n\n??? not admonition',
    "[TOC]\n\n## One\n\n### Two *em*\n\n## One\n\nText.",
    "Line one\nline two  \nthree\n\n\"Quotes\" -- and --- 'single' ... <<angle>>",
    "[[Wiki Link]] and [[Another_Page]] [not [[nested]]]",
    "Title: Meta\nAuthor: Someone\n\nBody text.",
    "```python\nprint('x')\n```\n\n    :::python\n    code\n\n~~~{.css}\nx{}\n~~~",
    '<div markdown="1">\n*inside*\n</div>\n\n<section markdown="block">\n## Head\n</section>',
    "_connected_words_ and __strong__ and *em* a_b_c",
    "Para {: #id .cls }\n\n*[HTML]: Hyper Text\n\nHTML here.\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    "Term\n: Def\n\n1. one\n2. two\n\n* a\n* b\n\n3. three\n\ntext[^1]\n\n[^1]: note",
]


def _markdown_files():
    """The repository's own Markdown files. Folders left out are not walked at all: a benchmark's
    generated sites under bench/out hold hundreds of thousands of files."""
    skip = {"node_modules", "_site", "out"}
    found = []
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        found += [Path(folder) / name for name in files if name.endswith(".md") and not name.startswith(".")]
    return sorted(found)


def _pair(names: list[str]):
    site_dir = FIXTURES / "policy-site"
    diagnostics = Diagnostics()
    site = build_site(site_dir, load_config(site_dir, diagnostics), diagnostics)
    site.config = copy.copy(site.config)
    site.config.markdown_extensions = [mdext.ExtensionSetting(name) for name in names]
    resolver = Resolver(site)
    stock, quick = markup.MarkdownRenderer(resolver, speedups=False), markup.MarkdownRenderer(resolver)
    assert quick.speedups and not stock.speedups
    template = next(p for p in site.pages if p.source)
    return template, stock, quick


def _same(pair, body: str) -> None:
    template, stock, quick = pair
    one = copy.copy(template)
    one.body, one.body_line = body, 3
    want, got = stock.render(one), quick.render(one)
    assert got.html == want.html
    assert (got.ids, got.toc, got.links, got.deps, got.problems) == (want.ids, want.toc, want.links, want.deps, want.problems)


CHECKED = sorted(name.rsplit(".", 1)[1] for name in mdext.CHECKED_WITH_STAND_INS)


@pytest.mark.parametrize("name", CHECKED)
def test_each_checked_extension_gives_the_same_output_with_and_without_stand_ins(name):
    pair = _pair([name])
    for body in SAMPLES + [p.read_text(encoding="utf-8", errors="replace") for p in _markdown_files()]:
        _same(pair, body)


# Every checked extension at once (those that go together: `legacy_em` replaces emphasis).
ALL_AT_ONCE = ["admonition", "codehilite", "extra", "meta", "nl2br", "smarty", "toc", "wikilinks", "legacy_attrs"]
_PIECES = ["!!! note", "!!! warning \"T\"", "    ", "\n", "\n\n", "[TOC]", "[[Wiki]]", "--", "---", "...", "\"", "'",
           "<<", ">>", "*", "_", "`", "```", "~~~", "[", "]", "(", ")", "other.md", "#", "## ", ":", "Term\n: Def",
           "[^1]", "[^1]: n", "*[A]: B", "A", "{: #x }", '<div markdown="1">', "</div>", "a", "word", "  \n", "|", "-"]


@settings(deadline=None, max_examples=int(os.environ.get("SPEEDUP_EXAMPLES", "100")), derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_checked_extensions_together_give_the_same_output(body):
    _same(_all_pair(), body)


_ALL: list = []


def _all_pair():
    """The renderers with every extension of ALL_AT_ONCE, made once for all examples."""
    if not _ALL:
        _ALL.append(_pair(ALL_AT_ONCE))
    return _ALL[0]


ADDS_RAW_HTML = """
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
class Adds(Postprocessor):
    def run(self, text):
        return text + '<p><b onclick="alert(1)">added</b></p>'
class AddsExtension(Extension):
    def extendMarkdown(self, md):
        md.postprocessors.register(Adds(md), "adds", 1)
def makeExtension(**kwargs):
    return AddsExtension(**kwargs)
"""


def test_a_site_extensions_html_is_cleaned_whatever_the_tree_it_wrote(make_site, site_module):
    """The tree of a plain page needs no cleaning (sanitize.tree_needs_no_cleaning), but a site's
    extension may add HTML after the tree is written: such a site's pages are all cleaned."""
    name = site_module("policysite_test_adds_ext", ADDS_RAW_HTML)
    site = make_site({"site_config.yaml": CONFIG + f"markdown_extensions:\n  - {name}\n", P: page("P", body="Plain words.\n")})
    r = build(site)
    assert r.code == 0, r.err
    html = (site / "_site/p/index.html").read_text()
    assert "<b>added</b>" in html and "onclick" not in html
