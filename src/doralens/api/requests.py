"""Wire models of the list and patch bodies, and their translation into store requests and marks."""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import Field, ValidationError

from doralens.api.remediation import RemediationIn, remediation_from
from doralens.api.schemas import Name, Strict, problems_from
from doralens.domain.events import ChangeFailureMark
from doralens.domain.timestamps import TimestampError, parse_rfc3339, to_nanoseconds
from doralens.errors import ValidationFailed
from doralens.store.listing import MAX_LIMIT, ListSpec, make_list_spec
from doralens.store.query_sql import EventKind

PATCH_TYPE = "dora_deployment_patch_request"
LIST_TYPES: dict[EventKind, str] = {
    "deployment": "dora_deployments_list_request",
    "failure": "dora_failures_list_request",
}


class ListAttributes(Strict):
    """``data.attributes`` of a list request."""

    from_: str | int | None = Field(default=None, alias="from")
    to: str | int | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 10
    query: Annotated[str, Field(max_length=4096)] | None = None
    sort: str | None = None


class _ListData(Strict):
    type: str = ""
    attributes: ListAttributes = ListAttributes()


class ListRequest(Strict):
    """Body of ``POST /api/v2/dora/deployments`` and ``/failures``."""

    data: _ListData


class PatchAttributes(Strict):
    """``data.attributes`` of a patch by id."""

    change_failure: bool | None = None
    remediation: RemediationIn | None = None


class _PatchData(Strict):
    id: str | None = None
    type: str = ""
    attributes: PatchAttributes


class PatchRequest(Strict):
    """Body of ``PATCH /api/v2/dora/deployments/{id}``."""

    data: _PatchData


class PatchByVersionAttributes(Strict):
    """``data.attributes`` of a patch by service, env and version."""

    service: Name
    env: Name
    version: Name
    change_failure: bool
    remediation: RemediationIn | None = None


class _PatchByVersionData(Strict):
    type: str = ""
    attributes: PatchByVersionAttributes


class PatchByVersionRequest(Strict):
    """Body of ``PATCH /api/v2/dora/deployments``."""

    data: _PatchByVersionData


def _check_type(got: str, expected: str) -> None:
    if got != expected:
        raise ValidationFailed.at("/data/type", f'got type "{got}" expected one of "{expected}"')


def _instant(value: str | int | None, pointer: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_rfc3339(value) if isinstance(value, str) else to_nanoseconds(value)
    except TimestampError as exc:
        raise ValidationFailed.at(pointer, str(exc)) from None


def parse_list(body: Any, kind: EventKind) -> ListSpec:
    """Validate a list body into a ``ListSpec`` (query parsed, sort field checked)."""
    try:
        data = ListRequest.model_validate(body).data
    except ValidationError as exc:
        raise problems_from(exc) from None
    _check_type(data.type, LIST_TYPES[kind])
    attrs = data.attributes
    return make_list_spec(
        kind,
        query=attrs.query,
        since=_instant(attrs.from_, "/data/attributes/from"),
        until=_instant(attrs.to, "/data/attributes/to"),
        limit=attrs.limit,
        sort=attrs.sort,
    )


def parse_patch(body: Any, *, set_by: str) -> tuple[str | None, ChangeFailureMark]:
    """Validate a patch by id; return the body's ``data.id`` (if any) and the mark to store."""
    try:
        data = PatchRequest.model_validate(body).data
    except ValidationError as exc:
        raise problems_from(exc) from None
    _check_type(data.type, PATCH_TYPE)
    attrs = data.attributes
    remediation = remediation_from(attrs.remediation)
    if attrs.change_failure is None and remediation is None:
        raise ValidationFailed.at("/data/attributes/change_failure", 'attribute "change_failure" is required')
    change_failure = attrs.change_failure if attrs.change_failure is not None else True
    return data.id, ChangeFailureMark(change_failure, remediation, set_by, time.time_ns())


def parse_patch_by_version(body: Any, *, set_by: str) -> tuple[PatchByVersionAttributes, ChangeFailureMark]:
    """Validate a patch by version; return its attributes and the mark to store."""
    try:
        data = PatchByVersionRequest.model_validate(body).data
    except ValidationError as exc:
        raise problems_from(exc) from None
    _check_type(data.type, PATCH_TYPE)
    attrs = data.attributes
    mark = ChangeFailureMark(attrs.change_failure, remediation_from(attrs.remediation), set_by, time.time_ns())
    return attrs, mark
