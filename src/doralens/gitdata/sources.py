"""Commit sources asked in turn, and commit subjects for the rollforward rules, from every source the server has.

Uploaded metadata comes first: it is one database query away and describes exactly what CI deployed. The git
repositories the server reads (local paths, mirrors) come next, and answer for deployments sent without uploads
(``datadog-ci``). The first complete answer wins; when none is, the most useful partial one is kept, with what
each source said.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from doralens.gitdata.commits import (
    DEFAULT_LIMIT,
    Commit,
    CommitSource,
    RangeRequest,
    RangeStatus,
    ShippedRange,
    full_sha,
)
from doralens.gitdata.git import DEFAULT_TIMEOUT_S, GitError, run_git

# When no source measured a range, the answer kept: the one that got furthest.
_USEFULNESS = (RangeStatus.INCOMPLETE, RangeStatus.BASE_UNKNOWN, RangeStatus.UNAVAILABLE, RangeStatus.HEAD_UNKNOWN)
MAX_CACHED_SUBJECTS = 100_000


class ChainedSource:
    """A ``CommitSource`` over named sources, asked in order."""

    def __init__(self, sources: Sequence[tuple[str, CommitSource]]) -> None:
        self._sources = list(sources)

    def shipped(
        self,
        repository_id: str,
        head_sha: str,
        base_sha: str | None,
        *,
        paths: tuple[str, ...] = (),
        limit: int = DEFAULT_LIMIT,
    ) -> ShippedRange:
        """The first source's measured range; else the most complete answer, explained by every source."""
        return self.shipped_many([RangeRequest(repository_id, head_sha, base_sha, paths, limit)])[0]

    def shipped_many(self, ranges: Sequence[RangeRequest]) -> list[ShippedRange]:
        """``shipped`` of each range: each source is asked, at once, about the ranges the sources before it left
        unmeasured."""
        said: list[list[tuple[str, ShippedRange]]] = [[] for _ in ranges]
        answers: dict[int, ShippedRange] = {}
        pending = list(range(len(ranges)))
        for name, source in self._sources:
            if not pending:
                break
            found = source.shipped_many([ranges[n] for n in pending])
            for n, answer in zip(pending, found, strict=True):
                if answer.measured or answer.status is RangeStatus.NO_BASELINE:
                    answers[n] = answer
                else:
                    said[n].append((name, answer))
            pending = [n for n in pending if n not in answers]
        answers.update((n, _best(said[n])) for n in pending)
        return [answers[n] for n in range(len(ranges))]

    def commit(self, repository_id: str, sha: str) -> Commit | None:
        """The commit from the first source that knows it."""
        for _, source in self._sources:
            found = source.commit(repository_id, sha)
            if found is not None:
                return found
        return None


def _best(answers: list[tuple[str, ShippedRange]]) -> ShippedRange:
    """When no source measured a range: the answer that got furthest, with what each source said."""
    if len(answers) == 1:
        return answers[0][1]
    best = min((a for _, a in answers), key=lambda a: _USEFULNESS.index(a.status))
    said = "; ".join(f"{name}: {answer.explanation}" for name, answer in answers)
    return ShippedRange(
        best.head_sha, best.base_sha, best.status, best.commits, said, best.truncated, best.rewritten_skipped
    )


def read_subjects(repository: Path, shas: Collection[str], *, timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, str]:
    """The subject of each of ``shas`` the repository holds as a commit (one ``git cat-file --batch`` call)."""
    wanted = sorted({s for s in (full_sha(sha) for sha in shas) if s})
    if not wanted:
        return {}
    result = run_git(
        ["cat-file", "--batch"],
        repository=repository,
        timeout=timeout,
        stdin="".join(f"{s}\n" for s in wanted).encode(),
    )
    if result.returncode != 0:
        raise GitError(f"git cat-file failed: {result.stderr}")
    out, found, at = result.stdout, {}, 0
    while at < len(out):
        end = out.index(b"\n", at)
        name, kind, *size = out[at:end].decode("ascii", "replace").split(" ")
        at = end + 1
        if kind == "missing" or not size:
            continue
        body = out[at : at + int(size[0])]
        at += int(size[0]) + 1  # the object, then a newline
        if kind == "commit":
            _, _, message = body.partition(b"\n\n")
            found[name] = message.decode("utf-8", "replace").split("\n", 1)[0].strip()
    return found


class CommitSubjectReader(Protocol):
    """What ``CommitSubjects`` needs from the uploaded commits (``SqlCommitStore``)."""

    def subjects(self, shas: Collection[str]) -> dict[str, str]:
        """Subjects of uploaded commits among ``shas``."""
        ...


class RepositoryList(Protocol):
    """What ``CommitSubjects`` needs from the repositories on disk (``LocalRepositories``)."""

    def readable(self) -> list[Path]:
        """The repositories that exist on disk now (no clone is started for a subject)."""
        ...


class CommitSubjects:
    """``CommitMessages`` for the rollforward rules: subjects from uploads, then from readable repositories.

    A commit's subject never changes, so found ones are cached (bounded); unknown ones are asked again, since
    they may be uploaded or fetched later.
    """

    def __init__(self, uploaded: CommitSubjectReader, repositories: RepositoryList) -> None:
        self._uploaded = uploaded
        self._repositories = repositories
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, shas: Collection[str], /) -> Mapping[str, str]:
        """Subjects of the shas that some source knows, by lowercase sha."""
        with self._lock:
            found = {sha: self._cache[sha] for sha in shas if sha in self._cache}
        missing = [sha for sha in shas if sha not in found]
        if missing:
            found.update(self._uploaded.subjects(missing))
        for repository in self._repositories.readable():
            missing = [sha for sha in shas if sha not in found]
            if not missing:
                break
            try:
                found.update(read_subjects(repository, missing))
            except GitError:
                continue  # an unreadable repository knows nothing: the rules then see no message
        with self._lock:
            if len(self._cache) + len(found) > MAX_CACHED_SUBJECTS:
                self._cache.clear()
            self._cache.update(found)
        return found
