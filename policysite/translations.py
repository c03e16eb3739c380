"""Translations: `x.cy.md` beside `x.md` is the Welsh version of that page.

A translation takes its English page's place in the site: the same section
(so the same breadcrumbs) and the English address with the language added, as
GOV.UK does (`/guidance/x.cy` there, `/guidance/x.cy/` here, a folder a static
host serves). A section's `_index.cy.md` is the Welsh section page
(`/policy.cy/`), the home page's `content/_index.cy.md` is at `/cy/`.

Pages in the site's own language keep `lang == ""`; each page of a pair has
`translations`, one dict shared by all its versions, keyed by `lang`.
"""

from __future__ import annotations

import posixpath
import re

from .config import CONFIG_NAME, SiteConfig
from .diagnostics import Diagnostics
from .model import Page
from .strings import table_language

# `x.fr.md`: a two-letter part before `.md` is taken for a language even when it is
# not listed, so that a translation is never published as a page of its own.
_LANGUAGE_SUFFIX = re.compile(r"^[a-z]{2}$")


def split_language(source: str, config: SiteConfig) -> tuple[str, str | None]:
    """`content/a/x.cy.md` -> (`content/a/x.md`, `cy`); a page in the site's language -> (source, None).

    The part before `.md` names a language when `languages:` lists it, or when it is two
    letters (a language code `languages:` does not list yet: `pair` reports it). Any other
    dotted name (`report.v2.md`) is an ordinary page."""
    folder, _, name = source.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    base, dot2, code = stem.rpartition(".")
    if not dot or not dot2 or not base:
        return source, None
    listed = next((c for c in config.languages if c.lower() == code.lower()), None)
    if listed is None and not _LANGUAGE_SUFFIX.match(code.lower()):
        return source, None
    return f"{folder}/{base}.{suffix}", listed or code.lower()


def is_index(source: str, config: SiteConfig) -> bool:
    """`_index.md` or a translation of one (`_index.cy.md`)."""
    base, _ = split_language(source, config)
    return base.rpartition("/")[2].rpartition(".")[0] == "_index"


def take_translations(loaded: list[Page], config: SiteConfig,
                      diagnostics: Diagnostics) -> list[tuple[Page, str]]:
    """Translations out of `loaded` (which keeps the pages in the site's own language),
    each with its English page's source. A language `languages:` does not list is an error."""
    kept, found = [], []
    default = table_language(config.language)
    for page in loaded:
        base, code = split_language(page.source, config)
        if code is None:
            kept.append(page)
            continue
        if code == default:
            diagnostics.error(page.source, 1, f"pages in the site's own language ({config.language}) have no language in "
                                              f"their file name: rename this file {base.rpartition('/')[2]}",
                              code="bad-language")
            continue
        if code not in config.languages:
            diagnostics.error(page.source, 1, f"`{code}` is not a language of this site: add it to {CONFIG_NAME} as "
                                              f"`languages: {{{code}: {{name: …}}}}` with the language's own name, "
                                              "or rename the file", code="bad-language")
            continue
        page.lang = code
        found.append((page, base))
    loaded[:] = kept
    return found


def attach(pending: list[tuple[Page, str]], sections: dict[str, Page], by_source: dict[str, Page],
           config: SiteConfig, diagnostics: Diagnostics, left_out: set[str] = frozenset()) -> list[Page]:
    """Give each translation its English page's place and address; the ones placed.

    `sections` maps folders to section pages, `by_source` sources to the English pages;
    a translation of a page in `left_out` (a draft, or one that cannot be read) is left out too."""
    placed = []
    for page, base in pending:
        if base in left_out:
            continue
        english = sections.get(posixpath.dirname(base)) if is_index(base, config) else by_source.get(base)
        if english is None or not english.url:
            if english is None:
                diagnostics.error(page.source, 1, f"this is a translation of {base}, which does not exist: write the "
                                                  f"page in {config.language_name} first, or rename this file",
                                  code="translation-without-page")
            continue
        if page.lang in english.translations:
            continue   # two files for one translation (x.cy.md and x.cy.markdown) claim one address: see claim_urls
        page.kind = english.kind
        page.parent = english.parent
        page.url = translated_url(english.url, page.lang)
        if not english.translations:   # model.NO_VERSIONS: its first
            english.translations = {"": english}
        english.translations[page.lang] = page
        page.translations = english.translations   # one dict for all versions
        placed.append(page)
    return placed


def translated_url(url: str, code: str) -> str:
    """`/policy/x/` -> `/policy/x.cy/`; the home page `/` -> `/cy/`."""
    if url == "/":
        return f"/{code}/"
    return url.rstrip("/") + f".{code}/"


def version(page: Page, lang: str) -> Page:
    """`page` in the language `lang` when it has that version, else `page` itself."""
    return page.translations.get(lang, page) if page.translations else page


def original(page: Page) -> Page:
    """The page in the site's own language."""
    return page.translations.get("", page) if page.translations else page
