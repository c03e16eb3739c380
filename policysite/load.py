"""Files under content/ to Pages and StaticFiles, keeping source lines.

Each Markdown file is split into front matter and body; every front matter
field is checked for its type here, where its line is known. Checks that need
the whole site (unknown layouts, links) come later, in `site` and `markup`.
"""

from __future__ import annotations

import datetime as dt
import errno
import html
import os
import posixpath
import re
import sys
from pathlib import Path, PurePosixPath

from . import consultation, schema, translations, yamlfile
from .config import SiteConfig
from .diagnostics import Diagnostics, closest
from .folders import LINKED_AWAY, outside_site
from .model import Page

MARKDOWN_SUFFIXES = {".md", ".markdown"}
FIELDS = set(schema.FIELD_BY_NAME)
# `&amp;`, `&#8217;`, `&#x2019;`: HTML in a field that is shown as plain text.
CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
MAX_FILE_BYTES = 5 * 1024 * 1024
# Control characters other than tab and line breaks (which a value's spaces fold away).
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
# The kind of a page whose front matter could not be read: left out of the site, but its body is
# still checked (stages.check_unread_bodies), so that one mistake does not hide its broken links.
UNREAD = "unread"


def scan_content(site_dir: Path, diagnostics: Diagnostics, skip: list[Path] = (), listing: list[str] | None = None):
    """Every file under content/, sorted, as (site-relative path, its path as str(site_dir / rel) gives it).

    A str, not a Path: a big site has tens of thousands of files, and making a Path of each
    took longer than the rest of this, for files whose records mostly hold unread.

    Symbolic links that lead outside content/ are reported and not followed.
    Hidden files and folders (starting with '.') are left out, as in git.
    `listing`: the site-relative path of every file under content/, hidden ones too, from a
    walk of the folder that met no symbolic link nor unreadable folder (memo.input_digest):
    the files are then taken from it, not looked for again.
    """
    content = site_dir / "content"
    found: list[tuple[str, str]] = []
    if not content.is_dir():
        diagnostics.error("content", 1, "the content/ folder is missing: create it and add content/_index.md for the home page", code="missing-content")
        return found
    if outside_site(site_dir, content):
        diagnostics.error("content", 1, LINKED_AWAY, code="bad-symlink")
        return found
    # Compared as strings: for resolved (absolute, normal) paths that is Path equality, and cheaper.
    skip_resolved = {str(p.resolve()) for p in skip}
    content_real = content.resolve()
    if listing is not None:
        return _listed(site_dir, listing, skip_resolved, str(content_real))

    def walk(folder: str, rel_folder: str, real: str, above: frozenset):
        # `above`: the real folders on the way down, so a link back up is a loop
        # (the same folder reached twice by two routes is not). `rel_folder` is
        # `folder` relative to the site, as messages name it.
        if real in above:
            diagnostics.error(rel_folder, 1, "this folder links back to a folder above it: remove the link", code="bad-symlink")
            return
        above = above | {real}
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            diagnostics.error(rel_folder, 1, f"cannot read this folder: {exc.strerror}", code="unreadable-file")
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
                        diagnostics.error(rel, 1, "this link leads round in a loop: remove it", code="bad-symlink")
                    else:
                        diagnostics.error(rel, 1, f"this is a link to {os.readlink(path)}, which does not exist: remove the link or copy the file in", code="bad-symlink")
                    continue
                if not target.is_relative_to(content_real):
                    diagnostics.error(rel, 1, "this is a link to a place outside content/: copy the file in instead", code="bad-symlink")
                    continue
                target = str(target)
            else:
                target = f"{real}/{entry.name}"
            if target in skip_resolved:
                continue
            if entry.is_dir():
                walk(entry.path, rel, target, above)
            elif entry.is_file():
                found.append((rel, entry.path))

    walk(str(content), content.relative_to(site_dir).as_posix(), str(content_real), frozenset())
    # `walk` refers to itself (it recurses): a cycle holding `found` until the cycle collector
    # runs, and the build then leaves what exists out of collection (stages.run), so a big
    # site's file list stayed all build long. Emptying the name breaks the cycle.
    walk = None
    return found


