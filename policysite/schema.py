"""Every front matter field and every page type, declared once.

The declarations here drive the loading checks (load.py), the "did you mean"
hints for field names, `new --type` and the archetypes it writes
(scaffold.py), what layouts receive as `page.<field>` (templates.py) and the
README's front matter table (tests/test_schema.py keeps it in step).

A site adds its own page types, with their own fields, under `types:` in
site_config.yaml (read by config.py into `PageType`s with `builtin=False`,
whose fields are the same `Field` declarations).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

# Field kinds: how a value is checked and what it becomes.
TEXT = "text"          # one line of text (spaces folded)
DATE = "date"          # YYYY-MM-DD, optionally with a time: a date, or an aware datetime
BOOL = "bool"          # true or false
INT = "int"            # a whole number
TYPE = "type"          # the key of a page type (built-in or the site's own)
KEY = "key"            # one key from a site_config.yaml group (`keys_of`), or one of `choices`
KEYS = "keys"          # a list of keys from a site_config.yaml group (`keys_of`), or of `choices`
LIST = "list"          # a list of text items, each kept with its line: [(value, line)]
RECORD = "record"      # a mapping with the sub-fields in `parts`
RECORDS = "records"    # a list of mappings, each with the sub-fields in `parts`
FREE = "free"          # anything: not checked (`extra:`)

ALL_TYPES = frozenset({"*"})   # `required_in` value: every page type
# The body a generated archetype gives a new page: an error until the editor writes the page.
PLACEHOLDER_BODY = "Write the page here."


@dataclass(frozen=True)
class Field:
    """One front matter field (or one sub-field of a mapping)."""

    name: str
    kind: str
    doc: str                                       # one line, for the README and generated archetypes
    required_in: frozenset[str] = frozenset()      # page types that must have it (ALL_TYPES: every one)
    default: object = None                         # what layouts see when a page does not give it
    keys_of: str | None = None                     # KEY/KEYS: the site_config.yaml group of allowed keys
    choices: tuple[str, ...] = ()                  # KEY/KEYS without `keys_of`: the fixed allowed values
    filled_in: frozenset[str] = frozenset()        # KEYS: page types where an empty list is an error
    parts: tuple[Field, ...] = ()                # RECORD/RECORDS: the sub-fields
    optional_on_index: bool = False                # not required on an `_index.md`
    placeholder: str | None = None                 # what `new` writes for it; left as written it is an error
    example: str = ""                              # a front matter line, for the README
    address: bool = False                          # TEXT that is an address or a name, not shown as text:
                                                   # its `&...;` references are left as written
    only_on: frozenset[str] = frozenset()          # the page types that use it; empty: every type

    def used_on(self, page_type: str) -> bool:
        return not self.only_on or page_type in self.only_on

    def required_for(self, page_type: str) -> bool:
        return self.required_in == ALL_TYPES or page_type in self.required_in

    def part(self, name: str) -> Field | None:
        return next((p for p in self.parts if p.name == name), None)

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)


@dataclass(frozen=True)
class PageType:
    """A kind of page: its label, its layout and the fields its archetype writes."""

    key: str
    label: str                                     # shown above the title, such as "Policy paper"
    layout: str | None = None                      # layout name; None: a layout named after the type, else `page`
    archetype_fields: tuple[str, ...] = ()         # in the order a generated archetype writes them
    description: str = "One sentence that says what this page is about, for lists and search results."
    fields: tuple[Field, ...] = ()                 # a site type's own fields (built-in types have none)
    line: int = 0                                  # the line of a site type in site_config.yaml
    layout_line: int = 0                           # ... and of its `layout:`
    builtin: bool = True

    @property
    def placeholder_description(self) -> str:
        """The description `new` writes for this type: an error until replaced."""
        return self.description


DEPARTMENTAL = frozenset({"policy", "guidance", "publication", "news", "speech", "consultation", "collection"})
# `applies_to:` keys, in the order pages name them ("England, Scotland and Wales").
NATIONS = ("england", "scotland", "wales", "northern-ireland")
# `speech_type:` keys; each shows its own notice beside "Delivered on".
SPEECH_TYPES = ("transcript", "draft-text", "speaking-notes", "written-statement")

FIELDS: tuple[Field, ...] = (
    Field("title", TEXT, "the page's name in its heading, the browser tab, breadcrumbs and links "
          "(a home page without one takes the site's title)",
          required_in=ALL_TYPES, example="title: Health inequalities"),
    Field("description", TEXT, "one sentence for listings, search results and search engines",
          required_in=ALL_TYPES, optional_on_index=True, example="description: How we are narrowing…"),
    Field("type", TYPE, "the label above the title and the layout; `page` if not given",
          default="page", example="type: policy"),
    Field("date", DATE, "first published, written `YYYY-MM-DD`, optionally with a time "
          "(`2015-09-16 11:10:24 -0400`, `2015-09-16T11:10:24Z`); pages show the date only",
          example="date: 2008-11-06"),
    Field("updated", DATE, "last updated, written like `date`; not before `date`", example="updated: 2009-03-02"),
    Field("change_history", RECORDS, "public notes of each change, shown newest first under \"Full page history\"",
          default=(), example="see below",
          parts=(Field("date", DATE, "when it changed", required_in=ALL_TYPES),
                 Field("note", TEXT, "what changed", required_in=ALL_TYPES))),
    Field("organisations", KEYS, "who published it (\"From: …\"), by key from `site_config.yaml`",
          default=(), keys_of="organisations", filled_in=DEPARTMENTAL,
          example="organisations: [department-of-health]"),
    Field("topics", KEYS, "topics the page belongs to, by key; each topic has a page at `/topics/KEY/`; "
          "an empty list is a warning", default=(), keys_of="topics", example="topics: [health-inequalities]"),
    Field("government", KEY, "the government it was published under, by key from `site_config.yaml`",
          keys_of="governments", example="government: 2005-to-2010-labour-government"),
    Field("political", BOOL, "with a `government` that is not the current one, the page shows "
          "\"This was published under the … government\"", default=False, example="political: true"),
    Field("withdrawn", RECORD, "the page stays up with a notice saying when and why it was withdrawn",
          example="see below",
          parts=(Field("date", DATE, "when it was withdrawn", required_in=ALL_TYPES),
                 Field("explanation", TEXT, "why it was withdrawn", required_in=ALL_TYPES))),
    Field("draft", BOOL, "left out of the build unless you use `--drafts`", default=False, example="draft: true"),
    Field("aliases", LIST, "old addresses that redirect to this page", default=(),
          example="aliases: [/old/address/]"),
    Field("weight", INT, "order among the pages of a section: lower first; then newest first, then by title",
          example="weight: 10"),
    Field("layout", TEXT, "use `layouts/wide.html` instead of the layout for the type", example="layout: wide",
          address=True),
    Field("related", LIST, "pages shown under \"Related content\"; each must exist", default=(),
          example="related: [../care/other.md]"),
    Field("image", RECORD, "a lead image, also shown when the page is shared; `src` must exist", example="see below",
          parts=(Field("src", TEXT, "the image's path, under assets/ or content/", required_in=ALL_TYPES, address=True),
                 Field("alt", TEXT, "what the image shows, for people who cannot see it", required_in=ALL_TYPES),
                 Field("caption", TEXT, "a caption shown below the image"),
                 Field("credit", TEXT, "who made the image"))),
    Field("slug", TEXT, "replaces the last part of the page's address", example="slug: short-name", address=True),
    Field("url", TEXT, "sets the page's whole address", example="url: /any/path/", address=True),
    Field("applies_to", KEYS, "the nations the page applies to, shown as \"Applies to England and Wales\"",
          default=(), choices=NATIONS, example="applies_to: [england, wales]"),
    Field("groups", RECORDS, "on a `collection`: its groups in order, each a heading with its pages listed below; "
          "each member page shows \"Part of a collection\" with a link back", required_in=frozenset({"collection"}),
          only_on=frozenset({"collection"}),
          default=(), example="see below",
          parts=(Field("title", TEXT, "the group's heading", required_in=ALL_TYPES),
                 Field("description", TEXT, "a sentence under the heading"),
                 Field("pages", LIST, "the `.md` files of its pages, like links", required_in=ALL_TYPES))),
    Field("opens", DATE, "on a `consultation`: when it opens, with a time (`2026-03-01 09:00 +00:00`); "
          "without it, it is open until it closes", example="opens: 2026-03-01 09:00 +00:00",
          only_on=frozenset({"consultation"})),
    Field("closes", DATE, "on a `consultation`: when it closes, with a time; a date alone closes at 11:59pm; "
          "not before `opens`; without it (a warning) the page cannot say whether it is open",
          example="closes: 2026-04-01 23:59 +01:00", only_on=frozenset({"consultation"})),
    Field("outcome", TEXT, "on a `consultation`: the `.md` file of its outcome, linked once it has closed",
          example="outcome: outcome.md", address=True,
          only_on=frozenset({"consultation"})),
    Field("speaker", KEY, "on a `speech`: who gave it, by key from `people:` in `site_config.yaml`; "
          "the speech is listed on their page at `/people/KEY/`", keys_of="people", example="speaker: alan-milburn",
          only_on=frozenset({"speech"})),
    Field("delivered_on", DATE, "on a `speech`: when it was given", example="delivered_on: 2001-04-25", only_on=frozenset({"speech"})),
    Field("location", TEXT, "on a `speech`: where it was given", example="location: London", only_on=frozenset({"speech"})),
    Field("speech_type", KEY, "on a `speech`: what the text is; each shows its own notice",
          choices=SPEECH_TYPES, example="speech_type: transcript", only_on=frozenset({"speech"})),
    Field("extra", FREE, "your own data for your layouts, as `page.extra`; not checked",
          default=None, example="extra: {team: Analysis}"),
)
FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

_COMMON = ("title", "description", "type", "date")
_OWNED = ("organisations", "topics")
BUILTIN_TYPES: dict[str, PageType] = {t.key: t for t in (
    PageType("page", "", archetype_fields=_COMMON),
    PageType("policy", "Policy paper",
             archetype_fields=_COMMON + _OWNED + ("government", "political", "change_history"),
             description="One sentence that says what the policy is for and who it affects."),
    PageType("guidance", "Guidance", archetype_fields=_COMMON + _OWNED + ("change_history",),
             description="One sentence that says what this guidance helps people do."),
    PageType("publication", "Publication", archetype_fields=_COMMON + _OWNED + ("government",),
             description="One sentence that says what the document covers."),
    PageType("news", "News story", archetype_fields=_COMMON + _OWNED + ("government", "political"),
             description="One sentence that says what has happened."),
    PageType("speech", "Speech", archetype_fields=_COMMON + _OWNED + (
        "government", "political", "speaker", "delivered_on", "location", "speech_type"),
             description="Who gave the speech, where, and what it was about, in one sentence."),
    PageType("consultation", "Consultation", archetype_fields=_COMMON + _OWNED + ("government", "opens", "closes"),
             description="One sentence that says what the consultation asks and who should respond."),
    PageType("collection", "Collection", archetype_fields=_COMMON + _OWNED + ("groups",),
             description="One sentence that says what the pages in this collection have in common."),
    PageType("organisation", "Organisation", archetype_fields=("title", "description", "type", "topics"),
             description="One sentence that says what the organisation does."),
)}

# Field type names a site may give its own fields under `types:` in site_config.yaml.
SITE_FIELD_KINDS = {"string": TEXT, "text": TEXT, "date": DATE, "bool": BOOL, "boolean": BOOL,
                    "int": INT, "integer": INT, "list": LIST}
SITE_FIELD_SETTINGS = ("type", "required", "doc")
SITE_TYPE_SETTINGS = ("label", "layout", "fields", "description")


def page_types(site_types: dict[str, PageType] | None = None) -> dict[str, PageType]:
    """Built-in page types, then the site's own."""
    return {**BUILTIN_TYPES, **(site_types or {})}


