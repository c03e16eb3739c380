"""site_config.yaml to a checked SiteConfig.

Unknown settings are warnings (with a 'did you mean'), wrong types errors,
each at the line of the setting, so a typo in the config never passes quietly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import mdext, yamlfile
from .diagnostics import Diagnostics, closest
from .schema import (
    BUILTIN_TYPES,
    FIELD_BY_NAME,
    SITE_FIELD_KINDS,
    SITE_FIELD_SETTINGS,
    SITE_TYPE_SETTINGS,
    Field,
    PageType,
)
from .strings import has_table, known_keys, missing_keys, strings_for, table_language, table_path

CONFIG_NAME = "site_config.yaml"

TOP_LEVEL = {
    "title", "base_url", "language", "description",
    "organisations", "governments", "current_government", "topics", "types",
    "markdown_extensions", "hooks",
    "nav", "theme", "govuk_brand", "footer", "strings", "people", "languages",
}
ENTRY_FIELDS = {
    "organisations": {"name", "url", "description"},
    "governments": {"name"},
    "topics": {"name", "description"},
    "people": {"name", "role"},
}
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_UNSAFE_URL = re.compile(r"[\s\"'<>`{}|\\^\x00-\x1f\x7f]")
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass
class Entry:
    """An organisation, government, topic or person named in site_config."""

    key: str
    name: str
    url: str | None = None
    description: str = ""
    role: str = ""                # a person's role, such as "Secretary of State for Health"
    line: int = 1                 # the line of its key in site_config.yaml
    url_line: int | None = None   # the line of its `url:`


@dataclass
class LinkSetting:
    """An item of `nav:` or `footer.links:`: a page by its content path, or a title and address."""

    line: int
    page: str | None = None       # content-relative Markdown path: `about.md`, `policy/_index.md`
    title: str | None = None
    url: str | None = None        # a site path `/x/` or an https address


@dataclass
class ThemeSettings:
    """`theme:`: the site's colour and the name or logo in its header."""

    colour: str | None = None     # `#rrggbb`, light enough for white text on it to pass AA
    logo: str | None = None       # a file under assets/, as its site path `/assets/logo.svg`
    name: str | None = None       # the header's text (the logo's alt text); default: `title`


@dataclass
class FooterSettings:
    links: list[LinkSetting] | None = None   # None: the theme's own (only to pages that exist)
    licence: str | bool = True    # True: the Open Government Licence line; False: none; text: that line
    owner: str | None = None      # the last line; default: `title`


@dataclass
class HookFile:
    """One `hooks:` entry: a Python file inside the site folder (hooks.py runs it)."""
    source: str                   # as written, site-relative
    path: Path                    # resolved, inside the site folder
    line: int                     # its line in site_config.yaml


# The own names of languages a UK site may publish in, for a `language:` or
# `languages:` entry that gives no `name:`.
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg", "gd": "Gàidhlig", "ga": "Gaeilge", "kw": "Kernewek"}


@dataclass
class Language:
    """A language pages are translated into (`languages:`), or the site's own (`language:`)."""

    code: str                     # as written: `cy`, or the site's `en-GB`
    name: str                     # its own name, the switch's link text: Cymraeg
    line: int = 1                 # the line of its key in site_config.yaml
    strings: dict[str, str] = field(default_factory=dict)   # the site's own wording (`strings: {cy: …}`)

    @property
    def short(self) -> str:
        """The primary subtag (`en-GB` -> `en`): file names and hreflang use it."""
        return table_language(self.code)


