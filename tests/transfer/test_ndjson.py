"""NDJSON lines: blank lines skipped, numbers counted from 1, JSON accepted and refused as the API does."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from doralens.api.body import parse_json
from doralens.api.schemas import parse_deployment
from doralens.errors import ValidationFailed
from doralens.transfer.ndjson import parse_line, read_lines


def test_lines_are_numbered_from_one_and_blank_ones_skipped() -> None:
    stream = io.BytesIO(b'\xef\xbb\xbf{"a": 1}\n\n  \n{"b": "\xc3\xa9"}\r\n[1')
    read = list(read_lines(stream))
    assert [(n, value) for n, _, value in read[:2]] == [(1, {"a": 1}), (4, {"b": "é"})]
    assert read[2][0] == 5
    assert isinstance(read[2][2], ValidationFailed)


ID = "line-id-00000001"
BIG_TIMESTAMPS = [
    b'{"data": {"attributes": {"service": "a", "started_at": %b, "finished_at": 1700000000}}}' % number
    for number in (b"123456789012345678901234567890", b"-9223372036854775809", b"18446744073709551615", b"1.7e9")
]


def _outcome(parse: Callable[[bytes], Any], raw: bytes) -> Any:
    try:
        return parse(raw)
    except ValidationFailed as exc:
        return exc.problems


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"\xff",
        b'{"a": 1} x',
        b'"\\ud800"',
        b'{"a": 1, "a": 2}',
        b'{"data": {"attributes": {"started_at": 1e400}}}',
    ],
)
def test_what_the_api_refuses_is_refused_with_its_message_and_what_it_takes_is_taken(raw: bytes) -> None:
    assert _outcome(parse_line, raw) == _outcome(parse_json, raw)


def test_a_refused_line_says_where_it_broke() -> None:
    outcome = _outcome(parse_line, b'{"a": 1,}')
    assert isinstance(outcome, list)
    assert "malformed JSON at line 1 column" in outcome[0].detail


@pytest.mark.parametrize("raw", BIG_TIMESTAMPS)
def test_a_timestamp_beyond_64_bits_gets_the_apis_message(raw: bytes) -> None:
    body = parse_line(raw)
    expected = _outcome(lambda r: parse_deployment(parse_json(r), service_teams={}, event_id=ID), raw)
    assert _outcome(lambda _: parse_deployment(body, service_teams={}, event_id=ID), raw) == expected
