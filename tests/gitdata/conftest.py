"""Fixtures for git data: a commit store on each backend, and a ``World`` that runs one scenario on each source.

A scenario builds a real repository and deploys shas from it. The same scenario is read through the local
repository and through uploaded metadata (``collect_from_checkout`` at each deployment, as the CLI does, then
``SqlCommitStore`` on SQLite and PostgreSQL), and every test asserts the same literal numbers on each.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from doralens.domain.events import Deployment, make_git_info
from doralens.gitdata.commits import DEFAULT_LIMIT, CommitSource
from doralens.gitdata.git import GitError
from doralens.gitdata.leadtime import DeploymentLeadTime, LeadTimeSettings, lead_times
from doralens.gitdata.local import LocalRepositories
from doralens.gitdata.payload import collect_from_checkout
from doralens.gitdata.uploaded import SqlCommitStore
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore
from tests.builders import MINUTE, ts
from tests.gitdata.gitrepo import Repo

REPOSITORY_URL = "https://github.com/acme/shop.git"
REPOSITORY_ID = "github.com/acme/shop"
_GIT_TABLES = ("git_commit_paths", "git_commit_parents", "git_commits")


def _open_commit_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> SqlEventStore:
    """A migrated store whose git tables are empty, on ``sqlite`` or ``postgres``."""
    url = f"sqlite:///{tmp_path}/commits.db" if backend == "sqlite" else request.getfixturevalue("postgres_database")
    store = open_store(url)
    store.migrate()
    if backend == "postgres":
        with store.backend.write() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(_GIT_TABLES)}"))
    return store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def commit_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlCommitStore]:
    """An empty ``SqlCommitStore`` on each backend."""
    store = _open_commit_store(request.param, request, tmp_path)
    yield SqlCommitStore(store.backend)
    store.close()


class World:
    """A repository, the deployments made from it, and the commit source a test reads them through."""

    def __init__(self, kind: str, root: Path, store: SqlCommitStore | None) -> None:
        self.kind = kind
        self.repo = Repo(root / "work")
        self.root = root
        self.store = store
        self.deployments: list[Deployment] = []
        self.limit = DEFAULT_LIMIT
        self._ids = itertools.count(1)

    @property
    def uploaded(self) -> bool:
        """True when the source is uploaded metadata."""
        return self.store is not None

    def deploy(
        self, sha: str, finished: str, service: str = "web", env: str = "prod", *, checkout: Path | None = None
    ) -> Deployment:
        """Record a deployment of ``sha``; with uploads, run the CLI's collection from the checkout first."""
        finished_at = ts(finished)
        deployment = Deployment(
            id=f"{service}-{next(self._ids)}",
            service=service,
            env=env,
            started_at=finished_at - 5 * MINUTE,
            finished_at=finished_at,
            git=make_git_info(sha, REPOSITORY_URL),
        )
        if self.store is not None:
            previous = [d for d in self.deployments if (d.service, d.env) == (service, env)]
            base = previous[-1].git.commit_sha if previous and previous[-1].git else None
            try:
                upload = collect_from_checkout(
                    checkout or self.repo.path, sha, base, self.limit, repository_url=REPOSITORY_URL
                )
            except GitError as exc:
                if "is not a commit" not in str(exc):
                    raise
                upload = None  # the CLI cannot read an unknown sha: nothing is uploaded
            if upload is not None:
                self.store.add_commits(REPOSITORY_ID, upload.to_commits())
        self.deployments.append(deployment)
        return deployment

    def source(self) -> CommitSource:
        """The commit source under test."""
        if self.store is not None:
            return self.store
        return LocalRepositories({REPOSITORY_ID: self.repo.path})

    def lead_times(self, settings: LeadTimeSettings | None = None) -> dict[str, DeploymentLeadTime]:
        """Lead time of every deployment, by deployment id."""
        return {r.deployment_id: r for r in lead_times(self.deployments, self.source(), settings)}


@pytest.fixture(params=["local", "uploaded-sqlite", pytest.param("uploaded-postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A scenario's world, read through each commit source in turn."""
    if request.param == "local":
        yield World("local", tmp_path, None)
        return
    store = _open_commit_store(request.param.removeprefix("uploaded-"), request, tmp_path)
    yield World(request.param, tmp_path, SqlCommitStore(store.backend))
    store.close()
