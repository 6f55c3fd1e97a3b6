"""Lead time through the server's own path on both backends: deployments stored, the refresh run by a metrics
read, the report and the drill-down read back; late deployments, uploads after the fact, commit-range attribution.

The repository: c1 (v1), c2 and c3 (v2), c4 and c5 (v3), each authored at the time given below. Hand-computed:
v2 at 03-03 12:00 ships c2 (50 h) and c3 (2 h); v3 at 03-05 14:00 ships c4 (28 h) and c5 (2 h). Over the four
commits the median is 15 h, p75 33.5 h, mean 20.5 h.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from doralens import progress
from doralens.config import Settings
from doralens.domain.events import Deployment, make_git_info
from doralens.gitdata.payload import collect_from_checkout
from doralens.gitdata.refresh import stream_records
from doralens.gitdata.service import GitData, engine_config
from doralens.metrics.events import list_metric_events
from doralens.metrics.request import build_request
from doralens.store.sql import SqlEventStore
from tests.builders import failure, ts
from tests.gitdata.conftest import REPOSITORY_ID, REPOSITORY_URL
from tests.gitdata.gitrepo import Repo
from tests.metrics.conftest import NOW, ask, headline

HOUR = 3600.0
WINDOW = {"start": "2024-03-01T00:00:00Z", "end": "2024-04-01T00:00:00Z"}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Repo, dict[str, str]]:
    """The repository of the module docstring, and its shas by name."""
    repo = Repo(tmp_path / "shop")
    shas = {
        "c1": repo.commit("c1", "2024-03-01T10:00:00Z"),
        "c2": repo.commit("c2", "2024-03-01T10:00:00Z"),
        "c3": repo.commit("c3", "2024-03-03T10:00:00Z"),
        "c4": repo.commit("c4", "2024-03-04T10:00:00Z"),
        "c5": repo.commit("c5", "2024-03-05T12:00:00Z"),
    }
    return repo, shas


def deploy(store: SqlEventStore, name: str, sha: str, finished: str) -> Deployment:
    """Store a deployment of ``sha`` to web/prod."""
    at = ts(finished)
    deployment = Deployment(
        id=f"web-{name}", service="web", env="prod", started_at=at - 60 * 10**9, finished_at=at,
        git=make_git_info(sha, REPOSITORY_URL),
    )  # fmt: skip
    store.record_deployment(deployment)
    return deployment


def local_settings(repo: Repo) -> Settings:
    """Server settings reading the test repository from disk."""
    return Settings(git_repositories=((REPOSITORY_ID, repo.path),))


def lead(store: SqlEventStore, settings: Settings) -> dict[str, Any]:
    """The change lead time block of March, computed as the API does."""
    config = engine_config(settings, store.backend)[0]
    return headline(ask(store, config=config, metrics=["change_lead_time"], **WINDOW), "change_lead_time")


def test_lead_time_is_computed_by_the_refresh_and_reported(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")
    deploy(store, "v3", c["c5"], "2024-03-05T14:00:00Z")
    block = lead(store, local_settings(git_repo))
    assert (block["n"], block["commits"], block["deployments"]) == (4, 4, 2)
    assert (block["median"], block["p75"], block["mean"]) == (15 * HOUR, 33.5 * HOUR, 20.5 * HOUR)
    assert (block["no_baseline"], block["previous_too_old"], block["tier"]["level"]) == (1, 0, "elite")
    assert "nothing to measure" in block["left_out"]["no_baseline"]["explanation"]


def test_the_drill_down_shows_each_deployments_commits(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")
    config = engine_config(local_settings(git_repo), store.backend)[0]
    request = build_request(now=NOW, default_tier_year=2024, **WINDOW)
    page = list_metric_events(store=store, config=config, request=request, metric="change_lead_time")
    records = {item.deployment.id: item.lead_time for item in page.items}  # type: ignore[union-attr]
    v2 = records["web-v2"]
    assert v2 is not None
    assert (v2.status.value, v2.previous_id) == ("ok", "web-v1")
    assert {(x.sha, x.lead_time // 10**9) for x in v2.commits} == {(c["c2"], 50 * 3600), (c["c3"], 2 * 3600)}
    measured = list_metric_events(
        store=store, config=config, request=request, metric="change_lead_time", subset="measured"
    )
    assert [item.deployment.id for item in measured.items] == ["web-v2"]  # type: ignore[union-attr]


def test_a_late_deployment_recomputes_the_next_one_only(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    settings = local_settings(git_repo)
    git = GitData.open(settings, store.backend)
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v3", c["c5"], "2024-03-05T14:00:00Z")
    assert git.refresh().computed == 2
    assert len(git.records.load(["web-v3"])["web-v3"].commits) == 4  # c2 to c5, all since v1
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")  # arrives last, deployed in between
    report = git.refresh()
    assert (report.computed, report.complete) == (2, True)  # v2 and v3; v1's inputs did not change
    records = git.records.load(["web-v2", "web-v3"])
    assert {x.sha for x in records["web-v3"].commits} == {c["c4"], c["c5"]}
    assert records["web-v3"].previous_id == "web-v2"
    assert lead(store, settings)["median"] == 15 * HOUR


def test_commits_uploaded_after_the_deployment_complete_its_lead_time(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    settings = Settings()  # no repository: uploads only
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")
    block = lead(store, settings)
    assert (block["n"], block["left_out"]["head_unknown"]["count"]) == (0, 1)
    git = GitData.open(settings, store.backend)
    result = git.upload(collect_from_checkout(git_repo.path, c["c3"], c["c1"], repository_url=REPOSITORY_URL))
    assert (result.repository_id, result.added, result.retried_streams) == (REPOSITORY_ID, 3, 1)
    block = lead(store, settings)
    assert (block["n"], "head_unknown" in block["left_out"]) == (2, False)
    commits = git.records.load(["web-v2"])["web-v2"].commits
    assert sorted(x.lead_time // 10**9 for x in commits) == [2 * 3600, 50 * 3600]


def test_a_failure_is_attributed_to_the_deployment_that_shipped_its_commit(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    settings = local_settings(git_repo)
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")
    deploy(store, "v3", c["c5"], "2024-03-05T14:00:00Z")
    # Its commit c2 is no deployment's sha, and the latest deployment before it is v3: only the range says v2.
    broken = replace(failure(started="2024-03-05T15:00:00Z"), git=make_git_info(c["c2"], REPOSITORY_URL))
    store.record_failure(broken)
    config = engine_config(settings, store.backend)[0]
    ask(store, config=config, **WINDOW)
    [link] = store.attributions_of([broken.id])
    assert (link.deployment_id, link.method, link.basis) == ("web-v2", "exact", "commit_range")
    assert store.verdicts_of(["web-v2"])["web-v2"].is_change_failure


def test_a_revert_commit_makes_the_deployment_a_rollforward(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    revert = git_repo.commit('Revert "c3"', "2024-03-05T13:00:00Z")
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")
    deploy(store, "v3", revert, "2024-03-05T14:00:00Z")
    ask(store, config=engine_config(local_settings(git_repo), store.backend)[0], **WINDOW)
    verdicts = store.verdicts_of(["web-v2", "web-v3"])
    assert verdicts["web-v2"].is_change_failure
    assert (verdicts["web-v2"].remediated_by, verdicts["web-v2"].remediation_kind) == ("web-v3", "rollforward")


def test_a_refresh_asked_to_stop_leaves_the_streams_stale_for_the_next(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")
    git = engine_config(local_settings(git_repo), store.backend)[1]
    stopped = git.refresh(stop=lambda: True)
    assert (stopped.streams, stopped.complete) == (0, False)
    assert git.state.dirty()
    done = git.refresh()
    assert (done.streams, done.complete) == (1, True)
    assert not git.state.dirty()


def test_streams_stored_together_leave_out_one_written_to_meanwhile(store: SqlEventStore, repo: Any) -> None:
    git_repo, c = repo
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    deploy(store, "v2", c["c3"], "2024-03-03T12:00:00Z")
    for name, sha, finished in (("a1", c["c1"], "2024-03-01T13:00:00Z"), ("a2", c["c5"], "2024-03-05T13:00:00Z")):
        at = ts(finished)
        store.record_deployment(
            Deployment(f"api-{name}", "api", at - 10**9, at, env="prod", git=make_git_info(sha, REPOSITORY_URL))
        )
    git = engine_config(local_settings(git_repo), store.backend)[1]
    tokens = git.state.dirty()
    writes = [stream_records(git.state, git.source, git.settings, s, t)[0] for s, t in sorted(tokens.items())]
    deploy(store, "v3", c["c5"], "2024-03-05T14:00:00Z")  # web/prod written to after its token was read

    assert git.state.write_many(writes) == {("api", "prod")}
    assert set(git.state.dirty()) == {("web", "prod")}
    stored = git.records.load(["api-a1", "api-a2", "web-v1", "web-v2"])
    assert set(stored) == {"api-a1", "api-a2"}  # nothing of web's records, though they came first
    assert stored["api-a2"].commit_count == 4

    assert git.refresh().complete
    assert set(git.records.load(["web-v1", "web-v2", "web-v3"])) == {"web-v1", "web-v2", "web-v3"}


def test_a_long_refresh_logs_each_stream_and_its_end(
    store: SqlEventStore, repo: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    git_repo, c = repo
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)  # every refresh is "long"
    deploy(store, "v1", c["c1"], "2024-03-01T12:00:00Z")
    at = ts("2024-03-03T13:00:00Z")
    store.record_deployment(
        Deployment("api-a1", "api", at - 10**9, at, env="prod", git=make_git_info(c["c3"], REPOSITORY_URL))
    )
    git = engine_config(local_settings(git_repo), store.backend)[1]
    with caplog.at_level(logging.INFO, logger="doralens.refresh"):
        assert git.refresh().complete
    lines = [r.getMessage() for r in caplog.records if r.name == "doralens.refresh"]
    assert [line.split(",")[0] for line in lines[:2]] == ["lead time: 1 of 2 streams", "lead time: 2 of 2 streams"]
    assert lines[2].startswith("lead time: 2 of 2 streams in "), lines
    assert len(lines) == 3