def _listed(site_dir: Path, listing: list[str], skip_resolved: set[str], content_real: str) -> list[tuple[str, str]]:
    """scan_content's answer from a listing of a content/ without links: in the order of its walk
    (each folder's entries by name, a folder's files where its name falls), without hidden files
    or what is skipped (a file, or a folder and all in it)."""
    # Without links, a file's real path is content/'s with its path inside content/ after it.
    skipped = [real[len(content_real):] for real in skip_resolved if real.startswith(content_real + "/")]
    kept = []
    for rel in listing:
        inner = rel[len("content"):]   # "/a/b.md"
        if "/." in inner or any(inner == s or inner.startswith(s + "/") for s in skipped):
            continue
        kept.append(rel)
    kept.sort(key=lambda rel: rel.replace("/", "\0"))   # part by part: NUL sorts before any character of a name
    root = str(site_dir)   # joined as the Path would be (the listing's paths have no `.`, `..` or empty parts)
    lead = "" if root == "." else root.rstrip("/") + "/"
    return [(rel, lead + rel) for rel in kept]


def is_markdown(where: str) -> bool:
    """Whether the file at this site-relative path is a page (by its suffix, as Path.suffix gives it)."""
    return posixpath.splitext(where)[1].lower() in MARKDOWN_SUFFIXES


def file_stem(path: str) -> str:
    """PurePosixPath(path).stem for a site-relative file path, without making a path object
    (asked several times for every page)."""
    name = path.rpartition("/")[2]
    if not name or name == ".":
        return PurePosixPath(path).stem
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def split_front_matter(text: str):
    """(front matter text, its first line, body, body's first line) or None if absent.

    Blank lines before the opening `---` are allowed (some exporters write them);
    line numbers still count them."""
    skipped = 0                     # blank lines before the opening `---`
    offset = 0
    while True:
        end = text.find("\n", offset)
        if end < 0 or text[offset:end].strip():
            break
        offset = end + 1
        skipped += 1
    # Line by line as text.split("\n") would give them, without splitting the whole body.
    if (text[offset:] if end < 0 else text[offset:end]).strip() != "---":
        return None
    number = 1                      # 0-based number of the line starting at `start`, after the skipped ones
    start = end + 1
    while end >= 0:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.rstrip() in ("---", "..."):
            front = text[text.index("\n", offset) + 1:start - 1] if number > 1 else ""
            body = "" if end < 0 else text[end + 1:]
            return front, 2 + skipped, body, number + 2 + skipped
        start = end + 1
        number += 1
    return "unclosed"


