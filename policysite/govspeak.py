"""Govspeak blocks for Python-Markdown.

Editors who know GOV.UK's publishing tools write the same markup here:

=================================  ===========================================
written                            renders as
=================================  ===========================================
``^Text^``                         ``<div class="information-callout" role="note">``
``%Text%``                         ``<div class="warning-callout" role="note">``
``$CTA`` ... ``$CTA``              ``<div class="call-to-action">``
``$E`` ... ``$E``                  ``<div class="example">``
``$A`` ... ``$A``                  ``<div class="address">`` (line breaks kept)
``$C`` ... ``$C``                  ``<div class="contact">`` (line breaks kept)
``s1. Text`` / ``s2. Text``        ``<ol class="steps">``
``*[NHS]: National Health Service`` ``<abbr title="...">`` (the ``abbr`` extension)
``> ...`` ending ``> — Name``      ``<figure class="quote">`` with ``<figcaption>``
=================================  ===========================================

Use::

    md = markdown.Markdown(extensions=[GovspeakExtension(), "tables", "toc"])
    html = md.convert(text)
    md.govspeak_warnings   # [(line, message), ...] for that document
    md.reset()             # before the next document

How it works:

* A preprocessor pairs the ``$CTA``/``$E``/``$A``/``$C`` marker lines (skipping
  fenced code), records their line numbers and replaces each paired marker
  with a private placeholder line surrounded by blank lines. Unpaired markers
  are left as they are (they render as ordinary text) and produce a warning.
  It also warns about callout paragraphs that open with ``^`` or ``%`` but are
  never closed.
* Block processors turn placeholders into containers (with full Markdown
  inside), callout paragraphs into callouts and ``sN.`` lines into steps.
* A tree processor turns a blockquote whose last paragraph starts with an em
  dash into a ``<figure class="quote">`` with a ``<figcaption>``.
* A postprocessor turns any placeholder that did not become a container (for
  example one inside a code block or raw HTML) back into the marker text.

Every scan is linear in the size of the input: no regular expression here can
backtrack catastrophically.
"""

from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as etree

from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrExtension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX, AtomicString

__all__ = ["GovspeakExtension", "makeExtension"]

# Delimited blocks: marker -> (class name, name used in warnings, keep line breaks).
CONTAINERS = {
    "$CTA": ("call-to-action", "call to action", False),
    "$E": ("example", "example", False),
    "$A": ("address", "address", True),
    "$C": ("contact", "contact details", True),
}

# Callouts: marker character -> (class name, name used in warnings, hidden prefix).
CALLOUTS = {
    "^": ("information-callout", "Information callout", None),
    "%": ("warning-callout", "Warning callout", "Warning: "),
}

# Placeholder for a paired marker line. STX and ETX are removed from the
# source by Python-Markdown's whitespace normaliser before our preprocessor
# runs, so an author cannot forge one.
_TOKEN_PREFIX = STX + "govspeak:"
_TOKEN_RE = re.compile(STX + r"govspeak:(\d+)" + ETX)

# `s1. Text`: anchored, no nested quantifiers.
_STEP_RE = re.compile(r"s(\d{1,9})\.[ ]+(\S.*)")

# A line that would open a fenced code block for the fenced_code extension
# (mirrors its opening-fence syntax, one line at a time).
_FENCE_OPEN_RE = re.compile(
    r"(`{3,}|~{3,})[ ]*(?:\{[^\n]*\}|\.?[\w#.+-]*[ ]*"
    r"(?:hl_lines=(\"|')[^\n]*?\2[ ]*)?)"
)
_FENCE_CLOSE_RE = re.compile(r"(`{3,}|~{3,})[ ]*")

# Attribution prefixes for a quote's last paragraph.
_ATTRIBUTION_PREFIXES = ("\u2014", "&mdash;", "-- ")


def _token(n: int) -> str:
    return f"{_TOKEN_PREFIX}{n}{ETX}"


def _token_number(line: str) -> int | None:
    """The placeholder number if `line` is a placeholder line, else None."""
    line = line.strip(" ")
    if line.startswith(_TOKEN_PREFIX) and line.endswith(ETX):
        digits = line[len(_TOKEN_PREFIX):-1]
        if digits.isdigit():
            return int(digits)
    return None


