"""``doralens deployments`` and ``doralens failures`` against a real SQLite file."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from doralens.cli import app
from doralens.store.factory import open_store
from tests.builders import deployment, failure


def _seed(url: str) -> None:
    store = open_store(url)
    store.migrate()
    store.record_deployment(
        deployment(id="deploy-web-000001", service="web", version="v1", finished="2024-03-01T10:00:00Z")
    )
    store.record_deployment(
        deployment(id="deploy-web-000002", service="web", version="v2", finished="2024-03-02T10:00:00Z")
    )
    store.record_deployment(
        deployment(id="deploy-api-000001", service="api", version="a1", finished="2024-03-03T10:00:00Z")
    )
    store.record_failure(failure(id="failure-web-000001", services=("web",), started="2024-03-02T11:00:00Z"))
    store.close()


def test_list_filters_and_prints_json(env: str) -> None:
    _seed(env)
    result = CliRunner().invoke(app, ["deployments", "list", "--query", "service:web", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["data"]
    assert [d["id"] for d in data] == ["deploy-web-000002", "deploy-web-000001"]
    assert data[0]["attributes"]["finished_at"] == "2024-03-02T10:00:00Z"


def test_list_table_with_range_and_sort(env: str) -> None:
    _seed(env)
    result = CliRunner().invoke(
        app, ["deployments", "list", "--from", "2024-03-02", "--to", "2024-03-04", "--sort", "service"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.index("deploy-api-000001") < result.output.index("deploy-web-000002")
    assert "deploy-web-000001" not in result.output


def test_bad_query_exits_2_saying_where(env: str) -> None:
    result = CliRunner().invoke(app, ["deployments", "list", "--query", "service:(web OR"])
    assert result.exit_code == 2
    assert "character" in result.output


def test_mark_by_version_then_get(env: str) -> None:
    _seed(env)
    runner = CliRunner()
    marked = runner.invoke(
        app,
        [
            "deployments",
            "mark",
            "--service",
            "web",
            "--env",
            "prod",
            "--version",
            "v2",
            "--remediation",
            "rollback",
            "--remediation-version",
            "v1",
        ],
    )
    assert marked.exit_code == 0, marked.output
    shown = json.loads(runner.invoke(app, ["deployments", "get", "deploy-web-000002", "--json"]).output)
    attributes = shown["data"]["attributes"]
    assert attributes["change_failure"] is True
    assert attributes["remediation"] == {"type": "rollback", "version": "v1"}
    assert attributes["change_failure_marked_by"].startswith("cli (")


def test_delete_and_failures(env: str) -> None:
    _seed(env)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["failures", "list", "--json"]).output)["data"]
    assert [f["id"] for f in listed] == ["failure-web-000001"]
    assert runner.invoke(app, ["failures", "delete", "failure-web-000001"]).exit_code == 0
    assert "was not there" in runner.invoke(app, ["failures", "delete", "failure-web-000001"]).output
    assert runner.invoke(app, ["deployments", "delete", "deploy-web-000001"]).exit_code == 0
    assert runner.invoke(app, ["deployments", "get", "deploy-web-000001"]).exit_code == 1
