"""The settings of the Prometheus export (``GET /metrics``): windows, groupings, cache, and its optional token.

Kept apart from ``config.py`` so that module stays readable; ``SETTINGS_DOC`` there includes
``PROMETHEUS_SETTINGS_DOC``. The token is never part of a message or of the settings' repr.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from doralens.errors import ConfigError
from doralens.metrics.request import MAX_WINDOW_DAYS
from doralens.store.records import GROUP_BYS, GroupBy

DEFAULT_PROMETHEUS_WINDOWS = ("30d",)
DEFAULT_PROMETHEUS_GROUP_BY: tuple[GroupBy, ...] = ("service", "env", "team")
DEFAULT_PROMETHEUS_CACHE_SECONDS = 30.0
MAX_WINDOWS = 10
MIN_TOKEN_LENGTH = 16

PROMETHEUS_SETTINGS_DOC: dict[str, tuple[str, str, str]] = {
    "DORALENS_PROMETHEUS_WINDOWS": (
        "prometheus_windows",
        "Windows the DORA gauges of `GET /metrics` cover, each ending at the scrape and exported as the `window` "
        "label: a number with `h`, `d` or `w`, several separated by commas (`7d,30d,90d`).",
        "`30d`",
    ),
    "DORALENS_PROMETHEUS_GROUP_BY": (
        "prometheus_group_by",
        "Breakdowns of the DORA gauges besides the totals, each a label: any of `service`, `env`, `team` separated "
        "by commas, or `none` for the totals only.",
        "`service,env,team`",
    ),
    "DORALENS_PROMETHEUS_ENVS": (
        "prometheus_envs",
        "Envs whose events the DORA gauges count, separated by commas (`prod`), as the metrics API's `env` "
        "filter; empty counts every env.",
        "empty (every env)",
    ),
    "DORALENS_PROMETHEUS_CACHE_SECONDS": (
        "prometheus_cache_seconds",
        "How long a worker reuses the DORA gauges it computed for the next scrapes; `0` computes them on every "
        "scrape. Request and ingest counters are always current.",
        "`30`",
    ),
    "DORALENS_METRICS_TOKEN": (
        "metrics_token",
        "Bearer token `GET /metrics` requires (`Authorization: Bearer <token>`, at least 16 characters); unset "
        "leaves it open.",
        "unset (open)",
    ),
}

_WINDOW = re.compile(r"^(\d+)([hdw])$")
_WINDOW_SECONDS = {"h": 3600, "d": 86_400, "w": 7 * 86_400}


def window_seconds(label: str) -> int:
    """The length of a window label such as ``30d``, in seconds."""
    match = _WINDOW.match(label)
    if match is None:
        raise ValueError(f"not a window: {label!r}")
    return int(match[1]) * _WINDOW_SECONDS[match[2]]


def _items(raw: str) -> list[str]:
    return [item for part in raw.split(",") if (item := part.strip())]


def parse_windows(name: str, raw: str) -> tuple[str, ...]:
    """Read window labels (``7d``, ``12h``, ``2w``) separated by commas, without repeats."""
    found: list[str] = []
    for item in _items(raw.lower()):
        if _WINDOW.match(item) is None:
            raise ConfigError(f"{name}: {item!r} is not a window such as 30d, 12h or 2w")
        found.append(item)
    return tuple(dict.fromkeys(found))


def parse_group_by(name: str, raw: str) -> tuple[GroupBy, ...]:
    """Read groupings (``service``, ``env``, ``team``) separated by commas; ``none`` alone means no grouping."""
    items = _items(raw.lower())
    if items == ["none"]:
        return ()
    found: list[GroupBy] = []
    for item in items:
        chosen = next((g for g in GROUP_BYS if g == item), None)
        if chosen is None:
            raise ConfigError(f"{name}: {item!r} is not one of service, env, team (or none alone)")
        found.append(chosen)
    return tuple(dict.fromkeys(found))


def parse_names(raw: str) -> tuple[str, ...]:
    """Read names separated by commas, without repeats."""
    return tuple(dict.fromkeys(_items(raw)))


def check_prometheus_settings(windows: Sequence[str], cache_seconds: float, token: str | None) -> None:
    """Raise ``ConfigError`` naming the setting when a Prometheus setting is unusable."""
    if not windows:
        raise ConfigError("DORALENS_PROMETHEUS_WINDOWS must name at least one window")
    if len(windows) > MAX_WINDOWS:
        raise ConfigError(f"DORALENS_PROMETHEUS_WINDOWS must name at most {MAX_WINDOWS} windows")
    for label in windows:
        if not 3600 <= window_seconds(label) <= MAX_WINDOW_DAYS * 86_400:
            raise ConfigError(f"DORALENS_PROMETHEUS_WINDOWS: {label} must be between 1h and {MAX_WINDOW_DAYS}d")
    if not 0 <= cache_seconds <= 3600:
        raise ConfigError(f"DORALENS_PROMETHEUS_CACHE_SECONDS must be between 0 and 3600, got {cache_seconds}")
    if token is not None and (len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token)):
        raise ConfigError(f"DORALENS_METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters without spaces")
