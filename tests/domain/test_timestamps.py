"""Unit inference, range checks and RFC 3339 conversion of timestamps."""

from __future__ import annotations

import pytest

from doralens.domain.timestamps import (
    TimestampError,
    format_rfc3339,
    parse_event_time,
    parse_rfc3339,
    to_nanoseconds,
)

NS = 1_693_491_974_000_000_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_693_491_974, NS),
        (1_693_491_974_000, NS),
        (1_693_491_974_000_000, NS),
        (NS, NS),
        (1_693_491_974.0, NS),
        (86_400, 86_400 * 10**9),
        (7_258_118_399, 7_258_118_399 * 10**9),
    ],
)
def test_units_are_inferred_from_magnitude(value: int | float, expected: int) -> None:
    assert to_nanoseconds(value) == expected


@pytest.mark.parametrize(
    "value",
    [0, -1, 86_399, 1.699960648e21, 2**63, 10**30, 1.5, float("nan"), float("inf"), True, "1693491974", None],
)
def test_rejected_values(value: object) -> None:
    with pytest.raises(TimestampError):
        to_nanoseconds(value)


def test_rfc3339_round_trip_keeps_nanoseconds() -> None:
    assert format_rfc3339(NS) == "2023-08-31T14:26:14Z"
    assert format_rfc3339(NS + 123_456_789) == "2023-08-31T14:26:14.123456789Z"
    assert parse_rfc3339("2023-08-31T14:26:14Z") == NS
    assert parse_rfc3339("2023-08-31T16:26:14+02:00") == NS
    assert parse_rfc3339("2023-08-31T14:26:14.5Z") == NS + 500_000_000


@pytest.mark.parametrize("text", ["2023-08-31", "yesterday", "2023-08-31T14:26:14"])
def test_rfc3339_needs_a_full_date_time_with_zone(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_rfc3339(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-08-31T14:26:14.123456789Z", NS + 123_456_789),
        ("2023-08-31T16:26:14.000000001+02:00", NS + 1),
        ("2023-08-31T14:26:14.5Z", NS + 500_000_000),
        ("2023-08-31T14:26:14.1234567891Z", NS + 123_456_789),  # below a nanosecond: dropped
    ],
)
def test_rfc3339_parse_keeps_all_nine_fraction_digits(text: str, expected: int) -> None:
    assert parse_rfc3339(text) == expected


def test_rfc3339_format_then_parse_is_the_identity_at_nanosecond_resolution() -> None:
    assert parse_rfc3339(format_rfc3339(NS + 123_456_789)) == NS + 123_456_789


DD_CI_NS = 1_699_960_648 * 10**9  # datadog-ci's documented example, 2023-11-14T11:17:28Z
NOW = 1_700_000_000 * 10**9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1699960648", DD_CI_NS),  # what datadog-ci accepts: Unix seconds ...
        ("2023-11-14T11:17:28Z", DD_CI_NS),  # ... and ISO 8601 with a zone
        ("2023-11-14T12:17:28+01:00", DD_CI_NS),
        ("20231114T111728Z", DD_CI_NS),
        ("1.699960648e9", DD_CI_NS),
        ("1699960648000", DD_CI_NS),  # milliseconds, microseconds and nanoseconds by magnitude
        ("1699960648000000", DD_CI_NS),
        (str(DD_CI_NS), DD_CI_NS),
        ("1699960648.25", DD_CI_NS + 250_000_000),  # date +%s.%N
        ("2023-11-14T11:17:28.123456789Z", DD_CI_NS + 123_456_789),
        (" now ", NOW),
        ("NOW", NOW),
        ("90s", NOW - 90 * 10**9),
        ("15m", NOW - 15 * 60 * 10**9),
        ("-2h", NOW - 2 * 3600 * 10**9),
        ("1d ago", NOW - 86_400 * 10**9),
    ],
)
def test_event_times_from_the_command_line(text: str, expected: int) -> None:
    assert parse_event_time(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2023-11-14T11:17:28", "time zone"),
        ("yesterday", "accepted: Unix time"),
        ("1699960648000.5", "fraction only in Unix seconds"),
        ("1.699960648e21", "out of range"),  # milliseconds multiplied as if seconds, as datadog-ci can send
        ("0", "positive"),
        ("1.5", "out of range"),
        ("2300-01-01T00:00:00Z", "out of range"),
        ("", "accepted"),
    ],
)
def test_event_times_rejected_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(TimestampError, match=message):
        parse_event_time(text, now=NOW)
