"""Heading ids: the old generator's spelling of a `#fragment` to the one policysite gives the heading."""

from __future__ import annotations

import posixpath
import re

from ..markup import heading_id, unique_id
from .links import HTML_ATTR, MD_LINK, REF_DEF, outside_code

SETEXT = re.compile(r"^(?: {0,3})([^\s<>|#*+-][^\n]*)\n {0,3}(?:=+|-+)[ \t]*$", re.M)
ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
EXPLICIT = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.I)
ATTRS = re.compile(r"\s*\{[:#.][^}]*\}\s*$")


def blackfriday(text: str) -> str:
    """Hugo before 0.60: letters and digits kept, every other run one '-'."""
    out, dash = [], False
    for ch in text:
        if ch.isalnum():
            if dash and out:
                out.append("-")
            out.append(ch.lower())
            dash = False
        else:
            dash = True
    return "".join(out)


def github(text: str) -> str:
    """Hugo's goldmark and GitHub: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def kramdown(text: str) -> str:
    """Jekyll's kramdown: leading non-letters dropped, then only a-z, digits, spaces and '-'."""
    text = re.sub(r"^[^a-zA-Z]+", "", text)
    return re.sub(r"[^a-zA-Z0-9 -]", "", text).replace(" ", "-").lower()


def _visible(text: str) -> str:
    text = ATTRS.sub("", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return text.strip()


def id_map(body: str) -> tuple[set, dict]:
    """(ids the page will have, {old generator's id: ours}) for a converted body."""
    ours: set = set(EXPLICIT.findall(body))
    old: dict = {}
    taken = set(ours)
    headings = []
    for start, end in outside_code(body):
        chunk = body[start:end]
        headings += [(m.start() + start, m.group(1)) for m in ATX.finditer(chunk)]
        headings += [(m.start() + start, m.group(1)) for m in SETEXT.finditer(chunk)]
    for _, raw in sorted(headings):
        explicit = re.search(r"\{[^}]*#([\w-]+)[^}]*\}\s*$", raw)
        text = _visible(raw)
        if "<" in raw and not explicit:
            # Raw HTML inside a heading: how each generator spells its id is too uncertain to map.
            taken.add(unique_id(heading_id(text), taken))
            ours.add(heading_id(text))
            continue
        mine = explicit.group(1) if explicit else unique_id(heading_id(text), taken)
        taken.add(mine)
        ours.add(mine)
        for spelling in (blackfriday(text), github(text), kramdown(text)):
            if spelling and spelling != mine:
                old.setdefault(spelling, mine)
    return ours, old


def fix_fragments(body: str, dest: str, ids: dict) -> tuple[str, int]:
    """Links whose #fragment is the old spelling of a heading id, respelled; and how many."""
    changed = 0

    def fix(match):
        nonlocal changed
        written = match.group(2)
        quote = written[0] if written[:1] in ("'", '"', "<") else ""
        url = written[1:-1] if quote else written
        if "#" not in url or re.match(r"^[a-z][a-z0-9+.-]*:|^/", url, re.I):
            return match.group(0)
        path, fragment = url.split("#", 1)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(dest), path)) if path else dest
        known = ids.get(target)
        if known is None:
            return match.group(0)
        ours, old = known
        if fragment in ours or fragment not in old:
            return match.group(0)
        changed += 1
        new = f"{path}#{old[fragment]}"
        return match.group(1) + (quote + new + {"<": ">"}.get(quote, quote) if quote else new) + match.group(0)[len(match.group(1)) + len(written):]

    out, pos = [], 0
    for start, end in outside_code(body):
        out.append(body[pos:start])
        chunk = body[start:end]
        for pattern in (MD_LINK, REF_DEF, HTML_ATTR):
            chunk = pattern.sub(fix, chunk)
        out.append(chunk)
        pos = end
    out.append(body[pos:])
    return "".join(out), changed
