"""Reading NDJSON: one JSON body per line, blank lines skipped, parsed fast and strictly.

orjson parses the common line; a line it refuses, or that holds a number too long for a 64-bit integer (which
orjson would read as a float), goes to the API's own parser: what is accepted, and the message of what is not,
are the API's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from doralens.api.body import parse_json
from doralens.errors import ValidationFailed

# 20 digits in a row (19 after a minus) may be an integer beyond 64 bits. Runs inside strings match too: that only
# costs the slower parser for the line.
_LONG_NUMBER = re.compile(rb"-[0-9]{19}|[0-9]{20}")


def parse_line(raw: bytes) -> Any:
    """The JSON value of one line, or ``ValidationFailed`` saying where it broke."""
    if _LONG_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return parse_json(raw)


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes, Any | ValidationFailed]]:
    """(line number from 1, the line, its value or the error) for every line that is not blank."""
    for number, raw in enumerate(stream, start=1):
        line = raw.strip()
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")  # a byte order mark some editors write
        if not line:
            continue
        try:
            yield number, line, parse_line(line)
        except ValidationFailed as exc:
            yield number, line, exc