def _has_text(s: str, marker: str) -> bool:
    """True if `s` holds a character that is neither space nor `marker`."""
    return bool(s.strip(marker + " \t"))


def _find_callout_end(lines: list[str], marker: str) -> int | None:
    """Index of the line that closes a callout opened on lines[0], or None.

    lines[0] (without leading spaces) starts with `marker`. The callout ends at
    the first line that ends with `marker` and leaves some text between the
    two markers. Linear in the total length of the lines.
    """
    seen_text = False
    for i, line in enumerate(lines):
        body = line.strip(" \t")
        if i == 0:
            body = body[1:]
        if body.endswith(marker) and (seen_text or _has_text(body[:-1], marker)):
            return i
        if not seen_text and _has_text(body, marker):
            seen_text = True
    return None


class _Marker:
    __slots__ = ("marker", "line", "level", "partner", "reported")

    def __init__(self, marker: str, line: int, level: int):
        self.marker = marker
        self.line = line          # 1-based line in the converted text
        self.level = level        # indentation level (indent // tab_length)
        self.partner: int | None = None  # number of the matching marker
        self.reported = False     # a warning about this pair was given


class _DocumentState(Extension):
    """Per-Markdown-instance, per-document state.

    Registered with ``md.registerExtension`` so that ``md.reset()`` clears it;
    the preprocessor also clears it at the start of every conversion, so
    nothing leaks from one document to the next even without a reset.
    """

    def __init__(self, md):
        super().__init__()
        self.md = md
        self.reset()

    def reset(self):
        self.markers: list[_Marker] = []
        self.open_containers: dict[etree.Element, int] = {}
        self.warnings: list[tuple[int, str]] = []
        self.md.govspeak_warnings = self.warnings

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))


def _describe(marker: str) -> str:
    return f"`{marker}` ({CONTAINERS[marker][1]})"


def _warn_misplaced(state: _DocumentState, number: int) -> None:
    """Warn (once per pair) that a paired block could not be built."""
    marker = state.markers[number]
    other = state.markers[marker.partner]
    if marker.reported or other.reported:
        return
    marker.reported = other.reported = True
    first, second = sorted((marker.line, other.line))
    state.warn(
        first,
        f"{_describe(marker.marker)} block on lines {first} to {second} could not "
        f"be built: put both `{marker.marker}` lines at the same indentation, with "
        f"a blank line before and after each, and do not start the block inside "
        f"one thing (a list, a quote, raw HTML) and end it outside.",
    )


