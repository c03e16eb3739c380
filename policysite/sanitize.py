"""Raw HTML in Markdown: a safe allow-list, and a warning for each removal.

nh3 does the removing on the rendered HTML. It cannot say what it removed or
where, so the same allow-list is applied to the raw HTML in the Markdown
source first, to warn the editor at the line of each tag or attribute.

Before that, two rewrites keep what old content meant: `<a name="x">` becomes
`<a id="x">` (so links to `#x` still work), and an embed (`<iframe>`,
`<object>`, `<embed>`) becomes a link to what it showed. Presentational
attributes (`target`, `style`, `width` ...) are common in content pasted from
a CMS and harmless to drop: they get one warning per page and attribute. So do
other attributes and elements that cannot run anything (an inline `<svg>`, a
`<placeholder>` in prose); scripts, frames, forms and unsafe URLs are reported
one by one.
"""

from __future__ import annotations

import html as html_lib
import re
import sys
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import islice
from operator import attrgetter
from urllib.parse import parse_qs, urlsplit

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


# -- HTML that needs no cleaning ----------------------------------------------------
#
# Most pages have no raw HTML: their HTML is Python-Markdown's writing out of a tree that
# our own extensions built. When every element and attribute of that tree is on the
# allow-list, the tree has a shape the HTML parser keeps as it is, and the text holds
# nothing that nh3 writes another way, nh3 gives back the very same text, so it need not
# run (it took about a tenth of the time of a page's Markdown; the checks take about half
# of that). tree_needs_no_cleaning and text_needs_no_cleaning say when; anything they do
# not know is cleaned as ever. TRUST_CLEAN_TREES turns them off.
TRUST_CLEAN_TREES = True
# Elements a <p> may hold: any other one ends the paragraph when the HTML is parsed.
_PHRASING = frozenset(["a", "abbr", "b", "br", "cite", "code", "del", "dfn", "em", "i", "img", "ins", "kbd",
                       "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr"])
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
# What each part of a table may hold: anything else is moved by the parser.
_TABLE_PARTS = {"table": frozenset(["caption", "colgroup", "thead", "tbody", "tfoot"]), "thead": frozenset(["tr"]),
                "tbody": frozenset(["tr"]), "tfoot": frozenset(["tr"]), "tr": frozenset(["td", "th"]),
                "colgroup": frozenset(["col"])}
# What table parts hold, all together; and list items by their list.
_IN_TABLES = frozenset().union(*_TABLE_PARTS.values())
_LISTS = (("ul", frozenset(["li"])), ("ol", frozenset(["li"])), ("dl", frozenset(["dt", "dd"])))
_HTML_SPACE = " \t\n\f\r"   # what HTML takes as white space (str.isspace takes more)
_TAG = attrgetter("tag")
_TAIL = attrgetter("tail")
_ATTRIB = attrgetter("attrib")
_ALLOWED = {tag: frozenset(GENERIC_ATTRIBUTES | ATTRIBUTES.get(tag, set())) for tag in TAGS}
# Written bare by Python-Markdown when the value is the name, as name="" by nh3.
_BOOLEAN = frozenset(["open", "reversed"])
_ATTRIBUTE_NAME = re.compile(r"(?:aria|data)-[a-z0-9-]+")
# Table column alignment as Python-Markdown writes it, and as nh3 does.
_ALIGNMENT = re.compile(r"text-align: (left|right|center);")
_NH3_ALIGNMENT = frozenset(["text-align:left", "text-align:right", "text-align:center"])
# Addresses nh3 surely keeps as written: relative ones, and http(s) ones whose host cannot
# fail to parse (letters last, no punycode, a port below 10,000), mailto: and tel:.
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_KEPT_URL = re.compile(r"(?:[Hh][Tt][Tt][Pp][Ss]?://(?![^/?#]*[Xx][Nn]--)(?:[A-Za-z0-9_~-]+\.)*[A-Za-z][A-Za-z0-9_~-]*\.?"
                       r"(?::[0-9]{1,4})?(?:[/?#].*)?|(?:[Mm][Aa][Ii][Ll][Tt][Oo]|[Tt][Ee][Ll]):(?![/\\]).+)", re.S)
