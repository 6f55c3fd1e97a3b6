"""An import process killed outright (SIGKILL) after it set the indexes aside and wrote its rows, before its commit:
on each backend the database holds nothing of it and every index the schema defines. On SQLite the import writes
through a rollback journal when it has the file to itself, and through the write-ahead log beside another connection:
both survive the kill, and the file is back in WAL mode once opened again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from doralens.store.sql import SqlEventStore
from tests.indexes import index_definitions
from tests.transfer.events import sample_bodies, write_ndjson

SRC = Path(__file__).resolve().parents[2] / "src"
# The real command, with indexes set aside from the first batch on; it says when it is about to build them again,
# and waits there to be killed.
CHILD = textwrap.dedent(
    """
    import sys, time
    from doralens.store import bulk_indexes
    from doralens.cli import main
    from doralens.transfer import child

    bulk_indexes.MIN_ROWS = 0
    bulk_indexes.SHARE_OF_STORED = 0
    child.MIN_BYTES = int(sys.argv[2])  # 0: the file is read in a child process of the import

    def rebuild(self):
        journal = self.conn.exec_driver_sql("PRAGMA journal_mode").scalar() if self.backend.name == "sqlite" else "-"
        print("rebuilding", ",".join(self.dropped), journal, flush=True)
        time.sleep(120)

    bulk_indexes.IndexDeferral.rebuild = rebuild
    sys.argv = ["doralens", "import", "--batch-size", "2", sys.argv[1]]
    main()
    """
)


@pytest.mark.parametrize("alone", [False, True], ids=["beside another connection", "alone"])
@pytest.mark.parametrize("min_bytes", [0, 2**62], ids=["read in a child process", "read in this process"])
def test_an_import_killed_before_its_commit_leaves_nothing_and_every_index(
    store: SqlEventStore, database_url: str, tmp_path: Path, min_bytes: int, alone: bool
) -> None:
    before = index_definitions(store)
    if alone:
        store.backend.dispose()  # this process's connections closed: the import has the file to itself
    path = write_ndjson(tmp_path / "e.ndjson", sample_bodies())
    env = {**os.environ, "DORALENS_DATABASE_URL": database_url, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-c", CHILD, str(path), str(min_bytes)]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as child:
        try:
            assert child.stdout is not None
            said = child.stdout.readline().split()
            assert said[0] == "rebuilding", said
            assert "ix_deployments_finished" in said[1]
            if store.backend.name == "sqlite":
                assert said[2] == ("delete" if alone else "wal")
        finally:
            child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    store.backend.dispose()  # a fresh connection sees the database as another process finds it after the crash
    assert store.count_events() == (0, 0)
    assert index_definitions(store) == before
    if store.backend.name == "sqlite":
        with store.backend.reader.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
