"""Tables of the events behind a number, from the objects the API returns for them: one row per event, the
event in the first column and the evidence (reasons, remediation, attributions) in the second, one fact a line,
so that they stay readable in a narrow terminal."""

from __future__ import annotations

from typing import Any

from rich.table import Column, Table

from doralens.cli.common import when
from doralens.domain.timestamps import parse_rfc3339


def _at(text: str | None) -> str:
    return when(parse_rfc3339(text)) if text else ""


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def _deployment(item: dict[str, Any]) -> tuple[str, str]:
    a = item["attributes"]
    event = "\n".join(
        [item["id"], f"{a['service']} {a.get('env', '')} {a.get('version', '')}".strip(), _at(a["finished_at"])]
    )
    facts = []
    if a.get("change_failure"):
        facts.append("change failure: " + ", ".join(a.get("change_failure_reasons", [])))
    if a.get("change_failure_overridden_reasons"):
        facts.append("marked stable over: " + ", ".join(a["change_failure_overridden_reasons"]))
    fix = a.get("remediation")
    if fix:
        facts.append(f"remediated by {fix.get('id') or fix.get('version')} ({fix.get('type')})")
    if a.get("rework"):
        facts.append("rework: " + ", ".join(a.get("rework_reasons", [])))
    for linked in a.get("attributed_failures", []):
        facts.append(f"caused {linked['failure_id']} ({linked['method']}, {linked['confidence'] or '-'})")
    if a.get("recovery_status"):
        recovery = a.get("recovery_time")
        shown = f"{_hours(recovery)}, " if recovery is not None else ""
        facts.append(f"recovery: {shown}{a['recovery_status']}")
    return event, "\n".join(facts) or "-"


def _failure(item: dict[str, Any]) -> tuple[str, str]:
    a = item["attributes"]
    who = ", ".join(a.get("services", [])) or a.get("team", "")
    duration = a.get("time_to_restore")
    span = f"{_at(a['started_at'])} → {_at(a.get('finished_at')) or 'open'}"
    lines = [item["id"], f"{who} {a.get('env', '')} {a.get('severity', '')}".strip(), span]
    if duration is not None:
        lines.append(f"restored in {_hours(duration)}")
    links = [
        f"{d['deployment_id']} of {d['service']} ({d['method']}, {d['confidence'] or '-'})"
        for d in a.get("attributed_deployments", [])
    ]
    caused = "\n".join(links) or (a.get("attribution_method") or "-")
    return "\n".join(lines), caused


def events_table(kind: str, items: list[dict[str, Any]]) -> Table:
    """A table of deployment or failure objects with their evidence."""
    evidence = "evidence" if kind == "deployment" else "caused by"
    table = Table(Column(kind, no_wrap=True), Column(evidence, overflow="fold"), show_lines=True)
    for item in items:
        table.add_row(*(_deployment(item) if kind == "deployment" else _failure(item)))
    return table