_NO_SCHEME = frozenset("/#?.")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _url_kept(value: str) -> bool:
    if value[:1] in _NO_SCHEME:   # no scheme, however it goes on
        return True
    if value[:1].isspace():   # _url_filter looks for a scheme after any white space, Unicode's too
        return False
    if _CONTROL.search(value):
        return False
    return not _URL_SCHEME.match(value) or _KEPT_URL.fullmatch(value) is not None


def align_cells(root) -> None:
    """Table cells' alignment written as nh3 writes it, so that a page cleaned and one not agree."""
    for tag in ("th", "td"):
        for cell in root.iter(tag):
            style = cell.get("style")
            if style is not None:
                found = _ALIGNMENT.fullmatch(style)
                if found:
                    cell.set("style", f"text-align:{found.group(1)}")


def tree_needs_no_cleaning(root) -> bool:
    """Whether nh3 would keep every element and attribute under `root` (an ElementTree
    element whose own tag is not written) where it is, as written.

    It runs for every page, so each rule looks only at the elements it is about, mostly
    with set operations in C, rather than a walk doing every check on every element."""
    elements = list(islice(root.iter(), 1, None))
    counts = Counter(map(_TAG, elements))
    tags = counts.keys()
    if not tags <= _ALLOWED.keys():   # comments, unknown elements
        return False
    for el in filter(_ATTRIB, elements):
        attrib = el.attrib
        allowed = _ALLOWED[el.tag]
        if not attrib.keys() <= allowed and not all(name in allowed or _ATTRIBUTE_NAME.fullmatch(name) for name in attrib):
            return False
        if None in attrib.values() or not _BOOLEAN.isdisjoint(attrib):
            return False
        if not URL_ATTRIBUTES.isdisjoint(attrib) and not all(_url_kept(attrib[name]) for name in URL_ATTRIBUTES & attrib.keys()):
            return False
        if "style" in attrib and attrib["style"] not in _NH3_ALIGNMENT:
            return False
    for p in root.iter("p"):   # a paragraph ends at the first block inside it
        if len(p) and not set(map(_TAG, islice(p.iter(), 1, None))) <= _PHRASING:
            return False
    if "a" in tags:
        for a in root.iter("a"):
            if len(a) and sum(1 for _ in a.iter("a")) > 1:   # a link in a link
                return False
    for tag in tags & _HEADINGS:
        for heading in root.iter(tag):
            if len(heading) and not _HEADINGS.isdisjoint(map(_TAG, islice(heading.iter(), 1, None))):
                return False
    # Each part of a table straight in its place: every part's children are parts it may hold,
    # with only white space between, and there are as many of them as parts in the tree.
    if not tags.isdisjoint(_TABLE_PARTS):
        placed = 0
        for tag in tags & _TABLE_PARTS.keys():
            parts = _TABLE_PARTS[tag]
            for part in root.iter(tag):
                if not set(map(_TAG, part)) <= parts or "".join(filter(None, (part.text, *map(_TAIL, part)))).strip(_HTML_SPACE):
                    return False
                placed += len(part)
        if placed != sum(counts[tag] for tag in _IN_TABLES):
            return False
    elif not tags.isdisjoint(_IN_TABLES):
        return False
    items = counts["li"] + counts["dt"] + counts["dd"]
    if items:   # each list item straight in its list
        placed = 0
        for kind, children in _LISTS:
            for found in root.iter(kind):
                placed += sum(map(children.__contains__, map(_TAG, found)))
        if placed != items:
            return False
    if "pre" in tags:
        for pre in root.iter("pre"):
            if pre.text and pre.text.startswith("\n"):   # the parser drops it
                return False
    return True


def text_needs_no_cleaning(html: str) -> bool:
    """Whether the HTML written from a tree that needs no cleaning has nothing nh3 writes otherwise."""
    if "\xa0" in html or "\r" in html or "\x00" in html or html.startswith("\ufeff"):
        return False
    if not html.isascii():
        try:
            html.encode("utf-8")   # nh3 cannot take a lone surrogate (only a hook can put one in)
        except UnicodeEncodeError:
            return False
    # Entities other than the three Python-Markdown writes (nh3 writes the character instead).
    ampersands = html.count("&")
    return not ampersands or ampersands == html.count("&amp;") + html.count("&lt;") + html.count("&gt;")