class GovspeakPreprocessor(Preprocessor):
    """Pair block markers, record line numbers, warn about unclosed blocks."""

    def __init__(self, md, state: _DocumentState):
        super().__init__(md)
        self.state = state

    def _fenced_lines(self, lines: list[str], text: str) -> list[bool]:
        """Which lines belong to a fenced code block (fenced_code extension); text is the lines joined."""
        inside = [False] * len(lines)
        if "fenced_code_block" not in self.md.preprocessors or ("```" not in text and "~~~" not in text):
            return inside
        closers: dict[str, list[int]] = {}
        for i, line in enumerate(lines):
            if line[:1] in "`~" and _FENCE_CLOSE_RE.fullmatch(line):
                closers.setdefault(line.rstrip(" "), []).append(i)
        i = 0
        n = len(lines)
        while i < n:
            line = lines[i]
            m = _FENCE_OPEN_RE.fullmatch(line) if line[:1] in "`~" else None
            if m:
                candidates = closers.get(m.group(1), [])
                k = bisect.bisect_right(candidates, i)
                if k < len(candidates):
                    j = candidates[k]
                    for x in range(i, j + 1):
                        inside[x] = True
                    i = j + 1
                    continue
            i += 1
        return inside

    def run(self, lines: list[str]) -> list[str]:
        state = self.state
        state.reset()
        text = "\n".join(lines)
        if "$" not in text and "^" not in text and "%" not in text:
            return lines   # no marker, no callout: nothing to pair, warn about or rewrite
        tab = self.md.tab_length
        fenced = self._fenced_lines(lines, text)

        # 1. Pair the container markers.
        stack: list[int] = []   # indexes into state.markers
        where: dict[int, int] = {}   # line index -> marker number
        for idx, line in enumerate(lines):
            if fenced[idx] or "$" not in line:
                continue
            stripped = line.strip(" ")
            if stripped not in CONTAINERS:
                continue
            level = (len(line) - len(line.lstrip(" "))) // tab
            number = len(state.markers)
            marker = _Marker(stripped, idx + 1, level)
            state.markers.append(marker)
            where[idx] = number
            match = None
            for pos in range(len(stack) - 1, -1, -1):
                other = state.markers[stack[pos]]
                if other.marker == stripped and other.level == level:
                    match = pos
                    break
            if match is None:
                stack.append(number)
                continue
            # Anything opened inside the block we are closing was never closed.
            for inner in stack[match + 1:]:
                m = state.markers[inner]
                state.warn(
                    m.line,
                    f"{_describe(m.marker)} block is not closed before the "
                    f"`{stripped}` block around it ends on line {idx + 1}: add a "
                    f"line with only `{m.marker}` where the {CONTAINERS[m.marker][1]} "
                    f"ends. Until then `{m.marker}` is shown as ordinary text.",
                )
            opener = stack[match]
            del stack[match:]
            state.markers[opener].partner = number
            marker.partner = opener
        for left in stack:
            m = state.markers[left]
            state.warn(
                m.line,
                f"{_describe(m.marker)} block is not closed: add a line with only "
                f"`{m.marker}` after the end of the block. Until then `{m.marker}` "
                f"is shown as ordinary text.",
            )

        # 2. Callout paragraphs that are never closed (top level only).
        self._check_callouts(lines, fenced, where)

        # 3. Rewrite: placeholders for paired markers, hard line breaks in
        #    address and contact blocks.
        out: list[str] = []
        keep_breaks = 0   # how many address/contact blocks we are inside
        for idx, line in enumerate(lines):
            number = where.get(idx)
            if number is not None and state.markers[number].partner is not None:
                m = state.markers[number]
                indent = line[: len(line) - len(line.lstrip(" "))]
                out.extend(("", indent + _token(number), ""))
                if CONTAINERS[m.marker][2]:
                    keep_breaks += 1 if m.partner > number else -1
                continue
            if (
                keep_breaks
                and not fenced[idx]
                and line.strip()
                and idx + 1 < len(lines)
                and lines[idx + 1].strip()
                and not (where.get(idx + 1) is not None
                         and state.markers[where[idx + 1]].partner is not None)
            ):
                line = line.rstrip(" ") + "  "
            out.append(line)
        return out

    def _check_callouts(self, lines, fenced, where) -> None:
        tab = self.md.tab_length
        n = len(lines)
        idx = 0
        at_start = True
        while idx < n:
            line = lines[idx]
            stripped = line.strip(" ")
            if not stripped or fenced[idx] or idx in where:
                at_start = True
                idx += 1
                continue
            if stripped.startswith("#"):
                at_start = True
                idx += 1
                continue
            indent = len(line) - len(line.lstrip(" "))
            if not at_start or indent >= tab or stripped[0] not in CALLOUTS:
                at_start = False
                idx += 1
                continue
            marker = stripped[0]
            end = idx
            while end + 1 < n and lines[end + 1].strip(" ") and not fenced[end + 1] \
                    and (end + 1) not in where:
                end += 1
            run = lines[idx:end + 1]
            close = _find_callout_end(run, marker)
            if close is None:
                if any(_has_text(x, marker) for x in run):
                    name = CALLOUTS[marker][1]
                    self.state.warn(
                        idx + 1,
                        f"{name} is not closed: end its last line with `{marker}`, "
                        f"or remove the `{marker}` at the start if you did not mean "
                        f"a callout. It is shown as ordinary text.",
                    )
                idx = end + 1
                at_start = False
                continue
            # The rest of the paragraph after the callout starts a new block.
            idx += close + 1
            at_start = True


