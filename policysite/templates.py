"""Jinja layouts to whole pages.

A site's layouts/ folder comes first, the built-in theme second, so a site
file `layouts/X.html` replaces the theme's `X.html`; the theme's own copy
stays reachable as `theme/X.html` for a layout that extends it. Autoescape
is on: anything from front matter is escaped; only rendered Markdown (already
sanitised) is marked safe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import inspect
import marshal
import os
import re
import stat
import sys
import traceback
import types
from pathlib import Path

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox
import jinja2.utils
from markupsafe import Markup, escape

from . import publish, schema, translations
from .cache import CacheDamaged
from .config import CONFIG_NAME, LinkSetting
from .consultation import FORTHCOMING, LABEL_KEYS, OPEN, govuk_time
from .diagnostics import Diagnostics
from .folders import LINKED_AWAY, outside_site
from .model import Page
from .site import LISTING_PAGE_SIZE, Site, paged_url
from .strings import Translator, month_names, strings_for, table_language
from .strings import format_date as format_date_in

THEME = Path(__file__).parent / "theme"
THEME_LAYOUTS = THEME / "layouts"
# govuk-frontend compiled with the theme's settings by `npm run build:theme`
# (policysite/theme/build.mjs): never committed, shipped in the wheel.
COMPILED_CSS = THEME / "assets" / "govuk" / "theme.css"
BRAND_CSS = THEME / "assets" / "govuk" / "brand" / "theme.css"
ASSET_BUILD_COMMAND = "npm ci && npm run build:theme"
MONTHS = month_names(strings_for("en"))


def format_date(value) -> str:
    """6 November 2008, as GOV.UK writes dates (in English: layouts use the page's language)."""
    return format_date_in(value, MONTHS)


# The word tables of the last configuration asked about, by language: merging the
# tables for every page and listing item was a noticeable share of rendering.
_tables: tuple[object, dict[str, dict[str, str]]] = (None, {})


def page_strings(config, lang: str) -> dict[str, str]:
    """The theme's words for a page in `lang` ("" for the site's own language); shared, so never changed."""
    global _tables
    owner, tables = _tables
    if owner is not config:
        owner, tables = _tables = (config, {})
    table = tables.get(lang)
    if table is None:
        if not lang or lang not in config.languages:
            table = strings_for(config.language, config.strings)
        else:
            table = strings_for(lang, config.languages[lang].strings)
        tables[lang] = table
    return table


# What css_string escapes: anything but letters, digits (as str.isalnum has them) and " :/.-_#?=&%~+,".
_CSS_UNSAFE = re.compile(r"[^\w :/.\-#?=&%~+,]")


def css_string(value, quoted: bool = True) -> Markup:
    """A value inside a <style> element: a CSS string (or, unquoted, a bare token such as a
    checked colour) that cannot end the string or the element."""
    text = _CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", str(value))
    return Markup(f'"{text}"' if quoted else text)


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
            if outside_site(site.site_dir, self.site_layouts):
                diagnostics.error("layouts", 1, LINKED_AWAY, code="bad-symlink")
            else:
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
            bytecode_cache=_LayoutCode({} if compiled is None else compiled, (site.config.root, site.config.base_url),
                                       layout_code_folder()),
        )
        root = site.config.root
        base = site.config.base_url
        # Each filter and function by its own name, not `<lambda>`: a layout that calls one
        # wrongly is told which (_wrong_call).

        def url(value):
            return root + str(value).lstrip("/")

        def absolute_url(value):
            return base + str(value).lstrip("/")

        # `t(…)` and `|date` speak the page's language (`page.lang`: "" for the site's own).
        self.translators = {lang: Translator(page_strings(site.config, lang))
                            for lang in ["", *site.config.languages]}

        @jinja2.pass_context
        def date(ctx, value):
            return self._translator(ctx).date(value)

        def iso(value):
            return value.isoformat() if isinstance(value, dt.date) else ""

        # `{{ data|jsonld }}` inside <script type="application/ld+json">: JSON that cannot close the element.
        def jsonld(data):
            return Markup(publish.script_json(data))

        @jinja2.pass_context
        def t(ctx, key, **values):
            return self._translator(ctx)(key, **values)

        # `{{ strings('key', …)|jsonld }}`: the page's wording of those keys, for a script such as search.js.
        @jinja2.pass_context
        def strings(ctx, *keys):
            return self._translator(ctx).texts(*keys)

        self.env.filters.update(url=url, absolute_url=absolute_url, date=date, iso=iso, jsonld=jsonld,
                                css_string=css_string)
        self.env.globals.update(t=t, strings=strings)
        config = site.config
        # `{% include "_header.html" %}` and the like: see _shared_include.
        self.env.shared_include = self._shared_include
        self._shared: dict[tuple, Markup] = {}
        self._shared_site: object = None   # the `site` the fragments in _shared show
        self._theme_own: dict[str, bool] = {}
        self._tracing = False
        # False when a hook may change `site` in place from page to page (on_page_context).
        self.share_fragments = True
        self._languages = {id(words): lang for lang, words in self.translators.items()}
        self.names = set(self.env.list_templates())
        self._fingerprint = None
        self._check_syntax(diagnostics)
        for setting in (config.nav or []) + (config.footer.links or []):
            problem = _link_problem(site, setting)
            if problem:
                diagnostics.error(CONFIG_NAME, setting.line, problem, code="broken-link")

    def _translator(self, ctx) -> Translator:
        page = ctx.get("page")
        lang = page.get("lang", "") if isinstance(page, dict) else ""
        return self.translators.get(lang) or self.translators[""]

    def _shared_include(self, ctx, name: str, local: dict, parent: str) -> str:
        """What `{% include name %}` gives, rendered once for all the pages it shows alike.

        Layouts include the names in _SHARED_KEYS through this (_CodeGenerator). Shared only
        for the built-in layouts of those names, with no variables of the including block,
        a plain dict as `page` and the build's own words as `t`: their key is then everything
        of the page they show (`site`, the words and the filters are the same for every page
        of the build, unless an on_page_context hook may change them: share_fragments).
        Otherwise, such as a site's own layout of that name, rendered for each page."""
        key_of = _SHARED_KEYS.get(name)
        page, site, words = ctx.get("page"), ctx.get("site"), ctx.get("t")
        key = None
        if (key_of is not None and self.share_fragments and not self._tracing and type(page) is dict
                and not any(value is not jinja2.utils.missing for value in local.values())
                and self._theme_layout(name)):
            lang = self._languages.get(id(words))   # the translators live as long as this object
            if lang is not None:
                shown = key_of(page, site)
                if shown is not None:
                    if site is not self._shared_site:   # a hook gave this page a `site` of its own
                        self._shared.clear()
                        self._shared_site = site
                    key = (name, lang, shown)
                    found = self._shared.get(key)
                    if found is not None:
                        return found
        html = _include(self.env, ctx, name, local, parent)
        if key is not None:
            self._shared[key] = html
        return html

    def _theme_layout(self, name: str) -> bool:
        """Whether `name` is the built-in theme's layout (the site has none of its own by that name)."""
        found = self._theme_own.get(name)
        if found is None:
            found = self._theme_own[name] = not (self.site_layouts / name).is_file()
        return found

    def where(self, name: str) -> str:
        """The file a layout name reads, as messages show it."""
        if not name.startswith("theme/") and (self.site_layouts / name).is_file():
            return f"layouts/{name}"
        return f"policysite/theme/layouts/{name.removeprefix('theme/')}"

    def source(self, name: str) -> str:
        return self.env.loader.get_source(self.env, name)[0]

    def trace_links(self, name: str, context: dict) -> dict[str, tuple[str, int]]:
        """Render `name` once more, noting the layout file and line where each `url` or
        `absolute_url` filter ran, by the address it gave: to say where a broken link was written.

        Filters Jinja ran while compiling (on a quoted address) and links written without
        them are not noted; the caller looks for those as written."""
        found: dict[str, tuple[str, int]] = {}
        filters = self.env.filters
        saved = {key: filters[key] for key in ("url", "absolute_url")}

        def traced(original):
            def noted(value):
                out = original(value)
                caller = sys._getframe(1)   # the compiled layout's code that applied the filter
                template = caller.f_globals.get("__jinja_template__")
                if template is not None and out not in found:
                    found[out] = (self.where(template.name), template.get_corresponding_lineno(caller.f_lineno))
                return out
            return noted

        try:
            filters.update({key: traced(original) for key, original in saved.items()})
            self._tracing = True   # every include rendered again, its filters with it
            self.env.get_template(name).render(context)
        except Exception:   # noqa: BLE001 - it rendered in the build; a hook's context may differ
            pass
        finally:
            filters.update(saved)
            self._tracing = False
        return found

    def _check_syntax(self, diagnostics: Diagnostics) -> None:
        for name in sorted(self.names):
            # `theme/X.html` is the built-in file behind `X.html` (for site layouts that extend it):
            # the same file, so compiling it a second time could find nothing new.
            if not name.endswith(".html") or name.startswith("theme/"):
                continue
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                where = self.where(exc.name or name)
                diagnostics.error(where, exc.lineno or 1, f"layout syntax error: {exc.message}", code="layout-error")
            except UnicodeDecodeError:
                diagnostics.error(self.where(name), 1, "the layout is not valid UTF-8 text", code="not-utf-8")

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
            # The words layouts show: the theme's tables and the site's `strings:`.
            for lang in sorted(self.translators):
                h.update(repr(sorted(self.translators[lang].strings.items())).encode())
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
            "people": "people.html", "person": "person.html",
        }.get(page.kind, "page.html")

    def render(self, name: str, context: dict) -> str:
        if "t" not in context:
            # The page's own `t`, as a plain variable: the global one takes the context, and
            # Jinja makes a new context for every such call inside a loop that sets a variable.
            context = {**context, "t": self._translator(context)}
        try:
            template = self.env.get_template(name)
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise LayoutError(self.where(exc.name or name), exc.lineno or 1, f"layout syntax error: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            where, line = self._frame(exc, name)   # the line of the include or extends that asked
            raise LayoutError(where, line, f"layout `{exc.name}` was not found") from None
        except CacheDamaged:
            raise   # the cache changed under the build, not the layout's fault: the build starts again without it
        except Exception as exc:  # an error raised while a layout runs
            where, line = self._frame(exc, name)
            message = self._wrong_call(exc)
            if message is None:
                message = _in_plain_words(exc)
            raise LayoutError(where, line, f"layout error: {message}") from None

    def _wrong_call(self, exc: Exception) -> str | None:
        """Plain words for a filter, test or function that a layout gave values it does not take
        (Python's own message counts Jinja's hidden arguments and names a `<lambda>`); None for
        any other error."""
        if not isinstance(exc, TypeError):
            return None
        found = _BAD_CALL.match(str(exc))
        if found is None:
            return None
        ran = {frame.f_code for frame, _ in traceback.walk_tb(exc.__traceback__)}
        for kind, table in (("filter", self.env.filters), ("test", self.env.tests), ("function", self.env.globals)):
            for name, function in table.items():
                if isinstance(function, Translator):
                    function = function.__call__
                code = getattr(function, "__code__", None)
                # Its code never ran: the values did not fit, rather than something failing inside it.
                if code is None or code in ran or getattr(function, "__qualname__", None) != found["function"]:
                    continue
                how, does = _CALLED.get((kind, name)) or _signature(kind, name, function)
                return f"the `{name}` {kind} {_what_was_wrong(found)}: write it as {how}; {does}"
        if found["function"] == "Translator.__call__" and Translator.__call__.__code__ not in ran:
            # `t` as a page's own variable (Templates.render), not the global function
            how, does = _CALLED[("function", "t")]
            return f"the `t` function {_what_was_wrong(found)}: write it as {how}; {does}"
        return None

    def _frame(self, exc: Exception, name: str) -> tuple[str, int]:
        """The innermost layout file and line in the traceback of a render error."""
        best = (self.where(name), 1)
        for frame, line in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            if filename.endswith(".html"):
                template = frame.f_globals.get("__jinja_template__")
                if template is not None:
                    best = (self.where(template.name), template.get_corresponding_lineno(line))
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


# Python's message when the values given do not fit a function: `f() takes 1 positional argument
# but 2 were given`, `f() missing 1 required positional argument: 'key'`, `f() got an unexpected
# keyword argument 'x'`.
_BAD_CALL = re.compile(r"^(?P<function>[\w.<>]+)\(\) (?P<problem>takes|missing|got)\b(?P<rest>.*)$", re.S)

# How the layouts call the filters and functions of policysite's own, and what each does and takes
# (the README's "Filters"): (kind, name) -> (how it is written, what it does and takes).
_CALLED = {
    ("filter", "url"): ("`{{ page.url | url }}`", "it puts the site's base path in front of a site path, and takes "
                        "nothing in brackets"),
    ("filter", "absolute_url"): ("`{{ page.url | absolute_url }}`", "it makes a full web address of a site path, and "
                                 "takes nothing in brackets"),
    ("filter", "date"): ("`{{ page.date | date }}`", "it writes a date as \"6 November 2008\" in the page's language, "
                         "and takes nothing in brackets: for the year alone, write `{{ page.date.year }}`"),
    ("filter", "iso"): ("`{{ page.date | iso }}`", "it writes a date as `YYYY-MM-DD`, and takes nothing in brackets"),
    ("filter", "jsonld"): ("`{{ data | jsonld }}`", "it writes data as JSON for a `<script>` element, and takes "
                           "nothing in brackets"),
    ("filter", "css_string"): ("`{{ value | css_string }}`", "it writes a value as a CSS string for a `<style>` element; "
                               "`css_string(quoted=False)` leaves out the quotes, and it takes nothing else"),
    ("function", "t"): ("`{{ t(\"published\") }}`, or `{{ t(\"withdrawn_on\", date=page.withdrawn.date | date) }}` for "
                        "words with a `{date}` in them", "it takes one key of the theme's words "
                        "(policysite/theme/strings/en.yaml), then a value by name for each `{…}` in its words"),
    ("function", "strings"): ("`{{ strings(\"search\", \"search_this_site\") | jsonld }}`", "it takes keys of the "
                              "theme's words (policysite/theme/strings/en.yaml), and nothing by name"),
}


def _what_was_wrong(found: re.Match) -> str:
    """_BAD_CALL's match in plain words."""
    names = re.findall(r"'(\w+)'", found["rest"])
    if found["problem"] == "takes":
        return "was given more values in brackets than it takes"
    if found["problem"] == "missing":
        needed = " and ".join(f"`{name}`" for name in names)
        return f"was not given all it needs ({needed})" if needed else "was not given all it needs"
    if "unexpected keyword" in found["rest"] and names:
        return f"has no setting `{names[0]}`"
    if "multiple values" in found["rest"] and names:
        return f"was given `{names[0]}` twice"
    return "was given values it does not take"


def _signature(kind: str, name: str, function) -> tuple[str, str]:
    """How one of Jinja's own filters, tests or functions is written, from its signature."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return f"`{name}(…)`", "see Jinja's list of built-in filters, tests and functions"
    if jinja2.utils._PassArg.from_obj(function) is not None:
        parameters = parameters[1:]   # the context or environment Jinja passes itself
    if kind != "function":
        parameters = parameters[1:]   # the value before `|` or `is`
    shown = ", ".join(str(parameter.replace(annotation=inspect.Parameter.empty)) for parameter in parameters)
    brackets = f"({shown})" if shown else ""
    how = {"filter": f"`{{{{ value | {name}{brackets} }}}}`", "test": f"`{{% if value is {name}{brackets} %}}`",
           "function": f"`{{{{ {name}({shown}) }}}}`"}[kind]
    return how, "see Jinja's list of built-in filters, tests and functions for what it does"


def _header_key(page: dict, site) -> tuple | None:
    """What the theme's _header.html shows of a page: whether it is the search page, the
    `lang` of the navigation, and how its address compares with each navigation item's
    (equal, starts with it). None when those are not plain values: rendered for the page."""
    url, site_lang = page.get("url"), page.get("site_lang")
    nav = site.get("nav") if type(site) is dict else None
    if type(url) is not str or not (site_lang is None or type(site_lang) is str) or type(nav) is not list:
        return None
    compared = []
    for item in nav:
        item_url = item.get("url") if type(item) is dict else None
        if type(item_url) is not str:
            return None
        compared.append((item_url == url, url.startswith(item_url)))
    return (page.get("kind") == "search", site_lang, bool(url), tuple(compared))


# Built-in layouts shown alike on many pages (see Templates._shared_include): name -> what of the
# page each shows, as a key. The footer shows nothing of it: only `site` and the words.
_SHARED_KEYS = {
    "_header.html": _header_key,
    "_footer.html": lambda page, site: (),
}


# Everything `getattr` finds on a plain dict (its methods and object's).
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _escape_output(value) -> str:
    """markupsafe.escape for a value a layout outputs (`{{ value }}`), quicker for plain text.

    What an output statement gives is only ever joined into the page (or into a
    block's text, which Jinja then marks safe itself), so plain text may come back
    as a str, escaped exactly as markupsafe escapes it; anything else goes to markupsafe."""
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or "'" in value or '"' in value:
            return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("'", "&#39;").replace('"', "&#34;"))
        return value
    if type(value) is Markup:   # already safe: escape would give the same text
        return value
    return escape(value)


def _include(env: jinja2.Environment, ctx, name: str, local: dict, parent: str) -> str:
    """What Jinja's `{% include name %}` (with the context) writes: the layout, in a new context
    over this one's values and the including block's own variables (`local`)."""
    template = env.get_template(name, parent)
    return "".join(template.root_render_func(template.new_context(ctx.get_all(), True, local)))


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Layouts compiled to call _escape_output (as `environment.escape_output`) where Jinja
    would call markupsafe.escape on a value it outputs: a page outputs hundreds of values.
    And `{% include %}` of a layout in _SHARED_KEYS calls `environment.shared_include`
    (Templates._shared_include), which may give what it wrote for an earlier page."""

    def visit_Include(self, node, frame) -> None:
        template = node.template
        if (node.with_context and not node.ignore_missing and not self.environment.is_async
                and isinstance(template, jinja2.nodes.Const) and template.value in _SHARED_KEYS):
            self.simple_write(f"environment.shared_include(context, {template.value!r}, "
                              f"{self.dump_local_context(frame)}, {self.name!r})", frame, node)
            return
        super().visit_Include(node, frame)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("environment.escape_output(")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)


# What `t(…)`, `text.startswith(…)` and `list.append(…)` in a layout are: none of them can be
# marked to take Jinja's context (a Translator is ours; a built-in method has no attributes).
_PLAIN_CALLABLES = frozenset({Translator, types.BuiltinMethodType})


class _Context(jinja2.runtime.Context):
    """Jinja's context, calling the plain callables layouts call most straight away.

    Jinja's `call` first asks any callable whether it wants the context, the eval
    context or the environment (two attribute look-ups each), for every `t(…)` of
    every page; these never do, so they get exactly the arguments Jinja would give."""

    def call(__self, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature: a caller may pass `self=`
        if type(__obj) in _PLAIN_CALLABLES:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:   # as Jinja answers it
                return __self.environment.undefined("value was undefined because a callable raised a"
                                                    " StopIteration exception")
        return super().call(__obj, *args, **kwargs)


class _Environment(jinja2.sandbox.SandboxedEnvironment):
    """Jinja with a quicker `x.name` for the plain dicts that make up the page context,
    a quicker escape for what layouts output, and quicker calls of `t(…)`.

    Sandboxed: a layout cannot reach Python itself (`lipsum.__globals__`, `page.__class__`),
    so it cannot run commands or read files, whoever edits it; it can only show what it is given."""

    code_generator_class = _CodeGenerator
    context_class = _Context
    escape_output = staticmethod(_escape_output)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - the sandbox's own signature
        """As the sandbox calls, but `t(…)` (a Translator, ours, which only looks words up) at once:
        it is called hundreds of times a page, and both checks would pass it anyway."""
        if type(__obj) is Translator:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def shared_include(self, ctx, name: str, local: dict, parent: str) -> str:
        """`{% include name %}` of a layout in _SHARED_KEYS; Templates puts its own in place."""
        return _include(self, ctx, name, local, parent)

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


class _LayoutCode(jinja2.BytecodeCache):
    """Compiled layouts: kept in memory between `serve` rebuilds, and on disk in the user's own
    cache folder (layout_code_folder), as Python keeps .pyc files, so that a build need not
    compile the 30-odd layouts again (a fifth of a second, most of what `check` costs on a
    small site). Never in the site's folder: it is code, and a site's files come from pull requests.

    Each layout's code is named by a hash of everything it was compiled from: its name, its
    source (Jinja's checksum), the base path and URL (Jinja may fold constant `url` filter
    calls into the code), and the compiler (Jinja's version, Python's, this module's code).
    """

    def __init__(self, store: dict, salt: tuple, folder: Path | None):
        self.store = store
        self.salt = salt
        self.folder = folder

    def _name(self, bucket) -> str:
        return hashlib.sha1(repr((_compiler_fingerprint(), self.salt, bucket.key, bucket.checksum)).encode(
            "utf-8", "surrogatepass")).hexdigest()

    def load_bytecode(self, bucket) -> None:
        name = self._name(bucket)
        code = self.store.get(name)
        if code is None and self.folder is not None:
            try:
                code = marshal.loads((self.folder / name).read_bytes())
            except (OSError, EOFError, ValueError, TypeError):
                return   # none yet, or damaged: compiled again and saved
            if not isinstance(code, types.CodeType):
                return
            self.store[name] = code
        if code is not None:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        name = self._name(bucket)
        self.store[name] = bucket.code
        if self.folder is not None:
            tmp = self.folder / f".{name}.{os.getpid()}.tmp"
            try:
                tmp.write_bytes(marshal.dumps(bucket.code))
                os.replace(tmp, self.folder / name)   # whole or not at all: builds run side by side
            except OSError:
                with contextlib.suppress(OSError):
                    tmp.unlink()


_COMPILER: str | None = None


def _compiler_fingerprint() -> str:
    global _COMPILER
    if _COMPILER is None:
        _COMPILER = hashlib.sha1(b"%s %d " % (jinja2.__version__.encode(), sys.hexversion)
                                 + Path(__file__).read_bytes()).hexdigest()
    return _COMPILER


def layout_code_folder() -> Path | None:
    """Where compiled layouts are kept: POLICYSITE_CACHE_DIR, else the user's cache folder
    ($XDG_CACHE_HOME or ~/.cache) /policysite. None when it cannot be made, or could be
    written by anyone but this user (its files are run as code)."""
    base = os.environ.get("POLICYSITE_CACHE_DIR")
    if not base:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "policysite")
    folder = Path(base) / "layouts"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in (folder, folder.parent):
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
                return None
    except (OSError, RuntimeError):   # RuntimeError: no home folder to expand ~ in
        return None
    return folder


_NO_ATTRIBUTE = re.compile(r"^'(?P<owner>[^']+)' (?:object )?has no attribute '(?P<name>[^']+)'$")
_UNDEFINED = re.compile(r"^'(?P<name>[^']+)' is undefined$")
_UNSAFE = re.compile(r"^access to attribute '(?P<name>[^']+)' of '[^']+' object is unsafe\.?$")


def _in_plain_words(exc: Exception) -> str:
    """A layout's runtime error as its author can act on it: Jinja's own words for a name that is
    not there, or that the sandbox refuses, say neither where the values come from nor what to do."""
    text = str(exc)
    if isinstance(exc, jinja2.sandbox.SecurityError) and (found := _UNSAFE.match(text)):
        return (f"`{found['name']}` is unsafe to use in a layout, which can only show the values it is given "
                "(see README.md, \"Layouts and assets\"): remove it")
    if isinstance(exc, jinja2.UndefinedError):
        if found := _NO_ATTRIBUTE.match(text):
            name, owner = found["name"], found["owner"]
            if owner == "None":
                return (f"`{name}` is not there: what comes before it is empty (None) on this page; give it a "
                        f"value, or ask first with `{{% if ... %}}`")
            owner = "this value" if owner in ("dict object", "dict") else f"a {owner}"
            return (f"`{name}` is not there: {owner} has no `{name}` (check the name against what layouts "
                    f"receive in README.md, or ask first with `{{% if ... .{name} is defined %}}`)")
        if found := _UNDEFINED.match(text):
            return (f"`{found['name']}` is not defined here: check its spelling, or set it first "
                    f"(`{{% set {found['name']} = ... %}}`); layouts receive `page`, `site` and the words `t(...)`")
        return text
    return f"{type(exc).__name__}: {text}"


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
        # `external`: an address on another site (`url: https://…`), which the `url` filter must not prefix.
        organisations[key] = {"key": key, "name": org.name, "url": url, "description": org.description,
                              "external": bool(url) and not url.startswith("/")}
    topics = {key: {"key": key, "name": t.name, "url": f"/topics/{key}/", "description": t.description}
              for key, t in config.topics.items()}
    return {
        "title": config.title,
        "description": config.description,
        "base_url": config.base_url,
        "root": config.root,
        "language": config.language,
        # Translations: the site's language's own name, and each other language's by code.
        "language_name": config.language_name,
        "languages": {code: language.name for code, language in config.languages.items()},
        "organisations": organisations,
        "topics": topics,
        "governments": {k: {"key": k, "name": g.name} for k, g in config.governments.items()},
        "people": {k: {"key": k, "name": p.name, "role": p.role, "url": f"/people/{k}/"}
                   for k, p in config.people.items()},
        "current_government": config.current_government,
        "nav": site_nav(site),
        "build_date": None,
        **theme_context(site),
    }


def check_compiled_assets(diagnostics: Diagnostics, brand: bool) -> None:
    """A build needs govuk-frontend's CSS compiled; a checkout has none until it is built."""
    css = BRAND_CSS if brand else COMPILED_CSS
    if not css.is_file():
        where = "policysite/theme/assets/govuk/" + ("brand/theme.css" if brand else "theme.css")
        diagnostics.error(where, 1,
                          f"the theme's compiled CSS is missing: run `{ASSET_BUILD_COMMAND}` in the policysite "
                          "source folder (it needs Node.js), then build again", code="missing-theme-assets")


def _page_by_path(site: Site, path: str) -> Page | None:
    return site.by_source.get("content/" + path.lstrip("/"))


def _url_exists(site: Site, url: str) -> bool:
    path = url.split("#", 1)[0]
    return path in site.by_url or path in site.files_by_url or path in site.assets or path == "/feed.xml"


def _link_problem(site: Site, setting: LinkSetting) -> str | None:
    """Why a `nav:` or `footer.links:` item leads nowhere, or None."""
    if setting.page is not None:
        if _page_by_path(site, setting.page) is None:
            return f"there is no page content/{setting.page}: write the path of a page's file from content/, such as `about.md` or `policy/_index.md`"
    elif setting.url and setting.url.startswith("/") and not _url_exists(site, setting.url):
        return f"there is no page at `{setting.url}` on this site: check the address, or write the page's file path such as `about.md`"
    return None


def _resolve_links(site: Site, settings: list[LinkSetting]) -> list[dict]:
    """Items that lead somewhere, as {title, url, external}; the others are reported by Templates."""
    links = []
    for setting in settings:
        if _link_problem(site, setting):
            continue
        if setting.page is not None:
            page = _page_by_path(site, setting.page)
            links.append({"title": page.title, "url": page.url, "external": False})
        else:
            links.append({"title": setting.title, "url": setting.url, "external": not setting.url.startswith("/")})
    return links


def site_nav(site: Site) -> list[dict]:
    """The header's links: `nav:` in site_config, else the top-level sections that have an
    `_index.md`, in their order (weight, then date, then title)."""
    if site.config.nav is not None:
        return _resolve_links(site, site.config.nav)
    if site.home is None:
        return []
    return [{"title": p.title, "url": p.url, "external": False}
            for p in site.home.children if p.kind == "section" and p.source]


def theme_context(site: Site) -> dict:
    """The theme's settings as layouts see them under `site`."""
    config = site.config
    footer = config.footer
    if footer.links is not None:
        footer_links = _resolve_links(site, footer.links)
    else:   # only to pages that exist on this site
        footer_links = []
        accessibility = site.by_url.get("/accessibility/")
        if accessibility is not None:
            footer_links.append({"title": accessibility.title, "url": accessibility.url, "external": False})
        footer_links.append({"title": None, "key": "atom_feed", "url": "/feed.xml", "external": False})
    origin = config.base_url[: len(config.base_url) - len(config.root)]
    return {
        "brand": config.govuk_brand,
        "stylesheet": "/assets/govuk/brand/theme.css" if config.govuk_brand else "/assets/govuk/theme.css",
        "colour": config.theme.colour,
        "logo": config.theme.logo,
        "header_name": config.theme.name or config.title,
        "origin": origin,
        "footer": {
            "links": footer_links,
            "licence": footer.licence,
            "owner": footer.owner or config.title,
        },
    }


def fallback_description(page: Page, site: Site) -> str:
    """A meta description for an `_index.md` that has none, when the site has none either:
    a whole sentence, names kept as written."""
    if page.title == site.config.title:
        return site.config.title
    strings = page_strings(site.config, page.lang)
    key = "topic_description" if page.kind == "topic" else "section_description"
    return strings[key].format(topic=page.title, section=page.title, site=site.config.title)


def type_label(page: Page, site: Site, lang: str | None = None) -> str:
    """The label above a page's title, in `lang` (by default the page's language) for the built-in types."""
    lang = page.lang if lang is None else lang
    if lang and page.status.consultation is not None:   # the state's label, in that language
        return page_strings(site.config, lang)[LABEL_KEYS[page.status.consultation]]
    if lang and page.site_type_label is None and page.type in schema.BUILTIN_TYPES and page.type != "page":
        return page_strings(site.config, lang).get(f"type_{page.type}", page.type_label)
    return page.type_label


def language_versions(page: Page, site: Site) -> list[dict]:
    """The language switch: every version of the page, the site's language first, each
    with its language's own name; empty for a page with no translation."""
    if not page.translations:
        return []
    config = site.config
    out = []
    for lang in ["", *config.languages]:
        version = page.translations.get(lang)
        if version is None:
            continue
        language = config.languages.get(lang)
        code = language.short if language else table_language(config.language)
        out.append({"lang": code, "name": language.name if language else config.language_name,
                    "url": version.url, "current": version is page})
    return out


def breadcrumbs(page: Page, site: Site) -> list[dict]:
    """Ancestors from the home page down, each in the page's language where it has a version
    in it; otherwise in the site's language, with `lang` set for the link. On a translated
    page, a home page with no version in its language is named by the theme's `home` word."""
    crumbs = []
    for ancestor in page.ancestors:
        shown = translations.version(ancestor, page.lang) if page.lang else ancestor
        crumb = {"title": shown.title, "url": shown.url, "lang": None}
        if shown.lang != page.lang:
            if ancestor.kind == "home":
                crumb["title"] = page_strings(site.config, page.lang)["home"]
            else:
                crumb["lang"] = table_language(site.config.language)
        crumbs.append(crumb)
    return crumbs


def listing_item(page: Page, site: Site, lang: str = "") -> dict:
    """A page as a listing in `lang` shows it; `lang` on the item when its own language differs.

    Made once per build: the same dict stands for the page in every listing in `lang`."""
    key = (page, lang)
    item = site.listing_items.get(key)
    if item is None:
        item = site.listing_items[key] = {
            "title": page.title, "url": page.url, "description": page.description,
            "lang": (page.lang or table_language(site.config.language)) if page.lang != lang else None,
            "type": page.type, "type_label": type_label(page, site, lang), "date": page.date,
            "updated": page.updated, "kind": page.kind, "status": page.status,
        }
    return item


def listing_items(page: Page, site: Site) -> list[dict]:
    """The listing items of what `page` lists, in its language: one list per page and build,
    shared by the pages of a long listing (paginate gives each its share)."""
    key = (page, None)
    items = site.listing_items.get(key)
    if items is None:
        items = site.listing_items[key] = [listing_item(p, site, page.lang) for p in site.listing(page)]
    return items


# The children list paginate last counted, and its counts by type label.
_last_counts: tuple[object, dict[str, int]] = (None, {})


def paginate(context: dict, number: int, count: int) -> dict:
    """The page context for page `number` of `count` of a listing: its share of the
    children, counts by type over all of them, and the links between the pages."""
    global _last_counts
    page = dict(context)
    children = page["children"]
    if _last_counts[0] is not children:   # the pages of one listing share their children
        counts: dict[str, int] = {}
        for child in children:
            label = child["type_label"]
            counts[label] = counts.get(label, 0) + 1
        _last_counts = (children, counts)
    page["group_counts"] = dict(_last_counts[1])
    if count > 1:
        start = (number - 1) * LISTING_PAGE_SIZE
        page["children"] = children[start:start + LISTING_PAGE_SIZE]
        url = page["url"]
        page["pagination"] = {
            "number": number, "count": count,
            "previous": paged_url(url, number - 1) if number > 1 else None,
            "next": paged_url(url, number + 1) if number < count else None,
            "pages": pagination_items(url, number, count),
        }
        if number > 1:
            page["url"] = paged_url(url, number)
            page["content"] = Markup("")   # the introduction stays on the first page
            page["toc"] = []
    else:
        page["pagination"] = None
    return page


def pagination_items(url: str, number: int, count: int) -> list[dict]:
    """The numbered links of page `number` of `count`: the first, the last, this one and its
    neighbours, with an ellipsis for each longer gap (a lone missing page is shown instead).

    Linking every page from every page would make a listing's links grow with the square
    of its length (3.7 million links on a site of 100,000 pages)."""
    shown = sorted({n for n in (1, number - 1, number, number + 1, count) if 1 <= n <= count})
    items: list[dict] = []
    before = 0
    for n in shown:
        if n - before == 2:
            shown_too = before + 1
            items.append({"number": shown_too, "url": paged_url(url, shown_too), "current": False, "ellipsis": False})
        elif n - before > 2:
            items.append({"number": None, "url": None, "current": False, "ellipsis": True})
        items.append({"number": n, "url": paged_url(url, n), "current": n == number, "ellipsis": False})
        before = n
    return items


def other_language(lang: str, page: Page, site: Site) -> str | None:
    """The `lang` attribute for text in `lang` ("" for the site's language) shown on `page`:
    None when they are the same language."""
    if lang == page.lang:
        return None
    return lang or table_language(site.config.language)


def sidebar_links(page: Page, site: Site | None = None) -> dict:
    """"Pages that link here": links from the body of content pages only (not the home
    page, sections or organisation pages), none already under "Related content". Where two
    links in the sidebar share a text, each says which section it is in."""
    related = {link["url"].split("#", 1)[0] for link in page.related}
    backlinks = [p for p in page.backlinks   # and only from pages in its own language
                 if p.kind == "page" and p.type != "organisation" and p.url not in related and p.lang == page.lang]
    items = [dict(link, context=None) for link in page.related]
    items += [{"title": p.title, "url": p.url, "context": None, "lang": p.lang} for p in backlinks]
    for item in items:   # a link in another language than the page says which
        item["lang"] = other_language(item.get("lang", ""), page, site) if site is not None else None
    parents = {p.url: p.parent.title if p.parent else None for p in backlinks}
    by_title: dict[str, set] = {}
    for item in items:
        by_title.setdefault(item["title"].casefold(), set()).add(item["url"])
    for item in items:
        if len(by_title[item["title"].casefold()]) > 1:
            item["context"] = parents.get(item["url"]) or item["url"]
    return {"related": items[:len(page.related)], "backlinks": items[len(page.related):]}
class FreeData(dict):
    """`page.extra`: the page's own unchecked data. A key one page does not give is None,
    not a layout error, since `extra:` differs from page to page by design."""

    def __missing__(self, key):
        return None


# The declared fields of the last `types:` asked about: (name, default, is a list) each.
_declared_fields: tuple[object, list[tuple[str, object, bool]]] = (None, [])


def _declared(types) -> list[tuple[str, object, bool]]:
    global _declared_fields
    if _declared_fields[0] is not types:
        _declared_fields = (types, [(name, spec.default, spec.kind == schema.LIST)
                                    for name, spec in schema.fields_for(types).items()])
    return _declared_fields[1]


def declared_fields(page: Page, site: Site) -> dict:
    """`page.<field>` for every declared field (built-in and every site type's own), as checked,
    or the field's default: a layout can name any of them without testing that it is defined."""
    out = {}
    fields = page.fields
    for name, default, is_list in _declared(site.config.types):
        value = fields.get(name, default)
        if is_list:
            value = [item for item, _line in value]   # the (value, line) pairs, as plain values
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    extra = page.fields.get("extra")
    out["extra"] = FreeData(extra if isinstance(extra, dict) else {})
    return out


def nations_text(keys, strings: dict[str, str]) -> str:
    """`[wales, england]` -> "England and Wales": the nations in their usual order, named in the site's language."""
    names = [strings[f"nation_{k}"] for k in schema.NATIONS if k in keys]
    if len(names) < 2:
        return "".join(names)
    return strings["list_and"].format(items=strings["list_separator"].join(names[:-1]), last=names[-1])


def consultation_context(page: Page, strings: dict[str, str], label: str) -> dict | None:
    """A consultation's state at the build time, its banner's words and its outcome's link."""
    state = page.consultation
    if state is None:
        return None
    months = month_names(strings)
    if state.state == FORTHCOMING:
        banner = strings["consultation_opens_at"].format(time=govuk_time(state.opens, strings),
                                                         date=format_date_in(state.opens, months))
    elif state.state == OPEN:
        banner = strings["consultation_closes_at"].format(time=govuk_time(state.closes, strings),
                                                          date=format_date_in(state.closes, months))
    else:
        banner = strings["consultation_has_closed"]
    outcome = page.outcome_page if state.state not in (FORTHCOMING, OPEN) else None
    return {"state": state.state, "label": label, "banner": banner,
            "opens": state.opens, "closes": state.closes,
            "outcome": {"title": outcome.title, "url": outcome.url} if outcome is not None else None}


def speech_context(page: Page, site: Site, ctx_site: dict) -> dict | None:
    """A speech's speaker (with their page), when and where it was given and what its text is."""
    if page.type != "speech":
        return None
    key = page.fields.get("speaker")
    return {"speaker": ctx_site["people"].get(key) if key else None,
            "delivered_on": page.fields.get("delivered_on"),
            "location": page.fields.get("location"),
            "speech_type": page.fields.get("speech_type")}


def page_context(page: Page, site: Site, ctx_site: dict) -> dict:
    """What a layout sees as `page`: plain values, all escaped by Jinja on output.

    Every declared front matter field is there under its own name (declared_fields);
    the keys below replace the raw values with what layouts show (organisations and
    topics as entries, the image with its address, related pages with their titles)."""
    fields = page.fields
    strings = page_strings(site.config, page.lang)   # the page's own language: its banner, its nations
    government = None
    if fields.get("government") in site.config.governments:
        key = fields["government"]
        government = {"key": key, "name": site.config.governments[key].name}
    image = None
    if "image" in fields and page.image_url:
        img = fields["image"]
        image = {"src": page.image_url, "alt": img["alt"], "caption": img.get("caption"), "credit": img.get("credit")}
        if page.lead_image is not None:   # width, height, srcset, sizes: see images.py
            image.update(page.lead_image.attributes())
    toc = page.toc   # once: in a big build each read parses it again from the scratch file
    return {
        **declared_fields(page, site),
        "title": page.title,
        # The page's own description (the home page's is the site's): shown as the lead paragraph.
        "description": page.description or (site.config.description if page.kind == "home" else ""),
        # Every page has a meta description (SPEC): its own, else the site's, else a plain sentence.
        "meta_description": page.description or site.config.description or fallback_description(page, site),
        "url": page.url,
        "kind": page.kind,
        "type": page.type,
        "type_label": type_label(page, site),
        "content": Markup(page.html),
        "date": page.date,
        "updated": page.updated,
        "change_history": fields.get("change_history", []),
        "organisations": [ctx_site["organisations"][k] for k in fields.get("organisations", [])],
        "topics": [ctx_site["topics"][k] for k in fields.get("topics", [])],
        "government": government,
        "history_banner": page.status.earlier_government,   # as page.status gives it: kept for site layouts
        "withdrawn": fields.get("withdrawn"),
        "image": image,
        "breadcrumbs": breadcrumbs(page, site),
        # Translations: `lang` picks the theme's words ("" for the site's own language).
        "lang": page.lang,
        "html_lang": page.lang or site.config.language,
        "versions": language_versions(page, site),
        # On a translated page, the `lang` of text from site_config (topic names, the navigation).
        "site_lang": other_language("", page, site),
        # A collection's groups follow its body's headings in the contents list.
        "toc": toc + [{"id": g.id, "text": g.title} for g in page.groups] if len(page.groups) + len(toc) >= 2
        else toc,
        **sidebar_links(page, site),
        "status": page.status,
        "children": listing_items(page, site),
        "feed_url": publish.feed_url(page),
        # schema.org JSON-LD, serialised in Python and safe inside <script> (see publish.script_json).
        "jsonld": Markup(publish.jsonld(page, site)),
        "applies_to_text": nations_text(fields.get("applies_to", ()), strings),
        "consultation": consultation_context(page, strings, type_label(page, site)),
        "speech": speech_context(page, site, ctx_site),
        "groups": [{"title": g.title, "id": g.id, "description": g.description,
                    "pages": [listing_item(p, site) for p in g.pages]} for g in page.groups],
        "collections": [{"title": c.title, "url": c.url}
                        for c in sorted(page.collections, key=lambda c: (c.title.casefold(), c.url))],
        "person": ctx_site["people"].get(page.key) if page.kind == "person" else None,
        "is_home": page.kind == "home",
        "source": page.source,
    }
