"""``LocalRepositories``: the ``CommitSource`` over git repositories the server can read (paths or mirrors).

Without path filters a range costs one ``git log P..S`` call: its output carries every commit's parents, so
whether P is an ancestor of S (P is a parent of some commit in the range) comes for free. Path filters hide
commits, so they add a ``git merge-base --is-ancestor`` call. A sha git does not know makes a mirror fetch
(rate-limited) and one retry; then the range reports which sha is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from doralens.gitdata.commits import (
    DEFAULT_LIMIT,
    WALK_FACTOR,
    Commit,
    RangeRequest,
    RangeStatus,
    ShippedRange,
    check_shas,
    finish_range,
    full_sha,
    missing_sha_range,
    path_filters,
    unknown_range,
)
from doralens.gitdata.git import (
    DEFAULT_TIMEOUT_S,
    GitError,
    is_ancestor,
    known_commits,
    log_format,
    parse_log,
    run_git,
)
from doralens.gitdata.mirrors import MirrorManager


class LocalRepositories:
    """Commit data read with ``git`` from repositories on disk: configured paths first, then mirrors."""

    def __init__(
        self,
        paths: Mapping[str, Path] | None = None,
        *,
        mirrors: MirrorManager | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._paths = dict(paths or {})
        self._mirrors = mirrors
        self._timeout = timeout_s

    def shipped(
        self,
        repository_id: str,
        head_sha: str,
        base_sha: str | None,
        *,
        paths: tuple[str, ...] = (),
        limit: int = DEFAULT_LIMIT,
    ) -> ShippedRange:
        """Non-merge commits reachable from ``head_sha`` and not from ``base_sha``, newest first."""
        checked = check_shas(head_sha, base_sha)
        if isinstance(checked, ShippedRange):
            return checked
        head, base = checked
        repository = self._repository(repository_id)
        if repository is None:
            return unknown_range(head, base, RangeStatus.HEAD_UNKNOWN, self._no_repository(repository_id))
        try:
            for attempt in range(2):
                found = self._read_range(repository, head, base, path_filters(paths), limit)
                if found is not None:
                    return found
                if attempt == 0 and not self._refresh(repository_id):
                    break
            known = known_commits(repository, [head, base], timeout=self._timeout)
        except GitError as exc:
            return unknown_range(head, base, RangeStatus.UNAVAILABLE, f"reading {repository_id} failed: {exc}")
        return missing_sha_range(head, base, known, repository_id)

    def shipped_many(self, ranges: Sequence[RangeRequest]) -> list[ShippedRange]:
        """``shipped`` of each range, one after the other (each is its own git call)."""
        return [self.shipped(r.repository_id, r.head_sha, r.base_sha, paths=r.paths, limit=r.limit) for r in ranges]

    def commit(self, repository_id: str, sha: str) -> Commit | None:
        """One commit with the paths it changed (none for a merge), or None when unknown."""
        wanted = full_sha(sha)
        repository = self._repository(repository_id)
        if wanted is None or repository is None:
            return None
        fmt, marker = log_format()
        args = ["log", "-1", "-z", "--no-renames", "--name-only", fmt, wanted, "--"]
        try:
            for attempt in range(2):
                result = run_git(args, repository=repository, timeout=self._timeout)
                if result.returncode == 0:
                    found = parse_log(result.stdout, marker)
                    return found[0] if found else None
                if attempt == 0 and not self._refresh(repository_id):
                    break
        except GitError:
            pass  # a timeout or a broken repository: the commit is as unknown as a missing one
        return None

    def readable(self) -> list[Path]:
        """The configured repositories, and the mirrors already cloned (none is cloned for this)."""
        return [*self._paths.values(), *(self._mirrors.cloned() if self._mirrors else [])]

    def _read_range(
        self, repository: Path, head: str, base: str, filters: tuple[str, ...], limit: int
    ) -> ShippedRange | None:
        """The range, or None when git does not know one of the shas."""
        cap = WALK_FACTOR * (limit + 1)
        extra = ["--no-merges", "--full-history", f"--max-count={limit + 1}"] if filters else [f"--max-count={cap}"]
        found = self._log(repository, extra, head, base, filters)
        if found is None:
            return None
        capped = not filters and len(found) >= cap
        if filters or capped:
            orphaned = head != base and not is_ancestor(repository, base, head, timeout=self._timeout)
            rollback = orphaned and is_ancestor(repository, head, base, timeout=self._timeout)
        else:
            # The range lists every commit with its parents: P is an ancestor of S exactly when it is one of them.
            orphaned = head != base and not any(base in c.parents for c in found)
            rollback = orphaned and not found
        base_side: list[Commit] = []
        if orphaned and not rollback:
            base_side = self._log(repository, ["--no-merges", f"--max-count={cap}"], base, head) or []
            if filters:
                # Rebased copies may fill the first ``limit + 1`` answers: ask again with room for all of them.
                wider = f"--max-count={limit + 1 + len(base_side)}"
                found = self._log(repository, [*extra[:2], wider], head, base, filters) or []
        return finish_range(
            head,
            base,
            found,
            limit=limit,
            orphaned=orphaned,
            rollback=rollback,
            base_side=base_side,
            cut_short=capped and sum(1 for c in found if not c.is_merge) <= limit,
        )

    def _log(
        self, repository: Path, options: list[str], include: str, exclude: str, filters: tuple[str, ...] = ()
    ) -> list[Commit] | None:
        """``git log include ^exclude -- filters``; None when either sha is not a commit git knows."""
        fmt, marker = log_format()
        # ``^{commit}``: a sha naming a tree or a blob is an error, not an empty range.
        revisions = [f"{include}^{{commit}}", f"^{exclude}^{{commit}}"]
        args = ["log", "-z", fmt, *options, *revisions, "--", *filters]
        result = run_git(args, repository=repository, timeout=self._timeout)
        if result.returncode == 0:
            return parse_log(result.stdout, marker)
        if {include, exclude} <= known_commits(repository, [include, exclude], timeout=self._timeout):
            raise GitError(f"git log failed: {result.stderr}")
        return None

    def _repository(self, repository_id: str) -> Path | None:
        if repository_id in self._paths:
            return self._paths[repository_id]
        if self._mirrors is not None:
            return self._mirrors.path(repository_id)
        return None

    def _refresh(self, repository_id: str) -> bool:
        if repository_id in self._paths or self._mirrors is None:
            return False
        return self._mirrors.refresh(repository_id)

    def _no_repository(self, repository_id: str) -> str:
        if self._mirrors is not None and self._mirrors.knows(repository_id):
            error = self._mirrors.last_error(repository_id) or "not cloned yet"
            return f"the mirror of {repository_id} is unavailable: {error}"
        return f"no repository is configured for {repository_id}"