def fields_for(site_types: dict[str, PageType] | None = None) -> dict[str, Field]:
    """Every declared field: built-in ones, then each site type's own."""
    out = dict(FIELD_BY_NAME)
    for page_type in (site_types or {}).values():
        for declared in page_type.fields:
            out.setdefault(declared.name, declared)
    return out


def placeholders(site_types: dict[str, PageType] | None = None) -> dict[str, set[str]]:
    """Field name -> the placeholder texts `new` may write for it."""
    out: dict[str, set[str]] = {"description": {t.placeholder_description for t in page_types(site_types).values()}}
    for declared in fields_for(site_types).values():
        if declared.placeholder:
            out.setdefault(declared.name, set()).add(declared.placeholder)
    return out


# -- the README's table ----------------------------------------------------------

README_START = "<!-- front matter fields: made by `python -m policysite.schema README.md` from policysite/schema.py -->"
README_END = "<!-- end of front matter fields -->"
KIND_NAMES = {TEXT: "text", DATE: "date", BOOL: "true/false", INT: "whole number", TYPE: "type key",
              KEY: "key", KEYS: "list of keys", LIST: "list", RECORD: "fields below", RECORDS: "list of entries",
              FREE: "anything"}


def needed(spec: Field) -> str:
    """When a field must be given, in words."""
    if spec.required_in == ALL_TYPES:
        return "required except on `_index.md`" if spec.optional_on_index else "required"
    if spec.required_in:
        return "required on " + ", ".join(f"`{t}`" for t in sorted(spec.required_in))
    if spec.choices:
        prefix = "one of " if spec.kind == KEY else "any of "
        return prefix + ", ".join(f"`{c}`" for c in spec.choices)
    if spec.filled_in:
        return "not empty on " + ", ".join(f"`{t}`" for t in sorted(spec.filled_in))
    return ""


