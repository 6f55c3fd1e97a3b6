"""Reading a JSON request body safely: size limit (also after decompression), gzip, strict JSON, clear errors."""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING, Any

from doralens.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

if TYPE_CHECKING:  # only annotated: parsing a line of an import file needs no web framework
    from fastapi import Request

_JSON_TYPES = ("application/json", "text/json")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or media.endswith("+json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_body(request: Request, *, limit: int) -> bytes:
    """Return the raw (decompressed) JSON body or raise 413, 415 or 400 errors; signatures are checked over it."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        raise UnsupportedMediaType(f"send Content-Type: application/json, not {content_type.split(';')[0]!r}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "deflate", ""):
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported (use gzip or none)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > limit:
            raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
    data = bytes(raw)
    if encoding in ("gzip", "deflate"):
        data = _decompress(data, gzip=encoding == "gzip", limit=limit)
    if not data.strip():
        raise ValidationFailed.at("", "the request body is empty; send a JSON object")
    return data


def parse_json(data: bytes) -> Any:
    """Parse strict JSON (no NaN or Infinity) from UTF-8 bytes, or raise a 400 error saying where it broke."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.at("", f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValidationFailed.at("", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ValidationFailed.at("", "the JSON is nested too deeply") from None
    except ValueError as exc:
        raise ValidationFailed.at("", f"unreadable JSON value: {exc}") from None


async def read_json(request: Request, *, limit: int) -> Any:
    """Return the parsed body or raise 413, 415 or 400 errors; never stores or half-parses anything."""
    return parse_json(await read_body(request, limit=limit))


def _decompress(data: bytes, *, gzip: bool, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=31 if gzip else 15)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error:
        raise ValidationFailed.at("", "the body is not valid gzip/deflate data") from None
    if len(out) > limit or decompressor.unconsumed_tail:
        raise PayloadTooLarge(f"the decompressed body is over the limit of {limit} bytes")
    if not decompressor.eof:
        raise ValidationFailed.at("", "the compressed body is truncated")
    return out
