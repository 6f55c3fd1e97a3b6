"""Commits and shipped ranges: the records every commit source returns, and the ``CommitSource`` interface.

A deployment of sha S whose predecessor (same service and env) deployed P ships the commits reachable from S and
not from P (``git log P..S``), merge commits excluded, optionally only those touching some paths, newest first,
at most ``limit`` of them. Both sources (a git repository, uploaded metadata) answer with a ``ShippedRange`` whose
status says whether the answer is complete, and an explanation a person can act on.

When P is not an ancestor of S (a force push rewrote the history P was on), the range is still ``P..S``: the
commits of S's side since the merge base. Rebased copies of commits P already shipped are recognised by the same
author time and subject as a commit on P's side, and skipped, so a rewrite does not ship its history twice.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

DEFAULT_LIMIT = 5000
# A walk visits merges too; past this many commits per allowed result it gives up and reports truncation.
WALK_FACTOR = 4
_FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit: times are integer nanoseconds UTC; ``paths`` are the files it changed against its parent.

    Merge commits carry no paths. Ranges (``CommitSource.shipped``) leave ``paths`` empty: lead time does not
    need them, and reading them costs a tree diff per commit; ``CommitSource.commit`` fills them.
    """

    sha: str
    parents: tuple[str, ...]
    author_time: int
    committer_time: int
    subject: str
    paths: tuple[str, ...] = ()

    @property
    def is_merge(self) -> bool:
        """True for a commit with more than one parent."""
        return len(self.parents) > 1

    def without_paths(self) -> Commit:
        """The same commit with ``paths`` emptied, as ranges return it."""
        if not self.paths:
            return self
        return Commit(self.sha, self.parents, self.author_time, self.committer_time, self.subject)


class RangeStatus(StrEnum):
    """How complete a shipped range is."""

    OK = "ok"  # every commit of P..S, nothing left out
    NO_BASELINE = "no_baseline"  # no previous sha: nothing to measure against, no commits listed
    BASE_UNKNOWN = "base_unknown"  # the previous sha is not in the repository or uploads: no commits listed
    HEAD_UNKNOWN = "head_unknown"  # the deployed sha (or the repository) is unknown: no commits listed
    ORPHANED = "orphaned"  # the previous sha is not an ancestor (force push): S's side since the merge base
    TRUNCATED = "truncated"  # more than ``limit`` commits: the newest ``limit`` are listed
    INCOMPLETE = "incomplete"  # uploads miss commits between S and P: the ones known are listed
    UNAVAILABLE = "unavailable"  # the source failed (git error or timeout): no commits listed


MEASURED_STATUSES = frozenset({RangeStatus.OK, RangeStatus.ORPHANED, RangeStatus.TRUNCATED})


@dataclass(frozen=True, slots=True)
class ShippedRange:
    """The non-merge commits a deployment shipped (newest first), with how complete the answer is and why."""

    head_sha: str
    base_sha: str | None
    status: RangeStatus
    commits: tuple[Commit, ...]
    explanation: str
    truncated: bool = False
    rewritten_skipped: int = 0

    @property
    def measured(self) -> bool:
        """True when ``commits`` may be used for lead time (complete, truncated or after a force push)."""
        return self.status in MEASURED_STATUSES


@dataclass(frozen=True, slots=True)
class RangeRequest:
    """One range to read: what ``CommitSource.shipped`` takes, as a value (``CommitSource.shipped_many``)."""

    repository_id: str
    head_sha: str
    base_sha: str | None
    paths: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT


class CommitSource(Protocol):
    """Where commit data comes from: a git repository the server reads, or metadata uploaded by the CLI."""

    def shipped(
        self,
        repository_id: str,
        head_sha: str,
        base_sha: str | None,
        *,
        paths: tuple[str, ...] = (),
        limit: int = DEFAULT_LIMIT,
    ) -> ShippedRange:
        """Non-merge commits reachable from ``head_sha`` and not from ``base_sha``; never raises for bad data."""
        ...

    def shipped_many(self, ranges: Sequence[RangeRequest]) -> list[ShippedRange]:
        """``shipped`` of each range, in order: the same answers, which a source may read together."""
        ...

    def commit(self, repository_id: str, sha: str) -> Commit | None:
        """One commit with its changed paths, or None when unknown."""
        ...


def full_sha(sha: str | None) -> str | None:
    """The lowercase sha when it is a full SHA-1 or SHA-256 hex name, else None (never passed to git)."""
    if sha is None:
        return None
    lowered = sha.strip().lower()
    return lowered if _FULL_SHA.match(lowered) else None


