"""Records of derived metric state the store keeps and returns: verdicts, attributions, refresh inputs and writes.

Values are plain strings and numbers as stored (the domain's enums by value); the metrics layer translates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from doralens.domain.query_ast import MatchAll, Node
from doralens.domain.streams import StreamKey

# The verdict of a deployment nobody has refreshed yet, or that detection found nothing about.
NO_REASONS: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredVerdict:
    """The derived columns of one deployment."""

    is_change_failure: bool = False
    reasons: tuple[str, ...] = NO_REASONS
    overridden_reasons: tuple[str, ...] = NO_REASONS
    remediated_by: str | None = None
    remediation_kind: str | None = None
    is_rework: bool = False
    rework_reasons: tuple[str, ...] = NO_REASONS
    rework_failure_ids: tuple[str, ...] = NO_REASONS
    recovery_ns: int | None = None
    recovery_status: str | None = None
    has_git: bool = False  # whether a commit sha was sent, kept for lead-time counts read from an index


@dataclass(frozen=True, slots=True)
class StoredAttribution:
    """One attribution row: a failure linked to a deployment of ``service``, or its one row without a link."""

    failure_id: str
    deployment_id: str | None
    service: str
    method: str
    confidence: str | None
    basis: str | None


@dataclass(frozen=True, slots=True)
class StoredOverride:
    """A user's attribution of a failure; ``deployment_id`` None means no deployment caused it."""

    failure_id: str
    deployment_id: str | None
    set_by: str
    set_at: int


@dataclass(frozen=True, slots=True)
class CandidateRequest:
    """Deployments of one stream a failure may attribute to, for a stream whose full history is not loaded.

    The latest deployment finished in ``[not_before, before)``, and those shipping ``commit_sha`` or
    ``version``; ``team`` restricts all of them to a team's deployments (a failure naming only a team).
    """

    stream: StreamKey
    before: int
    not_before: int
    commit_sha: str | None = None
    version: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshWrite:
    """What one refresh computed, with the dirty tokens it read before loading the data it computed from."""

    tokens: dict[StreamKey, str]
    neighbor_tokens: dict[StreamKey, str | None]
    verdicts: dict[str, StoredVerdict] = field(default_factory=dict)  # only those that changed
    failure_ids: tuple[str, ...] = ()  # failures whose attribution rows are replaced by ``attributions``
    attributions: tuple[StoredAttribution, ...] = ()
    dirty: dict[StreamKey, int] = field(default_factory=dict)  # other streams whose attribution links changed
    envs: frozenset[str | None] = frozenset()  # every env the results touch, locked while they are stored


GroupBy = Literal["service", "team", "env"]
GROUP_BYS: tuple[GroupBy, ...] = ("service", "team", "env")


@dataclass(frozen=True)
class MetricScope:
    """The events a metric is computed over: a time window ``[start, end)``, a condition per kind, a grouping.

    Deployments count by ``finished_at``, failures by ``started_at``. Grouped by service, a failure counts once
    for each service it impacts.
    """

    start: int
    end: int
    deployments: Node = field(default_factory=MatchAll)
    failures: Node = field(default_factory=MatchAll)
    group_by: GroupBy | None = None


class DeploymentDay(NamedTuple):
    """Deployments finished on one UTC day (days since 1970-01-01), with verdict counts and the day's change
    failures' recovery: how many were measured, how many not and why, and the times (only when asked for).

    This and the other per-day rows are named tuples: a quarter is 90 of them per group and question, and a tuple
    is built in a third of the time of a frozen dataclass."""

    group: str | None
    day: int
    deployments: int
    change_failures: int
    rework: int
    recovered: int = 0
    not_recovered: int = 0
    inconsistent: int = 0
    recoveries: tuple[int, ...] = ()
    lead_time: LeadTimeDay | None = None  # only when asked for


class LeadTimeDay(NamedTuple):
    """What change lead time counts of one day's deployments (from the copy of their records on their rows)."""

    records: int  # deployments with a lead-time record, whatever its status
    pending: int  # with git data, no record yet
    shipped: int  # measured, and shipped at least one commit
    truncated: int  # measured, range cut at the commit limit


@dataclass(frozen=True, slots=True)
class FailureDay:
    """Failures started on one UTC day, and how many of them are still open."""

    group: str | None
    day: int
    failures: int
    open: int


class DaySamples(NamedTuple):
    """The duration samples of one UTC day: ``rows`` events, ``measured`` of them with a duration, the
    ``durations`` (unsorted; empty when not asked for), and why the others have none: change failures not
    recovered yet, or with inconsistent data; failures still open."""

    group: str | None
    day: int
    rows: int
    measured: int
    durations: tuple[int, ...] = ()
    not_recovered: int = 0
    inconsistent: int = 0


@dataclass(frozen=True, slots=True)
class DurationAggregate:
    """Aggregates of the samples of one group and bucket (``bucket`` None: the whole window), from SQL.

    ``n`` counts measured durations, ``total`` their exact sum; ``rows`` every sample, measured or not.
    """

    group: str | None
    bucket: int | None
    n: int
    median: float | None
    p75: float | None
    p90: float | None
    total: int
    max: int | None
    rows: int
    not_recovered: int
    inconsistent: int


@dataclass(frozen=True, slots=True)
class StreamFacets:
    """The distinct services, envs and teams of the deployment streams seen so far."""

    services: tuple[str, ...]
    envs: tuple[str, ...]
    teams: tuple[str, ...]
