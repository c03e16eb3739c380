"""Text and attribute values for the XML files a build writes (sitemap, feeds).

The same characters out as the standard library's xml.sax.saxutils gives, without
importing it: that module loads urllib.request (and with it ssl and http), which
`check` and a quick start-up never need.
"""

from __future__ import annotations

_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# In an attribute value a parser would turn these whitespace characters into spaces.
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def escape(text: str) -> str:
    """`text` as XML character data: &, < and > escaped."""
    return text.translate(_TEXT)


def quoteattr(text: str) -> str:
    """`text` as a quoted XML attribute value, quotes included.

    Double quotes around it, unless it holds a double quote and no single one;
    holding both, its double quotes are escaped."""
    value = text.translate(_ATTRIBUTE)
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'
