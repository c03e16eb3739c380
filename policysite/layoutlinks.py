"""Links written by layouts: every internal `href` and `src` must lead somewhere.

Links in Markdown are checked where they are written, with their lines; this
checks what the layouts (the built-in theme's and the site's own `layouts/`)
add around them. Every href and src of each rendered page, outside its
Markdown body, is noted in the page's cache record and checked on every build
against the files the build writes (stages.check_layout_links). A broken one is
reported at the layout line that wrote it: found by rendering the page again
and noting where each `url` filter ran (Templates.trace_links), else by the
address as written in a layout (`find_line`: as written, or relative to the
site's root, as `{{ 'about/'|url }}` writes it)."""

from __future__ import annotations

import html
import posixpath
import re
from urllib.parse import unquote, urlsplit

# One pattern per attribute name: a pattern that starts with a literal word is searched
# for quickly, and this runs on every page the build renders. The look-behind after the
# name wants white space before it (not `data-src`): it may look before where a search
# starts, as the character before the match is in the page whatever the span.
_ATTRIBUTES = [re.compile(name + rf"""(?<=\s{name})\s*=\s*(?:"([^"]*)"|'([^']*)')""") for name in ("href", "src")]
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def links_in(page_html: str, body_html: str) -> list[str]:
    """Every distinct href and src in a rendered page, as written, outside its Markdown body."""
    start = page_html.find(body_html) if body_html else -1
    spans = [(0, len(page_html))] if start < 0 else [(0, start), (start + len(body_html), len(page_html))]
    found: dict[str, None] = {}
    for pattern in _ATTRIBUTES:
        for begin, end in spans:
            for double, single in pattern.findall(page_html, begin, end):
                link = double or single   # one is the value, the other empty
                found[html.unescape(link) if "&" in link else link] = None
    return [link for link in found if link and not link.startswith("#")]


def same_from_every_page(link: str) -> bool:
    """Whether `link` leads to the same place whichever page it is on: an address from the
    site's root, with a host, or with a scheme (an external one, or the site's own base URL)."""
    return link.startswith("/") or _SCHEME.match(link) is not None


# An address from the site's root with nothing to undo or resolve: no query or fragment, no
# escapes, no empty, `.` or `..` segment. Most links layouts write are like this (a page's own
# address), and urlsplit, unquote and normpath would give it back as it is, but for a last `/`.
_PLAIN = re.compile(r"(?:/[\w~-][\w.~-]*)+/?\Z|/\Z", re.ASCII)


def output_path(link: str, page_url: str, root: str, base_url: str) -> str | None:
    """The output file an internal link leads to (site-relative), or None for a link off the site."""
    if _PLAIN.match(link) and not link.startswith(base_url):
        ends_with_slash = link.endswith("/")
        path = link[:-1] if ends_with_slash and len(link) > 1 else link
    else:
        if link.startswith(base_url):
            link = root + link[len(base_url):]
        if link.startswith("//") or _SCHEME.match(link):
            return None
        path = urlsplit(link).path
        if not path:
            return None
        if not path.startswith("/"):
            path = posixpath.join(root.rstrip("/") + page_url, path)
        ends_with_slash = path.endswith("/")
        path = posixpath.normpath(unquote(path))
    if not (path + "/").startswith(root):
        return ""   # above the site's own folder: never one of its files
    rel = path[len(root):] if len(path) >= len(root) else ""
    rel = rel.strip("/")
    if ends_with_slash or not rel:
        return (rel + "/index.html").lstrip("/")
    return rel


def exists(rel: str, outputs: set[str]) -> bool:
    return rel in outputs or f"{rel}/index.html" in outputs


def find_line(link: str, root: str, base_url: str, sources: list[tuple[str, str]]) -> tuple[str, int] | None:
    """The first layout (file shown, source) and line that holds `link`, or None."""
    forms = {link, html.escape(link)}
    for prefix in (base_url, root):
        if link.startswith(prefix) and len(link) > len(prefix):
            forms.add(link[len(prefix):])
            forms.add("/" + link[len(prefix):])
    for where, source in sources:
        for number, line in enumerate(source.splitlines(), 1):
            if any(f"'{form}'" in line or f'"{form}"' in line for form in forms):
                return where, number
    return None
