"""Reads started on the shared pool (or inline when quick): their value, their exception, reads that run at the same
time, and where a read runs after its last run."""

from __future__ import annotations

import threading
import time

import pytest

from doralens.metrics.reads import INLINE_BELOW_SECONDS, last_seconds, start


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


def test_a_read_quick_the_last_time_runs_on_the_asking_thread() -> None:
    def where() -> str:
        return threading.current_thread().name

    key = ("quick", object())
    assert last_seconds(key) is None
    assert start(where, key=key).result().startswith("doralens-read")  # first time: on the pool, measured
    assert last_seconds(key) is not None
    assert start(where, key=key).result() == threading.current_thread().name


def test_a_read_slow_the_last_time_goes_back_to_the_pool() -> None:
    delay = {"seconds": 0.0}

    def where() -> str:
        time.sleep(delay["seconds"])
        return threading.current_thread().name

    key = ("grows", object())
    start(where, key=key).result()
    delay["seconds"] = INLINE_BELOW_SECONDS * 2
    assert start(where, key=key).result() == threading.current_thread().name  # measured slow here
    assert start(where, key=key).result().startswith("doralens-read")


def test_an_inline_read_raises_its_exception_from_result() -> None:
    calls = {"n": 0}

    def sometimes() -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("database is locked")
        return 1

    key = ("raises", object())
    assert start(sometimes, key=key).result() == 1
    inline = start(sometimes, key=key)
    with pytest.raises(ValueError, match="database is locked"):
        inline.result()
