"""Which commit a CI job deploys: flags, then ``DD_GIT_*`` variables, then the local checkout, then the CI's variables.

Self-contained on purpose (it runs ``git`` itself, without a shell, and imports nothing else from ``gitdata``), so
the send commands do not depend on the lead-time machinery. Every repository URL leaves this module with its
credentials stripped: a CI checkout's remote often carries a token (``https://x-access-token:…@github.com/…``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from doralens.domain.events import sanitize_repository_url

GIT_TIMEOUT_SECONDS = 10.0

# The variables datadog-ci documents for user-provided git data: they override what the checkout says.
OVERRIDE_SHA = "DD_GIT_COMMIT_SHA"
OVERRIDE_URL = "DD_GIT_REPOSITORY_URL"


@dataclass(frozen=True)
class DetectedGit:
    """A commit and its repository, each with where it came from; ``notes`` say why the checkout did not help."""

    commit_sha: str | None = None
    repository_url: str | None = None
    sha_source: str | None = None
    url_source: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when both the commit and the repository are known (the API needs both or neither)."""
        return self.commit_sha is not None and self.repository_url is not None


def run_git(args: list[str], directory: Path | None = None) -> tuple[str | None, str | None]:
    """Run one git command in ``directory``; return (stdout stripped, None) or (None, why it failed)."""
    command = ["git", *(["-C", str(directory)] if directory is not None else []), *args]
    # Never let git wait for a password or an editor in a CI job.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, env=env, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        return None, "git is not installed"
    except subprocess.TimeoutExpired:
        return None, f"`git {' '.join(args)}` took longer than {GIT_TIMEOUT_SECONDS:g}s"
    except OSError as exc:
        return None, f"cannot run git: {exc}"
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return None, (lines[0] if lines else f"`git {' '.join(args)}` exited {done.returncode}")
    return done.stdout.strip() or None, None


def read_checkout(directory: Path | None = None) -> DetectedGit:
    """HEAD and the ``origin`` URL (credentials stripped) of the checkout in ``directory`` or the current one."""
    sha, sha_problem = run_git(["rev-parse", "--verify", "HEAD^{commit}"], directory)
    url, url_problem = run_git(["remote", "get-url", "origin"], directory)
    notes = tuple(dict.fromkeys(p for p in (sha_problem, url_problem) if p))
    return DetectedGit(
        commit_sha=sha.lower() if sha else None,
        repository_url=sanitize_repository_url(url) if url else None,
        sha_source="the checkout" if sha else None,
        url_source="the checkout" if url else None,
        notes=notes,
    )


def from_ci_environment(environ: Mapping[str, str]) -> DetectedGit:
    """The commit and repository that GitHub Actions or GitLab CI announce in their variables, if any."""
    sha, sha_source = None, None
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        if environ.get(name, "").strip():
            sha, sha_source = environ[name].strip().lower(), name
            break
    url, url_source = None, None
    server, repository = environ.get("GITHUB_SERVER_URL", "").strip(), environ.get("GITHUB_REPOSITORY", "").strip()
    if server and repository:
        url, url_source = f"{server.rstrip('/')}/{repository}.git", "GITHUB_SERVER_URL/GITHUB_REPOSITORY"
    elif environ.get("CI_PROJECT_URL", "").strip():
        # Not CI_REPOSITORY_URL: GitLab puts the job token in that one.
        url, url_source = f"{environ['CI_PROJECT_URL'].strip().rstrip('/')}.git", "CI_PROJECT_URL"
    return DetectedGit(
        commit_sha=sha,
        repository_url=sanitize_repository_url(url) if url else None,
        sha_source=sha_source,
        url_source=url_source,
    )


def _first(*candidates: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
    for value, source in candidates:
        if value:
            return value, source
    return None, None


def detect_git(
    *,
    commit_sha: str | None = None,
    repository_url: str | None = None,
    directory: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> DetectedGit:
    """Fill the commit and repository from flags, DD_GIT_* variables, the checkout and CI variables, in that order."""
    env = os.environ if environ is None else environ
    given = DetectedGit(
        commit_sha=commit_sha.strip() if commit_sha and commit_sha.strip() else None,
        repository_url=sanitize_repository_url(repository_url) if repository_url and repository_url.strip() else None,
        sha_source="--git-commit-sha",
        url_source="--git-repository-url",
    )
    override_sha, override_url = env.get(OVERRIDE_SHA, "").strip(), env.get(OVERRIDE_URL, "").strip()
    overrides = DetectedGit(
        commit_sha=override_sha or None,
        repository_url=sanitize_repository_url(override_url) if override_url else None,
        sha_source=OVERRIDE_SHA,
        url_source=OVERRIDE_URL,
    )
    layers = [given, overrides]
    if not all(any(getattr(layer, f) for layer in layers) for f in ("commit_sha", "repository_url")):
        # Only ask git (and only look at the CI's variables) for what is still missing.
        layers += [read_checkout(directory), from_ci_environment(env)]
    sha, sha_source = _first(*((layer.commit_sha, layer.sha_source) for layer in layers))
    url, url_source = _first(*((layer.repository_url, layer.url_source) for layer in layers))
    notes = tuple(note for layer in layers for note in layer.notes)
    return DetectedGit(sha, url, sha_source if sha else None, url_source if url else None, notes)
