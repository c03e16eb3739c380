"""What an import did and what it left for a person: counts and items with file:line."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic

# Kinds of item, in the order IMPORT-REPORT.md lists them, with their headings.
KINDS = {
    "link": "Links left as written (no page or file at that address)",
    "tag": "Template tags left in place (policysite does not run them)",
    "address": "Addresses that could not be kept",
    "alias": "Old addresses (aliases) not kept",
    "attribute": "Kramdown attribute lists kept (policysite reads `{: ...}` too: check what each sets)",
    "title": "Titles made from file names",
    "description": "Pages without a description",
    "description-made": "Descriptions made from the page's opening (check each says what the page is for)",
    "image": "Images without alt text",
    "heading": "Headings moved down a level (the page title is the only top-level heading)",
    "presentational": "Presentational attributes removed (the theme decides how pages look)",
    "front-matter": "Front matter that could not be read",
    "date": "Dates that could not be read",
    "date-order": "Last-changed dates earlier than the page's date (kept under `extra`)",
    "nav": "Menu entries not kept in `nav:`",
    "file": "Files not imported",
    "language": "Languages",
    "setting": "Settings not carried over",
    "note": "Other notes",
}


# How the summary line counts each kind: (many, one).
COUNTED = {
    "link": ("links left as written", "link left as written"),
    "tag": ("template tags left in place", "template tag left in place"),
    "address": ("addresses that could not be kept", "address that could not be kept"),
    "alias": ("old addresses not kept", "old address not kept"),
    "attribute": ("kramdown attribute lists kept", "kramdown attribute list kept"),
    "title": ("titles made from file names", "title made from a file name"),
    "description": ("pages without a description", "page without a description"),
    "description-made": ("descriptions made from the page's opening", "description made from the page's opening"),
    "image": ("images without alt text", "image without alt text"),
    "front-matter": ("pages whose front matter could not be read", "page whose front matter could not be read"),
    "date": ("dates that could not be read", "date that could not be read"),
    "date-order": ("last-changed dates earlier than the page's date", "last-changed date earlier than the page's date"),
    "nav": ("menu entries not kept in `nav:`", "menu entry not kept in `nav:`"),
    "file": ("files not imported", "file not imported"),
    "setting": ("settings not carried over", "setting not carried over"),
}


def counted(kind: str, n: int) -> str:
    """`3 files not imported`, `1 file not imported`."""
    many, one = COUNTED.get(kind) or (KINDS[kind].split(" (")[0].lower(),) * 2
    return f"{n} {one if n == 1 else many}"


# What `check` calls the problems an import item also is, so each is listed once, at check's line.
CHECK_CODES = {"link": "broken-link", "tag": "template-tag", "description": "missing-field"}
ROOT = "/"               # Item.group of a link to a file at the site's root
INVALID = "not valid"    # Item.group of a link that is not a web address at all


@dataclass
class Item:
    kind: str
    where: str      # path in DEST (or SRC for files not imported)
    line: int
    message: str
    group: str = ""     # for links: the first folder of the address (`img`), ROOT or INVALID
    subject: str = ""   # for links: the address as written


def code(value: str) -> str:
    """`value` as Markdown code, fenced with more backticks than it holds so it never breaks the quoting."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def group_label(group: str) -> str:
    if group == INVALID:
        return "not a valid address"
    if group == ROOT:
        return "at the site's root"
    return f"under /{group}/"


