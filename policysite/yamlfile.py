"""YAML that remembers where each value came from.

PyYAML's safe loader gives values but forgets their lines, accepts duplicate
keys silently and expands aliases without limit. Editors need the line of the
field that is wrong, so we compose the node tree and build plain values from
it ourselves, keeping a line for every mapping key and list item.
"""

from __future__ import annotations

import inspect
import re

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode


class YamlProblem(Exception):
    """A problem in YAML text, with the 1-based line it was found at."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class LinedDict(dict):
    """A mapping that knows the line of each key (and of itself)."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key, default: int | None = None) -> int:
        return self.key_lines.get(key, self.line if default is None else default)

    def comment_after(self, key) -> tuple[str, str | None] | None:
        """For a key whose plain value has a `# ...` after it on its line (which YAML leaves out):
        (that comment, the value as written with it, or None when the value spans lines)."""
        comments = self.__dict__.get("comments")
        return comments.get(key) if comments else None


class LinedList(list):
    """A list that knows the line of each item."""

    line: int = 1
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader; libyaml's C parser where present. Aliases are refused while building."""

    def resolve(self, kind, value, implicit):
        """PyYAML's answer, remembered for short plain values (field names, types, keys),
        which repeat on every page; quoted values and collections need no regex at all."""
        if self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        if kind is not ScalarNode:
            return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else self.DEFAULT_MAPPING_TAG
        if not implicit[0]:
            return self.DEFAULT_SCALAR_TAG
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(value) <= 80 and len(_PLAIN_TAGS) < 20000:
                _PLAIN_TAGS[value] = tag
        return tag


# Plain scalar -> tag, as resolved by PyYAML (a pure function of the text).
_PLAIN_TAGS: dict[str, str] = {}


_MAX_NODES = 20000


def load(text: str, first_line: int = 1, repeated: list[YamlProblem] | None = None):
    """Parse one YAML document; values carry lines counted from `first_line`.

    Raises YamlProblem with a line in the caller's file for anything wrong. With `repeated`
    (a list), a key given twice is added to it instead and its first value kept, so that
    the caller can go on to check the rest: one mistake should not hide the others.
    """
    real = _real_lines(text)

    def at(mark_line: int) -> int:
        """A YAML mark's 0-based line as a 1-based line of the caller's file."""
        if real is not None and 0 <= mark_line < len(real):
            mark_line = real[mark_line]
        return mark_line + first_line

    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            if _UNCLOSED.get(exc.context or "") and exc.context_mark is not None:
                # A quote or bracket never closed: the editor needs the line that opened it.
                mark = exc.context_mark
            # libyaml puts "end of text" on the line after the last one: for front
            # matter that is the closing `---`, so report the last line of the YAML.
            last = max(1, len(text.rstrip("\n").split("\n"))) + first_line - 1
            line = min(at(mark.line) if mark else first_line, last)
            raise YamlProblem(line, _explain(exc, text, line - first_line if mark else None)) from None
        except yaml.reader.ReaderError as exc:
            # A control character: name it and its line, on one line of output.
            line = text[: max(0, exc.position)].count("\n") + first_line
            raise YamlProblem(line, f"the text contains the control character #x{exc.character:04x}, which is not allowed: remove it") from None
        except yaml.YAMLError as exc:
            raise YamlProblem(first_line, "not valid YAML: " + " ".join(str(exc).split())) from None
        if node is None:
            return None
        counter = [0]
        # The parser forgets comments and the `!` of a tag: the text is kept only when it has one to look for.
        source = _YAML_LINE_BREAK.split(text) if "#" in text or "!" in text else None
        try:
            return _build(loader, node, at, counter, set(), source, repeated)
        except _AliasProblem as problem:
            # The node carries the anchor's line; the editor needs the `*alias`'s.
            line = _alias_line(text)
            raise YamlProblem(at(line) if line is not None else problem.line, problem.message) from None
    finally:
        loader.dispose()


_YAML_BREAK = re.compile("[\n\x85\u2028\u2029]")
# Every line break YAML knows, so marks' lines and columns index the parts of a split.
_YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# After a plain value: spaces, then a comment, to the end of the line.
_COMMENT_AFTER = re.compile(r"[ \t]+(#.*?)\s*$")
# After a key with no value: its `:`, spaces, then a comment.
_COMMENT_FOR_VALUE = re.compile(r"\s*:[ \t]+(#.*?)\s*$")


