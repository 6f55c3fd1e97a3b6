"""A page's question from its URL: defaults, repeated and comma-separated filters, links that keep it."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from doralens.errors import ValidationFailed
from doralens.metrics.config import EngineConfig
from doralens.web.filters import page_query


def test_defaults_are_the_api_defaults() -> None:
    query = page_query(QueryParams(""))
    question = query.question(EngineConfig())
    assert (query.start, query.interval, question.interval.value) == ("90d", "week", "week")
    assert question.window.end - question.window.start == 90 * 86_400 * 10**9
    assert not query.filtered


def test_repeated_and_comma_separated_values_are_alternatives() -> None:
    query = page_query(QueryParams("service=web,%20api&service=web&env=prod&tag=region:eu"))
    assert query.values == {"service": ("web", "api"), "env": ("prod",), "tag": ("region:eu",)}
    question = query.question(EngineConfig(), team="core")
    assert (question.filters.services, question.filters.teams) == (("web", "api"), ("core",))


def test_links_keep_the_question_and_apply_changes() -> None:
    query = page_query(QueryParams("from=30d&service=web&sort=name"))
    assert query.link("/services", sort="change_failure_rate", order=None) == (
        "/services?from=30d&interval=week&service=web&sort=change_failure_rate"
    )
    assert query.form()["service"] == "web"


def test_bad_values_name_their_parameter() -> None:
    with pytest.raises(ValidationFailed) as bad:
        page_query(QueryParams("tier_year=soon")).question(EngineConfig())
    assert bad.value.problems[0].pointer == "/query/tier_year"
    with pytest.raises(ValidationFailed) as bad:
        page_query(QueryParams("tag=nocolon")).question(EngineConfig())
    assert bad.value.problems[0].pointer == "/query/tag"


def test_severity_is_a_filter_like_the_others() -> None:
    query = page_query(QueryParams("severity=SEV-1,%20SEV-2&severity=SEV-1&service=web"))
    assert query.values["severity"] == ("SEV-1", "SEV-2")
    assert query.filtered
    question = query.question(EngineConfig())
    assert question.filters.severities == ("SEV-1", "SEV-2")
    assert ("severity", "SEV-2") in question.filters.params()
    assert query.form()["severity"] == "SEV-1, SEV-2"
    assert query.link("/teams") == "/teams?from=90d&interval=week&service=web&severity=SEV-1%2CSEV-2"
    assert "severity" not in page_query(QueryParams("severity=%20,")).values
