"""Files under content/ to Pages and StaticFiles, keeping source lines.

Each Markdown file is split into front matter and body; every front matter
field is checked for its type here, where its line is known. Checks that need
the whole site (unknown layouts, links) come later, in `site` and `markup`.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
from pathlib import Path, PurePosixPath

from . import yamlfile
from .config import SiteConfig
from .diagnostics import Diagnostics, closest
from .model import TYPE_LABELS, Page

MARKDOWN_SUFFIXES = {".md", ".markdown"}
FIELDS = {
    "title", "description", "type", "date", "updated", "change_history",
    "organisations", "topics", "government", "political", "withdrawn", "draft",
    "aliases", "weight", "layout", "related", "image", "slug", "url",
}
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FILE_BYTES = 5 * 1024 * 1024


def scan_content(site_dir: Path, diagnostics: Diagnostics, skip: list[Path] = ()):
    """Every file under content/, sorted, as (site-relative path, absolute path).

    Symbolic links that lead outside content/ are reported and not followed.
    Hidden files and folders (starting with '.') are left out, as in git.
    """
    content = site_dir / "content"
    found: list[tuple[str, Path]] = []
    if not content.is_dir():
        diagnostics.error("content", 1, "the content/ folder is missing: create it and add content/_index.md for the home page")
        return found
    # Compared as strings: for resolved (absolute, normal) paths that is Path equality, and cheaper.
    skip_resolved = {str(p.resolve()) for p in skip}
    content_real = content.resolve()

    def walk(folder: str, rel_folder: str, real: str, above: frozenset):
        # `above`: the real folders on the way down, so a link back up is a loop
        # (the same folder reached twice by two routes is not). `rel_folder` is
        # `folder` relative to the site, as messages name it.
        if real in above:
            diagnostics.error(rel_folder, 1, "this folder links back to a folder above it: remove the link")
            return
        above = above | {real}
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            diagnostics.error(rel_folder, 1, f"cannot read this folder: {exc.strerror}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{rel_folder}/{entry.name}"
            if entry.is_symlink():
                path = Path(entry.path)
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError) as exc:
                    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
                        diagnostics.error(rel, 1, "this link leads round in a loop: remove it")
                    else:
                        diagnostics.error(rel, 1, f"this is a link to {os.readlink(path)}, which does not exist: remove the link or copy the file in")
                    continue
                if not target.is_relative_to(content_real):
                    diagnostics.error(rel, 1, "this is a link to a place outside content/: copy the file in instead")
                    continue
                target = str(target)
            else:
                target = f"{real}/{entry.name}"
            if target in skip_resolved:
                continue
            if entry.is_dir():
                walk(entry.path, rel, target, above)
            elif entry.is_file():
                found.append((rel, Path(entry.path)))

    walk(str(content), content.relative_to(site_dir).as_posix(), str(content_real), frozenset())
    return found


def file_stem(path: str) -> str:
    """PurePosixPath(path).stem for a site-relative file path, without making a path object
    (asked several times for every page)."""
    name = path.rpartition("/")[2]
    if not name or name == ".":
        return PurePosixPath(path).stem
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def split_front_matter(text: str):
    """(front matter text, its first line, body, body's first line) or None if absent."""
    # Line by line as text.split("\n") would give them, without splitting the whole body.
    end = text.find("\n")
    if (text if end < 0 else text[:end]).strip() != "---":
        return None
    number = 1                      # 0-based number of the line starting at `start`
    start = end + 1
    while end >= 0:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.rstrip() in ("---", "..."):
            front = text[text.index("\n") + 1:start - 1] if number > 1 else ""
            body = "" if end < 0 else text[end + 1:]
            return front, 2, body, number + 2
        start = end + 1
        number += 1
    return "unclosed"


def read_text(path: Path, where: str, diagnostics: Diagnostics, data: bytes | None = None) -> str | None:
    """A text file's contents (read now, or `data` already read) as str with '\\n' line ends,
    or None after reporting why not."""
    try:
        size = path.stat().st_size if data is None else len(data)
        if size > MAX_FILE_BYTES:
            diagnostics.error(where, 1, f"the file is {size:,} bytes, over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit for a page: split it or attach the document as a file")
            return None
        if data is None:
            data = path.read_bytes()
    except OSError as exc:
        diagnostics.error(where, 1, f"cannot read the file: {exc.strerror}")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        diagnostics.error(where, 1, "the file is saved as UTF-16 (\"Unicode\"): save it again with UTF-8 encoding")
        return None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        diagnostics.error(where, line, "the file contains a NUL byte: it may not be a text file; save it again as plain UTF-8 text")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diagnostics.error(where, line, "the file is not valid UTF-8 text: save it with UTF-8 encoding")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_page(where: str, path: Path, config: SiteConfig, diagnostics: Diagnostics,
              data: bytes | None = None) -> Page | None:
    """One Markdown file (or its bytes, already read) to a Page with checked fields, or None if it cannot be read."""
    text = read_text(path, where, diagnostics, data)
    if text is None:
        return None
    if not text or text.isspace():   # `not text.strip()`, without copying the text
        diagnostics.error(where, 1, "the file is empty: start it with front matter between `---` lines, with at least `title:`")
        return None
    parts = split_front_matter(text)
    if parts is None:
        diagnostics.error(where, 1, "the file has no front matter: start it with a line `---`, then `title: ...`, then another `---`")
        return None
    if parts == "unclosed":
        diagnostics.error(where, 1, "the front matter is not closed: add a line `---` after the last field")
        return None
    front, front_line, body, body_line = parts
    try:
        data = yamlfile.load(front, first_line=front_line)
    except yamlfile.YamlProblem as problem:
        diagnostics.error(where, problem.line, problem.message)
        return None
    if data is None:
        diagnostics.error(where, front_line, "the front matter is empty: add at least `title: ...`")
        return None
    if not isinstance(data, dict):
        diagnostics.error(where, front_line, "the front matter must be `field: value` lines at the top level, not a list or a single value")
        return None

    is_index = file_stem(where) == "_index"
    page = Page(kind="section" if is_index else "page", source=where, body=body, body_line=body_line)
    page.lines = dict(data.key_lines)
    page.fields = check_fields(data, where, config, diagnostics, is_index)
    page.title = page.fields.get("title", "")
    page.description = page.fields.get("description", "")
    return page


def check_fields(data, where: str, config: SiteConfig, diagnostics: Diagnostics, is_index: bool) -> dict:
    """Checked front matter values; each problem is reported at its field's line."""
    out: dict = {}
    err = lambda key, msg: diagnostics.error(where, data.line_of(key), msg)

    for key in data:
        if key not in FIELDS:
            hint = closest(key, FIELDS)
            tip = f", did you mean `{hint}`?" if hint else ""
            diagnostics.warning(where, data.line_of(key), f"unknown field `{key}`{tip}")

    def text(key: str, required: bool = False) -> None:
        if key not in data or data[key] is None:
            if required:
                diagnostics.error(where, data.line if key not in data else data.line_of(key),
                                  f"`{key}:` is required: add a line `{key}: ...` to the front matter")
            return
        value = data[key]
        if isinstance(value, (int, float, bool, dt.date)) and not isinstance(value, yamlfile._BadDate):
            err(key, f"`{key}` must be text, but YAML reads `{_show(value)}` as a {_kind(value)}: put the value in quotes")
        elif not isinstance(value, str):
            err(key, f"`{key}` must be text on one line")
        elif not value.strip():
            err(key, f"`{key}` is empty: write the {key}")
        else:
            out[key] = " ".join(value.split())

    text("title", required=True)
    text("description", required=not is_index)
    text("layout")
    for key in ("slug", "url"):
        if key in data:
            text(key)

    if "type" in data:
        value = data["type"]
        if not isinstance(value, str) or value not in TYPE_LABELS:
            hint = closest(str(value), TYPE_LABELS) if isinstance(value, str) else None
            tip = f", did you mean `{hint}`?" if hint else f": use one of {', '.join(TYPE_LABELS)}"
            err("type", f"unknown type `{_show(value)}`{tip}")
        else:
            out["type"] = value

    for key in ("date", "updated"):
        if key in data:
            value = date_value(data[key])
            if value is None:
                err(key, f"`{key}` must be a date written YYYY-MM-DD, such as 2008-11-06")
            else:
                out[key] = value
    if "date" in out and "updated" in out and out["updated"] < out["date"]:
        err("updated", f"`updated` ({out['updated'].isoformat()}) is before `date` ({out['date'].isoformat()}): a page cannot be updated before it was published")

    for key in ("political", "draft"):
        if key in data:
            if isinstance(data[key], bool):
                out[key] = data[key]
            else:
                err(key, f"`{key}` must be true or false")

    if "weight" in data:
        value = data["weight"]
        if isinstance(value, int) and not isinstance(value, bool):
            out["weight"] = value
        else:
            err("weight", "`weight` must be a whole number, such as 10")

    for key, known in (("organisations", config.organisations), ("topics", config.topics)):
        if key in data:
            keys = string_list(data, key, where, diagnostics)
            for item, line in keys:
                if item not in known and config.readable:
                    hint = closest(item, known)
                    tip = f", did you mean `{hint}`?" if hint else f": add it under `{key}:` in site_config.yaml"
                    diagnostics.error(where, line, f"unknown {key[:-1]} `{item}`{tip}")
            out[key] = [item for item, _ in keys if item in known]

    if "government" in data:
        value = data["government"]
        if not isinstance(value, str):
            err("government", "`government` must be the key of one of the governments in site_config.yaml")
        elif value not in config.governments:
            if config.readable:   # else site_config.yaml's own error says why no key is known
                hint = closest(value, config.governments)
                tip = f", did you mean `{hint}`?" if hint else ": add it under `governments:` in site_config.yaml"
                err("government", f"unknown government `{value}`{tip}")
        else:
            out["government"] = value
    if out.get("political") and "government" not in data:
        err("political", "`political: true` needs a `government:` to say which government published the page")

    if "change_history" in data:
        out["change_history"] = check_change_history(data, where, diagnostics)

    if "withdrawn" in data:
        value = data["withdrawn"]
        if not isinstance(value, dict):
            err("withdrawn", "`withdrawn` needs `date:` and `explanation:` indented below it")
        else:
            withdrawn = {}
            date = date_value(value.get("date"))
            if date is None:
                diagnostics.error(where, value.line_of("date", data.line_of("withdrawn")), "`withdrawn.date` must be a date written YYYY-MM-DD")
            else:
                withdrawn["date"] = date
            explanation = value.get("explanation")
            if not isinstance(explanation, str) or not explanation.strip():
                diagnostics.error(where, value.line_of("explanation", data.line_of("withdrawn")), "`withdrawn.explanation` must say, as text, why the page was withdrawn")
            else:
                withdrawn["explanation"] = explanation.strip()
            for extra in value:
                if extra not in ("date", "explanation"):
                    diagnostics.warning(where, value.line_of(extra), f"unknown field `{extra}` in `withdrawn`: use `date` and `explanation`")
            if len(withdrawn) == 2:
                out["withdrawn"] = withdrawn

    for key in ("aliases", "related"):
        if key in data:
            out[key] = string_list(data, key, where, diagnostics)

    if "image" in data:
        value = data["image"]
        if not isinstance(value, dict):
            err("image", "`image` needs `src:` and `alt:` indented below it")
        else:
            image = {"line": data.line_of("image")}
            for sub in value:
                if sub not in ("src", "alt", "caption", "credit"):
                    hint = closest(sub, ("src", "alt", "caption", "credit"))
                    tip = f", did you mean `{hint}`?" if hint else ""
                    diagnostics.warning(where, value.line_of(sub), f"unknown field `{sub}` in `image`{tip}")
            for sub, required in (("src", True), ("alt", True), ("caption", False), ("credit", False)):
                item = value.get(sub)
                if item is None:
                    if required:
                        what = "a short text saying what the image shows, for people who cannot see it" if sub == "alt" else "the image's path"
                        diagnostics.error(where, data.line_of("image"), f"`image` needs `{sub}:`: {what}")
                elif not isinstance(item, str) or (required and not item.strip()):
                    diagnostics.error(where, value.line_of(sub), f"`image.{sub}` must be text")
                else:
                    image[sub] = item.strip()
                    image[sub + "_line"] = value.line_of(sub)
            if "src" in image and "alt" in image:
                out["image"] = image
    return out


def check_change_history(data, where: str, diagnostics: Diagnostics) -> list[dict]:
    value = data["change_history"]
    if not isinstance(value, list):
        diagnostics.error(where, data.line_of("change_history"), "`change_history` must be a list of entries, each `- date: YYYY-MM-DD` with a `note:`")
        return []
    entries = []
    for index, entry in enumerate(value):
        line = value.line_of(index)
        if not isinstance(entry, dict):
            diagnostics.error(where, line, "each `change_history` entry needs `date:` and `note:`")
            continue
        date = date_value(entry.get("date"))
        note = entry.get("note")
        if date is None:
            diagnostics.error(where, entry.line_of("date"), "a `change_history` entry needs a `date:` written YYYY-MM-DD")
        if not isinstance(note, str) or not note.strip():
            diagnostics.error(where, entry.line_of("note"), "a `change_history` entry needs a `note:` saying what changed")
        for extra in entry:
            if extra not in ("date", "note"):
                diagnostics.warning(where, entry.line_of(extra), f"unknown field `{extra}` in `change_history`: use `date` and `note`")
        if date is not None and isinstance(note, str) and note.strip():
            entries.append({"date": date, "note": " ".join(note.split())})
    entries.sort(key=lambda e: e["date"], reverse=True)
    return entries


def string_list(data, key: str, where: str, diagnostics: Diagnostics) -> list[tuple[str, int]]:
    """A list of strings as (value, line); a single string counts as a list of one."""
    value = data[key]
    if isinstance(value, str):
        return [(value.strip(), data.line_of(key))]
    if not isinstance(value, list):
        diagnostics.error(where, data.line_of(key), f"`{key}` must be a list: one `- item` per line")
        return []
    items = []
    for index, item in enumerate(value):
        stripped = item.strip() if isinstance(item, str) else ""
        if not stripped:
            diagnostics.error(where, value.line_of(index), f"each item of `{key}` must be text")
        else:
            items.append((stripped, value.line_of(index)))
    return items


def date_value(value) -> dt.date | None:
    if isinstance(value, yamlfile._BadDate):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and DATE_PATTERN.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "yes/no value"
    if isinstance(value, dt.date):
        return "date"
    return "number"
