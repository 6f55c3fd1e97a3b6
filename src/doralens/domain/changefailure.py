"""Change-failure detection per deployment stream (one service and env), with remediation and rework.

In a stream in canonical order (``finished_at``, ``started_at``, id), each deployment is, first match wins:
1. a redeploy when it ships the same ref (commit sha, else version) as the one before it: nothing to detect;
2. a rollback when it ships the ref of an earlier deployment: the deployment right after that earlier one
   (the latest with the ref) is a change failure, remediated by the rollback (V1→V2→V3→V1: V2 failed);
3. a declared rollback when it carries the tag ``deployment_type:rollback`` (a CDEvents ``service.rolledback`` is
   stored so) but ships no earlier deployment's ref (the version rolled back to was never deployed here, or
   under another name): the deployment before it is a change failure, remediated by the rollback;
4. a rollforward when its version, a custom tag or its commit message matches a rule: the deployment before
   it is a change failure, remediated by it. Rollback wins over the rules because a rollback reuses an old
   artifact whose name may match a rule from its first life; marking the one before would blame the wrong one.
Refs compare sha with sha and version with version only: mixing them would call a version bump a rollback.

Across streams: a deployment with a failure attributed to it is a change failure; the first deployment of each
impacted stream after a failure started and at or before its resolution (any time, if still open) is rework.

Manual marks win: ``False`` (explicitly stable) removes every automatic reason (kept as ``overridden_reasons``
for the drill-down) and ignores any remediation given with it; ``True`` adds the manual reason; a manual
remediation without a mark implies a change failure, since only a failed deployment is remediated. A change
failure is remediated by its manual remediation, else by the earliest rollback or rollforward of it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from doralens.domain.attribution import Attribution, failures_by_deployment
from doralens.domain.events import Deployment, Failure
from doralens.domain.streams import change_ref, group_streams, impacted_streams
from doralens.errors import ConfigError

DEFAULT_ROLLFORWARD_PATTERNS = ("(?i)hotfix", '^Revert "')
# The custom tag of a deployment its sender calls a rollback.
DECLARED_ROLLBACK_TAG = "deployment_type:rollback"


class ChangeFailureReason(StrEnum):
    """Why a deployment counts as a change failure."""

    MANUAL = "manual"
    ROLLBACK = "rollback"
    ROLLFORWARD = "rollforward"
    ATTRIBUTED_FAILURE = "attributed_failure"


class RemediationType(StrEnum):
    """How a change failure was remediated."""

    ROLLBACK = "rollback"
    ROLLFORWARD = "rollforward"


class ReworkReason(StrEnum):
    """Why a deployment counts as unplanned rework."""

    ROLLBACK = "rollback"
    ROLLFORWARD = "rollforward"
    DURING_FAILURE = "first_deployment_during_failure"


@dataclass(frozen=True, slots=True)
class RollforwardRules:
    """Patterns making a deployment a rollforward when found in its version, a custom tag or commit text."""

    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def compile(cls, patterns: Iterable[str]) -> RollforwardRules:
        """Compile patterns from configuration, naming the one that is not a valid regular expression."""
        compiled = []
        for pattern in patterns:
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                raise ConfigError(f"rollforward pattern {pattern!r} is not a valid regular expression: {exc}") from exc
        return cls(tuple(compiled))

    def matches(self, deployment: Deployment, commit_message: str | None = None) -> bool:
        """True when any pattern is found in the version, any custom tag or the commit message."""
        texts = [t for t in (deployment.version, *deployment.custom_tags, commit_message) if t]
        return any(p.search(t) for p in self.patterns for t in texts)


DEFAULT_ROLLFORWARD_RULES = RollforwardRules.compile(DEFAULT_ROLLFORWARD_PATTERNS)


@dataclass(frozen=True, slots=True)
class ManualRemediation:
    """A user's statement that ``deployment_id`` remediated the marked deployment."""

    type: RemediationType
    deployment_id: str


@dataclass(frozen=True, slots=True)
class ManualMark:
    """A user's marks on a deployment: change failure (True), stable (False) or unset (None); remediation."""

    change_failure: bool | None = None
    remediation: ManualRemediation | None = None


@dataclass(frozen=True, slots=True)
class DeploymentVerdict:
    """What detection concluded about one deployment, with the evidence for the drill-down."""

    deployment_id: str
    is_change_failure: bool
    reasons: tuple[ChangeFailureReason, ...]
    overridden_reasons: tuple[ChangeFailureReason, ...]
    remediated_by: str | None
    remediation_type: RemediationType | None
    remediates: tuple[str, ...]
    is_rework: bool
    rework_reasons: tuple[ReworkReason, ...]
    failure_ids: tuple[str, ...]
    rework_failure_ids: tuple[str, ...]


@dataclass
class _Draft:
    reasons: set[ChangeFailureReason] = field(default_factory=set)
    remediations: list[tuple[str, RemediationType]] = field(default_factory=list)
    remediates: set[str] = field(default_factory=set)
    rework: set[ReworkReason] = field(default_factory=set)
    failure_ids: set[str] = field(default_factory=set)
    rework_failure_ids: set[str] = field(default_factory=set)


