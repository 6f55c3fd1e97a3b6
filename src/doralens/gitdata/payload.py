"""The commit upload format, and how the CLI builds it from the CI checkout with git.

The body the CLI sends (JSON)::

    {
      "repository_url": "https://github.com/acme/shop.git",
      "commits": [
        {
          "sha": "<40 or 64 hex>",
          "parents": ["<sha>", ...],            // all of them, in order; merges are uploaded too
          "author_time": "2024-03-01T09:12:44Z", // RFC 3339, or an integer of Unix seconds
          "committer_time": 1709284364,
          "subject": "Fix the cart total",       // the first line of the message
          "paths": ["services/cart/total.py"]   // files changed against the only parent; [] for merges
        }
      ]
    }

Credentials in ``repository_url`` are dropped; the URL is normalised to the ``repository_id`` deployments carry.
Sending the same commits again changes nothing. Commits may arrive in any order and in several requests
(``batches``): parents named before they are uploaded are simply not walked until they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, StringConstraints
from pydantic_core import PydanticCustomError

from doralens.domain.events import make_git_info, repository_url_problem
from doralens.domain.timestamps import NS_PER_SECOND, TimestampError, format_rfc3339, parse_rfc3339
from doralens.gitdata.commits import DEFAULT_LIMIT, WALK_FACTOR, Commit
from doralens.gitdata.git import GitError, checked, log_format, parse_log, run_git

MAX_COMMITS_PER_UPLOAD = 50_000
MAX_PATHS_PER_COMMIT = 10_000
MAX_PATH_LENGTH = 1024  # an indexed column: PostgreSQL's btree refuses much longer keys
MAX_SUBJECT_LENGTH = 2000
_LATEST_SECONDS = 7_258_118_400  # 2200-01-01, as for event timestamps
# The most commits one collection may ask for: what it gathers (merges included) must fit in one upload.
MAX_COLLECT_LIMIT = (MAX_COMMITS_PER_UPLOAD - 1) // WALK_FACTOR - 1


def _repository_url(value: str) -> str:
    problem = repository_url_problem(value)
    if problem is not None:
        raise PydanticCustomError("repository_url", problem)
    return value


def _commit_time(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < _LATEST_SECONDS:
            raise PydanticCustomError("commit_time", "must be Unix seconds between 1970 and 2200")
        return value * NS_PER_SECOND
    if isinstance(value, str):
        try:
            return parse_rfc3339(value)
        except TimestampError as exc:
            raise PydanticCustomError("commit_time", str(exc)) from None
    raise PydanticCustomError("commit_time", "must be an RFC 3339 string or an integer of Unix seconds")


CommitTime = Annotated[int, PlainValidator(_commit_time), PlainSerializer(format_rfc3339, return_type=str)]
Sha = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
]
RepoPath = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PATH_LENGTH)]


class CommitIn(BaseModel):
    """One commit of an upload."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    sha: Sha
    parents: Annotated[list[Sha], Field(max_length=100)] = []
    author_time: CommitTime
    committer_time: CommitTime
    subject: Annotated[str, StringConstraints(max_length=MAX_SUBJECT_LENGTH)] = ""
    paths: Annotated[list[RepoPath], Field(max_length=MAX_PATHS_PER_COMMIT)] = []

    def to_commit(self) -> Commit:
        """The domain commit."""
        return Commit(
            self.sha, tuple(self.parents), self.author_time, self.committer_time, self.subject, tuple(self.paths)
        )