# Attributes that only change how content looks or opens. Pages pasted from a CMS are full
# of them, so each name gets one warning per page (with a count), not one per use.
PRESENTATIONAL = {
    "target": "links open in the same tab",
    "style": "the theme's styles apply instead",
    "srcset": "the image's `src` is used",
    "sizes": "the image's `src` is used",
    "decoding": "the browser decides",
    **{name: "the theme sets sizes, spacing and colours" for name in (
        "width", "height", "align", "valign", "border", "cellpadding", "cellspacing", "bgcolor",
        "background", "hspace", "vspace", "nowrap", "color", "face", "size", "frame", "rules", "clear")},
}
# Elements removed that cannot run anything: one warning per page and element, with a count.
# (Scripts, frames and the like are still reported one by one.) The reason says what to do.
SUMMARISED_ELEMENTS = {
    "svg": "a drawing written into the page: save it as an `.svg` file and show it with `![what it shows](file.svg)`",
    "math": "write the formula as text or show it as an image",
    "style": "the theme's styles apply instead",
    "font": "the theme's styles apply instead",
    "center": "the theme's styles apply instead",
    "video": "link to the video instead",
    "audio": "link to the recording instead",
    "picture": "use `![what it shows](file)` for the image",
    "source": "use `![what it shows](file)` for the image",
}
# Removed one by one: each can run code, load another page or send what a reader types.
_ONE_BY_ONE = {"script", "noscript", "frame", "frameset", "applet", "base", "link", "meta", "form", "template",
               "textarea", "input", "button", "select", "portal"}
