"""Headings in imported bodies moved down a level when a body uses top-level (`#`) headings.

The page title is a policysite page's only top-level heading. Old sites often
began a body with `# Change log` or used `#` for its sections, so every
heading of such a body moves down one level (`#` to `##`, `##` to `###` ...),
keeping their order and their ids (made from their text).
"""

from __future__ import annotations

import re

from ..sanitize import blank_code

_ATX = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)", re.M)
_SETEXT = re.compile(r"^(?P<text> {0,3}\S[^\n]*)\n(?P<rule> {0,3})(?P<marks>=+|-+)[ \t]*$", re.M)


def demote_headings(body: str) -> tuple[str, int, int]:
    """`body` with each heading a level lower when it has a top-level one, the top-level headings'
    count, and the line (from 0) of the first; line breaks are kept."""
    if "#" not in body and "=" not in body:
        return body, 0, 0
    scanned = blank_code(body)   # same length as body, code blanked
    atx = [m for m in _ATX.finditer(scanned)]
    setext = [m for m in _SETEXT.finditer(scanned) if not m.group("text").lstrip().startswith(("-", "*", "+", "|", ">"))
              and not (m.group("marks")[0] == "-" and _is_list_or_blank(m.group("text")))]
    tops = [m.start(2) for m in atx if len(m.group(2)) == 1] + [m.start() for m in setext if m.group("marks")[0] == "="]
    if not tops:
        return body, 0, 0
    edits: list[tuple[int, int, str]] = []
    for m in atx:
        if len(m.group(2)) < 6:
            edits.append((m.start(2), m.end(2), m.group(2) + "#"))
    for m in setext:
        if m.group("marks")[0] == "=":
            edits.append((m.start("marks"), m.end("marks"), "-" * len(m.group("marks"))))
        else:
            # A second-level underline becomes third level: an ATX mark, on the same line as the text.
            edits.append((m.start("text"), m.start("text"), "### "))
            edits.append((m.start("rule"), m.end("marks"), ""))
    out = []
    done = 0
    for start, end, text in sorted(edits):
        out.append(body[done:start])
        out.append(text)
        done = end
    out.append(body[done:])
    return "".join(out), len(tops), body.count("\n", 0, min(tops))


def _is_list_or_blank(text: str) -> bool:
    return not text.strip() or bool(re.match(r"\s*(?:[*+-]|\d+[.)])\s", text))
