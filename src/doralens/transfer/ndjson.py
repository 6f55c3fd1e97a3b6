"""Reading NDJSON: one JSON body per line, blank lines skipped, parsed fast and strictly.

orjson parses the common line; a line it refuses goes to the API's own parser, so that what is accepted, and the
message of what is not, are the API's (orjson is stricter only on what no database would store anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from doralens.api.body import parse_json
from doralens.errors import ValidationFailed


def parse_line(raw: bytes) -> Any:
    """The JSON value of one line, or ``ValidationFailed`` saying where it broke."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
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
