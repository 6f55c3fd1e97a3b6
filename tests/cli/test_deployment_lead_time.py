"""``doralens deployment`` run inside a real repository against a live server, on both backends: it uploads the
commits since the previous deployment by default, and the metrics API then reports their lead time.

c1 is deployed 03-01 12:00; then c2, c3 and c4 (authored 03-02, 03-03 and 03-04 at 10:00) are deployed 03-04 12:00:
lead times 50 h, 26 h and 2 h, median 26 h, mean 26 h, over three commits of one deployment.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from doralens.cli import app
from tests.gitdata.gitrepo import Repo
from tests.servers import LiveServer


def _deploy(server: LiveServer, finished: str) -> str:
    result = CliRunner().invoke(
        app,
        ["deployment", "--service", "shop", "--env", "prod", "--started-at", finished, "--finished-at", finished],
        env={"DORALENS_URL": server.url, "DD_API_KEY": server.api_key},
    )
    assert result.exit_code == 0, result.output
    return result.stderr


@pytest.mark.slow
def test_deployments_from_a_checkout_report_lead_time(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DD_GIT_COMMIT_SHA", "DD_GIT_REPOSITORY_URL", "DORALENS_URL", "DD_SITE"):
        monkeypatch.delenv(name, raising=False)
    repo = Repo(tmp_path / "shop")
    repo.git("remote", "add", "origin", "https://ci-bot:t0ken@github.com/acme/shop.git")
    monkeypatch.chdir(repo.path)
    repo.commit("c1", "2024-03-01T10:00:00Z")
    first = _deploy(server, "2024-03-01T12:00:00Z")
    assert "uploaded 1 commits (the newest, no earlier deployment of shop known)" in first
    for name, day in (("c2", "02"), ("c3", "03"), ("c4", "04")):
        repo.commit(name, f"2024-03-{day}T10:00:00Z")
    second = _deploy(server, "2024-03-04T12:00:00Z")
    assert "uploaded 4 commits since" in second  # c2 to c4, and the baseline c1 itself

    answer = httpx.get(
        f"{server.url}/api/v1/metrics",
        params={"from": "2024-03-01", "to": "2024-04-01", "env": "prod"},
        headers={"DD-API-KEY": server.api_key, "DD-APPLICATION-KEY": server.app_key},
    )
    assert answer.status_code == 200, answer.text
    block = answer.json()["metrics"]["change_lead_time"]
    assert (block["median"], block["mean"], block["n"], block["deployments"]) == (93600.0, 93600.0, 3, 1)
    assert (block["no_baseline"], block["tier"]["level"]) == (1, "high")
    assert "t0ken" not in server.log()
