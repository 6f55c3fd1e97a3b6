"""CDEvents 0.4 and 0.5 → DORA events, from the native JSON form or a CloudEvent (structured or binary mode).

- ``service.deployed|upgraded|rolledback`` → a deployment at ``context.timestamp`` (start = finish: the event
  says when the service runs, not how long rolling it out took). A rollback is tagged
  ``cdevents_type:service.rolledback`` and ``deployment_type:rollback``; by that tag change-failure detection counts
  the deployment it replaced as failed, even when the version rolled back to was never deployed there before.
- ``incident.detected|reported`` → a failure starting at ``context.timestamp``; ``incident.resolved`` → its
  resolution. All three name the failure after ``subject.id``, so any tool's events about one incident meet.
- ``change.merged`` and every other type → accepted, nothing stored (lead time comes from deployments' commits).

Ids derive from ``(context.source, context.id)`` — the pair CloudEvents makes unique — so a redelivery updates.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from doralens.domain.events import Deployment, Failure
from doralens.errors import ValidationFailed
from doralens.integrations.common import (
    Mapped,
    Rules,
    derived_id,
    lookup,
    not_in_future,
    optional_text,
    required_text,
    required_time,
    short_text,
    tags,
)

SOURCE = "cdevents"
_TYPE = re.compile(r"^dev\.cdevents\.(?P<subject>[a-z]+)\.(?P<predicate>[a-z]+)(?:\.(?P<version>\d+\.\d+\.\d+\S*))?$")
_DEPLOYING = ("deployed", "upgraded", "rolledback")
Pointer = Callable[[str], str]
_CE_CONTEXT = (("id", "id"), ("source", "source"), ("type", "type"), ("time", "timestamp"))


def unwrap(body: Any, headers: Mapping[str, str]) -> tuple[Any, str]:
    """The CDEvent a request carries, as (a root to read, the JSON pointer of the event inside it).

    Structured mode puts the CloudEvent context and the CDEvent (as ``data``) in one JSON document; binary mode
    puts the context in ``ce-*`` headers and the whole CDEvent in the body; the native form is the bare CDEvent.
    """
    if isinstance(body, list):
        raise ValidationFailed.at("", "batched CloudEvents are not supported; send one event per request")
    if not isinstance(body, Mapping):
        raise ValidationFailed.at("", "must be a JSON object: a CDEvent or a CloudEvent carrying one")
    if "specversion" in body:
        return _structured(body), "/data"
    if headers.get("ce-specversion") is not None:
        ce = {key: headers.get(f"ce-{name}") for name, key in _CE_CONTEXT}
        if not isinstance(body.get("context"), Mapping):
            # Some producers put only the subject in the data and leave the context to the headers.
            return {**body, "context": {k: v for k, v in ce.items() if v is not None}}, ""
        _check_agreement(ce, body["context"], "", "header ce-")
        return body, ""
    return body, ""


def _structured(envelope: Mapping[str, Any]) -> dict[str, Any]:
    if envelope.get("specversion") != "1.0":
        raise ValidationFailed.at("/specversion", "must be the CloudEvents version 1.0")
    content_type = envelope.get("datacontenttype")
    if isinstance(content_type, str) and not content_type.split(";")[0].strip().lower().endswith("json"):
        raise ValidationFailed.at("/datacontenttype", "must be a JSON media type: the data is a CDEvent")
    data = envelope.get("data")
    if data is None and isinstance(envelope.get("data_base64"), str):
        try:
            data = json.loads(base64.b64decode(envelope["data_base64"], validate=True))
        except (binascii.Error, ValueError):
            raise ValidationFailed.at("/data_base64", "must be base64 of a JSON CDEvent") from None
    if not isinstance(data, Mapping):
        raise ValidationFailed.at("/data", "must be the CDEvent as a JSON object")
    ce = {key: envelope.get(name) for name, key in _CE_CONTEXT}
    if isinstance(data.get("context"), Mapping):
        _check_agreement(ce, data["context"], "/data", "")
    return {"data": data}


def _check_agreement(ce: Mapping[str, Any], context: Mapping[str, Any], prefix: str, origin: str) -> None:
    # The binding makes the CloudEvent's id and type copies of the CDEvent's: a mismatch is a producer bug,
    # and guessing which one is right could merge two events or split one.
    for key in ("id", "type"):
        if ce.get(key) is not None and context.get(key) is not None and ce[key] != context[key]:
            raise ValidationFailed.at(
                f"{prefix}/context/{key}", f"differs from the CloudEvent's {origin}{key} {ce[key]!r}"
            )


def map_cdevent(root: Any, prefix: str, rules: Rules, now_ns: int) -> Mapped:
    """Map the CDEvent at ``prefix`` in ``root`` to the deployment or failure it reports, or say why none."""

    def at(path: str) -> str:
        return f"{prefix}{path}"

    event_type = required_text(root, at("/context/type"))
    match = _TYPE.match(event_type)
    if not match:
        return Mapped.ignore(f"type {event_type!r} is not a CDEvent; nothing stored")
    kind = f"{match['subject']}.{match['predicate']}"
    if kind == "change.merged":
        return Mapped.ignore("change.merged is accepted but not used: lead time comes from deployments' commits")
    if match["subject"] == "service" and match["predicate"] in _DEPLOYING:
        return Mapped(deployments=(_deployment(root, at, kind, rules, now_ns),))
    if kind in ("incident.detected", "incident.reported", "incident.resolved"):
        return Mapped(failures=(_failure(root, at, kind, rules, now_ns),))
    return Mapped.ignore(f"{kind} events are not used by DORA metrics; nothing stored")


def _context(root: Any, at: Pointer, now_ns: int) -> tuple[str, str, int]:
    event_id = required_text(root, at("/context/id"))
    source = required_text(root, at("/context/source"))
    timestamp = not_in_future(required_time(root, at("/context/timestamp")), at("/context/timestamp"), now_ns)
    return event_id, source, timestamp


def _deployment(root: Any, at: Pointer, kind: str, rules: Rules, now_ns: int) -> Deployment:
    event_id, source, timestamp = _context(root, at, now_ns)
    subject_id = required_text(root, at("/subject/id"))
    service = rules.service(SOURCE, subject_id, default=_last_segment(subject_id), pointer=at("/subject/id"))
    env_id = required_text(root, at("/subject/content/environment/id"))
    artifact = optional_text(root, at("/subject/content/artifactId"))
    rollback = kind == "service.rolledback"
    return Deployment(
        id=derived_id("cdevents-deployment", source, event_id),
        service=service,
        started_at=timestamp,
        finished_at=timestamp,
        env=rules.env(SOURCE, env_id, pointer=at("/subject/content/environment/id")),
        team=rules.team(service),
        version=artifact_version(artifact),
        custom_tags=tags(
            ("source", SOURCE),
            ("cdevents_type", kind),
            ("deployment_type", "rollback" if rollback else None),
            ("cdevents_id", event_id),
            ("cdevents_source", source),
            ("artifact", artifact),
        ),
    )


def _failure(root: Any, at: Pointer, kind: str, rules: Rules, now_ns: int) -> Failure:
    _, source, timestamp = _context(root, at, now_ns)
    subject_id = required_text(root, at("/subject/id"))
    artifact = optional_text(root, at("/subject/content/artifactId"))
    service_id = optional_text(root, at("/subject/content/service/id"))
    name = _last_segment(service_id) if service_id else purl_name(artifact)
    if name is None:
        raise ValidationFailed.at(at("/subject/content/service/id"), "is required when no artifactId names the service")
    service = rules.service(SOURCE, service_id or name, default=name, pointer=at("/subject/content/service/id"))
    env_id = optional_text(root, at("/subject/content/environment/id"))
    env_pointer = at("/subject/content/environment/id")
    resolved = kind == "incident.resolved"
    description = lookup(root, at("/subject/content/description"))
    return Failure(
        id=derived_id("cdevents-incident", subject_id),
        # A resolution does not say when the incident began: the store keeps the earliest start it has seen.
        started_at=timestamp,
        finished_at=timestamp if resolved else None,
        services=(service,),
        team=rules.team(service),
        name=None if resolved else short_text(description if isinstance(description, str) else None),
        env=rules.env(SOURCE, env_id, pointer=env_pointer) if env_id else rules.default_env(SOURCE),
        version=artifact_version(artifact),
        custom_tags=tags(
            ("source", SOURCE),
            ("cdevents_type", kind),
            ("cdevents_incident", subject_id),
            ("cdevents_source", source),
        ),
    )


def _last_segment(identifier: str) -> str:
    return identifier.rstrip("/").rsplit("/", 1)[-1] or identifier


def _purl_parts(artifact: str) -> tuple[str | None, str | None]:
    rest = artifact[len("pkg:") :].lstrip("/").split("#", 1)[0].split("?", 1)[0]
    path, at, version = rest.rpartition("@")
    if not at:
        path, version = rest, ""
    segments = path.split("/")
    name = unquote(segments[-1]) if len(segments) >= 2 else None
    return name or None, unquote(version) or None


def purl_name(artifact: str | None) -> str | None:
    """The package name of a purl artifact id (``pkg:oci/myapp@…`` → ``myapp``), or None."""
    if not artifact or not artifact.startswith("pkg:"):
        return None
    return _purl_parts(artifact)[0]


def artifact_version(artifact: str | None) -> str | None:
    """The version of a purl (percent-decoded: ``sha256:…``); another artifact id is its own version."""
    if not artifact:
        return None
    version = _purl_parts(artifact)[1] if artifact.startswith("pkg:") else artifact
    # Rollback detection compares versions, so the artifact's identity is the useful value; one too long for a
    # version is left out rather than cut into something that could equal another artifact's.
    return version if version and len(version) <= 200 else None
