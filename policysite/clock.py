"""The build's one clock: when a build counts as happening.

`SOURCE_DATE_EPOCH` (seconds since 1970, UTC) when it is set, so a build can be
repeated exactly; otherwise the current time. It is read once per build and
passed down. What depends on it (a consultation's state, whether a page dated
later is published yet) changes only when the clock passes one of the moments
pages name, so `window` says for how long a build's result holds.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

ENVIRONMENT_VARIABLE = "SOURCE_DATE_EPOCH"


class ClockProblem(ValueError):
    """SOURCE_DATE_EPOCH is set but is not a number of seconds."""


def build_time(environ=None) -> dt.datetime:
    """The build time, timezone-aware (UTC)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(ENVIRONMENT_VARIABLE)
    if raw is None or raw.strip() == "":
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    text = raw.strip()
    if not text.isdigit():
        raise ClockProblem(f"{ENVIRONMENT_VARIABLE} must be a whole number of seconds since 1970, "
                           f"such as 1700000000, not `{raw}`: correct it or unset it")
    try:
        return dt.datetime.fromtimestamp(int(text), dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ClockProblem(f"{ENVIRONMENT_VARIABLE} `{raw}` is too far from today to be a date") from None


@dataclass(frozen=True)
class Window:
    """The times between which a build's clock-dependent outcomes stay the same:
    from `since` (included) until `until` (not included); None: unbounded."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def holds(self, now: dt.datetime) -> bool:
        return (self.since is None or self.since <= now) and (self.until is None or now < self.until)

    def as_list(self) -> list:
        return [self.since.timestamp() if self.since else None, self.until.timestamp() if self.until else None]

    @classmethod
    def from_list(cls, value) -> Window | None:
        """The window `as_list` wrote, or None when it is not one."""
        if not isinstance(value, list) or len(value) != 2:
            return None
        if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in value):
            return None
        since, until = (None if v is None else dt.datetime.fromtimestamp(v, dt.UTC) for v in value)
        return cls(since, until)


def window(moments, now: dt.datetime) -> Window:
    """The window around `now` that none of `moments` (aware datetimes) falls inside:
    an outcome that compares the clock with them is the same throughout."""
    since = max((m for m in moments if m <= now), default=None)
    until = min((m for m in moments if m > now), default=None)
    return Window(since, until)
