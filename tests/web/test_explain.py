"""Why a metric is empty, and what to send: one hint per situation."""

from __future__ import annotations

from doralens.web.explain import FEW, SEND_DEPLOYMENTS, SEND_FAILURES, SEND_GIT, WIDEN, why_empty


def test_a_value_that_stands_needs_no_hint() -> None:
    assert why_empty("change_failure_rate", {"value": 0.0, "insufficient_data": False}, filtered=True) == []


def test_no_deployments_asks_for_deployments_and_wider_filters() -> None:
    block = {"value": None, "insufficient_data": True, "reason": "no deployments", "n": 0, "denominator": 0}
    assert why_empty("change_failure_rate", block, filtered=True) == ["no deployments", SEND_DEPLOYMENTS, WIDEN]


def test_lead_time_names_each_reason_deployments_were_left_out() -> None:
    block = {
        "value": None,
        "insufficient_data": True,
        "reason": None,
        "deployments": 0,
        "left_out": {
            "no_git": {"count": 4, "explanation": "sent without git.commit_sha"},
            "no_baseline": {"count": 0, "explanation": "first"},
        },
    }
    assert why_empty("change_lead_time", block, filtered=False) == [
        "4 deployments no git: sent without git.commit_sha.",
        SEND_GIT,
    ]


def test_failures_open_or_missing() -> None:
    open_ones = {"value": None, "insufficient_data": True, "reason": None, "open": 2, "resolved": 0}
    assert why_empty("time_to_restore", open_ones, filtered=False)[0].startswith("2 failures are still open")
    none = {"value": None, "insufficient_data": True, "reason": None, "open": 0, "resolved": 0}
    assert why_empty("time_to_restore", none, filtered=False) == [SEND_FAILURES]
    recovering = {"value": None, "insufficient_data": True, "reason": None, "change_failures": 2, "not_recovered": 2}
    assert (
        "2 of 2 change failures are not recovered yet"
        in why_empty("failed_deployment_recovery_time", recovering, filtered=False)[0]
    )


def test_too_few_samples_asks_for_a_wider_window() -> None:
    few = {"value": None, "insufficient_data": True, "reason": "n=1", "n": 1, "resolved": 1, "open": 0}
    assert why_empty("time_to_restore", few, filtered=False) == ["n=1", FEW]
    recovered = {"value": None, "insufficient_data": True, "reason": "n=2", "n": 2, "change_failures": 2}
    assert why_empty("failed_deployment_recovery_time", recovered, filtered=True) == ["n=2", FEW, WIDEN]
