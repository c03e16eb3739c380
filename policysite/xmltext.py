"""Text and attribute values for the XML files a build writes (sitemap, feeds).

The same characters out as the standard library's xml.sax.saxutils gives, without
importing it: that module loads urllib.request (and with it ssl and http), which
`check` and a quick start-up never need.
"""

from __future__ import annotations

# Characters XML 1.0 does not allow at all, escaped or not (control characters but tab, line
# feed and carriage return; U+FFFE and U+FFFF): one in a title pasted from elsewhere would make
# the whole feed unreadable, so they are left out. Invisible anyway, they lose nothing.
_NOT_XML = dict.fromkeys([*(c for c in range(0x20) if c not in (0x9, 0xA, 0xD)), 0xFFFE, 0xFFFF])
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **_NOT_XML})
# In an attribute value a parser would turn these whitespace characters into spaces.
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;",
                            **_NOT_XML})


def escape(text: str) -> str:
    """`text` as XML character data: &, < and > escaped, characters XML does not allow left out."""
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
