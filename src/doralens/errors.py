"""Errors raised by doralens code, mapped to HTTP in exactly one place (``api/errors.py``).

DoralensError
├── ConfigError            a setting is missing or invalid (raised at start, never at import)
├── ValidationFailed       an event or request body breaks the contract (HTTP 400, names the field)
│   └── QuerySyntaxError   a search query could not be parsed (HTTP 400, says where)
├── PayloadTooLarge        a request body is over the configured limit (HTTP 413)
├── UnsupportedMediaType   a request body is not JSON (HTTP 415)
├── NotFound               no event with that id (HTTP 404)
├── Forbidden              missing or wrong key (HTTP 403)
├── Unauthorized           a webhook's signature, token or key is missing or wrong (HTTP 401)
└── StoreError             the database failed or is not ready (HTTP 503)
    └── SchemaOutOfDate    migrations have not been applied
"""

from __future__ import annotations

from dataclasses import dataclass


class DoralensError(Exception):
    """Base class of every error doralens raises on purpose."""


class ConfigError(DoralensError):
    """A setting is missing or invalid."""


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field; ``pointer`` is a JSON pointer such as ``/data/attributes/service``."""

    pointer: str
    detail: str


class ValidationFailed(DoralensError):
    """A request body or event breaks the contract; carries one problem per offending field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.pointer}: {p.detail}" for p in problems))

    @classmethod
    def at(cls, pointer: str, detail: str) -> ValidationFailed:
        """Build the error for a single field."""
        return cls([FieldProblem(pointer, detail)])


class QuerySyntaxError(ValidationFailed):
    """A search query is malformed; ``position`` is the 0-based character offset where it broke."""

    def __init__(self, message: str, position: int, pointer: str = "/data/attributes/query") -> None:
        self.position = position
        super().__init__([FieldProblem(pointer, f"invalid query at character {position}: {message}")])


class PayloadTooLarge(DoralensError):
    """The request body is larger than the configured limit."""


class UnsupportedMediaType(DoralensError):
    """The request body is not JSON."""


class NotFound(DoralensError):
    """No object with the requested id."""


class Forbidden(DoralensError):
    """The request carries no valid key for what it asks."""


class Unauthorized(DoralensError):
    """A webhook delivery carries no valid signature, token or key; ``challenge`` is the WWW-Authenticate value."""

    def __init__(self, message: str, challenge: str | None = None) -> None:
        self.challenge = challenge
        super().__init__(message)


class StoreError(DoralensError):
    """The database failed or is not ready."""


class SchemaOutOfDate(StoreError):
    """The database schema is behind the code: run ``doralens migrate``."""
