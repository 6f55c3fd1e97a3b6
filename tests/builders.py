"""Shared test helpers: hypothesis strategies for events and query ASTs, and rendering an AST back to text."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar, get_args

from hypothesis import strategies as st

from doralens.domain.events import Deployment, Failure, GitInfo
from doralens.domain.query_ast import And, Field, Node, Not, Or, Pattern, TagTerm, Term

# Small alphabets make wildcards hit often; they carry every character that LIKE, GLOB or the query syntax
# treats specially, plus letters in both cases (ASCII and not) to catch case-insensitive matching.
VALUE_ALPHABET = 'aAbBéÉ%_\\*?[]:-" ('
TAG_KEY_ALPHABET = "kKé-:"
FIELDS: tuple[Field, ...] = get_args(Field)
E = TypeVar("E", Deployment, Failure)

_COMMON_VALUES = ["a", "A", "ab", "aB", "Ab", "", "a%b", "a_b", "a*b", "é", "É", "[a]", "a\\b"]
values = st.one_of(st.sampled_from(_COMMON_VALUES), st.text(VALUE_ALPHABET, max_size=4))
optional_values = st.one_of(st.none(), values)
tags = st.builds(
    lambda k, v, bare: k if bare else f"{k}:{v}", st.text(TAG_KEY_ALPHABET, max_size=2), values, st.booleans()
)
gits = st.one_of(st.none(), st.builds(lambda repo: GitInfo("a" * 40, f"https://{repo}", repo), values))


def deployments() -> st.SearchStrategy[Deployment]:
    """Deployments with ids left blank (``with_ids`` numbers them) and values from the small alphabet."""
    return st.builds(
        Deployment,
        id=st.just(""),
        service=values,
        started_at=st.just(1),
        finished_at=st.just(2),
        env=optional_values,
        team=optional_values,
        version=optional_values,
        git=gits,
        custom_tags=st.lists(tags, max_size=3).map(tuple),
    )


def failures() -> st.SearchStrategy[Failure]:
    """Failures with ids left blank, zero to three distinct services and an optional severity."""
    return st.builds(
        Failure,
        id=st.just(""),
        started_at=st.just(1),
        services=st.lists(values, max_size=3, unique=True).map(tuple),
        team=optional_values,
        severity=optional_values,
        env=optional_values,
        version=optional_values,
        git=gits,
        custom_tags=st.lists(tags, max_size=3).map(tuple),
    )


def patterns() -> st.SearchStrategy[Pattern]:
    """Patterns as the parser builds them: the literal parts between two adjacent stars are never empty."""
    short = st.text(VALUE_ALPHABET, max_size=2)
    inner = st.lists(st.text(VALUE_ALPHABET, min_size=1, max_size=2), max_size=2)
    exact = short.map(lambda value: Pattern((value,)))
    wild = st.builds(lambda first, middle, last: Pattern((first, *middle, last)), short, inner, short)
    return st.one_of(exact, wild)


def query_nodes(max_leaves: int = 6) -> st.SearchStrategy[Node]:
    """Query ASTs in the normal form the parser produces (flat And/Or of two or more operands)."""
    leaves = st.one_of(
        st.builds(Term, st.sampled_from(FIELDS), patterns()),
        st.builds(TagTerm, st.text(TAG_KEY_ALPHABET, min_size=1, max_size=2), patterns()),
    )

    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        many = st.lists(children, min_size=2, max_size=3)
        return st.one_of(
            children.map(Not),
            many.map(lambda parts: _flat(And, parts)),
            many.map(lambda parts: _flat(Or, parts)),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves).filter(lambda node: depth(node) <= 12)


def _flat(kind: type[And] | type[Or], parts: list[Node]) -> Node:
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.operands if isinstance(part, kind) else (part,))
    return kind(tuple(flat))


def render_query(node: Node, *, quote: bool = False, groups: bool = False) -> str:
    """Write an AST back as query text; ``quote`` quotes exact values, ``groups`` uses ``key:(a OR b)``."""
    match node:
        case Term(field, pattern):
            return f"{field}:{_render_value(pattern, quote, in_group=False)}"
        case TagTerm(key, pattern):
            return f"@{_escape(key)}:{_render_value(pattern, quote, in_group=False)}"
        case Not(operand):
            inner = render_query(operand, quote=quote, groups=groups)
            return f"-({inner})" if isinstance(operand, And | Or) else f"-{inner}"
        case And(operands) | Or(operands):
            joiner = " AND " if isinstance(node, And) else " OR "
            group = _value_group(node, quote) if groups else None
            if group is not None:
                return group
            parts = [render_query(op, quote=quote, groups=groups) for op in operands]
            # Only an Or inside an And needs parentheses: AND binds tighter than OR.
            parts = [f"({p})" if isinstance(op, Or) else p for p, op in zip(parts, operands, strict=True)]
            return joiner.join(parts)
    return ""


def _value_group(node: And | Or, quote: bool) -> str | None:
    leaves = [op for op in node.operands if isinstance(op, Term | TagTerm)]
    keys = {op.field if isinstance(op, Term) else f"@{_escape(op.key)}" for op in leaves}
    if len(leaves) != len(node.operands) or len(keys) != 1:
        return None
    joiner = " AND " if isinstance(node, And) else " OR "
    values = [_render_value(op.pattern, quote, in_group=True) for op in leaves]
    return f"{keys.pop()}:({joiner.join(values)})"


def _render_value(pattern: Pattern, quote: bool, *, in_group: bool) -> str:
    if pattern.is_exact and (quote or pattern.segments[0] == ""):
        text = pattern.segments[0].replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'
    rendered = "*".join(_escape(segment) for segment in pattern.segments)
    # Inside a group a leading dash would negate and a bare AND/OR/NOT would be an operator.
    if in_group and (rendered.startswith("-") or rendered in ("AND", "OR", "NOT")):
        rendered = "\\" + rendered
    return rendered


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c.isspace() or c in '\\()"*:' else c for c in text)


def with_ids(events: list[E]) -> list[E]:
    """Give generated events distinct ids that satisfy the id pattern."""
    return [replace(event, id=f"event-{i:012d}") for i, event in enumerate(events)]


def depth(node: Node) -> int:
    """How deeply negations and groups nest in ``node`` (the parser caps it)."""
    match node:
        case Not(operand):
            return 1 + depth(operand)
        case And(operands) | Or(operands):
            return 1 + max(depth(op) for op in operands)
    return 0
