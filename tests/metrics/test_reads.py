"""Reads started on the shared pool: their value, their exception, and reads that run at the same time."""

from __future__ import annotations

import threading

import pytest

from doralens.metrics.reads import start


def test_a_started_read_gives_its_value_or_raises_its_exception() -> None:
    assert start(lambda: 42).result() == 42

    def broken() -> int:
        raise ValueError("no such column")

    with pytest.raises(ValueError, match="no such column"):
        start(broken).result()


def test_reads_run_at_the_same_time() -> None:
    # Each read waits for the other: they can only both finish when they run at once.
    both = threading.Barrier(2, timeout=5)
    first, second = start(both.wait), start(both.wait)
    assert {first.result(), second.result()} == {0, 1}
