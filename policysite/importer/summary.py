"""A description made from a page's opening, the way the old site made its summaries.

Hugo shows `.Summary`: the text before `<!--more-->`, else the opening of the
content. Jekyll shows `excerpt`: the text before its `excerpt_separator`, by
default the first paragraph. A page imported without a description gets the
same text, as one plain line, short enough for a listing.
"""

from __future__ import annotations

import html
import re

# Listings and search results show about this much; longer text is cut at a sentence or a word.
LIMIT = 160
# Shorter than this, a run of whole sentences says too little: cut at a word instead.
_SHORTEST_SENTENCES = 50
# A paragraph shorter than this is a label ("Updated:", "Note") rather than an opening.
_SHORTEST_TEXT = 20

_TEMPLATE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Elements whose content is not text a reader sees.
_HIDDEN = re.compile(r"<(script|style|svg|math|iframe|object|template|noscript|form|select|textarea|figure)\b.*?</\1\s*>",
                     re.S | re.I)
_BLOCK_SKIPPED = ("#", "```", "~~~", "|", "{:", "    ", "\t", ">", "- ", "* ", "+ ", "!", "[^", "---", "***", "___", "%", "$")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t].*$", re.M)
# A list item's or a quote's marker, and any indentation before it.
_LIST_MARKER = re.compile(r"^\s*(?:>\s*)*(?:[*+-]|\d{1,9}[.)])?[ \t]+|^\s*>\s*")
_SETEXT = re.compile(r"\n[=-]+\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]")
_FOOTNOTE = re.compile(r"\[\^[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^<>\s]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|`+")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")


def paragraph_text(block: str, shortest: int = _SHORTEST_TEXT) -> str:
    """One block of Markdown (or of HTML) as plain text on one line; '' when it holds no prose."""
    block = block.strip()
    if not block or block.startswith(_BLOCK_SKIPPED) or _SETEXT.search(block):
        return ""
    block = _HIDDEN.sub(" ", block)
    if re.match(r"<h[1-6]\b", block, re.I):
        return ""
    block = _IMAGE.sub("", block)
    block = _LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), block)
    block = _FOOTNOTE.sub("", block)
    block = _AUTOLINK.sub(r"\1", block)
    block = _TAG.sub(" ", block)
    block = _EMPHASIS.sub("", block)
    block = _ESCAPE.sub(r"\1", block)
    text = " ".join(html.unescape(block).split())
    # What is left of a paragraph of only images, tags or punctuation is not an opening.
    return text if len(text) >= shortest and re.search(r"\w{2}", text) else ""


def opening_text(markdown: str, divider: str | None = None) -> str:
    """The old site's summary of a body, untrimmed: the text before `divider`, else its first paragraph."""
    text = _TEMPLATE.sub("", markdown)
    if divider and divider in text:
        before = _COMMENT.sub("", text.split(divider, 1)[0])
        # The author chose where the summary ends: all of the text before it, however short.
        found = " ".join(filter(None, (paragraph_text(part, shortest=2) for part in re.split(r"\n\s*\n", before))))
        if found:
            return found
    text = _COMMENT.sub("", text)
    text = _HIDDEN.sub("\n\n", text)
    # A block of HTML may hold several paragraphs, and a heading may have text right under it:
    # each is a block of its own here.
    text = re.sub(r"</p\s*>|<br\s*/?>|</div\s*>|</h[1-6]\s*>", "\n\n", text, flags=re.I)
    text = re.sub(r"(<h[1-6]\b)", r"\n\n\1", text, flags=re.I)
    text = _ATX_HEADING.sub("\n", text)
    blocks = re.split(r"\n\s*\n", text)
    for block in blocks:
        found = paragraph_text(block)
        if found:
            return found
    # No paragraph: Hugo's summary is then the opening of the lists and quotes, as one line.
    words = []
    for block in blocks:
        for line in block.split("\n"):
            found = paragraph_text(_LIST_MARKER.sub("", line), shortest=2)
            if found:
                words.append(found if found[-1] in ".!?:;" else found + ".")
        if sum(map(len, words)) > LIMIT:
            break
    return " ".join(words) if sum(map(len, words)) >= _SHORTEST_TEXT else ""


def trim(text: str, limit: int = LIMIT) -> str:
    """`text` as a description: whole when short, else its first sentences, else cut at a word with '…'."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit + 1) if m.end() <= limit]
    if ends and ends[-1] >= _SHORTEST_SENTENCES:
        return text[:ends[-1]]
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut].rstrip(" ,;:-–—") + "…"


def summary_of(body: str, divider: str | None) -> str:
    """The description the old site's summary gives a body with none of its own; '' when it has no usable text."""
    return trim(opening_text(body, divider))
