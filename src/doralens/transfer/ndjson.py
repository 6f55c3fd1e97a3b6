"""Reading NDJSON: one JSON body per line, blank lines skipped, parsed fast and strictly.

orjson parses the common line. A line it refuses goes to the API's own parser, and so does one with a float for a
time: orjson reads an integer beyond 64 bits as a float, which a timestamp's message would tell apart.
What is accepted, and the message of what is not, are therefore the API's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from doralens.api.body import parse_json
from doralens.errors import ValidationFailed

# The attributes whose message tells an integer from a float (timestamps); any other attribute gets the same message
# for both, or is ignored.
_STARTED, _FINISHED, _MARKED = "started_at", "finished_at", "change_failure_marked_at"


def _has_float_time(value: Any) -> bool:
    data = value.get("data") if type(value) is dict else None
    attributes = data.get("attributes") if type(data) is dict else None
    if type(attributes) is not dict:
        return False
    get = attributes.get
    return type(get(_STARTED)) is float or type(get(_FINISHED)) is float or type(get(_MARKED)) is float


def parse_line(raw: bytes) -> Any:
    """The JSON value of one line, or ``ValidationFailed`` saying where it broke."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return parse_json(raw)
    return parse_json(raw) if _has_float_time(value) else value


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