def read_text(path: str | Path, where: str, diagnostics: Diagnostics, data: bytes | None = None) -> str | None:
    """A text file's contents (read now, or `data` already read) as str with '\\n' line ends,
    or None after reporting why not."""
    try:
        size = os.stat(path).st_size if data is None else len(data)
        if size > MAX_FILE_BYTES:
            diagnostics.error(where, 1, f"the file is {size:,} bytes, over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit for a page: split it or attach the document as a file", code="file-too-large")
            return None
        if data is None:
            data = read_bytes(path)
    except OSError as exc:
        diagnostics.error(where, 1, f"cannot read the file: {exc.strerror}", code="unreadable-file")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        diagnostics.error(where, 1, "the file is saved as UTF-16 (\"Unicode\"): save it again with UTF-8 encoding", code="not-utf-8")
        return None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        diagnostics.error(where, line, "the file contains a NUL byte: it may not be a text file; save it again as plain UTF-8 text", code="not-utf-8")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diagnostics.error(where, line, "the file is not valid UTF-8 text: save it with UTF-8 encoding", code="not-utf-8")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: str | Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def load_page(where: str, path: str | Path, config: SiteConfig, diagnostics: Diagnostics,
              data: bytes | None = None) -> Page | None:
    """One Markdown file (or its bytes, already read) to a Page with checked fields, or None if it cannot be read."""
    text = read_text(path, where, diagnostics, data)
    if text is None:
        return None
    if not text or text.isspace():   # `not text.strip()`, without copying the text
        diagnostics.error(where, 1, "the file is empty: start it with front matter between `---` lines, with at least `title:`", code="front-matter")
        return None
    parts = split_front_matter(text)
    if parts is None:
        diagnostics.error(where, 1, "the file has no front matter: start it with a line `---`, then `title: ...`, then another `---`", code="front-matter")
        return None
    if parts == "unclosed":
        first = text.index("---") + text[text.index("---"):].find("\n") + 1   # just after the opening `---`
        end = _probable_end(text[first:]) if first else None
        front_line = text[:first].count("\n") + 1
        line = 1 if end is None else front_line + end
        diagnostics.error(where, line, "the front matter is not closed: add a line `---` "
                          + ("after the last field" if end is None else "here, between the fields and the page text"),
                          code="front-matter")
        return None
    front, front_line, body, body_line = parts
    repeated: list[yamlfile.YamlProblem] = []
    try:
        data = yamlfile.load(front, first_line=front_line, repeated=repeated)
    except yamlfile.YamlProblem as problem:
        end = _probable_end(front)
        if end is not None and front_line + end <= problem.line:
            _report_unclosed(where, front_line + end, diagnostics)
            return None
        diagnostics.error(where, problem.line, problem.message, code="invalid-yaml")
        return _unread(where, body, body_line)
    if isinstance(data, dict):
        # Read as fields, page text may still be what follows a missing `---`, up to a rule further on
        # (`_is_field` tells a sentence from a field, quoted or of a few words: `Review date: 2024`).
        end = _probable_end(front)
        if end is not None:
            _report_unclosed(where, front_line + end, diagnostics)
            return None
    for problem in repeated:   # reported, and the first value checked like any other
        diagnostics.error(where, problem.line, problem.message, code="invalid-yaml")
    if data is None:
        diagnostics.error(where, front_line, "the front matter is empty: add at least `title: ...`", code="front-matter")
        return _unread(where, body, body_line)
    if not isinstance(data, dict):
        diagnostics.error(where, front_line, "the front matter must be `field: value` lines at the top level, not a list or a single value", code="invalid-yaml")
        return _unread(where, body, body_line)

    is_index = file_stem(where) == "_index" or translations.is_index(where, config)   # or `_index.cy.md`
    is_home = is_index and where.rpartition("/")[0] == "content"
    page = Page(kind="section" if is_index else "page", source=where, body=body, body_line=body_line)
    # Field names and the keys a field names (below) as one str each: pages loaded in a worker
    # process are sent back a chunk at a time, and pickling sends one object once a chunk, not
    # the copy each page's YAML gave (a few hundred bytes a page, held all build long).
    page.lines = {sys.intern(key): line for key, line in data.key_lines.items()}
    page.fields = check_fields(data, where, config, diagnostics, is_index, is_home)
    if body.strip() == schema.PLACEHOLDER_BODY:
        blank = body[:len(body) - len(body.lstrip())].count("\n")   # blank lines before the text
        diagnostics.error(where, body_line + blank,
                          "replace the placeholder text that `new` wrote with the page itself", code="placeholder")
    page.title = page.fields.get("title", "")
    page.description = page.fields.get("description", "")
    return page


def _unread(where: str, body: str, body_line: int) -> Page:
    """A page whose front matter could not be read (already reported): its body alone, to check."""
    return Page(kind=UNREAD, source=where, title=file_stem(where), body=body, body_line=body_line)


# A line as editors write a field (`name:`, lower case) or a list item, which front matter may hold.
_FIELD_LIKE = re.compile(r"[a-z_][a-z0-9_-]*:(?:\s|$)|-(?:\s|$)")


def _is_field(line: str) -> bool:
    """Whether a line at the start of the line reads as a field, not as page text.

    `Background: the department reviewed ...` is page text that YAML would read as a field: a name
    that is not in lower case (nor a field's name in capitals), with a sentence after it."""
    if _FIELD_LIKE.match(line):
        return True
    if line[:1] in "'\"":   # a quoted name (`"location": London`): only YAML writes one
        return re.match(r"""^(?:"[^"]*"|'[^']*')\s*:(?:\s|$)""", line) is not None
    name, colon, value = line.partition(":")
    if not colon or value[:1] not in ("", " ", "\t") or name[:1] in "[{":
        return False
    if len(name.split()) > 3:   # a clause, not a name (`Review date:` is one)
        return False
    if name.lower() in FIELDS or schema.misspelling_of(name, FIELDS):
        return True
    return len(value.split()) < 3 and not value.rstrip().endswith((".", "?", "!"))


