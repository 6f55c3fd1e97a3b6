"""Running the ``git`` command: argument lists only (never a shell), no prompts, a timeout on every call.

Output is read with NUL separators and a random per-call record marker, so no subject or file name, whatever
bytes it holds, can be mistaken for the start of the next commit.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from doralens.domain.timestamps import NS_PER_SECOND
from doralens.errors import DoralensError
from doralens.gitdata.commits import Commit

DEFAULT_TIMEOUT_S = 60.0
_FIELDS = "%H%x00%P%x00%at%x00%ct%x00%s"
_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")
# Variables that would point git at another repository, index or config than the one we name.
_INHERITED_GIT_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
)


class GitError(DoralensError):
    """A git command failed or timed out; the message never carries credentials."""


@dataclass(frozen=True, slots=True)
class GitResult:
    """What a finished git command returned."""

    returncode: int
    stdout: bytes
    stderr: str


def redact(text: str) -> str:
    """Hide user names and passwords embedded in URLs (``https://user:token@host`` → ``https://***@host``)."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", text)


def git_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git: no prompts, literal pathspecs, C locale, nothing redirecting the repository."""
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_GIT_VARIABLES}
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_LITERAL_PATHSPECS": "1",
            "LC_ALL": "C",
            # An ssh remote that asks for a passphrase or a host key confirmation fails instead of hanging.
            "GIT_SSH_COMMAND": env.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
        }
    )
    env.update(extra or {})
    return env


def run_git(
    args: Sequence[str],
    *,
    repository: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> GitResult:
    """Run ``git [-C repository] args`` and return its result; raise ``GitError`` when it cannot run or times out."""
    command = ["git"] + (["-C", str(repository)] if repository is not None else []) + list(args)
    try:
        # A session of its own: on timeout the whole group goes (ssh, credential helpers), not git alone,
        # so no grandchild keeps the pipes open.
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_environment(env),
            start_new_session=True,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from None
    # A watchdog thread, not ``communicate(timeout=...)``: with a timeout, Python polls for the child's exit with
    # sleeps, which adds about a millisecond to every call: as much as git itself needs for a short range.
    expired = threading.Event()
    watchdog = threading.Timer(timeout, _kill_group, args=(process, expired))
    watchdog.start()
    try:
        with process:
            out, err = process.communicate(stdin)
    finally:
        watchdog.cancel()
    if expired.is_set():
        raise GitError(f"git {redact(args[0])} timed out after {timeout:g} s")
    return GitResult(process.returncode, out, redact(err.decode("utf-8", "replace").strip()))


def _kill_group(process: subprocess.Popen[bytes], expired: threading.Event) -> None:
    if process.returncode is None:
        expired.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def checked(result: GitResult, what: str) -> bytes:
    """The output of a successful command; raise ``GitError`` naming ``what`` otherwise."""
    if result.returncode != 0:
        raise GitError(f"{what} failed: {result.stderr or f'exit status {result.returncode}'}")
    return result.stdout


def log_format() -> tuple[str, str]:
    """A ``--format`` argument with a fresh record marker, and the marker."""
    marker = "\x1e" + secrets.token_hex(8)
    return f"--format={marker}%x00{_FIELDS}", marker


def parse_log(output: bytes, marker: str) -> list[Commit]:
    """Commits from ``git log -z`` output made with ``log_format()``, paths included when ``--name-only`` was on."""
    tokens = output.decode("utf-8", "replace").split("\0")
    commits: list[Commit] = []
    index = 0
    while index < len(tokens):
        if tokens[index].lstrip("\n") != marker or index + 5 >= len(tokens):
            index += 1
            continue
        sha, parents, author, committer, subject = tokens[index + 1 : index + 6]
        index += 6
        paths: list[str] = []
        while index < len(tokens) and tokens[index].lstrip("\n") != marker:
            # ``--name-only -z`` starts the file list with a newline after the header.
            name = tokens[index][1:] if not paths and tokens[index].startswith("\n") else tokens[index]
            if name:
                paths.append(name)
            index += 1
        commits.append(
            Commit(
                sha=sha,
                parents=tuple(parents.split()),
                author_time=int(author) * NS_PER_SECOND,
                committer_time=int(committer) * NS_PER_SECOND,
                subject=subject,
                paths=tuple(paths),
            )
        )
    return commits


def known_commits(repository: Path, shas: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT_S) -> set[str]:
    """Which of ``shas`` name commits in the repository (one ``git cat-file --batch-check`` call)."""
    result = run_git(
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        repository=repository,
        timeout=timeout,
        stdin="".join(f"{sha}\n" for sha in shas).encode(),
    )
    found = set()
    for line in checked(result, "git cat-file").decode("utf-8", "replace").splitlines():
        name, _, kind = line.partition(" ")
        if kind == "commit":
            found.add(name)
    return found


def is_ancestor(repository: Path, ancestor: str, descendant: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> bool:
    """True when ``ancestor`` is reachable from ``descendant`` (both must be known commits)."""
    result = run_git(["merge-base", "--is-ancestor", ancestor, descendant], repository=repository, timeout=timeout)
    if result.returncode not in (0, 1):
        raise GitError(f"git merge-base failed: {result.stderr}")
    return result.returncode == 0
