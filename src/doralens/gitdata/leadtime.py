"""Change lead time per deployment: the commits it shipped first, and how long each took to reach it.

Per commit, lead time is ``D.finished_at - commit time``, where commit time is the author time: when the change
was written, which rebases, amends and cherry-picks keep. A commit whose committer time is more than
``rebase_gap_ns`` (default one day) after its author time was rebased or cherry-picked later, and is measured
from its committer time instead: an old author time then dates a stale branch revived, a backport or an
imported commit, and says nothing about this delivery; below the gap, the wait for review and rebase is part of
the lead time and stays in. Each commit keeps which time was used (``rebased``). A commit dated after the
deployment (clock skew) counts as zero, never negative.

A deployment is measured against the previous deployment with git data of its service and env. Without one,
from another repository, or when that one finished more than ``max_baseline_age_ns`` (default 60 days) before,
there is no lead time: the deployment is counted as no baseline or previous too old, never silently dropped.
Squash and rebase merges are measured from the commits that reached the deployed branch; the original pull
request commits are out of reach without a forge API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from doralens.domain.events import Deployment
from doralens.domain.stats import DEFAULT_MIN_N_DURATIONS, Distribution
from doralens.domain.streams import group_streams
from doralens.domain.timestamps import NS_PER_SECOND
from doralens.errors import ConfigError
from doralens.gitdata.commits import DEFAULT_LIMIT, Commit, CommitSource, RangeRequest, RangeStatus, ShippedRange

DAY_NS = 86_400 * NS_PER_SECOND
DEFAULT_MAX_BASELINE_AGE_NS = 60 * DAY_NS
DEFAULT_REBASE_GAP_NS = DAY_NS


@dataclass(frozen=True, slots=True)
class LeadTimeSettings:
    """How lead time is measured; ``service_paths`` limits a service to its source paths (monorepos)."""

    max_baseline_age_ns: int = DEFAULT_MAX_BASELINE_AGE_NS
    rebase_gap_ns: int = DEFAULT_REBASE_GAP_NS
    limit: int = DEFAULT_LIMIT
    service_paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.max_baseline_age_ns < 0 or self.rebase_gap_ns < 0:
            raise ConfigError("lead time settings: limit must be positive, ages and gaps not negative")

    def paths_for(self, service: str) -> tuple[str, ...]:
        """The path filters of a service; empty means the whole repository."""
        return tuple(self.service_paths.get(service, ()))


class LeadTimeStatus(StrEnum):
    """Whether a deployment has lead times, and if not, why."""

    OK = "ok"
    ORPHANED = "orphaned"  # measured after a force push, from the merge base
    NO_BASELINE = "no_baseline"
    PREVIOUS_TOO_OLD = "previous_too_old"
    HEAD_UNKNOWN = "head_unknown"
    BASE_UNKNOWN = "base_unknown"
    INCOMPLETE = "incomplete"
    UNAVAILABLE = "unavailable"


MEASURED = frozenset({LeadTimeStatus.OK, LeadTimeStatus.ORPHANED})
# Records a later try may complete: an unknown sha (commits uploaded later, a mirror fetched), a failed git call.
RETRY_STATUSES = frozenset(
    {LeadTimeStatus.HEAD_UNKNOWN, LeadTimeStatus.BASE_UNKNOWN, LeadTimeStatus.INCOMPLETE, LeadTimeStatus.UNAVAILABLE}
)
_BASELINE = frozenset({LeadTimeStatus.NO_BASELINE, LeadTimeStatus.PREVIOUS_TOO_OLD})


@dataclass(frozen=True, slots=True)
class CommitLeadTime:
    """One commit a deployment shipped first: its lead time, the time measured from, and whether it was rebased."""

    sha: str
    lead_time: int
    commit_time: int
    rebased: bool


@dataclass(frozen=True, slots=True)
class DeploymentLeadTime:
    """A deployment's lead-time summary and the commits it shipped first (newest first)."""

    deployment_id: str
    service: str
    env: str | None
    finished_at: int
    status: LeadTimeStatus
    explanation: str
    commits: tuple[CommitLeadTime, ...] = ()
    truncated: bool = False
    previous_id: str | None = None  # the deployment measured from
    inputs: str | None = None  # what it was computed from (a digest): unchanged inputs need no recomputation

    @property
    def measured(self) -> bool:
        """True when the deployment's commits count towards lead time."""
        return self.status in MEASURED

    @property
    def commit_count(self) -> int:
        """How many commits the deployment shipped first."""
        return len(self.commits)

    @property
    def lead_times(self) -> tuple[int, ...]:
        """Per-commit lead times in nanoseconds."""
        return tuple(c.lead_time for c in self.commits)

    @property
    def first_commit_lead_time(self) -> int | None:
        """Lead time of the oldest commit shipped (the longest), None without commits."""
        return max(self.lead_times, default=None)


