"""``doralens deployments`` and ``doralens failures``: list, get, delete and mark events in the database."""

from __future__ import annotations

import getpass
import json
import socket
import time
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from doralens.api.serialize import deployment_object, failure_object
from doralens.cli.common import fail, opened_store, out, when
from doralens.domain.events import ChangeFailureMark, Deployment, Failure, Remediation
from doralens.domain.timestamps import TimestampError, parse_moment
from doralens.errors import NotFound, ValidationFailed
from doralens.metrics.overrides import clear_attribution, set_attribution
from doralens.store.listing import make_list_spec
from doralens.store.query_sql import EventKind

deployments_app = typer.Typer(help="List, show, delete and mark deployments.", no_args_is_help=True)
failures_app = typer.Typer(help="List, show, delete and attribute failures.", no_args_is_help=True)

Query = Annotated[str, typer.Option("--query", "-q", help="Datadog search syntax, e.g. 'service:web env:prod'.")]
Since = Annotated[str | None, typer.Option("--from", help="RFC 3339, a date, or an age such as 7d or 12h.")]
Until = Annotated[str | None, typer.Option("--to", help="RFC 3339, a date, or an age such as 1d.")]
Limit = Annotated[int, typer.Option(help="At most this many (1 to 1000).")]
Sort = Annotated[str | None, typer.Option(help="Field to sort on; prefix with - for descending.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON objects as the API returns them.")]


