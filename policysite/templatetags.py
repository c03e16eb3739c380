"""Template tags of other generators left in a page body.

Content brought over from Hugo or Jekyll may still hold their shortcodes and
Liquid tags (`{{< relref "x.md" >}}`, `{% link x.md %}`, `{{ site.baseurl }}`).
policysite does not run them: they would show as written. Each line holding
one, outside code, gets a warning so an editor can replace it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sanitize import blank_code

# Hugo shortcodes `{{< >}}` and `{{% %}}`, Liquid tags `{% %}`, and Liquid output naming
# one of Jekyll's objects (`{{ site.x }}`, `{{ page.x }}`): a bare `{{ x }}` may be prose.
_TAG = re.compile(r"\{\{[<%]|\{%|\{\{-?\s*(?:site|page|include|layout|paginator|jekyll)\b")
_WHOLE_TAG = re.compile(r"\{\{[<%].*?[>%]\}\}|\{%.*?%\}|\{\{.*?\}\}")
# An HTML comment is not published, and neither is a tag inside it.
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class TemplateTag:
    line: int
    message: str


def find(markdown_text: str, first_line: int = 1) -> list[TemplateTag]:
    """A warning for each line of `markdown_text` that holds a template tag outside code."""
    if "{" not in markdown_text:
        return []
    out = []
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), blank_code(markdown_text))
    for index, line in enumerate(text.split("\n")):
        found = _TAG.search(line)
        if found is None:
            continue
        whole = _WHOLE_TAG.match(line, found.start())
        shown = whole.group(0) if whole else line[found.start():found.start() + 20].rstrip()
        if len(shown) > 60:
            shown = shown[:57] + "..."
        more = len(_TAG.findall(line)) - 1
        also = f" (and {more} more on this line)" if more else ""
        out.append(TemplateTag(index + first_line,
                               f"`{shown}`{also} is a template tag from another generator, which policysite does not "
                               "run: remove it or replace it with Markdown"))
    return out
