"""The range walk ``git rev-list S ^P`` does, over commits loaded on demand (uploaded metadata in a database).

Commits are popped newest first (committer time) from a queue started with S marked *head* and P marked *base*;
each pops passes its marks to its parents. When every queued commit carries the base mark, nothing older can be
reachable from S alone, and the walk stops: it visits the range plus a frontier, never P's whole history. Marks
are read at the end, so a commit reached first from S and later from P (clock skew) is left out as git would.

A parent the loader does not know is the edge of the uploaded history: the walk goes no further there.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from doralens.gitdata.commits import WALK_FACTOR, Commit

HEAD = 1
BASE = 2
_PATH_BATCH = 256
# Most ranges are a few dozen commits: start with a small page, and double it for the long ones.
FIRST_PAGE = 64
LAST_PAGE = 1024


class CommitLoader(Protocol):
    """Loads commits of one repository, in pages by committer time or by sha."""

    def page(self, at_or_before: int, size: int) -> Sequence[Commit]:
        """The newest ``size`` commits with ``committer_time <= at_or_before``, newest first."""
        ...

    def by_sha(self, shas: Sequence[str]) -> Sequence[Commit]:
        """The known commits among ``shas``."""
        ...


@dataclass
class WalkResult:
    """What a walk found: accepted head-only non-merge commits (visit order), base-only ones, how it ended."""

    shipped: list[Commit] = field(default_factory=list)
    head_side: int = 0  # head-only commits visited, merges included
    base_only: list[Commit] = field(default_factory=list)
    base_reached: bool = False
    missing_head_side: int = 0
    cut_short: bool = False  # stopped by the walk budget
    over_limit: bool = False  # stopped after finding more than ``limit`` commits


class _Cache:
    """Commits loaded so far; a page is loaded only below the time range already covered."""

    def __init__(self, loader: CommitLoader) -> None:
        self.loader = loader
        self.commits: dict[str, Commit] = {}
        self.absent: set[str] = set()
        self.covered: tuple[int, int] | None = None
        self.page_size = FIRST_PAGE

    def ensure(self, shas: Iterable[str], hint: int | None) -> None:
        """Load the commits among ``shas`` not loaded yet; ``hint`` is the time of the commit that needs them."""
        missing = [s for s in shas if s not in self.commits and s not in self.absent]
        if not missing:
            return
        if hint is not None and not (self.covered and self.covered[0] <= hint <= self.covered[1]):
            # A parent is almost always just older than its child: one page brings the next stretch of history.
            page = self.loader.page(hint, self.page_size)
            self.page_size = min(2 * self.page_size, LAST_PAGE)
            self._add(page)
            # Commits sharing the oldest time may continue past the page: count that time as not covered.
            bottom = page[-1].committer_time + 1 if page else -(2**63)
            self.covered = _merge(self.covered, (bottom, hint))
            missing = [s for s in missing if s not in self.commits]
        if missing:
            self._add(self.loader.by_sha(missing))
            self.absent.update(s for s in missing if s not in self.commits)

    def _add(self, commits: Iterable[Commit]) -> None:
        for commit in commits:
            self.commits.setdefault(commit.sha, commit)


def _merge(old: tuple[int, int] | None, new: tuple[int, int]) -> tuple[int, int]:
    """Join two covered time spans when they touch; otherwise keep the newer load."""
    if old is None or new[1] + 1 < old[0] or old[1] + 1 < new[0]:
        return new
    return (min(old[0], new[0]), max(old[1], new[1]))


def walk_range(
    loader: CommitLoader,
    head: str,
    base: str,
    *,
    limit: int,
    accept: Callable[[Sequence[Commit]], Sequence[bool]] | None = None,
) -> WalkResult | None:
    """Walk ``head ^base``; None when either sha is unknown. ``accept`` filters candidates (path filters)."""
    cache = _Cache(loader)
    cache.ensure([head, base], None)
    if head not in cache.commits or base not in cache.commits:
        return None
    flags = {head: HEAD}
    flags[base] = flags.get(base, 0) | BASE
    queue = [(-cache.commits[sha].committer_time, n, sha) for n, sha in enumerate(flags)]
    heapq.heapify(queue)
    pushes = len(queue)
    done: dict[str, int] = {}
    visited: dict[str, None] = {}  # insertion-ordered set
    candidates = _Candidates(accept)
    result = WalkResult()
    missing: set[str] = set()
    while queue and any(not flags[s] & BASE for _, _, s in queue):
        _, _, sha = heapq.heappop(queue)
        mark = flags[sha]
        if done.get(sha) == mark:
            continue
        done[sha] = mark
        visited[sha] = None
        commit = cache.commits[sha]
        if mark == HEAD:
            result.head_side += 1
            if candidates.add(commit) > limit:
                result.over_limit = True
                break
            if result.head_side > WALK_FACTOR * (limit + 1):
                result.cut_short = True
                break
        cache.ensure(commit.parents, commit.committer_time)
        for parent in commit.parents:
            if parent in cache.absent:
                if mark == HEAD:
                    missing.add(parent)
            elif flags.get(parent, 0) | mark != flags.get(parent):
                flags[parent] = flags.get(parent, 0) | mark
                pushes += 1
                heapq.heappush(queue, (-cache.commits[parent].committer_time, pushes, parent))
    candidates.flush()
    result.shipped = [cache.commits[s] for s in visited if flags[s] == HEAD and candidates.accepted(s)]
    result.base_only = [cache.commits[s] for s in visited if flags[s] == BASE]
    result.base_reached = bool(flags[base] & HEAD)
    result.missing_head_side = len(missing)
    return result


class _Candidates:
    """Head-only non-merge commits, filtered in batches (one query per batch for path filters)."""

    def __init__(self, accept: Callable[[Sequence[Commit]], Sequence[bool]] | None) -> None:
        self._accept = accept
        self._pending: list[Commit] = []
        self._rejected: set[str] = set()
        self.count = 0

    def add(self, commit: Commit) -> int:
        """Count a head-only commit; return how many were accepted so far."""
        if commit.is_merge:
            return self.count
        self._pending.append(commit)
        if self._accept is None or len(self._pending) >= _PATH_BATCH:
            self.flush()
        return self.count

    def flush(self) -> None:
        """Filter the pending commits."""
        if not self._pending:
            return
        verdicts = self._accept(self._pending) if self._accept else [True] * len(self._pending)
        for commit, ok in zip(self._pending, verdicts, strict=True):
            if ok:
                self.count += 1
            else:
                self._rejected.add(commit.sha)
        self._pending = []

    def accepted(self, sha: str) -> bool:
        """False for a commit the filter rejected."""
        return sha not in self._rejected
