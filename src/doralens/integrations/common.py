"""What every inbound integration shares: the mapping result, naming rules, derived ids and payload reading.

Mappers are pure functions: a parsed body (plus the headers that carry meaning), the rules and the current time
in, domain events out. Every problem is a ``ValidationFailed`` naming the JSON pointer of the field.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from doralens.domain.events import (
    COMMIT_SHA_PATTERN,
    MAX_TAG_LENGTH,
    Deployment,
    Failure,
    GitInfo,
    make_git_info,
    repository_url_problem,
)
from doralens.domain.timestamps import EARLIEST_NS, NS_PER_SECOND, TimestampError, format_rfc3339, parse_rfc3339
from doralens.errors import ValidationFailed

# Clock skew tolerated between a sender and us; an event stamped later than this is refused, so a captured
# delivery cannot be made to look newer than the events that will really follow it.
MAX_FUTURE_NS = 5 * 60 * NS_PER_SECOND
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 2000

# GitLab writes "2021-04-28 21:50:00 +0200" and "2017-09-15 16:50:55 UTC" besides RFC 3339.
_VENDOR_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|z|UTC|[+-]\d{2}:?\d{2})$")


@dataclass(frozen=True, slots=True)
class Mapped:
    """What one delivery becomes: events to store, or why nothing is stored; ``note`` is a message for the sender."""

    deployments: tuple[Deployment, ...] = ()
    failures: tuple[Failure, ...] = ()
    ignored: str | None = None
    note: str | None = None

    @classmethod
    def ignore(cls, reason: str) -> Mapped:
        """A delivery that is understood but stores nothing."""
        return cls(ignored=reason)


@dataclass(frozen=True, slots=True)
class Rules:
    """How the names a source uses become doralens services, envs and teams."""

    service_map: tuple[tuple[str, str], ...] = ()
    env_map: tuple[tuple[str, str], ...] = ()
    service_teams: Mapping[str, str] = field(default_factory=dict)
    incident_label: str = "incident"
    incident_env: str = "production"

    def service(self, source: str, name: str, *, default: str | None = None, pointer: str) -> str:
        """The service for a source's name: the first matching map entry, else ``default``, else the name."""
        return checked_name(_lookup(self.service_map, source, name) or default or name, pointer)

    def env(self, source: str, name: str, *, pointer: str) -> str:
        """The env for a source's environment name: the first matching map entry, else the name."""
        return checked_name(_lookup(self.env_map, source, name) or name, pointer)

    def default_env(self, source: str) -> str:
        """The env of failures from a source that names none."""
        return self.env(source, self.incident_env, pointer="")

    def team(self, service: str) -> str | None:
        """The team that owns a service, from ``DORALENS_SERVICE_TEAMS``."""
        return self.service_teams.get(service)

    def is_incident_label(self, label: object) -> bool:
        """True for the configured incident label, in any case."""
        return isinstance(label, str) and label.strip().lower() == self.incident_label.strip().lower()


def _lookup(pairs: tuple[tuple[str, str], ...], source: str, name: str) -> str | None:
    qualified = f"{source}:{name}"
    for pattern, value in pairs:
        if fnmatch.fnmatchcase(qualified, pattern) or fnmatch.fnmatchcase(name, pattern):
            return value
    return None


def checked_name(value: str, pointer: str) -> str:
    """A service or env name as doralens stores it: stripped, 1 to 200 characters."""
    name = value.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed.at(pointer, f"must give a name of 1 to {MAX_NAME_LENGTH} characters")
    return name


def derived_id(kind: str, *parts: str) -> str:
    """A stable event id from the source's own identifiers, so a redelivery updates instead of duplicating."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{kind}-{digest}"


def host_of(url: str | None) -> str:
    """The lower-case host of a URL, or an empty string."""
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def tags(*pairs: tuple[str, str | None]) -> tuple[str, ...]:
    """``key:value`` custom tags for the values present; a value too long for a tag is left out, not cut."""
    out = []
    for key, value in pairs:
        if value and value.strip() and len(key) + 1 + len(value) <= MAX_TAG_LENGTH:
            out.append(f"{key}:{value.strip()}")
    return tuple(out)


def git_info(sha: str | None, repository_url: str | None) -> GitInfo | None:
    """Commit and repository when both are known and the sha is a full one; credentials are stripped."""
    if not sha or not repository_url or repository_url_problem(repository_url) is not None:
        return None
    if COMMIT_SHA_PATTERN.match(sha):
        return make_git_info(sha, repository_url)
    return None


def short_text(value: str | None) -> str | None:
    """A title or description trimmed to what doralens stores."""
    if value is None or not value.strip():
        return None
    return value.strip()[:MAX_TEXT_LENGTH]


# -- reading payloads -------------------------------------------------------------------------------------------


def lookup(body: Any, pointer: str) -> Any:
    """The value at a JSON pointer such as ``/deployment/sha``, or None when any part is absent."""
    node = body
    for part in pointer.strip("/").split("/"):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def optional_text(body: Any, pointer: str) -> str | None:
    """A string field; None when absent, null or blank."""
    value = lookup(body, pointer)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed.at(pointer, "must be a string")
    return value.strip() or None


def required_text(body: Any, pointer: str) -> str:
    """A string field that must be present and not blank."""
    value = optional_text(body, pointer)
    if value is None:
        raise ValidationFailed.at(pointer, "is required")
    return value


def required_ident(body: Any, pointer: str) -> str:
    """An identifier sent as a string or an integer, as a string."""
    value = lookup(body, pointer)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return required_text(body, pointer)


def parse_time(text: str) -> int:
    """Integer nanoseconds UTC of RFC 3339 or GitLab's ``2021-04-28 21:50:00 +0200`` / ``… UTC`` forms."""
    match = _VENDOR_TIME.match(text.strip())
    if not match:
        raise TimestampError("must be a date-time such as 2024-05-01T00:00:00Z")
    date, clock, zone = match.groups()
    if zone in ("Z", "z", "UTC"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    ns = parse_rfc3339(f"{date}T{clock}{zone}")
    if ns < EARLIEST_NS:
        raise TimestampError("is before 1970-01-02")
    return ns


def optional_time(body: Any, pointer: str) -> int | None:
    """A date-time field; None when absent or null."""
    text = optional_text(body, pointer)
    if text is None:
        return None
    try:
        return parse_time(text)
    except TimestampError as exc:
        raise ValidationFailed.at(pointer, str(exc)) from None


def required_time(body: Any, pointer: str) -> int:
    """A date-time field that must be present."""
    value = optional_time(body, pointer)
    if value is None:
        raise ValidationFailed.at(pointer, "is required")
    return value


def not_in_future(ns: int, pointer: str, now_ns: int) -> int:
    """Refuse an event stamped beyond the tolerated clock skew (a forged or replayed-forward delivery)."""
    if ns > now_ns + MAX_FUTURE_NS:
        raise ValidationFailed.at(
            pointer, f"is in the future ({format_rfc3339(ns)}); check the sender's clock (5 minutes are tolerated)"
        )
    return ns


def ordered(started_at: int, finished_at: int | None, pointer: str) -> None:
    """Refuse an event that ends before it starts."""
    if finished_at is not None and finished_at < started_at:
        raise ValidationFailed.at(pointer, "is before the start of the event")
