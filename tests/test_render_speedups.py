"""The renderer's stand-ins for parts of Python-Markdown give exactly its output.

`MarkdownRenderer(resolver, speedups=False)` is the same pipeline without them.
Both render the same bodies (every Markdown file in the repository, tricky
snippets, random soups of Markdown's special characters and random documents
of Markdown lines) and every part of the result must be equal: HTML, ids,
contents, links and problems.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import markdown
import nh3
import pytest
from conftest import FIXTURES, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policysite import markup, mdspeed, sanitize
from policysite.config import load_config
from policysite.diagnostics import Diagnostics
from policysite.links import Resolver
from policysite.site import build_site


@pytest.fixture(scope="module")
def renderers():
    site_dir = FIXTURES / "policy-site"
    diagnostics = Diagnostics()
    site = build_site(site_dir, load_config(site_dir, diagnostics), diagnostics)
    resolver = Resolver(site)
    template = next(p for p in site.pages if p.source)
    return template, markup.MarkdownRenderer(resolver, speedups=False), markup.MarkdownRenderer(resolver)


def _same(renderers, body: str, body_line: int = 3) -> None:
    template, stock, quick = renderers
    page = copy.copy(template)
    page.body, page.body_line = body, body_line
    want, got = stock.render(page), quick.render(page)
    assert got.html == want.html
    assert (got.ids, got.toc, got.links, got.deps, got.problems) == \
        (want.ids, want.toc, want.links, want.deps, want.problems)


def test_every_stand_in_is_in_use(renderers):
    # A stand-in is left out when the Python-Markdown code it was checked against has
    # changed (an upgrade): rendering is still right, only slower. Check each one's
    # reasoning against the new code, then update mdspeed.DIGESTS from
    # {name: mdspeed.digest(parts) for name, parts in mdspeed.depends().items()}.
    md = renderers[2].md
    if _version(markdown.__version__) < _version(mdspeed.CHECKED_WITH):
        # An older Python-Markdown, as the lowest-dependencies CI job installs: the stand-ins
        # whose code it shares, and the same output (the other tests here compare it).
        same = {name for name, parts in mdspeed.depends().items()
                if parts is not None and mdspeed.DIGESTS.get(name) == mdspeed.digest(parts)}
        if "inline" not in same:
            same.discard("references")   # it is a setting of the inline stand-in
        assert set(md.speedups) == (same & set(mdspeed.STAND_INS)) | {"block_level"}
        return
    assert sorted(md.speedups) == sorted(mdspeed.STAND_INS)
    assert type(md.treeprocessors["inline"]) is mdspeed.QuickInline
    assert all(mdspeed.inline_needs(pattern) is not None for pattern in md.inlinePatterns)
    assert not hasattr(renderers[1].md, "speedups")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_a_changed_python_markdown_gets_no_stand_ins(renderers, monkeypatch):
    monkeypatch.setattr(mdspeed, "DIGESTS", {name: "0" * 16 for name in mdspeed.DIGESTS})
    template, stock, _quick = renderers
    plain = markup.MarkdownRenderer(stock.resolver)
    assert plain.md.speedups == ["block_level"]   # SetList rests on no Python-Markdown code
    assert type(plain.md.treeprocessors["inline"]) is not mdspeed.QuickInline
    _same((template, stock, plain), "## Heading\n\nText, [a link](other.md), *em*.\n\n| a | b |\n|---|---|\n| 1 | 2 |")


def test_set_list_is_a_list_whose_in_is_quick():
    items = mdspeed.SetList(["p", "div"])
    assert "p" in items and "span" not in items
    items.append("span")
    assert "span" in items
    items.remove("p")
    assert "p" not in items
    items += ["p"]
    items[0] = "q"
    assert "q" in items and "div" not in items and type(items) is mdspeed.SetList
    del items[0]
    assert "q" not in items
    assert ["x"] in mdspeed.SetList([["x"]]) and 1 in mdspeed.SetList(["a", 1])


def _markdown_files():
    """The repository's own Markdown: not what builds, benchmarks or installs leave behind."""
    skip = {".venv", "node_modules", ".git", "_site", "out"}   # bench/out holds generated sites
    return sorted(p for p in REPO.rglob("*.md")
                  if not any(part in skip or part.startswith(".") for part in p.relative_to(REPO).parts))


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_repository_markdown(renderers, path: Path):
    _same(renderers, path.read_text(encoding="utf-8", errors="replace"))


