"""Markdown to safe HTML, with every link resolved and every id collected.

One Python-Markdown instance is made per process and reset between pages.
Our own tree processor resolves links through `links.Resolver`, gives
headings ids, fills empty link texts with the target's title and notes
attachments' type and size. Fragment checks wait until every page is
rendered, since a link's target may not have been rendered yet.
"""

from __future__ import annotations

import html as html_lib
import re
import signal
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

import markdown
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

from . import images, mdext, sanitize, templatetags
from .govspeak import GovspeakExtension
from .links import LinkProblem, Resolver, signature
from .mdspeed import SpeedupsExtension
from .model import Page

try:
    # signal.signal without the wrapper that turns handlers into enums, which costs
    # ~20 us a page here (it raises and catches a ValueError for a function handler).
    import _signal
except ImportError:  # pragma: no cover
    _signal = signal

_PLACEHOLDER = re.compile("\x02[^\x03]*\x03")
# Ids the theme's layouts use around the body; headings never take them.
RESERVED_IDS = frozenset({"main-content", "full-history", "full-history-title", "contents", "contents-title",
                          "related-title", "topics-title", "backlinks-title", "search-results", "search-input",
                          "consultation-title"})
_HTML_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
# href on <a>, src on <img>, inside a raw HTML tag.
_RAW_URL_ATTRIBUTE = re.compile(
    r"""(?<=<)(?P<tag>a|img)\b(?P<before>[^<>]*?\s)(?P<attr>href|src)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""",
    re.I)
# Raw HTML that is not output as elements: comments, and what scripts and styles hold.
_NOT_OUTPUT = re.compile(r"(<!--.*?(?:-->|$)|<(?:script|style|template|textarea)\b.*?(?:</(?:script|style|template|textarea)\s*>|$))",
                         re.S | re.I)
_SCHEME_OR_NETWORK = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.\-]*:|//)")
_RAW_H1 = re.compile(r"<h1(?=[\s/>])", re.I)
_CODE_SPAN = re.compile(r"(`+)[^`]*?\1")
# The needle (see Pending) of a link with no address, and how one is written: inline, with or
# without a title, or as a reference definition.
_NO_ADDRESS = "\x00no address"
_EMPTY_ADDRESS = re.compile(r"""\]\(\s*(?:<\s*>)?\s*(?:"[^"]*"|'[^']*')?\s*\)|^[ ]{0,3}\[[^\]]+\]:[ \t]*<\s*>""", re.M)


_NOT_WORD = re.compile(r"[^\w\s-]")
_WORD_BREAKS = re.compile(r"[\s_-]+")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def heading_id(text: str) -> str:
    """Heading text to an id: lower case, words joined by '-', punctuation dropped."""
    text = _PLACEHOLDER.sub("", text).lower()
    text = _NOT_WORD.sub("", text)
    return "-".join(_WORD_BREAKS.split(text.strip())).strip("-") or "section"


def unique_id(base: str, taken: set) -> str:
    """base, or base-1, base-2 ... whichever is free."""
    if base not in taken:
        return base
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def describe_file(path: str, size: int) -> str:
    """'PDF, 2 KB': what an attachment link says about its file."""
    kind = PurePosixPath(path).suffix.lstrip(".").upper() or "File"
    if size < 1024 * 1024:
        amount = f"{max(1, -(-size // 1024))} KB"
    else:
        amount = f"{size / (1024 * 1024):.1f} MB"
    return f"{kind}, {amount}"


# A wide table scrolls inside its wrapper; the theme's tables.js makes the wrapper a
# labelled, focusable region only when the table really overflows.
_TABLE_OPEN = '<div class="table-wrapper"><table'


def wrap_tables(html: str) -> str:
    """Put each table in a wrapper that scrolls sideways on narrow screens."""
    if "<table" not in html:
        return html
    return html.replace("<table", _TABLE_OPEN).replace("</table>", "</table></div>")


