"""``SqlCommitStore``: idempotent uploads, the schema its migration builds, and ranges that agree with git's."""

from __future__ import annotations

from itertools import product
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from doralens.gitdata.commits import Commit, RangeRequest, RangeStatus
from doralens.gitdata.local import LocalRepositories
from doralens.gitdata.payload import collect_from_checkout
from doralens.gitdata.uploaded import SqlCommitStore
from doralens.store.schema import metadata
from tests.builders import sha
from tests.gitdata.conftest import REPOSITORY_ID, REPOSITORY_URL
from tests.gitdata.gitrepo import Repo

GIT_TABLES = {"git_commits", "git_commit_parents", "git_commit_paths", "deployment_lead_times", "deployment_commits"}


def _chain(n: int, *, paths: int = 0) -> list[Commit]:
    """A linear history of ``n`` made-up commits, oldest first."""
    commits = []
    parent: tuple[str, ...] = ()
    for i in range(n):
        files = tuple(f"dir{i % 3}/file{k}.txt" for k in range(paths))
        commits.append(Commit(sha(f"c{i}"), parent, 1_000 + i, 2_000 + i, f"change {i}", files))
        parent = (sha(f"c{i}"),)
    return commits


def test_the_migration_builds_the_tables_schema_py_describes(commit_store: SqlCommitStore) -> None:
    with commit_store.backend.reader.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in differences if any(name in repr(d) for name in GIT_TABLES)]
    assert ours == []


def test_uploads_are_idempotent_and_chunked(commit_store: SqlCommitStore) -> None:
    commits = _chain(1_234, paths=3)

    assert commit_store.add_commits(REPOSITORY_ID, commits) == 1_234
    assert commit_store.add_commits(REPOSITORY_ID, commits[:700]) == 0
    assert commit_store.add_commits(REPOSITORY_ID, [*commits[1_000:], *commits[1_000:]]) == 0
    assert commit_store.count_commits(REPOSITORY_ID) == 1_234
    assert commit_store.count_commits("github.com/acme/other") == 0

    stored = commit_store.commit(REPOSITORY_ID, commits[1_233].sha.upper())
    assert stored == commits[1_233]
    assert commit_store.commit("github.com/acme/other", commits[1].sha) is None
    assert commit_store.commit(REPOSITORY_ID, "f" * 40) is None


def test_a_range_over_a_long_stored_history_reads_only_its_end(commit_store: SqlCommitStore) -> None:
    commits = _chain(3_000)
    commit_store.add_commits(REPOSITORY_ID, commits)

    shipped = commit_store.shipped(REPOSITORY_ID, commits[-1].sha, commits[-4].sha)

    assert shipped.status is RangeStatus.OK
    assert [c.sha for c in shipped.commits] == [c.sha for c in commits[-1:-4:-1]]
    assert shipped.commits[0].paths == ()


def test_a_gap_in_the_uploads_is_reported_as_incomplete(commit_store: SqlCommitStore) -> None:
    commits = _chain(6)
    commit_store.add_commits(REPOSITORY_ID, [c for i, c in enumerate(commits) if i != 2])

    shipped = commit_store.shipped(REPOSITORY_ID, commits[5].sha, commits[0].sha)

    assert shipped.status is RangeStatus.INCOMPLETE
    assert [c.sha for c in shipped.commits] == [commits[5].sha, commits[4].sha, commits[3].sha]
    assert "1 commits between them were never uploaded" in shipped.explanation


def test_unknown_shas_in_the_store(commit_store: SqlCommitStore) -> None:
    commits = _chain(3)
    commit_store.add_commits(REPOSITORY_ID, commits)
    assert commit_store.shipped(REPOSITORY_ID, "e" * 40, commits[0].sha).status is RangeStatus.HEAD_UNKNOWN
    assert commit_store.shipped(REPOSITORY_ID, commits[2].sha, "e" * 40).status is RangeStatus.BASE_UNKNOWN
    assert commit_store.shipped("github.com/acme/other", commits[2].sha, commits[0].sha).status is (
        RangeStatus.HEAD_UNKNOWN
    )


def _tangled(path: Path) -> tuple[Repo, list[str]]:
    """Branches, merges both ways and an abandoned branch, each commit a minute after the last."""
    repo = Repo(path)
    minute = iter(range(60))
    shas: list[str] = []

    def commit(name: str, directory: str) -> str:
        shas.append(repo.commit(name, f"2024-03-01T10:{next(minute):02d}:00Z", files={f"{directory}/{name}": name}))
        return shas[-1]

    def merge(branch: str) -> None:
        repo.merge(branch, f"Merge {branch}", f"2024-03-01T10:{next(minute):02d}:00Z")
        shas.append(repo.head())

    commit("m0", "a")
    repo.git("branch", "f")
    commit("m1", "b")
    repo.git("branch", "g")
    repo.git("branch", "x")
    repo.git("checkout", "-q", "f")
    commit("f1", "a")
    commit("f2", "b")
    repo.git("checkout", "-q", "main")
    merge("f")
    commit("m2", "a")
    repo.git("checkout", "-q", "g")
    commit("g1", "b")
    merge("main")  # main merged into the branch first: a criss-cross
    commit("g2", "a")
    repo.git("checkout", "-q", "main")
    merge("g")
    commit("m3", "b")
    repo.git("checkout", "-q", "x")
    commit("x1", "a")
    commit("x2", "b")
    repo.git("checkout", "-q", "main")
    return repo, shas


