"""Faster stand-ins for parts of Python-Markdown that give exactly its output.

Most of Python-Markdown's time on a page goes in asking every processor about
every block and every inline pattern about every text, where nearly all answer
no after a regular expression search or a copy of the whole text. Most stand-ins
here first make a cheap check that is necessary for a yes (`#` in a block
before a heading search) and otherwise run Python-Markdown's own code, so the
output is the same, byte for byte. Two are rewrites of small methods that read
a link one character at a time (LinkInlineProcessor.getText, and getLink for
a plain address), returning the same values.

The checks are only as right as the code they were worked out against, so each
stand-in is installed only while that code's source is unchanged (a digest);
an upgraded Python-Markdown runs as it is until someone checks again.
tests/test_render_speedups.py fails when a stand-in is left out, and compares
output with and without them.
"""

from __future__ import annotations

import hashlib
import linecache
import re

from markdown import blockprocessors, htmlparser, inlinepatterns, preprocessors, treeprocessors, util
from markdown.extensions import Extension, abbr, attr_list, def_list, fenced_code, footnotes, tables
from markdown.util import STX, AtomicString

__all__ = ["SpeedupsExtension", "STAND_INS"]


# -- inline patterns -------------------------------------------------------------------

# What a text must contain for an inline pattern's regular expression to match in it,
# keyed by that expression. Python-Markdown tries every pattern on every text, one
# method call each; most texts hold none of these.
_INLINE_NEEDS = {
    inlinepatterns.BACKTICK_RE: "`",
    inlinepatterns.ESCAPE_RE: "\\",
    inlinepatterns.LINK_RE: "[",                 # also REFERENCE_RE
    inlinepatterns.IMAGE_LINK_RE: "![",          # also IMAGE_REFERENCE_RE
    inlinepatterns.AUTOLINK_RE: "<",
    inlinepatterns.AUTOMAIL_RE: "<",
    inlinepatterns.LINE_BREAK_RE: "  \n",
    inlinepatterns.HTML_RE: "<",
    inlinepatterns.ENTITY_RE: "&",
    r"\[\^([^\]]*)\]": "[^",                     # footnote references
}


def inline_needs(pattern) -> tuple | None:
    """The strings one of which `pattern` needs in a text to match; None when not known."""
    regex = getattr(pattern, "compiled_re", None)
    if regex is None or not isinstance(pattern, inlinepatterns.InlineProcessor):
        return None
    if isinstance(pattern, inlinepatterns.DelimiterProcessor):
        tokens = tuple(pattern.tokens)
        return tokens if tokens and regex.pattern == "|".join(map(re.escape, tokens)) else None
    needed = _INLINE_NEEDS.get(regex.pattern)
    return (needed,) if needed else None


def _reference_pattern(pattern) -> bool:
    """A `[text][id]`, `[id]`, `![alt][id]` or `![id]` pattern, which changes nothing without references.

    Its handleMatch makes an element only for an id in md.references; otherwise it
    leaves the text as it is (at most telling the loop to go on after the brackets).
    """
    base = inlinepatterns.ReferenceInlineProcessor
    return isinstance(pattern, base) and type(pattern).handleMatch is base.handleMatch and type(pattern).evalId in (
        base.evalId, inlinepatterns.ShortReferenceInlineProcessor.evalId,
        inlinepatterns.ShortImageReferenceInlineProcessor.evalId)


