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

from doralens.config_git import (
    DEFAULT_GIT_DATA_DIR,
    DEFAULT_MAX_BASELINE_AGE_SECONDS,
    DEFAULT_REBASE_GAP_SECONDS,
    GIT_SETTINGS_DOC,
    check_git_settings,
)
from doralens.config_prometheus import (
    DEFAULT_PROMETHEUS_CACHE_SECONDS,
    DEFAULT_PROMETHEUS_GROUP_BY,
    DEFAULT_PROMETHEUS_WINDOWS,
    PROMETHEUS_SETTINGS_DOC,
    check_prometheus_settings,
)
from doralens.config_values import check_ui_auth, parse_value
from doralens.domain.changefailure import DEFAULT_ROLLFORWARD_PATTERNS, RollforwardRules
from doralens.domain.tiers import DEFAULT_REPORT_YEAR, REPORT_YEARS
from doralens.errors import ConfigError
from doralens.store.records import GroupBy

DEFAULT_DATABASE_URL = "sqlite:///doralens.db"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_ATTRIBUTION_WINDOW_SECONDS = 24 * 3600

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
    "DORALENS_LOG_LEVEL": (
        "log_level",
        "The server's and the commands' log lines (uvicorn's, webhook deliveries, mirrors cloned, the "
        "background refresh and a long refresh's progress): `debug`, `info`, `warning` or `error`.",
        "`info`",
    ),
    "DORALENS_GITHUB_WEBHOOK_SECRET": (
        "github_webhook_secret",
        "Secret of the GitHub webhook (checked against `X-Hub-Signature-256`); unset turns "
        "`/api/v1/webhooks/github` off (404).",
        "unset",
    ),
    "DORALENS_GITLAB_WEBHOOK_TOKEN": (
        "gitlab_webhook_token",
        "Secret token of the GitLab webhook (checked against `X-Gitlab-Token`); unset turns "
        "`/api/v1/webhooks/gitlab` off (404).",
        "unset",
    ),
    "DORALENS_PAGERDUTY_WEBHOOK_SECRET": (
        "pagerduty_webhook_secret",
        "Signing secret of the PagerDuty v3 webhook subscription (checked against `X-PagerDuty-Signature`); unset "
        "turns `/api/v1/webhooks/pagerduty` off (404).",
        "unset",
    ),
    "DORALENS_WEBHOOK_INCIDENT_LABEL": (
        "webhook_incident_label",
        "GitHub or GitLab issue label (any case) that makes an issue a failure.",
        "`incident`",
    ),
    "DORALENS_WEBHOOK_INCIDENT_ENV": (
        "webhook_incident_env",
        "Env of failures from sources that name none (GitHub and GitLab issues, PagerDuty); "
        "`DORALENS_WEBHOOK_ENV_MAP` applies to it.",
        "`production`",
    ),
    "DORALENS_WEBHOOK_SERVICE_MAP": (
        "webhook_service_map",
        "Service names for webhook and CDEvents events: `pattern=service` pairs, first match wins; a pattern is a "
        "glob matched against `source:name` or `name` (`acme/shop-*=shop,pagerduty:Checkout API=checkout`).",
        "empty (each source's own name)",
    ),
    "DORALENS_WEBHOOK_ENV_MAP": (
        "webhook_env_map",
        "Env names for webhook and CDEvents events: `pattern=env` pairs like the service map "
        "(`production=prod,github:staging-*=staging`).",
        "empty (each source's own name)",
    ),
    "DORALENS_ATTRIBUTION_WINDOW": (
        "attribution_window_seconds",
        "How long before a failure started its service's latest deployment may be blamed for it (heuristic "
        "attribution): seconds, or a number with `m`, `h` or `d`.",
        "`24h`",
    ),
    "DORALENS_ROLLFORWARD_PATTERNS": (
        "rollforward_patterns",
        "Regular expressions that make a deployment a rollforward when found in its version, a custom tag or "
        "its commit message: a JSON list of strings, or one expression; `[]` turns rollforward detection off.",
        '`["(?i)hotfix", "^Revert \\""]`',
    ),
    "DORALENS_MIN_SAMPLES_DURATIONS": (
        "min_samples_durations",
        "Fewest durations a median (time to restore, recovery time) is shown for; fewer say insufficient data.",
        "`3`",
    ),
    "DORALENS_MIN_SAMPLES_RATES": (
        "min_samples_rates",
        "Fewest deployments a rate (change failure rate, rework rate) is shown for.",
        "`1`",
    ),
    "DORALENS_TIER_YEAR": (
        "tier_year",
        "State of DevOps report whose clusters tiers are given against when a request names none: `2024` or `2023`.",
        "`2024`",
    ),
    "DORALENS_INCIDENT_RATIO_HEADLINE": (
        "incident_ratio_headline",
        "`true` makes failures / deployments (`incident_ratio`) the change failure rate's headline instead of "
        "change-failure deployments / deployments.",
        "`false`",
    ),
    "DORALENS_REFRESH_SECONDS": (
        "refresh_seconds",
        "How often `doralens serve` recomputes derived state (verdicts, attributions) in the background; `0` "
        "leaves it to the metric reads, which always refresh what they need first.",
        "`2`",
    ),
    "DORALENS_UI_AUTH": (
        "ui_auth",
        "Who may see the dashboard: `none` (anyone who can reach it), `app-key` (HTTP basic auth whose password is "
        "an application key, any user name), `basic:USER:PASSWORD`, or `auto`: `none` when the server listens on "
        "a loopback address, `app-key` otherwise.",
        "`auto`",
    ),
    **GIT_SETTINGS_DOC,
    **PROMETHEUS_SETTINGS_DOC,
}