@dataclass
class SiteConfig:
    title: str = "Untitled site"
    base_url: str = "http://localhost/"
    language: str = "en-GB"
    description: str = ""
    organisations: dict[str, Entry] = field(default_factory=dict)
    governments: dict[str, Entry] = field(default_factory=dict)
    current_government: str | None = None
    topics: dict[str, Entry] = field(default_factory=dict)
    people: dict[str, Entry] = field(default_factory=dict)   # speakers: each has a page at /people/KEY/
    nav: list[LinkSetting] | None = None   # None: top-level sections with an _index.md
    theme: ThemeSettings = field(default_factory=ThemeSettings)
    govuk_brand: bool = False
    footer: FooterSettings = field(default_factory=FooterSettings)
    strings: dict[str, str] = field(default_factory=dict)
    # Languages pages are translated into, by their code (`x.cy.md`); not the default one.
    languages: dict[str, Language] = field(default_factory=dict)
    # The default language's own name (built in for English, or from `languages:`).
    language_name: str = "English"
    # The site's own page types, from `types:` (schema.page_types adds the built-in ones).
    types: dict[str, PageType] = field(default_factory=dict)
    # Python-Markdown extensions the site adds after policysite's own.
    markdown_extensions: list[mdext.ExtensionSetting] = field(default_factory=list)
    # The line of each setting, for later stages that report on them.
    lines: dict[str, int] = field(default_factory=dict)
    # False when site_config.yaml could not be read: its keys are then unknown, not wrong.
    readable: bool = True
    hooks: list[HookFile] = field(default_factory=list)

    @property
    def root(self) -> str:
        """The path part of base_url: '/' or '/health/'. Every internal URL starts with it."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


def normalise_base_url(value: str) -> str | None:
    """An absolute http(s) URL ending in '/', or None when it is not one."""
    if _UNSAFE_URL.search(value.strip()):
        return None   # quotes, angle brackets, spaces: never part of a usable address
    try:
        parts = urlsplit(value.strip())
    except ValueError:   # an unclosed `[` in the host name
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return None
    if any(seg in ("..", ".") for seg in parts.path.split("/")):
        return None
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def load_config(site_dir: Path, diagnostics: Diagnostics, base_url: str | None = None) -> SiteConfig:
    """Read and check site_config.yaml; problems go to `diagnostics`."""
    config = SiteConfig()
    path = site_dir / CONFIG_NAME
    name = CONFIG_NAME
    if not path.is_file():
        diagnostics.error(name, 1, f"{CONFIG_NAME} is missing: create it with at least `title:` and `base_url:`", code="missing-config")
        config.readable = False
        return config
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        diagnostics.error(name, line, "the file is not valid UTF-8 text: save it as UTF-8", code="not-utf-8")
        config.readable = False
        return config
    repeated: list[yamlfile.YamlProblem] = []
    try:
        data = yamlfile.load(text.replace("\r\n", "\n"), repeated=repeated)
    except yamlfile.YamlProblem as problem:
        diagnostics.error(name, problem.line, problem.message.replace("front matter", CONFIG_NAME), code="invalid-yaml")
        config.readable = False
        return config
    for problem in repeated:   # reported, and the first value checked like any other
        diagnostics.error(name, problem.line, problem.message, code="invalid-yaml")
    if data is None:
        data = yamlfile.LinedDict()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, dict):
        diagnostics.error(name, getattr(data, "line", 1), f"{CONFIG_NAME} must be a list of `setting: value` lines", code="invalid-yaml")
        config.readable = False
        return config

    config.lines = dict(data.key_lines)
    for key in data:
        if key not in TOP_LEVEL:
            hint = closest(key, TOP_LEVEL)
            tip = f", did you mean `{hint}`?" if hint else f": known settings are {', '.join(sorted(TOP_LEVEL))}"
            diagnostics.warning(name, data.line_of(key), f"unknown setting `{key}`{tip}", code="unknown-field")

    def text_setting(key: str, required: bool) -> str | None:
        if key not in data or data[key] is None:
            if required:
                diagnostics.error(name, 1, f"`{key}:` is required in {CONFIG_NAME}", code="missing-field")
            return None
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            diagnostics.error(name, data.line_of(key), f"`{key}` must be text; put it in quotes if it looks like a number, date or yes/no", code="field-type")
            return None
        return value.strip()

    title = text_setting("title", True)
    if title:
        config.title = title
    description = text_setting("description", False)
    if description:
        config.description = description

    raw_base = base_url if base_url is not None else text_setting("base_url", True)
    if raw_base:
        normal = normalise_base_url(raw_base)
        if normal is None:
            where = 1 if base_url is not None else data.line_of("base_url")
            source = "--base-url" if base_url is not None else "`base_url`"
            diagnostics.error(name, where, f"{source} must be an absolute http or https address such as https://www.example.gov.uk/", code="invalid-base-url")
        else:
            config.base_url = normal

    language = text_setting("language", False)
    if language:
        if LANGUAGE_PATTERN.match(language):
            config.language = language
        else:
            diagnostics.error(name, data.line_of("language"), "`language` must be a language tag such as en-GB or cy", code="invalid-language")

    _load_languages(data, config, name, diagnostics)

    for group in ("organisations", "governments", "topics", "people"):
        entries = _load_entries(data, group, name, diagnostics)
        setattr(config, group, entries)

    config.types = _load_types(data, name, diagnostics)

    if "current_government" in data:
        current = text_setting("current_government", False)
        if current is not None:
            if current not in config.governments:
                hint = closest(current, config.governments)
                tip = f", did you mean `{hint}`?" if hint else ": add it under `governments:`"
                diagnostics.error(name, data.line_of("current_government"), f"unknown government `{current}`{tip}", code="unknown-key")
            else:
                config.current_government = current
    config.markdown_extensions = _load_markdown_extensions(data, name, diagnostics)
    _load_theme_settings(data, config, site_dir, name, diagnostics)
    _warn_missing_strings(data, config, name, diagnostics)
    config.hooks = _load_hooks(site_dir, data, name, diagnostics)
    return config


def _load_hooks(site_dir: Path, data, name: str, diagnostics: Diagnostics) -> list[HookFile]:
    """`hooks:`: a list of Python files, each inside the site folder (links resolved) and present."""
    block = data.get("hooks")
    if block is None:
        return []
    if not isinstance(block, list):
        diagnostics.error(name, data.line_of("hooks"), "`hooks` must be a list of Python files in the site folder, such as `- hooks/department.py`", code="hook-config")
        return []
    hooks = []
    root = site_dir.resolve()
    for index, entry in enumerate(block):
        line = block.line_of(index) if hasattr(block, "line_of") else data.line_of("hooks")
        if not isinstance(entry, str) or not entry.strip().endswith(".py"):
            diagnostics.error(name, line, "each entry in `hooks` must be the path of a `.py` file in the site folder", code="hook-config")
            continue
        path = (site_dir / entry.strip()).resolve()
        if not path.is_relative_to(root):
            diagnostics.error(name, line, f"hook `{entry}` is outside the site folder: hooks must be files in the site's own repository", code="hook-config")
        elif not path.is_file():
            diagnostics.error(name, line, f"hook file `{entry}` does not exist", code="hook-config")
        else:
            hooks.append(HookFile(source=entry.strip(), path=path, line=line))
    return hooks


def _load_markdown_extensions(data, name: str, diagnostics: Diagnostics) -> list[mdext.ExtensionSetting]:
    """`markdown_extensions:`: a list of names, or of `name: {settings}` maps; each one is tried."""
    block = data.get("markdown_extensions")
    if block is None:
        return []
    usage = ("`markdown_extensions` must be a list, one extension a line: `- footnotes`, or "
             "`- toc: {permalink: true}` with settings")
    if not isinstance(block, list):
        diagnostics.error(name, data.line_of("markdown_extensions"), usage, code="field-type")
        return []
    settings = []
    for index, item in enumerate(block):
        line = block.line_of(index) if hasattr(block, "line_of") else data.line_of("markdown_extensions")
        if isinstance(item, str) and item.strip():
            settings.append(mdext.ExtensionSetting(name=item.strip(), line=line))
        elif isinstance(item, dict) and len(item) == 1:
            (ext_name, options), = item.items()
            if options is None:
                options = {}
            if not isinstance(ext_name, str) or not isinstance(options, dict):
                diagnostics.error(name, line, f"the settings of Markdown extension `{ext_name}` must be `name: value` "
                                              "lines under it", code="field-type")
                continue
            settings.append(mdext.ExtensionSetting(name=ext_name.strip(), options=_plain(options), line=line))
        else:
            diagnostics.error(name, line, usage, code="field-type")
    for line, message in mdext.check(settings):
        diagnostics.error(name, line, message, code="markdown-extension")
    return settings


def _plain(value):
    """YAML's mappings and lists (which carry their lines) as plain dicts and lists, for an extension's settings."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _load_entries(data, group: str, name: str, diagnostics: Diagnostics) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    if group not in data or data[group] is None:
        return entries
    block = data[group]
    if not isinstance(block, dict):
        # A list (`[a, b]`, or lines starting with `- `) is the usual slip: each entry needs its key before a colon.
        key = block[0] if isinstance(block, list) and block and isinstance(block[0], str) else "housing"
        diagnostics.error(name, data.line_of(group), f"`{group}` must have one line per entry under it, each a key "
                          f"and its name after a colon (such as `  {key}: Its name`), not a list", code="field-type")
        return entries
    allowed = ENTRY_FIELDS[group]
    for key, value in block.items():
        line = block.line_of(key)
        if not KEY_PATTERN.match(key):
            diagnostics.error(name, line, f"`{key}` is not a usable key: use lower-case letters, digits and hyphens", code="invalid-key")
            continue
        if isinstance(value, str):
            entries[key] = Entry(key=key, name=value, line=line)
            continue
        if not isinstance(value, dict):
            diagnostics.error(name, line, f"`{group}.{key}` must have a `name:`", code="missing-field")
            continue
        for field_name in value:
            if field_name not in allowed:
                hint = closest(field_name, allowed)
                tip = f", did you mean `{hint}`?" if hint else f": known fields are {', '.join(sorted(allowed))}"
                diagnostics.warning(name, value.line_of(field_name), f"unknown field `{field_name}` in `{group}.{key}`{tip}", code="unknown-field")
        entry_name = value.get("name")
        if not isinstance(entry_name, str) or not entry_name.strip():
            diagnostics.error(name, value.line_of("name", line), f"`{group}.{key}` needs a `name:` given as text", code="missing-field")
            continue
        entry = Entry(key=key, name=entry_name.strip(), line=line)
        if "url" in allowed and value.get("url") is not None:
            url = value["url"]
            if not isinstance(url, str) or not (url.startswith("/") or url.startswith("https://") or url.startswith("http://")):
                diagnostics.error(name, value.line_of("url"), f"`{group}.{key}.url` must be a site path starting with `/` or an https address", code="invalid-url")
            else:
                entry.url = url
                entry.url_line = value.line_of("url")
        if "role" in allowed and value.get("role") is not None:
            entry.role = _text(value, "role", f"{group}.{key}.role", name, diagnostics) or ""
        desc = value.get("description")
        if desc is not None:
            if isinstance(desc, str):
                entry.description = desc.strip()
            else:
                diagnostics.error(name, value.line_of("description"), f"`{group}.{key}.description` must be text", code="field-type")
        entries[key] = entry
    return entries


