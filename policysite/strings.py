"""The words the theme shows, by language, with a site's own replacements.

Tables live in policysite/theme/strings/LANG.yaml, keyed by the primary
language subtag (`en-GB` reads en.yaml, `cy` reads cy.yaml). A key missing
from a language's table falls back to English; a site's `strings:` setting
replaces single entries. Layouts call `t("key", name=value)`: the text is
escaped, and so are the values, unless they are already safe HTML (a link
the layout built).
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from markupsafe import Markup, escape

STRINGS_DIR = Path(__file__).parent / "theme" / "strings"
FALLBACK = "en"


@functools.cache
def _table(language: str) -> dict[str, str]:
    path = STRINGS_DIR / f"{language}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()}


def table_language(language: str) -> str:
    """`en-GB` -> `en`: the table a site language reads."""
    return language.split("-")[0].lower()


def known_keys() -> set[str]:
    return set(_table(FALLBACK))


def strings_for(language: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The whole table for a site: English, then its language, then its own settings."""
    return {**_table(FALLBACK), **_table(table_language(language)), **(overrides or {})}


class Translator:
    """`t(key, **values)` for the layouts."""

    def __init__(self, strings: dict[str, str]):
        self.strings = strings

    def __call__(self, key: str, **values) -> Markup:
        text = self.strings.get(key)
        if text is None:
            raise KeyError(f"no string `{key}` in policysite/theme/strings/{FALLBACK}.yaml")
        template = Markup(escape(text))
        return template.format(**values) if values else template
