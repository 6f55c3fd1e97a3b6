"""ProgressLog: silent for quick work, a line per interval for long work, and its end."""

from __future__ import annotations

import logging

import pytest

from doralens.progress import ProgressLog

log = logging.getLogger("doralens.test_progress")


class Clock:
    """Seconds, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(steps: list[float], total: int, caplog: pytest.LogCaptureFixture, end: float | None = None) -> list[str]:
    clock = Clock()
    progress = ProgressLog(log, "lead time", total, "streams", every=10.0, clock=clock)
    with caplog.at_level(logging.INFO, logger=log.name):
        for at in steps:
            clock.now = at
            progress.advance()
        clock.now = end if end is not None else clock.now
        progress.finish()
    return [r.getMessage() for r in caplog.records]


def test_work_that_ends_within_the_interval_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert _run([3.0, 6.0, 9.9], total=3, caplog=caplog) == []


def test_long_work_logs_once_per_interval_then_its_end(caplog: pytest.LogCaptureFixture) -> None:
    # the interval counts from the last line, not from the start
    lines = _run([4.0, 11.0, 15.0, 20.5, 22.0], total=5, caplog=caplog, end=25.0)
    assert lines == [
        "lead time: 2 of 5 streams, 11 s so far",
        "lead time: 5 of 5 streams, 22 s so far",
        "lead time: 5 of 5 streams in 25.0 s",
    ]


def test_work_stopped_half_way_says_how_far_it_got(caplog: pytest.LogCaptureFixture) -> None:
    lines = _run([12.0], total=600, caplog=caplog, end=13.0)
    assert lines == ["lead time: 1 of 600 streams, 12 s so far", "lead time: 1 of 600 streams in 13.0 s"]


def test_advance_counts_a_batch_at_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    progress = ProgressLog(log, "verdicts and attributions", 64, "streams", every=0.0, clock=clock)
    with caplog.at_level(logging.INFO, logger=log.name):
        progress.advance(40)
    assert [r.getMessage() for r in caplog.records] == ["verdicts and attributions: 40 of 64 streams, 0 s so far"]
