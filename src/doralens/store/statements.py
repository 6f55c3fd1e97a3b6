"""Built statements kept for reuse, and the named parameters that carry a question's window into them.

Building a metrics statement with SQLAlchemy (and deriving its cache key) costs more than running it for a narrow
question: a service's quarter reads a few hundred index entries in about a millisecond, while building the
aggregate of ``deployment_days`` took two. Statements that depend on the window only through the parameters
below are built once per shape of question (filters, grouping, what is asked for) and executed with
``window_params``.

``fetch`` runs such a statement on the driver's cursor, compiled once per dialect. SQLAlchemy's execution and
result layers cost about 0.6 ms for the 90 rows of a service's quarter (measured against the same statement on
the same pooled connection), more than half of the SQLite read itself; the rows these reads return are plain
numbers and text, which need none of that layer's processing.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy import BigInteger, BindParameter, Connection, Executable, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

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


def fetch(conn: Connection, stmt: Executable, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Every row of a kept statement as the driver returns it (tuples; PostgreSQL sums as ``Decimal``).

    For statements whose parameters are numbers, text or None, as the metrics reads' are: no bind or result
    processing is applied. The read runs outside a transaction on SQLite (one statement sees one snapshot); on
    PostgreSQL the driver opens one, which the pool rolls back when the connection is returned.
    """
    compiled = _compiled(stmt, conn.dialect)
    state = compiled.construct_expanded_state(dict(params or {}))
    args = tuple(state.positional_parameters) if compiled.positional else state.parameters
    cursor = conn.connection.cursor()
    try:
        cursor.execute(state.statement, args)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


# Each kept statement's compiled forms by dialect name; an entry goes with its statement.
_COMPILED: weakref.WeakKeyDictionary[Executable, dict[str, SQLCompiler]] = weakref.WeakKeyDictionary()
_COMPILED_LOCK = threading.Lock()


def _compiled(stmt: Executable, dialect: Dialect) -> SQLCompiler:
    """``stmt`` compiled for ``dialect``, once."""
    with _COMPILED_LOCK:
        found = _COMPILED.get(stmt, {}).get(dialect.name)
    if found is not None:
        return found
    compiled = stmt.compile(dialect=dialect)  # type: ignore[attr-defined]
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {stmt!r}")
    with _COMPILED_LOCK:
        _COMPILED.setdefault(stmt, {})[dialect.name] = compiled
    return compiled


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