# -- theme settings: nav, theme, govuk_brand, footer, strings -----------------

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _load_theme_settings(data, config: SiteConfig, site_dir: Path, name: str, diagnostics: Diagnostics) -> None:
    if data.get("nav") is not None:
        config.nav = _load_links(data["nav"], data.line_of("nav"), "nav", name, diagnostics)
    if data.get("govuk_brand") is not None:
        if isinstance(data["govuk_brand"], bool):
            config.govuk_brand = data["govuk_brand"]
        else:
            diagnostics.error(name, data.line_of("govuk_brand"), "`govuk_brand` must be true or false", code="field-type")
    block = _mapping(data, "theme", {"colour", "logo", "name"}, name, diagnostics)
    if block is not None:
        colour = block.get("colour")
        if colour is not None:
            if not isinstance(colour, str) or not _COLOUR.match(colour):
                diagnostics.error(name, block.line_of("colour"), "`theme.colour` must be a colour written `\"#1d70b8\"` (in quotes)", code="field-type")
            elif contrast_with_white(colour) < 4.5:
                diagnostics.error(name, block.line_of("colour"), f"`theme.colour` {colour} is too light: white text on it must have a contrast of at least 4.5 to 1 (it has {contrast_with_white(colour):.1f}); choose a darker colour", code="low-contrast")
            else:
                config.theme.colour = colour.lower()
        logo = block.get("logo")
        if logo is not None:
            rel = logo.strip().lstrip("/") if isinstance(logo, str) else ""
            path = (site_dir / rel).resolve()
            assets = (site_dir / "assets").resolve()
            if not rel.startswith("assets/") or not path.is_relative_to(assets):
                diagnostics.error(name, block.line_of("logo"), "`theme.logo` must be a file under assets/, such as `assets/logo.svg`", code="field-type")
            elif not path.is_file():
                diagnostics.error(name, block.line_of("logo"), f"`theme.logo`: there is no file {rel}: check the spelling", code="missing-file")
            else:
                config.theme.logo = "/" + rel
        config.theme.name = _text(block, "name", "theme.name", name, diagnostics)
    block = _mapping(data, "footer", {"links", "licence", "owner"}, name, diagnostics)
    if block is not None:
        if block.get("links") is not None:
            config.footer.links = _load_links(block["links"], block.line_of("links"), "footer.links", name, diagnostics)
        licence = block.get("licence")
        if isinstance(licence, bool):
            config.footer.licence = licence
        elif licence is not None:
            config.footer.licence = _text(block, "licence", "footer.licence", name, diagnostics) or True
        config.footer.owner = _text(block, "owner", "footer.owner", name, diagnostics)
    block = _mapping(data, "strings", None, name, diagnostics)
    if block is not None:
        known = known_keys()   # the theme's table names the keys a site may replace
        for key in block:
            language = _language_for_strings(config, key)
            if language is not None and isinstance(block[key], dict):
                target = config.strings if language is True else config.languages[language].strings
                _load_strings(block[key], f"strings.{key}", target, known, name, diagnostics)
                continue
            if key not in known and isinstance(block[key], dict) and LANGUAGE_PATTERN.match(key):
                diagnostics.warning(name, block.line_of(key), f"`strings.{key}` gives words for the language `{key}`, "
                                    f"which `languages:` does not list: add `{key}: {{name: …}}` under `languages:`",
                                    code="unknown-field")
                continue
            _string_entry(block, key, "strings", config.strings, known, name, diagnostics, within="")


