"""Jinja layouts to whole pages.

A site's layouts/ folder comes first, the built-in theme second, so a site
file `layouts/X.html` replaces the theme's `X.html`; the theme's own copy
stays reachable as `theme/X.html` for a layout that extends it. Autoescape
is on: anything from front matter is escaped; only rendered Markdown (already
sanitised) is marked safe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import traceback
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import publish, schema
from .diagnostics import Diagnostics
from .model import Page
from .site import Site

THEME_LAYOUTS = Path(__file__).parent / "theme" / "layouts"
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]


def format_date(value) -> str:
    """6 November 2008, as GOV.UK writes dates."""
    if not isinstance(value, dt.date):
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


class LayoutError(Exception):
    def __init__(self, path: str, line: int, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


class Templates:
    """The Jinja environment for one site, with its layouts checked up front."""

    def __init__(self, site: Site, diagnostics: Diagnostics, compiled: dict | None = None):
        self.site = site
        self.site_layouts = site.site_dir / "layouts"
        theme = jinja2.FileSystemLoader(str(THEME_LAYOUTS))
        loaders = []
        if self.site_layouts.is_dir():
            loaders.append(_ContainedLoader(self.site_layouts))
        loaders += [theme, jinja2.PrefixLoader({"theme": theme})]
        self.env = _Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=-1,   # a plain dict: the few layouts stay loaded, with no LRU bookkeeping per include
            bytecode_cache=_MemoryBytecode(compiled, (site.config.root, site.config.base_url))
            if compiled is not None else None,
        )
        root = site.config.root
        base = site.config.base_url
        self.env.filters["url"] = lambda url: root + str(url).lstrip("/")
        self.env.filters["absolute_url"] = lambda url: base + str(url).lstrip("/")
        self.env.filters["date"] = format_date
        self.env.filters["iso"] = lambda d: d.isoformat() if isinstance(d, dt.date) else ""
        # `{{ data|jsonld }}` inside <script type="application/ld+json">: JSON that cannot close the element.
        self.env.filters["jsonld"] = lambda data: Markup(publish.script_json(data))
        self.names = set(self.env.list_templates())
        self._fingerprint = None
        self._check_syntax(diagnostics)

    def _where(self, name: str) -> str:
        if (self.site_layouts / name).is_file():
            return f"layouts/{name}"
        return f"policysite/theme/layouts/{name.removeprefix('theme/')}"

    def _check_syntax(self, diagnostics: Diagnostics) -> None:
        for name in sorted(self.names):
            if not name.endswith(".html"):
                continue
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                where = self._where(exc.name or name)
                diagnostics.error(where, exc.lineno or 1, f"layout syntax error: {exc.message}")
            except UnicodeDecodeError:
                diagnostics.error(self._where(name), 1, "the layout is not valid UTF-8 text")

    def fingerprint(self) -> str:
        """Changes whenever any layout file changes."""
        if self._fingerprint is None:
            h = hashlib.sha1()
            for folder in (self.site_layouts, THEME_LAYOUTS):
                if folder.is_dir():
                    for path in sorted(folder.rglob("*")):
                        if path.is_file():
                            h.update(path.relative_to(folder).as_posix().encode())
                            h.update(path.read_bytes())
                h.update(b"|")
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def has_layout(self, name: str) -> bool:
        return f"{name}.html" in self.names

    def layout_for(self, page: Page) -> str:
        """Front matter `layout`, else the page's type if a layout has that name, else by kind."""
        if "layout" in page.fields and self.has_layout(page.fields["layout"]):
            return page.fields["layout"] + ".html"
        declared = self.site.config.types.get(page.type) if page.kind == "page" else None
        if declared is not None and declared.layout and self.has_layout(declared.layout):
            return f"{declared.layout}.html"
        if page.kind == "page" and page.type != "page" and self.has_layout(page.type):
            return f"{page.type}.html"
        return {
            "home": "home.html", "section": "section.html", "topic": "topic.html",
            "topics": "topics.html", "search": "search.html", "404": "404.html",
        }.get(page.kind, "page.html")

    def render(self, name: str, context: dict) -> str:
        try:
            template = self.env.get_template(name)
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise LayoutError(self._where(exc.name or name), exc.lineno or 1, f"layout syntax error: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            where, line = self._frame(exc, name)   # the line of the include or extends that asked
            raise LayoutError(where, line, f"layout `{exc.name}` was not found") from None
        except Exception as exc:  # an error raised while a layout runs
            where, line = self._frame(exc, name)
            message = str(exc) if isinstance(exc, jinja2.UndefinedError) else f"{type(exc).__name__}: {exc}"
            raise LayoutError(where, line, f"layout error: {message}") from None

    def _frame(self, exc: Exception, name: str) -> tuple[str, int]:
        """The innermost layout file and line in the traceback of a render error."""
        best = (self._where(name), 1)
        for frame, line in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            if filename.endswith(".html"):
                template = frame.f_globals.get("__jinja_template__")
                if template is not None:
                    best = (self._where(template.name), template.get_corresponding_lineno(line))
                else:
                    best = (self._relative(filename), line)
        return best

    def _relative(self, filename: str) -> str:
        path = Path(filename)
        for root, prefix in ((self.site_layouts, "layouts"), (THEME_LAYOUTS, "policysite/theme/layouts")):
            try:
                return f"{prefix}/{path.resolve().relative_to(root.resolve()).as_posix()}"
            except ValueError:
                continue
        return path.name


# Everything `getattr` finds on a plain dict (its methods and object's).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja with a quicker `x.name` for the plain dicts that make up the page context."""

    def make_globals(self, d):
        """A layout's globals as one plain dict, not Jinja's ChainMap over the
        environment's: every render and include copies and iterates them, and
        a ChainMap is slow at that. The lookups give the same values, since
        nothing changes the environment's globals once layouts are loaded."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj, attribute):
        """Same answer as Jinja's: an attribute first, else an item, else undefined.

        A plain dict has no attribute beyond its type's, so for any other name
        Jinja's getattr would fail (raising and catching an AttributeError, the
        costly part) before it looks the item up; here the item is looked up at once.
        """
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class _MemoryBytecode(jinja2.BytecodeCache):
    """Compiled layouts kept in memory between `serve` rebuilds (never on disk: it is code).

    Jinja checks each layout's source against the checksum it was compiled
    from; the base path and URL are part of the key because Jinja may fold
    constant `url` filter calls into the compiled code.
    """

    def __init__(self, store: dict, salt: tuple):
        self.store = store
        self.salt = salt

    def load_bytecode(self, bucket) -> None:
        data = self.store.get((self.salt, bucket.key, bucket.checksum))
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket) -> None:
        self.store[(self.salt, bucket.key, bucket.checksum)] = bucket.bytecode_to_string()


class _ContainedLoader(jinja2.FileSystemLoader):
    """The site's layouts/, refusing templates reached through links that leave it."""

    def __init__(self, folder: Path):
        super().__init__(str(folder))
        self.folder = folder.resolve()

    def get_source(self, environment, template):
        path = (self.folder / template)
        if path.exists() and not path.resolve().is_relative_to(self.folder):
            raise jinja2.TemplateNotFound(template)
        return super().get_source(environment, template)


