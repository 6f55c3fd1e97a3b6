"""Built statements kept for reuse, and the named parameters that carry a question's window into them.

Building a metrics statement with SQLAlchemy (and deriving its cache key) costs more than running it for a narrow
question: a service's quarter reads a few hundred index entries in about a millisecond, while building the
aggregate of ``deployment_days`` took two. Statements that depend on the window only through the parameters
below are built once per shape of question (filters, grouping, what is asked for) and executed with
``window_params``; SQLAlchemy's own cache then reuses their compiled form too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import BigInteger, BindParameter, bindparam

from doralens.domain.buckets import NS_PER_DAY

T = TypeVar("T")

WINDOW_START = "window_start"
WINDOW_END = "window_end"
FIRST_DAY = "window_first_day"
STOP_DAY = "window_stop_day"


def window_bound(name: str, value: int) -> BindParameter[int]:
    """A named window parameter (``WINDOW_START``, ...) holding ``value`` until an execution passes another."""
    return bindparam(name, value, type_=BigInteger)


def window_params(start: int, end: int) -> dict[str, int]:
    """The values of every window parameter for ``[start, end)``: the bounds and its UTC days ``[first, stop)``."""
    return {
        WINDOW_START: start,
        WINDOW_END: end,
        FIRST_DAY: start // NS_PER_DAY,
        STOP_DAY: (end - 1) // NS_PER_DAY + 1,
    }


class StatementCache:
    """At most ``size`` built statements by key, the least recently used dropped first; safe across threads."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._found: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The statement stored under ``key``, built by ``build`` the first time (or again after eviction)."""
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found  # type: ignore[no-any-return]
        built = build()
        with self._lock:
            self._found[key] = built
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return built

    def clear(self) -> None:
        """Forget every statement."""
        with self._lock:
            self._found.clear()

    def __len__(self) -> int:
        return len(self._found)


STATEMENTS = StatementCache()
