"""Builders for tests: domain events (readable defaults, RFC 3339 times) and Datadog request bodies."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from typing import Any

from doralens.domain.events import Deployment, Failure, make_git_info
from doralens.domain.timestamps import NS_PER_SECOND, parse_rfc3339

REPOSITORY_URL = "https://github.com/acme/shop.git"
MINUTE = 60 * NS_PER_SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_ids = itertools.count(1)


def ts(text: str) -> int:
    """Nanoseconds UTC of an RFC 3339 date-time."""
    return parse_rfc3339(text)


def sha(label: str) -> str:
    """A stable 40-hex commit sha named by a readable label."""
    return hashlib.sha1(label.encode()).hexdigest()


def deployment(
    service: str = "web",
    env: str | None = "prod",
    finished: str = "2024-03-01T10:00:00Z",
    *,
    id: str | None = None,  # named like the event field
    started: str | None = None,
    version: str | None = None,
    commit: str | None = None,
    team: str | None = None,
    tags: Iterable[str] = (),
) -> Deployment:
    """A deployment finished at ``finished``, started five minutes earlier unless ``started`` is given.

    ``commit`` is a label turned into a sha by ``sha()``, so tests read ``commit="v1"``.
    """
    finished_at = ts(finished)
    return Deployment(
        id=id or f"dep-{next(_ids):06d}",
        service=service,
        env=env,
        team=team,
        started_at=ts(started) if started else finished_at - 5 * MINUTE,
        finished_at=finished_at,
        version=version,
        git=make_git_info(sha(commit), REPOSITORY_URL) if commit else None,
        custom_tags=tuple(tags),
    )


def failure(
    services: Iterable[str] = ("web",),
    env: str | None = "prod",
    started: str = "2024-03-01T12:00:00Z",
    finished: str | None = None,
    *,
    id: str | None = None,  # named like the event field
    team: str | None = None,
    version: str | None = None,
    commit: str | None = None,
    severity: str | None = None,
) -> Failure:
    """A failure started at ``started``; open unless ``finished`` is given."""
    return Failure(
        id=id or f"fail-{next(_ids):06d}",
        started_at=ts(started),
        finished_at=ts(finished) if finished else None,
        services=tuple(services),
        team=team,
        env=env,
        version=version,
        git=make_git_info(sha(commit), REPOSITORY_URL) if commit else None,
        severity=severity,
    )


# Request bodies of the Datadog API

SHA = "66adc9350f2cc9b250b69abddab733dd55e1a588"
T0 = 1_693_491_974_000_000_000  # 2023-08-31T14:26:14Z in nanoseconds


def deployment_body(**attributes: Any) -> dict[str, Any]:
    """A valid deployment create body; keyword arguments override or (with None) remove attributes."""
    attrs: dict[str, Any] = {
        "service": "checkout",
        "env": "prod",
        "started_at": T0,
        "finished_at": T0 + 60 * 10**9,
    }
    attrs.update(attributes)
    return {"data": {"attributes": {k: v for k, v in attrs.items() if v is not None}}}


def failure_body(**attributes: Any) -> dict[str, Any]:
    """A valid failure create body; keyword arguments override or (with None) remove attributes."""
    attrs: dict[str, Any] = {"services": ["checkout"], "env": "prod", "started_at": T0}
    attrs.update(attributes)
    return {"data": {"attributes": {k: v for k, v in attrs.items() if v is not None}}}


SEED_INCIDENT = b"""  {
    "data": {
      "attributes": {
        "services": ["shopist"],
        "team": "shopist-devs",
        "started_at": 1693491974000000000,
        "finished_at": 1693491984000000000,
        "git": {
          "commit_sha": "66adc9350f2cc9b250b69abddab733dd55e1a588",
          "repository_url": "https://github.com/organization/example-repository"
        },
        "env": "prod",
        "name": "Web server is down failing all requests",
        "severity": "High"
      }
    }
  }
"""
