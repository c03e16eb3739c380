"""Files under content/ that a browser would run as they are: HTML, SVG and XML holding scripts.

Pages are rendered through the layouts and their raw HTML through the allow-list
(sanitize.py); a file under content/ is published as it is. An HTML page, an SVG
drawing or an XML file holding a script, an event attribute, a `javascript:`
address, a frame or a form would run on the site's own address when opened, past
both: so such a file is an error at the line where that starts. A file with none
of them (a plain HTML export, a drawing, a site verification file) is published.
The site's own assets/ (its design: scripts included) are the developers' and are
not checked."""

from __future__ import annotations

import html
import re

# What is read as markup by a browser opening the file itself.
SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".svg", ".xml", ".xsl", ".xslt"})

# Larger files are read only this far: a script hidden further on would need a file this big of
# something else before it, and the whole of an attachment of that size is not worth reading.
READ_AT_MOST = 8 * 1024 * 1024

_ACTIVE = re.compile(
    rb"<(script|iframe|frame|frameset|object|embed|applet|form|base|foreignobject|handler|listener)[\s>/]"
    rb"|<meta[^>]+http-equiv\s*=\s*[\"']?(?:refresh|set-cookie)"
    rb"|[\s\"'/]on[a-z]+\s*="
    rb"|(?:java|vb)script\s*:"
    rb"|&(?:#|[a-z]+;)",   # a character reference inside markup can spell any of the above
    re.IGNORECASE,
)

_WHAT = {
    b"script": "a script (`<script>`)", b"meta": "a `<meta http-equiv>` redirect or cookie",
    b"form": "a form", b"base": "a `<base>` element",
}


def is_markup(name: str) -> bool:
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].lower() in SUFFIXES


def active_part(data: bytes) -> tuple[int, str] | None:
    """(line, what it is) of the first thing in this file that a browser would run, or None."""
    match = _ACTIVE.search(data)
    # Elements count anywhere; the rest only inside a tag (text may say "onion = veg" or "javascript:"),
    # and a character reference only where the tag, its references read, says one of them.
    while match is not None and not match.group(0).startswith(b"<") and not (
            _inside_tag(data, match.start()) and (not match.group(0).startswith(b"&") or _hidden_in_tag(data, match.start()))):
        match = _ACTIVE.search(data, match.end())
    if match is None:
        return None
    line = data.count(b"\n", 0, match.start()) + 1
    found = match.group(0).lower()
    if found.startswith(b"<"):
        tag = re.match(rb"<([?a-z]+(?:-[a-z]+)?)", found).group(1)
        what = _WHAT.get(tag, f"a `<{tag.decode()}>` element, which can run or show other content")
    elif b"script" in found:
        what = "a `javascript:` address"
    elif found.startswith(b"&"):
        what = "a character reference inside a tag, which can hide a script"
    else:
        name = found.strip(b"\"'/ \t\r\n=").decode()
        what = f"an event attribute (`{name}`), which runs a script"
    return line, what


_SPELLED = re.compile(r"[\s\"'/]on[a-z]+\s*=|(?:java|vb)script\s*:", re.IGNORECASE)


def _hidden_in_tag(data: bytes, at: int) -> bool:
    """Whether the tag around position `at`, with its character references read, holds an event
    attribute or a script address."""
    start, end = data.rfind(b"<", 0, at), data.find(b">", at)
    tag = data[start:end if end >= 0 else len(data)].decode("utf-8", "replace")
    return _SPELLED.search(html.unescape(tag)) is not None


def _inside_tag(data: bytes, at: int) -> bool:
    """Whether position `at` is between a `<` and the `>` that closes it."""
    return data.rfind(b"<", 0, at) > data.rfind(b">", 0, at)