def commit_time(commit: Commit, rebase_gap_ns: int = DEFAULT_REBASE_GAP_NS) -> tuple[int, bool]:
    """The time a commit's lead time runs from, and whether it is the committer time of a rebased commit."""
    if commit.committer_time - commit.author_time > rebase_gap_ns:
        return commit.committer_time, True
    return commit.author_time, False


def deployment_lead_time(
    deployment: Deployment,
    previous: Deployment | None,
    source: CommitSource,
    settings: LeadTimeSettings | None = None,
) -> DeploymentLeadTime | None:
    """Lead time of one deployment after ``previous`` (same service and env); None without git data."""
    planned = plan_lead_time(deployment, previous, settings)
    if planned is None or isinstance(planned, DeploymentLeadTime):
        return planned
    record, request = planned
    shipped = source.shipped(
        request.repository_id, request.head_sha, request.base_sha, paths=request.paths, limit=request.limit
    )
    return with_range(record, shipped, settings)


def plan_lead_time(
    deployment: Deployment, previous: Deployment | None, settings: LeadTimeSettings | None = None
) -> DeploymentLeadTime | tuple[DeploymentLeadTime, RangeRequest] | None:
    """What a deployment's lead time needs: None without git data; its record, when there is no range to read (no
    baseline, another repository, a baseline too old); else the record so far and the range to read for it."""
    config = settings or LeadTimeSettings()
    if deployment.git is None:
        return None
    record = DeploymentLeadTime(
        deployment.id,
        deployment.service,
        deployment.env,
        deployment.finished_at,
        LeadTimeStatus.NO_BASELINE,
        "first deployment of this service and env with git data: nothing to measure from",
    )
    if previous is None or previous.git is None:
        return record
    record = replace(record, previous_id=previous.id)
    if previous.git.repository_id != deployment.git.repository_id:
        return replace(record, explanation=f"the previous deployment came from {previous.git.repository_id}")
    age = deployment.finished_at - previous.finished_at
    if age > config.max_baseline_age_ns:
        return replace(
            record,
            status=LeadTimeStatus.PREVIOUS_TOO_OLD,
            explanation=f"the previous deployment finished {age / DAY_NS:.1f} days before, more than the "
            f"{config.max_baseline_age_ns / DAY_NS:g} days allowed",
        )
    paths = config.paths_for(deployment.service)
    git = deployment.git
    return record, RangeRequest(git.repository_id, git.commit_sha, previous.git.commit_sha, paths, config.limit)


def with_range(
    record: DeploymentLeadTime, shipped: ShippedRange, settings: LeadTimeSettings | None = None
) -> DeploymentLeadTime:
    """A record ``plan_lead_time`` left open, completed with the range it asked for."""
    config = settings or LeadTimeSettings()
    # Truncation is the record's flag, not its status: a truncated range is measured.
    status = LeadTimeStatus.OK if shipped.status is RangeStatus.TRUNCATED else LeadTimeStatus(shipped.status.value)
    commits: list[CommitLeadTime] = []
    if status in MEASURED:
        for commit in shipped.commits:
            moment, rebased = commit_time(commit, config.rebase_gap_ns)
            commits.append(CommitLeadTime(commit.sha, max(0, record.finished_at - moment), moment, rebased))
    return replace(
        record, status=status, explanation=shipped.explanation, commits=tuple(commits), truncated=shipped.truncated
    )


