"""``doralens import git`` on a real repository with release tags, on both backends, with hand-computed lead times.

Tags: v1.0 on c1 (lightweight), v1.1 on c3 (annotated, tagged 03-03 12:00), v1.2 on c4 (lightweight: the commit's
date, 03-04 10:00), and ``nightly``, which the pattern leaves out. v1.1 ships c2 (26 h) and c3 (2 h), v1.2 ships
c4 (0 h): median 2 h over three commits; v1.0 has no baseline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from doralens.cli import app
from doralens.config import Settings
from doralens.gitdata.service import engine_config
from doralens.store.factory import open_store
from tests.gitdata.gitrepo import Repo
from tests.metrics.conftest import ask, headline


@pytest.fixture
def tagged(tmp_path: Path) -> Repo:
    """The repository of the module docstring."""
    repo = Repo(tmp_path / "shop")
    repo.git("remote", "add", "origin", "https://bot:s3cr3t@github.com/acme/shop.git")
    repo.commit("c1", "2024-03-01T10:00:00Z")
    repo.git("tag", "v1.0")
    repo.commit("c2", "2024-03-02T10:00:00Z")
    repo.commit("c3", "2024-03-03T10:00:00Z")
    repo.git("tag", "-a", "v1.1", "-m", "release 1.1", env=Repo.dates("2024-03-03T12:00:00Z"))
    repo.commit("c4", "2024-03-04T10:00:00Z")
    repo.git("tag", "v1.2")
    repo.git("tag", "nightly")
    return repo


def test_import_git_records_tags_and_their_lead_time(
    database_url: str, tagged: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DORALENS_DATABASE_URL", database_url)
    args = ["import", "git", "--repo", str(tagged.path), "--service", "shop", "--env", "prod", "--tags", "v*"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "imported 3 tags of shop in prod (2024-03-01T10:00:00Z → 2024-03-04T10:00:00Z)" in first.output
    assert "median 2.0 h over 3 commits of 2 deployments; 1 without a baseline" in first.output
    again = CliRunner().invoke(app, args)  # the same ids: updated, not duplicated
    assert again.exit_code == 0, again.output
    assert "0 commits uploaded" in again.output
    store = open_store(database_url)
    try:
        assert store.count_events() == (3, 0)
        config = engine_config(Settings(database_url=database_url), store.backend)[0]
        block = headline(ask(store, config=config, metrics=["change_lead_time"]), "change_lead_time")
        assert (block["median"], block["mean"], block["n"]) == (7200.0, 28 * 3600 / 3, 3)
    finally:
        store.close()


def test_import_git_needs_a_matching_tag(env: str, tagged: Repo) -> None:
    result = CliRunner().invoke(
        app, ["import", "git", "--repo", str(tagged.path), "--service", "s", "--env", "e", "--tags", "release-*"]
    )
    assert result.exit_code == 2
    assert "no tag" in result.output
