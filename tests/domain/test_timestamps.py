"""RFC 3339 parsing keeps every nanosecond that formatting writes."""

from __future__ import annotations

import pytest

from doralens.domain.timestamps import format_rfc3339, parse_rfc3339

NS = 1_693_491_974_000_000_000  # 2023-08-31T14:26:14Z


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
