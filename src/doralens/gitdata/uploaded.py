"""``SqlCommitStore``: commit metadata uploaded by the CLI, kept in the database, and a ``CommitSource`` over it.

Uploads only add: a sha names the same commit forever, so storing one twice changes nothing (idempotent). The
range walk (``walk.py``) reads the parent graph in pages of history by committer time, one query per page, on
one connection. Parents that were never uploaded are the edge of the known history; the upload format and the
CLI's ``collect_from_checkout`` live in ``payload.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Connection, Select, and_, bindparam, func, or_, select

from doralens.gitdata.commits import (
    DEFAULT_LIMIT,
    Commit,
    RangeRequest,
    ShippedRange,
    check_shas,
    finish_range,
    full_sha,
    missing_sha_range,
    path_filters,
)
from doralens.gitdata.walk import walk_range
from doralens.store.dialect import Backend, iter_chunks
from doralens.store.schema import git_commit_parents, git_commit_paths, git_commits

_CHUNK = 500


class SqlCommitStore:
    """Uploaded commit metadata in a SQL database (SQLite or PostgreSQL), readable as a ``CommitSource``."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def add_commits(self, repository_id: str, commits: Iterable[Commit]) -> int:
        """Store the commits not stored yet, with their parents and paths; return how many were new."""
        given = {c.sha: c for c in commits}
        added = 0
        with self.backend.write() as conn:
            for shas in _chunks(list(given)):
                stored = set(
                    conn.execute(
                        select(git_commits.c.sha).where(
                            git_commits.c.repository_id == repository_id, git_commits.c.sha.in_(shas)
                        )
                    ).scalars()
                )
                new = [given[sha] for sha in shas if sha not in stored]
                added += len(new)
                self._insert(conn, repository_id, new)
        return added

    def _insert(self, conn: Connection, repository_id: str, commits: list[Commit]) -> None:
        rows = [
            {
                "repository_id": repository_id,
                "sha": c.sha,
                "author_time": c.author_time,
                "committer_time": c.committer_time,
                "subject": c.subject,
            }
            for c in commits
        ]
        parents = [
            {"repository_id": repository_id, "sha": c.sha, "position": n, "parent_sha": p}
            for c in commits
            for n, p in enumerate(c.parents)
        ]
        paths = [{"repository_id": repository_id, "sha": c.sha, "path": path} for c in commits for path in set(c.paths)]
        # Another writer may store the same commits at the same moment (PostgreSQL): theirs are as good as ours.
        for table, table_rows in ((git_commits, rows), (git_commit_parents, parents), (git_commit_paths, paths)):
            for chunk in iter_chunks(table_rows):
                conn.execute(self.backend.upsert(table).values(chunk).on_conflict_do_nothing())

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
        with self.backend.reader.connect() as conn:
            return _walked(conn, repository_id, *checked, path_filters(paths), limit)

    def shipped_many(self, ranges: Sequence[RangeRequest]) -> list[ShippedRange]:
        """``shipped`` of each range, on one connection. Which ends are stored is read first, for all the ranges
        at once: a range with an end that is not (no commits uploaded for it yet) is answered without a walk."""
        answers: dict[int, ShippedRange] = {}
        walks: list[tuple[int, RangeRequest, str, str]] = []
        for n, request in enumerate(ranges):
            checked = check_shas(request.head_sha, request.base_sha)
            if isinstance(checked, ShippedRange):
                answers[n] = checked
            else:
                walks.append((n, request, *checked))
        if walks:
            with self.backend.reader.connect() as conn:
                ends: dict[str, set[str]] = {}
                for _, request, head, base in walks:
                    ends.setdefault(request.repository_id, set()).update((head, base))
                stored = {repository: _stored(conn, repository, shas) for repository, shas in ends.items()}
                for n, request, head, base in walks:
                    known, filters = stored[request.repository_id], path_filters(request.paths)
                    answers[n] = (
                        _walked(conn, request.repository_id, head, base, filters, request.limit)
                        if head in known and base in known
                        else missing_sha_range(head, base, known, request.repository_id)
                    )
        return [answers[n] for n in range(len(ranges))]

    def commit(self, repository_id: str, sha: str) -> Commit | None:
        """One stored commit with its changed paths, or None."""
        wanted = full_sha(sha)
        if wanted is None:
            return None
        with self.backend.reader.connect() as conn:
            found = _Loader(conn, repository_id).by_sha([wanted])
            if not found:
                return None
            paths = conn.execute(
                select(git_commit_paths.c.path)
                .where(git_commit_paths.c.repository_id == repository_id, git_commit_paths.c.sha == wanted)
                .order_by(git_commit_paths.c.path)
            ).scalars()
            return replace(found[0], paths=tuple(paths))

    def subjects(self, shas: Collection[str]) -> dict[str, str]:
        """Subjects of uploaded commits among ``shas`` (of any repository), by sha."""
        wanted = sorted(set(shas))
        found: dict[str, str] = {}
        with self.backend.reader.connect() as conn:
            for chunk in _chunks(wanted):
                rows = conn.execute(
                    select(git_commits.c.sha, git_commits.c.subject).where(git_commits.c.sha.in_(chunk))
                )
                found.update((sha, subject) for sha, subject in rows)
        return found

    def count_commits(self, repository_id: str) -> int:
        """How many commits of the repository are stored."""
        with self.backend.reader.connect() as conn:
            counted: int = conn.execute(
                select(func.count()).select_from(git_commits).where(git_commits.c.repository_id == repository_id)
            ).scalar_one()
        return counted


