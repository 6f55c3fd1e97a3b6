"""Wire models of the Datadog DORA create bodies, and their translation into domain events.

Types are strict (a number is not a string); unknown attributes are ignored, as newer clients may send more.
Every problem is reported with a JSON pointer to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from doralens.domain import events
from doralens.domain.timestamps import TimestampError, to_nanoseconds
from doralens.errors import FieldProblem, ValidationFailed


def _timestamp(value: Any) -> int:
    try:
        return to_nanoseconds(value)
    except TimestampError as exc:
        raise PydanticCustomError("timestamp", str(exc)) from None


def check_custom_tag(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("tag", "must be a string of the form key:value")
    key, sep, rest = value.partition(":")
    if not sep or not key.strip() or not rest.strip():
        raise PydanticCustomError("tag", "must be of the form key:value with a non-empty key and value")
    if len(value) > events.MAX_TAG_LENGTH:
        raise PydanticCustomError("tag", f"must be at most {events.MAX_TAG_LENGTH} characters")
    return value


Timestamp = Annotated[
    int,
    PlainValidator(_timestamp),
    WithJsonSchema({"type": "integer", "format": "int64", "description": "Unix time in s, ms or ns"}),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000)]
EventId = Annotated[str, StringConstraints(pattern=events.EVENT_ID_PATTERN.pattern)]
CommitSha = Annotated[str, StringConstraints(pattern=events.COMMIT_SHA_PATTERN.pattern)]


def _repository_url(value: str) -> str:
    problem = events.repository_url_problem(value)
    if problem is not None:
        raise PydanticCustomError("repository_url", problem)
    return value


RepositoryUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_repository_url)
]
CustomTag = Annotated[str, PlainValidator(check_custom_tag), WithJsonSchema({"type": "string", "example": "key:value"})]
CustomTags = Annotated[list[CustomTag] | None, Field(max_length=events.MAX_CUSTOM_TAGS)]


class Strict(BaseModel):
    """Base of wire models: strict types, unknown attributes ignored, immutable."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class GitIn(Strict):
    """The commit an event refers to."""

    commit_sha: CommitSha
    repository_url: RepositoryUrl

    def to_domain(self) -> events.GitInfo:
        """Normalise the sha and strip credentials from the URL."""
        return events.make_git_info(self.commit_sha, self.repository_url)


class DeploymentAttributes(Strict):
    """``data.attributes`` of ``POST /api/v2/dora/deployment``."""

    service: Name
    started_at: Timestamp
    finished_at: Timestamp
    env: Name | None = None
    version: Name | None = None
    team: Name | None = None
    id: EventId | None = None
    git: GitIn | None = None
    custom_tags: CustomTags = None


class FailureAttributes(Strict):
    """``data.attributes`` of ``POST /api/v2/dora/failure`` (and the deprecated ``/incident``)."""

    started_at: Timestamp
    services: Annotated[list[Name], Field(max_length=100)] | None = None
    team: Name | None = None
    finished_at: Timestamp | None = None
    id: EventId | None = None
    name: Text | None = None
    severity: Name | None = None
    env: Name | None = None
    version: Name | None = None
    git: GitIn | None = None
    custom_tags: CustomTags = None


class _DeploymentData(Strict):
    attributes: DeploymentAttributes


class _FailureData(Strict):
    attributes: FailureAttributes


class DeploymentRequest(Strict):
    """Body of ``POST /api/v2/dora/deployment``."""

    data: _DeploymentData


class FailureRequest(Strict):
    """Body of ``POST /api/v2/dora/failure``."""

    data: _FailureData


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI ``requestBody`` for a route that reads its JSON body itself."""
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        # Our wire models are not recursive, so references can be replaced by what they name.
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


def _pointer(loc: tuple[int | str, ...]) -> str:
    return "/" + "/".join(str(part) for part in loc) if loc else ""


def problems_from(error: ValidationError) -> ValidationFailed:
    """Translate pydantic errors into field problems with JSON pointers, one per field."""
    seen: dict[str, str] = {}
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith(("function-", "list["))))
        pointer = _pointer(loc)
        message = str(item["msg"])
        if item["type"] == "missing":
            message = f'attribute "{loc[-1]}" is required' if loc else "is required"
        elif item["type"] == "string_pattern_mismatch" and loc and loc[-1] == "id":
            message = "must be 16 to 128 characters of letters, digits, '_', '.', ':' or '-'"
        elif item["type"] == "string_pattern_mismatch" and loc and loc[-1] == "commit_sha":
            message = "must be a hexadecimal git commit sha of at least 40 characters"
        seen.setdefault(pointer, message)
    return ValidationFailed([FieldProblem(p, m) for p, m in seen.items()])


def parse_deployment(body: Any, *, service_teams: Mapping[str, str], event_id: str | None = None) -> events.Deployment:
    """Validate a deployment create body and build the domain event.

    ``event_id`` is the id used when the body names none (by default a new random one).
    """
    try:
        attrs = DeploymentRequest.model_validate(body).data.attributes
    except ValidationError as exc:
        raise problems_from(exc) from None
    if attrs.started_at > attrs.finished_at:
        raise ValidationFailed.at("/data/attributes/started_at", "must not be after finished_at")
    return events.Deployment(
        id=attrs.id or event_id or events.new_deployment_id(),
        service=attrs.service,
        started_at=attrs.started_at,
        finished_at=attrs.finished_at,
        env=attrs.env,
        team=attrs.team or service_teams.get(attrs.service),
        version=attrs.version,
        git=attrs.git.to_domain() if attrs.git else None,
        custom_tags=tuple(attrs.custom_tags or ()),
    )


def parse_failure(body: Any, *, service_teams: Mapping[str, str]) -> events.Failure:
    """Validate a failure create body and build the domain event."""
    try:
        attrs = FailureRequest.model_validate(body).data.attributes
    except ValidationError as exc:
        raise problems_from(exc) from None
    services = tuple(dict.fromkeys(attrs.services or ()))
    if not services and not attrs.team:
        raise ValidationFailed.at("/data/attributes/services", "at least one of services and team is required")
    if attrs.finished_at is not None and attrs.finished_at < attrs.started_at:
        raise ValidationFailed.at("/data/attributes/finished_at", "must not be before started_at")
    team = attrs.team
    if team is None and len({service_teams.get(s) for s in services}) == 1:
        team = service_teams.get(services[0])
    return events.Failure(
        id=attrs.id or events.new_failure_id(),
        id_given=attrs.id is not None,
        started_at=attrs.started_at,
        services=services,
        team=team,
        finished_at=attrs.finished_at,
        name=attrs.name,
        severity=attrs.severity,
        env=attrs.env,
        version=attrs.version,
        git=attrs.git.to_domain() if attrs.git else None,
        custom_tags=tuple(attrs.custom_tags or ()),
    )
