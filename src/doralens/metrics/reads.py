"""A question's independent reads, run at the same time when that pays.

The metrics of one question read deployments, failures and (on PostgreSQL) change-failure recoveries in separate
statements that do not depend on each other. Each read takes its own pooled connection, and both drivers let other
threads run while a statement executes, so running them on a small shared pool of threads makes the question take
about as long as its longest read instead of their sum. Each read is its own transaction already, on one connection
or several alike, so nothing about what a read sees changes.

A short read gains nothing from another thread: the hand-off, and two threads taking turns at the interpreter
while they build and unpack their statements, cost about a millisecond, more than a narrow question's read takes.
So each kind of read remembers how long it took the last time (by a key naming the question's shape), and one
that was quicker than ``INLINE_BELOW_SECONDS`` runs on the asking thread instead. A read that has grown slow
is measured there too, and goes back to the pool the next time. The API's metrics endpoints decide the same way
whether a whole answer runs on the event loop or goes to a worker thread (``was_quick``, ``timed``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

INLINE_BELOW_SECONDS = 0.002

# Threads start on first use and are reused by every question of the process. A read only waits on its database,
# so a handful is enough: a question starts at most two reads besides its own thread's.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="doralens-read")
_LAST_SECONDS: dict[Hashable, float] = {}
_LAST_LOCK = threading.Lock()
_REMEMBERED = 4096


def start(read: Callable[[], T], *, key: Hashable | None = None) -> Future[T]:
    """Begin ``read`` (on the shared pool unless its last run under ``key`` was quick); ``result()`` returns its
    value or raises its exception."""
    if key is not None and was_quick(key):
        done: Future[T] = Future()
        try:
            done.set_result(timed(read, key))
        except Exception as error:  # raised again by result(), as from the pool
            done.set_exception(error)
        return done
    return _POOL.submit(timed, read, key)


def last_seconds(key: Hashable) -> float | None:
    """How long the read under ``key`` took the last time, if it ran."""
    return _LAST_SECONDS.get(key)


def was_quick(key: Hashable, below: float = INLINE_BELOW_SECONDS) -> bool:
    """True when the work under ``key`` ran the last time and took less than ``below`` seconds."""
    return _LAST_SECONDS.get(key, below) < below


def timed(read: Callable[[], T], key: Hashable | None) -> T:
    """``read()``, remembering how long it took under ``key`` (when given), even when it raises."""
    started = time.perf_counter()
    try:
        return read()
    finally:
        if key is not None:
            with _LAST_LOCK:
                if len(_LAST_SECONDS) >= _REMEMBERED:
                    _LAST_SECONDS.clear()
                _LAST_SECONDS[key] = time.perf_counter() - started