def path_filters(paths: Iterable[str]) -> tuple[str, ...]:
    """Normalise path filters to literal repository-relative prefixes; a filter naming the root removes all."""
    cleaned = []
    for raw in paths:
        path = raw.strip().removeprefix("./").strip("/")
        if not path or path == ".":
            return ()
        cleaned.append(path)
    return tuple(dict.fromkeys(cleaned))


def touches(changed: Iterable[str], filters: Sequence[str]) -> bool:
    """True when a changed path is one of the filters or lies under one (git's literal pathspec rule)."""
    return any(path == f or path.startswith(f + "/") for path in changed for f in filters)


def rewrite_key(commit: Commit) -> tuple[int, str]:
    """What a rebase keeps: a rebased copy has the original's author time and subject."""
    return (commit.author_time, commit.subject)


def unknown_range(head: str, base: str | None, status: RangeStatus, explanation: str) -> ShippedRange:
    """A range without commits: no baseline, or an unknown sha or repository."""
    return ShippedRange(head_sha=head, base_sha=base, status=status, commits=(), explanation=explanation)


def check_shas(head_sha: str, base_sha: str | None) -> ShippedRange | tuple[str, str]:
    """The normalised (head, base) to walk, or the answer when there is nothing to walk."""
    head, base = full_sha(head_sha), full_sha(base_sha)
    if head is None:
        return unknown_range(head_sha, base_sha, RangeStatus.HEAD_UNKNOWN, f"{head_sha!r} is not a full sha")
    if base_sha is None:
        return unknown_range(
            head, None, RangeStatus.NO_BASELINE, "no previous deployment with git data: nothing to measure from"
        )
    if base is None:
        return unknown_range(head, base_sha, RangeStatus.BASE_UNKNOWN, f"{base_sha!r} is not a full sha")
    return head, base


def missing_sha_range(head: str, base: str, known: Collection[str], repository_id: str) -> ShippedRange:
    """The range when the deployed or the previous sha is unknown to the source."""
    if head not in known:
        return unknown_range(
            head, base, RangeStatus.HEAD_UNKNOWN, f"the deployed commit {head[:12]} is not in {repository_id}"
        )
    return unknown_range(
        head,
        base,
        RangeStatus.BASE_UNKNOWN,
        f"the previous deployment's commit {base[:12]} is not in {repository_id}",
    )


def finish_range(
    head: str,
    base: str,
    found: Iterable[Commit],
    *,
    limit: int,
    orphaned: bool,
    rollback: bool = False,
    base_side: Iterable[Commit] = (),
    cut_short: bool = False,
    missing: int = 0,
) -> ShippedRange:
    """Sort, drop rebased copies of ``base_side`` commits, cap at ``limit``; status and explanation for both sources.

    ``orphaned`` says the base is not an ancestor of the head; ``rollback`` that the head is an ancestor of the
    base instead, which ships nothing and is complete. ``cut_short`` says the walk stopped before the end of the
    range; ``missing`` counts unknown commits met on the head's side.
    """
    copies = {rewrite_key(c) for c in base_side}
    ordered = sorted((c.without_paths() for c in found if not c.is_merge), key=lambda c: -c.committer_time)
    kept = [c for c in ordered if rewrite_key(c) not in copies] if orphaned else ordered
    skipped = len(ordered) - len(kept)
    truncated = cut_short or len(kept) > limit
    kept = kept[:limit]
    notes = [f"{len(kept)} commits shipped since {base[:12]}"]
    status = RangeStatus.TRUNCATED if truncated else RangeStatus.OK
    if rollback:
        notes.append(f"{head[:12]} is an ancestor of the previous sha {base[:12]} (a rollback): nothing new")
    elif orphaned:
        status = RangeStatus.ORPHANED
        notes.append(
            f"the previous sha {base[:12]} is not an ancestor of {head[:12]} (history rewritten, e.g. a force "
            "push): counting the commits since their merge base"
        )
        if skipped:
            notes.append(f"{skipped} rebased copies of commits already shipped skipped")
    elif missing:
        status = RangeStatus.INCOMPLETE
        notes.append(f"{missing} commits between them were never uploaded: only the known ones are listed")
    if len(ordered) - skipped > limit:
        notes.append(f"more than {limit} commits: only the newest {limit} are listed")
    elif cut_short:
        notes.append(f"the walk stopped after {WALK_FACTOR * (limit + 1)} commits, mostly merges or filtered out")
    return ShippedRange(
        head_sha=head,
        base_sha=base,
        status=status,
        commits=tuple(kept),
        explanation="; ".join(notes),
        truncated=truncated,
        rewritten_skipped=skipped,
    )