class QuickInline(treeprocessors.InlineProcessor):
    """Python-Markdown's inline pass, not trying a pattern on a text it cannot match.

    Skipping a pattern whose regular expression would find nothing is what
    Python-Markdown does after trying it. A text only loses characters to
    placeholders (STX ... ETX) as patterns apply, so one with none of the needed
    strings never gains one. On a page without references the reference
    patterns are skipped too (see _reference_pattern). This overrides the
    private loop of InlineProcessor.
    """

    _key = None
    # Whether the reference patterns may be skipped on a page with no `[id]: address` lines.
    skip_references = False

    def run(self, tree, ancestors=None):
        patterns = list(self.inlinePatterns)
        no_references = self.skip_references and not self.md.references
        key = [no_references] + [(pattern, getattr(pattern, "compiled_re", None)) for pattern in patterns]
        if key != self._key:   # first run, or the patterns (or a delimiter's expression) changed
            self._key = key
            needs = [() if no_references and _reference_pattern(pattern) else inline_needs(pattern)
                     for pattern in patterns]
            # One needed string is looked for with `in`, none or several with any().
            self._plan = [(pattern, n[0] if n is not None and len(n) == 1 else n)
                          for pattern, n in zip(patterns, needs, strict=True)]
            # A text holding none of these matches no pattern (`[` stands for `![` and `[^` too).
            self._anything = None
            if all(n is not None for n in needs):
                every = {s for n in needs for s in n}
                self._anything = tuple(sorted(s for s in every if not any(t != s and t in s for t in every)))
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data, patternIndex=0):
        if isinstance(data, AtomicString):
            return data
        if self._anything is not None:
            for needed in self._anything:   # `in` is much quicker than a search for alternatives
                if needed in data:
                    break
            else:
                return data
        plan = self._plan
        apply = self._InlineProcessor__applyPattern
        count = len(plan)
        startIndex = 0
        while patternIndex < count:
            pattern, needs = plan[patternIndex]
            if needs is not None and not (needs in data if type(needs) is str else any(s in data for s in needs)):
                patternIndex += 1
                startIndex = 0
                continue
            data, matched, startIndex = apply(pattern, data, patternIndex, startIndex)
            if not matched:
                patternIndex += 1
        return data


_BRACKET = re.compile(r"[\[\]]")
_PAREN_OR_QUOTE = re.compile(r"""[()'"]""")


def _quick_get_text(data: str, index: int):
    """LinkInlineProcessor.getText, jumping from bracket to bracket instead of reading every character.

    The text up to the `]` that balances the `[` before `index`: (text, index after it, True);
    without one, (the rest of data, its end, False).
    """
    count = 1
    for bracket in _BRACKET.finditer(data, index):
        count += 1 if bracket.group() == "[" else -1
        if count == 0:
            end = bracket.start()
            return data[index:end], end + 1, True
    return data[index:], max(index, len(data)), False


def _quick_get_link(processor):
    """LinkInlineProcessor.getLink, with `(address)` holding no bracket or quote taken at once.

    Python-Markdown reads such an address character by character, counting nothing,
    until the `)`; anything else goes to its own code.
    """
    get_link, regex, unescape = processor.getLink, processor.RE_LINK, processor.unescape

    def quick(data, index):
        m = regex.match(data, pos=index)
        if m and not m.group(1):
            start = m.end()
            found = _PAREN_OR_QUOTE.search(data, start)
            if found is not None and found.group() == ")":
                end = found.start()
                return unescape(data[start:end]).strip(), None, end + 1, True
        return get_link(data, index)
    return quick


# -- block processors ------------------------------------------------------------------

# Guards for block processors: each takes a processor's test() and gives one that first
# checks something its regular expression needs, and the methods that reasoning rests on.
# Python-Markdown asks each processor about each block in turn, and these search or split
# the whole block to say no. The footnote, abbreviation and reference processors say yes
# to every block, then give it back unless their search finds a definition: for them the
# check is on what that search needs.

def _guard_setext(test):
    # The first line break is followed by `=` or `-`.
    def guarded(parent, block):
        end = block.find("\n")
        return end >= 0 and block[end + 1:end + 2] in ("=", "-") and test(parent, block)
    return guarded


def _guard_rule(test):
    # Some line starts (after up to three spaces) with `-`, `_` or `*`.
    def guarded(parent, block):
        if "\n" in block:
            return ("-" in block or "_" in block or "*" in block) and test(parent, block)
        return block.lstrip(" ")[:1] in ("-", "_", "*") and test(parent, block)
    return guarded


def _guard_hash_heading(test):
    # A `#` starting the block or a line (a `#` in a link's address is no heading).
    return lambda parent, block: (block[:1] == "#" or "\n#" in block) and test(parent, block)


def _guard_definition(test):
    # A line starting (after up to three spaces) with `:`.
    def guarded(parent, block):
        if "\n" in block:
            return ":" in block and test(parent, block)
        return block.lstrip(" ")[:1] == ":" and test(parent, block)
    return guarded


