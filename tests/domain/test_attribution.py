"""Failure attribution: exact reference, commit range, latest deployment before, unattributed, overrides."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from doralens.domain.attribution import (
    Attribution,
    AttributionBasis,
    AttributionMethod,
    Confidence,
    attribute_failures,
    failures_by_deployment,
)
from doralens.domain.events import Deployment
from tests.builders import HOUR, deployment, failure, sha

EXACT, HEURISTIC = AttributionMethod.EXACT, AttributionMethod.HEURISTIC
HIGH, MEDIUM, LOW = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW


def history() -> list[Deployment]:
    return [
        deployment(id="v1", finished="2024-03-01T08:00:00Z", version="1.0", commit="c1"),
        deployment(id="v2", finished="2024-03-01T10:00:00Z", version="2.0", commit="c2"),
        deployment(id="v3", finished="2024-03-01T11:30:00Z", version="3.0", commit="c3"),
    ]


def unattributed(failure_id: str) -> Attribution:
    return Attribution(failure_id, None, AttributionMethod.UNATTRIBUTED, None, None)


def test_failure_commit_equal_to_a_deployment_commit_is_exact() -> None:
    result = attribute_failures([failure(id="f", commit="c2")], history())
    assert result == [Attribution("f", "v2", EXACT, HIGH, AttributionBasis.COMMIT_SHA)]


def test_failure_version_equal_to_a_deployment_version_is_exact() -> None:
    result = attribute_failures([failure(id="f", version="1.0")], history())
    assert result == [Attribution("f", "v1", EXACT, HIGH, AttributionBasis.VERSION)]


def test_commit_is_tried_before_version() -> None:
    result = attribute_failures([failure(id="f", commit="c2", version="3.0")], history())
    assert result == [Attribution("f", "v2", EXACT, HIGH, AttributionBasis.COMMIT_SHA)]


def test_redeployed_version_attributes_to_the_latest_copy_before_the_failure() -> None:
    deployments = [
        deployment(id="first", finished="2024-03-01T08:00:00Z", version="2.0"),
        deployment(id="other", finished="2024-03-01T09:00:00Z", version="1.0"),
        deployment(id="again", finished="2024-03-01T10:00:00Z", version="2.0"),
        deployment(id="later", finished="2024-03-01T13:00:00Z", version="2.0"),
    ]
    result = attribute_failures([failure(id="f", version="2.0", started="2024-03-01T12:00:00Z")], deployments)
    assert [a.deployment_id for a in result] == ["again"]


def test_version_deployed_only_after_the_failure_started_attributes_to_its_first_copy() -> None:
    # a failure may start while the rollout is still finishing
    deployments = [
        deployment(id="during", finished="2024-03-01T12:10:00Z", version="2.0"),
        deployment(id="after", finished="2024-03-01T14:00:00Z", version="2.0"),
    ]
    result = attribute_failures([failure(id="f", version="2.0", started="2024-03-01T12:00:00Z")], deployments)
    assert [a.deployment_id for a in result] == ["during"]


def test_exact_match_needs_the_same_env() -> None:
    staging = [deployment(id="s", env="staging", finished="2024-03-01T11:00:00Z", commit="c9")]
    assert attribute_failures([failure(id="f", env="prod", commit="c9")], staging) == [unattributed("f")]


def test_commit_range_lookup_is_asked_when_no_deployment_carries_the_commit() -> None:
    calls: list[tuple[str, str, str | None]] = []

    def shipped_by(commit_sha: str, service: str, env: str | None) -> str | None:
        calls.append((commit_sha, service, env))
        return "v3" if commit_sha == sha("inside-v3") else None

    result = attribute_failures([failure(id="f", commit="inside-v3")], history(), shipped_by=shipped_by)
    assert result == [Attribution("f", "v3", EXACT, HIGH, AttributionBasis.COMMIT_RANGE)]
    assert calls == [(sha("inside-v3"), "web", "prod")]


def test_commit_range_lookup_is_not_asked_when_a_deployment_carries_the_commit() -> None:
    calls: list[str] = []

    def shipped_by(commit_sha: str, service: str, env: str | None) -> str | None:
        calls.append(service)
        return None

    attribute_failures([failure(id="f", commit="c2")], history(), shipped_by=shipped_by)
    assert calls == []


def test_latest_deployment_before_the_failure_is_a_heuristic_match() -> None:
    # v3 finished at 11:30, the failure started at 12:00: 30 minutes, one service
    result = attribute_failures([failure(id="f", started="2024-03-01T12:00:00Z")], history())
    assert result == [Attribution("f", "v3", HEURISTIC, MEDIUM, AttributionBasis.LATEST_BEFORE_FAILURE)]


def test_heuristic_confidence_is_low_beyond_an_hour() -> None:
    result = attribute_failures([failure(id="f", started="2024-03-01T12:30:00.000000001Z")], history())
    assert [(a.deployment_id, a.confidence) for a in result] == [("v3", LOW)]


def test_heuristic_confidence_is_medium_at_exactly_an_hour() -> None:
    result = attribute_failures([failure(id="f", started="2024-03-01T12:30:00Z")], history())
    assert [(a.deployment_id, a.confidence) for a in result] == [("v3", MEDIUM)]


def test_deployment_finishing_when_the_failure_starts_is_not_before_it() -> None:
    result = attribute_failures([failure(id="f", started="2024-03-01T11:30:00Z")], history())
    assert [a.deployment_id for a in result] == ["v2"]


def test_heuristic_window_is_24_hours_inclusive() -> None:
    at_limit = failure(id="at", started="2024-03-02T11:30:00Z")
    past_limit = failure(id="past", started="2024-03-02T11:30:00.000000001Z")
    result = attribute_failures([at_limit, past_limit], history())
    assert result == [
        Attribution("at", "v3", HEURISTIC, LOW, AttributionBasis.LATEST_BEFORE_FAILURE),
        unattributed("past"),
    ]


def test_heuristic_window_is_configurable() -> None:
    result = attribute_failures([failure(id="f", started="2024-03-01T14:00:00Z")], history(), window_ns=2 * HOUR)
    assert result == [unattributed("f")]


def test_failure_before_the_first_deployment_is_unattributed() -> None:
    result = attribute_failures([failure(id="f", started="2024-03-01T07:00:00Z")], history())
    assert result == [unattributed("f")]


def test_no_deployments_leaves_every_failure_unattributed() -> None:
    assert attribute_failures([failure(id="a"), failure(id="b", version="1.0")], []) == [
        unattributed("a"),
        unattributed("b"),
    ]


def test_open_failure_is_attributed_like_a_resolved_one() -> None:
    result = attribute_failures([failure(id="f", started="2024-03-01T12:00:00Z", finished=None)], history())
    assert [a.deployment_id for a in result] == ["v3"]


def test_failure_impacting_two_services_gets_one_heuristic_link_per_service() -> None:
    deployments = [
        *history(),
        deployment("api", id="api-1", finished="2024-03-01T09:00:00Z", version="9.0"),
        deployment("api", id="api-2", finished="2024-03-01T11:50:00Z", version="9.1"),
    ]
    result = attribute_failures([failure(("web", "api"), id="f", started="2024-03-01T12:00:00Z")], deployments)
    # two suspects: neither is more than a guess
    assert result == [
        Attribution("f", "api-2", HEURISTIC, LOW, AttributionBasis.LATEST_BEFORE_FAILURE),
        Attribution("f", "v3", HEURISTIC, LOW, AttributionBasis.LATEST_BEFORE_FAILURE),
    ]


def test_failure_impacting_two_services_with_one_suspect_keeps_medium_confidence() -> None:
    deployments = [*history(), deployment("api", id="api-old", finished="2024-02-20T09:00:00Z")]
    result = attribute_failures([failure(("web", "api"), id="f", started="2024-03-01T12:00:00Z")], deployments)
    assert result == [Attribution("f", "v3", HEURISTIC, MEDIUM, AttributionBasis.LATEST_BEFORE_FAILURE)]


def test_exact_link_on_one_service_suppresses_guesses_on_the_other() -> None:
    deployments = [
        *history(),
        deployment("api", id="api-1", finished="2024-03-01T09:00:00Z", version="9.0"),
    ]
    result = attribute_failures(
        [failure(("web", "api"), id="f", version="9.0", started="2024-03-01T12:00:00Z")], deployments
    )
    assert result == [Attribution("f", "api-1", EXACT, HIGH, AttributionBasis.VERSION)]


def test_team_failure_blames_one_deployment_of_the_team_with_low_confidence() -> None:
    deployments = [
        deployment("web", id="web-1", finished="2024-03-01T11:00:00Z", team="shop"),
        deployment("api", id="api-1", finished="2024-03-01T11:40:00Z", team="shop"),
        deployment("billing", id="bill-1", finished="2024-03-01T11:55:00Z", team="money"),
    ]
    result = attribute_failures([failure((), id="f", team="shop", started="2024-03-01T12:00:00Z")], deployments)
    assert result == [Attribution("f", "api-1", HEURISTIC, LOW, AttributionBasis.LATEST_BEFORE_FAILURE)]


def test_manual_override_replaces_detection() -> None:
    result = attribute_failures(
        [failure(id="f", commit="c2"), failure(id="g", started="2024-03-01T12:05:00Z")],
        history(),
        overrides={"f": "v1", "g": None},
    )
    assert result == [
        Attribution("f", "v1", AttributionMethod.MANUAL, HIGH, AttributionBasis.OVERRIDE),
        Attribution("g", None, AttributionMethod.MANUAL, HIGH, AttributionBasis.OVERRIDE),
    ]


def test_deleted_deployment_is_simply_absent() -> None:
    remaining = [d for d in history() if d.id != "v3"]
    result = attribute_failures([failure(id="f", started="2024-03-01T12:00:00Z")], remaining)
    # v2 finished two hours before: still in the window, but beyond the hour
    assert result == [Attribution("f", "v2", HEURISTIC, LOW, AttributionBasis.LATEST_BEFORE_FAILURE)]


def test_failures_by_deployment_skips_rows_without_a_deployment() -> None:
    rows = [
        Attribution("a", "v2", EXACT, HIGH, AttributionBasis.VERSION),
        Attribution("b", "v2", HEURISTIC, LOW, AttributionBasis.LATEST_BEFORE_FAILURE),
        unattributed("c"),
    ]
    assert failures_by_deployment(rows) == {"v2": ["a", "b"]}


@settings(max_examples=50)
@given(st.randoms(use_true_random=False))
def test_arrival_order_does_not_change_attribution(rnd: random.Random) -> None:
    deployments = [
        *history(),
        deployment(id="tie-a", finished="2024-03-01T11:45:00Z", started="2024-03-01T11:40:00Z"),
        deployment(id="tie-b", finished="2024-03-01T11:45:00Z", started="2024-03-01T11:41:00Z"),
        deployment("api", id="api-1", finished="2024-03-01T11:50:00Z"),
    ]
    failures = [
        failure(("web", "api"), id="f1", started="2024-03-01T12:00:00Z"),
        failure(id="f2", version="2.0"),
        failure(id="f3", started="2024-03-01T09:00:00Z", finished="2024-03-01T09:30:00Z"),
    ]
    expected = attribute_failures(failures, deployments)
    rnd.shuffle(deployments)
    rnd.shuffle(failures)
    assert attribute_failures(failures, deployments) == expected
    # ties on finished_at are broken by started_at: tie-b is the later one
    assert ("f1", "tie-b") in {(a.failure_id, a.deployment_id) for a in expected}