def _probable_end(front: str) -> int | None:
    """Where front matter whose closing `---` is missing probably ends: the 0-based line of the blank
    line between its fields and the page text, or None when it does not look like that.

    Without the closing line, the page text up to a Markdown rule (`---`), or to the end of the file,
    is read as front matter. The sign: after a blank line, a line at the start of the line that is
    not a field, a list item or a comment (a paragraph, or a sentence with a colon in it), with
    valid front matter before that blank line. Blank lines between fields, and values over several
    lines (quoted, indented, or after `|` or `>`), are not page text.
    """
    if "\n\n" not in front and "\n \n" not in front and "\n\t\n" not in front:   # no blank line at all
        return None
    lines = front.split("\n")
    last_field = None   # the last line with content before the text
    for number, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#") or line[0] in " \t":
            continue
        if _is_field(line):
            last_field = number
            continue
        if last_field is None:
            return None
        blank = next((n for n in range(last_field + 1, number) if not lines[n].strip()), None)
        if blank is None:
            return None
        try:
            before = yamlfile.load("\n".join(lines[:blank]))
        except yamlfile.YamlProblem:
            return None   # inside a quoted value over several lines, or a problem of its own
        return blank if isinstance(before, dict) else None
    return None


def _report_unclosed(where: str, line: int, diagnostics: Diagnostics) -> None:
    diagnostics.error(where, line, "the front matter seems to end here, but there is no line `---` to close it, so "
                      "the page text below is read as front matter: add a line `---` here", code="front-matter")


