"""``doralens metrics`` (the DORA metrics as a table, JSON or CSV) and ``doralens explain`` (the events behind one).

Both ask the same question the HTTP API does, through the same functions, and ``--json`` prints the same body.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from doralens.api.serialize import event_object
from doralens.cli.common import fail, load_settings, opened_store, out
from doralens.cli.render import events_table, metrics_table, shown, write_csv
from doralens.errors import ValidationFailed
from doralens.gitdata.service import engine_config
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.events import list_metric_events
from doralens.metrics.report import report_json
from doralens.metrics.request import METRICS, MetricName, MetricsRequest, build_request

Since = Annotated[str | None, typer.Option("--from", help="Start: RFC 3339, a date, or an age such as 30d.")]
Until = Annotated[str | None, typer.Option("--to", help="End (exclusive), same forms; default now.")]
IntervalOpt = Annotated[str, typer.Option(help="Series buckets: day, week, month or all.")]
Envs = Annotated[list[str] | None, typer.Option("--env", help="Environment (repeat for several).")]
Services = Annotated[list[str] | None, typer.Option("--service", help="Service (repeat for several).")]
Teams = Annotated[list[str] | None, typer.Option("--team", help="Team (repeat for several).")]
Repositories = Annotated[list[str] | None, typer.Option("--repository", help="Repository id, e.g. github.com/o/r.")]
Severities = Annotated[list[str] | None, typer.Option("--severity", help="Failure severity (failure numbers only).")]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="Custom tag key:value (repeat for several).")]
Query = Annotated[str | None, typer.Option("--query", "-q", help="Datadog search syntax.")]
GroupBy = Annotated[str | None, typer.Option("--group-by", help="service, team or env.")]
TierYear = Annotated[int | None, typer.Option("--tier-year", help="2024 or 2023 [DORALENS_TIER_YEAR].")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the JSON the API returns.")]


def _question(
    engine: EngineConfig,
    *,
    start: str | None,
    end: str | None,
    interval: str,
    env: list[str] | None,
    service: list[str] | None,
    team: list[str] | None,
    repository: list[str] | None,
    severity: list[str] | None,
    tag: list[str] | None,
    query: str | None,
    group_by: str | None = None,
    tier_year: int | None = None,
) -> MetricsRequest:
    try:
        return build_request(
            now=time.time_ns(),
            default_tier_year=engine.tier_year,
            start=start,
            end=end,
            interval=interval,
            env=env or (),
            service=service or (),
            team=team or (),
            repository=repository or (),
            severity=severity or (),
            tag=tag or (),
            query=query,
            group_by=group_by,
            tier_year=tier_year,
        )
    except ValidationFailed as exc:
        raise fail("; ".join(f"{p.pointer.removeprefix('/query/')}: {p.detail}" for p in exc.problems), 2) from None


def _engine() -> EngineConfig:
    return EngineConfig.from_settings(load_settings())


def metrics(
    since: Since = None,
    until: Until = None,
    interval: IntervalOpt = "all",
    env: Envs = None,
    service: Services = None,
    team: Teams = None,
    repository: Repositories = None,
    severity: Severities = None,
    tag: Tags = None,
    query: Query = None,
    group_by: GroupBy = None,
    tier_year: TierYear = None,
    as_json: AsJson = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print headlines and series as CSV.")] = False,
) -> None:
    """The DORA metrics with tiers and sample sizes (default: the last 90 days, every env)."""
    engine = _engine()
    question = _question(
        engine,
        start=since,
        end=until,
        interval=interval,
        env=env,
        service=service,
        team=team,
        repository=repository,
        severity=severity,
        tag=tag,
        query=query,
        group_by=group_by,
        tier_year=tier_year,
    )
    with opened_store() as store:
        engine = engine_config(load_settings(), store.backend)[0]
        body = report_json(compute_metrics(store=store, config=engine, request=question))
    if as_json:
        typer.echo(json.dumps(body, indent=2))
    elif as_csv:
        write_csv(body)
    else:
        out.print(metrics_table(body))


def explain(
    metric: Annotated[str, typer.Argument(help=f"One of: {', '.join(METRICS)}.")],
    since: Since = None,
    until: Until = None,
    env: Envs = None,
    service: Services = None,
    team: Teams = None,
    repository: Repositories = None,
    severity: Severities = None,
    tag: Tags = None,
    query: Query = None,
    subset: Annotated[str, typer.Option(help="all, numerator, incidents, resolved, open or measured.")] = "all",
    limit: Annotated[int, typer.Option(help="At most this many events (1 to 1000).")] = 50,
    as_json: AsJson = False,
) -> None:
    """Show the number and the events that produced it: reasons, remediations, attributions."""
    if metric not in METRICS:
        raise fail(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}", 2)
    name: MetricName = next(m for m in METRICS if m == metric)
    engine = _engine()
    question = _question(
        engine,
        start=since,
        end=until,
        interval="all",
        env=env,
        service=service,
        team=team,
        repository=repository,
        severity=severity,
        tag=tag,
        query=query,
    )
    with opened_store() as store:
        engine = engine_config(load_settings(), store.backend)[0]
        body = report_json(compute_metrics(store=store, config=engine, request=question, metrics=[name]))
        try:
            page = list_metric_events(
                store=store, config=engine, request=question, metric=name, subset=subset, limit=limit
            )
        except ValidationFailed as exc:
            raise fail("; ".join(p.detail for p in exc.problems), 2) from None
    block = body["metrics"][name]
    data = [event_object(i) for i in page.items]
    if as_json:
        typer.echo(json.dumps({"metric": block, "data": data}, indent=2))
        return
    out.print(f"[bold]{name}[/bold] {body['from']} → {body['to']}: {shown(block)}, n={block.get('n')}")
    if block.get("reason"):
        out.print(block["reason"])
    out.print(events_table(page.kind, data))
    if len(page.items) == limit:
        out.print(f"(first {limit}; use --limit for more)")


def register(app: typer.Typer) -> None:
    """Add ``metrics`` and ``explain`` to the app."""
    app.command()(metrics)
    app.command()(explain)
