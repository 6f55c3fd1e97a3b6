"""Exporting events as the create bodies that import them again: NDJSON (one body per line) or CSV.

Times are integer nanoseconds, so nothing is rounded; a deployment's manual mark travels in the attributes the
import reads (``change_failure``, ``remediation``, ``change_failure_marked_by``, ``change_failure_marked_at``).
Events are read in pages straight from the database, so memory stays flat however many there are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import IO, Any

import orjson

from doralens.domain.events import Deployment, Failure, GitInfo
from doralens.store.dialect import Backend
from doralens.store.failures_sql import services_of
from doralens.store.listing import MAX_LIMIT, make_list_spec
from doralens.store.listing import list_statement as _list_statement
from doralens.store.rows import deployment_from, failure_from
from doralens.transfer.csvrows import COLUMNS
from doralens.transfer.importer import Format
from doralens.transfer.items import Kind

PAGE = 5_000
Counter = Callable[[Kind], None]


def _git(git: GitInfo | None) -> dict[str, str] | None:
    return {"commit_sha": git.commit_sha, "repository_url": git.repository_url} if git else None


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None and value != [] and value != ()}


def deployment_body(deployment: Deployment) -> dict[str, Any]:
    """The create body of a deployment, with its manual mark when it has one."""
    attributes = _present(
        {
            "id": deployment.id,
            "service": deployment.service,
            "started_at": deployment.started_at,
            "finished_at": deployment.finished_at,
            "env": deployment.env,
            "team": deployment.team,
            "version": deployment.version,
            "git": _git(deployment.git),
            "custom_tags": list(deployment.custom_tags),
        }
    )
    mark = deployment.mark
    if mark is not None:
        attributes["change_failure"] = mark.change_failure
        if mark.remediation is not None:
            fix = mark.remediation
            attributes["remediation"] = _present({"type": fix.type, "id": fix.deployment_id, "version": fix.version})
        attributes["change_failure_marked_by"] = mark.set_by
        attributes["change_failure_marked_at"] = mark.set_at
    return {"data": {"type": "dora_deployment", "attributes": attributes}}


def failure_body(failure: Failure) -> dict[str, Any]:
    """The create body of a failure."""
    attributes = _present(
        {
            "id": failure.id,
            "started_at": failure.started_at,
            "finished_at": failure.finished_at,
            "services": list(failure.services),
            "team": failure.team,
            "env": failure.env,
            "name": failure.name,
            "severity": failure.severity,
            "version": failure.version,
            "git": _git(failure.git),
            "custom_tags": list(failure.custom_tags),
        }
    )
    return {"data": {"type": "dora_failure", "attributes": attributes}}


def csv_cells(body: dict[str, Any]) -> list[str]:
    """The CSV row of a body, in ``COLUMNS`` order (the inverse of ``csvrows.row_body``)."""
    data = body["data"]
    attributes = data["attributes"]
    cells: dict[str, str] = {"kind": "deployment" if data["type"] == "dora_deployment" else "failure"}
    for name, value in attributes.items():
        if name == "git":
            cells.update(value)
        elif name == "remediation":
            cells.update({f"remediation_{key}": text for key, text in value.items()})
        elif isinstance(value, list):
            cells[name] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            cells[name] = "true" if value else "false"
        else:
            cells[name] = str(value)
    return [cells.get(name, "") for name in COLUMNS]


def read_events(backend: Backend, kind: Kind, *, query: str, since: int | None, until: int | None) -> Iterator[Any]:
    """Every event of ``kind`` in the range that matches the query, oldest first, read a page at a time."""
    spec = replace(make_list_spec(kind, query=query, since=since, until=until, limit=MAX_LIMIT), descending=False)
    statement = _list_statement(kind, spec).limit(None)
    with backend.reader.connect() as conn:
        result = conn.execution_options(yield_per=PAGE).execute(statement)
        for page in result.partitions():
            if kind == "deployment":
                yield from (deployment_from(row) for row in page)
            else:
                services = services_of(conn, [row.id for row in page])
                yield from (failure_from(row, services.get(row.id, ())) for row in page)


def write_events(
    backend: Backend,
    out: IO[bytes],
    *,
    fmt: Format,
    kinds: tuple[Kind, ...],
    query: str = "",
    since: int | None = None,
    until: int | None = None,
    counted: Counter = lambda _kind: None,
) -> None:
    """Write the events of ``kinds`` (deployments first) as NDJSON or CSV to ``out``."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True) if fmt == "csv" else None
    writer = csv.writer(text, lineterminator="\n") if text is not None else None
    if writer is not None:
        writer.writerow(COLUMNS)
    for kind in kinds:
        for event in read_events(backend, kind, query=query, since=since, until=until):
            body = deployment_body(event) if kind == "deployment" else failure_body(event)
            if writer is not None:
                writer.writerow(csv_cells(body))
            else:
                out.write(orjson.dumps(body) + b"\n")
            counted(kind)
    if text is not None:
        text.flush()
        text.detach()