def check_fields(data, where: str, config: SiteConfig, diagnostics: Diagnostics, is_index: bool,
                 is_home: bool = False) -> dict:
    """Checked front matter values, as schema.FIELDS and the site's `types:` declare them.

    Each problem is reported at its field's line."""
    out: dict = {}
    types = schema.page_types(config.types)
    declared = schema.fields_for(config.types)
    err = lambda key, msg, code="field-type": diagnostics.error(where, data.line_of(key), msg, code=code)

    page_type = "page"
    if "type" in data:
        value = data["type"]
        if not isinstance(value, str) or value not in types:
            hint = closest(value, types) if isinstance(value, str) else None
            tip = f", did you mean `{hint}`?" if hint else f": use one of {', '.join(types)}"
            err("type", f"unknown type `{_show(value)}`{tip}", code="unknown-type")
        else:
            out["type"] = page_type = sys.intern(value)
    own = {f.name for f in types[page_type].fields}

    type_known = "type" not in data or "type" in out
    for key in data:
        if key in own:
            continue
        if key in schema.FIELD_BY_NAME:
            spec = schema.FIELD_BY_NAME[key]
            if type_known and not spec.used_on(page_type):
                users = " or ".join(f"`{t}`" for t in sorted(spec.only_on))
                diagnostics.warning(where, data.line_of(key), f"`{key}:` is used only on pages of type {users}, "
                                    f"not `{page_type}`: it does nothing here; remove it or change `type:`",
                                    code="field-not-for-type")
            continue
        if key in declared:
            owners = ", ".join(f"`{t.key}`" for t in types.values() if any(f.name == key for f in t.fields))
            diagnostics.warning(where, data.line_of(key), f"`{key}` is a field of pages of type {owners}, not `{page_type}`: "
                                "it is not used here", code="unknown-field")
            continue
        hint = schema.misspelling_of(key, set(schema.FIELD_BY_NAME) | own)
        if hint is None and schema.synonym_of(key, data[key]) not in data:   # not `published:` beside `date:`
            hint = schema.synonym_of(key, data[key])
        if hint:
            spec = schema.FIELD_BY_NAME.get(hint)
            below = (f"; `{hint}:` takes {' and '.join(f'`{p.name}:`' for p in spec.parts)} indented below it"
                     if spec is not None and spec.kind == schema.RECORD and hint != key.casefold() else "")
            diagnostics.error(where, data.line_of(key), f"unknown field `{key}`, did you mean `{hint}`? "
                              f"As written, its value would be dropped: correct the name{below}", code="misspelled-field")
        else:
            diagnostics.warning(where, data.line_of(key), f"unknown field `{key}`: policysite does not use it; "
                                "for data of your own put it under `extra:`", code="unknown-field")

    for spec in list(schema.FIELDS) + list(types[page_type].fields):
        key = spec.name
        if spec.kind == schema.TYPE or (spec.kind == schema.FREE and key not in data):
            continue   # `type` is read first, above; a missing `extra` is not an empty one
        if key not in data or data[key] is None:
            required = spec.required_for(page_type) and not (spec.optional_on_index and is_index)
            if key == "title" and is_home:
                out["title"] = config.title      # a home page without a title takes the site's
            elif required and key in data and spec.kind == schema.TEXT and data.comment_after(key):
                # Only where a value must be: `location: # to confirm` is an optional field left empty, with a note.
                comment = data.comment_after(key)[0]
                err(key, f"`{key}` is empty: `#` starts a note, so what follows it is not the {key.replace('_', ' ')}; "
                         f"a value starting with `#` must be in quotes: `{key}: {yamlfile.quoted(comment)}`",
                    code="empty-field")
            elif required and key in data:   # `title:` or `title: ~`: the line is there, its value is not
                err(key, f"`{key}` is empty: write the {key.replace('_', ' ')} after `{key}:`", code="empty-field")
            elif required:
                diagnostics.error(where, data.line, f"`{key}:` is required: add a line `{key}: ...` to the front matter",
                                  code="missing-field")
            continue
        value = data[key]
        if spec.kind == schema.TEXT:
            checked = check_text(value, key, data.line_of(key), where, diagnostics, decode=not spec.address,
                                 comment=data.comment_after(key))
        elif spec.kind == schema.DATE:
            checked = schema.date_value(value)
            if checked is None:
                err(key, _not_a_date(key, value) or f"`{key}` must be a date written YYYY-MM-DD, such as 2008-11-06, "
                                                    "optionally with a time, such as 2008-11-06 09:30:00 +00:00")
        elif spec.kind == schema.BOOL:
            checked = value if isinstance(value, bool) else None
            if checked is None:
                err(key, f"`{key}` must be true or false")
        elif spec.kind == schema.INT:
            checked = value if isinstance(value, int) and not isinstance(value, bool) else None
            if checked is None:
                err(key, f"`{key}` must be a whole number, such as 10")
        elif spec.kind == schema.KEYS:
            checked = check_keys(data, spec, page_type, where, config, diagnostics)
        elif spec.kind == schema.KEY:
            checked = check_key(data, spec, where, config, diagnostics)
        elif spec.kind == schema.LIST:
            checked = string_list(data, key, where, diagnostics)
        elif spec.kind == schema.RECORDS and key == "change_history":
            checked = check_change_history(data, where, diagnostics, spec)
        elif spec.kind == schema.RECORDS:
            checked = check_records(data, spec, where, diagnostics)
        elif spec.kind == schema.RECORD:
            checked = check_record(data, spec, where, diagnostics)
        elif isinstance(value, dict):   # FREE: `extra`, whose values are not checked
            checked = value
        else:
            checked = None
            err(key, f"`{key}` must be `name: value` lines indented below it", code="field-type")
        if checked is not None:
            out[key] = checked

    if "date" in out and "updated" in out and schema.moment(out["updated"]) < schema.moment(out["date"]):
        err("updated", f"`updated` ({out['updated'].isoformat()}) is before `date` ({out['date'].isoformat()}): "
                       "a page cannot be updated before it was published", code="date-order")
    if "opens" in out and "closes" in out and consultation.closing(out["closes"]) < consultation.opening(out["opens"]):
        err("closes", f"`closes` ({out['closes'].isoformat()}) is before `opens` ({out['opens'].isoformat()}): "
                      "a consultation cannot close before it opens", code="date-order")
    if page_type == "consultation" and data.get("closes") is None:
        diagnostics.warning(where, data.line, "a consultation needs `closes:` (and `opens:`), such as "
                            "`closes: 2026-04-01 23:59 +01:00`, to show whether it is open", code="missing-field")
    if page_type == "collection" and isinstance(data.get("groups"), list) and not data["groups"]:
        err("groups", "`groups` is empty: a collection needs at least one group, "
                      "`- title: ...` with its `pages:`", code="empty-field")
    if out.get("political") and "government" not in data:
        err("political", "`political: true` needs a `government:` to say which government published the page",
            code="missing-field")
    check_placeholders(out, data, where, config, diagnostics)
    return out


