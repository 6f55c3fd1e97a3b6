"""``doralens migrate`` and settings errors of ``doralens serve``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from doralens.cli import app


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
