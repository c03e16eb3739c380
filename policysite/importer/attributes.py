"""Presentational attributes (`target`, `style`, `srcset` ...) dropped from the raw HTML of imported bodies.

Pages exported from a CMS carry them on nearly every tag. policysite would drop
them when building and warn once per page; dropping them here instead, with
the count per page in IMPORT-REPORT.md, leaves `check` free for what needs a
person. The page looks the same either way: the theme decides how it looks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .. import sanitize

_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*?)?(/?)>")
_ATTRIBUTE = re.compile(r"""\s+([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


@dataclass(frozen=True)
class Dropped:
    """What was dropped from one body: how many of each attribute, and where the first was."""

    counts: Counter
    offset: int


def drop_presentational(body: str) -> tuple[str, Dropped | None]:
    """`body` without presentational attributes on allowed tags outside code; None when there were none."""
    if "<" not in body:
        return body, None
    scanned = sanitize.blank_code(body)   # same length, code blanked: offsets hold in `body`
    counts: Counter = Counter()
    first = -1
    pieces: list[str] = []
    done = 0
    for tag in _START_TAG.finditer(scanned):
        name = tag.group(1).lower()
        if name not in sanitize.TAGS or not tag.group(2):
            continue
        allowed = sanitize.GENERIC_ATTRIBUTES | sanitize.ATTRIBUTES.get(name, set())
        kept, removed = [], Counter()
        start = tag.start(2)
        for attribute in _ATTRIBUTE.finditer(body, start, tag.end(2)):
            if attribute.start() != start:
                break   # not attributes as a browser reads them: leave the tag to the sanitiser
            start = attribute.end()
            key = attribute.group(1).lower()
            if key in sanitize.PRESENTATIONAL and key not in allowed:
                removed[key] += 1
            else:
                kept.append(attribute.group(0))
        else:
            # Only a tag read whole; its line breaks stay, so the lines after it keep their numbers.
            if removed and not body[start:tag.end(2)].strip():
                breaks = body.count("\n", tag.start(2), tag.end(2)) - sum(part.count("\n") for part in kept)
                pieces.append(body[done:tag.start(2)])
                pieces.append("".join(kept) + "\n" * breaks + body[start:tag.end(2)])
                done = tag.end(2)
                counts.update(removed)
                if first < 0:
                    first = tag.start()
    if not counts:
        return body, None
    pieces.append(body[done:])
    return "".join(pieces), Dropped(counts, first)


def describe(dropped: Dropped) -> str:
    """The IMPORT-REPORT.md line for one page: the attributes, counted, and why nothing is lost."""
    names = [f"{n} `{key}`" for key, n in sorted(dropped.counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    reasons = sorted({sanitize.PRESENTATIONAL[key] for key in dropped.counts})
    return f"{listed} attributes removed from the page's HTML: {'; '.join(reasons)}"