def lead_times(
    deployments: Iterable[Deployment], source: CommitSource, settings: LeadTimeSettings | None = None
) -> list[DeploymentLeadTime]:
    """Lead time of every deployment with git data, each measured against its stream's previous one.

    A commit counts once per service and env: one shipped again (after a rollback) keeps its first deployment.
    Give the history before the window too, or the window's first deployments have no baseline.
    """
    records: list[DeploymentLeadTime] = []
    for stream in group_streams(deployments).values():
        previous: Deployment | None = None
        seen: set[str] = set()
        for deployment in stream:
            record = deployment_lead_time(deployment, previous, source, settings)
            if record is None:
                continue
            fresh = tuple(c for c in record.commits if c.sha not in seen)
            if len(fresh) < len(record.commits):
                note = f"{len(record.commits) - len(fresh)} commits already shipped by an earlier deployment skipped"
                record = replace(record, commits=fresh, explanation=f"{record.explanation}; {note}")
            seen.update(c.sha for c in fresh)
            records.append(record)
            previous = deployment
    return records


class RecordsShippedBy:
    """``ShippedBy`` for failure attribution over lead-time records: the deployment that first shipped a commit."""

    def __init__(self, records: Iterable[DeploymentLeadTime]) -> None:
        self._first: dict[tuple[str, str, str | None], tuple[int, str]] = {}
        for record in records:
            for commit in record.commits:
                key = (commit.sha, record.service, record.env)
                candidate = (record.finished_at, record.deployment_id)
                if key not in self._first or candidate < self._first[key]:
                    self._first[key] = candidate

    def __call__(self, commit_sha: str, service: str, env: str | None, /) -> str | None:
        """The id of the deployment of ``service`` in ``env`` that first shipped the commit, or None."""
        found = self._first.get((commit_sha.lower(), service, env))
        return found[1] if found else None


@dataclass(frozen=True, slots=True)
class LeadTimeSummary:
    """Lead time over commits (median, p75, p90, mean), with what it was computed from and what was left out."""

    distribution: Distribution
    commits: int
    deployments: int  # measured deployments that shipped at least one commit
    without_new_commits: int  # measured deployments that shipped none (redeploys, rollbacks)
    no_baseline: int
    previous_too_old: int
    unmeasured: Mapping[str, int]  # other statuses (unknown shas, incomplete uploads) by status
    truncated: int
    rebased_commits: int


def lead_time_distribution(
    records: Iterable[DeploymentLeadTime], *, min_n: int = DEFAULT_MIN_N_DURATIONS
) -> LeadTimeSummary:
    """Summarise lead-time records (already filtered to a window): the distribution over commits, and counts."""
    values: list[int] = []
    counts: Counter[LeadTimeStatus] = Counter()
    shipped = empty = truncated = rebased = 0
    for record in records:
        counts[record.status] += 1
        if not record.measured:
            continue
        values.extend(record.lead_times)
        shipped += record.commit_count > 0
        empty += record.commit_count == 0
        truncated += record.truncated
        rebased += sum(c.rebased for c in record.commits)
    left_out = {s.value: n for s, n in sorted(counts.items()) if s not in MEASURED and s not in _BASELINE}
    return LeadTimeSummary(
        distribution=Distribution.from_values(values, min_n=min_n),
        commits=len(values),
        deployments=shipped,
        without_new_commits=empty,
        no_baseline=counts[LeadTimeStatus.NO_BASELINE],
        previous_too_old=counts[LeadTimeStatus.PREVIOUS_TOO_OLD],
        unmeasured=left_out,
        truncated=truncated,
        rebased_commits=rebased,
    )
