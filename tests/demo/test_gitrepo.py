"""The planned history written by git: the commits, times, merges and subjects the plan says."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from doralens.demo.gitrepo import write_repository
from doralens.demo.history import RepoPlan
from doralens.demo.profiles import DAY_S, TEAMS

START_S = 1_767_225_600


def _plan() -> RepoPlan:
    storefront = next(t for t in TEAMS if t.name == "storefront")
    repo = RepoPlan("web", storefront, random.Random(1), START_S)
    repo.changes_before(START_S + 2 * DAY_S, START_S)
    repo.trunk_commit(START_S + 3 * DAY_S, 'Revert "Add wishlist"')
    return repo


def _git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, check=True, text=True).stdout


def test_commits_as_planned(tmp_path: Path) -> None:
    plan = _plan()
    shas = write_repository(tmp_path / "web", plan.commits)
    assert sorted(shas) == [c.mark for c in plan.commits]
    log = _git(tmp_path / "web", "log", "--format=%H %P|%at|%ct|%an|%s", "main").splitlines()
    assert len(log) == len(plan.commits)
    by_sha = {line.split(" ", 1)[0]: line for line in log}
    for commit in plan.commits:
        parents = " ".join(shas[p] for p in commit.parents)
        expected = f"{shas[commit.mark]} {parents}|{commit.author_time}|{commit.committer_time}|"
        assert by_sha[shas[commit.mark]].startswith(expected)
        assert by_sha[shas[commit.mark]].endswith(f"|{commit.author.name}|{commit.subject}")
    assert _git(tmp_path / "web", "log", "-1", "--format=%s").strip() == 'Revert "Add wishlist"'
    assert _git(tmp_path / "web", "status", "--porcelain") == ""  # checked out


def test_same_plan_same_shas_and_rewrite(tmp_path: Path) -> None:
    first = write_repository(tmp_path / "a", _plan().commits)
    assert write_repository(tmp_path / "b", _plan().commits) == first
    other = RepoPlan("web", TEAMS[1], random.Random(2), START_S)
    rewritten = write_repository(tmp_path / "a", other.commits)
    assert _git(tmp_path / "a", "rev-parse", "main").strip() == rewritten[max(rewritten)]