def _guard_table(test):
    # The header and separator rows: two lines, the first split by a `|`.
    def guarded(parent, block):
        end = block.find("\n")
        return end >= 0 and "|" in block[:end] and test(parent, block)
    return guarded


_BLOCK_GUARDS = {
    blockprocessors.BlockQuoteProcessor: (lambda test: lambda parent, block: ">" in block and test(parent, block),
                                          ["test"]),
    blockprocessors.HashHeaderProcessor: (_guard_hash_heading, ["test"]),
    blockprocessors.SetextHeaderProcessor: (_guard_setext, ["test"]),
    blockprocessors.HRProcessor: (_guard_rule, ["test"]),
    def_list.DefListProcessor: (_guard_definition, ["test"]),
    tables.TableProcessor: (_guard_table, ["test", "_split_row", "_split"]),
    footnotes.FootnoteBlockProcessor: (
        lambda test: lambda parent, block: "[^" in block and "]:" in block and test(parent, block), ["test", "run"]),
    blockprocessors.ReferenceProcessor: (
        lambda test: lambda parent, block: "]:" in block and test(parent, block), ["test", "run"]),
}
# Abbreviations became a block processor in Python-Markdown 3.7; before, no stand-in for them.
if hasattr(abbr, "AbbrBlockprocessor"):
    _BLOCK_GUARDS[abbr.AbbrBlockprocessor] = (
        lambda test: lambda parent, block: "*[" in block and "]" in block and test(parent, block), ["test", "run"])


class ListedRegistry(util.Registry):
    """A Registry that keeps its sorted list of items until it changes.

    The block parser iterates its processors once per block, and a plain
    Registry builds a new list each time.
    """

    _items = None

    def __iter__(self):
        items = self._items
        if items is None or not self._is_sorted:
            self._sort()
            items = self._items = [self._data[k] for k, _p in self._priority]
        return iter(items)

    def register(self, item, name, priority):
        self._items = None
        super().register(item, name, priority)

    def deregister(self, name, strict=True):
        self._items = None
        super().deregister(name, strict)

    @classmethod
    def copy_of(cls, registry: util.Registry) -> ListedRegistry:
        new = cls()
        new._data = dict(registry._data)
        new._priority = list(registry._priority)
        new._is_sorted = registry._is_sorted
        return new


class SetList(list):
    """A list whose `in` is a set lookup while every item is a string.

    Markdown.is_block_level asks `tag in md.block_level_elements`, a list of 59 tags
    read item by item, several times per element (prettifying, raw HTML, attr_list).
    Any change to the list drops the set.
    """

    _set = None

    def __contains__(self, item):
        found = self._set
        if found is None:
            found = self._set = frozenset(self) if all(type(x) is str for x in self) else False
        if found is not False and type(item) is str:
            return item in found
        return list.__contains__(self, item)


def _dropping_set(method):
    def changed(self, *args, **kwargs):
        self._set = None
        return method(self, *args, **kwargs)
    changed.__name__ = method.__name__
    return changed


