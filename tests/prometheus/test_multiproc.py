"""The directory ``doralens serve`` gives several workers for their counters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from doralens.prometheus.multiproc import shared_counters
from doralens.prometheus.telemetry import MULTIPROC_ENV


@pytest.fixture(autouse=True)
def unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)


def test_one_worker_keeps_counters_in_memory() -> None:
    with shared_counters(1) as path:
        assert path is None
        assert MULTIPROC_ENV not in os.environ


def test_several_workers_get_a_fresh_directory_removed_afterwards() -> None:
    with shared_counters(4) as path:
        assert path is not None
        assert path.is_dir()
        assert list(path.iterdir()) == []
        assert os.environ[MULTIPROC_ENV] == str(path)
        (path / "counter_1.db").write_bytes(b"x")
    assert not path.exists()
    assert MULTIPROC_ENV not in os.environ


def test_a_directory_given_is_used_and_cleared_not_removed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    (tmp_path / "counter_1.db").write_bytes(b"from an earlier run")
    with shared_counters(1) as path:
        assert path == tmp_path
        assert list(tmp_path.iterdir()) == []
    assert tmp_path.is_dir()
    assert os.environ[MULTIPROC_ENV] == str(tmp_path)
