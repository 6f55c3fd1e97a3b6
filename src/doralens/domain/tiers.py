"""DORA performance tiers, one metric at a time, against a State of DevOps report year (2024 default, 2023).

What the reports give is one typical value per cluster and metric, not thresholds (recalled from the reports'
cluster tables; third-party summaries often misquote them, so check the PDFs before quoting):

    2024    deploy frequency               lead time          change fail rate   recovery time
    elite   on demand (several a day)      < 1 day            5%                 < 1 hour
    high    daily to weekly                1 day to 1 week    20%                < 1 day
    medium  weekly to monthly              1 week to 1 month  10%                < 1 day
    low     monthly to every six months    1 to 6 months      40%                1 week to 1 month

    2023    as 2024 for elite; high 10%; medium 15% and recovery 1 day to 1 week; low shares medium's
            deploy frequency and lead time, with 64% and recovery 1 to 6 months.

Corrections to the spec table (spec/metrics.md), which says to check before quoting: the percentages are
the clusters' typical values, not limits, so 2024 low is "40%", not "> 40%", and 2023 low is 64%. Taken as
limits the 2024 table would leave 20-40% and (for recovery) 1 day to 1 week with no tier; here the worst
cluster takes everything past the second-worst bound.

How a value becomes a tier: clusters are ordered by their value for that metric alone (best first); each
cluster's value is the upper bound of its band ("less than" bounds exclusive; percentages, "1 week" and
"1 month" inclusive); the worst cluster takes the rest. When two clusters share a value (2024 high and medium
recovery; 2023 medium and low frequency and lead time) the better tier takes the band, so 2024 recovery never
says medium. A month is 30 days. No tier is given for a value withheld as insufficient (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from doralens.domain.timestamps import NS_PER_SECOND
from doralens.errors import ValidationFailed

DEFAULT_REPORT_YEAR = 2024
REPORT_YEARS = (2023, 2024)

HOUR_NS = 3600 * NS_PER_SECOND
DAY_NS = 24 * HOUR_NS
WEEK_NS = 7 * DAY_NS
MONTH_NS = 30 * DAY_NS

# Deployment frequency (higher is better), from the weekly median of distinct deployment days and the average.
ELITE_MIN_DEPLOY_DAYS_PER_WEEK = 3.0  # deploying on most working days...
ELITE_MIN_DEPLOYS_PER_DAY = 1.0  # ...at least 7 a week on average: more than one per working day
HIGH_MIN_DEPLOY_DAYS_PER_WEEK = 1.0  # a deployment in most weeks
MEDIUM_MIN_DEPLOYS_PER_DAY = 1 / 30  # at least one a month on average

NOTES = {
    2024: (
        "The 2024 clusters are not monotone per metric: the medium cluster's change failure rate (10%) is "
        "lower than the high cluster's (20%), and high and medium share a recovery time (< 1 day). Each "
        "metric is classified on its own: a tier says where that one metric sits, not which cluster a team "
        "belongs to."
    ),
    2023: (
        "In 2023 the low cluster shares the medium cluster's deployment frequency and lead time. Each metric "
        "is classified on its own: a tier says where that one metric sits, not which cluster a team belongs "
        "to."
    ),
}


class Tier(StrEnum):
    """A DORA performance cluster."""

    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class TieredMetric(StrEnum):
    """The metrics the reports give cluster values for (rework rate has none)."""

    DEPLOYMENT_FREQUENCY = "deployment_frequency"
    LEAD_TIME = "change_lead_time"
    CHANGE_FAILURE_RATE = "change_failure_rate"
    RECOVERY_TIME = "recovery_time"


@dataclass(frozen=True, slots=True)
class Band:
    """Values up to ``upper`` (``inclusive`` or not) earn ``tier``; ``label`` says so in words."""

    tier: Tier
    upper: float
    inclusive: bool
    label: str

    def admits(self, value: float) -> bool:
        """True when the value falls within this band's upper bound."""
        return value <= self.upper if self.inclusive else value < self.upper


@dataclass(frozen=True, slots=True)
class TierResult:
    """The tier of one metric, the band that gave it, or the reason there is none."""

    metric: TieredMetric
    report_year: int
    tier: Tier | None
    band: str | None
    reason: str | None


def _rest(tier: Tier, label: str) -> Band:
    return Band(tier, math.inf, False, label)


_LEAD_TIME = (
    Band(Tier.ELITE, DAY_NS, False, "< 1 day"),
    Band(Tier.HIGH, WEEK_NS, True, "1 day to 1 week"),
    Band(Tier.MEDIUM, MONTH_NS, True, "1 week to 1 month"),
    _rest(Tier.LOW, "> 1 month"),
)

