"""One imported line turned into what the store writes: a deployment (with a manual mark, if the line has one)
or a failure. Validation is the API's own: the create body goes through the same models and functions as
``POST /api/v2/dora/deployment`` and ``/failure``, and a mark through those of ``PATCH /api/v2/dora/deployments``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from doralens.api.remediation import RemediationIn, remediation_from
from doralens.api.schemas import Name, Strict, Timestamp, parse_deployment, parse_failure, problems_from
from doralens.domain.events import ChangeFailureMark, Deployment, Failure
from doralens.errors import ValidationFailed
from doralens.store.bulk_rows import DeploymentRow, RowBatch, deployment_row, row_batch
from doralens.transfer.fastpath import fast_deployment

Kind = Literal["deployment", "failure"]
# ``data.type`` of each kind: what the export writes, and what Datadog's documentation and clients send.
TYPES: dict[str, Kind] = {"dora_deployment": "deployment", "dora_failure": "failure", "dora_incident": "failure"}


@dataclass(frozen=True, slots=True)
class Item:
    """A validated line: the event, and for a deployment the manual mark the line carries (None: leave it)."""

    line: int
    event: Deployment | Failure
    mark: ChangeFailureMark | None = None


# What the import writes of an item: a deployment as the bulk writer's row, a failure as it is.
Writable = DeploymentRow | Failure


def for_writing(item: Item) -> Writable:
    """The item as the import writes it (the reading process builds deployment rows, see ``DeploymentRow``)."""
    event = item.event
    return deployment_row(event, item.mark) if isinstance(event, Deployment) else event


def group_rows(items: Iterable[Writable]) -> list[RowBatch | Failure]:
    """The items in order, each run of deployment rows as one ``RowBatch`` placed where the run ends.

    The import writes deployments in bulk together with the failures that carry an id, and writes what it holds
    before each failure without an id (which may merge into a failure written earlier): so a run goes up to the next
    failure without an id, and the failures with an id inside it may stay before its ``RowBatch``."""
    grouped: list[RowBatch | Failure] = []
    rows: list[DeploymentRow] = []
    for item in items:
        if isinstance(item, DeploymentRow):
            rows.append(item)
            continue
        if not item.id_given and rows:
            grouped.append(row_batch(rows))
            rows = []
        grouped.append(item)
    if rows:
        grouped.append(row_batch(rows))
    return grouped


class _MarkAttributes(Strict):
    """The attributes an export adds to a marked deployment, checked as ``PATCH`` checks them."""

    change_failure: bool | None = None
    remediation: RemediationIn | None = None
    change_failure_marked_by: Name | None = None
    change_failure_marked_at: Timestamp | None = None


class _MarkData(Strict):
    attributes: _MarkAttributes


class _MarkBody(Strict):
    data: _MarkData


def kind_of(body: Any, forced: Kind | None) -> Kind:
    """Deployment or failure: ``forced`` (``--kind``), else ``data.type``, else ``service`` vs ``services``."""
    if forced is not None:
        return forced
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ValidationFailed.at("/data", 'attribute "data" is required')
    declared = data.get("type")
    if declared is not None:
        if declared not in TYPES:
            raise ValidationFailed.at("/data/type", f"must be one of {', '.join(TYPES)} (or use --kind)")
        return TYPES[declared]
    attributes = data.get("attributes")
    if isinstance(attributes, dict) and ("service" in attributes) != ("services" in attributes):
        return "deployment" if "service" in attributes else "failure"
    raise ValidationFailed.at(
        "/data/type", "cannot tell a deployment from a failure: set dora_deployment or dora_failure, or use --kind"
    )


def line_id(raw: bytes) -> str:
    """The id of a deployment whose line names none: derived from the line, so importing it again updates it."""
    return hashlib.sha256(raw).hexdigest()[:16]


MARK_ATTRIBUTES = frozenset(_MarkAttributes.model_fields)


def parse_mark(body: Any, *, default_by: str, now: int) -> ChangeFailureMark | None:
    """The manual mark a deployment line carries (``change_failure``, ``remediation``), or None."""
    if MARK_ATTRIBUTES.isdisjoint(body["data"]["attributes"]):
        return None  # most lines: nothing to check (the body was validated as a deployment already)
    try:
        attrs = _MarkBody.model_validate(body).data.attributes
    except ValidationError as exc:
        raise problems_from(exc) from None
    remediation = remediation_from(attrs.remediation)
    if attrs.change_failure is None and remediation is None:
        if attrs.change_failure_marked_by is not None or attrs.change_failure_marked_at is not None:
            raise ValidationFailed.at("/data/attributes/change_failure", 'attribute "change_failure" is required')
        return None
    change_failure = attrs.change_failure if attrs.change_failure is not None else True
    return ChangeFailureMark(
        change_failure,
        remediation,
        attrs.change_failure_marked_by or default_by,
        attrs.change_failure_marked_at or now,
    )


def parse_item(
    body: Any,
    raw: bytes,
    line: int,
    *,
    kind: Kind | None,
    service_teams: Mapping[str, str],
    marked_by: str,
    now: int,
) -> Item:
    """Validate one line's body into an ``Item``, or raise ``ValidationFailed`` naming the fields."""
    if kind_of(body, kind) == "deployment":
        attributes = body["data"].get("attributes")
        named = isinstance(attributes, dict) and attributes.get("id") is not None
        event_id = None if named else line_id(raw)
        deployment = fast_deployment(body, service_teams=service_teams, event_id=event_id) or parse_deployment(
            body, service_teams=service_teams, event_id=event_id
        )
        return Item(line, deployment, parse_mark(body, default_by=marked_by, now=now))
    return Item(line, parse_failure(body, service_teams=service_teams))
