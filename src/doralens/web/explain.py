"""Why a metric shows no value, and what to send to get one: the answer to "why is this empty?"."""

from __future__ import annotations

from typing import Any

SEND_DEPLOYMENTS = (
    "Send deployments: `doralens deployment --service NAME --env ENV --started-at T` or `datadog-ci dora "
    "deployment` from CI, or POST /api/v2/dora/deployment."
)
SEND_GIT = (
    "Send each deployment with its commit (`--git-commit-sha` and `--git-repository-url`, or run `doralens "
    "deployment` in the checkout, which also uploads the commits), or let the server read the repository "
    "(DORALENS_GIT_REPOSITORIES, DORALENS_GIT_REMOTES)."
)
SEND_FAILURES = (
    "Send failures: `doralens failure start --service NAME --env ENV` when one begins and `doralens failure "
    "resolve --id ID` when it is fixed, POST /api/v2/dora/failure, or the GitHub, GitLab and PagerDuty webhooks."
)
WIDEN = "Or widen the time range and filters: fewer events match them in this window."
FEW = (
    "A median needs at least DORALENS_MIN_SAMPLES_DURATIONS values (3 unless set): widen the time range to take "
    "in more."
)
DURATIONS = frozenset({"change_lead_time", "failed_deployment_recovery_time", "time_to_restore"})


def why_empty(metric: str, block: dict[str, Any], *, filtered: bool) -> list[str]:
    """Sentences explaining a missing or thin value (none when the value stands)."""
    if not block.get("insufficient_data") and block.get("value") is not None:
        return []
    hints: list[str] = [block["reason"]] if block.get("reason") else []
    deployments = _deployments(metric, block)
    if metric == "change_lead_time":
        hints.extend(_lead_time(block, deployments))
    elif metric == "failed_deployment_recovery_time":
        if block.get("not_recovered"):
            hints.append(
                f"{block['not_recovered']} of {block['change_failures']} change failures are not recovered yet: "
                "recovery is measured when a later deployment fixes them (a rollback, a rollforward, or the first "
                "deployment after their failure is resolved)."
            )
        elif not block.get("change_failures"):
            hints.append(
                "No change failures in this window: nothing to recover from. If failures do happen, they are not "
                "reaching doralens. " + SEND_FAILURES
            )
    elif metric == "time_to_restore":
        if block.get("open"):
            hints.append(f"{block['open']} failures are still open: resolve them (`doralens failure resolve`).")
        elif not block.get("resolved"):
            hints.append(SEND_FAILURES)
    elif deployments == 0:
        hints.append(SEND_DEPLOYMENTS)
    if block.get("n") and metric in DURATIONS:
        hints.append(FEW)
    if filtered:
        hints.append(WIDEN)
    return hints


def _deployments(metric: str, block: dict[str, Any]) -> int | None:
    if metric == "deployment_frequency":
        return int(block["n"])
    if metric in ("change_failure_rate", "deployment_rework_rate"):
        return int(block["denominator"])
    return None


def _lead_time(block: dict[str, Any], deployments: int | None) -> list[str]:
    left_out = {k: v for k, v in block.get("left_out", {}).items() if v["count"]}
    if not left_out and not block.get("deployments"):
        return ["No deployments with git data in this window. " + SEND_DEPLOYMENTS + " " + SEND_GIT]
    found = [f"{v['count']} deployments {k.replace('_', ' ')}: {v['explanation']}." for k, v in left_out.items()]
    if "no_git" in left_out:
        found.append(SEND_GIT)
    return found