def _language_for_strings(config: SiteConfig, key: str):
    """Under `strings:`, a key naming a language: True for the default one, else its
    code in `languages:`; None for a key of the theme's table."""
    if key.lower() in (config.language.lower(), table_language(config.language)):
        return True
    return next((code for code in config.languages if code.lower() == key.lower()), None)


def _load_strings(block, label: str, target: dict[str, str], known: set[str], name: str,
                  diagnostics: Diagnostics) -> None:
    """`strings: {cy: {key: text}}`: one language's own wording."""
    for key in block:
        _string_entry(block, key, label, target, known, name, diagnostics, within=f" in `{label}`")


def _string_entry(block, key: str, label: str, target: dict[str, str], known: set[str], name: str,
                  diagnostics: Diagnostics, within: str) -> None:
    """One `key: text` of a strings table: a known key's text goes into `target`, an unknown key is a warning."""
    if key not in known:
        hint = closest(key, known)
        tip = f", did you mean `{hint}`?" if hint else ": see policysite/theme/strings/en.yaml for the keys"
        diagnostics.warning(name, block.line_of(key), f"unknown string `{key}`{within}{tip}", code="unknown-field")
        return
    text = _text(block, key, f"{label}.{key}", name, diagnostics)
    if text is not None:
        target[key] = text


