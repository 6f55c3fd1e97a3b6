"""Tests for the search syntax parser and the reference evaluator."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doralens.domain.events import Deployment, Failure, GitInfo
from doralens.domain.query import MAX_DEPTH, MAX_QUERY_LENGTH, MAX_TERMS, parse_query
from doralens.domain.query_ast import And, MatchAll, Node, Not, Or, Pattern, TagTerm, Term, matches, split_tag
from doralens.errors import QuerySyntaxError
from tests.strategies import VALUE_ALPHABET, patterns, query_nodes, render_query


def exact(field: str, value: str) -> Term:
    return Term(field, Pattern((value,)))  # type: ignore[arg-type]


def deployment(**overrides: object) -> Deployment:
    fields: dict[str, object] = {"id": "d" * 16, "service": "web", "started_at": 1, "finished_at": 2}
    return Deployment(**{**fields, **overrides})  # type: ignore[arg-type]


def failure(**overrides: object) -> Failure:
    return Failure(**{"id": "f" * 16, "started_at": 1, **overrides})  # type: ignore[arg-type]


# --- syntax -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_matches_all(query: str) -> None:
    assert parse_query(query) == MatchAll()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service:web", exact("service", "web")),
        ("env:prod", exact("env", "prod")),
        ("team:core", exact("team", "core")),
        ("version:1.2.3", exact("version", "1.2.3")),
        ("severity:SEV-1", exact("severity", "SEV-1")),
        ("repository_id:github.com/org/repo", exact("repository_id", "github.com/org/repo")),
        ("git.repository_id:github.com/org/repo", exact("repository_id", "github.com/org/repo")),
        ("services:web", exact("service", "web")),
        ("@region:eu-west-1", TagTerm("region", Pattern(("eu-west-1",)))),
        ("@url:http://x", TagTerm("url", Pattern(("http://x",)))),
    ],
)
def test_key_value_terms_and_aliases(query: str, expected: Node) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    ("query", "segments"),
    [
        ("service:web-*", ("web-", "")),
        ("version:*rc*", ("", "rc", "")),
        ("version:*", ("", "")),
        ("version:a**b", ("a", "b")),
        ("version:a*b*c", ("a", "b", "c")),
        (r"version:a\*b", ("a*b",)),
        ('version:"a*b"', ("a*b",)),
    ],
)
def test_wildcards_and_literal_stars(query: str, segments: tuple[str, ...]) -> None:
    assert parse_query(query) == Term("version" if "version" in query else "service", Pattern(segments))


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ('service:"my service"', "my service"),
        (r'service:"say \"hi\""', 'say "hi"'),
        (r'service:"back\\slash"', "back\\slash"),
        ('service:""', ""),
        (r"service:my\ service", "my service"),
        (r"service:f\(x\)", "f(x)"),
        ("service:a:b", "a:b"),
        ("service:AND", "AND"),
        ("service:-web", "-web"),
    ],
)
def test_quoted_and_escaped_values(query: str, value: str) -> None:
    assert parse_query(query) == exact("service", value)


def test_juxtaposition_and_explicit_and_are_the_same() -> None:
    expected = And((exact("service", "a"), exact("env", "b")))
    assert parse_query("service:a env:b") == expected
    assert parse_query("service:a AND env:b") == expected


def test_and_binds_tighter_than_or() -> None:
    a, b, c = exact("env", "a"), exact("env", "b"), exact("team", "c")
    assert parse_query("env:a OR env:b team:c") == Or((a, And((b, c))))
    assert parse_query("env:a team:c OR env:b") == Or((And((a, c)), b))
    assert parse_query("env:a OR env:b AND team:c") == Or((a, And((b, c))))


def test_parentheses_override_precedence() -> None:
    query = "(service:a OR service:b) env:prod"
    expected = And((Or((exact("service", "a"), exact("service", "b"))), exact("env", "prod")))
    assert parse_query(query) == expected


def test_chains_are_flat() -> None:
    assert parse_query("env:a OR (env:b OR env:c)") == Or((exact("env", "a"), exact("env", "b"), exact("env", "c")))


@pytest.mark.parametrize("query", ["-env:prod", "NOT env:prod"])
def test_negation(query: str) -> None:
    assert parse_query(query) == Not(exact("env", "prod"))


def test_negation_binds_tighter_than_and_and_or() -> None:
    a, b = exact("env", "a"), exact("team", "b")
    assert parse_query("-env:a team:b") == And((Not(a), b))
    assert parse_query("NOT env:a OR team:b") == Or((Not(a), b))
    assert parse_query("-(env:a OR team:b)") == Not(Or((a, b)))


def test_value_groups() -> None:
    a, b, c = exact("service", "a"), exact("service", "b"), exact("service", "c")
    assert parse_query("service:(a OR b OR c)") == Or((a, b, c))
    assert parse_query("service:(a AND b)") == And((a, b))
    assert parse_query("service:(a b OR c)") == Or((And((a, b)), c))
    assert parse_query("service:(a OR (b -c))") == Or((a, And((b, Not(c)))))
    assert parse_query('service:("my svc" OR web-*)') == Or(
        (exact("service", "my svc"), Term("service", Pattern(("web-", ""))))
    )
    assert parse_query("@tier:(gold OR silver)") == Or(
        (TagTerm("tier", Pattern(("gold",))), TagTerm("tier", Pattern(("silver",))))
    )


def test_lower_case_operators_are_plain_values() -> None:
    assert parse_query("service:(a or)") == And((exact("service", "a"), exact("service", "or")))


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("foo:bar", 0, "unknown facet 'foo'"),
        ("env:a Service:b", 6, "unknown facet 'Service'"),
        ("hello", 0, "expected key:value"),
        ("service:", 8, "expected a value after 'service:'"),
        ("service: web", 8, "expected a value after 'service:'"),
        ("@:x", 1, "expected a custom tag key"),
        ("env:a OR", 8, "expected a term such as service:web after 'OR', got end of query"),
        ("env:a AND", 9, "after 'AND', got end of query"),
        ("OR env:a", 0, "expected a term such as service:web, got 'OR'"),
        ("env:a AND OR env:b", 10, "after 'AND', got 'OR'"),
        ("NOT", 3, "after 'NOT', got end of query"),
        ("- env:a", 1, "expected a term directly after '-'"),
        ("env:a -", 7, "after '-', got end of query"),
        ("(env:a", 6, "expected ')' to close the '(' at 0, got end of query"),
        ("(env:a team:b", 13, "expected ')' to close the '(' at 0"),
        ("env:a)", 5, "unexpected ')'"),
        ("()", 1, "after '(', got ')'"),
        ("service:()", 9, "expected a value after '(', got ')'"),
        ("service:(a OR", 13, "expected a value after 'OR', got end of query"),
        ("service:(a", 10, "expected ')' to close the '(' at 8"),
        ('service:"abc', 8, "unclosed quote"),
        ('env:a service:"abc\\"', 14, "unclosed quote"),
        ("service:abc\\", 11, "dangling backslash"),
        ("version:1.0(beta)", 11, "unexpected '(' in a value"),
        ('service:a"b"', 9, "unexpected a quoted value in a value"),
        ('"web"', 0, "expected a term such as service:web, got a quoted value"),
    ],
)
def test_syntax_errors_name_what_was_expected_and_where(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == position
    assert message in str(caught.value)
    assert f"at character {position}" in str(caught.value)


def test_query_length_is_capped() -> None:
    at_limit = "env:" + "a" * (MAX_QUERY_LENGTH - 4)
    assert parse_query(at_limit) == exact("env", "a" * (MAX_QUERY_LENGTH - 4))
    with pytest.raises(QuerySyntaxError, match="longer than 4096") as caught:
        parse_query(at_limit + "a")
    assert caught.value.position == MAX_QUERY_LENGTH


@pytest.mark.parametrize(("opening", "closing"), [("(", ")"), ("-", ""), ("NOT ", "")])
def test_nesting_depth_is_capped(opening: str, closing: str) -> None:
    parse_query(opening * MAX_DEPTH + "env:a" + closing * MAX_DEPTH)
    too_deep = opening * (MAX_DEPTH + 1) + "env:a" + closing * (MAX_DEPTH + 1)
    with pytest.raises(QuerySyntaxError, match="deeper than 32") as caught:
        parse_query(too_deep)
    assert caught.value.position == MAX_DEPTH * len(opening)


@pytest.mark.parametrize(
    "template",
    ["{}", "service:({})"],
    ids=["terms", "values in a group"],
)
def test_number_of_terms_is_capped(template: str) -> None:
    value = "@k:v" if template == "{}" else "v"
    parse_query(template.format(" ".join([value] * MAX_TERMS)))
    query = template.format(" ".join([value] * (MAX_TERMS + 1)))
    with pytest.raises(QuerySyntaxError, match="more than 64 terms") as caught:
        parse_query(query)
    assert caught.value.position == query.rindex(value)


def test_value_group_nesting_counts_towards_the_depth() -> None:
    with pytest.raises(QuerySyntaxError, match="deeper"):
        parse_query("service:" + "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))


@given(query_nodes(), st.booleans(), st.booleans())
def test_rendered_queries_parse_back_to_the_same_tree(node: Node, quote: bool, groups: bool) -> None:
    assert parse_query(render_query(node, quote=quote, groups=groups)) == node


@given(st.text(alphabet='ab:()"\\*-@ ORNDTservicenv', max_size=40))
def test_arbitrary_text_parses_or_fails_with_a_position_inside_it(query: str) -> None:
    try:
        parse_query(query)
    except QuerySyntaxError as error:
        position = error.position
    else:
        return
    assert 0 <= position <= len(query)


# --- matching -----------------------------------------------------------------------------------------------


@given(patterns(), st.text(VALUE_ALPHABET, max_size=6))
def test_pattern_matching_agrees_with_a_regular_expression(pattern: Pattern, text: str) -> None:
    regex = ".*".join(re.escape(segment) for segment in pattern.segments)
    assert pattern.matches(text) == (re.fullmatch(regex, text, re.DOTALL) is not None)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service:web", True),
        ("service:Web", False),
        ("service:WEB", False),
        ("service:w*", True),
        ("service:W*", False),
        ("service:*e*", True),
        ("service:*E*", False),
        ("service:web*", True),
        ("service:*web*", True),
        ("service:webx*", False),
        ("env:prod", True),
        ("-env:prod", False),
        ("version:*rc*", True),
        ("version:1.0-rc1", True),
    ],
)
def test_values_match_exactly_and_case_sensitively(query: str, expected: bool) -> None:
    event = deployment(service="web", env="prod", version="1.0-rc1")
    assert matches(parse_query(query), event) is expected


@pytest.mark.parametrize("query", ["env:prod", "env:*", "team:x", "version:*", "repository_id:*", "@k:*"])
def test_missing_attributes_never_match_so_their_negation_does(query: str) -> None:
    bare = deployment()
    assert not matches(parse_query(query), bare)
    assert matches(parse_query("-" + query), bare)


def test_star_matches_an_empty_value_but_not_a_missing_one() -> None:
    assert matches(parse_query("env:*"), deployment(env=""))
    assert not matches(parse_query("env:*"), deployment(env=None))


def test_failure_service_matches_any_impacted_service() -> None:
    event = failure(services=("api", "web"))
    assert matches(parse_query("service:web"), event)
    assert matches(parse_query("services:a*"), event)
    assert not matches(parse_query("-service:web"), event)
    assert matches(parse_query("service:web service:api"), event)
    assert not matches(parse_query("service:db"), event)
    assert matches(parse_query("-service:*"), failure(services=()))


def test_severity_never_matches_a_deployment() -> None:
    assert not matches(parse_query("severity:*"), deployment())
    assert matches(parse_query("-severity:high"), deployment())
    assert matches(parse_query("severity:high"), failure(severity="high"))


def test_repository_id_comes_from_git_info() -> None:
    git = GitInfo("a" * 40, "https://github.com/org/repo.git", "github.com/org/repo")
    assert matches(parse_query("git.repository_id:github.com/org/*"), deployment(git=git))
    assert matches(parse_query("repository_id:github.com/org/repo"), failure(git=git))


def test_custom_tags_match_on_key_and_value() -> None:
    event = deployment(custom_tags=("region:eu-west-1", "url:http://x:80", "canary"))
    assert matches(parse_query("@region:eu-*"), event)
    assert not matches(parse_query("@region:EU-*"), event)
    assert not matches(parse_query("@zone:eu-west-1"), event)
    assert matches(parse_query("@url:http://x:80"), event)
    assert matches(parse_query("@canary:*"), event)
    assert matches(parse_query('@canary:""'), event)
    assert not matches(parse_query("@region:eu-west-1 -@region:eu-*"), event)


def test_split_tag_splits_at_the_first_colon() -> None:
    assert split_tag("url:http://x") == ("url", "http://x")
    assert split_tag("canary") == ("canary", "")
    assert split_tag(":x") == ("", "x")


def test_boolean_structure_is_evaluated() -> None:
    event = deployment(service="web", env="prod", team="core")
    assert matches(parse_query("service:api OR env:prod team:core"), event)
    assert not matches(parse_query("(service:api OR env:prod) team:other"), event)
    assert matches(parse_query("service:(api OR web) -team:(a OR b)"), event)
    assert matches(parse_query(""), event)
