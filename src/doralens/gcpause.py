"""Automatic garbage collection paused around bulk work: an import's batches, a refresh's batch of streams.

Such work builds hundreds of thousands of objects (rows, events, verdicts) and makes no reference cycles worth
chasing, so reference counting frees them. With automatic collection on, every time the live objects grew by a
quarter a full collection walked all of them again: a quarter of the time of a refresh's large batch. The switch is
the interpreter's, shared by every thread: a block turns collection back on at its end only if it was on at its start.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def automatic_collection_off() -> Iterator[None]:
    """Automatic garbage collection off while the block runs (``gc.collect`` still works)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