def _comment_after(source: list[str], key_node, value_node) -> tuple[str, str | None] | None:
    """(comment, value as written with it) when a plain text or empty value has a comment after it."""
    if type(value_node) is not ScalarNode or value_node.style or value_node.tag not in (_STR, _NULL):
        return None
    if not value_node.value:   # `title: #1 priority`: no value before the comment
        end = key_node.end_mark
        match = _COMMENT_FOR_VALUE.match(source[end.line], end.column) if end.line < len(source) else None
        return (match.group(1), match.group(1)) if match else None
    start, end = value_node.start_mark, value_node.end_mark
    if end.line >= len(source):
        return None
    match = _COMMENT_AFTER.match(source[end.line], end.column)
    if not match:
        return None
    whole = source[start.line][start.column:].rstrip() if start.line == end.line else None
    return match.group(1), whole


def _refuse_tagged_text(source: list[str], key: str, node, at) -> None:
    """`title: ! important` reads as "important" and `title: !important notice` as a tag: a text
    that starts with `!` (other than a `!!` tag of YAML's own) must be in quotes."""
    start, end = node.start_mark, node.end_mark
    written = source[start.line][start.column:] if start.line < len(source) else ""
    if not written.startswith("!") or written.startswith("!!") or not (node.tag == _STR or not node.tag.startswith("tag:")):
        return
    value = written.rstrip() if start.line == end.line else None
    if node.tag != _STR:   # `!include x`: a tag of another program's, or text
        fix = f": {_code(f'{key}: {quoted(value)}')}" if value else ""
        raise YamlProblem(at(start.line), f"YAML tag `{node.tag}` is not allowed: remove it, or, if the value is text "
                                          f"that starts with `!`, put the whole value in double quotes{fix}")
    raise YamlProblem(at(start.line), _starts_with("!", key, value))


def _real_lines(text: str) -> list[int] | None:
    """For each line as YAML counts them, its 0-based line as an editor counts them (by `\\n`).

    YAML also breaks lines at NEL and the Unicode line and paragraph separators,
    which editors show inside a line; None when the text has none of them.
    """
    if "\x85" not in text and "\u2028" not in text and "\u2029" not in text:
        return None
    real, line = [0], 0
    for match in _YAML_BREAK.finditer(text):
        if match.group() == "\n":
            line += 1
        real.append(line)
    return real


class _AliasProblem(YamlProblem):
    """A node reached twice: an `*alias` of an anchored value."""


def _alias_line(text: str) -> int | None:
    """The YAML mark line (0-based) of the first `*alias` in `text`, found from the parser's events."""
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                return event.start_mark.line
    except yaml.YAMLError:
        pass
    return None


_UNCLOSED = {
    "while scanning a quoted scalar": ": a quote opened on this line is not closed: end the text with the same quote mark",
    "while parsing a flow sequence": ": a `[` opened on this line is not closed with `]`",
    "while parsing a flow mapping": ": a `{` opened on this line is not closed with `}`",
}


def _explain(exc, text: str, index: int | None) -> str:
    """The problem in words, with a hint; `index` is the 0-based line of `text` it is on."""
    problem = exc.problem or exc.context or "not valid YAML"
    hint = _UNCLOSED.get(exc.context or "", "")
    if "another document" in str(problem):
        hint = ": a line `---` starts a second document; remove it"
    if index is not None and not hint:
        lines = text.split("\n")
        line = lines[index] if 0 <= index < len(lines) else ""
        if "\t" in line or "found character '\\t'" in str(problem):
            hint = ": indent with spaces, not tabs"
        else:
            plain = _value_hint(line) or _indent_hint(lines, index)
            if plain:
                return f"front matter is not valid YAML: {plain}"
            if "mapping values are not allowed" in str(problem):
                hint = ": put text that contains `: ` in quotes"
            elif "could not find expected ':'" in str(problem) or "expected <block end>" in str(problem):
                hint = ": check the indentation and that each line is `name: value`"
    return f"front matter is not valid YAML ({problem}){hint}"


