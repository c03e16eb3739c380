"""The ids the layouts give a page, read from the layouts themselves.

Two uses. Headings in Markdown never take an id a layout could give (they get
a `-1` suffix instead), so a page never has the same id twice. And links such
as `page.md#full-history` resolve when the page's layout certainly gives that id.

Read from every layout (the theme's and the site's own):
- each `id="..."` written literally in the layout's HTML;
- ids a layout makes from an expression, declared in a Jinja comment there:
  `{# ids: listing-title more-title #}`.
An id is a link target for every page when `base.html` gives it outside any
`{% if %}`; for pages with a front matter field set when it sits inside
`{% if page.FIELD %}` (for example `full-history` inside
`{% if page.change_history %}`). Any other id is only kept from headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jinja2
from jinja2 import nodes

from .model import Page

_LITERAL_ID = re.compile(r"""\bid\s*=\s*["']([A-Za-z][\w.:-]*)["']""")
_DECLARED = re.compile(r"\{#-?\s*ids:\s*([^#]*?)\s*-?#\}")


@dataclass(frozen=True)
class LayoutIds:
    reserved: frozenset[str] = frozenset()                 # every id any layout can give
    always: frozenset[str] = frozenset({"main-content"})   # every page has these
    when: dict[str, frozenset[str]] = field(default_factory=dict)   # front matter field -> ids when it is set

    def gives(self, page: Page, ident: str) -> bool:
        """Whether the page's layout certainly gives it this id (for_page, without making the set)."""
        return ident in self.always or any(ident in given for name, given in self.when.items() if page.fields.get(name))

    def to_json(self) -> list:
        return [sorted(self.reserved), sorted(self.always), {name: sorted(ids) for name, ids in self.when.items()}]

    @classmethod
    def from_json(cls, data) -> LayoutIds | None:
        """From to_json's list; None when it is not one (a cache file edited by hand)."""
        if not (isinstance(data, list) and len(data) == 3 and isinstance(data[2], dict)):
            return None
        reserved, always, when = data
        lists = [reserved, always, *when.values()]
        if not all(isinstance(ids, list) and all(isinstance(i, str) for i in ids) for ids in lists):
            return None
        return cls(reserved=frozenset(reserved), always=frozenset(always),
                   when={str(name): frozenset(ids) for name, ids in when.items()})

    def for_page(self, page: Page) -> set[str]:
        """The ids a page's layout certainly gives it."""
        ids = set(self.always)
        for name, given in self.when.items():
            if page.fields.get(name):
                ids |= given
        return ids


def gather(env: jinja2.Environment, names: set[str]) -> LayoutIds:
    """Read every .html layout `env` can load (layouts with syntax errors are reported elsewhere)."""
    reserved: set[str] = set()
    always: set[str] = set()
    when: dict[str, set[str]] = {}
    for name in sorted(n for n in names if n.endswith(".html") and not n.startswith("theme/")):
        try:
            source = env.loader.get_source(env, name)[0]
            # Text between tags is a piece of the source: without a literal id in the
            # source there is none in its text, and parsing it could find nothing.
            tree = env.parse(source) if _LITERAL_ID.search(source) else None
        except (jinja2.TemplateError, UnicodeDecodeError, OSError):
            continue
        for declared in _DECLARED.findall(source):
            reserved.update(declared.split())
        if tree is None:
            continue
        for ident, condition in _ids_in(tree, None):
            reserved.add(ident)
            if condition is None and name == "base.html":
                always.add(ident)
            elif condition:
                when.setdefault(condition, set()).add(ident)
    return LayoutIds(reserved=frozenset(reserved), always=frozenset(always | {"main-content"}),
                     when={k: frozenset(v) for k, v in sorted(when.items())})


def _ids_in(node: nodes.Node, condition: str | None):
    """(id, condition) for each literal id under `node`: condition None when unconditional,
    a field name inside `{% if page.FIELD %}`, "" under any other condition or loop."""
    if isinstance(node, nodes.TemplateData):
        for ident in _LITERAL_ID.findall(node.data):
            yield ident, condition
        return
    if isinstance(node, nodes.If):
        test = node.test
        own = test.attr if (isinstance(test, nodes.Getattr) and isinstance(test.node, nodes.Name)
                            and test.node.name == "page" and condition is None) else ""
        for child in node.body:
            yield from _ids_in(child, own)
        for child in list(node.elif_) + list(node.else_):
            yield from _ids_in(child, "")
        return
    if isinstance(node, (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock)):
        condition = ""
    for child in node.iter_child_nodes():
        yield from _ids_in(child, condition)