# Variables read by the command-line client (`doralens deployment`, `doralens failure`; the README's "Send events
# from CI") or by the test suite, not by the server; accepted as they are.
CLIENT_VARIABLES = frozenset({"DORALENS_URL", "DORALENS_CA_CERT"})
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
    github_webhook_secret: str | None = field(default=None, repr=False)
    gitlab_webhook_token: str | None = field(default=None, repr=False)
    pagerduty_webhook_secret: str | None = field(default=None, repr=False)
    webhook_incident_label: str = "incident"
    webhook_incident_env: str = "production"
    webhook_service_map: tuple[tuple[str, str], ...] = ()
    webhook_env_map: tuple[tuple[str, str], ...] = ()
    attribution_window_seconds: int = DEFAULT_ATTRIBUTION_WINDOW_SECONDS
    rollforward_patterns: tuple[str, ...] = DEFAULT_ROLLFORWARD_PATTERNS
    min_samples_durations: int = 3
    min_samples_rates: int = 1
    tier_year: int = DEFAULT_REPORT_YEAR
    incident_ratio_headline: bool = False
    refresh_seconds: float = 2.0
    git_repositories: tuple[tuple[str, Path], ...] = ()
    git_remotes: tuple[str, ...] = field(default=(), repr=False)
    git_data_dir: Path = DEFAULT_GIT_DATA_DIR
    lead_time_max_baseline_age_seconds: int = DEFAULT_MAX_BASELINE_AGE_SECONDS
    lead_time_rebase_gap_seconds: int = DEFAULT_REBASE_GAP_SECONDS
    lead_time_paths: tuple[tuple[str, str], ...] = ()
    ui_auth: str = field(default="auto", repr=False)
    prometheus_windows: tuple[str, ...] = DEFAULT_PROMETHEUS_WINDOWS
    prometheus_group_by: tuple[GroupBy, ...] = DEFAULT_PROMETHEUS_GROUP_BY
    prometheus_envs: tuple[str, ...] = ()
    prometheus_cache_seconds: float = DEFAULT_PROMETHEUS_CACHE_SECONDS
    metrics_token: str | None = field(default=None, repr=False)

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
            values[attr] = parse_value(name, attr, raw)
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
        for name, secret in (
            ("DORALENS_GITHUB_WEBHOOK_SECRET", self.github_webhook_secret),
            ("DORALENS_GITLAB_WEBHOOK_TOKEN", self.gitlab_webhook_token),
            ("DORALENS_PAGERDUTY_WEBHOOK_SECRET", self.pagerduty_webhook_secret),
        ):
            # A secret pasted with a trailing newline would never match what the sender signs with.
            if secret is not None and (not secret or secret != secret.strip()):
                raise ConfigError(f"{name} must not be empty or start or end with spaces")
        for name, value in (
            ("DORALENS_WEBHOOK_INCIDENT_LABEL", self.webhook_incident_label),
            ("DORALENS_WEBHOOK_INCIDENT_ENV", self.webhook_incident_env),
        ):
            if not value.strip():
                raise ConfigError(f"{name} must not be blank")
        return self._validated_metrics()

    def _validated_metrics(self) -> Settings:
        if not 0 < self.attribution_window_seconds <= 30 * 86_400:
            raise ConfigError("DORALENS_ATTRIBUTION_WINDOW must be more than 0 and at most 30 days")
        try:
            RollforwardRules.compile(self.rollforward_patterns)
        except ConfigError as exc:
            raise ConfigError(f"DORALENS_ROLLFORWARD_PATTERNS: {exc}") from None
        for name, value in (
            ("DORALENS_MIN_SAMPLES_DURATIONS", self.min_samples_durations),
            ("DORALENS_MIN_SAMPLES_RATES", self.min_samples_rates),
        ):
            if not 1 <= value <= 10_000:
                raise ConfigError(f"{name} must be between 1 and 10000, got {value}")
        if self.tier_year not in REPORT_YEARS:
            raise ConfigError(f"DORALENS_TIER_YEAR must be one of {', '.join(map(str, REPORT_YEARS))}")
        if not 0 <= self.refresh_seconds <= 3600:
            raise ConfigError(f"DORALENS_REFRESH_SECONDS must be between 0 and 3600, got {self.refresh_seconds}")
        check_git_settings(
            self.git_repositories, self.lead_time_max_baseline_age_seconds, self.lead_time_rebase_gap_seconds
        )
        check_ui_auth(self.ui_auth)
        check_prometheus_settings(self.prometheus_windows, self.prometheus_cache_seconds, self.metrics_token)
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when events are stored in a SQLite file."""
        return self.database_url.startswith("sqlite:")


def redact_url(url: str) -> str:
    """Hide the password of a database URL for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