def _walked(
    conn: Connection, repository_id: str, head: str, base: str, filters: tuple[str, ...], limit: int
) -> ShippedRange:
    """The range ``head ^base`` walked over the uploaded commits of the repository."""
    loader = _Loader(conn, repository_id)

    def accept(candidates: Sequence[Commit]) -> list[bool]:
        touching = _touching(conn, repository_id, [c.sha for c in candidates], filters)
        return [c.sha in touching for c in candidates]

    walk = walk_range(loader, head, base, limit=limit, accept=accept if filters else None)
    if walk is None:
        known = {c.sha for c in loader.by_sha([head, base])}
        return missing_sha_range(head, base, known, repository_id)
    # Stopped early, the walk cannot tell a rewritten history from a long one: it reports truncation only.
    settled = walk.base_reached or head == base or walk.cut_short or walk.over_limit
    missing = 0 if settled else walk.missing_head_side
    orphaned = not settled and not missing
    return finish_range(
        head,
        base,
        walk.shipped,
        limit=limit,
        orphaned=orphaned,
        rollback=orphaned and walk.head_side == 0,
        base_side=walk.base_only if orphaned else (),
        cut_short=walk.cut_short,
        missing=missing,
    )


def _stored(conn: Connection, repository_id: str, shas: Collection[str]) -> set[str]:
    """The shas among ``shas`` uploaded for the repository."""
    found: set[str] = set()
    for chunk in _chunks(sorted(shas)):
        found.update(conn.execute(_STORED, {"repository_id": repository_id, "shas": chunk}).scalars())
    return found


def _with_parents(where: ColumnElement[bool], *, newest_first: bool, limit: bool = False) -> Select[Any]:
    """The statement of the commits ``where`` selects (of the repository ``:repository_id``) with their parents, in
    order; built once, run with parameters: building it anew for each lookup cost more than running it.

    Looking up shas, an order by time makes SQLite walk the time index over the whole repository instead of looking
    each sha up by primary key, so only a page of the newest commits is ordered by time.
    """
    repository: BindParameter[str] = bindparam("repository_id")
    columns = (git_commits.c.sha, git_commits.c.author_time, git_commits.c.committer_time, git_commits.c.subject)
    chosen = select(*columns).where(git_commits.c.repository_id == repository, where)
    if newest_first:
        chosen = chosen.order_by(git_commits.c.committer_time.desc(), git_commits.c.sha.desc())
    if limit:
        chosen = chosen.limit(bindparam("size"))
    page = chosen.subquery()
    joined = page.outerjoin(
        git_commit_parents,
        and_(git_commit_parents.c.repository_id == repository, git_commit_parents.c.sha == page.c.sha),
    )
    return (
        select(page, git_commit_parents.c.parent_sha)
        .select_from(joined)
        .order_by(
            *((page.c.committer_time.desc(), page.c.sha.desc()) if newest_first else (page.c.sha,)),
            git_commit_parents.c.position,
        )
    )


_BY_SHA = _with_parents(git_commits.c.sha.in_(bindparam("shas", expanding=True)), newest_first=False)
_STORED = select(git_commits.c.sha).where(
    git_commits.c.repository_id == bindparam("repository_id"), git_commits.c.sha.in_(bindparam("shas", expanding=True))
)
_PAGE = _with_parents(git_commits.c.committer_time <= bindparam("at_or_before"), newest_first=True, limit=True)


class _Loader:
    """Loads commits with their parents for the walk, on one connection."""

    def __init__(self, conn: Connection, repository_id: str) -> None:
        self._conn = conn
        self._repository_id = repository_id

    def page(self, at_or_before: int, size: int) -> list[Commit]:
        """The newest ``size`` commits at or before a committer time."""
        return self._load(_PAGE, at_or_before=at_or_before, size=size)

    def by_sha(self, shas: Sequence[str]) -> list[Commit]:
        """The stored commits among ``shas``."""
        found: list[Commit] = []
        for chunk in _chunks(list(shas)):
            found.extend(self._load(_BY_SHA, shas=chunk))
        return found

    def _load(self, statement: Select[Any], **parameters: object) -> list[Commit]:
        rows = self._conn.execute(statement, {"repository_id": self._repository_id, **parameters}).all()
        commits: dict[str, tuple[int, int, str, list[str]]] = {}
        for sha, author_time, committer_time, subject, parent in rows:
            entry = commits.setdefault(sha, (author_time, committer_time, subject, []))
            if parent is not None:
                entry[3].append(parent)
        return [Commit(sha, tuple(parents), a, c, s) for sha, (a, c, s, parents) in commits.items()]


def _touching(conn: Connection, repository_id: str, shas: list[str], filters: tuple[str, ...]) -> set[str]:
    """The commits among ``shas`` that changed a path under one of the filters (matched in SQL)."""
    path = git_commit_paths.c.path
    under = or_(*(or_(path == f, func.substr(path, 1, len(f) + 1) == f + "/") for f in filters))
    touching: set[str] = set()
    for chunk in _chunks(shas):
        touching.update(
            conn.execute(
                select(git_commit_paths.c.sha)
                .distinct()
                .where(git_commit_paths.c.repository_id == repository_id, git_commit_paths.c.sha.in_(chunk), under)
            ).scalars()
        )
    return touching


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