_BANDS: dict[int, dict[TieredMetric, tuple[Band, ...]]] = {
    2024: {
        TieredMetric.LEAD_TIME: _LEAD_TIME,
        TieredMetric.CHANGE_FAILURE_RATE: (
            Band(Tier.ELITE, 0.05, True, "≤ 5%"),
            Band(Tier.MEDIUM, 0.10, True, "5% to 10%"),
            Band(Tier.HIGH, 0.20, True, "10% to 20%"),
            _rest(Tier.LOW, "> 20%"),
        ),
        TieredMetric.RECOVERY_TIME: (
            Band(Tier.ELITE, HOUR_NS, False, "< 1 hour"),
            Band(Tier.HIGH, DAY_NS, False, "1 hour to 1 day"),
            _rest(Tier.LOW, "≥ 1 day"),
        ),
    },
    2023: {
        TieredMetric.LEAD_TIME: _LEAD_TIME,
        TieredMetric.CHANGE_FAILURE_RATE: (
            Band(Tier.ELITE, 0.05, True, "≤ 5%"),
            Band(Tier.HIGH, 0.10, True, "5% to 10%"),
            Band(Tier.MEDIUM, 0.15, True, "10% to 15%"),
            _rest(Tier.LOW, "> 15%"),
        ),
        TieredMetric.RECOVERY_TIME: (
            Band(Tier.ELITE, HOUR_NS, False, "< 1 hour"),
            Band(Tier.HIGH, DAY_NS, False, "1 hour to 1 day"),
            Band(Tier.MEDIUM, WEEK_NS, True, "1 day to 1 week"),
            _rest(Tier.LOW, "> 1 week"),
        ),
    },
}


def report_note(report_year: int = DEFAULT_REPORT_YEAR) -> str:
    """The caveat to show beside tiers of that year: clusters are per metric, and not monotone."""
    return NOTES[_checked(report_year)]


def bands(metric: TieredMetric, *, report_year: int = DEFAULT_REPORT_YEAR) -> tuple[Band, ...]:
    """The bands for a duration or rate metric, best tier first."""
    return _BANDS[_checked(report_year)][metric]


def _checked(report_year: int) -> int:
    if report_year not in REPORT_YEARS:
        years = ", ".join(str(y) for y in REPORT_YEARS)
        raise ValidationFailed.at("/report_year", f"must be one of {years}, got {report_year}")
    return report_year


def _insufficient(metric: TieredMetric, report_year: int) -> TierResult:
    return TierResult(metric, report_year, None, None, "insufficient data: no tier")


def _by_bands(metric: TieredMetric, value: float | None, report_year: int) -> TierResult:
    table = bands(metric, report_year=report_year)
    if value is None:
        return _insufficient(metric, report_year)
    band = next(b for b in table if b.admits(value))
    return TierResult(metric, report_year, band.tier, band.label, None)


def classify_change_failure_rate(rate: float | None, *, report_year: int = DEFAULT_REPORT_YEAR) -> TierResult:
    """Tier of a change failure rate given as a fraction (0.05 is 5%); None means insufficient data."""
    return _by_bands(TieredMetric.CHANGE_FAILURE_RATE, rate, report_year)


def classify_lead_time(median_ns: float | None, *, report_year: int = DEFAULT_REPORT_YEAR) -> TierResult:
    """Tier of a median change lead time in nanoseconds; None means insufficient data."""
    return _by_bands(TieredMetric.LEAD_TIME, median_ns, report_year)


def classify_recovery_time(median_ns: float | None, *, report_year: int = DEFAULT_REPORT_YEAR) -> TierResult:
    """Tier of a median recovery time (failed deployment recovery, or time to restore) in nanoseconds."""
    return _by_bands(TieredMetric.RECOVERY_TIME, median_ns, report_year)


def classify_deployment_frequency(
    *,
    per_day: float | None,
    median_deploy_days_per_week: float | None,
    report_year: int = DEFAULT_REPORT_YEAR,
) -> TierResult:
    """Tier of deployment frequency from deployments per day and the weekly median of distinct deploy days.

    Elite: ≥ 3 deploy days in the median week and ≥ 1 deployment a day on average (on demand, several a
    day); high: ≥ 1 deploy day in the median week (daily to weekly); medium: ≥ 1 deployment per 30 days on
    average (weekly to monthly); low: less. All bounds inclusive. The bands are the same in 2023 and 2024.
    """
    metric = TieredMetric.DEPLOYMENT_FREQUENCY
    _checked(report_year)
    if per_day is None or median_deploy_days_per_week is None:
        return _insufficient(metric, report_year)
    if median_deploy_days_per_week >= ELITE_MIN_DEPLOY_DAYS_PER_WEEK and per_day >= ELITE_MIN_DEPLOYS_PER_DAY:
        tier, label = Tier.ELITE, "on demand (several a day)"
    elif median_deploy_days_per_week >= HIGH_MIN_DEPLOY_DAYS_PER_WEEK:
        tier, label = Tier.HIGH, "daily to weekly"
    elif per_day >= MEDIUM_MIN_DEPLOYS_PER_DAY:
        tier, label = Tier.MEDIUM, "weekly to monthly"
    else:
        tier, label = Tier.LOW, "less than monthly"
    return TierResult(metric, report_year, tier, label, None)
