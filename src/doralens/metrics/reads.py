"""A question's independent reads, run at the same time.

The metrics of one question read deployments, failures and (on PostgreSQL) change-failure recoveries in separate
statements that do not depend on each other. Each read takes its own pooled connection, and both drivers let other
threads run while a statement executes, so running them on a small shared pool of threads makes the question take
about as long as its longest read instead of their sum. Each read is its own transaction already, on one connection
or several alike, so nothing about what a read sees changes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Threads start on first use and are reused by every question of the process. A read only waits on its database,
# so a handful is enough: a question starts at most two reads besides its own thread's.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="doralens-read")


def start(read: Callable[[], T]) -> Future[T]:
    """Begin ``read`` on the shared pool; ``result()`` returns its value or raises its exception."""
    return _POOL.submit(read)
