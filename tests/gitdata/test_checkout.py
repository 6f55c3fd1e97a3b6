"""Which commit a CI job deploys, found in real git repositories made with the ``git`` command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from doralens.gitdata.checkout import detect_git, from_ci_environment, read_checkout, run_git

REMOTE = "https://user:tok@github.com/acme/shop.git"
CLEAN = "https://github.com/acme/shop.git"
OTHER_SHA = "102836a25f5477e571c73d489b3f0f183687068e"


def _git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str]:
    """A repository with one commit and an origin remote that carries credentials; returns it and HEAD."""
    repo = tmp_path / "shop"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "README").write_text("shop\n")
    _git(repo, "add", "README")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "remote", "add", "origin", REMOTE)
    return repo, _git(repo, "rev-parse", "HEAD")


def test_reads_head_and_origin_without_credentials(checkout: tuple[Path, str]) -> None:
    repo, head = checkout
    found = read_checkout(repo)
    assert (found.commit_sha, found.repository_url) == (head, CLEAN)
    assert found.sha_source == found.url_source == "the checkout"
    assert found.notes == ()


def test_reads_the_current_directory_by_default(checkout: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo, head = checkout
    monkeypatch.chdir(repo / ".git")  # inside the .git directory counts as the checkout too
    assert read_checkout().commit_sha == head


def test_outside_a_checkout_says_why(tmp_path: Path) -> None:
    found = read_checkout(tmp_path)
    assert found.commit_sha is None
    assert found.repository_url is None
    assert any("not a git repository" in note for note in found.notes)


def test_a_repository_without_origin_gives_the_commit_only(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "x")
    found = read_checkout(tmp_path)
    assert found.commit_sha is not None
    assert found.repository_url is None
    assert any("origin" in note for note in found.notes)


def test_git_missing_is_a_note_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run_git(["rev-parse", "HEAD"], tmp_path) == (None, "git is not installed")


def test_flags_win_and_their_credentials_are_stripped(checkout: tuple[Path, str]) -> None:
    repo, _ = checkout
    found = detect_git(
        commit_sha=OTHER_SHA,
        repository_url="https://x:secret@gitlab.com/acme/other.git",
        directory=repo,
        environ={"DD_GIT_COMMIT_SHA": "f" * 40},
    )
    assert (found.commit_sha, found.repository_url) == (OTHER_SHA, "https://gitlab.com/acme/other.git")
    assert (found.sha_source, found.url_source) == ("--git-commit-sha", "--git-repository-url")


def test_dd_git_variables_override_the_checkout(checkout: tuple[Path, str]) -> None:
    repo, head = checkout
    found = detect_git(
        directory=repo, environ={"DD_GIT_COMMIT_SHA": OTHER_SHA, "GITHUB_SHA": "e" * 40, "GITHUB_SERVER_URL": "x"}
    )
    assert (found.commit_sha, found.sha_source) == (OTHER_SHA, "DD_GIT_COMMIT_SHA")
    assert (found.repository_url, found.url_source) == (CLEAN, "the checkout")
    assert found.commit_sha != head


def test_flags_and_overrides_complete_means_git_is_not_run(tmp_path: Path) -> None:
    found = detect_git(
        commit_sha=OTHER_SHA, directory=tmp_path, environ={"DD_GIT_REPOSITORY_URL": "git@github.com:acme/shop.git"}
    )
    assert found.complete
    assert found.repository_url == "git@github.com:acme/shop.git"
    assert found.notes == ()  # tmp_path is no repository: a note would mean git ran


def test_checkout_wins_over_ci_variables(checkout: tuple[Path, str]) -> None:
    repo, head = checkout
    environ = {"GITHUB_SHA": OTHER_SHA, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/x"}
    found = detect_git(directory=repo, environ=environ)
    assert (found.commit_sha, found.repository_url) == (head, CLEAN)


def test_github_variables_outside_a_checkout(tmp_path: Path) -> None:
    environ = {"GITHUB_SHA": OTHER_SHA, "GITHUB_SERVER_URL": "https://github.com/", "GITHUB_REPOSITORY": "acme/shop"}
    found = detect_git(directory=tmp_path, environ=environ)
    assert (found.commit_sha, found.repository_url) == (OTHER_SHA, CLEAN)
    assert (found.sha_source, found.url_source) == ("GITHUB_SHA", "GITHUB_SERVER_URL/GITHUB_REPOSITORY")
    assert found.notes  # why the checkout did not help is kept for the warning


def test_gitlab_variables_never_use_the_token_url() -> None:
    found = from_ci_environment(
        {
            "CI_COMMIT_SHA": OTHER_SHA.upper(),
            "CI_PROJECT_URL": "https://gitlab.example.com/acme/shop",
            "CI_REPOSITORY_URL": "https://gitlab-ci-token:glcbt-secret@gitlab.example.com/acme/shop.git",
        }
    )
    assert found.commit_sha == OTHER_SHA
    assert found.repository_url == "https://gitlab.example.com/acme/shop.git"
    assert found.url_source == "CI_PROJECT_URL"


def test_nothing_found_is_incomplete(tmp_path: Path) -> None:
    found = detect_git(directory=tmp_path, environ={})
    assert not found.complete
    assert (found.commit_sha, found.repository_url, found.sha_source, found.url_source) == (None, None, None, None)


def test_blank_values_count_as_absent(tmp_path: Path) -> None:
    found = detect_git(commit_sha="  ", repository_url="", directory=tmp_path, environ={"DD_GIT_COMMIT_SHA": " "})
    assert not found.complete
