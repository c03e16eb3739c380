"""Template tags of other generators left in a page body.

Content brought over from Hugo or Jekyll may still hold their shortcodes and
Liquid tags (`{{< relref "x.md" >}}`, `{% link x.md %}`, `{{ site.baseurl }}`).
policysite does not run them: they would show as written. A page holding any,
outside code and comments, gets one warning at the first, with the lines of
the others, so a page (or a site) full of them does not bury other problems.
An address built by a template (`href="{{ site.baseurl }}{{ kb.url }}"`) is
one of them, not a broken link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sanitize import blank_code

# Hugo shortcodes `{{< >}}` and `{{% %}}`, Liquid tags `{% %}`, and Liquid output naming
# one of Jekyll's objects (`{{ site.x }}`, `{{ page.x }}`): a bare `{{ x }}` may be prose.
_TAG = re.compile(r"\{\{[<%]|\{%|\{\{-?\s*(?:site|page|include|layout|paginator|jekyll)\b")
# In an address any template expression is one: `{{ kb.url }}`, `{{ .Site.BaseURL }}`, `${item.url}`.
_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\$\{.*?\}", re.S)
_ADDRESS_TAG = re.compile(r"""(?:\]\(\s*<?|\]:[ \t]*<?|\b(?:href|src)\s*=\s*["']?)[^"'()\s<>]*?(\{\{.*?\}\}|\{%.*?%\})""", re.I)
_WHOLE_TAG = re.compile(r"\{\{[<%].*?[>%]\}\}|\{%.*?%\}|\{\{.*?\}\}")
# An HTML comment is not published, and neither is a tag inside it.
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Lines named after the first, in the one warning a page gets.
_LINES_SHOWN = 5


@dataclass(frozen=True)
class TemplateTag:
    line: int
    message: str


def in_address(address: str) -> bool:
    """Whether a link's address holds a template expression, so it is not an address until rendered elsewhere."""
    return ("{" in address) and _EXPRESSION.search(address) is not None


def _first_tag(line: str) -> tuple[int, str] | None:
    """Where the first template tag on a line starts, and the tag as shown; None without one."""
    starts = []
    found = _TAG.search(line)
    if found is not None:
        starts.append(found.start())
    address = _ADDRESS_TAG.search(line)
    if address is not None:
        starts.append(address.start(1))
    if not starts:
        return None
    start = min(starts)
    whole = _WHOLE_TAG.match(line, start)
    shown = whole.group(0) if whole else line[start:start + 20].rstrip()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return start, shown


def find(markdown_text: str, first_line: int = 1) -> list[TemplateTag]:
    """One warning for a body holding template tags outside code: at the first, naming the other lines."""
    if "{" not in markdown_text:
        return []
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), blank_code(markdown_text))
    found: list[tuple[int, str]] = []
    for index, line in enumerate(text.split("\n")):
        if "{" not in line:
            continue
        first = _first_tag(line)
        if first is not None:
            found.append((index + first_line, first[1]))
    if not found:
        return []
    (line, shown), others = found[0], [n for n, _ in found[1:]]
    also = ""
    if others:
        named = ", ".join(map(str, others[:_LINES_SHOWN])) + (", ..." if len(others) > _LINES_SHOWN else "")
        also = f" (and on {len(others)} more line{'s' if len(others) > 1 else ''}: {named})"
    return [TemplateTag(line, f"`{shown}`{also} is a template tag from another generator, which policysite does not "
                              "run: remove it or replace it with Markdown")]
