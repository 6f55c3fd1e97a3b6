"""How numbers read on a page: durations in the largest sensible unit, ratios as percentages, counts as counts.

Pages show the query API's own values through these functions only; the raw value sits beside the text in a
``data-value`` attribute so a test (or a user) can compare it with the API.
"""

from __future__ import annotations

from typing import Any

TITLES = {
    "deployment_frequency": "Deployment frequency",
    "change_lead_time": "Change lead time",
    "change_failure_rate": "Change failure rate",
    "failed_deployment_recovery_time": "Failed deployment recovery time",
    "deployment_rework_rate": "Deployment rework rate",
    "time_to_restore": "Time to restore (incidents)",
}
SUMMARIES = {
    "deployment_frequency": "Deployments finished in the window",
    "change_lead_time": "Median time from commit to production, over commits",
    "change_failure_rate": "Share of deployments that caused a failure or were rolled back",
    "failed_deployment_recovery_time": "Median time from a failed deployment to the one that fixed it",
    "deployment_rework_rate": "Share of deployments that were unplanned (rollbacks, hotfixes, fixes during a failure)",
    "time_to_restore": "Median duration of resolved failures",
}
SHORT = {
    "deployment_frequency": "Deployments",
    "change_lead_time": "Lead time",
    "change_failure_rate": "Change failure rate",
    "failed_deployment_recovery_time": "Recovery time",
    "deployment_rework_rate": "Rework rate",
    "time_to_restore": "Time to restore",
}
HIGHER_IS_BETTER = frozenset({"deployment_frequency"})


def duration(seconds: float | None) -> str:
    """Seconds in words: ``45 s``, ``12.5 min``, ``3.2 h``, ``4.1 d``; an em dash for none."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def percent(ratio: float | None) -> str:
    """A ratio as a percentage with one decimal; an em dash for none."""
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def count(value: float | None) -> str:
    """A count with thousands separators."""
    return "—" if value is None else f"{value:,.0f}"


def number(value: float | None, unit: str) -> str:
    """A metric value in its unit (``seconds``, ``ratio`` or ``deployments``)."""
    if unit == "seconds":
        return duration(value)
    if unit == "ratio":
        return percent(value)
    return count(value)


def per_day(value: float | None) -> str:
    """Deployments per day, or per week when fewer than one a day."""
    if value is None:
        return "—"
    return f"{value:.1f} per day" if value >= 1 else f"{value * 7:.1f} per week"


def sample(metric: str, block: dict[str, Any]) -> str:
    """What a value was computed over, in words."""
    if metric == "deployment_frequency":
        return f"{count(block['n'])} deployments, {per_day(block['per_day'])}"
    if metric == "change_lead_time":
        return f"over {count(block['commits'])} commits of {count(block['deployments'])} deployments"
    if metric in ("change_failure_rate", "deployment_rework_rate"):
        return f"{count(block['numerator'])} of {count(block['denominator'])} deployments"
    if metric == "failed_deployment_recovery_time":
        return f"over {count(block['n'])} recovered of {count(block['change_failures'])} change failures"
    return f"over {count(block['resolved'])} resolved failures, {count(block['open'])} open"


def trend(metric: str, current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any] | None:
    """How the headline moved against the previous window of the same length; None when either side has no value."""
    key = "per_day" if metric == "deployment_frequency" else "value"
    now, before = current.get(key), previous.get(key)
    if now is None or before is None or current.get("insufficient_data") or previous.get("insufficient_data"):
        return None
    if now == before:
        return {"direction": "flat", "change": 0.0, "better": None, "previous": before, "text": "no change"}
    direction = "up" if now > before else "down"
    change = None if before == 0 else (now - before) / abs(before)
    better = (direction == "up") == (metric in HIGHER_IS_BETTER)
    size = "from zero" if change is None else f"{abs(change) * 100:.0f}%"
    return {
        "direction": direction,
        "change": change,
        "better": better,
        "previous": before,
        "text": f"{direction} {size} ({'better' if better else 'worse'})",
    }
