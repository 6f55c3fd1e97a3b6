"""Events of the last few weeks, as the HTTP requests that send them, for tests that scrape ``/metrics``.

Times are relative to ``now`` because the export's windows end at the scrape. web/prod (team payments) has lead
time from uploaded commits, a rollback, a rollforward, three resolved failures and an open one; api/prod has no
team and one resolved failure (too few for a median); web/staging one deployment, nine days ago (so web deployed
nothing in the last week, when it still had failures); one deployment is older than 30 days.
"""

from __future__ import annotations

from typing import Any

from tests.builders import REPOSITORY_URL, sha

DAY = 86_400
HOUR = 3600
SECOND_NS = 1_000_000_000


def _deployment(now: int, days_ago: float, service: str, env: str, version: str, **extra: Any) -> dict[str, Any]:
    finished = int(now - days_ago * DAY)
    attributes = {
        "service": service,
        "env": env,
        "version": version,
        "started_at": (finished - 600) * SECOND_NS,
        "finished_at": finished * SECOND_NS,
        **extra,
    }
    return {"data": {"attributes": attributes}}


def _failure(now: int, days_ago: float, service: str, hours: float | None, team: str | None) -> dict[str, Any]:
    started = int(now - days_ago * DAY)
    attributes: dict[str, Any] = {"services": [service], "env": "prod", "name": f"{service} down {days_ago}"}
    attributes["started_at"] = started * SECOND_NS
    if hours is not None:
        attributes["finished_at"] = int(started + hours * HOUR) * SECOND_NS
    if team is not None:
        attributes["team"] = team
    return {"data": {"attributes": attributes}}


def _git(label: str) -> dict[str, Any]:
    return {"git": {"commit_sha": sha(label), "repository_url": REPOSITORY_URL}}


def _commits(now: int) -> dict[str, Any]:
    written = {"c1": 25, "c2": 21, "c3": 19.5, "c4": 19, "c5": 18.5, "c6": 17, "c7": 16.6, "c8": 16.5}
    commits, parent = [], None
    for label, days_ago in written.items():
        when = int(now - days_ago * DAY)
        parents = [sha(parent)] if parent else []
        commits.append({"sha": sha(label), "parents": parents, "author_time": when, "committer_time": when})
        parent = label
    return {"repository_url": REPOSITORY_URL, "commits": commits}


def recent_requests(now: int) -> list[tuple[str, dict[str, Any]]]:
    """``(path, JSON body)`` of every request, in the order to send them; ``now`` in Unix seconds."""
    web = {"team": "payments"}
    deployments = [
        _deployment(now, 40, "web", "prod", "v0", **web),
        _deployment(now, 20, "web", "prod", "v1", **web, **_git("c2")),
        _deployment(now, 18, "web", "prod", "v2", **web, **_git("c5")),
        _deployment(now, 16, "web", "prod", "v3", **web, **_git("c8")),
        _deployment(now, 15, "web", "prod", "v2", **web, **_git("c5")),  # rolls v3 back
        _deployment(now, 10, "web", "prod", "v4-hotfix", **web),  # a rollforward of the one before
        _deployment(now, 8, "api", "prod", "a1"),
        _deployment(now, 3, "api", "prod", "a2"),
        _deployment(now, 9, "web", "staging", "v4", **web),
    ]
    failures = [
        _failure(now, 17, "web", 1, "payments"),
        _failure(now, 12, "web", 2, "payments"),
        _failure(now, 5, "web", 3, "payments"),
        _failure(now, 2, "web", None, "payments"),
        _failure(now, 6, "api", 0.5, None),
    ]
    return [
        ("/api/v1/git/commits", _commits(now)),
        *(("/api/v2/dora/deployment", body) for body in deployments),
        *(("/api/v2/dora/failure", body) for body in failures),
    ]
