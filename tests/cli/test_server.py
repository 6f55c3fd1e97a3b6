"""``doralens migrate``, settings errors of ``doralens serve``, and what the server logs."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from doralens.cli import app
from doralens.cli.server import open_metrics_warning
from doralens.config import Settings
from tests.builders import deployment_body
from tests.servers import start_server


def test_migrate_then_up_to_date(env: str) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["migrate"])
    assert first.exit_code == 0, first.output
    assert "applied 0001" in first.output
    second = runner.invoke(app, ["migrate"])
    assert "up to date" in second.output


def test_bad_setting_exits_2_with_message(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORALENS_PORT", "x")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "DORALENS_PORT must be an integer" in result.output


def test_an_open_metrics_endpoint_off_loopback_is_pointed_out() -> None:
    assert open_metrics_warning(Settings()) is None
    assert open_metrics_warning(Settings(host="localhost")) is None
    warning = open_metrics_warning(Settings(host="0.0.0.0"))
    assert warning is not None
    assert "DORALENS_METRICS_TOKEN" in warning
    assert open_metrics_warning(Settings(host="0.0.0.0", metrics_token="t" * 16)) is None


def _wait_for(server_log: Callable[[], str], text: str, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in server_log():
            return True
        time.sleep(0.1)
    return False


def test_every_worker_logs_doralens_lines_at_the_configured_level(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/log.db"
    with start_server(url, "--workers", "2", DORALENS_LOG_LEVEL="debug", DORALENS_REFRESH_SECONDS="0.2") as server:
        body = deployment_body(service="web", env="prod")
        response = httpx.post(f"{server.url}/api/v2/dora/deployment", json=body, headers=server.headers)
        assert response.status_code == 200, response.text
        # the background refresh of whichever worker finds the stream first says so, as uvicorn prints its lines
        assert _wait_for(server.log, "DEBUG:    refreshed 1 streams in "), server.log()
    with start_server(url, DORALENS_LOG_LEVEL="info", DORALENS_REFRESH_SECONDS="0.2") as server:
        body = deployment_body(service="api", env="prod")
        assert httpx.post(f"{server.url}/api/v2/dora/deployment", json=body, headers=server.headers).is_success
        time.sleep(1.0)  # several background refreshes: their debug lines stay out
        assert "refreshed" not in server.log()