SNIPPETS = [
    "Plain text only.",
    "*em* **strong** ***both*** _u_ __uu__ a_b_c 2*3*4",
    "`code` ``co`de`` \\`not code\\` \\\\`x`",
    "[link](other.md) [](other.md) ![alt](files/chart.png) ![](x.png) [ref][r] [r]\n\n[r]: other.md",
    "text[^1] and [^2]\n\n[^1]: One.\n[^2]: Two [link](other.md).",
    "<https://example.org/a> <name@example.org> <b>raw</b> &amp; &copy; &#42; &#x2A; & alone",
    "line one  \nline two\\\nthree",
    "*[NHS]: National Health Service\n\nThe NHS and NHS-like NHS.",
    "## Heading *em* `code`\n\n## Heading *em* `code`\n\n# Top\n\nSetext\n---",
    "^Information with [a link](other.md)^\n\n%Warning *now*%\n\n^never closed",
    "$CTA\nCall **now**\n$CTA\n\n$A\nLine 1\nLine 2\n$A\n\n$E\nunclosed",
    "s1. First *step*\ns2. Second\n  more\n\nafter",
    "> Quote *with* em\n>\n> \u2014 Someone, [2013](other.md)",
    "| a | *b* |\n|---|:-:|\n| [x](#intro) | `|` |",
    "Term\n: Definition *em*\n\n- a\n- b\n\n1. x\n2. y",
    "```\n*not em* [not](link)\n```\n\n    indented *code*\n\n~~~ python\n<b>x</b>\n~~~",
    "Para {: #custom .cls }\n\n## Head {: #h }",
    "<div markdown=\"1\">*x*</div>\n\n<p>raw [x](other.md)</p>\n\n<!-- comment *x* -->",
    "\x02klzzwxh:0000\x03 \x02 \x03 stray placeholders",
    "a\\*b\\_c\\[d\\]e\\<f\\&g `a\\`b`",
    "**unclosed *mixed _delims__ and * stars**_",
    "[![image in link](files/chart.png)](other.md) [a [nested] link](other.md) [x](<other.md> \"title\")",
    "a | b\n--|--\n1 | 2\n\n|one|\n|---|\n\nno pipes\n---\n\n|\n|",
    "[id]: other.md\n[Id2]:\n  other.md \"T\"\n\n[x][id] [y][id2] [^a]: not at start\n\n [^b]: note\n\n*[A]:\nB\n\nA",
    "# h1 #\n#no space\n\\# not\n\n> q\n> > qq\n\n***\n- - -\n_  _  _\n\nterm\n:  def\n:bad",
    "ends with a space ", "ends with spaces on a line of their own\n   ", "a  \n  \nb\t\tc\r\nd\re \n",
    "`` ` `` and ```\nfence\n```\n\n~~~~\ntilde\n~~~~\n\nnot ``` a fence",
    "&copy; alone\n\nand < alone\n\n<div>\nblock\n</div>\n\n<span>inline</span>",
    "[a](other.md \"title\") [b](other.md 'title') [c](x(with)parens.md) [d](x\"q.md) [e](<o t.md> \"t\")",
    "[f]( other.md ) [g](other.md [h[i]](other.md) [j](other.md)[k](#x) ![l](x.png \"t\") [m](\n other.md\n)",
    "[n](other.md\"t\" ) [o](a'b\"c) [p](a (b) \"c)\") [q](a\\)b) [r](&amp;.md) [s]() [t]( ) [u](\"only\")",
    "Title\n=\nx\n\nSub\n-  \n\n   * * *\ntext\n\ntext\n  ___\n\n    ---\n\nx\n\n- - -\n\n-- -\n\n*\n*\n*",
    "h | k\n---|---\na | b\n\nh\n| k |\n\n`|` | x\n--|--\n\n| one |\n| --- |\n| 1 |",
    "No definitions: [a][b] [c][] [d] ![e][f] ![g] [h] [i](other.md) [j][k](other.md)",
    "Term\n   : indented\n\n: alone\n\n  :  two\n\nTerm\n    : four\n\ntext\n# heading after text\n\n[x](y.md#z) #not",
    "[a][b] [c][] [d] ![e][f] ![g] [B] [x](other.md)\n\n[b]: other.md\n[D]: #x\n[f]: files/chart.png 'T'",
]


@pytest.mark.parametrize("body", SNIPPETS)
def test_snippets(renderers, body):
    _same(renderers, body)


_PIECES = ["*", "**", "_", "`", "```", "\\", "[", "]", "(", ")", "](", "![", "[^1]", "<", ">", "&", ";", "#", "@",
           ":", "|", "-", "=", "~~~", "^", "%", "$CTA", "s1. ", "  \n", "\n", "\n\n", "\t", "    ", " ", "a", "word",
           "other.md", "files/chart.png", "https://", "<b>", "</b>", "&amp;", "\u2014 ", "*[A]: B", "A", "{: #x }"]


# One example is a fraction of a millisecond: four times the profile's count (tests/conftest.py).
_SETTINGS = dict(max_examples=4 * settings.default.max_examples,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@settings(**_SETTINGS)
@given(st.lists(st.sampled_from(_PIECES), max_size=80).map("".join))
def test_random_markdown(renderers, body):
    _same(renderers, body)


_LINES = ["## Heading", "# Top", "Text with *em*, **strong**, `code` and [a link](other.md).", "- item", "  - nested",
          "1. one", "    indented code", "> quote", "> \u2014 Someone", "$CTA", "$E", "$A", "$C", "^Info^", "%Warn%",
          "^open", "s1. Step", "s2. Step", "   continued", "| h | k |", "| --- | --- |", "| 1 | [c](#heading) |",
          "```", "~~~python", "~~~", "", "", "", "Term", ": Definition", "*[ABC]: Alpha Beta", "ABC text",
          "[^1]: Footnote", "Text[^1] here", "<div class=\"x\" id=\"d\">", "</div>", "<p>raw <b>bold</b></p>",
          "Setext", "======", "------", "***", "[ref]: other.md#x", "[t][ref]", "![img](files/chart.png)",
          "\tTabbed", "Line break  ", "  ", " ", "{: #custom }", "<a href='other.md#q'>x</a>", "<https://e.org/>",
          "a \\* b &amp; c", "\x02klzzwxh:0000\x03"]


@settings(**_SETTINGS)
@given(st.lists(st.sampled_from(_LINES), max_size=40).map("\n".join), st.sampled_from(["", "\n", " ", "\n  "]))
def test_random_documents(renderers, body, end):
    _same(renderers, body + end)


def test_clean_is_nh3_clean_with_the_options():
    html = ('<p onclick="x()">a <a href="java&#9;script:x" cite="javascript:y">b</a> <q cite="vbscript:z">q</q>'
            '<script>bad()</script><td style="text-align: left; color: red">c</td><img src="x.png" alt="d"></p>')
    assert sanitize.clean(html) == nh3.clean(html, **sanitize._options())
