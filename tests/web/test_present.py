"""Numbers in words: durations, percentages, counts, and the trend against the previous period."""

from __future__ import annotations

from doralens.web.present import duration, number, per_day, percent, trend


def test_durations_pick_a_readable_unit() -> None:
    assert [duration(v) for v in (None, 42, 90, 5400, 93_600)] == ["—", "42 s", "1.5 min", "1.5 h", "1.1 d"]


def test_ratios_counts_and_rates() -> None:
    assert (percent(1 / 3), percent(None), number(1234, "deployments"), number(0.05, "ratio")) == (
        "33.3%",
        "—",
        "1,234",
        "5.0%",
    )
    assert (per_day(2.5), per_day(0.2)) == ("2.5 per day", "1.4 per week")


def test_trend_direction_depends_on_the_metric() -> None:
    faster = trend("change_lead_time", {"value": 3600.0}, {"value": 7200.0})
    assert faster is not None
    assert (faster["direction"], faster["better"], faster["change"]) == ("down", True, -0.5)
    more = trend("deployment_frequency", {"per_day": 2.0}, {"per_day": 1.0})
    assert more is not None
    assert (more["direction"], more["better"]) == ("up", True)
    worse = trend("change_failure_rate", {"value": 0.2}, {"value": 0.0})
    assert worse is not None
    assert worse["text"] == "up from zero (worse)"
    assert trend("time_to_restore", {"value": 1.0}, {"value": None}) is None
    assert trend("time_to_restore", {"value": 1.0, "insufficient_data": True}, {"value": 1.0}) is None
