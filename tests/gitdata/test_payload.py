"""The upload format (validation, times, JSON round trip) and ``collect_from_checkout`` over real checkouts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from doralens.gitdata.git import GitError
from doralens.gitdata.payload import CommitUpload, collect_from_checkout
from tests.builders import sha, ts
from tests.gitdata.gitrepo import Repo, run

URL = "https://github.com/acme/shop.git"


def _body(**commit: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "sha": sha("a"),
        "parents": [sha("p")],
        "author_time": "2024-03-01T09:00:00Z",
        "committer_time": 1709285400,
        "subject": "Fix the cart total",
        "paths": ["services/cart/total.py"],
    }
    entry.update(commit)
    return {"repository_url": "https://ci:token@github.com/acme/shop.git", "commits": [entry]}


def test_an_upload_reads_rfc3339_and_unix_seconds_and_drops_credentials() -> None:
    upload = CommitUpload.model_validate(_body(sha=sha("a").upper()))

    [commit] = upload.to_commits()
    assert upload.repository_id == "github.com/acme/shop"
    assert commit.sha == sha("a")
    assert commit.author_time == ts("2024-03-01T09:00:00Z")
    assert commit.committer_time == ts("2024-03-01T09:30:00Z")
    assert commit.paths == ("services/cart/total.py",)


def test_an_upload_survives_a_json_round_trip_to_the_nanosecond() -> None:
    upload = CommitUpload.model_validate(_body(author_time="2024-03-01T09:00:00.123456789Z"))
    again = CommitUpload.model_validate(json.loads(upload.model_dump_json()))
    assert again.to_commits() == upload.to_commits()
    assert json.loads(upload.model_dump_json())["commits"][0]["committer_time"] == "2024-03-01T09:30:00Z"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sha": "abc"}, "sha"),
        ({"parents": ["main"]}, "parents"),
        ({"author_time": True}, "author_time"),
        ({"author_time": 1.5}, "author_time"),
        ({"author_time": "yesterday"}, "author_time"),
        ({"committer_time": 10**12}, "committer_time"),
        ({"paths": ["x" * 1025]}, "paths"),
        ({"subject": 12}, "subject"),
    ],
)
def test_bad_commits_are_rejected_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CommitUpload.model_validate(_body(**change))
    assert {error["loc"][:3] for error in caught.value.errors()} == {("commits", 0, field)}


def test_batches_split_an_upload_for_request_size_limits() -> None:
    body = _body()
    body["commits"] = [dict(body["commits"][0], sha=sha(str(i))) for i in range(5)]
    batches = CommitUpload.model_validate(body).batches(2)
    assert [len(b.commits) for b in batches] == [2, 2, 1]
    assert {b.repository_url for b in batches} == {"https://ci:token@github.com/acme/shop.git"}


def _history(path: Path) -> tuple[Repo, list[str]]:
    repo = Repo(path)
    shas = [repo.commit("root", "2024-03-01T09:00:00Z", files={"a/x.txt": "0", "b/y.txt": "0"})]
    repo.git("checkout", "-q", "-b", "side")
    shas.append(repo.commit("side", "2024-03-01T10:00:00Z", files={"b/y.txt": "1"}))
    repo.git("checkout", "-q", "main")
    repo.git("mv", "a/x.txt", "a/z.txt")
    shas.append(repo.commit("rename", "2024-03-01T11:00:00Z", files={}))
    shas.append(repo.merge("side", "Merge side", "2024-03-01T12:00:00Z"))
    shas.append(repo.commit("top", "2024-03-01T13:00:00Z", "2024-03-01T14:00:00Z"))
    repo.git("remote", "add", "origin", URL)
    return repo, shas


def test_collect_uploads_the_range_its_merges_and_the_base(tmp_path: Path) -> None:
    repo, (root, side, rename, merge, top) = _history(tmp_path / "r")

    upload = collect_from_checkout(repo.path, "main", root)

    by_sha = {c.sha: c for c in upload.to_commits()}
    assert upload.repository_id == "github.com/acme/shop"
    assert set(by_sha) == {top, merge, rename, side, root}
    assert by_sha[merge].parents == (rename, side)
    assert by_sha[merge].paths == ()
    assert sorted(by_sha[rename].paths) == ["a/x.txt", "a/z.txt"]  # both sides of a rename
    assert (by_sha[top].author_time, by_sha[top].committer_time) == (
        ts("2024-03-01T13:00:00Z"),
        ts("2024-03-01T14:00:00Z"),
    )
    assert sorted(by_sha[root].paths) == ["a/x.txt", "b/y.txt"]


def test_collect_takes_one_commit_more_than_the_limit(tmp_path: Path) -> None:
    repo, (_, _, rename, merge, top) = _history(tmp_path / "r")
    upload = collect_from_checkout(repo.path, top, None, limit=1)
    assert [c.sha for c in upload.commits] == [top, merge, rename]


def test_collect_without_the_base_in_the_checkout_takes_the_head_history(tmp_path: Path) -> None:
    repo, shas = _history(tmp_path / "r")
    upload = collect_from_checkout(repo.path, shas[-1], "e" * 40, repository_url="git@github.com:acme/shop.git")
    assert {c.sha for c in upload.commits} == set(shas)
    assert upload.repository_id == "github.com/acme/shop"


def test_collect_leaves_out_the_edge_of_a_shallow_clone(tmp_path: Path) -> None:
    repo, shas = _history(tmp_path / "r")
    run(["clone", "-q", "--depth", "3", repo.path.as_uri(), str(tmp_path / "ci")], tmp_path)

    upload = collect_from_checkout(tmp_path / "ci", shas[-1], None)

    # Depth 3 holds top, the merge, and both its parents; those are the shallow edge: their parents are unknown,
    # and git would show them as root commits. Uploaded as roots, they would end every walk there.
    assert [c.sha for c in upload.commits] == [shas[-1], shas[-2]]


def test_collect_refuses_an_unknown_head_or_an_option_in_disguise(tmp_path: Path) -> None:
    repo, _ = _history(tmp_path / "r")
    with pytest.raises(GitError, match="is not a commit"):
        collect_from_checkout(repo.path, "f" * 40, None)
    with pytest.raises(GitError, match="is not a commit"):
        collect_from_checkout(repo.path, "--output=/tmp/x", None)
    with pytest.raises(ValueError, match="limit must be between 1 and 12498"):
        collect_from_checkout(repo.path, "main", None, limit=20_000)
    repo.git("remote", "remove", "origin")
    with pytest.raises(GitError, match="no remote named origin"):
        collect_from_checkout(repo.path, "main", None)