class CommitUpload(BaseModel):
    """A batch of commit metadata for one repository, as the CLI uploads it."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    repository_url: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_repository_url)
    ]
    commits: Annotated[list[CommitIn], Field(max_length=MAX_COMMITS_PER_UPLOAD)]

    @property
    def repository_id(self) -> str:
        """The normalised repository id (``github.com/org/repo``) deployments carry."""
        return make_git_info("0" * 40, self.repository_url).repository_id

    def to_commits(self) -> list[Commit]:
        """The domain commits."""
        return [c.to_commit() for c in self.commits]

    def batches(self, size: int = 1000) -> list[CommitUpload]:
        """The same commits in uploads of at most ``size`` commits (request bodies have a size limit)."""
        chunks = [self.commits[i : i + size] for i in range(0, len(self.commits), size)] or [[]]
        return [CommitUpload(repository_url=self.repository_url, commits=chunk) for chunk in chunks]


def collect_from_checkout(
    path: Path, head: str, base: str | None, limit: int = DEFAULT_LIMIT, *, repository_url: str | None = None
) -> CommitUpload:
    """Build the upload for deploying ``head`` after ``base`` from a local checkout, with git.

    Collects the commits of ``base..head`` (merges included, for the parent graph) up to ``limit + 1`` non-merge
    ones, so the server can tell a range was truncated, plus ``base`` itself so the range can be walked even when
    earlier deployments uploaded nothing. When ``base`` is None or not in the checkout (a force push removed it,
    a shallow clone never had it), the newest commits of ``head``'s history are collected instead. Commits at
    the edge of a shallow clone are left out: their parents are unknown. Raises ``GitError`` when ``head``
    cannot be read.
    """
    if not 1 <= limit <= MAX_COLLECT_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_COLLECT_LIMIT}, got {limit}")
    head_sha = _resolve(path, head)
    if head_sha is None:
        raise GitError(f"{head!r} is not a commit in {path}")
    base_sha = _resolve(path, base) if base is not None else None
    fmt, marker = log_format()
    args = ["-c", "log.showRoot=true", "log", "-z", "--no-renames", "--name-only", fmt]
    cap = WALK_FACTOR * (limit + 1)
    revisions = [head_sha, f"^{base_sha}"] if base_sha else [head_sha]
    found = parse_log(
        checked(run_git([*args, f"--max-count={cap}", *revisions, "--"], repository=path), "git log"), marker
    )
    kept: list[Commit] = []
    non_merges = 0
    for commit in found:
        if non_merges > limit:
            break
        kept.append(commit)
        non_merges += not commit.is_merge
    if base_sha is not None:
        kept.extend(parse_log(checked(run_git([*args, "-1", base_sha, "--"], repository=path), "git log"), marker))
    shallow = _shallow_boundary(path)
    if url := repository_url or _origin_url(path):
        commits = [_commit_in(c) for c in kept if c.sha not in shallow]
        return CommitUpload(repository_url=url, commits=commits)
    raise GitError(f"no repository URL given and {path} has no remote named origin")


def _commit_in(commit: Commit) -> CommitIn:
    paths = sorted(p for p in commit.paths if len(p) <= MAX_PATH_LENGTH)[:MAX_PATHS_PER_COMMIT]
    # Validated like an upload from the wire, times as RFC 3339 (an integer would be read as seconds).
    return CommitIn.model_validate(
        {
            "sha": commit.sha,
            "parents": list(commit.parents),
            "author_time": format_rfc3339(commit.author_time),
            "committer_time": format_rfc3339(commit.committer_time),
            "subject": commit.subject[:MAX_SUBJECT_LENGTH],
            "paths": paths if not commit.is_merge else [],
        }
    )


def _resolve(path: Path, revision: str) -> str | None:
    if revision.startswith("-"):
        return None
    result = run_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], repository=path
    )
    sha = result.stdout.decode().strip()
    return sha if result.returncode == 0 and sha else None


def _shallow_boundary(path: Path) -> set[str]:
    result = run_git(["rev-parse", "--path-format=absolute", "--git-path", "shallow"], repository=path)
    shallow = Path(checked(result, "git rev-parse").decode().strip())
    return set(shallow.read_text().split()) if shallow.is_file() else set()


def _origin_url(path: Path) -> str | None:
    result = run_git(["remote", "get-url", "origin"], repository=path)
    url = result.stdout.decode().strip()
    return url if result.returncode == 0 and url else None
