"""A page whose HTML needs no cleaning is not cleaned, and gets the same HTML as if it were.

sanitize.tree_needs_no_cleaning and text_needs_no_cleaning tell when nh3 would give back
exactly what Python-Markdown wrote: such a page skips nh3. Every body here is rendered with
that trust and without it (sanitize.TRUST_CLEAN_TREES), and the results must be equal; the
unsafe ones must also lose what is unsafe, and plain pages must really skip nh3.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as etree

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.serializers import to_html_string
from test_render_speedups import _LINES, _PIECES, _SETTINGS, SNIPPETS, _markdown_files

from policysite import markup, sanitize
from policysite.config import load_config
from policysite.diagnostics import Diagnostics
from policysite.links import Resolver
from policysite.site import build_site


@pytest.fixture(scope="module")
def renderer():
    site_dir = FIXTURES / "policy-site"
    diagnostics = Diagnostics()
    site = build_site(site_dir, load_config(site_dir, diagnostics), diagnostics)
    template = next(p for p in site.pages if p.source)
    return template, markup.MarkdownRenderer(Resolver(site))


def _render(renderer, body: str, trusted: bool):
    template, md = renderer
    page = copy.copy(template)
    page.body, page.body_line = body, 3
    before = sanitize.TRUST_CLEAN_TREES
    sanitize.TRUST_CLEAN_TREES = trusted
    try:
        return md.render(page)
    finally:
        sanitize.TRUST_CLEAN_TREES = before


def _same(renderer, body: str) -> str:
    trusted, cleaned = _render(renderer, body, True), _render(renderer, body, False)
    assert trusted.html == cleaned.html
    assert trusted.problems == cleaned.problems
    return trusted.html


# What Markdown alone (no raw HTML) can put in a page that nh3 removes or writes another way.
UNSAFE = [
    "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c](vbscript:x) [d](data:text/html,x)",
    "![a](data:image/svg+xml;base64,AAAA) ![b](javascript:x) <javascript:alert(3)>",
    "Para\n{: onclick=\"alert(4)\" }\n\n## Head {: onmouseover=\"x\" #h }",
    "[link](other.md){: href=\"javascript:alert(5)\" } ![i](files/chart.png){: src=\"javascript:y\" }",
    "[link](https://example.org/){: onfocus=\"z\" autofocus=\"autofocus\" }",
    "> quote\n> {: cite=\"javascript:q\" }\n\nText\n{: style=\"color: red\" }\n\nMore\n{: Title=\"upper\" }",
]

ODD = [
    "no-break\u00a0space and &nbsp; entity and carriage\rreturn",
    "| left | centre | right | none |\n|:-----|:------:|------:|------|\n| 1 | 2 | 3 | 4 |",
    "Para\n{: data-x=\"1\" aria-label=\"y\" lang=\"cy\" dir=\"rtl\" role=\"note\" .cls #id }",
    "A\n{: title=\"a&lt;b\" }\n\nB\n{: title=\"&copy; 2024\" }\n\nC\n{: title='say \"hi\"' }\n\nD\n{: title=\"a<b>c\" }",
    "[a](https://999.1.1.1/) [b](https://xn--zz/) [c](https://example.org:99999/) [d](<https://exa mple.org/>)",
    "[e](mailto:a@example.org) [f](tel:+441234) [g](//example.org/x) [h](ftp://example.org) [i](HTTPS://E.ORG/x)",
    "[j](https://example.org:8080/a?b=1&c=2#d) [k](https://ex_ample.org./) [l](other.md?x=1&amp;y=2) <a@example.org>",
    "[m](tel://x:99999) <mailto://a^b> [n](mailto://[x) [o](tel:+44-20-7946-0000) [p](mailto:a@example.org?subject=x)",
    "[q](other.md){: href=\"\u3000javascript:alert(1)\" } ![r](files/chart.png){: src=\"\x85data:x\" }",
    "[a [nested](other.md) link](other.md) and ### not a heading {: #x }\n\n# Head [link](other.md) `code`",
    "Text[^1]\n\n[^1]: A note with [a link](other.md).",
    "    indented\n    code <b>&amp;</b>\n\n```\n\nleading newline\n```",
    "Term\n: Definition\n\n- a\n\n    b\n\n1. x\n2. y",
    "Quote \\<b\\> and \\& and a\\*b and `<b>`",
]


@pytest.mark.parametrize("body", UNSAFE)
def test_unsafe_markdown_is_cleaned_all_the_same(renderer, body):
    tags = " ".join(re.findall(r"<[a-z][^>]*>", _same(renderer, body).lower()))
    assert tags   # the body's links and elements are there
    for bad in ("javascript:", "vbscript:", "data:", "onclick", "onmouseover", "onfocus", "autofocus", "color:"):
        assert bad not in tags


@pytest.mark.parametrize("body", ODD)
def test_odd_markdown(renderer, body):
    _same(renderer, body)


@pytest.mark.parametrize("body", SNIPPETS)
def test_snippets(renderer, body):
    _same(renderer, body)


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: p.name)
def test_repository_markdown(renderer, path):
    _same(renderer, path.read_text(encoding="utf-8", errors="replace"))


@settings(**_SETTINGS)
@given(st.lists(st.sampled_from(_PIECES + ["{: onclick=x }", "javascript:", "\u00a0", "{: style=\"x\" }"]),
                max_size=80).map("".join))
def test_random_markdown(renderer, body):
    _same(renderer, body)


@settings(**_SETTINGS)
@given(st.lists(st.sampled_from(_LINES + ["[x](javascript:y)", "| a | b |", "|:--|--:|", "{: title=\"&amp;\" }"]),
                max_size=40).map("\n".join))
def test_random_documents(renderer, body):
    _same(renderer, body)


def test_a_plain_page_is_not_cleaned_and_raw_html_is(renderer, monkeypatch):
    cleaned = []
    real = sanitize.clean
    monkeypatch.setattr(sanitize, "clean", lambda html: cleaned.append(html) or real(html))
    plain = ("## Heading\n\nText with *em*, [a link](other.md), [another](https://example.org/a?b=1&c=2) and `code`.\n\n"
             "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- one\n- two\n\n> quote\n\n![chart](files/chart.png)")
    _render(renderer, plain, True)
    assert cleaned == []
    _render(renderer, plain + "\n\n<b onclick=\"x\">raw</b>", True)
    assert len(cleaned) == 1
    _render(renderer, "[bad](javascript:alert(1))", True)
    assert len(cleaned) == 2
    _render(renderer, plain, False)   # without the trust, every page is cleaned
    assert len(cleaned) == 3


def test_table_alignment_is_written_as_nh3_writes_it(renderer):
    html = _same(renderer, "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert 'style="text-align:left"' in html and 'style="text-align:center"' in html and 'style="text-align:right"' in html


# Each rule of tree_needs_no_cleaning, with a tree it turns away that nh3 changes.
TURNED_AWAY = {
    "a paragraph holding a block": "<p>a<div>b</div></p>",
    "a link in a link": '<p><a href="x">a<a href="y">b</a></a></p>',
    "a heading in a heading": "<h2>a<h3>b</h3></h2>",
    "a row straight in a table": "<table><tr><td>a</td></tr></table>",
    "text in a table": "<table>x<tbody><tr><td>a</td></tr></tbody></table>",
    "text after a part of a table": "<table><tbody><tr><td>a</td></tr></tbody>x</table>",
    "a list item outside its list": "<ul><li>a<div><li>b</li></div></li></ul>",
    "a definition outside its list": "<dl><dd>a<div><dd>b</dd></div></dd></dl>",
    "a newline opening a pre": "<pre>\nx</pre>",
    "an element not allowed": "<p><custom>x</custom></p>",
    "an attribute not allowed": '<p onclick="x">a</p>',
    "an address not allowed": '<p><a href="javascript:x">a</a></p>',
    "an address nh3 cannot parse": '<p><a href="https://example.org:99999/">a</a></p>',
    "a tel: address nh3 cannot parse": '<p><a href="tel://x:99999">a</a></p>',
    "a scheme after Unicode white space": '<p><a href="\u3000javascript:alert(1)">a</a></p>',
    "table text of Unicode white space": "<table>\u2028<tbody><tr><td>a</td></tr></tbody></table>",
    "a row outside a table": "<div><tr><td>a</td></tr></div>",
    "a cell outside a row": "<table><tbody><tr><td>a</td></tr></tbody></table><div><td>b</td></div>",
    "a heading cell outside a row": "<div><th>b</th></div>",
    "a column outside a table": "<div><col/></div>",
    "a style beyond alignment": '<table><tbody><tr><td style="color: red">a</td></tr></tbody></table>',
    "a boolean attribute": '<details open="open"><summary>s</summary>x</details>',
    "an attribute name in capitals": '<p data-X="1">a</p>',
}


@pytest.mark.parametrize("name", TURNED_AWAY)
def test_each_rule_turns_away_a_tree_nh3_changes(name):
    root = etree.fromstring("<div>" + TURNED_AWAY[name] + "</div>")
    html = to_html_string(root)[len("<div>"):-len("</div>")]
    assert not sanitize.tree_needs_no_cleaning(root)
    assert sanitize.clean(html) != html


def test_a_comment_or_an_attribute_without_a_value_is_turned_away():
    root = etree.fromstring("<div><p>x</p></div>")
    root.append(etree.Comment(" note "))
    assert not sanitize.tree_needs_no_cleaning(root)
    root = etree.fromstring("<div><p>x</p></div>")
    root[0].set("title", None)
    assert not sanitize.tree_needs_no_cleaning(root)


def test_a_tree_of_everything_allowed_is_kept_by_nh3_as_written():
    source = ('<div><h2 id="h">Head <code>c</code></h2><p class="lead" lang="cy">a <a href="/x/?a=1&amp;b=2#y" rel="x">b</a> '
              '<a href="https://example.org:8080/p">c</a> <a href="mailto:a@example.org">d</a> <abbr title="T">T</abbr> '
              '<img alt="e" src="files/e.png" width="2" height="3"/> <span aria-label="f" data-g="h">i</span><br/>j</p>'
              '<table><thead><tr><th style="text-align:left">k</th></tr></thead><tbody><tr><td style="text-align:right">'
              'l</td></tr></tbody></table><ul><li><p>m</p><ol start="3"><li>n</li></ol></li></ul><dl><dt>o</dt><dd>p</dd>'
              '</dl><blockquote cite="/q/"><p>r</p></blockquote><pre><code>s &lt; t</code></pre><hr/></div>')
    root = etree.fromstring(source)
    html = to_html_string(root)[len("<div>"):-len("</div>")]
    assert sanitize.tree_needs_no_cleaning(root)
    assert sanitize.text_needs_no_cleaning(html)
    assert sanitize.clean(html) == html


@pytest.mark.parametrize("html", ["<p>a&copy;b</p>", "<p>a&#42;b</p>", "<p>a&quot;b</p>", "<p>a\u00a0b</p>", "<p>a\rb</p>",
                                  "<p>a\x00b</p>", "\ufeff<p>a</p>"])
def test_text_nh3_writes_otherwise_is_turned_away(html):
    assert not sanitize.text_needs_no_cleaning(html)
    assert sanitize.clean(html) != html


def test_a_lone_surrogate_is_left_to_nh3_which_cannot_take_it():
    html = "<p>lone \ud800</p>"
    assert not sanitize.text_needs_no_cleaning(html)
    with pytest.raises(UnicodeEncodeError):
        sanitize.clean(html)