def readme_table() -> str:
    """The README's front matter table and type list, from FIELDS and BUILTIN_TYPES."""
    rows = ["| field | example | value | meaning |", "| --- | --- | --- | --- |"]
    for spec in FIELDS:
        example = spec.example if spec.example == "see below" else f"`{spec.example}`"
        parts = ", ".join(f"`{p.name}`" + (" (required)" if p.required_in == ALL_TYPES else "") for p in spec.parts)
        meaning = "; ".join(part for part in (needed(spec), spec.doc, parts and f"fields: {parts}") if part)
        rows.append(f"| `{spec.name}` | {example} | {KIND_NAMES[spec.kind]} | {meaning} |")
    rows += ["", "| type | label | archetype fields |", "| --- | --- | --- |"]
    for page_type in BUILTIN_TYPES.values():
        label = f'"{page_type.label}"' if page_type.label else "(none)"
        rows.append(f"| `{page_type.key}` | {label} | {', '.join(f'`{f}`' for f in page_type.archetype_fields)} |")
    return "\n".join(rows)


def update_readme(path: str) -> bool:
    """Rewrite the table between the README's markers; True when it changed."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    new = text[:start] + "\n" + readme_table() + "\n" + text[end:]
    if new != text:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(new)
    return new != text


# -- "did you mean": a near miss of a known name ------------------------------

def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): edits, counting a swap of neighbours as one."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def allowed_edits(name: str) -> int:
    """How far a misspelling may be: one edit for short names (`name` is not `date`), two for longer ones."""
    return 1 if len(name) <= 4 else 2


# Names other systems give a date field, suggested for a date: as written, the value would be dropped.
# (Not for other values: Jekyll's `published: false` keeps a page out, as `draft: true` does.)
SYNONYMS = {
    "last_updated": "updated", "last_modified": "updated", "lastmod": "updated", "modified": "updated",
    "updated_at": "updated", "updated_on": "updated",
    "published": "date", "published_at": "date", "published_on": "date", "publish_date": "date",
    "date_published": "date", "pubdate": "date",
    "withdrawn_date": "withdrawn", "withdrawn_on": "withdrawn", "withdrawn_at": "withdrawn",
}


def synonym_of(name: str, value) -> str | None:
    """The field another system's `name` stands for (SYNONYMS) when `value` is a date, else None."""
    synonym = SYNONYMS.get(name.casefold())
    if synonym is None:
        return None
    if isinstance(value, dt.date) or (isinstance(value, str) and re.match(r"\s*\d{4}-\d{1,2}-\d{1,2}", value)):
        return synonym
    return None


