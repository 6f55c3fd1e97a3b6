"""What the metrics commands print: the report as a table or CSV, and the events behind a number as a table.

Both read the JSON the API returns, so the CLI shows exactly what the API answers. Events take one row each: the
event in the first column and its evidence (reasons, remediation, attributions) in the second, one fact a line,
so that they stay readable in a narrow terminal."""

from __future__ import annotations

import csv
import sys
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


CSV_COLUMNS = [
    "group",
    "metric",
    "scope",
    "start",
    "end",
    "value",
    "unit",
    "n",
    "numerator",
    "denominator",
    "tier",
    "insufficient_reason",
]


def _groups(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if body["group_by"] is None:
        return [("", body["metrics"])]
    return [(str(g[body["group_by"]] or "(none)"), g["metrics"]) for g in body["groups"]]


def shown(block: dict[str, Any]) -> str:
    """A headline as people read it: a percentage with its fraction, a duration, a count per day."""
    value, unit = block.get("value"), block.get("unit")
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value:.1%} ({block['numerator']}/{block['denominator']})"
    if unit == "seconds":
        return _duration(value)
    if "per_day" in block and block["per_day"] is not None:
        return f"{value} ({block['per_day']:.2f}/day)"
    return str(value)


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.1f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def metrics_table(body: dict[str, Any]) -> Table:
    """The report's headlines: value, tier, sample size and why a value is withheld."""
    grouped = body["group_by"] is not None
    title = f"DORA metrics {body['from']} → {body['to']} (tiers: {body['tier_year']} report)"
    columns = [body["group_by"]] if grouped else []
    table = Table(*columns, "metric", "value", "tier", "n", "note", title=title)
    for group, blocks in _groups(body):
        for name, block in blocks.items():
            tier = block.get("tier")
            left_out = [f"{v['count']} {k}" for k, v in block.get("left_out", {}).items() if v["count"]]
            note = "; ".join(filter(None, [block.get("reason"), ", ".join(left_out)]))
            row = [name, shown(block), tier["level"] if tier else "", str(block.get("n", "")), note or ""]
            table.add_row(*([group] if grouped else []), *row)
    return table


def write_csv(body: dict[str, Any]) -> None:
    """Headlines and series points as CSV rows on standard output."""
    writer = csv.writer(sys.stdout)
    writer.writerow(CSV_COLUMNS)
    for group, blocks in _groups(body):
        for name, block in blocks.items():
            tier = (block.get("tier") or {}).get("level", "")
            rows = [("headline", body["from"], body["to"], block, tier)]
            rows += [("series", p["start"], p["end"], p, "") for p in block.get("series", [])]
            for scope, start, end, item, level in rows:
                values = [item.get("value"), block.get("unit"), item.get("n"), item.get("numerator")]
                values += [item.get("denominator"), level, item.get("reason")]
                writer.writerow([group, name, scope, start, end, *(_cell(v) for v in values)])


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
