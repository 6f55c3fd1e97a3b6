"""Compile a parsed search query into a SQLAlchemy Core condition over ``deployments`` or ``failures``.

Every value travels as a bound parameter; no SQL text is built from user input. Exact values compile to
``col = :v`` so the composite indexes such as (service, env, finished_at) serve them. Wildcards must match
case-sensitively, as ``query_ast.Pattern.matches`` does: PostgreSQL's ``LIKE :p ESCAPE '\\'`` already is, but
SQLite's LIKE folds ASCII case and only the connection-wide ``case_sensitive_like`` pragma changes that (and
``COLLATE`` does not affect it), so on SQLite the same pattern compiles to ``GLOB``, SQLite's case-sensitive
matcher, which can still use an index for a literal prefix.

Each term compiles to a two-valued condition: a term on a NULL column is false rather than NULL, so ``NOT`` of
it is true, exactly as the reference evaluator ``query_ast.matches`` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    String,
    Table,
    and_,
    exists,
    false,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from doralens.domain.query_ast import And, Field, MatchAll, Node, Not, Or, Pattern, TagTerm, Term
from doralens.store.schema import deployment_tags, deployments, failure_services, failure_tags, failures

EventKind = Literal["deployment", "failure"]
Window = tuple[int | ColumnElement[int], int | ColumnElement[int]]  # [start, end) in nanoseconds, or parameters

_LIKE_ESCAPES = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})
# GLOB has no escape character; a one-character class matches its member literally.
_GLOB_ESCAPES = str.maketrans({"[": "[[]", "*": "[*]", "?": "[?]"})


@dataclass(frozen=True)
class _Target:
    kind: EventKind
    table: Table
    tags: Table
    tags_owner: str  # the tags table's column that refers to ``table.c.id``


_TARGETS: dict[EventKind, _Target] = {
    "deployment": _Target("deployment", deployments, deployment_tags, "deployment_id"),
    "failure": _Target("failure", failures, failure_tags, "failure_id"),
}


def like_pattern(pattern: Pattern) -> str:
    """The pattern for ``LIKE ... ESCAPE '\\'``: literal parts escaped, each ``*`` turned into ``%``."""
    return "%".join(segment.translate(_LIKE_ESCAPES) for segment in pattern.segments)


def glob_pattern(pattern: Pattern) -> str:
    """The pattern for SQLite ``GLOB``: literal parts escaped as one-character classes, ``*`` kept."""
    return "*".join(segment.translate(_GLOB_ESCAPES) for segment in pattern.segments)


class CaseSensitiveMatch(ColumnElement[bool]):
    """``column`` matches a wildcard pattern case-sensitively; LIKE or GLOB is chosen when compiled."""

    type = Boolean()
    inherit_cache = True
    # Without this SQLAlchemy renders the element as ``... = 1`` on SQLite, which has no boolean type.
    _is_implicitly_boolean = True
    # SQLAlchemy declares this as an instance attribute, so it cannot be a ClassVar; it is never mutated.
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("like_param", InternalTraversal.dp_clauseelement),
        ("glob_param", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[str], pattern: Pattern) -> None:
        self.column = column
        self.like_param = literal(like_pattern(pattern), String)
        self.glob_param = literal(glob_pattern(pattern), String)


# Parenthesised so that a surrounding NOT or comparison can never bind inside the match.
@compiles(CaseSensitiveMatch)
def _compile_like(element: CaseSensitiveMatch, compiler: SQLCompiler, **kw: Any) -> str:
    like = element.column.like(element.like_param, escape="\\")
    return f"({compiler.process(like, **kw)})"


@compiles(CaseSensitiveMatch, "sqlite")
def _compile_glob(element: CaseSensitiveMatch, compiler: SQLCompiler, **kw: Any) -> str:
    glob = element.column.op("GLOB", is_comparison=True)(element.glob_param)
    return f"({compiler.process(glob, **kw)})"


def compile_query(node: Node, kind: EventKind, *, window: Window | None = None) -> ColumnElement[bool]:
    """A WHERE condition selecting the rows of ``kind``'s table that ``query_ast.matches`` would accept.

    ``window`` is for a query whose other conditions keep only failures started in ``[start, end)``: a service term
    then reads that service's failures of the window alone from its index, instead of all of them.
    """
    return _compile(node, _TARGETS[kind], window)


def _compile(node: Node, target: _Target, window: Window | None) -> ColumnElement[bool]:
    match node:
        case MatchAll():
            return true()
        case Term(field, pattern):
            return _term(field, pattern, target, window)
        case TagTerm(key, pattern):
            tags = target.tags
            owner = tags.c[target.tags_owner]
            tagged = exists().where(owner == target.table.c.id, tags.c.key == key, _match(tags.c.value, pattern))
            return tagged.correlate(target.table)
        case Not(operand):
            return not_(_compile(operand, target, window))
        case And(operands):
            return and_(*(_compile(operand, target, window) for operand in operands))
        case Or(operands):
            return or_(*(_compile(operand, target, window) for operand in operands))


def _term(field: Field, pattern: Pattern, target: _Target, window: Window | None) -> ColumnElement[bool]:
    if target.kind == "deployment" and field == "severity":
        return false()  # deployments have no severity, so the term can never match one
    if target.kind == "failure" and field == "service":
        # A failure impacts several services; the term holds when any of them matches. IN rather than a correlated
        # EXISTS: the database can start from the (service, failure_id) index instead of probing it per failure.
        # Each row carries its failure's start, so the window narrows the rows read, never the answer (under NOT
        # too: the caller keeps only failures of the window).
        impacted = select(failure_services.c.failure_id).where(_match(failure_services.c.service, pattern))
        if window is not None:
            started = failure_services.c.started_at
            impacted = impacted.where(started >= window[0], started < window[1])
        return failures.c.id.in_(impacted)
    return _match(target.table.c[field], pattern)


def _match(column: Column[str], pattern: Pattern) -> ColumnElement[bool]:
    if all(segment == "" for segment in pattern.segments) and not pattern.is_exact:
        return column.is_not(None)  # a lone ``*`` accepts every value, including the empty string
    condition = column == pattern.segments[0] if pattern.is_exact else CaseSensitiveMatch(column, pattern)
    # A comparison with NULL is NULL, and NOT NULL is still NULL: pin it to false so that negation matches.
    return and_(column.is_not(None), condition) if column.nullable else condition