def _load_languages(data, config: SiteConfig, name: str, diagnostics: Diagnostics) -> None:
    """`languages:`: the languages pages are translated into, `cy: {name: Cymraeg}` each
    (or `cy: Cymraeg`). The default language may be listed too, to give its name."""
    config.language_name = LANGUAGE_NAMES.get(table_language(config.language), config.language)
    block = _mapping(data, "languages", None, name, diagnostics)
    if block is None:
        return
    for code, value in block.items():
        line = block.line_of(code)
        if not isinstance(code, str) or not LANGUAGE_PATTERN.match(code):
            diagnostics.error(name, line, f"`{code}` in `languages` is not a language code: use one such as `cy` for Welsh",
                              code="bad-language")
            continue
        own_name = value if isinstance(value, str) else None
        if isinstance(value, dict):
            for key in value:
                if key != "name":
                    hint = closest(key, ("name",))
                    tip = ", did you mean `name`?" if hint else ": the only setting is `name`"
                    diagnostics.warning(name, value.line_of(key), f"unknown setting `{key}` in `languages.{code}`{tip}",
                                        code="unknown-field")
            own_name = _text(value, "name", f"languages.{code}.name", name, diagnostics)
        elif value is not None and not isinstance(value, str):
            diagnostics.error(name, line, f"`languages.{code}` must be `{{name: …}}`, the language's name in itself, such as `cy: {{name: Cymraeg}}`",
                              code="bad-language")
            continue
        own_name = (own_name or "").strip() or LANGUAGE_NAMES.get(table_language(code))
        if not own_name:
            diagnostics.error(name, line, f"`languages.{code}` needs a `name:`: the language's name in itself, which the page's language link shows",
                              code="bad-language")
            continue
        if table_language(code) == table_language(config.language):
            config.language_name = own_name   # the site's own language, named
            continue
        if any(table_language(other) == table_language(code) for other in config.languages):
            diagnostics.error(name, line, f"`languages` lists `{code}` twice: keep one", code="bad-language")
            continue
        config.languages[code] = Language(code=code, name=own_name, line=line)