def misspelling_of(name: str, known) -> str | None:
    """The known name that `name` is a near miss of (one or two edits), or None for a different name."""
    best, best_distance = None, None
    limit = allowed_edits(name)
    for candidate in sorted(known):
        if candidate == name or len(candidate) < 3:
            continue
        distance = edit_distance(name.casefold(), candidate.casefold()) if name.casefold() != candidate.casefold() else 1
        if distance <= min(limit, allowed_edits(candidate)) and (best_distance is None or distance < best_distance):
            best, best_distance = candidate, distance
    return best


# -- dates with times -----------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# 2015-09-16 11:10:24 -0400, 2015-09-16T11:10:24Z, 2015-09-16T11:10:24.5-04:00, 2015-09-16 11:10
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$", re.I)


def date_value(value) -> dt.date | dt.datetime | None:
    """A checked date: a plain `date`, or an aware `datetime` when a time is given (UTC when it has no offset)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date) and type(value) is dt.date:
        return value
    if not isinstance(value, str) or type(value) is not str:   # yamlfile's _BadDate is a str subclass
        return None
    text = value.strip()
    try:
        if _DATE.match(text):
            return dt.date.fromisoformat(text)
        match = _DATETIME.match(text)
        if match:
            day, time, zone = match.groups()
            zone = (zone or "Z").upper()
            if zone != "Z" and ":" not in zone:
                zone = zone[:3] + ":" + zone[3:]
            return date_value(dt.datetime.fromisoformat(f"{day}T{time}{'+00:00' if zone == 'Z' else zone}"))
    except ValueError:
        return None
    return None


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def impossible_date(value) -> str | None:
    """Why a value written YYYY-MM-DD (with or without a time) is not a real date, in words
    ("February 2024 has no day 30"); None when it is one, or not written that way."""
    match = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", value) if isinstance(value, str) else None
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if day < 1:
        return "there is no day 0"
    if day > calendar.monthrange(year, month)[1]:
        return f"{_MONTHS[month - 1]} {year} has no day {day}"
    return None


def moment(value: dt.date | None) -> dt.datetime | None:
    """A date or datetime as an aware datetime, so dates with and without times sort together (a plain date: midnight UTC)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def iso_stamp(value: dt.date) -> str:
    """RFC 3339 date-time for feeds: the time as written, or midnight UTC for a plain date."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return f"{value.isoformat()}T00:00:00Z"


if __name__ == "__main__":
    import sys
    for name in sys.argv[1:] or ["README.md"]:
        print(f"{name}: {'updated' if update_readme(name) else 'already up to date'}")
