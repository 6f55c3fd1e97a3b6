"""Mirrors of configured remotes (``git clone --mirror``), fetched on demand when a sha is unknown.

Credentials come only from the configured URL (settings), never from event payloads. They are kept off the
command line (other users can read it) and out of the mirror's config: git gets the cleaned URL, and an
``Authorization`` header scoped to the remote's host through ``GIT_CONFIG_*`` environment variables. Every
message that names a URL is redacted.

Fetches are rate-limited per repository (one attempt per ``min_fetch_interval_s``, failures included) so an
event naming a sha that never existed cannot make the server hammer the remote. Mirrors keep unreachable
objects (``gc.pruneExpire=never``): a sha orphaned by a force push stays readable for the next range.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import logging
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from doralens.domain.events import repository_id as repository_id_of
from doralens.domain.events import sanitize_repository_url
from doralens.gitdata.git import GitError, checked, redact, run_git

DEFAULT_FETCH_INTERVAL_S = 30.0
DEFAULT_NETWORK_TIMEOUT_S = 600.0

log = logging.getLogger(__name__)


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without user and password, and the environment that gives git its credentials (HTTP only)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        # git cannot use a password in any other URL (ssh asks its agent): drop it rather than show it.
        return (sanitize_repository_url(url) if parts.password else url.strip()), {}
    if not (parts.username or parts.password):
        return url.strip(), {}
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    token = base64.b64encode(f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()).decode()
    env = {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{parts.scheme}://{netloc}/.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {token}",
    }
    return clean, env


def mirror_dirname(repository_id: str) -> str:
    """A directory name for a repository's mirror: readable, and unique through a digest."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", repository_id).strip("._")[-60:] or "repository"
    digest = hashlib.sha256(repository_id.encode()).hexdigest()[:12]
    return f"{slug}-{digest}.git"


class MirrorManager:
    """Keeps one bare mirror per configured remote under ``root``, cloned on first use, fetched on demand."""

    def __init__(
        self,
        root: Path,
        remotes: Mapping[str, str],
        *,
        min_fetch_interval_s: float = DEFAULT_FETCH_INTERVAL_S,
        timeout_s: float = DEFAULT_NETWORK_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self._remotes = dict(remotes)
        self._interval = min_fetch_interval_s
        self._timeout = timeout_s
        self._clock = clock
        self._last_attempt: dict[str, float] = {}
        self._errors: dict[str, str] = {}
        self._locks = {repo: threading.Lock() for repo in self._remotes}

    @classmethod
    def from_urls(
        cls,
        root: Path,
        urls: Iterable[str],
        *,
        min_fetch_interval_s: float = DEFAULT_FETCH_INTERVAL_S,
        timeout_s: float = DEFAULT_NETWORK_TIMEOUT_S,
    ) -> MirrorManager:
        """Mirrors for remote URLs, keyed by the repository id events carry (``github.com/org/repo``)."""
        remotes = {repository_id_of(split_credentials(url)[0]): url for url in urls}
        return cls(root, remotes, min_fetch_interval_s=min_fetch_interval_s, timeout_s=timeout_s)

    def knows(self, repository_id: str) -> bool:
        """True when a remote is configured for the repository."""
        return repository_id in self._remotes

    def last_error(self, repository_id: str) -> str | None:
        """The redacted error of the last failed clone or fetch, if the last attempt failed."""
        return self._errors.get(repository_id)

    def cloned(self) -> list[Path]:
        """The mirrors that exist on disk now."""
        targets = (self.root / mirror_dirname(repository_id) for repository_id in self._remotes)
        return [target for target in targets if (target / "HEAD").exists()]

    def path(self, repository_id: str) -> Path | None:
        """The mirror's directory, cloning it first if needed; None when not configured or the clone failed."""
        if repository_id not in self._remotes:
            return None
        target = self.root / mirror_dirname(repository_id)
        if (target / "HEAD").exists():
            return target
        with self._locks[repository_id]:
            if not (target / "HEAD").exists() and self._may_try(repository_id):
                self._attempt(repository_id, lambda: self._clone(repository_id, target))
        return target if (target / "HEAD").exists() else None

    def refresh(self, repository_id: str) -> bool:
        """Fetch the remote unless it was tried within the interval; True when a fetch ran and succeeded."""
        target = self.path(repository_id)
        if target is None:
            return False
        with self._locks[repository_id]:
            if not self._may_try(repository_id):
                return False
            return self._attempt(repository_id, lambda: self._fetch(repository_id, target))

    def _may_try(self, repository_id: str) -> bool:
        last = self._last_attempt.get(repository_id)
        return last is None or self._clock() - last >= self._interval

    def _attempt(self, repository_id: str, action: Callable[[], None]) -> bool:
        self._last_attempt[repository_id] = self._clock()
        try:
            action()
        except GitError as exc:
            self._errors[repository_id] = str(exc)
            log.warning("git mirror of %s: %s", repository_id, exc)
            return False
        self._errors.pop(repository_id, None)
        return True

    def _clone(self, repository_id: str, target: Path) -> None:
        url, env = split_credentials(self._remotes[repository_id])
        self.root.mkdir(parents=True, exist_ok=True)
        with self._file_lock(target):
            if (target / "HEAD").exists():
                return
            # Clone beside the target and rename: a half-finished clone never looks like a mirror.
            scratch = Path(tempfile.mkdtemp(prefix=".clone-", dir=self.root))
            try:
                result = run_git(
                    ["clone", "--mirror", "--quiet", "--", url, str(scratch / "m.git")],
                    timeout=self._timeout,
                    env=env,
                )
                checked(result, f"git clone {redact(url)}")
                checked(run_git(["config", "gc.pruneExpire", "never"], repository=scratch / "m.git"), "git config")
                (scratch / "m.git").rename(target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        log.info("cloned a mirror of %s", redact(url))

    def _fetch(self, repository_id: str, target: Path) -> None:
        url, env = split_credentials(self._remotes[repository_id])
        with self._file_lock(target):
            result = run_git(
                ["fetch", "--prune", "--quiet", "--", url, "+refs/*:refs/*"],
                repository=target,
                timeout=self._timeout,
                env=env,
            )
            checked(result, f"git fetch {redact(url)}")

    @contextmanager
    def _file_lock(self, target: Path) -> Iterator[None]:
        # Several server processes may share the data directory: one clones or fetches at a time.
        with open(target.with_name(target.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
