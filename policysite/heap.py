"""Python's cycle collector, held off while a build makes objects that all live on, and kept
from walking again and again what a build holds until it ends."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """Loading pages, reading the cache's index and importing the build make many small objects
    that all live on; the cycle collector, set off again and again as they pile up, would walk
    them all each time to find no garbage. It runs again after (if it was running before)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# How many `frozen` blocks are open: only the outermost unfreezes. (gc.get_freeze_count counts
# the frozen objects one by one: milliseconds each time, once a build's site is frozen.)
_open = 0


@contextlib.contextmanager
def frozen():
    """What exists now, and whatever the block freezes (`lasting`), is left out of the cycle
    collector's walks until the outermost such block ends (gc.freeze): then everything frozen
    can be collected again, as `serve`, building again and again, needs of the last site."""
    global _open
    gc.freeze()
    _open += 1
    try:
        yield
    finally:
        _open -= 1
        if not _open:
            gc.unfreeze()


@contextlib.contextmanager
def lasting():
    """For a step whose objects live as long as the build, inside `frozen`: the collector is
    paused while the step makes them, and they are frozen once it is done."""
    with collector_paused():
        yield
        gc.freeze()
