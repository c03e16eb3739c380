"""A consultation's state at the build time, and GOV.UK's way of writing its times.

A consultation is forthcoming before `opens`, open until `closes`, then
closed; once closed, a consultation with an `outcome:` page is shown as its
outcome. The state decides the label shown above the title, in listings and
in search, and the banner on the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .schema import moment

FORTHCOMING, OPEN, CLOSED, OUTCOME = "forthcoming", "open", "closed", "outcome"
# The key of each state's label in the theme's strings table.
LABEL_KEYS = {FORTHCOMING: "consultation_forthcoming", OPEN: "consultation_open",
              CLOSED: "consultation_closed", OUTCOME: "consultation_outcome"}


@dataclass(frozen=True)
class ConsultationState:
    state: str              # FORTHCOMING, OPEN, CLOSED or OUTCOME
    opens: dt.datetime | None   # aware, as written (a date alone: the start of that day, UTC); None: not given
    closes: dt.datetime     # aware, as written (a date alone: 11:59pm that day, UTC)

    @property
    def label_key(self) -> str:
        return LABEL_KEYS[self.state]


def opening(value: dt.date) -> dt.datetime:
    """When a consultation opens: the time written, or the start of the day for a date alone."""
    return moment(value)


def closing(value: dt.date) -> dt.datetime:
    """When a consultation closes: the time written, or 11:59pm for a date alone, as GOV.UK writes it."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, 23, 59, tzinfo=dt.UTC)


def state_at(opens: dt.date | None, closes: dt.date, has_outcome: bool, now: dt.datetime) -> ConsultationState:
    """The state at `now`; a consultation without `opens` is open until it closes."""
    start, end = (opening(opens) if opens is not None else None), closing(closes)
    if start is not None and now < start:
        state = FORTHCOMING
    elif now < end:
        state = OPEN
    else:
        state = OUTCOME if has_outcome else CLOSED
    return ConsultationState(state, start, end)


def govuk_time(when: dt.datetime, strings: dict[str, str]) -> str:
    """9:00am, 11:59pm, midday, midnight: the time as written in front matter."""
    if when.minute == 0 and when.hour in (0, 12):
        return strings["time_midnight" if when.hour == 0 else "time_midday"]
    hour = when.hour % 12 or 12
    return strings["time_am" if when.hour < 12 else "time_pm"].format(time=f"{hour}:{when.minute:02d}")
