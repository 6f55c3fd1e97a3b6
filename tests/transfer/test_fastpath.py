"""The fast path accepts only what the API's models accept, and builds the very same deployment from it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doralens.api.schemas import parse_deployment
from doralens.errors import ValidationFailed
from doralens.transfer.fastpath import fast_deployment
from tests.builders import SHA, T0, deployment_body

LINE_ID = "0123456789abcdef"
TEAMS = {"web": "shop"}
# Whitespace the models strip and Python's strip also knows, and some only one of them may: names on the edge.
EDGES = [" ", "\t", "\n", "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000", "\u200b", "\ufeff", "é", "a", ":"]

texts = st.text(st.sampled_from(EDGES), max_size=3)
names = st.one_of(
    st.none(),
    st.sampled_from(["web", "prod", "v1.2.3", "é"]),
    st.builds(lambda pre, post: f"{pre}web{post}", texts, texts),
    st.sampled_from(["", "x" * 200, "x" * 201, " " + "x" * 199]),
    st.integers(-2, 2),
    st.booleans(),
    st.just(1.5),
    st.just(["web"]),
)
times = st.one_of(
    st.sampled_from([T0, T0 + 1, T0 // 10**9, T0 // 10**6, 5, 0, -1, 2**63, 2**70, 7_258_118_400 * 10**9]),
    st.integers(),
    st.booleans(),
    st.sampled_from([1.7e9, float(T0), "1700000000", None]),
)
ids = st.one_of(
    st.none(),
    st.sampled_from(["deployment-000001", "short", "x" * 128, "x" * 129, "deployment-000001\n", "dép-00000000000001"]),
    st.text(st.sampled_from(list("aZ09_.:-/ é")), min_size=15, max_size=17),
    st.integers(),
)
urls = st.one_of(
    st.sampled_from(["https://github.com/acme/shop", "https://u:p@h/o/r.git", "git@h:o/r", "", " h/o/r", "x" * 2001]),
    st.sampled_from(["https://h/" + "p" * 498, "https://h/" + "p" * 499, "https://u:p@h/" + "p" * 498 + ".git"]),
    st.builds(lambda pre: f"{pre}https://h/o/r", texts),
    st.none(),
    st.integers(),
)
shas = st.one_of(st.sampled_from([SHA, SHA.upper(), SHA[:39], SHA + "\n", SHA * 3 + "0" * 9, "g" * 40]), st.none())
gits = st.one_of(
    st.none(),
    st.fixed_dictionaries({"commit_sha": shas, "repository_url": urls}),
    st.fixed_dictionaries({"commit_sha": shas}),
    st.just([SHA]),
)
tags = st.one_of(
    st.none(),
    st.lists(
        st.sampled_from(["a:b", "a:b:c", "a:", ":b", "ab", " : ", "k:" + "v" * 198, "k:" + "v" * 199, 3]), max_size=4
    ),
    st.just(["a:b"] * 101),
    st.just("a:b"),
)
# Mostly values the fast path takes, so that the other attributes decide often.
plain = st.sampled_from(["web", "api", "é"])
usual = st.sampled_from([T0, T0 + 1, T0 // 10**9])
attributes = st.fixed_dictionaries(
    {"service": st.one_of(plain, plain, plain, names), "started_at": st.one_of(usual, times), "finished_at": usual},
    optional={"env": names, "version": names, "team": names, "id": ids, "git": gits, "custom_tags": tags, "x": names},
)


def _parsed(body: Any) -> Any:
    return parse_deployment(body, service_teams=TEAMS, event_id=LINE_ID)


@settings(max_examples=2000, deadline=None)
@given(attributes)
def test_what_the_fast_path_accepts_the_models_accept_the_same(attrs: dict[str, Any]) -> None:
    body = {"data": {"type": "dora_deployment", "attributes": attrs}}
    fast = fast_deployment(body, service_teams=TEAMS, event_id=LINE_ID)
    if fast is not None:
        assert fast == _parsed(body)


def test_the_common_line_takes_the_fast_path() -> None:
    body = deployment_body(
        team="shop",
        version="v1",
        git={"commit_sha": SHA.upper(), "repository_url": "https://ci:token@github.com/acme/shop.git"},
        custom_tags=["région:eu"],
    )
    fast = fast_deployment(body, service_teams=TEAMS, event_id=LINE_ID)
    assert fast is not None
    assert fast == _parsed(body)
    assert fast.git is not None
    assert fast.git.repository_url == "https://github.com/acme/shop.git"


def test_a_body_that_is_not_an_object_goes_to_the_models() -> None:
    for body in ([], {"data": []}, {"data": {"attributes": "x"}}):
        assert fast_deployment(body, service_teams={}, event_id=None) is None


def test_a_repository_path_too_long_to_store_goes_to_the_models_which_refuse_it() -> None:
    body = deployment_body(git={"commit_sha": SHA, "repository_url": "https://h/" + "p" * 499})
    assert fast_deployment(body, service_teams={}, event_id=LINE_ID) is None
    with pytest.raises(ValidationFailed):
        _parsed(body)
