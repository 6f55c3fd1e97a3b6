"""The filter form's choices (services, envs and teams of the deployment streams, severities of the failures), read
from a store at most once every ``TTL_SECONDS``.

No index leads to the failures' severities, so listing them scans the failures table: tens of milliseconds at a
hundred thousand failures, on every page, for a list that rarely changes. A severity first sent within the last
``TTL_SECONDS`` may be missing from the list for that long; the numbers on a page are never cached.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from doralens.store.base import EventStore
from doralens.store.records import StreamFacets

TTL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """What the filter form offers."""

    facets: StreamFacets
    severities: tuple[str, ...]


_read: weakref.WeakKeyDictionary[EventStore, tuple[float, FilterChoices]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def filter_choices(store: EventStore, *, now: float | None = None) -> FilterChoices:
    """The store's filter choices, read again once the last read is ``TTL_SECONDS`` old."""
    moment = time.monotonic() if now is None else now
    with _lock:
        found = _read.get(store)
    if found is not None and 0 <= moment - found[0] < TTL_SECONDS:
        return found[1]
    choices = FilterChoices(store.stream_facets(), store.failure_severities())
    with _lock:
        _read[store] = (moment, choices)
    return choices
