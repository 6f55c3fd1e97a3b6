"""The Prometheus export's settings: parsing, defaults, validation naming the variable, the token kept out of repr."""

from __future__ import annotations

import pytest

from doralens.config import Settings
from doralens.config_prometheus import window_seconds
from doralens.errors import ConfigError

TOKEN = "scrape-token-0123456789"


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.prometheus_windows == ("30d",)
    assert settings.prometheus_group_by == ("service", "env", "team")
    assert settings.prometheus_envs == ()
    assert settings.prometheus_cache_seconds == 30
    assert settings.metrics_token is None


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "DORALENS_PROMETHEUS_WINDOWS": " 7D, 30d,12h,2w, 7d",
            "DORALENS_PROMETHEUS_GROUP_BY": "team, SERVICE",
            "DORALENS_PROMETHEUS_ENVS": "prod, production,prod",
            "DORALENS_PROMETHEUS_CACHE_SECONDS": "2.5",
            "DORALENS_METRICS_TOKEN": TOKEN,
        }
    )
    assert settings.prometheus_windows == ("7d", "30d", "12h", "2w")
    assert settings.prometheus_group_by == ("team", "service")
    assert settings.prometheus_envs == ("prod", "production")
    assert settings.prometheus_cache_seconds == 2.5
    assert settings.metrics_token == TOKEN
    assert Settings.from_env({"DORALENS_PROMETHEUS_GROUP_BY": "none"}).prometheus_group_by == ()


def test_window_lengths() -> None:
    assert [window_seconds(w) for w in ("12h", "30d", "2w")] == [43200, 2592000, 1209600]
    with pytest.raises(ValueError, match="not a window"):
        window_seconds("30")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DORALENS_PROMETHEUS_WINDOWS": "30 days"}, "DORALENS_PROMETHEUS_WINDOWS: '30 days' is not a window"),
        ({"DORALENS_PROMETHEUS_WINDOWS": "30m"}, "'30m' is not a window"),
        ({"DORALENS_PROMETHEUS_WINDOWS": ","}, "DORALENS_PROMETHEUS_WINDOWS must name at least one window"),
        ({"DORALENS_PROMETHEUS_WINDOWS": "0h"}, "DORALENS_PROMETHEUS_WINDOWS: 0h must be between 1h and 3660d"),
        ({"DORALENS_PROMETHEUS_WINDOWS": "3661d"}, "3661d must be between 1h and 3660d"),
        ({"DORALENS_PROMETHEUS_WINDOWS": ",".join(f"{n}d" for n in range(1, 12))}, "at most 10 windows"),
        ({"DORALENS_PROMETHEUS_GROUP_BY": "service,region"}, "DORALENS_PROMETHEUS_GROUP_BY: 'region' is not one"),
        ({"DORALENS_PROMETHEUS_GROUP_BY": "none,team"}, "'none' is not one of service, env, team"),
        ({"DORALENS_PROMETHEUS_CACHE_SECONDS": "soon"}, "DORALENS_PROMETHEUS_CACHE_SECONDS must be a number"),
        ({"DORALENS_PROMETHEUS_CACHE_SECONDS": "-1"}, "DORALENS_PROMETHEUS_CACHE_SECONDS must be between 0"),
        ({"DORALENS_METRICS_TOKEN": "short"}, "DORALENS_METRICS_TOKEN must be at least 16 characters"),
        ({"DORALENS_METRICS_TOKEN": TOKEN + " x"}, "DORALENS_METRICS_TOKEN must be at least 16 characters"),
    ],
)
def test_bad_values_fail_with_the_setting_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_the_token_is_not_in_repr() -> None:
    assert TOKEN not in repr(Settings.from_env({"DORALENS_METRICS_TOKEN": TOKEN}))
