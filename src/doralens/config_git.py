"""The settings of change lead time: where the server reads git history, and how lead time is measured.

Kept apart from ``config.py`` so that module stays readable; ``SETTINGS_DOC`` there includes ``GIT_SETTINGS_DOC``.
Remote URLs may carry credentials: they are never part of a message, a log line or the settings' repr.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from doralens.domain.events import repository_id
from doralens.errors import ConfigError
from doralens.gitdata.git import redact

DEFAULT_GIT_DATA_DIR = Path("doralens-git")
DEFAULT_MAX_BASELINE_AGE_SECONDS = 60 * 86_400
DEFAULT_REBASE_GAP_SECONDS = 86_400
GIT_DURATIONS = ("lead_time_max_baseline_age_seconds", "lead_time_rebase_gap_seconds")

GIT_SETTINGS_DOC: dict[str, tuple[str, str, str]] = {
    "DORALENS_GIT_REPOSITORIES": (
        "git_repositories",
        "Local clones the server reads commits from: `repository=/path` pairs separated by commas, the repository "
        "as deployments name it (`github.com/acme/shop`, or its URL) and a directory git can read "
        "(`github.com/acme/shop=/srv/git/shop`).",
        "none",
    ),
    "DORALENS_GIT_REMOTES": (
        "git_remotes",
        "Remote repositories the server mirrors into `DORALENS_GIT_DATA_DIR` and fetches when a deployment names a "
        "commit it lacks: URLs separated by commas or spaces. Credentials in a URL "
        "(`https://user:token@host/org/repo.git`) are used to fetch and never logged or shown.",
        "none",
    ),
    "DORALENS_GIT_DATA_DIR": (
        "git_data_dir",
        "Directory holding the mirrors of `DORALENS_GIT_REMOTES`.",
        "`doralens-git` (in the working directory)",
    ),
    "DORALENS_LEAD_TIME_MAX_BASELINE_AGE": (
        "lead_time_max_baseline_age_seconds",
        "A deployment whose previous one (same service and env) finished longer before gets no lead time and is "
        "counted as `previous_too_old`: seconds, or a number with `m`, `h` or `d`.",
        "`60d`",
    ),
    "DORALENS_LEAD_TIME_REBASE_GAP": (
        "lead_time_rebase_gap_seconds",
        "A commit committed this much later than it was written (rebased or cherry-picked) is measured from its "
        "committer time instead of its author time; same forms.",
        "`1d`",
    ),
    "DORALENS_LEAD_TIME_PATHS": (
        "lead_time_paths",
        "Source paths of services in a monorepo: `service=path` pairs separated by commas, a service repeated for "
        "several paths (`cart=services/cart,cart=libs/money`); its deployments then ship only commits touching "
        "them. Other services take the whole repository.",
        "none",
    ),
}


def parse_repositories(name: str, raw: str) -> tuple[tuple[str, Path], ...]:
    """Read ``repository=/path`` pairs; the repository is normalised to the id deployments carry."""
    found: dict[str, Path] = {}
    for pair in raw.split(","):
        if not pair.strip():
            continue
        repository, sep, path = pair.partition("=")
        if not sep or not repository.strip() or not path.strip():
            raise ConfigError(f"{name}: expected repository=/path pairs separated by commas, got {redact(pair)!r}")
        found[repository_id(repository.strip())] = Path(path.strip())
    return tuple(found.items())


def parse_remotes(name: str, raw: str) -> tuple[str, ...]:
    """Read remote URLs separated by commas or whitespace."""
    urls = [url for part in raw.split(",") for url in part.split()]
    for url in urls:
        scheme = urlsplit(url).scheme if "://" in url else ""
        scp_like = "://" not in url and ":" in url and "@" in url.split(":", 1)[0]
        if scheme not in ("https", "http", "ssh", "git", "file") and not scp_like:
            raise ConfigError(f"{name}: {redact(url)!r} is not a git remote URL (https://, ssh://, git@host:path)")
    return tuple(dict.fromkeys(urls))


def parse_service_paths(name: str, raw: str) -> tuple[tuple[str, str], ...]:
    """Read ``service=path`` pairs, keeping repeated services (one path per pair)."""
    found: list[tuple[str, str]] = []
    for pair in raw.split(","):
        if not pair.strip():
            continue
        service, sep, path = pair.partition("=")
        if not sep or not service.strip() or not path.strip():
            raise ConfigError(f"{name}: expected service=path pairs separated by commas, got {pair.strip()!r}")
        found.append((service.strip(), path.strip()))
    return tuple(dict.fromkeys(found))


def check_git_settings(
    repositories: Sequence[tuple[str, Path]], max_baseline_age_seconds: int, rebase_gap_seconds: int
) -> None:
    """Raise ``ConfigError`` naming the setting when a git setting is unusable."""
    for repository, path in repositories:
        if not path.is_dir():
            raise ConfigError(f"DORALENS_GIT_REPOSITORIES: {repository}: no such directory {path}")
    if not 3600 <= max_baseline_age_seconds <= 3660 * 86_400:
        raise ConfigError("DORALENS_LEAD_TIME_MAX_BASELINE_AGE must be between 1h and 3660d")
    if not 0 <= rebase_gap_seconds <= 365 * 86_400:
        raise ConfigError("DORALENS_LEAD_TIME_REBASE_GAP must be between 0 and 365d")
