"""Settings: one frozen object built from a mapping (the environment), validated eagerly, never at import time.

Every setting is an environment variable ``DORALENS_*``; ``SETTINGS_DOC`` lists them for the README table, and a
test fails when one is undocumented.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from doralens.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///doralens.db"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

# env var -> (Settings field, description, default as shown to users)
SETTINGS_DOC: dict[str, tuple[str, str, str]] = {
    "DORALENS_DATABASE_URL": (
        "database_url",
        "Where events are stored: `sqlite:///path.db` (file) or `postgresql://user:pass@host:5432/db`.",
        "`sqlite:///doralens.db` (in the working directory)",
    ),
    "DORALENS_HOST": ("host", "Address the server listens on.", "`127.0.0.1`"),
    "DORALENS_PORT": ("port", "Port the server listens on.", "`8080`"),
    "DORALENS_WORKERS": ("workers", "Number of server worker processes.", "`1`"),
    "DORALENS_TLS_CERTFILE": (
        "tls_certfile",
        "PEM certificate (chain) to serve HTTPS; needs the key too.",
        "unset",
    ),
    "DORALENS_TLS_KEYFILE": ("tls_keyfile", "PEM private key for `DORALENS_TLS_CERTFILE`.", "unset"),
    "DORALENS_MAX_BODY_BYTES": (
        "max_body_bytes",
        "Largest accepted request body, after decompression; larger bodies get 413.",
        "`1048576` (1 MiB)",
    ),
    "DORALENS_SERVICE_TEAMS": (
        "service_teams",
        "Service → team map used when an event has no team: `checkout=payments,search=discovery`.",
        "empty",
    ),
    "DORALENS_API_KEY": (
        "api_key",
        "Bootstrap API key (write access), registered at start when set; otherwise one is generated on the "
        "first start and printed once.",
        "unset",
    ),
    "DORALENS_APP_KEY": (
        "app_key",
        "Bootstrap application key (read and manage access), registered at start when set.",
        "unset",
    ),
    "DORALENS_LOG_LEVEL": ("log_level", "`debug`, `info`, `warning` or `error`.", "`info`"),
}

# Variables read by the command-line client or by the test suite, not by the server; accepted as they are.
CLIENT_VARIABLES = frozenset({"DORALENS_URL"})
TEST_PREFIX = "DORALENS_TEST_"
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    """Validated server settings."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    service_teams: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = field(default=None, repr=False)
    app_key: str | None = field(default=None, repr=False)
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``DORALENS_*`` variables (``os.environ`` by default), failing on bad values."""
        env = os.environ if environ is None else environ
        unknown = sorted(
            k
            for k in env
            if k.startswith("DORALENS_")
            and not k.startswith(TEST_PREFIX)
            and k not in SETTINGS_DOC
            and k not in CLIENT_VARIABLES
        )
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]}; known settings: {', '.join(SETTINGS_DOC)}")
        values: dict[str, Any] = {}
        for name, (attr, _, _) in SETTINGS_DOC.items():
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            values[attr] = _parse(name, attr, raw)
        return cls(**values).validated()

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with command-line overrides applied (``None`` means keep), validated again."""
        kept = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **kept).validated()

    def validated(self) -> Settings:
        """Check cross-field rules; return self or raise ``ConfigError`` naming the setting."""
        if not self.database_url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ConfigError(
                "DORALENS_DATABASE_URL must start with sqlite:/// or postgresql://, got "
                f"{redact_url(self.database_url)!r}"
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"DORALENS_PORT must be between 1 and 65535, got {self.port}")
        if not 1 <= self.workers <= 64:
            raise ConfigError(f"DORALENS_WORKERS must be between 1 and 64, got {self.workers}")
        if self.max_body_bytes < 1024:
            raise ConfigError(f"DORALENS_MAX_BODY_BYTES must be at least 1024, got {self.max_body_bytes}")
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ConfigError("DORALENS_TLS_CERTFILE and DORALENS_TLS_KEYFILE must be set together")
        for name, path in (
            ("DORALENS_TLS_CERTFILE", self.tls_certfile),
            ("DORALENS_TLS_KEYFILE", self.tls_keyfile),
        ):
            if path is not None and not path.is_file():
                raise ConfigError(f"{name}: no such file {path}")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"DORALENS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        for name, key in (("DORALENS_API_KEY", self.api_key), ("DORALENS_APP_KEY", self.app_key)):
            if key is not None and (len(key) < 16 or any(c.isspace() for c in key)):
                raise ConfigError(f"{name} must be at least 16 characters without spaces")
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when events are stored in a SQLite file."""
        return self.database_url.startswith("sqlite:")


def _parse(name: str, attr: str, raw: str) -> Any:
    if attr in ("port", "workers", "max_body_bytes"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if attr in ("tls_certfile", "tls_keyfile"):
        return Path(raw)
    if attr == "service_teams":
        return parse_service_teams(name, raw)
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


def redact_url(url: str) -> str:
    """Hide the password of a database URL for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
