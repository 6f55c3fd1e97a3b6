"""The AST of a search query and its reference evaluation over domain events (the SQL compiler must agree).

Matching is exact and case-sensitive, because Datadog facet values are case-sensitive, except that ``*``
matches any run of characters, possibly empty. A custom tag ``key:value`` is split at its first colon; a tag
without a colon has an empty value, so ``@key:*`` tests that the key is present. A term on a missing attribute
never matches, so its negation does. On failures ``service`` matches when any impacted service matches;
``severity`` never matches a deployment, which has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from doralens.domain.events import Deployment, Failure

Field = Literal["service", "env", "team", "version", "severity", "repository_id"]


@dataclass(frozen=True, slots=True)
class Pattern:
    """A value with ``*`` wildcards, kept as the literal segments between them (one segment: exact value)."""

    segments: tuple[str, ...]

    @property
    def is_exact(self) -> bool:
        """True when the pattern has no wildcard."""
        return len(self.segments) == 1

    def matches(self, text: str) -> bool:
        """Whether ``text`` matches, case-sensitively; ``*`` matches any run of characters."""
        if self.is_exact:
            return text == self.segments[0]
        first, *middle, last = self.segments
        if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
            return False
        # Taking the leftmost occurrence of each inner segment never rules out a match that exists.
        pos, end = len(first), len(text) - len(last)
        for segment in middle:
            found = text.find(segment, pos, end)
            if found < 0:
                return False
            pos = found + len(segment)
        return True


@dataclass(frozen=True, slots=True)
class MatchAll:
    """The empty query."""


@dataclass(frozen=True, slots=True)
class Term:
    """``field:pattern`` on a built-in facet (aliases already resolved)."""

    field: Field
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class TagTerm:
    """``@key:pattern`` on custom tags."""

    key: str
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class Not:
    """Negation of its operand."""

    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    """All operands match (at least two, none of them an ``And``)."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Any operand matches (at least two, none of them an ``Or``)."""

    operands: tuple[Node, ...]


Node = MatchAll | Term | TagTerm | Not | And | Or
Event = Deployment | Failure


def split_tag(tag: str) -> tuple[str, str]:
    """Split a custom tag ``key:value`` at its first colon; a tag without one has an empty value."""
    key, _, value = tag.partition(":")
    return key, value


def matches(node: Node, event: Event) -> bool:
    """Reference evaluation of a parsed query over one event (the SQL compiler must agree with it)."""
    match node:
        case MatchAll():
            return True
        case Term(field, pattern):
            return any(pattern.matches(value) for value in _field_values(event, field))
        case TagTerm(key, pattern):
            return any(k == key and pattern.matches(v) for k, v in map(split_tag, event.custom_tags))
        case Not(operand):
            return not matches(operand, event)
        case And(operands):
            return all(matches(operand, event) for operand in operands)
        case Or(operands):
            return any(matches(operand, event) for operand in operands)


def _field_values(event: Event, field: Field) -> tuple[str, ...]:
    if field == "service":
        return (event.service,) if isinstance(event, Deployment) else event.services
    if field == "repository_id":
        return (event.git.repository_id,) if event.git is not None else ()
    if field == "severity" and isinstance(event, Deployment):
        return ()
    value: str | None = getattr(event, field)
    return (value,) if value is not None else ()
