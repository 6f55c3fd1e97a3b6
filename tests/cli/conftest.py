"""The command line runs against a fresh SQLite file named by DORALENS_DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database URL set in the environment, with every other DORALENS_ variable removed."""
    url = f"sqlite:///{tmp_path}/cli.db"
    for name in list(os.environ):
        if name.startswith("DORALENS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DORALENS_DATABASE_URL", url)
    return url