@dataclass
class Report:
    source_pages: int = 0
    output_pages: int = 0
    redirects: int = 0           # source pages that only redirected, now aliases
    files_copied: int = 0
    links_rewritten: int = 0
    links_left: int = 0
    tags_to_no_page: Counter = field(default_factory=Counter)   # `{{< relref >}}`, `{% link %}` … -> links left in them
    converted: Counter = field(default_factory=Counter)   # tag or shortcode name -> count
    left: Counter = field(default_factory=Counter)        # tag or shortcode name -> count
    extra_fields: Counter = field(default_factory=Counter)  # field name -> pages keeping it under extra
    items: list[Item] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)   # (source path, what it became), changed ones only
    link_notes: dict[str, str] = field(default_factory=dict)     # link group -> what a person should do about it
    checked: list[Diagnostic] | None = None   # what `check` says about DEST, once it has run
    unread_config: list[tuple[str, int, str]] = field(default_factory=list)   # (file, line, its settings in words)

    def add(self, kind: str, where: str, line: int, message: str, group: str = "", subject: str = "") -> None:
        self.items.append(Item(kind, where, line, message, group, subject))

    def config_unread(self, where: str, line: int, why: str, settings: str) -> None:
        """A configuration file that could not be read: its settings (`settings`, in words) are all missing."""
        self.add("setting", where, line, f"the configuration could not be read: {why}. None of its settings "
                 f"were carried over ({settings}): correct it and import again into an empty folder")
        self.unread_config.append((where, line, settings))

    def take_check(self, diagnostics: list[Diagnostic]) -> None:
        """Keep what `check` says, and give each item that check also reports check's line."""
        self.checked = diagnostics
        missing = {d.path: d.line for d in diagnostics
                   if d.code == "missing-field" and d.message.startswith("`description:`")}
        for item in self.items:
            if item.kind == "description" and item.where in missing:
                item.line = missing[item.where]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.checked or [] if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.checked or [] if d.severity == "warning"]

    def verdict(self) -> str:
        """What `check` will say about the new site, in a sentence."""
        if self.checked is None:
            return ""
        errors, warnings = len(self.errors), len(self.warnings)
        if errors:
            return (f"`policysite check` finds {_count(errors, 'error')} and {_count(warnings, 'warning')} in the new site: "
                    f"it will not build until the errors are fixed.")
        if warnings:
            return f"`policysite check` finds no errors and {_count(warnings, 'warning')}: the new site builds."
        return "`policysite check` finds no problems: the new site builds."

    def summary(self, in_report: bool = False) -> str:
        """The lines `import` prints; in IMPORT-REPORT.md, the same without the pointers to it."""
        lines = [f"The configuration could not be read ({where}:{line}): the settings taken from it ({settings}) "
                 "are missing from the new site." for where, line, settings in self.unread_config]
        if self.verdict() and not in_report:
            lines.append(self.verdict()[:-1] + (" (they are listed first in IMPORT-REPORT.md)." if self.errors else "."))
        lines += [
            f"Imported {self.source_pages} source pages as {self.output_pages} pages"
            + (f" and {self.redirects} aliases (pages that only redirected)" if self.redirects else "")
            + f", {self.files_copied} other files copied.",
            f"Links: {self.links_rewritten} rewritten, {self.links_left} left as written"
            + (": " + ", ".join([f"{n} {group_label(g)}" for g, n in _by_count(self._link_groups())]
                                + [f"{n} in {name} naming no page" for name, n in _by_count(self.tags_to_no_page)])
               if self.links_left else "") + ".",
        ]
        lines += [f"  {group_label(g)}: {self.link_notes[g]}" for g, _ in _by_count(self._link_groups()) if g in self.link_notes]
        lines += [
            "Converted: " + _counts(self.converted),
            "Left in place: " + _counts(self.left),
            "Fields kept under extra: " + _counts(self.extra_fields),
        ]
        waiting = Counter(item.kind for item in self.items if item.kind not in ("language", "note", "presentational", "heading"))
        if waiting:
            lines.append(("Left for a person: " if in_report else "Left for a person (see IMPORT-REPORT.md): ")
                         + ", ".join(counted(k, n) for k, n in waiting.items()))
        return "\n".join(lines)

    def markdown(self) -> str:
        """IMPORT-REPORT.md: what check says, the errors first by kind, then the warnings, then what else is left."""
        out = ["# Import report", ""]
        if self.verdict():
            out += [self.verdict(), ""]
        out += ["```", self.summary(in_report=True), "```", ""]
        paired = self._pairs()
        for title, diagnostics in (("Errors to fix first", self.errors), ("Warnings", self.warnings)):
            if diagnostics:
                out += [f"## {title} ({len(diagnostics)})", ""]
                out += self._by_code(diagnostics, paired)
        shown = {id(item) for item in paired.values()}
        for kind, heading in KINDS.items():
            items = sorted((i for i in self.items if i.kind == kind and id(i) not in shown),
                           key=lambda i: (i.where, i.line, i.message))
            if not items:
                continue
            out += [f"## {heading} ({len(items)})", ""]
            if kind == "link":
                out += self._links_by_group([(i.where, i.line, i) for i in items])
            else:
                out += [f"- {i.where}:{i.line}: {i.message}" for i in items]
                out.append("")
        if self.moves:
            out += [f"## Pages whose file or address changed ({len(self.moves)})", ""]
            out += [f"- {source} → {became}" for source, became in sorted(self.moves)]
            out.append("")
        return "\n".join(out)

    def _link_groups(self) -> Counter:
        return Counter(item.group for item in self.items if item.kind == "link")

    def _pairs(self) -> dict[int, Item]:
        """id of each check diagnostic -> the import item it is about, matched by file, line and kind."""
        waiting: dict[tuple, list[Item]] = {}
        for item in self.items:
            if item.kind in CHECK_CODES:
                waiting.setdefault((CHECK_CODES[item.kind], item.where, item.line), []).append(item)
        paired = {}
        for d in self.checked or []:
            candidates = waiting.get((d.code, d.path, d.line))
            if not candidates:
                continue
            if d.code == "missing-field" and not d.message.startswith("`description:`"):
                continue
            # Two links on a line: the one whose address check quotes.
            item = next((i for i in candidates if i.subject and i.subject in d.message), candidates[0])
            candidates.remove(item)
            paired[id(d)] = item
        return paired

    def _by_code(self, diagnostics: list[Diagnostic], paired: dict[int, Item]) -> list[str]:
        groups: dict[str, list[Diagnostic]] = {}
        for d in diagnostics:
            groups.setdefault(d.code, []).append(d)
        out = []
        for name, found in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            out += [f"### {code(name) if name else 'Other problems'} ({len(found)})", ""]
            if name == "broken-link":
                out += self._links_by_group([(d.path, d.line, paired.get(id(d)) or d) for d in found])
                continue
            out += [f"- {d.path}:{d.line}: {(paired.get(id(d)) or d).message}" for d in found]
            out.append("")
        return out

    def _links_by_group(self, entries: list[tuple[str, int, object]]) -> list[str]:
        """Links in groups by the first folder of their address, each group with what to do about it."""
        groups: dict[str, list] = {}
        for where, line, about in entries:
            groups.setdefault(about.group if isinstance(about, Item) else "", []).append((where, line, about))
        out = []
        for group, found in sorted(groups.items(), key=lambda kv: (kv[0] == "", -len(kv[1]), kv[0])):
            label = group_label(group) if group else "other links"
            note = self.link_notes.get(group)
            out += [f"{label[0].upper()}{label[1:]} ({len(found)})" + (f": {note}" if note else ""), ""]
            out += [f"- {where}:{line}: {about.message}" for where, line, about in found]
            out.append("")
        return out


def _by_count(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _counts(counter: Counter) -> str:
    if not counter:
        return "none"
    return ", ".join(f"{name} {n}" for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
