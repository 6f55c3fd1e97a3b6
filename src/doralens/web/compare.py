"""The comparison table: every service (or team) in a row, each metric's headline in a column, sortable.

Rows are the groups of ``report_json`` for the question grouped by service or team, the same as
``GET /api/v1/metrics?group_by=service``. Sorting is done here, so the table sorts without script and its JSON
twin is in the order shown; groups without a value sort last either way.
"""

from __future__ import annotations

from typing import Any

from doralens.errors import ValidationFailed
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.report import report_json
from doralens.metrics.request import METRICS, MetricsRequest
from doralens.store.base import EventStore
from doralens.web.overview import page_link
from doralens.web.present import SHORT, number

COLUMNS = ("name", *METRICS)


def _cell(metric: str, block: dict[str, Any]) -> dict[str, Any]:
    value = None if block.get("insufficient_data") else block.get("value")
    events = block["events"]
    link = events if isinstance(events, str) else events["numerator"]
    tier = block.get("tier")
    return {
        "value": value,
        "display": "insufficient data" if value is None else number(value, block.get("unit", "deployments")),
        "n": block["n"],
        "tier": tier["level"] if tier else None,
        "events": page_link(link),
    }


def comparison(
    *, store: EventStore, engine: EngineConfig, request: MetricsRequest, sort: str, order: str
) -> dict[str, Any]:
    """The table's rows for the question (which must be grouped), sorted by ``sort`` in ``order``."""
    if sort not in COLUMNS:
        raise ValidationFailed.at("/query/sort", f"must be one of {', '.join(COLUMNS)}")
    if order not in ("asc", "desc"):
        raise ValidationFailed.at("/query/order", "must be asc or desc")
    group_by = request.group_by or "service"
    report = report_json(compute_metrics(store=store, config=engine, request=request))
    rows = [
        {"name": group[group_by], "cells": {m: _cell(m, group["metrics"][m]) for m in METRICS}}
        for group in report["groups"]
    ]
    if sort == "name":
        rows.sort(key=lambda r: r["name"] or "", reverse=order == "desc")
    else:
        present = [r for r in rows if r["cells"][sort]["value"] is not None]
        absent = [r for r in rows if r["cells"][sort]["value"] is None]
        present.sort(key=lambda r: (r["cells"][sort]["value"], r["name"] or ""), reverse=order == "desc")
        rows = present + sorted(absent, key=lambda r: r["name"] or "")
    return {
        "group_by": group_by,
        "sort": sort,
        "order": order,
        "columns": [{"key": c, "title": "Name" if c == "name" else SHORT[c]} for c in COLUMNS],
        "rows": rows,
        "report": {k: v for k, v in report.items() if k != "groups"},
    }
