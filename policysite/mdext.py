"""The Python-Markdown extensions a site chooses in `markdown_extensions:`.

Each is named as Python-Markdown names it (`admonition`, `markdown.extensions.toc`,
`some_package.module`, `module:Class`), with optional settings, and is added after
policysite's own. Loading one runs code from an installed package, so every
failure (not installed, refused settings, an error while it sets itself up) is
caught here and reported at the extension's line in site_config.yaml.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import types
from dataclasses import dataclass, field

import markdown
import markdown.util
from markdown.extensions import Extension

# Modules whose extensions were checked with the renderer's stand-ins (mdspeed): output
# with and without them is equal (tests/test_markdown_extensions.py). With any other
# extension a site renders without the stand-ins.
CHECKED_WITH_STAND_INS = frozenset(f"markdown.extensions.{name}" for name in (
    "abbr", "admonition", "attr_list", "codehilite", "def_list", "extra", "fenced_code", "footnotes",
    "legacy_attrs", "legacy_em", "md_in_html", "meta", "nl2br", "sane_lists", "smarty", "tables", "toc",
    "wikilinks",
))


@dataclass(frozen=True)
class ExtensionSetting:
    """One entry of `markdown_extensions:`."""

    name: str
    options: dict[str, object] = field(default_factory=dict)   # passed to the extension as keyword arguments
    line: int = 1


class ExtensionProblem(Exception):
    """An extension that cannot be used; the message says what to do."""


def _maker(name: str):
    """What makes the extension `name`, found as Python-Markdown finds it (an entry point in the
    `markdown.extensions` group, `module:Class`, or a module's `makeExtension`), but only when
    it is one: an Extension class, or a module's `makeExtension` function. Anything else in the
    installed packages (`os:system`, `runpy:run_path`) is never called, so site_config.yaml
    cannot run a function of its choice with settings of its choice."""
    for entry_point in markdown.util.get_installed_extensions():
        if entry_point.name == name:
            made_by = entry_point.load()
            break
    else:
        module_name, _, class_name = name.partition(":")
        try:
            module = importlib.import_module(module_name)   # ImportError: reported by load
        except (ValueError, TypeError):   # an empty or relative module name
            raise ImportError(name) from None
        if class_name:
            made_by = getattr(module, class_name, None)
        else:
            made_by = getattr(module, "makeExtension", None)
            if isinstance(made_by, types.FunctionType):
                return made_by
    if isinstance(made_by, type) and issubclass(made_by, Extension):
        return made_by
    raise ExtensionProblem(f"`{name}` is not a Python-Markdown extension: check its name")


def load(setting: ExtensionSetting) -> Extension:
    """The extension, made with its settings; ExtensionProblem when that fails."""
    try:
        extension = _maker(setting.name)(**setting.options)
    except ImportError:
        raise ExtensionProblem(f"Markdown extension `{setting.name}` cannot be found: check its name, or install "
                               "the package that provides it in the same Python as policysite") from None
    except ExtensionProblem:
        raise
    except KeyError as exc:   # Extension.setConfig: a setting the extension does not have
        raise ExtensionProblem(f"Markdown extension `{setting.name}` has no setting `{exc.args[0] if exc.args else ''}`: "
                               "check the name against its documentation") from None
    except Exception as exc:   # an installed package's code: anything may go wrong in it
        raise ExtensionProblem(f"Markdown extension `{setting.name}` refused its settings ({_describe(exc)}): "
                               "check them against its documentation") from None
    if not isinstance(extension, Extension):
        raise ExtensionProblem(f"`{setting.name}` is not a Python-Markdown extension: check its name")
    return extension


def check(settings: list[ExtensionSetting]) -> list[tuple[int, str]]:
    """(line, message) for each extension that cannot be loaded or cannot set itself up."""
    problems = []
    for setting in settings:
        try:
            _try(setting)
        except ExtensionProblem as problem:
            problems.append((setting.line, str(problem)))
    return problems


def _try(setting: ExtensionSetting) -> None:
    """Load the extension and let it set up a Markdown instance of its own; ExtensionProblem when that fails."""
    extension = load(setting)
    try:
        markdown.Markdown(extensions=[extension]).convert("Text.")
    except Exception as exc:
        raise ExtensionProblem(f"Markdown extension `{setting.name}` failed while setting itself up "
                               f"({_describe(exc)}): check its settings, or remove it") from None


def load_all(settings: list[ExtensionSetting]) -> list[Extension]:
    """New instances of the extensions that work; the others were reported by `check` when the configuration was read."""
    out = []
    for setting in settings:
        try:
            _try(setting)
            out.append(load(setting))
        except ExtensionProblem:
            continue
    return out


def checked_with_stand_ins(extensions: list[Extension]) -> bool:
    """True when every extension is one the stand-ins were checked with."""
    return all(type(extension).__module__ in CHECKED_WITH_STAND_INS for extension in extensions)


def fingerprint(settings: list[ExtensionSetting]) -> str:
    """Changes when the extensions, their settings or the packages that provide them change."""
    h = hashlib.sha1()
    for setting in settings:
        h.update(json.dumps([setting.name, setting.options], sort_keys=True, default=repr).encode())
        h.update(_version(setting.name).encode())
    return h.hexdigest()


@functools.cache
def _version(name: str) -> str:
    """The version of the distribution that provides the module `name` (its top-level package), if known."""
    import importlib.metadata  # here: only sites that configure extensions pay for its import

    top = name.split(":")[0].split(".")[0]
    try:
        return ",".join(f"{dist}={importlib.metadata.version(dist)}"
                        for dist in importlib.metadata.packages_distributions().get(top, []))
    except Exception:   # broken package metadata: the name and settings still count
        return ""


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
