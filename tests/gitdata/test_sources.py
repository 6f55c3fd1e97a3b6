"""``ChainedSource``: uploaded commits first, then the repositories on disk, for one range or many at once."""

from __future__ import annotations

from itertools import product
from pathlib import Path

from doralens.gitdata.commits import RangeRequest, RangeStatus
from doralens.gitdata.local import LocalRepositories
from doralens.gitdata.payload import collect_from_checkout
from doralens.gitdata.sources import ChainedSource
from doralens.gitdata.uploaded import SqlCommitStore
from tests.gitdata.conftest import REPOSITORY_ID, REPOSITORY_URL
from tests.gitdata.gitrepo import Repo


def _two_branches(path: Path) -> tuple[Repo, list[str], list[str]]:
    """Three commits on main, then two on a branch ``x`` that only the repository has."""
    repo = Repo(path)
    main = [repo.commit(f"m{i}", f"2024-03-01T10:0{i}:00Z") for i in range(3)]
    repo.git("checkout", "-q", "-b", "x")
    branch = [repo.commit(f"x{i}", f"2024-03-01T11:0{i}:00Z") for i in range(2)]
    repo.git("checkout", "-q", "main")
    return repo, main, branch


def test_each_source_is_asked_about_what_the_ones_before_it_left_open(
    commit_store: SqlCommitStore, tmp_path: Path
) -> None:
    repo, main, branch = _two_branches(tmp_path / "r")
    upload = collect_from_checkout(repo.path, "main", None, repository_url=REPOSITORY_URL)
    commit_store.add_commits(upload.repository_id, upload.to_commits())
    chain = ChainedSource(
        [("uploaded commits", commit_store), ("repositories", LocalRepositories({REPOSITORY_ID: repo.path}))]
    )
    unknown = "e" * 40
    ranges = [RangeRequest(REPOSITORY_ID, h, b) for h, b in product([*main, *branch], [*main, None])]
    ranges.append(RangeRequest(REPOSITORY_ID, unknown, main[0]))

    together = chain.shipped_many(ranges)

    assert together == [chain.shipped(r.repository_id, r.head_sha, r.base_sha) for r in ranges]
    by_range = dict(zip(((r.head_sha, r.base_sha) for r in ranges), together, strict=True))
    # Uploaded main answers for itself; the branch only the repository knows is measured from it.
    assert [c.sha for c in by_range[main[2], main[0]].commits] == [main[2], main[1]]
    assert by_range[branch[1], main[2]].status is RangeStatus.OK
    assert [c.sha for c in by_range[branch[1], main[2]].commits] == [branch[1], branch[0]]
    assert by_range[main[1], None].status is RangeStatus.NO_BASELINE
    # Known to neither: the answer says what each source said.
    missing = by_range[unknown, main[0]]
    assert missing.status is RangeStatus.HEAD_UNKNOWN
    assert missing.explanation.startswith("uploaded commits: ")
    assert "; repositories: " in missing.explanation
