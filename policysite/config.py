"""site_config.yaml to a checked SiteConfig.

Unknown settings are warnings (with a 'did you mean'), wrong types errors,
each at the line of the setting, so a typo in the config never passes quietly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import yamlfile
from .diagnostics import Diagnostics, closest

CONFIG_NAME = "site_config.yaml"

TOP_LEVEL = {
    "title", "base_url", "language", "description",
    "organisations", "governments", "current_government", "topics",
    "hooks",
}
ENTRY_FIELDS = {
    "organisations": {"name", "url", "description"},
    "governments": {"name"},
    "topics": {"name", "description"},
}
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_UNSAFE_URL = re.compile(r"[\s\"'<>`{}|\\^\x00-\x1f\x7f]")
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass
class Entry:
    """An organisation, government or topic named in site_config."""

    key: str
    name: str
    url: str | None = None
    description: str = ""
    line: int = 1                 # the line of its key in site_config.yaml
    url_line: int | None = None   # the line of its `url:`


@dataclass
class HookFile:
    """One `hooks:` entry: a Python file inside the site folder (hooks.py runs it)."""
    source: str                   # as written, site-relative
    path: Path                    # resolved, inside the site folder
    line: int                     # its line in site_config.yaml


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
        diagnostics.error(name, 1, f"{CONFIG_NAME} is missing: create it with at least `title:` and `base_url:`")
        config.readable = False
        return config
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        diagnostics.error(name, line, "the file is not valid UTF-8 text: save it as UTF-8")
        config.readable = False
        return config
    try:
        data = yamlfile.load(text.replace("\r\n", "\n"))
    except yamlfile.YamlProblem as problem:
        diagnostics.error(name, problem.line, problem.message.replace("front matter", CONFIG_NAME))
        config.readable = False
        return config
    if data is None:
        data = yamlfile.LinedDict()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, dict):
        diagnostics.error(name, getattr(data, "line", 1), f"{CONFIG_NAME} must be a list of `setting: value` lines")
        config.readable = False
        return config

    config.lines = dict(data.key_lines)
    for key in data:
        if key not in TOP_LEVEL:
            hint = closest(key, TOP_LEVEL)
            tip = f", did you mean `{hint}`?" if hint else f": known settings are {', '.join(sorted(TOP_LEVEL))}"
            diagnostics.warning(name, data.line_of(key), f"unknown setting `{key}`{tip}")

    def text_setting(key: str, required: bool) -> str | None:
        if key not in data or data[key] is None:
            if required:
                diagnostics.error(name, 1, f"`{key}:` is required in {CONFIG_NAME}")
            return None
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            diagnostics.error(name, data.line_of(key), f"`{key}` must be text; put it in quotes if it looks like a number, date or yes/no")
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
            diagnostics.error(name, where, f"{source} must be an absolute http or https address such as https://www.example.gov.uk/")
        else:
            config.base_url = normal

    language = text_setting("language", False)
    if language:
        if LANGUAGE_PATTERN.match(language):
            config.language = language
        else:
            diagnostics.error(name, data.line_of("language"), "`language` must be a language tag such as en-GB or cy")

    for group in ("organisations", "governments", "topics"):
        entries = _load_entries(data, group, name, diagnostics)
        setattr(config, group, entries)

    if "current_government" in data:
        current = text_setting("current_government", False)
        if current is not None:
            if current not in config.governments:
                hint = closest(current, config.governments)
                tip = f", did you mean `{hint}`?" if hint else ": add it under `governments:`"
                diagnostics.error(name, data.line_of("current_government"), f"unknown government `{current}`{tip}")
            else:
                config.current_government = current
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


def _load_entries(data, group: str, name: str, diagnostics: Diagnostics) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    if group not in data or data[group] is None:
        return entries
    block = data[group]
    if not isinstance(block, dict):
        diagnostics.error(name, data.line_of(group), f"`{group}` must be a list of `key:` entries, each with a `name:`")
        return entries
    allowed = ENTRY_FIELDS[group]
    for key, value in block.items():
        line = block.line_of(key)
        if not KEY_PATTERN.match(key):
            diagnostics.error(name, line, f"`{key}` is not a usable key: use lower-case letters, digits and hyphens")
            continue
        if isinstance(value, str):
            entries[key] = Entry(key=key, name=value, line=line)
            continue
        if not isinstance(value, dict):
            diagnostics.error(name, line, f"`{group}.{key}` must have a `name:`")
            continue
        for field_name in value:
            if field_name not in allowed:
                hint = closest(field_name, allowed)
                tip = f", did you mean `{hint}`?" if hint else f": known fields are {', '.join(sorted(allowed))}"
                diagnostics.warning(name, value.line_of(field_name), f"unknown field `{field_name}` in `{group}.{key}`{tip}")
        entry_name = value.get("name")
        if not isinstance(entry_name, str) or not entry_name.strip():
            diagnostics.error(name, value.line_of("name", line), f"`{group}.{key}` needs a `name:` given as text")
            continue
        entry = Entry(key=key, name=entry_name.strip(), line=line)
        if "url" in allowed and value.get("url") is not None:
            url = value["url"]
            if not isinstance(url, str) or not (url.startswith("/") or url.startswith("https://") or url.startswith("http://")):
                diagnostics.error(name, value.line_of("url"), f"`{group}.{key}.url` must be a site path starting with `/` or an https address")
            else:
                entry.url = url
                entry.url_line = value.line_of("url")
        desc = value.get("description")
        if desc is not None:
            if isinstance(desc, str):
                entry.description = desc.strip()
            else:
                diagnostics.error(name, value.line_of("description"), f"`{group}.{key}.description` must be text")
        entries[key] = entry
    return entries
