"""Percentiles like PostgreSQL percentile_cont, distributions and rates with the insufficient-data rule."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doralens.domain.stats import Distribution, Rate, mean, median, percentile_cont, rate

HOUR_NS = 3_600_000_000_000

values_strategy = st.lists(st.integers(min_value=0, max_value=10**15), min_size=1, max_size=60)
fractions = st.floats(min_value=0.0, max_value=1.0)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([10, 20, 30, 40], 0.5, 25.0),  # halfway between ranks 1 and 2
        ([10, 20, 30, 40], 0.75, 32.5),  # position 2.25
        ([10, 20, 30, 40], 0.9, 37.0),  # position 2.7
        ([1, 2, 4, 7, 100], 0.5, 4.0),  # odd count: the middle value
        ([1, 2, 4, 7, 100], 0.75, 7.0),  # position 3.0 exactly
        # position 3.6: 7 + 0.6 * 93; PostgreSQL 15 prints 62.80000000000001 for the same query
        ([1, 2, 4, 7, 100], 0.9, 62.80000000000001),
        ([0, 10], 0.25, 2.5),
        ([5], 0.9, 5.0),
        ([10, 20, 30, 40], 0.0, 10.0),
        ([10, 20, 30, 40], 1.0, 40.0),
    ],
)
def test_percentile_cont_interpolates_between_closest_ranks(
    values: list[int], fraction: float, expected: float
) -> None:
    assert percentile_cont(values, fraction) == expected


def test_percentile_cont_sorts_unless_told_values_are_sorted() -> None:
    assert percentile_cont([40, 10, 30, 20], 0.5) == 25.0
    # presorted skips the sort: the caller vouches for the order (as ORDER BY does)
    assert percentile_cont([10, 20, 30, 40], 0.5, presorted=True) == 25.0


def test_percentile_of_nothing_is_none() -> None:
    assert percentile_cont([], 0.5) is None
    assert median([]) is None
    assert mean([]) is None


@pytest.mark.parametrize("fraction", [-0.1, 1.01])
def test_percentile_fraction_outside_zero_to_one_is_rejected(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile_cont([1, 2], fraction)


def test_distribution_of_three_durations() -> None:
    one, two, three = HOUR_NS, 2 * HOUR_NS, 3 * HOUR_NS
    summary = Distribution.from_values([three, one, two])
    assert summary.n == 3
    assert summary.median == 7_200_000_000_000  # 2 h
    assert summary.p75 == 9_000_000_000_000  # 2.5 h: position 1.5
    assert summary.p90 == 10_080_000_000_000  # 2.8 h: position 1.8
    assert summary.mean == 7_200_000_000_000
    assert summary.max == 10_800_000_000_000
    assert not summary.insufficient
    assert summary.reason is None


def test_distribution_below_minimum_keeps_n_and_withholds_values() -> None:
    summary = Distribution.from_values([HOUR_NS, 2 * HOUR_NS])
    assert summary.n == 2
    assert (summary.median, summary.p75, summary.p90, summary.mean, summary.max) == (None,) * 5
    assert summary.insufficient
    assert summary.reason == "insufficient data: n=2, at least 3 needed"


def test_distribution_minimum_is_configurable() -> None:
    summary = Distribution.from_values([HOUR_NS], min_n=1)
    assert summary.median == 3_600_000_000_000
    assert not summary.insufficient


def test_distribution_of_nothing_is_insufficient() -> None:
    summary = Distribution.from_values([], min_n=1)
    assert summary.n == 0
    assert summary.insufficient
    assert summary.median is None


def test_distribution_from_sorted_refuses_unsorted_values() -> None:
    with pytest.raises(ValueError, match="sorted"):
        Distribution.from_sorted([2, 1, 3])


def test_distribution_from_sql_aggregates_applies_the_same_minimum() -> None:
    kept = Distribution.from_aggregates(n=5, median=4.0, p75=7.0, p90=62.8, mean=22.8, max=100.0)
    assert (kept.n, kept.median, kept.p90, kept.max) == (5, 4.0, 62.8, 100.0)
    withheld = Distribution.from_aggregates(n=2, median=1.5, p75=1.75, p90=1.9, mean=1.5, max=2.0)
    assert withheld.n == 2
    assert withheld.median is None
    assert withheld.insufficient


def test_distribution_cannot_carry_values_it_should_withhold() -> None:
    with pytest.raises(ValueError, match="insufficient"):
        Distribution(n=1, median=1.0, p75=None, p90=None, mean=None, max=None, min_n=3)


def test_minimum_sample_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Distribution.from_values([1, 2, 3], min_n=0)
    with pytest.raises(ValueError, match="at least 1"):
        rate(1, 2, min_n=0)


def test_rate_keeps_numerator_and_denominator() -> None:
    assert rate(1, 4) == Rate(numerator=1, denominator=4, value=0.25, min_n=1)
    assert rate(1, 4).n == 4


def test_rate_over_zero_is_insufficient_not_zero() -> None:
    empty = rate(0, 0)
    assert empty.value is None
    assert empty.insufficient
    assert empty.reason == "insufficient data: n=0, at least 1 needed"


def test_rate_may_exceed_one_when_counting_unrelated_events() -> None:
    # incident_ratio counts failures over deployments: three failures over two deployments
    assert rate(3, 2).value == 1.5


def test_rate_below_configured_minimum_is_withheld() -> None:
    assert rate(1, 4, min_n=5).value is None
    assert rate(1, 4, min_n=5).insufficient


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        rate(-1, 3)


@given(values_strategy, fractions, fractions)
def test_percentile_is_monotone_in_the_fraction(values: list[int], first: float, second: float) -> None:
    low, high = sorted((first, second))
    assert percentile_cont(values, low) <= percentile_cont(values, high)  # type: ignore[operator]


@given(values_strategy, fractions, st.randoms(use_true_random=False))
def test_percentile_ignores_input_order_and_stays_within_range(
    values: list[int], fraction: float, rnd: random.Random
) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)
    result = percentile_cont(shuffled, fraction)
    assert result == percentile_cont(values, fraction)
    assert result is not None
    assert min(values) <= result <= max(values)


@given(values_strategy)
def test_distribution_values_are_ordered(values: list[int]) -> None:
    summary = Distribution.from_values(values, min_n=1)
    assert summary.median is not None
    assert summary.p75 is not None
    assert summary.p90 is not None
    assert summary.mean is not None
    assert summary.max is not None
    assert summary.median <= summary.p75 <= summary.p90 <= summary.max
    assert min(values) <= summary.mean <= summary.max