class Problem(NamedTuple):
    """A problem on a page's body; a plain list once in the cache."""

    line: int
    severity: str   # "error" or "warning"
    message: str
    code: str


class Pending(NamedTuple):
    """A problem whose line is found once the page is rendered: the first line holding `needle` not yet used."""

    needle: str
    severity: str
    message: str
    code: str


@dataclass
class Rendered:
    """What rendering one page's Markdown gives the later stages."""

    html: str = ""
    ids: set[str] = field(default_factory=set)
    toc: list[dict[str, str]] = field(default_factory=list)   # {"id", "text"} of each `##` heading
    # Every internal link as written, in order; fragments are checked later, and
    # their lines found (link_lines) only for a link that turns out broken.
    links: list[str] = field(default_factory=list)
    # (href as written, signature) for every link resolved: the cache's dependencies.
    deps: list[tuple[str, list[object]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Index in `links`, the page's source (or address), #fragment of each link to a page, three items
    # a link (as MarkdownRecord.targets has them), as stages.check_page_links would find them: noted
    # here, where each link is resolved anyway, so that checking fragments need not resolve every
    # link again in the main process.
    targets: list[int | str] = field(default_factory=list)


class _PageTree(Treeprocessor):
    """Resolves links and images, gives headings ids, collects ids and the contents list."""

    def __init__(self, md, renderer: MarkdownRenderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root):
        state = self.renderer.current
        page, result = state["page"], state["result"]
        self._rewrite_raw_html()
        taken = result.ids
        # One walk: the only elements added below are the spans of attachment links.
        elements = list(root.iter())
        present = set()   # ids in the tree
        for el in elements:
            ident = el.get("id")
            if ident:
                taken.add(ident)
                present.add(ident)
        # Ids in raw HTML (stashed, not in the tree) are taken too; an <h1> there is a second
        # top-level heading as much as `# ` is (one in a comment or a script is not output).
        raw_h1 = 0
        for stashed in self.md.htmlStash.rawHtmlBlocks:
            text = str(stashed)
            taken.update(_HTML_ID.findall(text))
            if "<h1" in text.lower():
                raw_h1 += sum(len(_RAW_H1.findall(part)) for index, part in enumerate(_NOT_OUTPUT.split(text))
                              if not index % 2)
        taken |= self.renderer.reserved_ids
        h2s = []
        top_level = 0
        for el in elements:
            tag = el.tag
            if tag in _HEADINGS:
                text = _PLACEHOLDER.sub("", "".join(el.itertext())).strip()
                ident = el.get("id")
                if not ident:
                    ident = unique_id(heading_id(text), taken)
                    el.set("id", ident)
                    taken.add(ident)
                    present.add(ident)
                if tag == "h1":
                    top_level += 1
                elif tag == "h2":
                    h2s.append({"id": ident, "text": text})
            elif tag == "a":
                if el.get("href") is not None:
                    self._link(el, "href", page, result, state)
            elif tag == "img" and el.get("src") is not None:
                if not (el.get("alt") or "").strip():
                    state["pending"].append(Pending(el.get("src"), "warning",
                        "the image has no alt text: describe what it shows between the `[ ]`", code="missing-alt-text"))
                self._link(el, "src", page, result, state)
        top_level += raw_h1
        if top_level:
            # One warning a page: a site whose pages all start `# Title` hears it once for each.
            others = f" (and {top_level - 1} more in this page)" if top_level > 1 else ""
            html = ", or `<h2>` in HTML," if raw_h1 else ""
            state["pending"].append(Pending("h1", "warning",
                f"use `##`{html} for headings in the body{others}: the page title is the page's only top-level heading",
                code="heading-level"))
        result.toc = h2s if len(h2s) >= 2 else []
        result.ids -= self.renderer.reserved_ids - present
        self._raw_html_links(page, result, state)

    def _rewrite_raw_html(self) -> None:
        """Raw HTML's `<a name>` anchors as ids and its embeds as links, before ids and links are collected."""
        stash = self.md.htmlStash.rawHtmlBlocks
        for index, block in enumerate(stash):
            text = str(block)
            new = sanitize.replace_embeds(sanitize.anchor_names(text, self.renderer.reserved_ids))
            if new != text:
                stash[index] = new

    def _resolve(self, raw: str, page: Page, result: Rendered, state, kind: str = "link", text: str = ""):
        """The link's Target, recorded as a dependency (and, if internal, as a link); None when broken.
        `kind` ("link" or "image") and its text name it in the message for one with no address."""
        if templatetags.in_address(raw):
            return None   # not an address until another generator runs it: templatetags warns at its line
        target = self.renderer.resolver.outcome(raw, page)
        result.deps.append((raw, signature(target)))
        if isinstance(target, LinkProblem):
            if not raw.strip():
                # "broken link ``" says nothing to an editor; naming the link tells apart several on one line.
                what = f"the {kind} `{text}`" if text else f"a {kind}"
                example = "`(images/chart.png)`" if kind == "image" else "`(other-page.md)`"
                message = (f"{what} has no address: put its address between the brackets `( )`, "
                           f"such as {example}, or remove the {kind}")
                state["pending"].append(Pending(_NO_ADDRESS, "error", message, code="broken-link"))
                return None
            state["pending"].append(Pending(raw, "error", f"broken link `{raw}`: {target}", code="broken-link"))
            return None
        if not target.external:
            result.links.append(raw)
            if target.page is not None:
                result.targets += (len(result.links) - 1, target.page.source or target.page.url, target.fragment)
        return target

    def _raw_html_links(self, page: Page, result: Rendered, state) -> None:
        """`<a href>` and `<img src>` in raw HTML: resolved and checked like Markdown links."""
        stash = self.md.htmlStash.rawHtmlBlocks
        for index, block in enumerate(stash):
            text = str(block)
            if "<" not in text:
                continue

            def rewrite(m):
                raw = html_lib.unescape(m.group("dq") if m.group("dq") is not None else m.group("sq"))
                probe = re.sub(r"[\t\n\r]", "", raw).strip()   # as a browser reads it
                if not probe or _SCHEME_OR_NETWORK.match(probe):
                    return m.group(0)   # external, or a scheme sanitize removes with a warning
                target = self._resolve(raw, page, result, state)
                if target is None:
                    return m.group(0)
                if m.group("tag").lower() == "img" and m.group("attr").lower() == "src" and target.file is not None:
                    self._size_image(None, raw, target, state)
                return f'{m.group("tag")}{m.group("before")}{m.group("attr")}="{html_lib.escape(target.href)}"'

            # A comment or a script is not output as HTML: an address in it is no link.
            new = "".join(part if index % 2 else _RAW_URL_ATTRIBUTE.sub(rewrite, part)
                          for index, part in enumerate(_NOT_OUTPUT.split(text)))
            if new != text:
                stash[index] = new

    def _link(self, el, attr, page: Page, result: Rendered, state) -> None:
        raw = el.get(attr)
        if AMP_SUBSTITUTE in raw:
            # An email autolink, <name@example.org>: Markdown hides the address in entities.
            raw = html_lib.unescape(raw.replace(AMP_SUBSTITUTE, "&"))
            if _SCHEME_OR_NETWORK.match(raw):
                return
        kind = "link" if attr == "href" else "image"
        text = ""
        if not raw.strip():   # only a link with no address is named by its text
            text = " ".join(_PLACEHOLDER.sub("", "".join(el.itertext()) if kind == "link" else el.get("alt") or "").split())
        target = self._resolve(raw, page, result, state, kind, text)
        if target is None:
            return
        el.set(attr, target.href)
        if target.external:
            return
        if attr == "src" and target.file is not None:
            self._size_image(el, raw, target, state)
        if attr == "href" and not el.text and len(el) == 0:
            # Empty link text: the target page's title, or the file's name.
            if target.page is not None:
                el.text = target.page.title
            elif target.file is not None:
                el.text = PurePosixPath(target.file.source).name
        if attr == "href" and target.file is not None and target.file.source.startswith("content/"):
            meta = etree.SubElement(el, "span")
            meta.set("class", "attachment-meta")
            meta.text = f" ({describe_file(target.file.source, target.file.size)})"

    def _size_image(self, el, raw: str, target, state) -> None:
        """An image from a local file: width and height read from it, and for a large
        one a srcset, added once the HTML is sanitised (nh3 would drop it). el is
        None for an <img> in raw HTML: its width and height are added then too."""
        try:
            found = self.renderer.picture(target.file)
        except images.ImageProblem as problem:
            state["pending"].append(Pending(raw, "warning", f"image `{raw}`: {problem}", code="image-unreadable"))
            return
        if found is None:
            return
        if el is None:
            state["pictures"][target.href] = found
            return
        if el.get("width") is None and el.get("height") is None:   # sizes the editor wrote win
            el.set("width", str(found.width))
            el.set("height", str(found.height))
        if found.srcset:
            state["pictures"][target.href] = found


class _CleanTree(Treeprocessor):
    """Table alignment as nh3 writes it; notes whether the tree needs no cleaning (sanitize.py)."""

    def __init__(self, md, renderer: MarkdownRenderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root):
        sanitize.align_cells(root)
        # Raw HTML (all of it is in the stash by now) or a site's own extension: nh3 cleans the page.
        self.renderer.current["clean_tree"] = (sanitize.TRUST_CLEAN_TREES and not self.md.htmlStash.rawHtmlBlocks
                                               and not self.renderer.site_extensions and sanitize.tree_needs_no_cleaning(root))


class _PolicysiteExtension(Extension):
    def __init__(self, renderer):
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md):
        # After inline patterns (20), attr_list (8) and abbr, so text and ids are final.
        md.treeprocessors.register(_PageTree(md, self.renderer), "policysite_page", 4)
        # Last, after backslash escapes are put back (0): the tree as it is written.
        md.treeprocessors.register(_CleanTree(md, self.renderer), "policysite_clean", -1)


def _extensions(renderer: MarkdownRenderer, site_extensions: list[Extension]) -> list[Extension]:
    """Our extensions, then the site's. A site entry for one of ours (`footnotes` with its own
    settings, say) takes its place rather than loading it twice; `abbr` goes before Govspeak,
    which otherwise loads its own."""
    ours: list[Extension] = [GovspeakExtension(), TableExtension(), AttrListExtension(), FencedCodeExtension(),
                             SaneListExtension(), FootnoteExtension(), DefListExtension()]
    added: list[Extension] = []
    for extension in site_extensions:
        same = [index for index, mine in enumerate(ours) if type(mine) is type(extension)]
        if same:
            ours[same[0]] = extension
        elif isinstance(extension, AbbrExtension):
            ours.insert(0, extension)
        else:
            added.append(extension)
    return ours + [_PolicysiteExtension(renderer)] + added


def render_fingerprint(config) -> str:
    """What a page's HTML depends on besides its body and policysite's code: the base path and the site's extensions."""
    return f"{config.root}\0{mdext.fingerprint(config.markdown_extensions)}"


class MarkdownRenderer:
    """Renders page bodies; one per process, reused for every page."""

    def __init__(self, resolver: Resolver, speedups: bool = True, reserved_ids: frozenset[str] = RESERVED_IDS):
        """speedups=False: Python-Markdown's own pipeline, for tests to compare against.
        reserved_ids: ids the layouts give (layoutids.py), which headings never take.

        The site's `markdown_extensions` come after ours. The stand-ins stay off with
        any extension they were not checked with (mdext.CHECKED_WITH_STAND_INS)."""
        self.resolver = resolver
        self.reserved_ids = reserved_ids
        self.current: dict = {}
        site_extensions = mdext.load_all(resolver.site.config.markdown_extensions)
        self.site_extensions = [type(extension).__module__ for extension in site_extensions]
        self.speedups = speedups and mdext.checked_with_stand_ins(site_extensions)
        self._taken: set[str] | None = None   # URLs smaller copies of images must not take
        self.md = markdown.Markdown(
            extensions=_extensions(self, site_extensions) + ([SpeedupsExtension()] if self.speedups else []),
            output_format="html",
        )

    def picture(self, file) -> images.Picture | None:
        """The width, height and srcset of an image file (None when it is not an image); raises ImageProblem."""
        if not images.is_image(file.source):
            return None
        if self._taken is None:
            self._taken = images.taken_urls(self.resolver.site)
        return images.picture(file, self.resolver.href_for, self._taken)

    def render(self, page: Page) -> Rendered:
        result = Rendered()
        self.current = {"page": page, "result": result, "pending": [], "pictures": {}}
        self.md.reset()
        body = page.body
        try:
            html = _convert(self.md, body)
        except _TooSlow:
            self.md.reset()
            self.current["pending"] = []
            result.problems.append(Problem(_longest_line(body) + page.body_line - 1, "error",
                                    f"this page took over {CONVERT_SECONDS} s to convert and was stopped: a very long line "
                                    "or paragraph with many `[`, `(` or `<` is the usual cause; split it, or write `\\[` "
                                    "for a bracket that does not start a link", code="too-slow"))
            self.current = {}
            return result
        except RecursionError:
            # Python-Markdown recurses once per level of nested lists and quotes.
            self.md.reset()
            self.current["pending"] = []
            result.problems.append(Problem(_deepest_line(body) + page.body_line - 1, "error",
                                    "lists or quotes are nested too deeply here to convert: use fewer levels of indentation or `>`",
                                    code="nested-too-deeply"))
            self.current = {}
            return result
        except Exception as exc:
            if not self.site_extensions:
                raise   # our own code: a bug to see, not an editor's problem
            # A site's extension is code we do not know: its failure on a page is reported there.
            self.md.reset()
            result.problems.append(Problem(page.body_line, "error",
                                    f"a Markdown extension from `markdown_extensions` in site_config.yaml failed on this page "
                                    f"({type(exc).__name__}: {exc}): fix the page, or the extension's settings",
                                    code="markdown-extension"))
            self.current = {}
            return result
        for stashed in self.md.htmlStash.rawHtmlBlocks:
            result.ids.update(_HTML_ID.findall(str(stashed)))
        if not (self.current.get("clean_tree") and sanitize.text_needs_no_cleaning(html)):   # see _CleanTree
            html = sanitize.clean(html)
        result.html = wrap_tables(images.add_picture_attributes(html, self.current["pictures"]))

        first = page.body_line
        pending = self.current["pending"]
        if pending:
            # Python-Markdown expands tabs before anything else: so do the lines links are looked for in.
            lines = body.expandtabs(self.md.tab_length).split("\n")
            seen: dict[str, int] = {}
            for needle, severity, message, code in pending:
                line = _locate(lines, needle, seen) + first - 1
                result.problems.append(Problem(line, severity, message, code))
        for found in sanitize.scan(body, first):
            result.problems.append(Problem(found.line, "warning", found.message, code=found.code))
        for found in templatetags.find(body, first):
            result.problems.append(Problem(found.line, "warning", found.message, code="template-tag"))
        for line, message in getattr(self.md, "govspeak_warnings", []) or []:
            result.problems.append(Problem(line + first - 1, "warning", message, code="govspeak"))
        self.current = {}
        return result


# Python-Markdown is quadratic on some text (a long paragraph of `[` without `]` takes hours):
# past this, a page is an error rather than a build that never ends.
CONVERT_SECONDS = 60


class _TooSlow(Exception):
    pass


def _convert(md, body: str) -> str:
    """md.convert(body), stopped after CONVERT_SECONDS where a timer is free (the main thread)."""
    if (threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer")
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0):
        return md.convert(body)

    def stop(signum, frame):
        raise _TooSlow

    previous = _signal.signal(signal.SIGALRM, stop)
    try:
        signal.setitimer(signal.ITIMER_REAL, CONVERT_SECONDS)
        return md.convert(body)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _signal.signal(signal.SIGALRM, previous)


def _longest_line(body: str) -> int:
    """The 1-based body line that is longest: where a conversion that never ends is stuck."""
    lines = body.split("\n")
    return max(range(len(lines)), key=lambda index: len(lines[index])) + 1


def _deepest_line(body: str) -> int:
    """The 1-based body line indented or quoted most deeply: where nesting goes too far."""
    best, depth = 1, -1
    for index, line in enumerate(body.split("\n")):
        level = len(line) - len(line.lstrip(" \t>"))
        if level > depth:
            best, depth = index + 1, level
    return best


def link_lines(page: Page, links: list[str], tab_length: int = 4) -> list[int]:
    """The source line of each link in `links` (in the order they were rendered)."""
    lines = page.body.expandtabs(tab_length).split("\n")
    seen: dict[str, int] = {}
    return [_locate(lines, raw, seen) + page.body_line - 1 for raw in links]


def _locate(lines: list[str], needle: str | None, seen: dict) -> int:
    """The 1-based body line of the next unreported occurrence of `needle`."""
    if needle == "h1":
        # An <h1> in a comment or a script, or written in backticks, is not output: blanked, lines kept.
        shown = _NOT_OUTPUT.sub(lambda m: "\n" * m.group().count("\n"), "\n".join(lines))
        # A code span may run over lines: blanked to its line breaks, so that lines stay where they are.
        shown_lines = _CODE_SPAN.sub(lambda m: "\n" * m.group().count("\n"), shown).split("\n")
        for index, line in enumerate(lines):
            if re.match(r"^#(?!#)", line) or _RAW_H1.search(shown_lines[index]) or (
                    index + 1 < len(lines) and re.match(r"^=+\s*$", lines[index + 1]) and line.strip()):
                key = f"h1:{index}"
                if key not in seen:
                    seen[key] = 1
                    return index + 1
        return 1
    if needle == _NO_ADDRESS:
        # `[a]()`, `![b]( )`, `[c](<>)` or `[d]: <>`: the next one not yet reported, several to a line.
        text = "\n".join(lines)
        starts = [m.start() for m in _EMPTY_ADDRESS.finditer(text)]
        count = seen[needle] = seen.get(needle, 0) + 1
        return text.count("\n", 0, starts[min(count, len(starts)) - 1]) + 1 if starts else 1
    if not needle:
        return 1
    start = seen.get(needle, 0)
    # Written as a link target (`](x.md`, `]: x.md`, `src="x.md"`), ending there, before
    # a mere mention in prose or a longer link that starts the same (`x.md#part`).
    written = re.compile(r"(?:\]\(\s*<?|\]:[ \t]*<?|=\s*[\"']?)" + re.escape(needle) + r"(?=[\s)>\"']|$)")
    for found in (written.search, lambda line: needle in line):
        for index in range(start, len(lines)):
            if found(lines[index]):
                seen[needle] = index + 1
                return index + 1
        # Written in another form (reference definitions, entities): the first mention.
        for index, line in enumerate(lines):
            if found(line):
                return index + 1
    # A line break inside (`[a](nope\nmore.md)`): whitespace as any whitespace, the next occurrence.
    words = needle.split()
    if len(words) > 1:
        text = "\n".join(lines)
        key = "\x00" + needle
        match = re.compile(r"\s+".join(map(re.escape, words))).search(text, seen.get(key, 0))
        if match:
            seen[key] = match.end()
            return text.count("\n", 0, match.start()) + 1
    return 1
