"""DORA events as the domain sees them: deployments and failures, already validated and normalised.

Timestamps are integer nanoseconds UTC. Repository URLs are stored without credentials; ``repository_id`` is the
normalised URL without scheme, user, port and ``.git`` (``github.com/org/repo``).
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

EVENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{16,128}$")
COMMIT_SHA_PATTERN = re.compile(r"^[0-9a-fA-F]{40,128}$")
MAX_CUSTOM_TAGS = 100
MAX_TAG_LENGTH = 200
# Longest repository id (``host/path``) stored; a longer remote URL is refused rather than cut.
MAX_REPOSITORY_ID = 500

_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/:]+)(?::[^@/]*)?@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$")


@dataclass(frozen=True, slots=True)
class GitInfo:
    """The commit an event refers to, with the repository URL already stripped of credentials."""

    commit_sha: str
    repository_url: str
    repository_id: str


RemediationType = Literal["rollback", "rollforward"]
REMEDIATION_TYPES: tuple[RemediationType, ...] = ("rollback", "rollforward")


@dataclass(frozen=True, slots=True)
class Remediation:
    """What fixed a failed deployment: a rollback or rollforward deployment, named by id or by version."""

    type: RemediationType
    deployment_id: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeFailureMark:
    """A person's or tool's verdict on a deployment (PATCH or CLI), kept with who set it and when."""

    change_failure: bool
    remediation: Remediation | None
    set_by: str
    set_at: int


@dataclass(frozen=True, slots=True)
class Deployment:
    """A finished deployment of one service; ``mark`` is a manual change-failure verdict, if any."""

    id: str
    service: str
    started_at: int
    finished_at: int
    env: str | None = None
    team: str | None = None
    version: str | None = None
    git: GitInfo | None = None
    custom_tags: tuple[str, ...] = ()
    mark: ChangeFailureMark | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure (incident) impacting services or a team; resolved when ``finished_at`` is set.

    ``id_given`` is false when the server generated ``id``: the store may then merge the event into an
    existing failure with the same env, an overlapping service (or the same team) and the same ``started_at``.
    """

    id: str
    started_at: int
    services: tuple[str, ...] = ()
    team: str | None = None
    finished_at: int | None = None
    name: str | None = None
    severity: str | None = None
    env: str | None = None
    version: str | None = None
    git: GitInfo | None = None
    custom_tags: tuple[str, ...] = ()
    id_given: bool = field(default=True, compare=False)

    def match_subjects(self) -> tuple[str, ...]:
        """Keys that identify what this failure impacts, for merging events without an id."""
        if self.services:
            return tuple(f"service:{s}" for s in self.services)
        return (f"team:{self.team}",) if self.team else ()


def new_deployment_id() -> str:
    """A server-generated deployment id: 16 hex characters, as Datadog generates them."""
    return secrets.token_hex(8)


def new_failure_id() -> str:
    """A server-generated failure id: a UUID, as Datadog generates them."""
    return str(uuid.uuid4())


def sanitize_repository_url(url: str) -> str:
    """Remove credentials, query and fragment from a git remote URL; keep an ssh user name (not a secret)."""
    text = url.strip()
    if "://" in text:
        parts = urlsplit(text)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        if parts.scheme in ("ssh", "git+ssh") and parts.username:
            host = f"{parts.username}@{host}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    scp = _SCP_LIKE.match(text)
    if scp:
        user = f"{scp['user']}@" if scp["user"] else ""
        return f"{user}{scp['host']}:{scp['path']}"
    return text


def repository_id(url: str) -> str:
    """Normalise a git remote URL to ``host/path`` without scheme, user, port, ``.git`` and slashes at the ends."""
    text = url.strip()
    if "://" in text:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        path = parts.path
    else:
        scp = _SCP_LIKE.match(text)
        if scp:
            host, path = scp["host"].lower(), scp["path"]
        else:
            host, path = "", text
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    return f"{host}/{path}" if host else path


@lru_cache(maxsize=4096)
def _clean_repository(url: str) -> tuple[str, str]:
    # Events of one repository repeat its URL: bulk imports would otherwise split the same URL again and again.
    clean = sanitize_repository_url(url)
    return clean, repository_id(clean)


def repository_url_problem(url: str) -> str | None:
    """Why a remote URL cannot be stored (its repository id is too long), or None when it can."""
    if len(_clean_repository(url)[1]) > MAX_REPOSITORY_ID:
        return f"names a repository path longer than {MAX_REPOSITORY_ID} characters"
    return None


def make_git_info(commit_sha: str, repository_url: str) -> GitInfo:
    """Build ``GitInfo`` from what a client sent, normalising the sha and stripping credentials."""
    clean, repo_id = _clean_repository(repository_url)
    return GitInfo(commit_sha=commit_sha.lower(), repository_url=clean, repository_id=repo_id)
