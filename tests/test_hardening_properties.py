"""Issue 7, properties: random damage never gives a traceback or a diagnostic that points nowhere.

Hypothesis throws random bytes, truncation, YAML-ish lines, stray `---`,
random unicode and random links at front matter, Markdown bodies and
site_config.yaml, and builds each site in this process without writing.
Whatever it makes, the build must end normally, either ok or with at least
one error, and every diagnostic must name a file of the site (or
site_config.yaml, or a theme layout) at a line inside that file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hardening.helpers import CONFIG, assert_diagnostics_sane, build_in_process, write_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# How many examples, whether random or the same each run: the profile (tests/conftest.py).
SETTINGS = dict(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

PAGE = """\
---
title: Health plan
description: What the department does about health.
date: 2008-11-06
updated: 2009-01-02
topics:
  - health-inequalities
related:
  - other.md
image:
  src: files/chart.png
  alt: A chart
---
## Introduction

Text with [a link](other.md#about) and [a file](files/report.pdf).

^Information callout^

| a | b |
|---|---|
| 1 | 2 |
"""

OTHER = """\
---
title: Other page
description: Another page.
---
## About

[Back](health-plan.md).
"""

FILES = {
    "content/health-plan.md": PAGE,
    "content/other.md": OTHER,
    "content/section/_index.md": "---\ntitle: Section\n---\nA section.\n",
    "content/files/report.pdf": b"%PDF-1.4\n",
    "content/files/chart.png": b"\x89PNG\r\n\x1a\n",
}

# ---- damage ---------------------------------------------------------------------------

YAMLISH_LINES = [
    "---", "...", "- x", "-", "title:", "title: |", "title: >", "  : :", "? key", ": value", "&anchor x", "*anchor",
    "x: &a [1, 2]", "y: *a", "<<: *a", "!!python/object/apply:os.system ['true']", "!!binary aGVsbG8=", "!custom x",
    "\t- tab", "key: [unclosed", "key: {a: 1", "'", '"', "{", "[", "]", "}", "#", "%YAML 1.1", "%TAG ! tag:x,2000:",
    "date: 2008-13-45", "date: next week", "updated: 1999-01-01", "draft: maybe", "weight: 1e999", "weight: .inf",
    "title: no", "title: 0x1F", "title: ~", "title: null", "description: ''", "type: polcy", "layout: ../../etc/passwd",
    "slug: ../../x", "slug: a/b", "url: /x/../../y/", "url: policy", "aliases: [/old/, ../x, 'javascript:alert(1)']",
    "related: [javascript:alert(1)]", "related: nope.md", "image: {src: data:x, alt: ''}", "topics: [nope]",
    "organisations: x", "government: nope", "political: true", "withdrawn: {date: x}", "change_history: [1, {date: 2}]",
    "titel: typo", "a: b: c", "  deeply:\n    nested:\n      - [1, [2, [3]]]", "\u2028", "\x85", "\ufeff", "\x0b",
    "- - - -", "a:\n  - b\n c: d",
]

UNICODE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


def lines_strategy():
    return st.one_of(st.sampled_from(YAMLISH_LINES), UNICODE, st.text(alphabet="-:#[]{}'\"&*!|>? \tabc\n", max_size=20))


@st.composite
def damaged(draw, original: str) -> bytes:
    """`original` with one to four random injuries, as bytes."""
    data = original.encode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["bytes", "truncate", "line", "replace-line", "unicode", "delete", "dashes", "breaks"]))
        pos = draw(st.integers(0, len(data)))
        if kind == "bytes":
            data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
        elif kind == "truncate":
            data = data[:pos]
        elif kind == "breaks":
            # Line breaks to YAML or to Python but not to an editor: lines must still be counted by `\n`.
            data = data[:pos] + draw(st.text(alphabet="\x85\u2028\u2029\r\x0b\x0c\x1c", min_size=1, max_size=6)).encode() + data[pos:]
        elif kind == "unicode":
            data = data[:pos] + draw(UNICODE).encode("utf-8", "surrogatepass") + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 30)):]
        else:
            lines = data.split(b"\n")
            index = draw(st.integers(0, len(lines)))
            text = "---" if kind == "dashes" else draw(lines_strategy())
            new = text.encode("utf-8", "surrogatepass")
            if kind == "replace-line" and index < len(lines):
                lines[index] = new
            else:
                lines.insert(index, new)
            data = b"\n".join(lines)
    return data


# ---- Markdown bodies -------------------------------------------------------------------

LINK_PIECES = ["other.md", "health-plan.md", "../other.md", "/other.md", "section/_index.md", "section/", "/section/",
               "files/report.pdf", "/files/report.pdf", "/assets/nope.css", "nope.md", "#about", "#introduction",
               "other.md#about", "other.md#nope", "#", "..", "../..", "/", "//evil.example/", "", " ", "?q=1",
               "https://example.org/", "mailto:a@b.example", "tel:123", "javascript:alert(1)", "JaVaScRiPt:x",
               "java\tscript:x", "&#106;avascript:x", "data:text/html,x", "vbscript:x", "file:///etc/passwd",
               "other.md)", "<other.md>", "other%2Emd", "%00", "\\other.md", "other.md\"onmouseover=\"x"]


@st.composite
def link_target(draw) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(LINK_PIECES), UNICODE), min_size=1, max_size=3))
    return draw(st.sampled_from(["", "/"])).join(parts)


@st.composite
def markdown_body(draw) -> str:
    blocks = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["link", "image", "ref", "auto", "heading", "html", "govspeak", "text", "code", "table", "abbr", "list"]))
        target = draw(link_target())
        text = draw(UNICODE)
        blocks.append({
            "link": f"[{text}]({target})",
            "image": f"![{text}]({target})",
            "ref": f"[{text}][r]\n\n[r]: {target}",
            "auto": f"<{target}>",
            "heading": "#" * draw(st.integers(1, 7)) + " " + text + draw(st.sampled_from(["", " {#about}", " {: .x }"])),
            "html": draw(st.sampled_from(['<a href="{t}">x</a>', '<img src="{t}" onerror="x">', "<div>\n{x}\n</div>",
                                          "<script>{x}</script>", "<svg onload=x>", "<style>{x}", "<!-- {x}",
                                          "<details><summary>{x}</summary>", "</div>", "<p id='{x}'>"])).format(t=target, x=text),
            "govspeak": draw(st.sampled_from(["^{x}^", "%{x}%", "$CTA\n{x}\n$CTA", "$A\n{x}", "s1. {x}", "$E", "$C\n{x}\n$C"])).format(x=text),
            "text": text,
            "code": draw(st.sampled_from(["```\n{x}\n```", "`{x}`", "    {x}", "```", "~~~\n{x}"])).format(x=text),
            "table": f"| {text} | b |\n|---|---|\n| [x]({target}) | 2 |",
            "abbr": f"*[{text}]: {text}",
            "list": "\n".join("    " * i + f"- {text}" for i in range(draw(st.integers(1, 6)))),
        }[kind])
    return "\n\n".join(blocks) + draw(st.sampled_from(["", "\n", "\n---\n", "\r\n"]))


# ---- the property --------------------------------------------------------------------


def build_and_check(files: dict) -> None:
    with tempfile.TemporaryDirectory(prefix="hardening-") as tmp:
        site = write_site(Path(tmp) / "site", files, base=None)
        result = build_in_process(site)
        items = result.diagnostics.items
        errors = [d for d in items if d.severity == "error"]
        assert result.ok != bool(errors), [d.format() for d in items]
        assert result.output_problem is None
        for d in items:
            assert "\n" not in d.message and d.message.strip(), d
        assert_diagnostics_sane(site, items)


def site_files(**changes) -> dict:
    files = {"site_config.yaml": CONFIG, "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n", **FILES}
    files.update(changes)
    return files


@settings(**SETTINGS)
@given(data=damaged(PAGE))
def test_damaged_front_matter_and_body(data):
    build_and_check(site_files(**{"content/health-plan.md": data}))


@settings(**SETTINGS)
@given(data=damaged(CONFIG))
def test_damaged_site_config(data):
    build_and_check(site_files(**{"site_config.yaml": data}))


@settings(**SETTINGS)
@given(body=markdown_body(), other=markdown_body())
def test_random_markdown_bodies_and_links(body, other):
    build_and_check(site_files(**{
        "content/health-plan.md": PAGE.split("---\n## Introduction")[0] + "---\n" + body,
        "content/other.md": OTHER + other,
    }))


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), UNICODE,
                    st.dates().map(str), st.sampled_from(LINK_PIECES))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.one_of(UNICODE, st.sampled_from(["src", "alt", "date", "note", "explanation", "name"])), inner, max_size=3)),
                      max_leaves=8)
FIELDS = ["title", "description", "type", "date", "updated", "change_history", "organisations", "topics", "government",
          "political", "withdrawn", "draft", "aliases", "weight", "layout", "related", "image", "slug", "url", "titel", "extra"]


@settings(**SETTINGS)
@given(fields=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8), body=markdown_body())
def test_random_front_matter_values(fields, body):
    text = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False) if fields else ""
    build_and_check(site_files(**{"content/health-plan.md": "---\n" + text + "---\n" + body}))