def _warn_missing_strings(data, config: SiteConfig, name: str, diagnostics: Diagnostics) -> None:
    """One warning for each language that has no wording for some of the theme's words (they show
    in English), at its line: how many, a few by name, and how to give them."""
    languages = [(config.language, config.language_name, config.strings, data.line_of("language", 1))]
    languages += [(lang.code, lang.name, lang.strings, lang.line) for lang in config.languages.values()]
    english = strings_for("en")
    for code, own_name, overrides, line in languages:
        missing = set(missing_keys(code, overrides))
        if not missing:
            continue
        # A few, in the table's order (the words near the top are the ones every page shows).
        named = [key for key in english if key in missing][:3]
        table = table_path(code) if has_table(code) else f"there is no {table_path(code)}"
        example = f"`strings: {{{code}: {{{', '.join(f'{key}: …' for key in named)}}}}}`"
        if len(missing) == 1:
            key = named[0]
            message = (f"no {own_name} ({code}) wording for the theme's `{key}` (\"{english[key]}\"; {table}): "
                       f"English is shown; add {example} to {CONFIG_NAME}")
        else:
            words = [f"`{key}` (\"{english[key]}\")" for key in named]
            listed = ", ".join(words[:-1]) + " and " + words[-1]
            count = f"all {len(missing)}" if len(missing) == len(english) else str(len(missing))
            message = (f"no {own_name} ({code}) wording for {count} of the theme's words ({table}), "
                       f"{'such as' if len(missing) > len(named) else 'namely'} {listed}: they show in English; "
                       f"give each in {CONFIG_NAME} under `strings:` and the language's code, as {example} "
                       f"(policysite/theme/strings/en.yaml lists every word)")
        diagnostics.warning(name, line, message, code="missing-translation")


def _mapping(data, key: str, allowed: set[str] | None, name: str, diagnostics: Diagnostics):
    """The block under `key`, checked to be a mapping whose keys are `allowed`; None if absent or wrong."""
    if data.get(key) is None:
        return None
    block = data[key]
    if not isinstance(block, dict):
        diagnostics.error(name, data.line_of(key), f"`{key}` must be a list of `setting: value` lines", code="field-type")
        return None
    if allowed is not None:
        for field_name in block:
            if field_name not in allowed:
                hint = closest(field_name, allowed)
                tip = f", did you mean `{hint}`?" if hint else f": known settings are {', '.join(sorted(allowed))}"
                diagnostics.warning(name, block.line_of(field_name), f"unknown setting `{field_name}` in `{key}`{tip}", code="unknown-field")
    return block


