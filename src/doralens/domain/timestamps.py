"""Timestamps: Unix time in s, ms, µs or ns inferred from magnitude; stored as integer nanoseconds (UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

NS_PER_SECOND = 1_000_000_000

# Accepted instants: from 1970-01-02 (anything earlier is almost surely a unit mistake) up to 2200-01-01.
EARLIEST_NS = 86_400 * NS_PER_SECOND
LATEST_NS = 7_258_118_400 * NS_PER_SECOND

# Decade boundaries between units: a present-day instant is ~1.7e9 s, 1.7e12 ms, 1.7e15 µs, 1.7e18 ns.
_UNIT_BOUNDS: tuple[tuple[int, int], ...] = (
    (10**11, NS_PER_SECOND),  # seconds
    (10**14, 1_000_000),  # milliseconds
    (10**17, 1_000),  # microseconds
)


_FRACTION = re.compile(r"^(?P<head>.*[Tt ]\d{2}:\d{2}:\d{2})\.(?P<digits>\d+)(?P<zone>.*)$")


class TimestampError(ValueError):
    """A value cannot be read as a Unix timestamp; the message says why."""


def to_nanoseconds(value: object) -> int:
    """Convert a JSON number in s, ms, µs or ns to integer nanoseconds, rejecting out-of-range instants."""
    if isinstance(value, bool):
        raise TimestampError("must be an integer Unix timestamp, not a boolean")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TimestampError("must be a finite integer Unix timestamp")
        if not value.is_integer():
            raise TimestampError("must be an integer Unix timestamp (s, ms or ns), not a fraction")
        if abs(value) >= 2**63:
            raise TimestampError("is out of range: larger than a 64-bit integer (was a unit multiplied twice?)")
        value = int(value)
    if not isinstance(value, int):
        raise TimestampError("must be an integer Unix timestamp in seconds, milliseconds or nanoseconds")
    if value <= 0:
        raise TimestampError("must be a positive Unix timestamp")
    if value >= 2**63:
        raise TimestampError("is out of range: larger than a 64-bit integer")
    ns = value
    for bound, factor in _UNIT_BOUNDS:
        if value < bound:
            ns = value * factor
            break
    if not EARLIEST_NS <= ns < LATEST_NS:
        raise TimestampError(
            f"is out of range: {value} reads as {format_rfc3339(min(max(ns, 0), LATEST_NS))}; "
            "send seconds, milliseconds or nanoseconds since 1970"
        )
    return ns


def format_rfc3339(ns: int) -> str:
    """Format integer nanoseconds as an RFC 3339 UTC string, with fractional seconds only when present."""
    seconds, rest = divmod(ns, NS_PER_SECOND)
    base = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if rest == 0:
        return base + "Z"
    fraction = f"{rest:09d}".rstrip("0")
    return f"{base}.{fraction}Z"


def parse_rfc3339(text: str) -> int:
    """Parse an RFC 3339 string (``Z`` or an offset) into integer nanoseconds UTC."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    # datetime keeps microseconds only: read the fraction ourselves so "…14.123456789Z" keeps its nanoseconds
    # (digits past the ninth are below our resolution and dropped).
    fraction_ns = 0
    fraction = _FRACTION.match(raw)
    if fraction:
        fraction_ns = int(fraction["digits"][:9].ljust(9, "0"))
        raw = fraction["head"] + fraction["zone"]
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise TimestampError("must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z") from exc
    if parsed.tzinfo is None:
        raise TimestampError("must carry a time zone (Z or an offset such as +00:00)")
    return from_datetime(parsed) + fraction_ns


def from_datetime(moment: datetime) -> int:
    """Convert an aware datetime to integer nanoseconds UTC."""
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1_000


def to_datetime(ns: int) -> datetime:
    """Convert integer nanoseconds to an aware UTC datetime (microsecond precision)."""
    return datetime.fromtimestamp(ns // 1_000 / 1_000_000, tz=UTC)


_AGE_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}


def parse_moment(text: str, *, now: int) -> int:
    """Read a command-line time: RFC 3339, a date (midnight UTC), ``now``, or an age such as ``7d`` or ``12h``."""
    raw = text.strip().lower()
    if raw == "now":
        return now
    amount, unit = raw.lstrip("-")[:-1], raw[-1:]
    if unit in _AGE_UNITS and amount.isdigit():
        return now - int(amount) * _AGE_UNITS[unit] * NS_PER_SECOND
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        return parse_rfc3339(f"{raw}T00:00:00Z")
    return parse_rfc3339(text)


_EVENT_AGE = re.compile(r"^-?(?P<amount>\d+)\s*(?P<unit>[smhdw])(?:\s+ago)?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?(?:e\+?\d+)?$")
EVENT_TIME_FORMS = "Unix time in s, ms or ns, ISO 8601 with a zone (2023-11-14T11:17:28Z), now, or an age (15m, 2h)"


def parse_event_time(text: str, *, now: int) -> int:
    """Read an event time given on the command line (``--started-at``) into integer nanoseconds UTC.

    Accepts what datadog-ci accepts (Unix seconds, ISO 8601 with a zone), any unit ``to_nanoseconds`` infers,
    fractional seconds (``date +%s.%N``), ``now``, and an age before now such as ``90s``, ``15m`` or ``2h ago``.
    """
    raw = text.strip().lower()
    if raw == "now":
        return now
    age = _EVENT_AGE.match(raw)
    if age:
        seconds = int(age["amount"]) * (1 if age["unit"] == "s" else _AGE_UNITS[age["unit"]])
        return now - seconds * NS_PER_SECOND
    if _NUMBER.match(raw):
        value = Decimal(raw)
        if value == value.to_integral_value():
            return to_nanoseconds(int(value))
        # A fraction is unambiguous only on seconds; on a larger unit it is more likely a mistake.
        if value >= _UNIT_BOUNDS[0][0]:
            raise TimestampError("may have a fraction only in Unix seconds")
        ns = int(value * NS_PER_SECOND)
    else:
        try:
            ns = parse_rfc3339(text)
        except TimestampError as exc:
            raise TimestampError(f"{exc}; accepted: {EVENT_TIME_FORMS}") from None
    if not EARLIEST_NS <= ns < LATEST_NS:
        raise TimestampError(f"is out of range: {format_rfc3339(max(ns, 0))} is not between 1970-01-02 and 2200")
    return ns
