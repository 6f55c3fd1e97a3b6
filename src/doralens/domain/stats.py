"""Interpolated percentiles (PostgreSQL ``percentile_cont``), distributions, rates, "insufficient data".

A value computed from fewer samples than a configurable minimum is withheld (``None``) rather than shown: a
median of two durations is not one anyone should act on. The sample size ``n`` is always kept, so the caller
can say how much data there was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from operator import le

DEFAULT_MIN_N_DURATIONS = 3
DEFAULT_MIN_N_RATES = 1


def insufficient_reason(n: int, min_n: int) -> str | None:
    """The sentence shown instead of a value computed from too few samples, or None when there are enough."""
    if n >= min_n:
        return None
    return f"insufficient data: n={n}, at least {min_n} needed"


def percentile_cont(values: Sequence[float], fraction: float, *, presorted: bool = False) -> float | None:
    """The ``fraction`` percentile, interpolated between closest ranks like PostgreSQL ``percentile_cont``."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"percentile fraction must be between 0 and 1, got {fraction}")
    if not values:
        return None
    ordered = values if presorted else sorted(values)
    # The same arithmetic, in the same order, as PostgreSQL's float8 lerp: both backends give the same digits.
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    first = float(ordered[lower])
    return first + (float(ordered[upper]) - first) * (position - lower)


def median(values: Sequence[float], *, presorted: bool = False) -> float | None:
    """The interpolated median (``percentile_cont(0.5)``), None for no values."""
    return percentile_cont(values, 0.5, presorted=presorted)


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, None for no values."""
    if not values:
        return None
    # Summing integers first keeps nanosecond sums exact; the one division then rounds once.
    return sum(values) / len(values)


def _check_min_n(min_n: int) -> None:
    if min_n < 1:
        raise ValueError(f"the minimum sample size must be at least 1, got {min_n}")


@dataclass(frozen=True, slots=True)
class Distribution:
    """Summary of a sample (durations in ns, usually); every value is None when ``n < min_n``."""

    n: int
    median: float | None
    p75: float | None
    p90: float | None
    mean: float | None
    max: float | None
    min_n: int = DEFAULT_MIN_N_DURATIONS

    def __post_init__(self) -> None:
        _check_min_n(self.min_n)
        values = (self.median, self.p75, self.p90, self.mean, self.max)
        if self.insufficient and any(v is not None for v in values):
            raise ValueError("a distribution with insufficient data must not carry values")

    @property
    def insufficient(self) -> bool:
        """True when there are fewer samples than ``min_n``."""
        return self.n < self.min_n

    @property
    def reason(self) -> str | None:
        """Why the values are withheld, or None."""
        return insufficient_reason(self.n, self.min_n)

    @classmethod
    def from_values(cls, values: Iterable[float], *, min_n: int = DEFAULT_MIN_N_DURATIONS) -> Distribution:
        """Summarise unsorted values."""
        return cls.from_sorted(sorted(values), min_n=min_n)

    @classmethod
    def from_sorted(cls, values: Sequence[float], *, min_n: int = DEFAULT_MIN_N_DURATIONS) -> Distribution:
        """Summarise values already sorted ascending (as ``ORDER BY`` returns them)."""
        if not all(map(le, values, islice(values, 1, None))):
            raise ValueError("values must be sorted ascending")
        n = len(values)
        if n < min_n:
            return cls.withheld(n=n, min_n=min_n)
        return cls(
            n=n,
            median=percentile_cont(values, 0.5, presorted=True),
            p75=percentile_cont(values, 0.75, presorted=True),
            p90=percentile_cont(values, 0.9, presorted=True),
            mean=mean(values),
            max=float(values[-1]),
            min_n=min_n,
        )

    @classmethod
    def from_aggregates(
        cls,
        *,
        n: int,
        median: float | None,
        p75: float | None,
        p90: float | None,
        mean: float | None,
        max: float | None,  # named like the SQL column; shadows the builtin only in this signature
        min_n: int = DEFAULT_MIN_N_DURATIONS,
    ) -> Distribution:
        """Wrap aggregates computed elsewhere (SQL ``percentile_cont``), withheld when ``n < min_n``."""
        if n < min_n:
            return cls.withheld(n=n, min_n=min_n)
        return cls(n=n, median=median, p75=p75, p90=p90, mean=mean, max=max, min_n=min_n)

    @classmethod
    def withheld(cls, *, n: int, min_n: int = DEFAULT_MIN_N_DURATIONS) -> Distribution:
        """A distribution of ``n < min_n`` samples: sizes kept, values withheld."""
        if n >= min_n:
            raise ValueError(f"n={n} is enough for min_n={min_n}: compute the values instead")
        return cls(n=n, median=None, p75=None, p90=None, mean=None, max=None, min_n=min_n)


@dataclass(frozen=True, slots=True)
class Rate:
    """``numerator / denominator`` with both kept; ``value`` is None when the denominator is below min_n."""

    numerator: int
    denominator: int
    value: float | None
    min_n: int = DEFAULT_MIN_N_RATES

    @property
    def n(self) -> int:
        """The sample size of a rate is its denominator."""
        return self.denominator

    @property
    def insufficient(self) -> bool:
        """True when the denominator is below ``min_n``."""
        return self.denominator < self.min_n

    @property
    def reason(self) -> str | None:
        """Why the value is withheld, or None."""
        return insufficient_reason(self.denominator, self.min_n)


def rate(numerator: int, denominator: int, *, min_n: int = DEFAULT_MIN_N_RATES) -> Rate:
    """Build a rate from counts (from Python or from SQL ``count(*)``), withholding it below ``min_n``."""
    _check_min_n(min_n)
    if numerator < 0 or denominator < 0:
        raise ValueError("counts must not be negative")
    value = None if denominator < min_n else numerator / denominator
    return Rate(numerator=numerator, denominator=denominator, value=value, min_n=min_n)
