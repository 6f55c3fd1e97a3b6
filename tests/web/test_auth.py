"""DORALENS_UI_AUTH: open on a loopback address, an application key or one basic-auth user when exposed."""

from __future__ import annotations

import base64

import pytest

from doralens.config import Settings
from doralens.config_values import UiAuth, ui_auth
from doralens.errors import ConfigError
from doralens.store.sql import SqlEventStore
from tests.servers import API_KEY, APP_KEY
from tests.web.conftest import make_client


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_auto_is_open_on_loopback_and_needs_a_key_elsewhere() -> None:
    assert ui_auth("auto", "127.0.0.1") == UiAuth("none")
    assert ui_auth("auto", "localhost") == UiAuth("none")
    assert ui_auth("auto", "::1") == UiAuth("none")
    assert ui_auth("auto", "0.0.0.0") == UiAuth("app-key")
    assert ui_auth("auto", "dora.example.com") == UiAuth("app-key")
    assert ui_auth("basic:ann:long-secret", "0.0.0.0") == UiAuth("basic", "ann", "long-secret")


@pytest.mark.parametrize("raw", ["yes", "basic", "basic:ann", "basic:ann:short", "app-key:x"])
def test_bad_values_are_refused_naming_the_setting(raw: str) -> None:
    with pytest.raises(ConfigError, match="DORALENS_UI_AUTH"):
        Settings.from_env({"DORALENS_UI_AUTH": raw})


def test_the_password_stays_out_of_the_settings_repr() -> None:
    assert "long-secret" not in repr(Settings.from_env({"DORALENS_UI_AUTH": "basic:ann:long-secret"}))


def test_open_on_localhost(store: SqlEventStore) -> None:
    with make_client(store) as client:
        assert client.get("/").status_code == 200


def test_exposed_server_asks_for_an_application_key(store: SqlEventStore) -> None:
    with make_client(store, host="0.0.0.0") as client:
        refused = client.get("/")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Basic ")
        assert client.get("/", headers=basic("", API_KEY)).status_code == 401  # an API key is not enough
        assert client.get("/", headers=basic("", "x" * 32)).status_code == 401
        assert client.get("/services", headers=basic("anyone", APP_KEY)).status_code == 200
        assert client.get("/?format=json", headers={"DD-APPLICATION-KEY": APP_KEY}).status_code == 200
        assert client.get("/healthz").status_code == 200  # only the dashboard is guarded


def test_basic_user_and_password(store: SqlEventStore) -> None:
    with make_client(store, ui_auth="basic:ann:long-secret") as client:
        assert client.get("/").status_code == 401
        assert client.get("/", headers=basic("ann", "long-secret")).status_code == 200
        assert client.get("/", headers=basic("bob", "long-secret")).status_code == 401
        assert client.get("/", headers=basic("ann", APP_KEY)).status_code == 401
        assert client.get("/", headers={"Authorization": "Basic !!notbase64"}).status_code == 401
