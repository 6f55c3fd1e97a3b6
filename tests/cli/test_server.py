"""``doralens migrate`` and settings errors of ``doralens serve``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from doralens.cli import app
from doralens.cli.server import open_metrics_warning
from doralens.config import Settings


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