def _moment(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_moment(text, now=time.time_ns())
    except TimestampError as exc:
        raise fail(f"{option} {exc}", 2) from None


def _listed(kind: EventKind, query: str, since: str | None, until: str | None, limit: int, sort: str | None) -> Any:
    try:
        spec = make_list_spec(
            kind, query=query, since=_moment(since, "--from"), until=_moment(until, "--to"), limit=limit, sort=sort
        )
    except ValidationFailed as exc:
        raise fail("; ".join(p.detail for p in exc.problems), 2) from None
    with opened_store() as store:
        return store.list_deployments(spec) if kind == "deployment" else store.list_failures(spec)


def _print_json(objects: list[dict[str, Any]] | dict[str, Any]) -> None:
    out.print_json(json.dumps({"data": objects}))


def _deployment_table(items: list[Deployment]) -> Table:
    table = Table(Column("id", no_wrap=True), "service", "env", "version", "team", "finished (UTC)", "change failure")
    for d in items:
        marked = "" if d.mark is None else ("yes" if d.mark.change_failure else "no")
        table.add_row(d.id, d.service, d.env or "", d.version or "", d.team or "", when(d.finished_at), marked)
    return table


def _failure_table(items: list[Failure]) -> Table:
    table = Table(
        Column("id", no_wrap=True), "services / team", "env", "severity", "name", "started (UTC)", "resolved (UTC)"
    )
    for f in items:
        who = ", ".join(f.services) or (f.team or "")
        table.add_row(f.id, who, f.env or "", f.severity or "", f.name or "", when(f.started_at), when(f.finished_at))
    return table


@deployments_app.command("list")
def deployments_list(
    query: Query = "",
    since: Since = None,
    until: Until = None,
    limit: Limit = 20,
    sort: Sort = None,
    as_json: AsJson = False,
) -> None:
    """List deployments (newest first unless --sort says otherwise)."""
    items: list[Deployment] = _listed("deployment", query, since, until, limit, sort)
    if as_json:
        _print_json([deployment_object(d) for d in items])
    else:
        out.print(_deployment_table(items))


@deployments_app.command("get")
def deployments_get(deployment_id: str, as_json: AsJson = False) -> None:
    """Show one deployment."""
    with opened_store() as store:
        deployment = store.get_deployment(deployment_id)
    if deployment is None:
        raise fail(f"no deployment with id {deployment_id}")
    if as_json:
        _print_json(deployment_object(deployment))
    else:
        out.print(_deployment_table([deployment]))


@deployments_app.command("delete")
def deployments_delete(deployment_id: str) -> None:
    """Delete a deployment (harmless when it is already gone)."""
    with opened_store() as store:
        existed = store.delete_deployment(deployment_id)
    out.print(f"deleted {deployment_id}" if existed else f"{deployment_id} was not there")


@deployments_app.command("mark")
def deployments_mark(
    deployment_id: Annotated[
        str | None, typer.Argument(help="The deployment; or use --service/--env/--version.")
    ] = None,
    stable: Annotated[bool, typer.Option("--stable", help="Mark it explicitly NOT a change failure.")] = False,
    service: Annotated[str | None, typer.Option(help="With --env and --version: the latest such deployment.")] = None,
    env: Annotated[str | None, typer.Option()] = None,
    version: Annotated[str | None, typer.Option()] = None,
    remediation: Annotated[str | None, typer.Option(help="rollback or rollforward.")] = None,
    remediation_id: Annotated[str | None, typer.Option(help="The deployment that fixed it.")] = None,
    remediation_version: Annotated[str | None, typer.Option(help="The version that fixed it.")] = None,
) -> None:
    """Mark a deployment as a change failure (the default) or as stable, with what remediated it."""
    fix = None
    if remediation is not None:
        if remediation not in ("rollback", "rollforward") or (remediation_id is None) == (remediation_version is None):
            raise fail("--remediation must be rollback or rollforward, with one of --remediation-id/-version", 2)
        fix = Remediation(
            "rollback" if remediation == "rollback" else "rollforward", remediation_id, remediation_version
        )
    mark = ChangeFailureMark(not stable, fix, _cli_user(), time.time_ns())
    with opened_store() as store:
        if deployment_id is None:
            if not (service and env and version):
                raise fail("give a deployment id, or --service, --env and --version", 2)
            deployment_id = store.latest_deployment_id(service=service, env=env, version=version)
        if deployment_id is None or not store.mark_deployment(deployment_id, mark):
            raise fail("no such deployment")
    out.print(f"marked {deployment_id} as {'stable' if stable else 'a change failure'}")


@failures_app.command("list")
def failures_list(
    query: Query = "",
    since: Since = None,
    until: Until = None,
    limit: Limit = 20,
    sort: Sort = None,
    as_json: AsJson = False,
) -> None:
    """List failures (newest first unless --sort says otherwise)."""
    items: list[Failure] = _listed("failure", query, since, until, limit, sort)
    if as_json:
        _print_json([failure_object(f) for f in items])
    else:
        out.print(_failure_table(items))


@failures_app.command("get")
def failures_get(failure_id: str, as_json: AsJson = False) -> None:
    """Show one failure."""
    with opened_store() as store:
        failure = store.get_failure(failure_id)
    if failure is None:
        raise fail(f"no failure with id {failure_id}")
    if as_json:
        _print_json(failure_object(failure))
    else:
        out.print(_failure_table([failure]))


@failures_app.command("delete")
def failures_delete(failure_id: str) -> None:
    """Delete a failure (harmless when it is already gone)."""
    with opened_store() as store:
        existed = store.delete_failure(failure_id)
    out.print(f"deleted {failure_id}" if existed else f"{failure_id} was not there")


@failures_app.command("attribute")
def failures_attribute(
    failure_id: str,
    deployment_id: Annotated[str | None, typer.Argument(help="The deployment that caused it.")] = None,
    none: Annotated[bool, typer.Option("--none", help="No deployment caused it.")] = False,
    auto: Annotated[bool, typer.Option("--auto", help="Remove the override: let the rules decide again.")] = False,
) -> None:
    """Say which deployment caused a failure (or --none), overriding the attribution rules; --auto undoes it."""
    if sum((deployment_id is not None, none, auto)) != 1:
        raise fail("give a deployment id, or --none, or --auto", 2)
    with opened_store() as store:
        try:
            if auto:
                removed = clear_attribution(store=store, failure_id=failure_id)
                out.print(
                    f"{failure_id}: attributed by the rules again" if removed else f"{failure_id} had no override"
                )
                return
            set_attribution(store=store, failure_id=failure_id, deployment_id=deployment_id, set_by=_cli_user())
        except NotFound:
            raise fail(f"no failure with id {failure_id}") from None
        except ValidationFailed as exc:
            raise fail("; ".join(p.detail for p in exc.problems)) from None
    out.print(f"{failure_id}: caused by {deployment_id}" if deployment_id else f"{failure_id}: caused by no deployment")


def _cli_user() -> str:
    return f"cli ({getpass.getuser()}@{socket.gethostname()})"