def _text(block, key: str, label: str, name: str, diagnostics: Diagnostics) -> str | None:
    value = block.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        diagnostics.error(name, block.line_of(key), f"`{label}` must be text; put it in quotes if it looks like a number, date or yes/no", code="field-type")
        return None
    return value.strip()


def _load_links(value, line: int, label: str, name: str, diagnostics: Diagnostics) -> list[LinkSetting]:
    """`nav:` or `footer.links:`: page paths, or `{title, url}` maps. Whether each
    page or address exists is checked once the site's pages are known (templates.py)."""
    if not isinstance(value, list):
        diagnostics.error(name, line, f"`{label}` must be a list: `- about.md` or `- {{title: Blog, url: https://blog.example.gov.uk/}}`", code="field-type")
        return []
    links = []
    for index, item in enumerate(value):
        item_line = value.line_of(index) if hasattr(value, "line_of") else line
        if isinstance(item, str) and item.strip():
            links.append(LinkSetting(line=item_line, page=item.strip().lstrip("/")))
            continue
        if not isinstance(item, dict):
            diagnostics.error(name, item_line, f"each item of `{label}` is a page such as `about.md` or a `{{title: …, url: …}}`", code="field-type")
            continue
        for field_name in item:
            if field_name not in ("title", "url"):
                hint = closest(field_name, ("title", "url"))
                tip = f", did you mean `{hint}`?" if hint else ": known fields are title, url"
                diagnostics.warning(name, item.line_of(field_name), f"unknown field `{field_name}` in `{label}`{tip}", code="unknown-field")
        title = _text(item, "title", f"{label} title", name, diagnostics)
        url = _text(item, "url", f"{label} url", name, diagnostics)
        if title is None or url is None:
            if "title" not in item or "url" not in item:
                diagnostics.error(name, item_line, f"an item of `{label}` needs both `title:` and `url:`", code="field-type")
            continue
        if not (url.startswith("/") and not url.startswith("//")) and not url.startswith("https://"):
            diagnostics.error(name, item.line_of("url"), f"`{label}` url `{url}` must be a site address starting with `/` or an https address", code="field-type")
            continue
        links.append(LinkSetting(line=item.line_of("url", item_line), title=title, url=url))
    return links


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of white text on `#rrggbb`."""
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)
def _load_types(data, name: str, diagnostics: Diagnostics) -> dict[str, PageType]:
    """`types:`: the site's own page types, each with a label, an optional layout and its own fields."""
    types: dict[str, PageType] = {}
    if "types" not in data or data["types"] is None:
        return types
    block = data["types"]
    if not isinstance(block, dict):
        diagnostics.error(name, data.line_of("types"), "`types` must be a list of `key:` entries, each with a `label:`",
                          code="bad-type-declaration")
        return types
    for key, value in block.items():
        line = block.line_of(key)
        if not KEY_PATTERN.match(key):
            diagnostics.error(name, line, f"`{key}` is not a usable type key: use lower-case letters, digits and hyphens",
                              code="bad-type-declaration")
            continue
        if key in BUILTIN_TYPES:
            diagnostics.error(name, line, f"`{key}` is a built-in page type: give your type another key",
                              code="bad-type-declaration")
            continue
        if not isinstance(value, dict):
            diagnostics.error(name, line, f"`types.{key}` needs `label:` and `fields:` indented below it",
                              code="bad-type-declaration")
            continue
        for setting in value:
            if setting not in SITE_TYPE_SETTINGS:
                hint = closest(setting, SITE_TYPE_SETTINGS)
                tip = f", did you mean `{hint}`?" if hint else f": use {', '.join(SITE_TYPE_SETTINGS)}"
                diagnostics.error(name, value.line_of(setting), f"unknown setting `{setting}` in `types.{key}`{tip}",
                                  code="bad-type-declaration")
        texts = {}
        for setting in ("label", "layout", "description"):
            item = value.get(setting)
            if item is None:
                continue
            if not isinstance(item, str) or not item.strip():
                diagnostics.error(name, value.line_of(setting), f"`types.{key}.{setting}` must be text",
                                  code="bad-type-declaration")
            else:
                texts[setting] = " ".join(item.split())
        if "label" not in value:
            diagnostics.error(name, line, f"`types.{key}` needs a `label:`, such as `label: Official statistics`",
                              code="bad-type-declaration")
        fields = _load_type_fields(value, key, name, diagnostics)
        extra = {"description": texts["description"]} if "description" in texts else {}
        types[key] = PageType(key=key, label=texts.get("label", key), layout=texts.get("layout"),
                              archetype_fields=("title", "description", "type", "date") + tuple(
                                  f.name for f in fields if f.name != "date"),
                              fields=fields, line=line, layout_line=value.line_of("layout", line),
                              builtin=False, **extra)
    return types