# `name: value` (or `- name: value` in a list), as editors write a field.
_FIELD_LINE = re.compile(r"(?P<indent> *)(?:- +)?(?P<key>[^\s#'\"\[{][^:]*?):[ \t]+(?P<value>\S.*?)\s*$")
# Characters that mean something to YAML at the start of a value, and what YAML takes them for.
_STARTS = {
    "[": "YAML reads it as the start of a list",
    "{": "YAML reads it as the start of a group of fields",
    "*": "YAML reads it as a reference to another value",
    "&": "YAML reads it as a name for the value",
    "!": "YAML reads it as a tag, a type for the value",
    "-": "YAML reads it as a list item",
    ">": "YAML reads it as the start of text on the lines below",
    "|": "YAML reads it as the start of text on the lines below",
    "`": "YAML keeps it for other uses",
    "@": "YAML keeps it for other uses",
    "%": "YAML keeps it for other uses",
    "#": "YAML reads it as the start of a note",
}


def _value_hint(line: str) -> str | None:
    """What to do about a field's value that YAML cannot read because of how it starts, in plain words."""
    match = _FIELD_LINE.fullmatch(line)
    if not match:
        return None
    key, value = match["key"].strip(), match["value"]
    first = value[0]
    if first in "'\"":
        inner = value[1:-1] if len(value) > 1 and value.endswith(first) else value[1:]
        if first == "'" and "'" in inner and '"' in inner:
            return (f"a text in single quotes ends at the next `'`, so the apostrophe in it ends it early: "
                    f"write each apostrophe in it twice, {_code(f'{key}: {quoted(inner)}')}, or as a typographic "
                    "apostrophe (’)")
        if first == "'" and "'" in inner:
            return (f"a text in single quotes ends at the next `'`, so the apostrophe in it ends it early: "
                    f"put double quotes around it instead: {_code(f'{key}: {quoted(inner)}')}")
        if first == '"' and '"' in inner:
            single = "'" + inner.replace("'", "''") + "'"
            return (f"a text in double quotes ends at the next `\"`, so the quotes inside it end it early: "
                    f"put single quotes around it instead, {_code(f'{key}: {single}')}, or write the quotes inside "
                    "as typographic quotes (“ ”)")
        return (f"the text after the closing quote is not part of the value: put the whole value in quotes, "
                f"{_code(f'{key}: {quoted(value)}')}")
    if first in _STARTS and (first != "-" or value[1:2] in ("", " ")):
        return _starts_with(first, key, value)
    return None


def _starts_with(first: str, key: str, value: str | None) -> str:
    """A value starting with a character YAML reads otherwise must be in quotes: in words, with the line to write."""
    shown = "a backquote (`` ` ``)" if first == "`" else f"`{first}`"
    fix = f": {_code(f'{key}: {quoted(value)}')}" if value else ""
    return f"a value that starts with {shown} must be in quotes ({_STARTS[first]}): put the whole value in double quotes{fix}"