class ContainerProcessor(BlockProcessor):
    """Turn paired marker placeholders into `<div class="...">` containers."""

    def __init__(self, parser, state: _DocumentState):
        super().__init__(parser)
        self.state = state

    def test(self, parent, block):
        if block.lstrip(" ").startswith(_TOKEN_PREFIX):
            return True
        return bool(self.state.open_containers) and len(parent) > 0 \
            and parent[-1] in self.state.open_containers

    def run(self, parent, blocks):
        state = self.state
        block = blocks.pop(0)
        first, _, rest = block.partition("\n")
        number = _token_number(first)

        # Continuation of a container opened earlier at this level (this is
        # how list items hand us their content, one block at a time).
        last = parent[-1] if len(parent) else None
        if last is not None and last in state.open_containers:
            if number is not None and number == state.open_containers[last]:
                del state.open_containers[last]
                if rest.strip():
                    blocks.insert(0, rest)
            else:
                self.parser.parseBlocks(last, [block])
            return None

        if number is None or number >= len(state.markers):
            blocks.insert(0, block)
            return False
        handed_more = bool(blocks)
        if rest.strip():
            blocks.insert(0, rest)
        marker = state.markers[number]
        if marker.partner is None or marker.partner < number:
            # A closing marker with no container open here.
            self._as_text(parent, marker)
            if marker.partner is not None:
                _warn_misplaced(state, number)
            return None

        closing = marker.partner
        for j, candidate in enumerate(blocks):
            candidate = candidate.lstrip("\n")
            if _token_number(candidate.partition("\n")[0]) == closing:
                div = etree.SubElement(
                    parent, "div", {"class": CONTAINERS[marker.marker][0]})
                inner = blocks[:j]
                after = candidate.partition("\n")[2]
                del blocks[: j + 1]
                if after.strip():
                    blocks.insert(0, after)
                self.parser.parseBlocks(div, inner)
                return None
        if handed_more:
            # The closing line is somewhere we cannot reach (raw HTML, another
            # list item...): show the marker as text rather than swallow the
            # rest of the document.
            self._as_text(parent, marker)
            _warn_misplaced(state, number)
            return None
        # We were handed this block on its own (list items pass their content
        # one block at a time): keep the container open for the next blocks.
        div = etree.SubElement(parent, "div", {"class": CONTAINERS[marker.marker][0]})
        state.open_containers[div] = closing
        return None

    @staticmethod
    def _as_text(parent, marker: _Marker) -> None:
        p = etree.SubElement(parent, "p")
        p.text = AtomicString(marker.marker)


class CalloutProcessor(BlockProcessor):
    """`^Text^` and `%Text%` paragraphs."""

    def test(self, parent, block):
        return block.lstrip(" ")[:1] in CALLOUTS

    def run(self, parent, blocks):
        block = blocks[0]
        lines = block.split("\n")
        marker = lines[0].lstrip(" ")[0]
        end = _find_callout_end(lines, marker)
        if end is None:
            return False  # an ordinary paragraph; the preprocessor warned
        blocks.pop(0)
        text = "\n".join(line.strip(" ") for line in lines[: end + 1])
        text = text[1:].rstrip()[:-1].strip()
        rest = "\n".join(lines[end + 1:])
        if rest.strip():
            blocks.insert(0, rest)

        class_name, _name, hidden = CALLOUTS[marker]
        div = etree.SubElement(parent, "div", {"class": class_name, "role": "note"})
        p = etree.SubElement(div, "p")
        if hidden:
            span = etree.SubElement(p, "span", {"class": "visually-hidden"})
            span.text = AtomicString(hidden)
            span.tail = text
        else:
            p.text = text
        return None


class StepsProcessor(BlockProcessor):
    """Consecutive `s1. Text` lines become `<ol class="steps">`.

    A line indented with spaces continues the step above it; any other line
    ends the steps and is parsed as ordinary Markdown.
    """

    def test(self, parent, block):
        return block[:1] == "s" and _STEP_RE.match(block) is not None

    def run(self, parent, blocks):
        lines = blocks.pop(0).split("\n")
        steps: list[list] = []   # [number, text]
        end = len(lines)   # the first line that is not part of the steps
        for index, line in enumerate(lines):
            m = _STEP_RE.match(line)
            if m:
                steps.append([int(m.group(1)), m.group(2).rstrip()])
            elif line[:1] == " " and line.strip():
                steps[-1][1] += "\n" + line.strip()
            else:
                end = index
                break
        rest = "\n".join(lines[end:])
        if rest.strip():
            blocks.insert(0, rest)

        last = parent[-1] if len(parent) else None
        if last is not None and last.tag == "ol" and last.get("class") == "steps":
            ol = last
        else:
            ol = etree.SubElement(parent, "ol", {"class": "steps"})
            if steps[0][0] != 1:
                ol.set("start", str(steps[0][0]))
        for _number, text in steps:
            li = etree.SubElement(ol, "li")
            li.text = text
        return None


