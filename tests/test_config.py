"""Settings from the environment: defaults, parsing, validation messages, and documentation in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from doralens.config import CLIENT_VARIABLES, SETTINGS_DOC, Settings, redact_url
from doralens.errors import ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_need_nothing_set() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///doralens.db"
    assert (settings.host, settings.port, settings.max_body_bytes) == ("127.0.0.1", 8080, 1024 * 1024)
    assert settings.is_sqlite


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "DORALENS_DATABASE_URL": "postgresql://u:p@db:5432/dora",
            "DORALENS_PORT": "9000",
            "DORALENS_SERVICE_TEAMS": "checkout=payments, search = discovery",
            "DORALENS_MAX_BODY_BYTES": "2048",
            "DORALENS_LOG_LEVEL": "DEBUG",
        }
    )
    assert settings.port == 9000
    assert settings.service_teams == {"checkout": "payments", "search": "discovery"}
    assert settings.max_body_bytes == 2048
    assert settings.log_level == "debug"
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DORALENS_PORT": "eighty"}, "DORALENS_PORT must be an integer"),
        ({"DORALENS_PORT": "70000"}, "DORALENS_PORT must be between"),
        ({"DORALENS_DATABASE_URL": "mysql://x"}, "DORALENS_DATABASE_URL must start with"),
        ({"DORALENS_TLS_CERTFILE": "/nonexistent.pem"}, "must be set together"),
        ({"DORALENS_SERVICE_TEAMS": "checkout"}, "DORALENS_SERVICE_TEAMS: expected service=team"),
        ({"DORALENS_API_KEY": "short"}, "DORALENS_API_KEY must be at least 16"),
        ({"DORALENS_LOG_LEVEL": "loud"}, "DORALENS_LOG_LEVEL must be one of"),
        ({"DORALENS_DATABSE_URL": "sqlite:///x.db"}, "unknown setting DORALENS_DATABSE_URL"),
        ({"DORALENS_WEBHOOK_SERVICE_MAP": "acme/*"}, "DORALENS_WEBHOOK_SERVICE_MAP: expected pattern=name"),
        ({"DORALENS_GITHUB_WEBHOOK_SECRET": "s3cret\n"}, "DORALENS_GITHUB_WEBHOOK_SECRET must not be empty"),
        ({"DORALENS_WEBHOOK_INCIDENT_LABEL": "  "}, "DORALENS_WEBHOOK_INCIDENT_LABEL must not be blank"),
        ({"DORALENS_ATTRIBUTION_WINDOW": "a day"}, "DORALENS_ATTRIBUTION_WINDOW must be seconds"),
        ({"DORALENS_ATTRIBUTION_WINDOW": "0"}, "DORALENS_ATTRIBUTION_WINDOW must be more than 0"),
        ({"DORALENS_ROLLFORWARD_PATTERNS": "(unclosed"}, "DORALENS_ROLLFORWARD_PATTERNS: rollforward pattern"),
        ({"DORALENS_ROLLFORWARD_PATTERNS": '["ok", 3]'}, "DORALENS_ROLLFORWARD_PATTERNS must be a JSON list"),
        ({"DORALENS_MIN_SAMPLES_DURATIONS": "0"}, "DORALENS_MIN_SAMPLES_DURATIONS must be between 1"),
        ({"DORALENS_TIER_YEAR": "2019"}, "DORALENS_TIER_YEAR must be one of 2023, 2024"),
        ({"DORALENS_INCIDENT_RATIO_HEADLINE": "maybe"}, "DORALENS_INCIDENT_RATIO_HEADLINE must be true or false"),
        ({"DORALENS_REFRESH_SECONDS": "-1"}, "DORALENS_REFRESH_SECONDS must be between 0"),
        ({"DORALENS_GIT_REPOSITORIES": "/srv/git/shop"}, "DORALENS_GIT_REPOSITORIES: expected repository=/path"),
        ({"DORALENS_GIT_REPOSITORIES": "github.com/a/b=/nonexistent"}, "github.com/a/b: no such directory"),
        ({"DORALENS_GIT_REMOTES": "not a url"}, "DORALENS_GIT_REMOTES: 'not' is not a git remote URL"),
        ({"DORALENS_LEAD_TIME_MAX_BASELINE_AGE": "5m"}, "DORALENS_LEAD_TIME_MAX_BASELINE_AGE must be between 1h"),
        ({"DORALENS_LEAD_TIME_REBASE_GAP": "soon"}, "DORALENS_LEAD_TIME_REBASE_GAP must be seconds"),
        ({"DORALENS_LEAD_TIME_PATHS": "cart"}, "DORALENS_LEAD_TIME_PATHS: expected service=path"),
    ],
)
def test_bad_values_fail_with_the_setting_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_metric_settings_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "DORALENS_ATTRIBUTION_WINDOW": "90m",
            "DORALENS_ROLLFORWARD_PATTERNS": '["^fix-", "(?i)patch"]',
            "DORALENS_MIN_SAMPLES_DURATIONS": "5",
            "DORALENS_MIN_SAMPLES_RATES": "10",
            "DORALENS_TIER_YEAR": "2023",
            "DORALENS_INCIDENT_RATIO_HEADLINE": "yes",
            "DORALENS_REFRESH_SECONDS": "0.5",
        }
    )
    assert settings.attribution_window_seconds == 5400
    assert settings.rollforward_patterns == ("^fix-", "(?i)patch")
    assert (settings.min_samples_durations, settings.min_samples_rates, settings.tier_year) == (5, 10, 2023)
    assert settings.incident_ratio_headline
    assert settings.refresh_seconds == 0.5
    assert Settings.from_env({"DORALENS_ROLLFORWARD_PATTERNS": "^hotfix"}).rollforward_patterns == ("^hotfix",)
    assert Settings.from_env({"DORALENS_ROLLFORWARD_PATTERNS": "[]"}).rollforward_patterns == ()
    assert Settings.from_env({"DORALENS_ATTRIBUTION_WINDOW": "2d"}).attribution_window_seconds == 172_800


def test_test_suite_variables_are_not_settings() -> None:
    assert Settings.from_env({"DORALENS_TEST_POSTGRES_URL": "postgresql://x", "DORALENS_URL": "http://x"})


def test_tls_files_must_exist(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="no such file"):
        Settings.from_env({"DORALENS_TLS_CERTFILE": str(cert), "DORALENS_TLS_KEYFILE": str(tmp_path / "key.pem")})


def test_overrides_are_validated() -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({}).with_overrides(port=0)
    assert Settings.from_env({}).with_overrides(port=9999, host=None).port == 9999


def test_keys_are_not_in_repr() -> None:
    settings = Settings.from_env({"DORALENS_API_KEY": "k" * 32})
    assert "k" * 32 not in repr(settings)


def test_webhook_settings_are_parsed_in_order() -> None:
    settings = Settings.from_env(
        {
            "DORALENS_WEBHOOK_SERVICE_MAP": "acme/shop-*=shop, pagerduty:Checkout API=checkout",
            "DORALENS_WEBHOOK_ENV_MAP": "production=prod",
            "DORALENS_WEBHOOK_INCIDENT_LABEL": "sev",
        }
    )
    assert settings.webhook_service_map == (("acme/shop-*", "shop"), ("pagerduty:Checkout API", "checkout"))
    assert settings.webhook_env_map == (("production", "prod"),)
    assert (settings.webhook_incident_label, settings.webhook_incident_env) == ("sev", "production")
    assert settings.github_webhook_secret is None


def test_webhook_secrets_are_not_in_repr() -> None:
    settings = Settings.from_env(
        {
            "DORALENS_GITHUB_WEBHOOK_SECRET": "gh-secret-value",
            "DORALENS_GITLAB_WEBHOOK_TOKEN": "gl-token-value",
            "DORALENS_PAGERDUTY_WEBHOOK_SECRET": "pd-secret-value",
        }
    )
    assert settings.gitlab_webhook_token == "gl-token-value"
    for secret in ("gh-secret-value", "gl-token-value", "pd-secret-value"):
        assert secret not in repr(settings)


def test_database_password_is_redacted() -> None:
    assert redact_url("postgresql://dora:s3cret@db/dora") == "postgresql://dora:***@db/dora"
    assert redact_url("sqlite:///doralens.db") == "sqlite:///doralens.db"


def test_git_settings_are_parsed(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "DORALENS_GIT_REPOSITORIES": f"https://github.com/Acme/Shop.git={tmp_path}, gitlab.com/a/b={tmp_path}",
            "DORALENS_GIT_REMOTES": "https://bot:t0ken@git.example.com/acme/cart.git git@github.com:acme/web.git",
            "DORALENS_GIT_DATA_DIR": str(tmp_path / "mirrors"),
            "DORALENS_LEAD_TIME_MAX_BASELINE_AGE": "30d",
            "DORALENS_LEAD_TIME_REBASE_GAP": "6h",
            "DORALENS_LEAD_TIME_PATHS": "cart=services/cart,cart=libs/money,web=web",
        }
    )
    assert settings.git_repositories == (("github.com/Acme/Shop", tmp_path), ("gitlab.com/a/b", tmp_path))
    assert settings.git_remotes == ("https://bot:t0ken@git.example.com/acme/cart.git", "git@github.com:acme/web.git")
    assert settings.git_data_dir == tmp_path / "mirrors"
    assert settings.lead_time_max_baseline_age_seconds == 30 * 86400
    assert settings.lead_time_rebase_gap_seconds == 6 * 3600
    assert settings.lead_time_paths == (("cart", "services/cart"), ("cart", "libs/money"), ("web", "web"))
    assert "t0ken" not in repr(settings)


def test_a_bad_remote_is_named_without_its_credentials() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"DORALENS_GIT_REMOTES": "ftp://bot:t0ken@host/repo.git"})
    assert "t0ken" not in str(raised.value)
    assert "ftp://***@host/repo.git" in str(raised.value)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text()
    missing = [
        name
        for name, (_, meaning, default) in SETTINGS_DOC.items()
        if f"| `{name}` | {meaning} | {default} |" not in readme
    ]
    assert missing == [], f"settings missing from README.md: {missing}"


def test_every_client_variable_is_documented_with_the_send_commands() -> None:
    readme = README.read_text()
    section = readme[readme.index("## Send events from CI") :]
    section = section[: section.index("\n## ", 1)]
    missing = [name for name in sorted(CLIENT_VARIABLES) if f"| `{name}` |" not in section]
    assert missing == [], f"client variables missing from README.md's 'Send events from CI': {missing}"
    assert CLIENT_VARIABLES.isdisjoint(SETTINGS_DOC)
    assert Settings.from_env(dict.fromkeys(CLIENT_VARIABLES, "x"))


def test_every_settings_field_has_a_variable() -> None:
    documented = {attr for attr, _, _ in SETTINGS_DOC.values()}
    assert documented == set(Settings.__dataclass_fields__)
