"""Hypothesis strategies for search queries and events, and a renderer that turns a query AST back into text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TypeVar, cast, get_args

from hypothesis import strategies as st

from doralens.domain.events import Deployment, Failure, GitInfo
from doralens.domain.query_ast import And, Field, Node, Not, Or, Pattern, TagTerm, Term, split_tag

# Small alphabets make wildcards hit often; they carry every character that LIKE, GLOB or the query syntax
# treats specially, plus letters in both cases (ASCII and not) to catch case-insensitive matching.
VALUE_ALPHABET = 'aAbBéÉ%_\\*?[]:-" ('
TAG_KEY_ALPHABET = "kKé-:"
FIELDS: tuple[Field, ...] = get_args(Field)
E = TypeVar("E", Deployment, Failure)

# Near misses for one another: each special character next to the plain character it must not stand for.
_COMMON_VALUES = [
    "a",
    "A",
    "ab",
    "aB",
    "Ab",
    "",
    "a%b",
    "a_b",
    "a*b",
    "a?b",
    "axb",
    "é",
    "É",
    "[a]",
    "a",
    "a\\b",
]
_common = st.sampled_from(_COMMON_VALUES)
# Mostly the near misses above, so that several events share a field's neighbourhood; free text for the rest.
values = st.one_of(_common, _common, _common, st.text(VALUE_ALPHABET, max_size=4))
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
    """Patterns as the parser builds them: never two adjacent stars, so no empty inner segment."""
    short = st.text(VALUE_ALPHABET, max_size=2)
    inner = st.lists(st.text(VALUE_ALPHABET, min_size=1, max_size=2), max_size=2)
    exact = short.map(lambda value: Pattern((value,)))
    wild = st.builds(lambda first, middle, last: Pattern((first, *middle, last)), short, inner, short)
    return st.one_of(exact, wild)


def cut_patterns(values: Sequence[str]) -> st.SearchStrategy[Pattern]:
    """Patterns cut from stored values, sometimes in the other case: they hit, or narrowly miss, often."""
    ends = st.integers(0, 5)
    return st.builds(_cut, st.sampled_from(list(values)), ends, ends, st.integers(0, 2), st.booleans())


def _cut(value: str, i: int, j: int, mode: int, swap_case: bool) -> Pattern:
    value = value.swapcase() if swap_case else value
    a, b = sorted((i % (len(value) + 1), j % (len(value) + 1)))
    if mode == 0:
        return Pattern((value,))
    if mode == 1:
        return Pattern((value[:a], value[b:]))
    return Pattern(("", value[a:b], "")) if a < b else Pattern(("", ""))


def query_nodes(max_leaves: int = 6, pool: Mapping[str, Sequence[str]] | None = None) -> st.SearchStrategy[Node]:
    """Query ASTs in the normal form the parser produces (flat And/Or of two or more operands).

    ``pool`` maps a field name, or ``@key`` for a custom tag, to stored values to cut patterns from.
    """
    leaves = st.one_of(
        st.builds(Term, st.sampled_from(FIELDS), patterns()),
        st.builds(TagTerm, st.text(TAG_KEY_ALPHABET, min_size=1, max_size=2), patterns()),
    )
    if pool:
        pooled = st.sampled_from(sorted(pool.items())).flatmap(
            lambda item: cut_patterns(item[1]).map(lambda pattern: _leaf(item[0], pattern))
        )
        leaves = st.one_of(leaves, pooled, pooled, pooled)

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


def _leaf(key: str, pattern: Pattern) -> Node:
    return TagTerm(key[1:], pattern) if key.startswith("@") else Term(cast(Field, key), pattern)


def stored_values(events: Sequence[Deployment | Failure]) -> dict[str, list[str]]:
    """The values the events carry, by field name or ``@key`` for a custom tag: a pool for ``query_nodes``."""
    pool: dict[str, list[str]] = {}
    for event in events:
        services = (event.service,) if isinstance(event, Deployment) else event.services
        pool.setdefault("service", []).extend(services)
        attributes = {
            "env": event.env,
            "team": event.team,
            "version": event.version,
            "severity": event.severity if isinstance(event, Failure) else None,
            "repository_id": event.git.repository_id if event.git else None,
        }
        for field, value in attributes.items():
            if value is not None:
                pool.setdefault(field, []).append(value)
        for key, value in map(split_tag, event.custom_tags):
            if key:
                pool.setdefault(f"@{key}", []).append(value)
    return {key: values for key, values in pool.items() if values}


def depth(node: Node) -> int:
    """How deeply negations and groups nest in ``node`` (the parser caps it)."""
    match node:
        case Not(operand):
            return 1 + depth(operand)
        case And(operands) | Or(operands):
            return 1 + max(depth(op) for op in operands)
    return 0
