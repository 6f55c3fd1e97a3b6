"""Tables of the events behind a number, from the objects the API returns for them."""

from __future__ import annotations

from typing import Any

from rich.table import Column, Table

from doralens.cli.common import when
from doralens.domain.timestamps import parse_rfc3339


def _at(text: str | None) -> str:
    return when(parse_rfc3339(text)) if text else ""


def _deployment_row(item: dict[str, Any]) -> list[str]:
    a = item["attributes"]
    failure = ", ".join(a.get("change_failure_reasons", [])) if a.get("change_failure") else "no"
    if a.get("change_failure_overridden_reasons"):
        failure += f" (marked stable over {', '.join(a['change_failure_overridden_reasons'])})"
    fix = a.get("remediation") or {}
    remediation = f"{fix.get('type', '')} by {fix.get('id') or fix.get('version')}" if fix else ""
    rework = ", ".join(a.get("rework_reasons", [])) if a.get("rework") else "no"
    linked = ", ".join(f"{f['failure_id']} ({f['method']}, {f['confidence'] or '-'})" for f in a["attributed_failures"])
    recovery = a.get("recovery_status", "")
    if a.get("recovery_time") is not None:
        recovery = f"{a['recovery_time'] / 3600:.2f} h ({recovery})"
    return [
        item["id"],
        a["service"],
        a.get("env", ""),
        a.get("version", ""),
        _at(a["finished_at"]),
        failure,
        remediation,
        rework,
        linked,
        recovery,
    ]


def _failure_row(item: dict[str, Any]) -> list[str]:
    a = item["attributes"]
    links = a.get("attributed_deployments", [])
    attribution = ", ".join(f"{d['deployment_id']} ({d['method']}, {d['confidence'] or '-'})" for d in links)
    duration = a.get("time_to_restore")
    return [
        item["id"],
        ", ".join(a.get("services", [])) or a.get("team", ""),
        a.get("env", ""),
        a.get("severity", ""),
        _at(a["started_at"]),
        _at(a.get("finished_at")),
        "open" if duration is None else f"{duration / 3600:.2f} h",
        attribution or a.get("attribution_method") or "",
    ]


def events_table(kind: str, items: list[dict[str, Any]]) -> Table:
    """A table of deployment or failure objects with their evidence."""
    if kind == "deployment":
        table = Table(
            Column("id", no_wrap=True),
            "service",
            "env",
            "version",
            "finished (UTC)",
            "change failure",
            "remediation",
            "rework",
            "attributed failures",
            "recovery",
        )
        for item in items:
            table.add_row(*_deployment_row(item))
        return table
    table = Table(
        Column("id", no_wrap=True), "services / team", "env", "severity", "started", "resolved", "restore", "caused by"
    )
    for item in items:
        table.add_row(*_failure_row(item))
    return table