def check_text(value, key: str, line: int, where: str, diagnostics: Diagnostics, decode: bool = True,
               comment: tuple[str, str | None] | None = None) -> str | None:
    """One line of text, spaces folded and (unless `decode` is False: addresses) character references decoded.

    `comment`: a `# ...` YAML left out after the value (LinedDict.comment_after)."""
    if comment and decode and isinstance(value, str) and value.strip():
        # `title: Our #1 priority` reads as "Our": the rest of the line is a YAML comment.
        words, whole = comment
        name = key.rpartition(".")[2]
        fix = f": `{name}: {yamlfile.quoted(whole)}`" if whole else ""
        diagnostics.error(where, line, f"`{key}`: ` #` starts a note, so `{words}` was left out of the "
                                       f"{name.replace('_', ' ')}: put the whole value in quotes{fix} "
                                       "(or, if it is a note, move it to a line of its own)", code="field-type")
    elif isinstance(value, (int, float, bool, dt.date)) and not isinstance(value, yamlfile._BadDate):
        diagnostics.error(where, line, f"`{key}` must be text, but YAML reads `{_show(value)}` as a {_kind(value)}: "
                                       "put the value in quotes", code="field-type")
    elif not isinstance(value, str):
        diagnostics.error(where, line, f"`{key}` must be text on one line", code="field-type")
    elif not value.strip():
        diagnostics.error(where, line, f"`{key}` is empty: write the {key}", code="empty-field")
    else:
        if CONTROL_CHARACTER.search(value):
            # Pasted from another program, or written as `"\u0001"`: invisible, and not allowed in HTML or feeds.
            shown = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(CONTROL_CHARACTER.findall(value)))
            many = "s" if "," in shown else ""
            diagnostics.warning(where, line, f"`{key}` contains the control character{many} {shown}, which cannot be "
                                             f"seen and is left out of the page: remove {'them' if many else 'it'} "
                                             "(retype the text around it if you cannot find it)", code="control-character")
            value = CONTROL_CHARACTER.sub("", value)
        text = " ".join(value.split())
        if decode and CHARACTER_REFERENCE.search(text):
            decoded = " ".join(html.unescape(text).split())
            if decoded != text:
                shown = ", ".join(f"`{m}`" for m in dict.fromkeys(CHARACTER_REFERENCE.findall(text)))
                diagnostics.warning(where, line, f"`{key}` has HTML character references ({shown}): they are shown as "
                                                 "the characters they stand for; write the characters themselves",
                                    code="character-reference")
                text = decoded
        return text
    return None


def check_keys(data, spec, page_type: str, where: str, config: SiteConfig, diagnostics: Diagnostics) -> list[str]:
    """A list of keys from one site_config.yaml group: unknown keys are errors, an empty list may be one too."""
    key = spec.name
    known = getattr(config, spec.keys_of) if spec.keys_of else spec.choices
    keys = string_list(data, key, where, diagnostics)
    for item, line in keys:
        if item not in known and (config.readable or not spec.keys_of):
            hint = closest(item, known)
            tip = f", did you mean `{hint}`?" if hint else (
                f": add it under `{spec.keys_of}:` in site_config.yaml" if spec.keys_of else f": use {', '.join(known)}")
            diagnostics.error(where, line, f"unknown {key.removesuffix('s')} `{item}`{tip}", code="unknown-key")
    value = data[key]
    if isinstance(value, list) and not value:
        source = f"`{spec.keys_of}:` in site_config.yaml" if spec.keys_of else ", ".join(spec.choices)
        if page_type in spec.filled_in:
            diagnostics.error(where, data.line_of(key), f"`{key}` is empty: a {page_type} page needs at least one, "
                                                        f"from {source}", code="empty-field")
        else:
            diagnostics.warning(where, data.line_of(key), f"`{key}` is empty: add keys from {source}, or remove the line",
                                code="empty-field")
    return [sys.intern(item) for item, _ in keys if item in known]