# Element names HTML has: any other `<name>` in prose (`cf push <app>`) is text a browser hides.
_HTML_NAMES = frozenset(["a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo", "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark", "math", "menu", "meta", "meter", "nav", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture", "portal", "pre", "progress", "q", "rp", "rt", "ruby", "s", "samp", "script", "search", "section", "select", "slot", "small", "source", "span", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "u", "ul", "var", "video", "wbr", "applet", "marquee", "blink", "big", "tt", "strike", "nobr"])

# Embedded content from other sites, replaced by a link to what it showed (see embed_link).
EMBEDS = {"iframe", "object", "embed"}
# Dropped quietly with the embed around them.
_EMBED_PARTS = {"param"}


@dataclass(frozen=True)
class Finding:
    """Something the sanitiser removes or rewrites, found in the Markdown source."""

    line: int
    message: str
    code: str


@dataclass(frozen=True)
class EmbedLink:
    """The link an embed becomes: its address and its text."""

    href: str
    text: str


_VIDEO_HOSTS = ("youtube.com", "youtube-nocookie.com", "youtu.be", "vimeo.com", "dailymotion.com",
                "brightcove.net", "wistia.com", "microsoftstream.com")
_SLIDE_HOSTS = ("slideshare.net", "speakerdeck.com", "prezi.com")
_MAP_HOSTS = ("openstreetmap.org", "arcgis.com", "mapbox.com")


def _host_kind(host: str, path: str) -> str:
    def on(hosts):
        return any(host == h or host.endswith("." + h) for h in hosts)
    if on(_VIDEO_HOSTS):
        return "Video"
    if on(_SLIDE_HOSTS) or (on(("docs.google.com",)) and path.startswith("/presentation")):
        return "Slides"
    if on(_MAP_HOSTS) or (on(("google.com", "bing.com")) and path.startswith("/maps")):
        return "Map"
    if on(("docs.google.com",)) and path.startswith("/forms"):
        return "Form"
    return "Content"


def _watch_address(host: str, parts) -> str | None:
    """The page address of a YouTube or Vimeo player address, where it has one."""
    segments = [s for s in parts.path.split("/") if s]
    if host.endswith(("youtube.com", "youtube-nocookie.com")) and len(segments) >= 2 and segments[0] == "embed":
        if segments[1] == "videoseries":
            playlist = parse_qs(parts.query).get("list")
            return f"https://www.youtube.com/playlist?list={playlist[0]}" if playlist else None
        return f"https://www.youtube.com/watch?v={segments[1]}"
    if host == "player.vimeo.com" and len(segments) >= 2 and segments[0] == "video":
        return f"https://vimeo.com/{segments[1]}"
    return None


def embed_link(tag: str, attrs: dict[str, str | None]) -> EmbedLink | None:
    """What an `<iframe>`, `<object>` or `<embed>` becomes: a link to what it showed; None without an http(s) address."""
    address = attrs.get("data" if tag == "object" else "src") or ""
    address = re.sub(r"[\t\n\r]", "", address).strip()
    if address.startswith("//"):
        address = "https:" + address
    try:
        parts = urlsplit(address)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    short = host[4:] if host.startswith("www.") else host
    title = " ".join((attrs.get("title") or "").split())
    text = title or f"{_host_kind(host, parts.path)} on {short}"
    return EmbedLink(href=_watch_address(host, parts) or address, text=text)


class _StartTag(HTMLParser):
    """The attributes of one start tag, as a browser reads them."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, str | None] = {}
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        if not self.attrs:
            self.attrs = {name: value for name, value in reversed(attrs)}   # the first of a repeated name wins

    handle_startendtag = handle_starttag


_EMBED_HTML = re.compile(r"<(iframe|object)\b[^>]*>.*?</\1\s*>|<(?:iframe|object)\b[^>]*>|<embed\b[^>]*>(?:\s*</embed\s*>)?",
                         re.I | re.S)


def replace_embeds(raw_html: str) -> str:
    """Each embed in a piece of raw HTML replaced by a link to what it showed (removed when it has no address)."""
    if "<" not in raw_html or not re.search(r"<(?:iframe|object|embed)\b", raw_html, re.I):
        return raw_html

    def link(m):
        start = re.match(r"<[^>]*>", m.group(0)).group(0)
        tag = re.match(r"<(\w+)", start).group(1).lower()
        found = embed_link(tag, _StartTag(start).attrs)
        if found is None:
            return ""
        # A link alone is not block-level HTML: Python-Markdown keeps the paragraph around it.
        return f'<a href="{html_lib.escape(found.href)}">{html_lib.escape(found.text)}</a>'

    return _EMBED_HTML.sub(link, raw_html)


_A_TAG = re.compile(r"<a\b[^<>]*>", re.I)
_NAME_ATTRIBUTE = re.compile(r"""(?<=\s)name\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
_ID_ATTRIBUTE = re.compile(r"""\sid\s*=""", re.I)
_NOT_ID = re.compile(r"[^\w.:-]")


def safe_id(value: str) -> str:
    """An anchor name as an id: spaces as `-`, anything else outside letters, digits, `-_.:` dropped."""
    return _NOT_ID.sub("", "-".join(html_lib.unescape(value).split()))


def anchor_names(raw_html: str, reserved: frozenset[str] = frozenset()) -> str:
    """`<a name="x">` as `<a id="x">`: the old way of marking a place to link to, kept working.

    A name that is one of the `reserved` ids (the theme's) is dropped: a second element
    with that id would break the page around the body."""
    if "name" not in raw_html.lower():
        return raw_html

    def rewrite(m):
        tag = m.group(0)
        found = _NAME_ATTRIBUTE.search(tag)
        if found is None:
            return tag
        value = safe_id(next(g for g in found.groups() if g is not None))
        keep = "" if _ID_ATTRIBUTE.search(tag) or not value or value in reserved else f'id="{value}"'
        return tag[:found.start()] + keep + tag[found.end():]

    return _A_TAG.sub(rewrite, raw_html)


_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.M | re.S)   # [ \t], not \s: a fence never starts on the line before
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


def blank_code(text: str) -> str:
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
        self.found: list[Finding] = []
        # (kind, name) -> [line of its first use, count]: one warning each at the end, where kind
        # is "attribute", "element" or "unknown" (a name HTML does not have)
        self.summarised: dict[tuple[str, str], list[int]] = {}
        self.embed_depth = 0   # inside an <iframe> or <object>, which goes as a whole
        self.drawing_depth = 0   # inside an <svg> or <math>, whose content goes with it

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag in ("iframe", "object"):
            self.embed_depth += 1
        elif tag in ("svg", "math") and not self.embed_depth:
            self.drawing_depth += 1

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("iframe", "object") and self.embed_depth:
            self.embed_depth -= 1
        elif tag in ("svg", "math") and self.drawing_depth:
            self.drawing_depth -= 1

    def _count(self, kind: str, name: str, line: int) -> None:
        seen = self.summarised.setdefault((kind, name), [line, 0])
        seen[1] += 1

    def _check(self, tag, attrs):
        if _AUTOLINK.match(self.get_starttag_text() or ""):
            return  # an autolink such as <https://...> or <name@example.org>: Markdown makes it a link
        line = self.getpos()[0]
        if self.embed_depth or self.drawing_depth:
            return   # the embed or drawing around it is reported as a whole
        if tag in EMBEDS:
            link = embed_link(tag, dict(reversed(attrs)))
            if link is None:
                self.found.append(Finding(line, f"`<{tag}>` was removed: pages may not embed content from other sites, "
                                                "and it has no http or https address to link to instead", code="embed-replaced"))
            else:
                self.found.append(Finding(line, f"`<{tag}>` was replaced by a link, '{link.text}', to {link.href}: "
                                                "pages may not embed content from other sites; check the link text says what it shows",
                                          code="embed-replaced"))
            return
        if tag in _EMBED_PARTS:
            return
        if tag not in TAGS:
            if tag in _ONE_BY_ONE:
                self.found.append(Finding(line, f"raw HTML `<{tag}>` is not allowed and was removed: use Markdown instead",
                                          code="html-not-allowed"))
            else:
                self._count("element" if tag in _HTML_NAMES else "unknown", tag, line)
            return
        allowed = GENERIC_ATTRIBUTES | ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(Finding(line, f"the `{name}` attribute on `<{tag}>` runs scripts and was removed",
                                          code="script-attribute"))
            elif tag == "a" and name == "name":
                continue   # kept as the link target's id (anchor_names)
            elif name not in allowed and not name.startswith(("aria-", "data-")):
                self._count("attribute", name, line)
            elif name in URL_ATTRIBUTES and value:
                # Browsers drop tabs and line breaks in a URL: `java&#9;script:` is `javascript:`.
                scheme = _SCHEME.match(re.sub(r"[\t\n\r]", "", value))
                if scheme and scheme.group(1).lower() not in SCHEMES:
                    self.found.append(Finding(line, f"`{scheme.group(1).lower()}:` addresses are not allowed; the `{name}` on `<{tag}>` was removed",
                                              code="url-scheme-not-allowed"))

    def summary(self) -> list[Finding]:
        """One warning for each kind of attribute or element removed, at its first use, with a count."""
        out = []
        for (kind, name), (line, count) in self.summarised.items():
            several = count != 1
            if kind == "attribute":
                noun = "attributes" if several else "attribute"
                why = PRESENTATIONAL.get(name, "it is not allowed in page content")
                out.append(Finding(line, f"{count} `{name}` {noun} removed: {why}",
                                   code="presentational-attribute" if name in PRESENTATIONAL else "html-not-allowed"))
            elif kind == "element":
                noun = "elements" if several else "element"
                why = SUMMARISED_ELEMENTS.get(name, "raw HTML that is not allowed: use Markdown instead")
                out.append(Finding(line, f"{count} raw HTML `<{name}>` {noun} removed: {why}", code="html-not-allowed"))
            else:
                times = f" ({count} times on this page)" if several else ""
                out.append(Finding(line, f"`<{name}>`{times} is not an HTML element, so browsers hide it and it was removed: "
                                         f"to show it as text, put it in backticks or write `&lt;{name}>`", code="html-not-allowed"))
        return out


def scan(markdown_text: str, first_line: int = 1) -> list[Finding]:
    """What the sanitiser will remove or rewrite in the raw HTML of `markdown_text`, in line order."""
    if "<" not in markdown_text:
        return []
    scanner = _Scanner()
    try:
        scanner.feed(blank_code(markdown_text))
        scanner.close()
    except Exception:  # HTMLParser is lenient; never let a scan stop a build
        pass
    found = sorted(scanner.found + scanner.summary(), key=lambda f: f.line)
    return [Finding(f.line + first_line - 1, f.message, code=f.code) for f in found]
