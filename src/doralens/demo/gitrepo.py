"""Write a planned history as a real git repository, with ``git fast-import``: one process for every commit.

Author and committer times, identities and messages come from the plan, so the same plan always gives the same
shas. Writing again over a repository made from another plan moves ``main`` to the new history.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from doralens.demo.history import PlannedCommit
from doralens.gitdata.git import checked, run_git


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def fast_import_stream(commits: Sequence[PlannedCommit]) -> bytes:
    """The ``git fast-import`` input that makes these commits on ``refs/heads/main`` (marks as in the plan)."""
    parts = [b"reset refs/heads/main\n"]
    for commit in commits:
        parts.append(b"commit refs/heads/main\nmark :%d\n" % commit.mark)
        parts.append(f"author {commit.author.ident} {commit.author_time} +0000\n".encode())
        parts.append(f"committer {commit.author.ident} {commit.committer_time} +0000\n".encode())
        parts.append(_data(commit.subject + "\n"))
        if commit.parents:
            parts.append(b"from :%d\n" % commit.parents[0])
        parts.extend(b"merge :%d\n" % parent for parent in commit.parents[1:])
        for path, content in commit.files:
            parts.append(f"M 100644 inline {path}\n".encode())
            parts.append(_data(content))
        parts.append(b"\n")
    return b"".join(parts)


def write_repository(path: Path, commits: Sequence[PlannedCommit]) -> dict[int, str]:
    """Make (or rewrite) the repository at ``path`` with the planned commits checked out; return sha by mark."""
    path.mkdir(parents=True, exist_ok=True)
    checked(run_git(["init", "--quiet", "--initial-branch=main", str(path)]), "git init")
    marks = path / ".git" / "doralens-demo-marks"
    imported = run_git(
        ["fast-import", "--quiet", "--force", f"--export-marks={marks}"],
        repository=path,
        stdin=fast_import_stream(commits),
    )
    checked(imported, "git fast-import")
    checked(run_git(["symbolic-ref", "HEAD", "refs/heads/main"], repository=path), "git symbolic-ref")
    checked(run_git(["reset", "--quiet", "--hard", "refs/heads/main"], repository=path), "git reset")
    shas: dict[int, str] = {}
    for line in marks.read_text().splitlines():
        mark, sha = line.split()
        shas[int(mark.lstrip(":"))] = sha
    return shas
