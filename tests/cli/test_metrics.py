"""``doralens metrics``, ``doralens explain`` and ``doralens failures attribute`` against a real SQLite file."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from doralens import progress
from doralens.cli import app
from doralens.store.factory import open_store
from tests.metrics.conftest import load
from tests.metrics.scenario import MARCH, scenario_deployments, scenario_failures

WINDOW = ["--from", MARCH[0], "--to", MARCH[1]]


def _seed(url: str) -> None:
    store = open_store(url)
    store.migrate()
    load(store, [*scenario_deployments(), *scenario_failures()])
    store.close()


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_metrics_table_shows_values_tiers_and_samples(env: str) -> None:
    _seed(env)
    output = _run("metrics", *WINDOW)
    for expected in ("deployment_frequency", "9 (0.29/day)", "33.3% (3/9)", "2.0 h", "high", "low", "n=0" and "git"):
        assert expected in output, expected


def test_metrics_grouped_csv(env: str) -> None:
    _seed(env)
    rows = list(
        csv.DictReader(io.StringIO(_run("metrics", *WINDOW, "--interval", "week", "--group-by", "service", "--csv")))
    )
    headline = {(r["group"], r["metric"]): r for r in rows if r["scope"] == "headline"}
    assert headline[("web", "deployment_frequency")]["value"] == "7"
    assert headline[("api", "change_failure_rate")]["numerator"] == "1"
    assert headline[("api", "time_to_restore")]["insufficient_reason"] == "insufficient data: n=1, at least 3 needed"
    weekly = [
        r for r in rows if r["scope"] == "series" and r["group"] == "web" and r["metric"] == "deployment_frequency"
    ]
    assert [r["value"] for r in weekly] == ["0", "4", "2", "1", "0"]


def test_explain_lists_the_events_with_their_reasons(env: str) -> None:
    _seed(env)
    output = _run("explain", "change_failure_rate", *WINDOW, "--subset", "numerator")
    assert "change_failure_rate" in output
    for expected in ("w2-deployment-02", "rollback", "w5-deployment-05", "rollforward", "a2-deployment-02"):
        assert expected in output, expected
    assert "w1-deployment-01" not in output


def test_explain_rejects_what_it_cannot_explain(env: str) -> None:
    _seed(env)
    assert CliRunner().invoke(app, ["explain", "happiness"]).exit_code == 2
    assert CliRunner().invoke(app, ["explain", "change_lead_time", "--subset", "numerator"]).exit_code == 2
    assert CliRunner().invoke(app, ["metrics", "--interval", "hour"]).exit_code == 2


def test_failures_attribute_sets_and_clears_an_override(env: str) -> None:
    _seed(env)
    assert "caused by w7-deployment-07" in _run("failures", "attribute", "f-open-failure-04", "w7-deployment-07")
    output = _run("explain", "time_to_restore", *WINDOW, "--subset", "open")
    assert "w7-deployment-07 of web (manual" in output
    assert "caused by no deployment" in _run("failures", "attribute", "f-open-failure-04", "--none")
    assert "by the rules again" in _run("failures", "attribute", "f-open-failure-04", "--auto")
    assert CliRunner().invoke(app, ["failures", "attribute", "f-open-failure-04"]).exit_code == 2
    assert CliRunner().invoke(app, ["failures", "attribute", "nope-nope-nope-nope", "--none"]).exit_code == 1


def test_a_long_refresh_shows_its_progress_on_stderr(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(env)  # two dirty streams: web and api in prod
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)  # every refresh is "long"
    result = CliRunner().invoke(app, ["metrics", *WINDOW])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert any(line.startswith("lead time: 2 of 2 streams, ") for line in lines), result.stderr
    assert lines[-1].startswith("verdicts and attributions: 2 of 2 streams in "), result.stderr
    assert "streams" not in result.stdout


def test_log_lines_follow_the_configured_level(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(env)
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)
    monkeypatch.setenv("DORALENS_LOG_LEVEL", "warning")
    result = CliRunner().invoke(app, ["metrics", *WINDOW])
    assert result.exit_code == 0, result.output
    assert "verdicts and attributions" not in result.stderr
