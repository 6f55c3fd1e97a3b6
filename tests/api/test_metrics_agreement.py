"""One question, four ways: the function, the HTTP API, the GitLab-compatible API and the CLI agree, per backend."""

from __future__ import annotations

import json
import os

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from doralens.cli import app as cli
from doralens.store.sql import SqlEventStore
from tests.metrics.conftest import ask, load
from tests.metrics.scenario import MARCH, scenario_deployments, scenario_failures
from tests.servers import APP_KEY


def test_function_api_gitlab_and_cli_agree(
    client: TestClient, store: SqlEventStore, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(store, [*scenario_deployments(), *scenario_failures()])
    question = {"from": MARCH[0], "to": MARCH[1], "interval": "month", "service": "web", "env": "prod"}

    direct = ask(store, interval="month", service=["web"], env=["prod"])
    web = direct["metrics"]
    # web in March, by hand: 7 deployments, w2 and w5 failed, failures of 2 h, 6 h and 0.5 h (median 2 h)
    assert web["deployment_frequency"]["value"] == 7
    assert (web["change_failure_rate"]["numerator"], web["change_failure_rate"]["denominator"]) == (2, 7)
    assert web["time_to_restore"]["median"] == 7200.0

    api = client.get("/api/v1/metrics", params=question, headers={"DD-APPLICATION-KEY": APP_KEY})
    assert api.status_code == 200, api.text
    assert api.json() == direct

    for name in list(os.environ):
        if name.startswith("DORALENS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DORALENS_DATABASE_URL", database_url)
    args = ["metrics", "--from", MARCH[0], "--to", MARCH[1], "--interval", "month", "--service", "web"]
    result = CliRunner().invoke(cli, [*args, "--env", "prod", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == direct

    expected = {
        "deployment_frequency": web["deployment_frequency"]["value"],
        "change_failure_rate": web["change_failure_rate"]["value"],
        "time_to_restore_service": web["time_to_restore"]["median"],
        "lead_time_for_changes": None,
    }
    for metric, value in expected.items():
        params = {"metric": metric, "start_date": "2024-03-01", "end_date": "2024-03-31", "interval": "monthly"}
        gitlab = client.get("/api/v4/projects/web/dora/metrics", params=params, headers={"PRIVATE-TOKEN": APP_KEY})
        assert gitlab.status_code == 200, gitlab.text
        assert gitlab.json() == [{"date": "2024-03-01", "value": value}], metric
