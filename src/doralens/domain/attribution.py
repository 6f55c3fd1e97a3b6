"""Which deployment caused a failure: exact reference, commit range, then the latest deployment before it.

Rules, in the spec's order, each tried for every impacted service (the failure's ``services`` in its env;
for a failure naming only a team, every service of that team in its env):

(a) the failure's commit sha, else its version, equals a deployment's: exact, high confidence. When several
    deployments carry it (a redeploy), the latest one finished at or before the failure started wins; when
    none finished before (clock skew, a failure during the rollout), the earliest one.
(b) ``shipped_by(sha, service, env)`` names the deployment that first shipped the failure's commit: exact,
    high confidence.
(c) only when no impacted service got an exact link: the latest deployment finished strictly before the
    failure started and at most ``window_ns`` before it: heuristic. Confidence is medium when a single named
    service had such a deployment and it finished within ``medium_gap_ns`` (default 1 h) of the failure; low
    otherwise (several services were suspects, the failure names only a team, or the gap is longer).
(d) nothing found: unattributed, kept as a row so it is counted and shown.

A failure impacting several services gets at most one link per impacted service: each service's view then
shows the failure against its own suspect. An exact link on any service suppresses heuristic links on the
others, because a known culprit makes the neighbours' recent deployments mere bystanders. A failure naming
only a team gets at most one heuristic link (the team's latest deployment): one per service would blame all.

A manual override (failure id to deployment id, or None for "no deployment caused it") replaces all the above.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeAlias

from doralens.domain.events import Deployment, Failure
from doralens.domain.streams import StreamKey, group_streams, impacted_streams, order_key
from doralens.domain.timestamps import NS_PER_SECOND

Impacted: TypeAlias = list[tuple[StreamKey, Sequence[Deployment]]]

DEFAULT_WINDOW_NS = 24 * 3600 * NS_PER_SECOND
DEFAULT_MEDIUM_GAP_NS = 3600 * NS_PER_SECOND


class AttributionMethod(StrEnum):
    """How a failure was linked to a deployment."""

    EXACT = "exact"
    HEURISTIC = "heuristic"
    MANUAL = "manual"
    UNATTRIBUTED = "unattributed"


class Confidence(StrEnum):
    """How sure the link is."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class AttributionBasis(StrEnum):
    """The evidence behind a link."""

    COMMIT_SHA = "commit_sha"
    VERSION = "version"
    COMMIT_RANGE = "commit_range"
    LATEST_BEFORE_FAILURE = "latest_before_failure"
    OVERRIDE = "override"


class ShippedBy(Protocol):
    """Finds the deployment of ``service`` in ``env`` that first shipped a commit (from git data), or None."""

    def __call__(self, commit_sha: str, service: str, env: str | None, /) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Attribution:
    """One link from a failure to a deployment, or the failure's one row without (``deployment_id`` None).

    A row without a deployment is either unattributed (nothing found) or manual (a user said no deployment
    caused the failure); only the first kind counts as unattributed.
    """

    failure_id: str
    deployment_id: str | None
    method: AttributionMethod
    confidence: Confidence | None
    basis: AttributionBasis | None


