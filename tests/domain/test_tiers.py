"""DORA tiers per metric for the 2024 and 2023 reports, with their bounds and the non-monotone note."""

from __future__ import annotations

import pytest

from doralens.domain.tiers import (
    Tier,
    TieredMetric,
    TierResult,
    bands,
    classify_change_failure_rate,
    classify_deployment_frequency,
    classify_lead_time,
    classify_recovery_time,
    report_note,
)
from doralens.errors import ValidationFailed

SECOND = 1_000_000_000
HOUR = 3_600 * SECOND
DAY = 86_400 * SECOND

ELITE, HIGH, MEDIUM, LOW = Tier.ELITE, Tier.HIGH, Tier.MEDIUM, Tier.LOW


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.0, ELITE),
        (0.05, ELITE),  # 5% inclusive
        (0.0501, MEDIUM),
        (0.10, MEDIUM),  # 10% inclusive
        (0.15, HIGH),
        (0.20, HIGH),  # 20% inclusive
        (0.2001, LOW),
        (0.40, LOW),
        (1.0, LOW),
    ],
)
def test_change_failure_rate_2024(rate: float, expected: Tier) -> None:
    assert classify_change_failure_rate(rate).tier is expected


def test_2024_medium_has_a_lower_change_failure_rate_than_high() -> None:
    # the clusters are not monotone: 8% sits with medium (10%), 15% with high (20%)
    assert classify_change_failure_rate(0.08).tier is MEDIUM
    assert classify_change_failure_rate(0.15).tier is HIGH
    assert "not monotone" in report_note(2024)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(0.05, ELITE), (0.10, HIGH), (0.12, MEDIUM), (0.15, MEDIUM), (0.151, LOW), (0.64, LOW)],
)
def test_change_failure_rate_2023(rate: float, expected: Tier) -> None:
    assert classify_change_failure_rate(rate, report_year=2023).tier is expected


@pytest.mark.parametrize(
    ("median_ns", "expected"),
    [
        (HOUR - 1, ELITE),
        (HOUR, HIGH),  # "less than one hour" excludes the hour
        (DAY - 1, HIGH),
        (DAY, LOW),  # 2024: nothing between high/medium (< 1 day) and low (1 week to 1 month)
        (3 * DAY, LOW),
        (40 * DAY, LOW),
    ],
)
def test_recovery_time_2024(median_ns: int, expected: Tier) -> None:
    assert classify_recovery_time(median_ns).tier is expected


def test_recovery_time_2024_never_says_medium() -> None:
    # high and medium share "less than one day": the better tier takes the band
    assert MEDIUM not in {b.tier for b in bands(TieredMetric.RECOVERY_TIME, report_year=2024)}


@pytest.mark.parametrize(
    ("median_ns", "expected"),
    [(HOUR - 1, ELITE), (HOUR, HIGH), (DAY, MEDIUM), (7 * DAY, MEDIUM), (7 * DAY + 1, LOW)],
)
def test_recovery_time_2023(median_ns: int, expected: Tier) -> None:
    assert classify_recovery_time(median_ns, report_year=2023).tier is expected


@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize(
    ("median_ns", "expected"),
    [
        (DAY - 1, ELITE),
        (DAY, HIGH),  # "less than one day" excludes the day
        (7 * DAY, HIGH),  # one week inclusive
        (7 * DAY + 1, MEDIUM),
        (30 * DAY, MEDIUM),  # a month is 30 days, inclusive
        (30 * DAY + 1, LOW),
    ],
)
def test_lead_time(year: int, median_ns: int, expected: Tier) -> None:
    assert classify_lead_time(median_ns, report_year=year).tier is expected


@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize(
    ("per_day", "days_per_week", "expected"),
    [
        (2.0, 5.0, ELITE),  # several a day on most days
        (1.0, 3.0, ELITE),  # both bounds inclusive
        (0.99, 5.0, HIGH),  # every working day, but once
        (1.5, 2.0, HIGH),  # bursts on two days a week
        (0.2, 1.0, HIGH),  # weekly
        (0.1, 0.5, MEDIUM),  # every other week
        (1 / 30, 0.0, MEDIUM),  # once in 30 days, inclusive
        (0.03, 0.0, LOW),
        (0.0, 0.0, LOW),
    ],
)
def test_deployment_frequency(year: int, per_day: float, days_per_week: float, expected: Tier) -> None:
    result = classify_deployment_frequency(per_day=per_day, median_deploy_days_per_week=days_per_week, report_year=year)
    assert result.tier is expected


@pytest.mark.parametrize(
    "result",
    [
        classify_change_failure_rate(None),
        classify_lead_time(None),
        classify_recovery_time(None, report_year=2023),
        classify_deployment_frequency(per_day=0.5, median_deploy_days_per_week=None),
        classify_deployment_frequency(per_day=None, median_deploy_days_per_week=2.0),
    ],
)
def test_no_tier_for_insufficient_data(result: TierResult) -> None:
    assert result.tier is None
    assert result.band is None
    assert result.reason == "insufficient data: no tier"


def test_result_names_the_band_and_the_year() -> None:
    assert classify_change_failure_rate(0.15) == TierResult(
        metric=TieredMetric.CHANGE_FAILURE_RATE, report_year=2024, tier=HIGH, band="10% to 20%", reason=None
    )


def test_unknown_report_year_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationFailed, match="/report_year: must be one of 2023, 2024, got 2022"):
        classify_lead_time(DAY, report_year=2022)
    with pytest.raises(ValidationFailed):
        classify_deployment_frequency(per_day=1.0, median_deploy_days_per_week=1.0, report_year=2025)


def test_2023_note_says_low_and_medium_share_throughput() -> None:
    assert "shares the medium cluster's deployment frequency and lead time" in report_note(2023)
