"""Change-failure detection: rollbacks, rollforwards, manual marks, attributed failures, rework."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doralens.domain.attribution import Attribution, AttributionBasis, AttributionMethod, Confidence
from doralens.domain.changefailure import (
    ChangeFailureReason,
    DeploymentVerdict,
    ManualMark,
    ManualRemediation,
    RemediationType,
    ReworkReason,
    RollforwardRules,
    detect_change_failures,
)
from doralens.domain.events import Deployment
from doralens.errors import ConfigError
from tests.builders import deployment, failure, sha

ROLLBACK, ROLLFORWARD = ChangeFailureReason.ROLLBACK, ChangeFailureReason.ROLLFORWARD
MANUAL, ATTRIBUTED = ChangeFailureReason.MANUAL, ChangeFailureReason.ATTRIBUTED_FAILURE


def stream(
    *versions: str, service: str = "web", env: str = "prod", by: str = "commit", prefix: str = "d"
) -> list[Deployment]:
    """One deployment per version, an hour apart from 08:00, ids d1, d2, ...; refs by commit or version."""
    return [
        deployment(
            service,
            env,
            f"2024-03-01T{8 + i:02d}:00:00Z",
            id=f"{prefix}{i + 1}",
            version=version,
            commit=version if by == "commit" else None,
        )
        for i, version in enumerate(versions)
    ]


def failed(verdicts: dict[str, DeploymentVerdict]) -> list[str]:
    return [d for d, v in verdicts.items() if v.is_change_failure]


def rework(verdicts: dict[str, DeploymentVerdict]) -> list[str]:
    return [d for d, v in verdicts.items() if v.is_rework]


def test_no_deployments_no_verdicts() -> None:
    assert detect_change_failures([]) == {}


def test_rollback_marks_the_deployment_after_the_rollback_target() -> None:
    verdicts = detect_change_failures(stream("V1", "V2", "V3", "V1"))
    assert failed(verdicts) == ["d2"]
    assert verdicts["d2"] == DeploymentVerdict(
        deployment_id="d2",
        is_change_failure=True,
        reasons=(ROLLBACK,),
        overridden_reasons=(),
        remediated_by="d4",
        remediation_type=RemediationType.ROLLBACK,
        remediates=(),
        is_rework=False,
        rework_reasons=(),
        failure_ids=(),
        rework_failure_ids=(),
    )
    assert rework(verdicts) == ["d4"]
    assert verdicts["d4"].rework_reasons == (ReworkReason.ROLLBACK,)
    assert verdicts["d4"].remediates == ("d2",)


def test_rollback_by_version_when_there_is_no_commit() -> None:
    verdicts = detect_change_failures(stream("1.0", "2.0", "1.0", by="version"))
    assert failed(verdicts) == ["d2"]
    assert verdicts["d2"].remediated_by == "d3"


def test_same_version_twice_is_a_redeploy_not_a_rollback() -> None:
    verdicts = detect_change_failures(stream("V1", "V1"))
    assert failed(verdicts) == []
    assert rework(verdicts) == []


def test_rollback_target_is_the_latest_earlier_copy() -> None:
    # V1→V1→V2→V1: the deployment after the second V1 is V2
    verdicts = detect_change_failures(stream("V1", "V1", "V2", "V1"))
    assert failed(verdicts) == ["d3"]


def test_commit_refs_and_version_refs_are_not_compared_with_each_other() -> None:
    deployments = [
        deployment(id="a", finished="2024-03-01T08:00:00Z", version="1.0"),
        deployment(id="b", finished="2024-03-01T09:00:00Z", version="2.0", commit="x"),
        # version 1.0 again, but it now carries a commit: its ref is the commit, not the version
        deployment(id="c", finished="2024-03-01T10:00:00Z", version="1.0", commit="y"),
    ]
    assert failed(detect_change_failures(deployments)) == []


def test_rolling_back_a_rollback_marks_the_rollback_as_failed() -> None:
    # V1→V2→V1→V2 under the spec's rule: d4 redeploys V2, so the deployment after V2's d2 (d3) failed
    verdicts = detect_change_failures(stream("V1", "V2", "V1", "V2"))
    assert failed(verdicts) == ["d2", "d3"]
    assert (verdicts["d2"].remediated_by, verdicts["d3"].remediated_by) == ("d3", "d4")
    assert rework(verdicts) == ["d3", "d4"]


def test_other_envs_and_services_are_separate_streams() -> None:
    deployments = [
        deployment(id="p1", env="prod", finished="2024-03-01T08:00:00Z", commit="V1"),
        deployment(id="s1", env="staging", finished="2024-03-01T09:00:00Z", commit="V2"),
        deployment("api", id="a1", finished="2024-03-01T09:30:00Z", commit="V2"),
        deployment(id="p2", env="prod", finished="2024-03-01T10:00:00Z", commit="V1"),
    ]
    assert failed(detect_change_failures(deployments)) == []


def test_ties_on_finished_at_are_broken_by_started_at() -> None:
    deployments = [
        deployment(id="a", finished="2024-03-01T10:00:00Z", started="2024-03-01T09:50:00Z", commit="V1"),
        deployment(id="b", finished="2024-03-01T10:00:00Z", started="2024-03-01T09:55:00Z", commit="V2"),
        deployment(id="c", finished="2024-03-01T11:00:00Z", commit="V1"),
    ]
    assert failed(detect_change_failures(deployments)) == ["b"]
    # started the other way round, V1 is the latest of the tie, so c merely redeploys it
    swapped = [
        deployment(id="a", finished="2024-03-01T10:00:00Z", started="2024-03-01T09:55:00Z", commit="V1"),
        deployment(id="b", finished="2024-03-01T10:00:00Z", started="2024-03-01T09:50:00Z", commit="V2"),
        deployment(id="c", finished="2024-03-01T11:00:00Z", commit="V1"),
    ]
    assert failed(detect_change_failures(swapped)) == []


def test_hotfix_version_is_a_rollforward_for_the_deployment_before_it() -> None:
    verdicts = detect_change_failures(stream("1.0", "2.0", "2.0.1-HOTFIX", by="version"))
    assert failed(verdicts) == ["d2"]
    assert verdicts["d2"].reasons == (ROLLFORWARD,)
    assert (verdicts["d2"].remediated_by, verdicts["d2"].remediation_type) == (
        "d3",
        RemediationType.ROLLFORWARD,
    )
    assert verdicts["d3"].rework_reasons == (ReworkReason.ROLLFORWARD,)


def test_revert_commit_message_is_a_rollforward() -> None:
    deployments = stream("V1", "V2", "V3")
    messages = {sha("V3"): 'Revert "Add the new cache"\n\nThis reverts commit 1234.'}
    assert failed(detect_change_failures(deployments, commit_messages=messages)) == ["d2"]
    # a message that merely mentions a revert does not start with one
    assert failed(detect_change_failures(deployments, commit_messages={sha("V3"): 'Fix Revert "x"'})) == []


def test_hotfix_custom_tag_is_a_rollforward() -> None:
    deployments = [
        deployment(id="a", finished="2024-03-01T08:00:00Z", version="1.0"),
        deployment(id="b", finished="2024-03-01T09:00:00Z", version="1.1", tags=["deployment_type:hotfix"]),
    ]
    assert failed(detect_change_failures(deployments)) == ["a"]


def test_rollforward_as_the_first_deployment_is_rework_without_a_change_failure() -> None:
    verdicts = detect_change_failures(stream("hotfix-1", by="version"))
    assert failed(verdicts) == []
    assert rework(verdicts) == ["d1"]


def test_redeploying_a_hotfix_is_not_another_rollforward() -> None:
    verdicts = detect_change_failures(stream("1.0", "1.0-hotfix", "1.0-hotfix", by="version"))
    assert failed(verdicts) == ["d1"]
    assert rework(verdicts) == ["d2"]


def test_rollback_wins_over_a_rollforward_rule() -> None:
    # the old artifact's name matches "hotfix": it is still a rollback, and only the rollback reason is kept
    verdicts = detect_change_failures(stream("1.0-hotfix", "2.0", "1.0-hotfix", by="version"))
    assert verdicts["d2"].reasons == (ROLLBACK,)
    assert verdicts["d3"].rework_reasons == (ReworkReason.ROLLBACK,)


def _declared_rollback(id: str, finished: str, version: str) -> Deployment:
    return deployment(id=id, finished=finished, version=version, tags=["deployment_type:rollback"])


def test_a_declared_rollback_to_a_version_never_seen_marks_the_deployment_it_replaces() -> None:
    # 1.4.1 was deployed before anything was recorded (or under another name): only the tag says "rollback"
    verdicts = detect_change_failures(
        [
            *stream("sha256:6a8e", "1.5.0", by="version"),
            _declared_rollback("r", "2024-03-01T09:30:00Z", "1.4.1"),
        ]
    )
    assert failed(verdicts) == ["d2"]
    assert (verdicts["d2"].reasons, verdicts["d2"].remediated_by) == ((ROLLBACK,), "r")
    assert verdicts["d2"].remediation_type is RemediationType.ROLLBACK
    assert (rework(verdicts), verdicts["r"].rework_reasons, verdicts["r"].remediates) == (
        ["r"],
        (ReworkReason.ROLLBACK,),
        ("d2",),
    )


def test_a_declared_rollback_to_a_version_seen_before_marks_the_one_after_it() -> None:
    # V1→V2→V3→V1: the version says which deployment failed (V2), whatever the tag adds
    verdicts = detect_change_failures(
        [*stream("1", "2", "3", by="version"), _declared_rollback("r", "2024-03-01T11:00:00Z", "1")]
    )
    assert failed(verdicts) == ["d2"]
    assert verdicts["d2"].remediated_by == "r"


def test_a_declared_rollback_of_what_is_running_is_a_redeploy() -> None:
    verdicts = detect_change_failures(
        [*stream("1", by="version"), _declared_rollback("r", "2024-03-01T09:00:00Z", "1")]
    )
    assert (failed(verdicts), rework(verdicts)) == ([], [])


def test_a_declared_rollback_as_the_first_deployment_is_rework_without_a_change_failure() -> None:
    verdicts = detect_change_failures([_declared_rollback("r", "2024-03-01T09:00:00Z", "1")])
    assert (failed(verdicts), rework(verdicts)) == ([], ["r"])


def test_a_declared_rollback_wins_over_a_rollforward_rule() -> None:
    verdicts = detect_change_failures(
        [*stream("1.0", "2.0", by="version"), _declared_rollback("r", "2024-03-01T10:00:00Z", "1.0-hotfix")]
    )
    assert (verdicts["d2"].reasons, verdicts["r"].rework_reasons) == ((ROLLBACK,), (ReworkReason.ROLLBACK,))


def test_rollforward_rules_are_configurable() -> None:
    rules = RollforwardRules.compile([r"^fix-"])
    assert failed(detect_change_failures(stream("1.0", "fix-1", by="version"), rules=rules)) == ["d1"]
    assert failed(detect_change_failures(stream("1.0", "hotfix-1", by="version"), rules=rules)) == []


def test_invalid_rollforward_pattern_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"'hot\(fix'"):
        RollforwardRules.compile(["hot(fix"])


def test_earliest_remediation_is_the_one_kept() -> None:
    # V2 is rolled forward by a hotfix, then the stream rolls back to V1 as well
    verdicts = detect_change_failures(stream("V1", "V2", "V2-hotfix", "V1"))
    assert verdicts["d2"].reasons == (ROLLBACK, ROLLFORWARD)
    assert (verdicts["d2"].remediated_by, verdicts["d2"].remediation_type) == (
        "d3",
        RemediationType.ROLLFORWARD,
    )
    assert rework(verdicts) == ["d3", "d4"]


def test_manual_mark_makes_a_change_failure() -> None:
    verdicts = detect_change_failures(stream("V1", "V2"), marks={"d1": ManualMark(change_failure=True)})
    assert failed(verdicts) == ["d1"]
    assert verdicts["d1"].reasons == (MANUAL,)
    assert verdicts["d1"].remediated_by is None


def test_manual_stable_mark_overrides_detection_and_keeps_the_evidence() -> None:
    verdicts = detect_change_failures(stream("V1", "V2", "V1"), marks={"d2": ManualMark(change_failure=False)})
    assert failed(verdicts) == []
    assert verdicts["d2"].reasons == ()
    assert verdicts["d2"].overridden_reasons == (ROLLBACK,)
    assert verdicts["d2"].remediated_by is None
    # the rollback itself still happened: it is still rework
    assert rework(verdicts) == ["d3"]


def test_manual_remediation_implies_a_change_failure_and_marks_the_remedy_as_rework() -> None:
    remedy = ManualRemediation(RemediationType.ROLLFORWARD, "d3")
    verdicts = detect_change_failures(stream("V1", "V2", "V3"), marks={"d1": ManualMark(remediation=remedy)})
    assert failed(verdicts) == ["d1"]
    assert (verdicts["d1"].remediated_by, verdicts["d1"].remediation_type) == (
        "d3",
        RemediationType.ROLLFORWARD,
    )
    assert verdicts["d3"].rework_reasons == (ReworkReason.ROLLFORWARD,)
    assert verdicts["d3"].remediates == ("d1",)


def test_manual_remediation_replaces_the_detected_one() -> None:
    remedy = ManualRemediation(RemediationType.ROLLBACK, "d4")
    marks = {"d2": ManualMark(change_failure=True, remediation=remedy)}
    verdicts = detect_change_failures(stream("V1", "V2", "V1", "V5"), marks=marks)
    assert verdicts["d2"].reasons == (MANUAL, ROLLBACK)
    assert verdicts["d2"].remediated_by == "d4"


def test_stable_mark_ignores_a_remediation_given_with_it() -> None:
    remedy = ManualRemediation(RemediationType.ROLLBACK, "d2")
    verdicts = detect_change_failures(
        stream("V1", "V2"), marks={"d1": ManualMark(change_failure=False, remediation=remedy)}
    )
    assert failed(verdicts) == []
    assert rework(verdicts) == []


def test_marks_for_absent_deployments_are_ignored() -> None:
    verdicts = detect_change_failures(stream("V1"), marks={"gone": ManualMark(change_failure=True)})
    assert failed(verdicts) == []


def test_attributed_failure_makes_a_change_failure() -> None:
    link = Attribution("f1", "d2", AttributionMethod.EXACT, Confidence.HIGH, AttributionBasis.VERSION)
    verdicts = detect_change_failures(stream("V1", "V2", "V3"), attributions=[link])
    assert failed(verdicts) == ["d2"]
    assert verdicts["d2"].reasons == (ATTRIBUTED,)
    assert verdicts["d2"].failure_ids == ("f1",)


def test_hotfix_after_a_failure_is_rework_twice_over() -> None:
    deployments = [
        deployment(id="d1", finished="2024-03-01T08:00:00Z", version="1.0"),
        deployment(id="d2", finished="2024-03-01T10:00:00Z", version="2.0"),
        deployment(id="d3", finished="2024-03-01T12:30:00Z", version="2.0.1-hotfix"),
    ]
    incident = failure(id="f1", started="2024-03-01T11:00:00Z", finished="2024-03-01T13:00:00Z")
    link = Attribution("f1", "d2", AttributionMethod.HEURISTIC, Confidence.LOW, AttributionBasis.LATEST_BEFORE_FAILURE)
    verdicts = detect_change_failures(deployments, failures=[incident], attributions=[link])
    assert failed(verdicts) == ["d2"]
    assert verdicts["d2"].reasons == (ROLLFORWARD, ATTRIBUTED)
    assert verdicts["d2"].remediated_by == "d3"
    assert verdicts["d3"].rework_reasons == (ReworkReason.ROLLFORWARD, ReworkReason.DURING_FAILURE)
    assert verdicts["d3"].rework_failure_ids == ("f1",)


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (None, ["d3"]),  # still open: the first deployment after the start
        ("2024-03-01T10:00:00Z", ["d3"]),  # resolved exactly when d3 finished: "at" counts
        ("2024-03-01T09:59:59Z", []),  # resolved before any deployment after its start
    ],
)
def test_first_deployment_during_a_failure_is_rework(finished: str | None, expected: list[str]) -> None:
    # d1 08:00, d2 09:00 (exactly at the start: not after it), d3 10:00, d4 11:00
    incident = failure(id="f", started="2024-03-01T09:00:00Z", finished=finished)
    verdicts = detect_change_failures(stream("V1", "V2", "V3", "V4"), failures=[incident])
    assert rework(verdicts) == expected


def test_failure_before_the_first_deployment_makes_it_rework() -> None:
    incident = failure(id="f", started="2024-03-01T07:00:00Z", finished="2024-03-01T08:30:00Z")
    verdicts = detect_change_failures(stream("V1", "V2"), failures=[incident])
    assert rework(verdicts) == ["d1"]
    assert failed(verdicts) == []


def test_failure_impacting_two_services_makes_rework_in_each() -> None:
    deployments = [*stream("V1", "V2"), *stream("A1", "A2", service="api", prefix="api-d")]
    incident = failure(("web", "api"), id="f", started="2024-03-01T08:30:00Z")
    verdicts = detect_change_failures(deployments, failures=[incident])
    assert sorted(rework(verdicts)) == ["api-d2", "d2"]


def test_failure_in_another_env_is_no_rework() -> None:
    incident = failure(id="f", env="staging", started="2024-03-01T08:30:00Z")
    assert rework(detect_change_failures(stream("V1", "V2"), failures=[incident])) == []


def test_team_failure_makes_rework_in_each_service_of_the_team() -> None:
    deployments = [
        deployment("web", id="w", finished="2024-03-01T10:00:00Z", team="shop"),
        deployment("api", id="a", finished="2024-03-01T10:30:00Z", team="shop"),
        deployment("billing", id="b", finished="2024-03-01T10:15:00Z", team="money"),
    ]
    incident = failure((), id="f", team="shop", started="2024-03-01T09:00:00Z")
    assert sorted(rework(detect_change_failures(deployments, failures=[incident]))) == ["a", "w"]


def test_deleted_deployment_is_simply_absent() -> None:
    # V1→V2→V3→V1 without V2: V3 is now the deployment after the rollback target
    remaining = [d for d in stream("V1", "V2", "V3", "V1") if d.id != "d2"]
    assert failed(detect_change_failures(remaining)) == ["d3"]


@settings(max_examples=60)
@given(
    st.lists(st.sampled_from(["V1", "V2", "V3", "hotfix-4"]), min_size=1, max_size=12),
    st.randoms(use_true_random=False),
)
def test_arrival_order_does_not_change_verdicts(versions: list[str], rnd: random.Random) -> None:
    deployments = [*stream(*versions), *stream(*reversed(versions), env="staging", prefix="s-d")]
    incident = failure(id="f", started="2024-03-01T09:30:00Z", finished="2024-03-01T12:00:00Z")
    marks = {"d1": ManualMark(change_failure=True)}
    expected = detect_change_failures(deployments, failures=[incident], marks=marks)
    rnd.shuffle(deployments)
    assert detect_change_failures(deployments, failures=[incident], marks=marks) == expected
