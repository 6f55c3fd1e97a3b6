"""Fill a database with the demo: git repositories on disk, their commits uploaded, events, then a refresh.

Everything goes through the functions the API uses: request bodies are validated by the API's parsers and
stored by the store, commits are uploaded as ``POST /api/v1/git/commits`` files them, marks are stored as
``PATCH /api/v2/dora/deployments/{id}`` does, and the engine's refresh computes verdicts, attributions and
lead time, so the metrics are fresh when ``fill`` returns. Ids are derived from the seed, and the same seed and
end moment give the same events and shas: filling again replaces them instead of adding copies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from doralens.api.schemas import parse_deployment, parse_failure
from doralens.config import Settings
from doralens.demo.events import Plan, PlannedDeployment, PlannedFailure
from doralens.demo.gitrepo import write_repository
from doralens.demo.plan import build_plan
from doralens.demo.profiles import REPOSITORY_URL
from doralens.domain.events import ChangeFailureMark, Remediation
from doralens.gitdata.payload import MAX_COLLECT_LIMIT, collect_from_checkout
from doralens.gitdata.service import GitData
from doralens.metrics.config import EngineConfig
from doralens.metrics.refresh import refresh
from doralens.store.base import EventStore

NS = 1_000_000_000
GIT_DIRECTORY = "doralens-demo-git"
MARKED_BY = "doralens demo (release review)"
REFRESH_ATTEMPTS = 5


@dataclass(frozen=True)
class DemoSummary:
    """What ``fill`` wrote: event counts, and where the git repositories are (one per service)."""

    deployments: int
    failures: int
    services: int
    teams: int
    commits: int
    git_path: Path
    seed: int
    days: int
    now_ns: int
    marks: int = 0


def default_git_path(settings: Settings) -> Path:
    """Where the demo's repositories go: beside a SQLite database file, else in the working directory."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / GIT_DIRECTORY
    return Path(GIT_DIRECTORY).resolve()


def fill(
    store: EventStore,
    settings: Settings,
    *,
    seed: int = 7,
    days: int = 120,
    now_ns: int | None = None,
    git_path: Path | None = None,
) -> DemoSummary:
    """Write ``days`` of demo history ending at ``now_ns`` (default: now) and refresh the derived metrics.

    The git repositories (one per service) go under ``git_path``, by default ``default_git_path(settings)``;
    a repository already there is rewritten."""
    now = (time.time_ns() if now_ns is None else now_ns) // NS * NS
    plan = build_plan(seed=seed, days=days, now_s=now // NS)
    root = git_path or default_git_path(settings)
    git = GitData.open(settings, store.backend)
    shas: dict[str, dict[int, str]] = {}
    for service, repo in plan.repos.items():
        path = root / service
        shas[service] = write_repository(path, repo.commits)
        upload = collect_from_checkout(
            path, "main", None, min(len(repo.commits), MAX_COLLECT_LIMIT), repository_url=_url(service)
        )
        git.upload(upload)
    for deployment in plan.deployments:
        store.record_deployment(
            parse_deployment(_deployment_body(deployment, shas), service_teams=settings.service_teams)
        )
    for failure in plan.failures:
        store.record_failure(parse_failure(_failure_body(failure, shas), service_teams=settings.service_teams))
    for mark in plan.marks:
        remediation = Remediation("rollforward", deployment_id=mark.remediation_id) if mark.remediation_id else None
        verdict = ChangeFailureMark(True, remediation, set_by=MARKED_BY, set_at=mark.at * NS)
        store.mark_deployment(mark.deployment_id, verdict)
    config = EngineConfig.from_settings(settings, git=git.hooks())
    for _ in range(REFRESH_ATTEMPTS):  # more than one only when another writer keeps marking streams stale
        if refresh(store=store, config=config).complete:
            break
    return _summary(plan, root, days, now)


def _url(service: str) -> str:
    return REPOSITORY_URL.format(service=service)


def _git(service: str, mark: int, shas: dict[str, dict[int, str]]) -> dict[str, str]:
    return {"commit_sha": shas[service][mark], "repository_url": _url(service)}


def _deployment_body(deployment: PlannedDeployment, shas: dict[str, dict[int, str]]) -> dict[str, Any]:
    attributes = {
        "id": deployment.id,
        "service": deployment.service,
        "env": deployment.env,
        "team": deployment.team,
        "version": deployment.version,
        "started_at": deployment.started_at * NS,
        "finished_at": deployment.finished_at * NS,
        "git": _git(deployment.service, deployment.mark, shas),
        "custom_tags": list(deployment.tags),
    }
    return {"data": {"attributes": attributes}}


def _failure_body(failure: PlannedFailure, shas: dict[str, dict[int, str]]) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "id": failure.id,
        "name": failure.name,
        "severity": failure.severity,
        "env": failure.env,
        "started_at": failure.started_at * NS,
        "custom_tags": list(failure.tags),
    }
    if failure.services:
        attributes["services"] = list(failure.services)
    if failure.team:
        attributes["team"] = failure.team
    if failure.finished_at is not None:
        attributes["finished_at"] = failure.finished_at * NS
    if failure.commit is not None:
        attributes["git"] = _git(*failure.commit, shas)
    if failure.version is not None:
        attributes["version"] = failure.version
    return {"data": {"attributes": attributes}}


def _summary(plan: Plan, root: Path, days: int, now: int) -> DemoSummary:
    return DemoSummary(
        deployments=len(plan.deployments),
        failures=len(plan.failures),
        services=len(plan.repos),
        teams=len(set(plan.teams.values())),
        commits=sum(len(repo.commits) for repo in plan.repos.values()),
        git_path=root,
        seed=plan.seed,
        days=days,
        now_ns=now,
        marks=len(plan.marks),
    )
