"""``LocalRepositories``: ranges read with git from configured paths, and what happens when they cannot be read."""

from __future__ import annotations

from pathlib import Path

from doralens.gitdata.commits import RangeStatus
from doralens.gitdata.local import LocalRepositories
from tests.builders import HOUR, ts
from tests.gitdata.gitrepo import Repo

REPO = "github.com/acme/shop"


def _linear(tmp_path: Path) -> tuple[Repo, list[str]]:
    repo = Repo(tmp_path / "r")
    shas = [repo.commit(f"c{i}", f"2024-03-01T0{i}:00:00Z") for i in range(1, 5)]
    return repo, shas


def test_a_range_lists_commits_newest_first_with_times_and_no_paths(tmp_path: Path) -> None:
    repo, (c1, c2, c3, c4) = _linear(tmp_path)

    shipped = LocalRepositories({REPO: repo.path}).shipped(REPO, c4, c1)

    assert shipped.status is RangeStatus.OK
    assert [c.sha for c in shipped.commits] == [c4, c3, c2]
    assert shipped.commits[-1].author_time == ts("2024-03-01T02:00:00Z")
    assert shipped.commits[-1].parents == (c1,)
    assert all(c.paths == () for c in shipped.commits)
    assert shipped.explanation == f"3 commits shipped since {c1[:12]}"


def test_redeploying_the_same_sha_ships_nothing(tmp_path: Path) -> None:
    repo, (_, _, _, c4) = _linear(tmp_path)
    shipped = LocalRepositories({REPO: repo.path}).shipped(REPO, c4, c4.upper())
    assert (shipped.status, shipped.commits) == (RangeStatus.OK, ())


def test_an_unconfigured_repository_or_a_bad_sha_is_reported(tmp_path: Path) -> None:
    repo, (c1, _, _, c4) = _linear(tmp_path)
    source = LocalRepositories({REPO: repo.path})

    elsewhere = source.shipped("github.com/acme/other", c4, c1)
    assert (elsewhere.status, elsewhere.explanation) == (
        RangeStatus.HEAD_UNKNOWN,
        "no repository is configured for github.com/acme/other",
    )
    assert source.shipped(REPO, "HEAD", c1).status is RangeStatus.HEAD_UNKNOWN
    assert source.shipped(REPO, c4, "-n1").status is RangeStatus.BASE_UNKNOWN
    assert source.shipped(REPO, "0" * 40, c1).status is RangeStatus.HEAD_UNKNOWN
    assert source.shipped(REPO, c4, "0" * 40).status is RangeStatus.BASE_UNKNOWN
    assert source.commit(REPO, "0" * 40) is None
    assert source.commit("github.com/acme/other", c4) is None


def test_a_sha_naming_a_tree_is_not_a_commit(tmp_path: Path) -> None:
    repo, (c1, _, _, c4) = _linear(tmp_path)
    tree = repo.git("rev-parse", "HEAD^{tree}")
    assert LocalRepositories({REPO: repo.path}).shipped(REPO, tree, c1).status is RangeStatus.HEAD_UNKNOWN
    assert LocalRepositories({REPO: repo.path}).shipped(REPO, c4, tree).status is RangeStatus.BASE_UNKNOWN


def test_a_broken_repository_makes_the_source_unavailable_not_raise(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    source = LocalRepositories({REPO: tmp_path / "empty"})
    shipped = source.shipped(REPO, "a" * 40, "b" * 40)
    assert shipped.status is RangeStatus.UNAVAILABLE
    assert "not a git repository" in shipped.explanation
    assert source.commit(REPO, "a" * 40) is None


def test_commit_reads_the_changed_paths_of_the_root_and_of_renames(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    root = repo.commit("root", "2024-03-01T09:00:00Z", files={"a/one.txt": "1", "b.txt": "2"})
    repo.git("mv", "a/one.txt", "a/two.txt")
    moved = repo.commit("move", "2024-03-01T10:00:00Z", files={})
    source = LocalRepositories({REPO: repo.path})

    root_commit, moved_commit = source.commit(REPO, root), source.commit(REPO, moved)

    assert root_commit is not None
    assert moved_commit is not None
    assert sorted(root_commit.paths) == ["a/one.txt", "b.txt"]
    # Both sides of a rename: a service filtered on the old directory sees the file leave it.
    assert sorted(moved_commit.paths) == ["a/one.txt", "a/two.txt"]


def test_path_filters_after_a_force_push_still_skip_rebased_copies(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    c1 = repo.commit("base", "2024-03-01T09:00:00Z", files={"api/x": "0", "web/y": "0"})
    a = repo.commit("api", "2024-03-01T10:00:00Z", files={"api/x": "1"})
    shipped_sha = repo.commit("web", "2024-03-01T11:00:00Z", files={"web/y": "1"})
    repo.git("reset", "-q", "--hard", c1)
    repo.git("cherry-pick", a, env=repo.dates("2024-03-01T12:00:00Z"))
    new = repo.commit("api again", "2024-03-01T13:00:00Z", files={"api/x": "2"})

    shipped = LocalRepositories({REPO: repo.path}).shipped(REPO, new, shipped_sha, paths=("api",))

    assert shipped.status is RangeStatus.ORPHANED
    assert [c.sha for c in shipped.commits] == [new]
    assert shipped.rewritten_skipped == 1
    assert shipped.commits[0].author_time - ts("2024-03-01T09:00:00Z") == 4 * HOUR
