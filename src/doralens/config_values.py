"""Reading the text of ``DORALENS_*`` variables into typed setting values, naming the variable on failure."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doralens.config_git import GIT_DURATIONS, parse_remotes, parse_repositories, parse_service_paths
from doralens.config_prometheus import parse_group_by, parse_names, parse_windows
from doralens.errors import ConfigError


def parse_value(name: str, attr: str, raw: str) -> Any:
    """Read the raw text of setting ``name`` into the type of ``Settings.<attr>``."""
    if attr in ("port", "workers", "max_body_bytes", "min_samples_durations", "min_samples_rates", "tier_year"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if attr in ("refresh_seconds", "prometheus_cache_seconds"):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if attr == "attribution_window_seconds" or attr in GIT_DURATIONS:
        return parse_duration_seconds(name, raw)
    if attr == "prometheus_windows":
        return parse_windows(name, raw)
    if attr == "prometheus_group_by":
        return parse_group_by(name, raw)
    if attr == "prometheus_envs":
        return parse_names(raw)
    if attr == "git_repositories":
        return parse_repositories(name, raw)
    if attr == "git_remotes":
        return parse_remotes(name, raw)
    if attr == "lead_time_paths":
        return parse_service_paths(name, raw)
    if attr == "git_data_dir":
        return Path(raw)
    if attr == "rollforward_patterns":
        return parse_patterns(name, raw)
    if attr == "incident_ratio_headline":
        return parse_bool(name, raw)
    if attr in ("tls_certfile", "tls_keyfile"):
        return Path(raw)
    if attr == "service_teams":
        return parse_service_teams(name, raw)
    if attr in ("webhook_service_map", "webhook_env_map"):
        return parse_pattern_map(name, raw)
    if attr == "log_level":
        return raw.lower()
    return raw


def parse_service_teams(name: str, raw: str) -> dict[str, str]:
    """Parse ``service=team`` pairs separated by commas."""
    result: dict[str, str] = {}
    for pair in raw.split(","):
        if not pair.strip():
            continue
        service, sep, team = pair.partition("=")
        if not sep or not service.strip() or not team.strip():
            raise ConfigError(f"{name}: expected service=team pairs separated by commas, got {pair.strip()!r}")
        result[service.strip()] = team.strip()
    return result


def parse_pattern_map(name: str, raw: str) -> tuple[tuple[str, str], ...]:
    """Parse ``pattern=value`` pairs separated by commas, keeping their order (the first match wins)."""
    result: list[tuple[str, str]] = []
    for pair in raw.split(","):
        if not pair.strip():
            continue
        pattern, sep, value = pair.partition("=")
        if not sep or not pattern.strip() or not value.strip():
            raise ConfigError(f"{name}: expected pattern=name pairs separated by commas, got {pair.strip()!r}")
        result.append((pattern.strip(), value.strip()))
    return tuple(result)


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_duration_seconds(name: str, raw: str) -> int:
    """Read ``90``, ``90s``, ``30m``, ``24h`` or ``2d`` as seconds."""
    match = _DURATION.match(raw.lower())
    if match is None:
        raise ConfigError(f"{name} must be seconds or a number with m, h or d (such as 24h), got {raw!r}")
    return int(match[1]) * _UNIT_SECONDS[match[2]]


def parse_patterns(name: str, raw: str) -> tuple[str, ...]:
    """Read a JSON list of regular expressions, or a single one."""
    if not raw.lstrip().startswith("["):
        return (raw,)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name} is not a valid JSON list: {exc.msg}") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{name} must be a JSON list of strings")
    return tuple(value)


def parse_bool(name: str, raw: str) -> bool:
    """Read true/false, yes/no, on/off or 1/0."""
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


UI_AUTH_MODES = ("auto", "none", "app-key", "basic")


@dataclass(frozen=True)
class UiAuth:
    """How the dashboard is guarded: ``none``, ``app-key``, or ``basic`` with one user and password."""

    mode: str
    user: str = field(default="", repr=False)
    password: str = field(default="", repr=False)


def check_ui_auth(raw: str) -> None:
    """Raise ``ConfigError`` unless ``raw`` is a valid ``DORALENS_UI_AUTH``."""
    mode, _, credentials = raw.partition(":")
    if mode not in UI_AUTH_MODES or (mode == "basic") != bool(credentials):
        raise ConfigError("DORALENS_UI_AUTH must be auto, none, app-key or basic:USER:PASSWORD")
    user, sep, password = credentials.partition(":")
    if mode == "basic" and (not user or not sep or len(password) < 8):
        raise ConfigError("DORALENS_UI_AUTH=basic:USER:PASSWORD needs a user and a password of 8 characters or more")


def ui_auth(raw: str, host: str) -> UiAuth:
    """The dashboard's guard; ``auto`` is ``none`` on a loopback address and ``app-key`` anywhere else."""
    check_ui_auth(raw)
    mode, _, credentials = raw.partition(":")
    if mode == "auto":
        return UiAuth("none" if _is_loopback(host) else "app-key")
    user, _, password = credentials.partition(":")
    return UiAuth(mode, user, password)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