def test_ranges_agree_with_git_for_every_pair_of_commits(commit_store: SqlCommitStore, tmp_path: Path) -> None:
    repo, shas = _tangled(tmp_path / "r")
    for tip in ("main", "x"):
        upload = collect_from_checkout(repo.path, tip, None, repository_url=REPOSITORY_URL)
        commit_store.add_commits(upload.repository_id, upload.to_commits())
    local = LocalRepositories({REPOSITORY_ID: repo.path})

    compared = 0
    for head, base, paths in product(shas, shas, [(), ("a",)]):
        expected = local.shipped(REPOSITORY_ID, head, base, paths=paths)
        got = commit_store.shipped(REPOSITORY_ID, head, base, paths=paths)
        assert (got.status, [c.sha for c in got.commits]) == (expected.status, [c.sha for c in expected.commits]), (
            head,
            base,
            paths,
        )
        assert got.commits == expected.commits
        compared += 1
    assert compared == 2 * len(shas) ** 2
    statuses = {local.shipped(REPOSITORY_ID, h, b).status for h, b in product(shas, shas)}
    assert statuses == {RangeStatus.OK, RangeStatus.ORPHANED}


def test_truncated_ranges_agree_with_git(commit_store: SqlCommitStore, tmp_path: Path) -> None:
    repo, shas = _tangled(tmp_path / "r")
    upload = collect_from_checkout(repo.path, "main", None, repository_url=REPOSITORY_URL)
    commit_store.add_commits(upload.repository_id, upload.to_commits())
    local = LocalRepositories({REPOSITORY_ID: repo.path})
    main = repo.head()

    for paths in [(), ("b",)]:
        expected = local.shipped(REPOSITORY_ID, main, shas[0], paths=paths, limit=2)
        got = commit_store.shipped(REPOSITORY_ID, main, shas[0], paths=paths, limit=2)
        assert (got.status, got.truncated, got.commits) == (RangeStatus.TRUNCATED, True, expected.commits)
        assert expected.status is RangeStatus.TRUNCATED


def test_ranges_read_together_get_the_answers_read_one_by_one(commit_store: SqlCommitStore, tmp_path: Path) -> None:
    repo, shas = _tangled(tmp_path / "r")
    upload = collect_from_checkout(repo.path, "main", None, repository_url=REPOSITORY_URL)
    commit_store.add_commits(upload.repository_id, upload.to_commits())  # branch x is left out: unknown shas
    other, chain = "github.com/acme/other", _chain(4)
    commit_store.add_commits(other, chain)
    unknown = "e" * 40
    ranges = [RangeRequest(REPOSITORY_ID, h, b, p) for h, b, p in product(shas, [*shas, None], [(), ("a",)])]
    ranges += [
        RangeRequest(REPOSITORY_ID, shas[-1].upper(), shas[0]),
        RangeRequest(REPOSITORY_ID, unknown, shas[0]),
        RangeRequest(REPOSITORY_ID, shas[3], unknown),
        RangeRequest(REPOSITORY_ID, "not-a-sha", shas[0]),
        RangeRequest(REPOSITORY_ID, shas[3], "abc123"),
        RangeRequest(REPOSITORY_ID, shas[8], shas[0], limit=2),
        RangeRequest(other, chain[3].sha, chain[0].sha),
        RangeRequest(other, shas[3], chain[0].sha),
        RangeRequest("github.com/acme/none", shas[3], shas[0]),
    ]

    one_by_one = [
        commit_store.shipped(r.repository_id, r.head_sha, r.base_sha, paths=r.paths, limit=r.limit) for r in ranges
    ]

    assert commit_store.shipped_many(ranges) == one_by_one
    assert commit_store.shipped_many(ranges[::-1]) == one_by_one[::-1]
    assert commit_store.shipped_many([]) == []
    statuses = {a.status for a in one_by_one}
    assert statuses >= {
        RangeStatus.OK,
        RangeStatus.ORPHANED,
        RangeStatus.TRUNCATED,
        RangeStatus.NO_BASELINE,
        RangeStatus.HEAD_UNKNOWN,
        RangeStatus.BASE_UNKNOWN,
    }
