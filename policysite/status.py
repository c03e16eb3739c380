"""A page's status: withdrawn, published under an earlier government, or a
consultation's state.

Worked out once for each page when the site is built (site.py), and read by
everything that shows it: titles, listings, the notices on the page, the
type label and both search indexes. It holds facts, not words: layouts take
the words from the strings table of the page's language, and search.js from
the search page's (see search.html).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import SiteConfig
    from .model import Page


@dataclass(frozen=True)
class PageStatus:
    """What a page says about itself besides its content; all empty for a current page."""

    withdrawn: bool = False
    withdrawn_on: dt.date | None = None
    withdrawn_explanation: str = ""
    # The name of the government a political page was published under, when that is not the current one.
    earlier_government: str | None = None
    # A consultation's state at the build time (consultation.FORTHCOMING …), None for other pages.
    consultation: str | None = None

    def __bool__(self) -> bool:
        """True when listings and search mark the page: withdrawn or from an earlier government."""
        return self.withdrawn or self.earlier_government is not None

    def search_data(self) -> dict:
        """What search stores: no words, only facts (`withdrawn`, the government's name)."""
        data: dict = {}
        if self.withdrawn:
            data["withdrawn"] = True
        if self.earlier_government is not None:
            data["government"] = self.earlier_government
        return data

    def search_key(self) -> str:
        """search_data as compact JSON ("" for none): equal statuses share one entry in the index."""
        data = self.search_data()
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if data else ""


CURRENT = PageStatus()


def status_of(page: Page, config: SiteConfig) -> PageStatus:
    """A page's status from its checked front matter and the site's governments.

    A government key the site does not list gives no earlier government: there
    is no name to show (loading reports the key)."""
    fields = page.fields
    withdrawn = fields.get("withdrawn")
    earlier = None
    key = fields.get("government")
    if fields.get("political") and key and key != config.current_government and key in config.governments:
        earlier = config.governments[key].name
    consultation = page.consultation.state if page.consultation is not None else None
    if not withdrawn and earlier is None and consultation is None:
        return CURRENT
    return PageStatus(
        withdrawn=bool(withdrawn),
        withdrawn_on=withdrawn.get("date") if isinstance(withdrawn, dict) else None,
        withdrawn_explanation=(withdrawn.get("explanation") or "") if isinstance(withdrawn, dict) else "",
        earlier_government=earlier,
        consultation=consultation,
    )