def check_key(data, spec, where: str, config: SiteConfig, diagnostics: Diagnostics) -> str | None:
    key, value = spec.name, data[spec.name]
    known = getattr(config, spec.keys_of) if spec.keys_of else spec.choices
    if not isinstance(value, str):
        what = f"the key of one of the {spec.keys_of} in site_config.yaml" if spec.keys_of else f"one of {', '.join(known)}"
        diagnostics.error(where, data.line_of(key), f"`{key}` must be {what}", code="field-type")
    elif value not in known:
        if config.readable or not spec.keys_of:   # else site_config.yaml's own error says why no key is known
            hint = closest(value, known)
            tip = f", did you mean `{hint}`?" if hint else (
                f": add it under `{spec.keys_of}:` in site_config.yaml" if spec.keys_of else f": use one of {', '.join(known)}")
            diagnostics.error(where, data.line_of(key), f"unknown {key} `{value}`{tip}", code="unknown-key")
    else:
        return sys.intern(value)
    return None


def check_placeholders(out: dict, data, where: str, config: SiteConfig, diagnostics: Diagnostics) -> None:
    """Text that `new` writes as a placeholder (schema.placeholders) must be replaced before publishing."""
    for key, texts in schema.placeholders(config.types).items():
        if isinstance(out.get(key), str) and out[key] in texts:
            diagnostics.error(where, data.line_of(key), f"replace the placeholder {key.replace('_', ' ')}: "
                              f"`{out[key]}` is what `new` writes, not the page's own", code="placeholder")


def check_unknown_parts(record, spec, where: str, diagnostics: Diagnostics) -> None:
    """Sub-fields of a mapping: a near miss of a known one is an error, anything else a warning."""
    names = spec.part_names
    for sub in record:
        if sub in names:
            continue
        hint = schema.misspelling_of(sub, names)
        if hint:
            diagnostics.error(where, record.line_of(sub), f"unknown field `{sub}` in `{spec.name}`, did you mean `{hint}`? "
                              "As written, its value would be dropped: correct the name", code="misspelled-field")
        else:
            diagnostics.warning(where, record.line_of(sub), f"unknown field `{sub}` in `{spec.name}`: use "
                                f"{' and '.join(f'`{n}`' for n in names) if len(names) == 2 else ', '.join(f'`{n}`' for n in names)}",
                                code="unknown-field")


def check_record(data, spec, where: str, diagnostics: Diagnostics) -> dict | None:
    """A mapping with declared sub-fields (`withdrawn`, `image`): each checked at its line.

    The result keeps each sub-field's line as `<name>_line`, and the mapping's own as `line`,
    for checks made later (`image.src` must lead to a file)."""
    value = data[spec.name]
    line = data.line_of(spec.name)
    required = [p.name for p in spec.parts if p.required_in == schema.ALL_TYPES]
    if not isinstance(value, dict):
        diagnostics.error(where, line, f"`{spec.name}` needs {' and '.join(f'`{n}:`' for n in required)} indented below it",
                          code="field-type")
        return None
    check_unknown_parts(value, spec, where, diagnostics)
    record = _check_parts(value, spec, line, required, where, diagnostics, add=f"below `{spec.name}:`", keep_lines=True)
    return record if all(n in record for n in required) else None


def _check_parts(entry, spec, line: int, required: list[str], where: str, diagnostics: Diagnostics, *,
                 add: str, keep_lines: bool) -> dict:
    """Each declared sub-field of one mapping, checked at its line, into a record with the mapping's
    `line`; `add` says where a missing one goes; `keep_lines` keeps each one's line as `<name>_line`."""
    record: dict = {"line": line}
    for part in spec.parts:
        name = f"{spec.name}.{part.name}"
        item = entry.get(part.name)
        if item is None:
            if part.name in required:
                diagnostics.error(where, entry.line_of(part.name, line),
                                  f"`{name}` is missing: add `{part.name}:` {add}, giving {part.doc}", code="missing-field")
            continue
        if part.kind == schema.DATE:
            checked = schema.date_value(item)
            if checked is None:
                diagnostics.error(where, entry.line_of(part.name), _not_a_date(name, item) or f"`{name}` must be a "
                                  "date written YYYY-MM-DD, optionally with a time", code="field-type")
        elif part.kind == schema.LIST:
            checked = string_list(entry, part.name, where, diagnostics)
        else:
            checked = check_text(item, name, entry.line_of(part.name), where, diagnostics, decode=not part.address,
                                 comment=entry.comment_after(part.name))
        if checked is not None:
            record[part.name] = checked
            if keep_lines:
                record[part.name + "_line"] = entry.line_of(part.name)
    return record