def _load_type_fields(value, key: str, name: str, diagnostics: Diagnostics) -> tuple[Field, ...]:
    block = value.get("fields")
    if block is None:
        return ()
    if not isinstance(block, dict):
        diagnostics.error(name, value.line_of("fields"), f"`types.{key}.fields` must be `name: {{type: ...}}` lines",
                          code="bad-type-declaration")
        return ()
    fields = []
    kinds = ", ".join(SITE_FIELD_KINDS)
    for field_name, spec in block.items():
        line = block.line_of(field_name)
        where = f"`types.{key}.fields.{field_name}`"
        if not re.match(r"^[a-z][a-z0-9_]*$", field_name):
            diagnostics.error(name, line, f"{where}: a field name uses lower-case letters, digits and `_`",
                              code="bad-type-declaration")
            continue
        if field_name in FIELD_BY_NAME:
            diagnostics.error(name, line, f"{where}: `{field_name}` is a built-in field: give yours another name",
                              code="bad-type-declaration")
            continue
        if isinstance(spec, str):
            spec_type, required, doc, type_line = spec, False, "", line
        elif isinstance(spec, dict):
            for setting in spec:
                if setting not in SITE_FIELD_SETTINGS:
                    hint = closest(setting, SITE_FIELD_SETTINGS)
                    tip = f", did you mean `{hint}`?" if hint else f": use {', '.join(SITE_FIELD_SETTINGS)}"
                    diagnostics.error(name, spec.line_of(setting), f"unknown setting `{setting}` in {where}{tip}",
                                      code="bad-type-declaration")
            spec_type, type_line = spec.get("type", "string"), spec.line_of("type", line)
            required = spec.get("required", False)
            if not isinstance(required, bool):
                diagnostics.error(name, spec.line_of("required"), f"{where}.required must be true or false",
                                  code="bad-type-declaration")
                required = False
            doc = spec.get("doc", "")
            if not isinstance(doc, str):
                diagnostics.error(name, spec.line_of("doc"), f"{where}.doc must be text", code="bad-type-declaration")
                doc = ""
        else:
            diagnostics.error(name, line, f"{where} must be `{{type: ...}}`, such as `{{type: date, required: true}}`",
                              code="bad-type-declaration")
            continue
        if not isinstance(spec_type, str) or spec_type not in SITE_FIELD_KINDS:
            hint = closest(str(spec_type), SITE_FIELD_KINDS)
            tip = f", did you mean `{hint}`?" if hint else ""
            diagnostics.error(name, type_line, f"unknown field type `{spec_type}` for {where}{tip}: use one of {kinds}",
                              code="bad-type-declaration")
            continue
        kind = SITE_FIELD_KINDS[spec_type]
        fields.append(Field(name=field_name, kind=kind, doc=" ".join(doc.split()) or f"{field_name} ({spec_type})",
                            required_in=frozenset({key}) if required else frozenset(),
                            default=() if kind == "list" else None,
                            placeholder=f"Write the {field_name.replace('_', ' ')} here." if kind == "text" else None))
    return tuple(fields)