for _name in ("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
              "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(SetList, _name, _dropping_set(getattr(list, _name)))
del _name


# -- preprocessors and the last tree processor ----------------------------------------

def _quick_normalize(run):
    def quick(lines):
        text = "\n".join(lines)
        # What NormalizeWhitespace changes, other than adding two empty lines at the end: STX
        # and ETX, carriage returns, tabs, and spaces that end a line (the last line's too).
        if not ("\x02" in text or "\x03" in text or "\r" in text or "\t" in text or " \n" in text
                or text.endswith(" ")):
            return lines + ["", ""]
        return run(lines)
    return quick


def _skip_without(*needed: str):
    """A preprocessor's run, passing the lines through untouched when none of `needed` is in them."""
    def wrap(run):
        def quick(lines):
            text = "\n".join(lines)
            if not any(s in text for s in needed):
                return list(lines)
            return run(lines)
        return quick
    return wrap


# With no `<` or `&` the HTML parser hands the whole text to handle_data as one
# piece, which keeps it; nothing is stashed.
_quick_html_block = _skip_without("<", "&")
# Its expression starts with a fence of three or more backticks or tildes.
_quick_fenced = _skip_without("```", "~~~")


def _quick_unescape(run):
    # It changes only texts and attribute values holding STX (a backslash escape). A text
    # it passes over keeps its type (AtomicString), which nothing after this last tree
    # processor looks at.
    def quick(root):
        for element in root.iter():
            if STX in (element.text or "") or STX in (element.tail or ""):
                return run(root)
            for value in element.attrib.values():
                if value is not None and STX in value:
                    return run(root)
        return None
    return quick


def _quick_attr_list(run):
    # Its expressions all need a `{` in a text or tail of the tree.
    def quick(root):
        for element in root.iter():
            if "{" in (element.text or "") or "{" in (element.tail or ""):
                return run(root)
        return None
    return quick


# -- what each stand-in depends on -------------------------------------------------------

def _last_line(code) -> int:
    """The last source line with code in it, nested functions included."""
    last = max((line for _start, _end, line in code.co_lines() if line), default=code.co_firstlineno)
    for const in code.co_consts:
        if hasattr(const, "co_lines"):
            last = max(last, _last_line(const))
    return last


def _source(func) -> str:
    """A function's source lines (found from its code: the tokenizer is slow to run per process)."""
    code = getattr(getattr(func, "__func__", func), "__code__", None)
    if code is None:
        return ""
    lines = linecache.getlines(code.co_filename)
    return "".join(lines[code.co_firstlineno - 1:_last_line(code)])


def _depends(cls, *names) -> list:
    """These methods of cls, and the class's regular expression if it has one."""
    found = [getattr(cls, name, None) for name in names]
    for attribute in ("RE", "SEARCH_RE", "FENCED_BLOCK_RE"):
        regex = getattr(cls, attribute, None)
        if isinstance(regex, (str, re.Pattern)):
            found.append(getattr(regex, "pattern", regex))
    return found


def digest(parts: list) -> str:
    """One digest of the sources and expressions a stand-in was worked out against."""
    h = hashlib.sha1()
    for part in parts:
        h.update((part if isinstance(part, str) else _source(part) if part is not None else "\0").encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def depends() -> dict:
    """Stand-in name -> what it depends on in Python-Markdown (None when some of that is missing)."""
    recipes = {
        "inline": lambda: _depends(treeprocessors.InlineProcessor, "_InlineProcessor__handleInline",
                                   "_InlineProcessor__applyPattern"),
        "references": lambda: _depends(inlinepatterns.ReferenceInlineProcessor, "handleMatch", "evalId")
        + _depends(inlinepatterns.ShortReferenceInlineProcessor, "evalId")
        + _depends(inlinepatterns.ShortImageReferenceInlineProcessor, "evalId"),
        "links": lambda: _depends(inlinepatterns.LinkInlineProcessor, "getText", "getLink") + [
            inlinepatterns.LinkInlineProcessor.RE_LINK.pattern],
        "registry": lambda: _depends(util.Registry, "__init__", "__iter__", "register", "deregister", "_sort"),
        "normalize_whitespace": lambda: _depends(preprocessors.NormalizeWhitespace, "run"),
        "html_block": lambda: _depends(preprocessors.HtmlBlockPreprocessor, "run")
        + _depends(htmlparser.HTMLExtractor, "__init__", "reset", "close", "handle_data"),
        "fenced_code_block": lambda: _depends(fenced_code.FencedBlockPreprocessor, "run"),
        "unescape": lambda: _depends(treeprocessors.UnescapeTreeprocessor, "run", "unescape"),
        "attr_list": lambda: _depends(attr_list.AttrListTreeprocessor, "run") + [
            attr_list.AttrListTreeprocessor.HEADER_RE.pattern, attr_list.AttrListTreeprocessor.BLOCK_RE.pattern,
            attr_list.AttrListTreeprocessor.INLINE_RE.pattern],
    }
    for cls, (_guard, methods) in _BLOCK_GUARDS.items():
        recipes[f"block:{cls.__name__}"] = lambda cls=cls, methods=methods: _depends(cls, *methods)
    found = {}
    for name, recipe in recipes.items():
        try:
            found[name] = recipe()
        except AttributeError:   # another Python-Markdown than the one checked: this stand-in stays out
            found[name] = None
    return found


# The Python-Markdown the stand-ins were checked against, and the digests of depends() there.
# An older one (pyproject.toml allows some) gets the stand-ins whose code it shares.
CHECKED_WITH = "3.11.3"
DIGESTS = {
    "inline": "c7aa8560826c114a",
    "references": "194c5e65600dd5a7",
    "links": "15cde589d67c4ce3",
    "registry": "0ffe314efee23323",
    "normalize_whitespace": "65f77f3aa08cbba6",
    "html_block": "0c1faf4308303ae7",
    "fenced_code_block": "64dfedda1f945579",
    "unescape": "6d75851824b11aa1",
    "attr_list": "db3712e862abc171",
    "block:BlockQuoteProcessor": "8b5bea6b6ec51cd4",
    "block:HashHeaderProcessor": "c961d5cf712c4dee",
    "block:SetextHeaderProcessor": "c8033801de812bdf",
    "block:HRProcessor": "2e6287dbee602f67",
    "block:DefListProcessor": "3b888265e3bb9abc",
    "block:TableProcessor": "187b87db1655bf51",
    "block:FootnoteBlockProcessor": "40b88d757d0a516e",
    "block:AbbrBlockprocessor": "14614f9ce9f2625e",
    "block:ReferenceProcessor": "2d35591b9b80da2c",
}

_PREPROCESSORS = {
    "normalize_whitespace": (preprocessors.NormalizeWhitespace, _quick_normalize),
    "html_block": (preprocessors.HtmlBlockPreprocessor, _quick_html_block),
    "fenced_code_block": (fenced_code.FencedBlockPreprocessor, _quick_fenced),
}

_TREEPROCESSORS = {
    "attr_list": (attr_list.AttrListTreeprocessor, _quick_attr_list),
    "unescape": (treeprocessors.UnescapeTreeprocessor, _quick_unescape),
}


class SpeedupsExtension(Extension):
    """Installs each stand-in whose Python-Markdown code is as checked; load it last."""

    def extendMarkdown(self, md):
        unchanged = {name for name, parts in depends().items()
                     if parts is not None and DIGESTS.get(name) == digest(parts)}
        md.speedups = installed = []
        if "inline" in unchanged and type(md.treeprocessors["inline"]) is treeprocessors.InlineProcessor:
            quick = QuickInline(md)
            md.treeprocessors.register(quick, "inline", 20)
            installed.append("inline")
            if "references" in unchanged:
                quick.skip_references = True
                installed.append("references")
        if "links" in unchanged:
            base = inlinepatterns.LinkInlineProcessor
            for pattern in md.inlinePatterns:
                if isinstance(pattern, base) and type(pattern).getText is base.getText:
                    pattern.getText = _quick_get_text
                    if type(pattern).getLink is base.getLink and pattern.RE_LINK is base.RE_LINK:
                        pattern.getLink = _quick_get_link(pattern)
            installed.append("links")
        for processor in md.parser.blockprocessors:
            guard = _BLOCK_GUARDS.get(type(processor))
            name = f"block:{type(processor).__name__}"
            if guard and name in unchanged:
                processor.test = guard[0](processor.test)
                installed.append(name)
        if type(md.block_level_elements) is list:
            md.block_level_elements = SetList(md.block_level_elements)
            installed.append("block_level")
        if "registry" in unchanged and type(md.parser.blockprocessors) is util.Registry:
            md.parser.blockprocessors = ListedRegistry.copy_of(md.parser.blockprocessors)
            installed.append("registry")
        for name, (cls, quick) in _PREPROCESSORS.items():
            if name in unchanged and name in md.preprocessors and type(md.preprocessors[name]) is cls:
                processor = md.preprocessors[name]
                processor.run = quick(processor.run)
                installed.append(name)
        for name, (cls, quick) in _TREEPROCESSORS.items():
            if name in unchanged and name in md.treeprocessors and type(md.treeprocessors[name]) is cls:
                processor = md.treeprocessors[name]
                processor.run = quick(processor.run)
                installed.append(name)


STAND_INS = ["inline", "references", "links", "registry", "block_level", *_PREPROCESSORS, *_TREEPROCESSORS,
             *(f"block:{cls.__name__}" for cls in _BLOCK_GUARDS)]
