"""Raw HTML in Markdown: a safe allow-list, and a warning for each removal.

nh3 does the removing on the rendered HTML. It cannot say what it removed or
where, so the same allow-list is applied to the raw HTML in the Markdown
source first, to warn the editor at the line of each tag or attribute.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser

import nh3

TAGS = {
    "a", "abbr", "address", "b", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
    "tr", "u", "ul", "var", "wbr",
}
GENERIC_ATTRIBUTES = {"id", "class", "title", "lang", "dir", "role"}
ATTRIBUTES = {
    "a": {"href", "hreflang", "rel"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "img": {"src", "alt", "width", "height", "loading"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers", "style"},
    "th": {"colspan", "rowspan", "headers", "scope", "style"},
    "col": {"span"},
    "colgroup": {"span"},
    "time": {"datetime"},
    "details": {"open"},
    "del": {"datetime"},
    "ins": {"datetime"},
}
URL_ATTRIBUTES = {"href", "src", "cite"}
SCHEMES = {"http", "https", "mailto", "tel"}
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")
# What Python-Markdown turns into links rather than HTML: <http(s)://...>, <ftp://...>, <name@host>.
_AUTOLINK = re.compile(r"^<(?:(?:[Ff]|[Hh][Tt])[Tt][Pp][Ss]?://[^<>]*|(?:mailto:)?[^<>!]*@[^@<>]*)>$")
# Tags whose content goes too: a script's code must not be left as text.
_CLEAN_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "select", "svg", "math"}


def _url_filter(tag: str, name: str, value: str) -> str | None:
    """nh3 checks the scheme of `href` and `src` only: `cite` (and any other URL) here too."""
    if name in URL_ATTRIBUTES:
        scheme = _SCHEME.match(re.sub(r"[\x00-\x20\x7f]", "", value))
        if scheme and scheme.group(1).lower() not in SCHEMES:
            return None
    return value


def _options() -> dict:
    return dict(
        tags=TAGS,
        clean_content_tags=_CLEAN_CONTENT,
        attributes={**{tag: set(attrs) for tag, attrs in ATTRIBUTES.items()}, "*": GENERIC_ATTRIBUTES},
        generic_attribute_prefixes={"aria-", "data-"},
        url_schemes=SCHEMES,
        link_rel=None,
        filter_style_properties={"text-align"},   # table column alignment, nothing else
        strip_comments=True,
        attribute_filter=_url_filter,
    )


# Set up once: nh3.clean builds its sanitiser from these options on every call, which
# costs about as much as cleaning a page. (Older nh3 has no Cleaner.)
_CLEANER = nh3.Cleaner(**_options()) if hasattr(nh3, "Cleaner") else None


def clean(html: str) -> str:
    """Remove every tag, attribute and URL scheme outside the allow-list.

    nh3 calls _url_filter from Rust and only prints an exception raised in it:
    a Ctrl-C (or SIGTERM, which the command line turns into the same) that lands
    there would be lost and the build would carry on. It is caught on its way to
    sys.unraisablehook and raised again here."""
    stopped = []
    previous = sys.unraisablehook

    def keep_interrupts(unraisable):
        if isinstance(unraisable.exc_value, (KeyboardInterrupt, SystemExit)):
            stopped.append(unraisable.exc_value)
        else:
            previous(unraisable)

    sys.unraisablehook = keep_interrupts
    try:
        out = _CLEANER.clean(html) if _CLEANER is not None else nh3.clean(html, **_options())
    finally:
        sys.unraisablehook = previous
    if stopped:
        raise stopped[0]
    return out


_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1", re.S)


# A Markdown link destination in angle brackets, `[text](<Some Page.md>)` or `[id]: <x.md>`: not a tag.
_LINK_DESTINATION = re.compile(r"(?<=\]\()[ \t]*<[^<>\n]*>(?=[ \t]*[)\"'])|(?<=\]:)[ \t]*<[^<>\n]*>(?=[ \t]*(?:$|[\"'(]))", re.M)


_LIST_ITEM = re.compile(r"^ {0,3}(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)")


def _blank_indented_code(text: str) -> str:
    """Indented code blocks (four spaces or a tab, after a blank line, outside a list) blanked.

    Inside a list the same indentation continues the item, so its HTML is still scanned.
    """
    lines = text.split("\n")
    in_list = in_code = False
    previous_blank = True
    for index, line in enumerate(lines):
        blank = not line.strip()
        indented = line.startswith(("    ", "\t"))
        if blank:
            previous_blank = True
            continue
        if _LIST_ITEM.match(line):
            in_list, in_code = True, False
        elif not indented:
            in_list = in_code = False
        elif not in_list and (in_code or previous_blank):
            in_code = True
            lines[index] = " " * len(line)
        previous_blank = False
    return "\n".join(lines)


def _blank_code(text: str) -> str:
    """Code blocks and spans replaced by spaces, keeping lines, so their HTML is not scanned."""
    keep_lines = lambda m: re.sub(r"[^\n]", " ", m.group(0))
    text = _FENCE.sub(keep_lines, text)
    text = _blank_indented_code(text)
    text = _LINK_DESTINATION.sub(keep_lines, text)
    # `<!-->` and `<!--->` are whole (empty) comments to a browser and to nh3, but open
    # one to HTMLParser, which would then miss the tags after them.
    text = _ABRUPT_COMMENT.sub(keep_lines, text)
    return _CODE_SPAN.sub(keep_lines, text)


_ABRUPT_COMMENT = re.compile(r"<!--->|<!-->")


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        if _AUTOLINK.match(self.get_starttag_text() or ""):
            return  # an autolink such as <https://...> or <name@example.org>: Markdown makes it a link
        line = self.getpos()[0]
        if tag not in TAGS:
            self.found.append((line, f"raw HTML `<{tag}>` is not allowed and was removed: use Markdown instead"))
            return
        allowed = GENERIC_ATTRIBUTES | ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append((line, f"the `{name}` attribute on `<{tag}>` runs scripts and was removed"))
            elif name not in allowed and not name.startswith(("aria-", "data-")):
                self.found.append((line, f"the `{name}` attribute on `<{tag}>` is not allowed and was removed"))
            elif name in URL_ATTRIBUTES and value:
                # Browsers drop tabs and line breaks in a URL: `java&#9;script:` is `javascript:`.
                scheme = _SCHEME.match(re.sub(r"[\t\n\r]", "", value))
                if scheme and scheme.group(1).lower() not in SCHEMES:
                    self.found.append((line, f"`{scheme.group(1).lower()}:` addresses are not allowed; the `{name}` on `<{tag}>` was removed"))


def scan(markdown_text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """Warnings for raw HTML the sanitiser will remove, as (line, message)."""
    if "<" not in markdown_text:
        return []
    scanner = _Scanner()
    try:
        scanner.feed(_blank_code(markdown_text))
        scanner.close()
    except Exception:  # HTMLParser is lenient; never let a scan stop a build
        pass
    return [(line + first_line - 1, message) for line, message in scanner.found]
