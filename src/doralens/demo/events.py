"""The demo's planned events: deployments, failures and manual marks, before any sha is known.

A deployment or failure names its commit by the repository (the service) and the commit's ``mark`` in that
repository's plan; ``doralens.demo.fill`` turns marks into shas once git has written the commits. Times are
whole Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from doralens.demo.history import RepoPlan


@dataclass(frozen=True)
class PlannedDeployment:
    """A deployment of ``mark`` (a commit of the service's repository)."""

    id: str
    service: str
    env: str
    team: str
    version: str
    mark: int
    started_at: int
    finished_at: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class PlannedFailure:
    """A failure; ``commit`` (repository, mark) or ``version`` say what caused it, when it is known."""

    id: str
    name: str
    severity: str
    env: str
    started_at: int
    finished_at: int | None
    services: tuple[str, ...] = ()
    team: str | None = None
    commit: tuple[str, int] | None = None
    version: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedMark:
    """A person's verdict: ``deployment_id`` was a change failure, put right by ``remediation_id`` if given."""

    deployment_id: str
    remediation_id: str | None
    at: int


@dataclass
class Plan:
    """Everything the demo writes: one repository per service, and the events."""

    seed: int
    repos: dict[str, RepoPlan] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)  # service -> team
    deployments: list[PlannedDeployment] = field(default_factory=list)
    failures: list[PlannedFailure] = field(default_factory=list)
    marks: list[PlannedMark] = field(default_factory=list)

    def failure_id(self) -> str:
        """The next failure's id: fixed for a seed, so a second run updates instead of adding."""
        return f"demo-{self.seed}-failure-{len(self.failures) + 1:03d}"
