"""``doralens demo`` into the configured database, and ``doralens serve --demo`` as a live server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from typer.testing import CliRunner

from doralens.cli import app
from doralens.store.factory import open_store
from tests.servers import API_KEY, APP_KEY, free_port, spawn, stop, wait_until_up


def test_demo_fills_an_empty_database_then_refuses(env: str, tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--days", "30", "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert "demo data:" in first.output
    store = open_store(env)
    try:
        counted = store.count_events()
        assert counted[0] > 50
        assert store.get_deployment("demo-3-checkout-prod-000") is not None
    finally:
        store.close()
    assert (tmp_path / "doralens-demo-git" / "checkout" / ".git").is_dir()
    for again in (["demo", "--days", "30", "--seed", "3"], ["serve", "--demo", "--database-url", env]):
        refused = runner.invoke(app, again)
        assert refused.exit_code == 1, again
        assert "already holds" in refused.output
    store = open_store(env)
    try:
        assert store.count_events() == counted
    finally:
        store.close()


def test_demo_days_out_of_range(env: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--days", "3"])
    assert result.exit_code == 2
    assert "--days" in result.output


def test_serve_demo_answers_with_the_demo_and_cleans_up(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "server.log"
    unused = f"sqlite:///{tmp_path / 'not-this-one.db'}"
    process = spawn(unused, port, log_path, "--demo", "--demo-days", "30")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log_path, timeout=120)
        response = httpx.get(
            f"{url}/api/v1/metrics",
            params={"env": "prod"},
            headers={"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY},
        )
        assert response.status_code == 200, response.text
        assert response.json()["metrics"]["deployment_frequency"]["n"] > 50
        log = log_path.read_text()
        assert f"dashboard: {url}/" in log
        found = re.search(r"git repositories under (\S+)", log)
        assert found is not None, log
        git_path = Path(found[1])
        assert (git_path / "payments" / ".git").is_dir()
    finally:
        stop(process)
    assert not git_path.exists()  # the throwaway database and repositories go with the server
    assert not (tmp_path / "not-this-one.db").exists()
