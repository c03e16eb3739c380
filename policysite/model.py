"""The plain data every stage passes along: pages and static files.

Like a file tree with titles: no behaviour beyond small derived values, so any
stage can be read on its own and tests can build pages by hand.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .schema import BUILTIN_TYPES, moment
from .status import CURRENT, PageStatus

# A checked front matter value (see schema.FIELDS): text, a date, a flag, a number,
# a list of keys or of (text, line) pairs, a mapping, or `extra:`'s free data.
FieldValue = Any


class Deferred:
    """A value kept elsewhere (a page's body or HTML in the build cache's pack), read on first use.

    `keep`: whether the holder keeps the value once read. False for the build's scratch
    file (spill.py), whose texts the main process must not hold: read each time instead."""

    __slots__ = ()
    keep = True

    def value(self) -> Any:
        raise NotImplementedError

    def json_text(self) -> str | None:
        """The value as the build cache would write it (compact JSON), when it is kept that way:
        the cache then writes that text instead of parsing and encoding it again. None: it is not."""
        return None


class _DeferredAttribute(property):
    """The property `deferred` makes: it also reads what is held, unread (`held`)."""

    held: Callable[[Any], Any]


def deferred(name: str, slot: Any = None) -> property:
    """An attribute holding its value or a Deferred standing for it, read the first time it is asked for
    (each time, for a Deferred that is not to be kept).

    A page not rendered again never needs its body or HTML: the cache hands them on unread.
    `slot`: the slot that holds it, in a class with __slots__; else it is held as `_name`."""
    if slot is None:
        # Through getattr and setattr, not __dict__: asking for an instance's __dict__ makes one,
        # and every other attribute of it is then slower to read.
        attribute = "_" + name
        read = operator.attrgetter(attribute)

        def store(holder, value) -> None:
            setattr(holder, attribute, value)
    else:
        read, store = slot.__get__, slot.__set__

    def get(self):
        value = read(self)
        if isinstance(value, Deferred):
            if not value.keep:
                return value.value()
            value = value.value()
            store(self, value)
        return value

    made = _DeferredAttribute(get, store, doc=f"`{name}`, read when first asked for.")
    made.held = read
    return made


def held(holder, name: str):
    """What `holder.name` holds now, its value or the Deferred standing for it, without reading it."""
    return getattr(type(holder), name).held(holder)


# What a page's lists are until something is added (most stay empty: a page has no children,
# is in no collection), and a cache record's problems when it has none: one shared value, not
# an empty list of each page's or record's own, which a big site would hold for every page all
# build long and copy into the worker processes that render them (bench/README.md, "Memory").
# Whatever adds to one gives the page a list of its own.
EMPTY: tuple[()] = ()


class _NoVersions(Mapping):
    """An empty mapping that nothing can be added to: NO_VERSIONS, also once pickled and read again."""

    __slots__ = ()

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __reduce__(self) -> str:
        return "NO_VERSIONS"   # this module's own, by name

    def __repr__(self) -> str:
        return "{}"


NO_VERSIONS: Mapping[str, Page] = _NoVersions()


def no_versions() -> Mapping[str, Page]:
    return NO_VERSIONS


# Slots: a big site has a Page for each of its files, and an instance's dict of this many
# fields took three times the memory of the page's own values.
@dataclass(eq=False, slots=True)
class Page:
    """One output page: from a Markdown file, a folder, or generated (topics, search)."""

    kind: str                      # home, section, page, topic, topics, search, 404
    source: str | None = None      # site-relative Markdown path; None when generated
    folder: str | None = None      # for sections: the site-relative folder
    title: str = ""
    description: str = ""
    fields: dict[str, FieldValue] = field(default_factory=dict)   # checked front matter values
    lines: dict[str, int] = field(default_factory=dict)          # front matter field -> line
    body: str = ""
    body_line: int = 1             # line of the body's first line in the source
    url: str = ""                  # site-relative, starts and ends with '/'
    parent: Page | None = None
    children: list[Page] | tuple[()] = EMPTY
    # Filled when Markdown is rendered.
    html: str = ""
    # The ids its body gives (headings, raw HTML), sorted: its MarkdownRecord's own list, not a set
    # of its own for each page; the ids its layout gives are layoutids.LayoutIds' (stages.has_id).
    ids: Sequence[str] = EMPTY
    toc: list[dict[str, str]] = field(default_factory=list)   # {"id", "text"} of each `##` heading
    links_to: list[Page] | tuple[()] = EMPTY
    backlinks: list[Page] | tuple[()] = EMPTY
    html_sha: str = ""             # hash of `html`, standing in for it in cache keys
    # Resolved from front matter by the builder (fields stay as loaded: caches share them).
    related: list[dict[str, str]] | tuple[()] = EMPTY
    image_url: str | None = None
    lead_image: object = None      # images.Picture of the lead image, when it could be read
    # Generated listings (topics, organisations) keep their key here.
    key: str | None = None
    # The label of a site's own page type (from site_config's `types:`), set when the site is built;
    # None for the built-in types, whose labels schema.BUILTIN_TYPES gives.
    site_type_label: str | None = None
    # A consultation's label for its state at the build time (consultation.py), set when the site is built.
    state_label: str | None = None
    consultation: Any = None       # consultation.ConsultationState, for consultations
    # Withdrawn, from an earlier government, a consultation's state (status.py), set when the site is built.
    status: PageStatus = CURRENT
    # Resolved by the builder: a collection's groups, and the collections a page is in.
    groups: list[Group] | tuple[()] = EMPTY
    collections: list[Page] | tuple[()] = EMPTY
    outcome_page: Page | None = None   # a consultation's `outcome:`
    # Translations (translations.py): the language of a translated page (`cy` for x.cy.md),
    # "" in the site's own language; and every version of the page, by language, "" included
    # (one dict shared by all of them; empty for a page with no translation).
    lang: str = ""
    translations: dict[str, Page] | Mapping[str, Page] = field(default_factory=no_versions)

    @property
    def where(self) -> str:
        """The file to name in messages about this page."""
        return self.source or self.folder or "content"

    def line(self, field_name: str) -> int:
        return self.lines.get(field_name, 1)

    @property
    def type(self) -> str:
        return self.fields.get("type", "page")

    @property
    def type_label(self) -> str:
        if self.state_label is not None:
            return self.state_label
        if self.site_type_label is not None:
            return self.site_type_label
        builtin = BUILTIN_TYPES.get(self.type)
        return builtin.label if builtin else ""

    @property
    def date(self) -> dt.date | None:
        """First published: a date, or a datetime (a date subclass) when a time was given."""
        return self.fields.get("date")

    @property
    def updated(self) -> dt.date | None:
        return self.fields.get("updated")

    @property
    def weight(self) -> int | None:
        return self.fields.get("weight")

    @property
    def draft(self) -> bool:
        return bool(self.fields.get("draft"))

    @property
    def output_path(self) -> str:
        """Where the page is written, relative to the output folder."""
        if self.kind == "404":
            return "404.html"
        return self.url.strip("/") + "/index.html" if self.url != "/" else "index.html"

    @property
    def ancestors(self) -> list[Page]:
        """Ancestors from the home page down, not including this page."""
        chain = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def sort_key(self):
        """Order among siblings: weight, then newest date first, then title."""
        date = moment(self.date)
        return (
            self.weight is None,
            self.weight or 0,
            date is None,
            -date.timestamp() if date else 0,
            self.title.casefold(),
            self.url,
        )

    def __repr__(self) -> str:
        return f"<Page {self.kind} {self.url or self.where}>"

    def __getstate__(self) -> dict[str, Any]:
        """For pickling (a page loaded in a worker process, sent back): its body and HTML as
        held, a Deferred left unread, where pickling a slot would read it."""
        return {name: held(self, name) if name in _DEFERRED_FIELDS else getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)


_DEFERRED_FIELDS = ("body", "html", "toc")


# Set after the dataclass is made, so that its __init__ stores through them, into their slots.
Page.body = deferred("body", Page.__dict__["body"])
Page.html = deferred("html", Page.__dict__["html"])
Page.toc = deferred("toc", Page.__dict__["toc"])


@dataclass
class Group:
    """One group of a collection: a heading, an optional sentence and its pages, in order."""

    title: str
    id: str                        # the heading's id, unique on the collection page
    description: str = ""
    pages: list[Page] = field(default_factory=list)


@dataclass
class StaticFile:
    """A non-Markdown file under content/ or assets/, copied as it is."""

    source: str        # site-relative path, for messages
    abs_path: str      # where to read it
    url: str           # site-relative URL
    size: int = 0

    @property
    def output_path(self) -> str:
        return self.url.lstrip("/")
