"""The derived-state parts of the ``EventStore`` interface: refresh inputs and outputs, aggregates, drill-down."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal, Protocol

from doralens.domain.events import Deployment, Failure
from doralens.domain.streams import StreamKey
from doralens.store.records import (
    CandidateRequest,
    DaySamples,
    DeploymentDay,
    DurationAggregate,
    FailureDay,
    MetricScope,
    RefreshWrite,
    StoredAttribution,
    StoredOverride,
    StoredVerdict,
    StreamFacets,
)

DeploymentSubset = Literal["all", "change_failures", "rework", "recovered"]
FailureSubset = Literal["all", "resolved", "open"]


class DerivedStateStore(Protocol):
    """What the refresh reads and writes (``doralens.metrics.refresh``)."""

    def dirty_streams(self, *, envs: Collection[str | None] | None = None, limit: int = 10_000) -> dict[StreamKey, str]:
        """Dirty streams (in ``envs`` when given) and their tokens."""

    def stream_tokens(self, streams: Collection[StreamKey]) -> dict[StreamKey, str | None]:
        """The current dirty token of each stream, None for a clean one."""

    def derived_fingerprint(self) -> str | None:
        """The fingerprint of the settings the stored derived state was computed with, if any."""

    def invalidate_derived(self, fingerprint: str) -> None:
        """Mark every stream dirty and record the settings the next refreshes compute with."""

    def stream_histories(self, streams: Collection[StreamKey]) -> tuple[list[Deployment], dict[str, StoredVerdict]]:
        """Every deployment of the streams, with its stored verdict."""

    def deployments_by_id(self, ids: Collection[str]) -> list[Deployment]:
        """The stored deployments among ``ids``."""

    def deployments_remediated_by(self, streams: Collection[StreamKey]) -> list[Deployment]:
        """Deployments whose manual remediation names a deployment of these streams."""

    def team_streams(self, env: str | None, teams: Collection[str]) -> set[StreamKey]:
        """Streams in ``env`` that have had deployments of any of ``teams``."""

    def failures_touching(self, streams: Collection[StreamKey], teams: dict[StreamKey, set[str]]) -> list[Failure]:
        """Failures impacting the streams, or overridden to one of their deployments."""

    def overrides_of(self, failure_ids: Collection[str]) -> dict[str, str | None]:
        """The user's attribution of each failure that has one."""

    def attributions_of(self, failure_ids: Collection[str]) -> list[StoredAttribution]:
        """The stored attribution rows of these failures."""

    def candidate_deployments(self, requests: Collection[CandidateRequest]) -> list[Deployment]:
        """The deployments each request asks for, each once."""

    def stream_sizes(self, streams: Collection[StreamKey]) -> dict[StreamKey, int]:
        """How many deployments each stream holds."""

    def write_refresh(self, write: RefreshWrite) -> bool:
        """Store a refresh's results unless a stream it read changed meanwhile; False on such a conflict."""


class AggregateStore(Protocol):
    """Metric aggregation (``doralens.store.aggregates``)."""

    @property
    def computes_percentiles(self) -> bool:
        """True when the database computes ``percentile_cont`` itself."""

    def deployment_days(
        self, scope: MetricScope, *, recoveries: bool = False, lead_time: bool = False
    ) -> list[DeploymentDay]:
        """Deployments, change failures, rework and the change failures' recovery per group and UTC day."""

    def failure_days(self, scope: MetricScope) -> list[FailureDay]:
        """Failures started, and still open, per group and UTC day."""

    def failure_samples(self, scope: MetricScope) -> list[DaySamples]:
        """Per group and UTC day: failures started, and the durations of those resolved."""

    def restore_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Time-to-restore aggregates per group and bucket, and per group."""

    def recovery_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Failed deployment recovery aggregates per group and bucket, and per group."""

    def environments(self) -> list[str | None]:
        """Every env deployments have been seen in."""

    def stream_facets(self) -> StreamFacets:
        """The services, envs and teams deployments have been seen with, sorted."""

    def failure_severities(self) -> tuple[str, ...]:
        """The severities failures have been seen with, sorted."""


class DrilldownStore(Protocol):
    """The events behind a number, and attribution overrides (``doralens.store.drilldown``)."""

    def metric_deployments(
        self, scope: MetricScope, *, subset: DeploymentSubset = "all", limit: int = 100, offset: int = 0
    ) -> list[tuple[Deployment, StoredVerdict]]:
        """Deployments of the scope (newest first), each with its verdict."""

    def metric_failures(
        self, scope: MetricScope, *, subset: FailureSubset = "all", limit: int = 100, offset: int = 0
    ) -> list[Failure]:
        """Failures of the scope (newest first)."""

    def verdicts_of(self, deployment_ids: Collection[str]) -> dict[str, StoredVerdict]:
        """The stored verdict of each of these deployments."""

    def attributions_to(self, deployment_ids: Collection[str]) -> list[StoredAttribution]:
        """Attribution rows linking failures to these deployments."""

    def attributions_from(self, failure_ids: Collection[str]) -> list[StoredAttribution]:
        """Attribution rows of these failures."""

    def attribution_override(self, failure_id: str) -> StoredOverride | None:
        """The user's attribution of a failure, if any."""

    def set_attribution_override(self, override: StoredOverride) -> bool:
        """Attribute a failure by hand; False when there is no such failure."""

    def clear_attribution_override(self, failure_id: str) -> bool:
        """Give a failure back to the rules; False when it had no override."""
