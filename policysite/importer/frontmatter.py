"""Reading source files: text, front matter in YAML, TOML or JSON, dates; writing ours."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

from .report import code


@dataclass
class SourceText:
    front: dict[str, object] | None   # parsed front matter, None when absent or unreadable
    raw_front: str            # the front matter as written ('' when absent)
    body: str
    body_line: int            # 1-based line of the body's first line in the source
    has_front: bool           # a front matter block was there (even if it could not be read)
    problem: str | None = None  # why the front matter could not be read, with its line


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps timestamps as the text written, so times and offsets survive."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def read_text(path: Path) -> tuple[str | None, str | None]:
    """(text with '\\n' line ends, note) or (None, why not): UTF-8, else Windows-1252."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror}"
    if b"\x00" in data[:8192]:
        return None, "the file holds binary data, not text"
    note = None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        note = "the file is not UTF-8: it was read as Windows-1252; check its accents and quotes"
    return text.replace("\r\n", "\n").replace("\r", "\n"), note


def split(text: str) -> SourceText:
    """Front matter (`---` YAML, `+++` TOML or a JSON object) and body."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    first = lines[start].strip() if start < len(lines) else ""
    if first in ("---", "+++"):
        closers = ("---", "...") if first == "---" else ("+++",)
        for end in range(start + 1, len(lines)):
            if lines[end].rstrip() in closers:
                raw = "\n".join(lines[start + 1:end])
                body = "\n".join(lines[end + 1:])
                parsed = SourceText(None, raw, body, end + 2, True)
                _parse(parsed, raw, "yaml" if first == "---" else "toml", start + 2)
                return parsed
        return SourceText(None, "", text, 1, False,
                          f"line {start + 1}: the front matter is not closed, so the whole file was kept as the body")
    if first.startswith("{"):
        offset = sum(len(line) + 1 for line in lines[:start])
        try:
            value, end = json.JSONDecoder().raw_decode(text, offset)
        except ValueError:
            return SourceText(None, "", text, 1, False)
        if isinstance(value, dict):
            body = text[end:]
            body_line = text.count("\n", 0, end) + 1
            if body.startswith("\n"):
                body, body_line = body[1:], body_line + 1
            return SourceText(value, text[offset:end], body, body_line, True)
    return SourceText(None, "", text, 1, False)


def _parse(parsed: SourceText, raw: str, kind: str, first_line: int) -> None:
    try:
        if kind == "yaml":
            value = yaml.load(raw, Loader=_Loader) if raw.strip() else {}
        else:
            value = tomllib.loads(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        parsed.problem = f"line {line}: {getattr(exc, 'problem', None) or 'not valid YAML'}"
        return
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        parsed.problem = f"not valid TOML: {exc}"
        return
    except RecursionError:
        parsed.problem = "nested too deeply to read"
        return
    if value is None:
        value = {}
    if not isinstance(value, dict):
        parsed.problem = "the front matter is not a list of `field: value` lines"
        return
    parsed.front = {str(k): v for k, v in value.items()}


# Dates as Hugo and Jekyll accept them: a date, or a date and time with an optional offset.
_WHEN = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(Z|z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?$")


class When(str):
    """A date or date-time written as ISO 8601 (`2015-09-16T11:10:24-04:00`)."""


def when(value) -> When | None:
    """A date or time from front matter (text, TOML or YAML value) as ISO 8601 text, or None."""
    if isinstance(value, dt.datetime):
        return When(value.isoformat(timespec="seconds"))
    if isinstance(value, dt.date):
        return When(value.isoformat())
    if not isinstance(value, str):
        return None
    match = _WHEN.match(value.strip())
    if not match:
        return _loose(value.strip())
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        date = dt.date(int(year), int(month), int(day))
        if hour is None:
            return When(date.isoformat())
        time = dt.time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    text = f"{date.isoformat()}T{time.isoformat()}"
    if zone:
        if zone.upper() in ("Z", "UTC", "GMT"):
            text += "+00:00"
        else:
            digits = zone[1:].replace(":", "")
            digits = digits + "00" if len(digits) == 2 else digits
            text += f"{zone[0]}{digits[:2]}:{digits[2:]}"
    return When(text)


_LOOSE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%Y/%m/%d", "%d/%m/%Y",
                  "%a, %d %b %Y %H:%M:%S %z", "%Y-%m-%d %H:%M:%S %Z")


def _loose(text: str) -> When | None:
    """Dates Ruby's and Go's parsers read that ISO 8601 does not, such as 'May 17, 2021'."""
    text = " ".join(re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", text).split())
    for fmt in _LOOSE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if "%H" in fmt:
            return when(parsed)
        return When(parsed.date().isoformat())
    return None


def plain(value):
    """A front matter value as plain YAML data: TOML and YAML dates and times as ISO text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class _Dumper(yaml.SafeDumper):
    pass


def _when(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", str(value))


def _text(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(When, _when)
_Dumper.add_representer(str, _text)


def dump(data: dict) -> str:
    """YAML for front matter or site_config.yaml: keys in the order given, Unicode kept."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


# tomllib's words for common mistakes, in plain words.
_TOML_WORDS = {
    "Invalid value": "a value TOML cannot read (text must be in double quotes)",
    "Expected '=' after a key in a key/value pair": "a setting must be written `name = value`",
    "Unclosed array": "a `[` is not closed with `]`",
    "Unclosed inline table": "a `{` is not closed with `}`",
    "Unterminated string": "a text in quotes is not closed",
    "Cannot overwrite a value": "a setting is given twice",
    "Invalid statement": "a line TOML cannot read (each line is `name = value` or a `[table]` heading)",
}


def syntax_problem(exc: Exception, text: str) -> tuple[int, str]:
    """(1-based line, what is wrong in plain words) for a TOML, JSON or YAML error in `text`."""
    lines = text.split("\n")
    last = max(1, len(text.rstrip("\n").split("\n")))
    line, column, words = last, None, str(exc)
    if isinstance(exc, tomllib.TOMLDecodeError):
        # tomllib gives its place only in the message: "Invalid value (at line 3, column 7)".
        match = re.match(r"(.*?) \(at (?:line (\d+), column (\d+)|end of document)\)$", str(exc))
        if match:
            words = match.group(1)
            if match.group(2):
                line, column = int(match.group(2)), int(match.group(3))
        words = _TOML_WORDS.get(words) or re.sub(r"^Cannot declare .* twice$", "a table is declared twice", words)
    elif isinstance(exc, json.JSONDecodeError):
        line, column, words = exc.lineno, exc.colno, exc.msg
    elif isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if exc.context and "scanning a quoted scalar" in exc.context and exc.context_mark is not None:
            mark = exc.context_mark   # a quote never closed: the line that opened it
        if mark is not None:
            line, column = min(mark.line + 1, last), mark.column + 1
        words = exc.problem or exc.context or "not valid YAML"
    elif isinstance(exc, RecursionError):
        words = "nested too deeply to read"
    words = words[:1].lower() + words[1:]
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if shown and column is not None:
        words += f", at column {column} of {code(shown)}"
    elif shown:
        words += f", near {code(shown)}"
    return line, words