def site_context(site: Site) -> dict:
    """What every layout sees as `site`."""
    config = site.config
    organisations = {}
    for key, org in config.organisations.items():
        page = site.organisation_pages.get(key)
        url = org.url or (page.url if page else None)
        organisations[key] = {"key": key, "name": org.name, "url": url, "description": org.description}
    topics = {key: {"key": key, "name": t.name, "url": f"/topics/{key}/", "description": t.description}
              for key, t in config.topics.items()}
    nav = []
    if site.home is not None:
        nav = [{"title": p.title, "url": p.url} for p in site.home.children if p.kind == "section"]
    return {
        "title": config.title,
        "description": config.description,
        "base_url": config.base_url,
        "root": config.root,
        "language": config.language,
        "organisations": organisations,
        "topics": topics,
        "governments": {k: {"key": k, "name": g.name} for k, g in config.governments.items()},
        "current_government": config.current_government,
        "nav": nav,
        "build_date": None,
    }


def fallback_description(page: Page, site: Site) -> str:
    """A meta description for an `_index.md` that has none, when the site has none either."""
    if page.title == site.config.title:
        return site.config.title
    return f"{page.title} from {site.config.title}"


def listing_item(page: Page) -> dict:
    return {
        "title": page.title, "url": page.url, "description": page.description,
        "type": page.type, "type_label": page.type_label, "date": page.date,
        "updated": page.updated, "kind": page.kind,
    }


class FreeData(dict):
    """`page.extra`: the page's own unchecked data. A key one page does not give is None,
    not a layout error, since `extra:` differs from page to page by design."""

    def __missing__(self, key):
        return None


def declared_fields(page: Page, site: Site) -> dict:
    """`page.<field>` for every declared field (built-in and every site type's own), as checked,
    or the field's default: a layout can name any of them without testing that it is defined."""
    out = {}
    for name, spec in schema.fields_for(site.config.types).items():
        value = page.fields.get(name, spec.default)
        if spec.kind == schema.LIST:
            value = [item for item, _line in value]   # the (value, line) pairs, as plain values
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    extra = page.fields.get("extra")
    out["extra"] = FreeData(extra if isinstance(extra, dict) else {})
    return out


def page_context(page: Page, site: Site, ctx_site: dict) -> dict:
    """What a layout sees as `page`: plain values, all escaped by Jinja on output.

    Every declared front matter field is there under its own name (declared_fields);
    the keys below replace the raw values with what layouts show (organisations and
    topics as entries, the image with its address, related pages with their titles)."""
    fields = page.fields
    government = None
    banner = None
    if "government" in fields:
        key = fields["government"]
        government = {"key": key, "name": site.config.governments[key].name}
        if fields.get("political") and key != site.config.current_government:
            banner = government["name"]
    image = None
    if "image" in fields and page.image_url:
        img = fields["image"]
        image = {"src": page.image_url, "alt": img["alt"], "caption": img.get("caption"), "credit": img.get("credit")}
    return {
        **declared_fields(page, site),
        "title": page.title,
        "description": page.description or site.config.description or fallback_description(page, site),
        "url": page.url,
        "kind": page.kind,
        "type": page.type,
        "type_label": page.type_label,
        "content": Markup(page.html),
        "date": page.date,
        "updated": page.updated,
        "change_history": fields.get("change_history", []),
        "organisations": [ctx_site["organisations"][k] for k in fields.get("organisations", [])],
        "topics": [ctx_site["topics"][k] for k in fields.get("topics", [])],
        "government": government,
        "history_banner": banner,
        "withdrawn": fields.get("withdrawn"),
        "image": image,
        "breadcrumbs": [{"title": a.title, "url": a.url} for a in page.ancestors],
        "toc": page.toc,
        "related": page.related,
        "backlinks": [{"title": p.title, "url": p.url} for p in page.backlinks],
        "children": [listing_item(p) for p in site.listing(page)],
        "feed_url": publish.feed_url(page),
        # schema.org JSON-LD, serialised in Python and safe inside <script> (see publish.script_json).
        "jsonld": Markup(publish.jsonld(page, site)),
        "is_home": page.kind == "home",
        "source": page.source,
    }
