"""``doralens import FILE`` and ``doralens export`` against a SQLite file: messages, exit codes, files and stdout."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from doralens.cli import app
from tests.transfer.events import sample_bodies, write_ndjson


def test_import_then_export_to_a_file_and_to_stdout(env: str, tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "events.ndjson", sample_bodies())
    runner = CliRunner()
    imported = runner.invoke(app, ["import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert "imported 4 deployments and 4 failures" in imported.stdout
    exported = runner.invoke(app, ["export", "--kind", "deployment", "--query", "service:cart"])
    assert exported.exit_code == 0, exported.output
    ids = [json.loads(line)["data"]["attributes"]["id"] for line in exported.stdout.splitlines()]
    assert ids == ["deployment-000003", "deployment-000004"]
    assert "exported 2 deployments and 0 failures" in exported.stderr
    target = tmp_path / "all.csv"
    assert runner.invoke(app, ["export", "-o", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("kind,id,service,")
    again = runner.invoke(app, ["import", "file", str(target), "--dry-run"])
    assert again.exit_code == 0, again.output
    assert "4 deployments and 3 failures valid" in again.stdout


def test_a_rejected_line_is_reported_with_its_number_and_nothing_is_written(env: str, tmp_path: Path) -> None:
    bodies = sample_bodies()
    del bodies[1]["data"]["attributes"]["finished_at"]
    source = write_ndjson(tmp_path / "events.ndjson", bodies)
    runner = CliRunner()
    refused = runner.invoke(app, ["import", str(source)])
    assert refused.exit_code == 1
    assert 'line 2: /data/attributes/finished_at: attribute "finished_at" is required' in refused.stderr
    assert "nothing imported" in refused.stdout
    assert runner.invoke(app, ["export"]).stdout == ""
    skipped = runner.invoke(app, ["import", str(source), "--skip-invalid"])
    assert skipped.exit_code == 0
    assert "imported 3 deployments and 4 failures" in skipped.stdout
    assert "skipped 1 rejected line" in skipped.stdout


def test_a_csv_file_that_is_not_the_layout_is_a_usage_error(env: str, tmp_path: Path) -> None:
    source = tmp_path / "events.csv"
    source.write_text("kind,servce\ndeployment,web\n")
    result = CliRunner().invoke(app, ["import", str(source)])
    assert result.exit_code == 2
    assert "unknown columns servce" in result.stderr


def test_a_missing_file_is_a_usage_error(env: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(tmp_path / "none.ndjson")])
    assert result.exit_code == 2


def test_import_git_is_still_a_subcommand(env: str) -> None:
    result = CliRunner().invoke(app, ["import", "git", "--help"])
    assert result.exit_code == 0
    assert "--tags" in result.stdout