class GovspeakTreeprocessor(Treeprocessor):
    """Quotes with attribution; report containers that never closed."""

    def __init__(self, md, state: _DocumentState):
        super().__init__(md)
        self.state = state

    def run(self, root):
        state = self.state
        for closing in state.open_containers.values():
            _warn_misplaced(state, closing)
        state.open_containers.clear()

        found = []
        if next(root.iter("blockquote"), None) is not None:   # most pages have no quote
            for parent in root.iter():
                for index, child in enumerate(parent):
                    if child.tag == "blockquote":
                        found.append((parent, index, child))
        for parent, index, quote in reversed(found):
            self._attribute(parent, index, quote)
        state.warnings.sort(key=lambda w: w[0])
        return None

    @staticmethod
    def _attribute(parent, index, quote) -> None:
        if len(quote) < 2:
            return
        last = quote[-1]
        if last.tag != "p" or len(last) or not last.text:
            return
        text = last.text.lstrip()
        for prefix in _ATTRIBUTION_PREFIXES:
            if text.startswith(prefix):
                caption_text = text[len(prefix):].strip()
                break
        else:
            return
        if not caption_text:
            return
        figure = etree.Element("figure", {"class": "quote"})
        figure.tail = quote.tail
        quote.tail = None
        quote.remove(last)
        parent.remove(quote)
        figure.append(quote)
        caption = etree.SubElement(figure, "figcaption")
        caption.text = caption_text
        parent.insert(index, figure)


class RestoreMarkersPostprocessor(Postprocessor):
    """Put back marker text for placeholders that did not become containers."""

    def __init__(self, md, state: _DocumentState):
        super().__init__(md)
        self.state = state

    def run(self, text):
        if _TOKEN_PREFIX not in text:
            return text
        markers = self.state.markers

        def restore(m):
            n = int(m.group(1))
            return markers[n].marker if n < len(markers) else ""

        return _TOKEN_RE.sub(restore, text)


class GovspeakExtension(Extension):
    """Python-Markdown extension for Govspeak blocks.

    Loads the ``abbr`` extension too if it is not loaded already. After each
    ``md.convert(text)``, ``md.govspeak_warnings`` is a list of
    ``(line, message)`` for that document, ``line`` counting from 1.
    """

    def extendMarkdown(self, md):
        if not any(isinstance(ext, AbbrExtension) for ext in md.registeredExtensions):
            AbbrExtension().extendMarkdown(md)
        state = _DocumentState(md)
        md.registerExtension(state)
        # After whitespace normalisation (30), before meta (27), fenced code
        # (25) and raw HTML (20), so line numbers are those of the source.
        md.preprocessors.register(GovspeakPreprocessor(md, state), "govspeak", 29)
        # After list indentation (90) and indented code (80); before tables
        # (75), headings (70), lists (40), quotes (20) and paragraphs (10).
        md.parser.blockprocessors.register(
            ContainerProcessor(md.parser, state), "govspeak_container", 79)
        md.parser.blockprocessors.register(
            CalloutProcessor(md.parser), "govspeak_callout", 78)
        md.parser.blockprocessors.register(
            StepsProcessor(md.parser), "govspeak_steps", 77)
        # Before inline processing (20), so captions get inline Markdown.
        md.treeprocessors.register(GovspeakTreeprocessor(md, state), "govspeak", 25)
        # After raw HTML is put back (30), so placeholders in it are restored.
        md.postprocessors.register(RestoreMarkersPostprocessor(md, state), "govspeak", 25)


def makeExtension(**kwargs):  # pragma: no cover
    return GovspeakExtension(**kwargs)