def check_records(data, spec, where: str, diagnostics: Diagnostics) -> list[dict]:
    """A list of mappings with declared sub-fields (a collection's `groups`), each checked at its line.

    Each entry keeps its own line as `line`; a LIST sub-field keeps (value, line) pairs."""
    value = data[spec.name]
    required = [p.name for p in spec.parts if p.required_in == schema.ALL_TYPES]
    needs = " and ".join(f"`{n}:`" for n in required)
    if not isinstance(value, list):
        diagnostics.error(where, data.line_of(spec.name), f"`{spec.name}` must be a list of entries, each `- {required[0]}: ...` "
                          f"with {needs}", code="field-type")
        return []
    entries = []
    for index, entry in enumerate(value):
        line = value.line_of(index)
        if not isinstance(entry, dict):
            diagnostics.error(where, line, f"each `{spec.name}` entry needs {needs}", code="field-type")
            continue
        check_unknown_parts(entry, spec, where, diagnostics)
        record = _check_parts(entry, spec, line, required, where, diagnostics, add="to this entry", keep_lines=False)
        if all(n in record for n in required):
            entries.append(record)
    return entries


def check_change_history(data, where: str, diagnostics: Diagnostics, spec=None) -> list[dict]:
    spec = spec or schema.FIELD_BY_NAME["change_history"]
    value = data["change_history"]
    if not isinstance(value, list):
        diagnostics.error(where, data.line_of("change_history"), "`change_history` must be a list of entries, each `- date: YYYY-MM-DD` with a `note:`",
                          code="field-type")
        return []
    entries = []
    for index, entry in enumerate(value):
        line = value.line_of(index)
        if not isinstance(entry, dict):
            diagnostics.error(where, line, "each `change_history` entry needs `date:` and `note:`", code="field-type")
            continue
        date = schema.date_value(entry.get("date"))
        note = entry.get("note")
        if date is None:
            diagnostics.error(where, entry.line_of("date"), _not_a_date("change_history.date", entry.get("date"))
                              or "a `change_history` entry needs a `date:` written YYYY-MM-DD", code="field-type")
        if not isinstance(note, str) or not note.strip():
            diagnostics.error(where, entry.line_of("note"), "a `change_history` entry needs a `note:` saying what changed",
                              code="missing-field")
        check_unknown_parts(entry, spec, where, diagnostics)
        if date is not None and isinstance(note, str) and note.strip():
            entries.append({"date": date, "note": check_text(note, "change_history.note", entry.line_of("note"),
                                                             where, diagnostics, comment=entry.comment_after("note"))})
    entries.sort(key=lambda e: schema.moment(e["date"]), reverse=True)
    return entries


def string_list(data, key: str, where: str, diagnostics: Diagnostics) -> list[tuple[str, int]]:
    """A list of strings as (value, line); a single string counts as a list of one."""
    value = data[key]
    if isinstance(value, str):
        return [(value.strip(), data.line_of(key))]
    if not isinstance(value, list):
        diagnostics.error(where, data.line_of(key), f"`{key}` must be a list: one `- item` per line", code="field-type")
        return []
    items = []
    for index, item in enumerate(value):
        stripped = item.strip() if isinstance(item, str) else ""
        if not stripped:
            diagnostics.error(where, value.line_of(index), f"each item of `{key}` must be text", code="field-type")
        else:
            items.append((stripped, value.line_of(index)))
    return items


def _not_a_date(key: str, value) -> str | None:
    """For a date written YYYY-MM-DD that does not exist (2024-02-30): the message, saying why."""
    why = schema.impossible_date(value)
    return f"`{key}` is {str(value).strip()}, which is not a real date: {why}; correct the date" if why else None


def date_value(value) -> dt.date | None:
    """A checked date or date with time (see schema.date_value)."""
    return schema.date_value(value)


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "yes/no value"
    if isinstance(value, dt.date):
        return "date"
    return "number"
