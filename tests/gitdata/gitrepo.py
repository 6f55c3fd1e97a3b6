"""Real git repositories for tests, built with the ``git`` command, every author and committer time given."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from doralens.domain.timestamps import NS_PER_SECOND
from tests.builders import ts

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git_date(rfc3339: str) -> str:
    """A date git reads exactly: Unix seconds and a zero offset."""
    return f"{ts(rfc3339) // NS_PER_SECOND} +0000"


def run(args: list[str], cwd: Path, env: Mapping[str, str] | None = None, stdin: bytes | None = None) -> str:
    """Run git in ``cwd`` with a clean identity and no user or system config."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    full_env.update(IDENTITY)
    full_env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    full_env.update(env or {})
    done = subprocess.run(["git", *args], cwd=cwd, env=full_env, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.decode()}")
    return done.stdout.decode().strip()


class Repo:
    """A working repository on branch ``main``."""

    def __init__(self, path: Path, *, bare: bool = False) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        run(["init", "-q", "-b", "main", *(["--bare"] if bare else []), str(path)], path)

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run a git command here."""
        return run(list(args), self.path, env)

    def commit(
        self,
        subject: str,
        author: str,
        committer: str | None = None,
        *,
        files: Mapping[str, str] | None = None,
    ) -> str:
        """Commit ``files`` (default: one file named after the subject) at the given times; return the sha."""
        default = {f"{subject.replace(' ', '_')}.txt": subject}
        for name, content in (default if files is None else files).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", subject, env=self.dates(author, committer))
        return self.head()

    def merge(self, branch: str, subject: str, when: str) -> str:
        """Merge ``branch`` into the current branch with a merge commit."""
        self.git("merge", "-q", "--no-ff", "-m", subject, branch, env=self.dates(when))
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        """The sha a ref points at."""
        return self.git("rev-parse", ref)

    @staticmethod
    def dates(author: str, committer: str | None = None) -> dict[str, str]:
        """Environment setting author and committer dates (the committer's defaults to the author's)."""
        return {"GIT_AUTHOR_DATE": git_date(author), "GIT_COMMITTER_DATE": git_date(committer or author)}


def fast_import(path: Path, count: int, *, start_s: int, step_s: int = 60) -> list[str]:
    """A new repository with a linear history of ``count`` commits, the i-th authored ``start_s + i*step_s``.

    Returns the shas, oldest first. ``git fast-import`` writes thousands of commits per second.
    """
    Repo(path)
    lines = []
    for i in range(count):
        when = start_s + i * step_s
        message = f"change {i}".encode()
        lines.append(b"commit refs/heads/main\n")
        lines.append(f"mark :{i + 1}\n".encode())
        lines.append(f"author Ada Tester <ada@example.com> {when} +0000\n".encode())
        lines.append(f"committer Ada Tester <ada@example.com> {when} +0000\n".encode())
        lines.append(f"data {len(message)}\n".encode() + message + b"\n")
        if i:
            lines.append(f"from :{i}\n".encode())
        content = f"{i}\n".encode()
        lines.append(f"M 644 inline file{i % 10}.txt\ndata {len(content)}\n".encode() + content + b"\n")
    run(["fast-import", "--quiet", "--export-marks=marks"], path, stdin=b"".join(lines))
    marks = dict(line.split() for line in (path / "marks").read_text().splitlines())
    (path / "marks").unlink()
    run(["reset", "-q", "--hard", "main"], path)
    return [marks[f":{i + 1}"] for i in range(count)]
