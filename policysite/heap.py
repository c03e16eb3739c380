"""Python's cycle collector, held off while a build makes objects that all live on."""

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