def _code(text: str) -> str:
    """`text` between backquotes, as messages show a line to write; doubled when it holds one."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _indent_hint(lines: list[str], index: int) -> str | None:
    """For a field indented under a line that already has its value: say so, and where the field starts."""
    match = _FIELD_LINE.fullmatch(lines[index])
    if not match or not match["indent"] or not re.fullmatch(r"[\w-]+", match["key"]):
        return None
    above = next((line for line in reversed(lines[:index]) if line.strip() and not line.lstrip().startswith("#")), None)
    over = _FIELD_LINE.fullmatch(above) if above is not None else None
    if not over or len(over["indent"]) >= len(match["indent"]) or over["value"][0] in "|>":
        return None
    key = match["key"]
    if not over["indent"]:
        return (f"this line is indented, so YAML reads it as part of `{over['key']}:` above: fields start at "
                f"the beginning of the line; remove the spaces before `{key}:`")
    return (f"this line is indented more than `{over['key']}:` above it, so YAML reads it as part of that value: "
            f"start `{key}:` where `{over['key']}:` starts")


# Scalar tags whose SafeLoader constructor is a plain function of the node: called
# directly, without construct_object's bookkeeping (kept for the rare other tags).
_SCALAR_CONSTRUCTORS = {
    tag: constructor for tag, constructor in _Loader.yaml_constructors.items()
    if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
               "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
    and not inspect.isgeneratorfunction(constructor)
}
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_PREFIX = "tag:yaml.org,2002:"
_PYTHON = "tag:yaml.org,2002:python"


def _build(loader, node, at, counter, seen: set, source: list[str] | None = None,
           repeated: list[YamlProblem] | None = None):
    """Plain values (LinedDict, LinedList, scalars) from the node tree, refusing aliases and tags.

    This runs for every value of every page, so it avoids per-node overhead:
    plain strings are taken from the node as PyYAML's str constructor would.
    """
    counter[0] += 1
    line = at(node.start_mark.line)
    if counter[0] > _MAX_NODES:
        raise YamlProblem(line, "YAML is too large or too deeply nested")
    if id(node) in seen:
        # The composer hands back the anchored node again for each `*alias`.
        raise _AliasProblem(line, "YAML anchors and aliases (`&name`, `*name`) are not allowed here: write the value out in full")
    seen.add(id(node))
    kind = type(node)
    tag = node.tag
    if kind is ScalarNode:
        if tag == _STR:
            return node.value
        if tag.startswith(_PYTHON) or not tag.startswith(_PREFIX):
            raise YamlProblem(line, f"YAML tag `{tag}` is not allowed: remove it")
        try:
            constructor = _SCALAR_CONSTRUCTORS.get(tag)
            if constructor is not None:
                return constructor(loader, node)
            return loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            if tag.endswith(":timestamp"):
                return _BadDate(node.value)
            raise YamlProblem(line, f"cannot read value `{node.value[:60]}`: {problem}") from None
        except (LookupError, TypeError, AttributeError, ArithmeticError):
            # PyYAML's own constructors fail this way on some tagged values (`!!bool maybe`, `!!int` alone).
            if tag.endswith(":timestamp"):
                return _BadDate(node.value)
            name = tag[len(_PREFIX):]
            raise YamlProblem(line, f"`{node.value[:60]}` is not a YAML `!!{name}` value: remove `!!{name}` "
                                    "or write a value of that kind") from None
    if kind is SequenceNode:
        if tag != _SEQ:
            raise YamlProblem(line, f"YAML tag `{tag}` is not allowed: remove it")
        out = LinedList()
        out.line = line
        out.item_lines = item_lines = []
        for item in node.value:
            out.append(_build(loader, item, at, counter, seen, source, repeated))
            item_lines.append(at(item.start_mark.line))
        return out
    if kind is MappingNode:
        if tag != _MAP:
            raise YamlProblem(line, f"YAML tag `{tag}` is not allowed: remove it")
        out = LinedDict()
        out.line = line
        out.key_lines = key_lines = {}
        for key_node, value_node in node.value:
            key_line = at(key_node.start_mark.line)
            if key_node.tag == _MERGE:
                raise YamlProblem(key_line, "YAML merge keys (`<<`) are not allowed: write the fields out")
            key = _build(loader, key_node, at, counter, seen, source, repeated)
            if type(key) is not str:
                if isinstance(key, (dict, list)):
                    raise YamlProblem(key_line, "a field name must be plain text")
                if not isinstance(key, str):
                    # `on:`, `no:`, `~:`, `1:` as written, not YAML's reading of them (true, False, None).
                    key = key_node.value if isinstance(key_node, ScalarNode) else str(key)
            if key in out:
                if repeated is None:
                    raise YamlProblem(key_line, f"`{key}` is given twice (first at line {key_lines[key]}): keep one")
                repeated.append(YamlProblem(key_line, f"`{key}` is given twice (first at line {key_lines[key]}), so "
                                                      "only the first is used: keep one and remove the other"))
                continue
            if source is not None and type(value_node) is ScalarNode and not value_node.style:
                _refuse_tagged_text(source, key, value_node, at)
            out[key] = _build(loader, value_node, at, counter, seen, source, repeated)
            key_lines[key] = key_line
            if source is not None:
                comment = _comment_after(source, key_node, value_node)
                if comment:
                    out.__dict__.setdefault("comments", {})[key] = comment
        return out
    raise YamlProblem(line, "unsupported YAML")


def quoted(text: str) -> str:
    """`text` as a YAML value in quotes: double ones, or single ones when it holds `"` or `\\`."""
    if '"' not in text and "\\" not in text:
        return f'"{text}"'
    return "'" + text.replace("'", "''") + "'"


class _BadDate(str):
    """A value that looked like a date to YAML but is not a real date."""
