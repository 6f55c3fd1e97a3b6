"""Running git: parsing NUL-separated logs of any content, redacting credentials, timeouts, a clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from doralens.gitdata.git import (
    GitError,
    git_environment,
    is_ancestor,
    known_commits,
    log_format,
    parse_log,
    redact,
    run_git,
)
from tests.builders import ts
from tests.gitdata.gitrepo import Repo

NS = 10**9


def test_parse_log_reads_odd_subjects_and_file_names(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    root = repo.commit("root", "2024-03-01T09:00:00Z", files={"a.txt": "a"})
    odd_files = {"new\nline.txt": "1", "tab\tand space.txt": "2", "ünï/cødé.txt": "3", "0" * 40: "4"}
    odd = repo.commit("Fix: naïve «quotes» \x1e and $(shell)", "2024-03-01T10:00:00Z", files=odd_files)
    fmt, marker = log_format()

    result = run_git(["log", "-z", "--no-renames", "--name-only", fmt, odd, "--"], repository=repo.path)
    commits = parse_log(result.stdout, marker)

    assert [c.sha for c in commits] == [odd, root]
    assert commits[0].subject == "Fix: naïve «quotes» \x1e and $(shell)"
    assert sorted(commits[0].paths) == sorted(odd_files)
    assert commits[0].parents == (root,)
    assert (commits[0].author_time, commits[0].committer_time) == (ts("2024-03-01T10:00:00Z"),) * 2
    assert (commits[1].paths, commits[1].parents) == (("a.txt",), ())


def test_parse_log_gives_merges_no_paths(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit("root", "2024-03-01T09:00:00Z")
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("side", "2024-03-01T10:00:00Z")
    repo.git("checkout", "-q", "main")
    main = repo.commit("main", "2024-03-01T11:00:00Z")
    merge = repo.merge("side", "Merge side", "2024-03-01T12:00:00Z")
    fmt, marker = log_format()

    result = run_git(["log", "-z", "--name-only", fmt, "-3", merge, "--"], repository=repo.path)
    commits = parse_log(result.stdout, marker)

    assert [(c.sha, c.is_merge, c.paths) for c in commits] == [
        (merge, True, ()),
        (main, False, ("main.txt",)),
        (side, False, ("side.txt",)),
    ]
    assert commits[0].parents == (main, side)


def test_known_commits_and_ancestry(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    first = repo.commit("one", "2024-03-01T09:00:00Z")
    second = repo.commit("two", "2024-03-01T10:00:00Z")
    tree = repo.git("rev-parse", "HEAD^{tree}")

    assert known_commits(repo.path, [first, second, tree, "f" * 40]) == {first, second}
    assert is_ancestor(repo.path, first, second)
    assert not is_ancestor(repo.path, second, first)
    with pytest.raises(GitError, match="merge-base"):
        is_ancestor(repo.path, "f" * 40, second)


def test_credentials_in_urls_are_redacted() -> None:
    message = "fatal: unable to access 'https://deploy:ghp_s3cret@github.com/acme/shop.git/': 403"
    assert redact(message) == "fatal: unable to access 'https://***@github.com/acme/shop.git/': 403"
    scp_like = "git@github.com:acme/shop.git"
    assert redact(f"ssh://git@host/x and {scp_like}") == f"ssh://***@host/x and {scp_like}"


def test_the_environment_never_prompts_and_ignores_inherited_repository_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("GIT_INDEX_FILE", "/elsewhere/index")
    env = git_environment({"EXTRA": "1"})
    assert "GIT_DIR" not in env
    assert "GIT_INDEX_FILE" not in env
    assert (env["GIT_TERMINAL_PROMPT"], env["GIT_LITERAL_PATHSPECS"], env["EXTRA"]) == ("0", "1", "1")


@pytest.mark.timeout(60)
def test_a_hanging_git_is_killed_with_its_children_at_the_timeout() -> None:
    # The ssh "transport" is a shell that sleeps past the test's own timeout: git and the shell must both go,
    # or the shell would hold the output pipe open and the call would hang.
    hang = {"GIT_SSH_COMMAND": "sleep 120; true"}
    with pytest.raises(GitError, match=r"timed out after 0\.5 s"):
        run_git(["ls-remote", "ssh://example.invalid/repo.git"], timeout=0.5, env=hang)


def test_git_not_in_a_repository_reports_failure(tmp_path: Path) -> None:
    result = run_git(["log", "-1"], repository=tmp_path)
    assert result.returncode != 0
    assert "not a git repository" in result.stderr