def attribute_failures(
    failures: Iterable[Failure],
    deployments: Iterable[Deployment],
    *,
    window_ns: int = DEFAULT_WINDOW_NS,
    medium_gap_ns: int = DEFAULT_MEDIUM_GAP_NS,
    shipped_by: ShippedBy | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> list[Attribution]:
    """Attribute every failure; each failure yields one row per linked deployment, or one unattributed row."""
    streams = group_streams(deployments)
    manual = overrides or {}
    result: list[Attribution] = []
    for failure in sorted(failures, key=lambda f: (f.started_at, f.id)):
        if failure.id in manual:
            # The user's word, kept even when the deployment is not among those given (it may lie outside the
            # caller's time range); consumers ignore links to deployments they do not hold.
            result.append(
                Attribution(
                    failure.id,
                    manual[failure.id],
                    AttributionMethod.MANUAL,
                    Confidence.HIGH,
                    AttributionBasis.OVERRIDE,
                )
            )
            continue
        impacted = impacted_streams(failure, streams)
        links = _exact_links(failure, impacted, shipped_by) or _heuristic_links(
            failure, impacted, window_ns=window_ns, medium_gap_ns=medium_gap_ns
        )
        result.extend(links or [Attribution(failure.id, None, AttributionMethod.UNATTRIBUTED, None, None)])
    return result


def failures_by_deployment(attributions: Iterable[Attribution]) -> dict[str, list[str]]:
    """Deployment id → ids of the failures attributed to it (unattributed rows skipped)."""
    linked: dict[str, list[str]] = {}
    for attribution in attributions:
        if attribution.deployment_id is not None:
            linked.setdefault(attribution.deployment_id, []).append(attribution.failure_id)
    return linked


def _exact_links(failure: Failure, impacted: Impacted, shipped_by: ShippedBy | None) -> list[Attribution]:
    subjects = dict(impacted)
    # Named services are asked even without deployments here: git data may know one outside the given set.
    services = list(dict.fromkeys(failure.services)) or [key[0] for key in subjects]
    sha = failure.git.commit_sha.lower() if failure.git is not None else None
    found: dict[str, AttributionBasis] = {}
    for service in services:
        match = _match_reference(failure, subjects.get((service, failure.env), ()), sha)
        if match is not None:
            found.setdefault(match[0].id, match[1])
        elif shipped_by is not None and sha is not None:
            shipping = shipped_by(sha, service, failure.env)
            if shipping is not None:
                found.setdefault(shipping, AttributionBasis.COMMIT_RANGE)
    return [
        Attribution(failure.id, deployment_id, AttributionMethod.EXACT, Confidence.HIGH, basis)
        for deployment_id, basis in sorted(found.items())
    ]


def _match_reference(
    failure: Failure, candidates: Sequence[Deployment], sha: str | None
) -> tuple[Deployment, AttributionBasis] | None:
    by_sha = [d for d in candidates if sha is not None and d.git is not None and d.git.commit_sha.lower() == sha]
    by_version = [d for d in candidates if failure.version is not None and d.version == failure.version]
    for matches, basis in ((by_sha, AttributionBasis.COMMIT_SHA), (by_version, AttributionBasis.VERSION)):
        if matches:
            before = [d for d in matches if d.finished_at <= failure.started_at]
            return (before[-1] if before else matches[0]), basis
    return None


def _heuristic_links(failure: Failure, impacted: Impacted, *, window_ns: int, medium_gap_ns: int) -> list[Attribution]:
    subjects = [candidates for _, candidates in impacted]
    if not failure.services and subjects:
        subjects = [sorted((d for s in subjects for d in s), key=order_key)]
    suspects = [d for d in (_latest_before(s, failure.started_at, window_ns) for s in subjects) if d is not None]
    single_named = len(suspects) == 1 and bool(failure.services)
    links = []
    for suspect in sorted(suspects, key=lambda d: d.id):
        close = failure.started_at - suspect.finished_at <= medium_gap_ns
        confidence = Confidence.MEDIUM if single_named and close else Confidence.LOW
        links.append(
            Attribution(
                failure.id,
                suspect.id,
                AttributionMethod.HEURISTIC,
                confidence,
                AttributionBasis.LATEST_BEFORE_FAILURE,
            )
        )
    return links


def _latest_before(candidates: Sequence[Deployment], moment: int, window_ns: int) -> Deployment | None:
    # Candidates are in canonical order, which sorts by finished_at first: bisect finds those strictly before.
    index = bisect_left(candidates, moment, key=lambda d: d.finished_at)
    if index == 0:
        return None
    latest = candidates[index - 1]
    return latest if moment - latest.finished_at <= window_ns else None