def detect_change_failures(
    deployments: Iterable[Deployment],
    *,
    failures: Iterable[Failure] = (),
    attributions: Iterable[Attribution] = (),
    marks: Mapping[str, ManualMark] | None = None,
    commit_messages: Mapping[str, str] | None = None,
    rules: RollforwardRules = DEFAULT_ROLLFORWARD_RULES,
) -> dict[str, DeploymentVerdict]:
    """A verdict per deployment id; ``commit_messages`` maps lowercase commit sha → message when known."""
    streams = group_streams(deployments)
    ids = dict.fromkeys(d.id for stream in streams.values() for d in stream)
    # Drafts only for the deployments something happened to: most have none, and their verdict is the plain one.
    drafts: defaultdict[str, _Draft] = defaultdict(_Draft)
    for stream in streams.values():
        _scan_stream(stream, drafts, commit_messages or {}, rules)
    for deployment_id, failure_ids in failures_by_deployment(attributions).items():
        if deployment_id in ids:
            drafts[deployment_id].reasons.add(ChangeFailureReason.ATTRIBUTED_FAILURE)
            drafts[deployment_id].failure_ids.update(failure_ids)
    for failure in failures:
        for _, candidates in impacted_streams(failure, streams):
            first = _first_during(candidates, failure)
            if first is not None:
                drafts[first.id].rework.add(ReworkReason.DURING_FAILURE)
                drafts[first.id].rework_failure_ids.add(failure.id)
    manual = marks or {}
    for marked_id, mark in manual.items():
        remediation = mark.remediation
        if remediation is None or mark.change_failure is False or marked_id not in ids:
            continue
        if remediation.deployment_id in ids:
            fixer = drafts[remediation.deployment_id]
            fixer.rework.add(ReworkReason(remediation.type.value))
            fixer.remediates.add(marked_id)
    return {d_id: _verdict(d_id, drafts.get(d_id, _NOTHING), manual.get(d_id)) for d_id in ids}


_Member = TypeVar("_Member", bound=StrEnum)
_NOTHING = _Draft()  # read only: the draft of a deployment nothing happened to


def _scan_stream(
    stream: Sequence[Deployment],
    drafts: defaultdict[str, _Draft],
    commit_messages: Mapping[str, str],
    rules: RollforwardRules,
) -> None:
    last_index: dict[tuple[str, str], int] = {}
    for index, deployment in enumerate(stream):
        ref = change_ref(deployment)
        previous = stream[index - 1] if index else None
        if ref is not None and previous is not None and change_ref(previous) == ref:
            pass  # a redeploy of the same artifact: neither a rollback nor new work
        elif ref is not None and ref in last_index:
            # last_index holds the latest earlier deployment with this ref, and it is not the previous one.
            _remediate(drafts, stream[last_index[ref] + 1], deployment, RemediationType.ROLLBACK)
        elif DECLARED_ROLLBACK_TAG in deployment.custom_tags:
            if previous is None:
                drafts[deployment.id].rework.add(ReworkReason.ROLLBACK)
            else:
                _remediate(drafts, previous, deployment, RemediationType.ROLLBACK)
        elif rules.matches(deployment, _message(deployment, commit_messages)):
            if previous is None:
                drafts[deployment.id].rework.add(ReworkReason.ROLLFORWARD)
            else:
                _remediate(drafts, previous, deployment, RemediationType.ROLLFORWARD)
        if ref is not None:
            last_index[ref] = index


def _message(deployment: Deployment, commit_messages: Mapping[str, str]) -> str | None:
    if deployment.git is None:
        return None
    return commit_messages.get(deployment.git.commit_sha.lower())


def _remediate(drafts: defaultdict[str, _Draft], failed: Deployment, fixer: Deployment, kind: RemediationType) -> None:
    drafts[failed.id].reasons.add(ChangeFailureReason(kind.value))
    drafts[failed.id].remediations.append((fixer.id, kind))
    drafts[fixer.id].rework.add(ReworkReason(kind.value))
    drafts[fixer.id].remediates.add(failed.id)


def _first_during(candidates: Sequence[Deployment], failure: Failure) -> Deployment | None:
    # Candidates are ordered by finished_at first; the first one finished strictly after the failure started.
    index = bisect_right(candidates, failure.started_at, key=lambda d: d.finished_at)
    if index == len(candidates):
        return None
    first = candidates[index]
    if failure.finished_at is not None and first.finished_at > failure.finished_at:
        return None
    return first


def _verdict(deployment_id: str, draft: _Draft, mark: ManualMark | None) -> DeploymentVerdict:
    stable = mark is not None and mark.change_failure is False
    manual = mark is not None and not stable and (mark.change_failure is True or mark.remediation is not None)
    reasons = set() if stable else draft.reasons | ({ChangeFailureReason.MANUAL} if manual else set())
    remediation: tuple[str, RemediationType] | None = None
    if reasons:
        if mark is not None and manual and mark.remediation is not None:
            remediation = (mark.remediation.deployment_id, mark.remediation.type)
        elif draft.remediations:
            remediation = draft.remediations[0]
    return DeploymentVerdict(
        deployment_id=deployment_id,
        is_change_failure=bool(reasons),
        reasons=_in_order(ChangeFailureReason, reasons),
        overridden_reasons=_in_order(ChangeFailureReason, draft.reasons) if stable else (),
        remediated_by=remediation[0] if remediation else None,
        remediation_type=remediation[1] if remediation else None,
        remediates=tuple(sorted(draft.remediates)),
        is_rework=bool(draft.rework),
        rework_reasons=_in_order(ReworkReason, draft.rework),
        failure_ids=tuple(sorted(draft.failure_ids)),
        rework_failure_ids=tuple(sorted(draft.rework_failure_ids)),
    )


def _in_order(kind: type[_Member], found: set[_Member]) -> tuple[_Member, ...]:
    """The members of ``found`` in the enum's order (most sets are empty)."""
    return tuple(member for member in kind if member in found) if found else ()
