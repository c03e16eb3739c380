"""The words the theme shows, by language, with a site's own replacements.

Tables live in policysite/theme/strings/LANG.yaml, keyed by the primary
language subtag (`en-GB` reads en.yaml, `cy` reads cy.yaml). A key missing
from a language's table falls back to English (config.py warns about each one,
`missing-translation`); a site's `strings:` setting replaces single entries,
for the default language directly and for another under its code
(`strings: {cy: {published: …}}`). Layouts call `t("key", name=value)`: the
text is escaped, and so are the values, unless they are already safe HTML (a
link the layout built). Dates are written by `format_date`, in the page's
language, with the month names of the `months` string.
"""

from __future__ import annotations

import datetime as dt
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
    # LibYAML's parser where PyYAML has it: the same tables, read ten times as fast (every build reads one).
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return {str(k): str(v) for k, v in data.items()}


def table_language(language: str) -> str:
    """`en-GB` -> `en`: the table a site language reads."""
    return language.split("-")[0].lower()


def table_path(language: str) -> str:
    """The theme's table for a language, as messages name it."""
    return f"policysite/theme/strings/{table_language(language)}.yaml"


def has_table(language: str) -> bool:
    return bool(_table(table_language(language)))


def known_keys() -> set[str]:
    return set(_table(FALLBACK))


def missing_keys(language: str, overrides: dict[str, str] | None = None) -> list[str]:
    """The theme's keys with no wording in `language` (its table and the site's
    own), which show in English. None for English itself."""
    short = table_language(language)
    if short == FALLBACK:
        return []
    own = _table(short)
    return sorted(key for key in _table(FALLBACK) if key not in own and key not in (overrides or {}))


def strings_for(language: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The whole table for a language: English, then that language, then the site's own settings."""
    return {**_table(FALLBACK), **_table(table_language(language)), **(overrides or {})}


def format_date(value, months: list[str]) -> str:
    """6 November 2008 (6 Tachwedd 2008), as GOV.UK writes dates: day, month, year."""
    if not isinstance(value, dt.date):
        return ""
    return f"{value.day} {months[value.month - 1]} {value.year}"


def month_names(strings: dict[str, str]) -> list[str]:
    """The twelve names in a table's `months` string (English ones if it does not hold twelve)."""
    names = strings.get("months", "").split()
    return names if len(names) == 12 else _table(FALLBACK)["months"].split()


# Values that always give the same text: a wording filled with them can be remembered.
_PLAIN_VALUES = frozenset({str, Markup, int, float, bool, type(None), dt.date, dt.datetime})


class Translator:
    """`t(key, **values)` for the layouts, and `date(value)` in the same language."""

    # Remembered wordings with values are dropped past this many, so a huge site's
    # titles (`paged_title`, `pages_about`) do not pile up.
    MEMO_LIMIT = 20_000

    def __init__(self, strings: dict[str, str]):
        self.strings = strings
        self.months = month_names(strings)
        # Layouts ask for the same few words on every page: each wording is escaped once.
        self._plain: dict[str, Markup] = {}
        self._filled: dict[tuple, Markup] = {}

    def __call__(self, key: str, **values) -> Markup:
        if not values:
            template = self._plain.get(key)
            if template is None:
                template = self._plain[key] = self._template(key)
            return template
        if not all(type(value) in _PLAIN_VALUES for value in values.values()):
            return self._template(key).format(**values)   # a list, an undefined, an object: not remembered
        # The values' types are part of the key: Markup("<b>") and "<b>" are equal, yet
        # only the second is escaped.
        memo_key = (key, *sorted((name, type(value), value) for name, value in values.items()))
        text = self._filled.get(memo_key)
        if text is None:
            text = self._template(key).format(**values)
            if len(self._filled) >= self.MEMO_LIMIT:
                self._filled.clear()
            self._filled[memo_key] = text
        return text

    def _template(self, key: str) -> Markup:
        text = self.strings.get(key)
        if text is None:
            raise KeyError(f"no string `{key}` in policysite/theme/strings/{FALLBACK}.yaml")
        return Markup(escape(text))

    def texts(self, *keys: str) -> dict[str, str]:
        """The unescaped wording of each key, for a script to read (escape it on output)."""
        missing = [key for key in keys if key not in self.strings]
        if missing:
            raise KeyError(f"no string `{missing[0]}` in policysite/theme/strings/{FALLBACK}.yaml")
        return {key: self.strings[key] for key in keys}

    def date(self, value) -> str:
        return format_date(value, self.months)
