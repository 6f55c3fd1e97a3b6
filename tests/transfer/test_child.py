"""A file read in a child process: the importing process gets the same batches, report and progress, an error in the
child is raised in the importing process, and a child that dies leaves nothing written."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from doralens.domain.events import Failure
from doralens.store.bulk_rows import RowBatch
from doralens.store.sql import SqlEventStore
from doralens.transfer import child, importer
from doralens.transfer.child import ChildBatches, ReaderStopped, read_in_child
from doralens.transfer.importer import ImportOptions, run_import
from doralens.transfer.reading import Counted, ImportReport, read_batches
from tests.builders import deployment_body
from tests.indexes import index_definitions
from tests.transfer.events import sample_bodies, write_ndjson


def _bad_lines(path: Path, count: int) -> Path:
    bodies: list[Any] = sample_bodies()
    for n in range(count):
        bodies.append({"data": {"type": "dora_deployment", "attributes": {"service": f"web-{n}"}}})
    return write_ndjson(path, bodies)


def _without_generated_ids(batches: list[list[RowBatch | Failure]]) -> list[list[RowBatch | Failure]]:
    """The batches with the ids generated for failures sent without one (random) blanked."""
    return [
        [replace(item, id="") if isinstance(item, Failure) and not item.id_given else item for item in batch]
        for batch in batches
    ]


def _in_process(path: Path, options: ImportOptions) -> tuple[list[Any], ImportReport]:
    report = ImportReport()
    with path.open("rb") as stream:
        return list(read_batches(Counted(stream), options, report)), report


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_the_child_reads_what_this_process_reads(tmp_path: Path, skip_invalid: bool) -> None:
    path = _bad_lines(tmp_path / "e.ndjson", 150)
    options = ImportOptions(batch_size=3, skip_invalid=skip_invalid)
    expected, expected_report = _in_process(path, options)
    report = ImportReport()
    with read_in_child(path, options, report) as batches:
        got = list(batches)
        assert batches.consumed == path.stat().st_size
    assert _without_generated_ids(got) == _without_generated_ids(expected)
    assert report == expected_report
    assert (report.rejected, len(report.rejections), report.rejections[0].line) == (150, 100, 9)


def test_an_error_in_the_child_is_raised_here(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text('kind,service,started_at,finished_at\ndeployment,web,1700000000,1700000060\n"deployment,web\n')
    with (
        pytest.raises(Exception, match=r"quot|line|CSV") as caught,
        read_in_child(path, ImportOptions(format="csv"), ImportReport()) as batches,
    ):
        list(batches)
    assert type(caught.value).__name__ == "FormatError"


def _many(path: Path) -> Path:
    """More batches than a pipe holds: the child is still reading when the first one is written."""
    bodies = [deployment_body(id=f"deployment-{n:09d}", version=f"v{n}") for n in range(3000)]
    return write_ndjson(path, bodies)


def test_a_child_killed_half_way_stops_the_import_and_nothing_is_written(
    store: SqlEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(child, "MIN_BYTES", 0)
    started: list[ChildBatches] = []
    real = child.read_in_child

    @contextmanager
    def spied(path: Path, options: ImportOptions, report: ImportReport) -> Iterator[ChildBatches]:
        with real(path, options, report) as batches:
            started.append(batches)
            yield batches

    def write_then_kill(conn: Any, backend: Any, items: Any, **options: Any) -> None:
        write_batch(conn, backend, items, **options)
        started[0].process.kill()
        started[0].process.wait()

    write_batch = importer.write_batch
    monkeypatch.setattr(child, "read_in_child", spied)
    monkeypatch.setattr(importer, "write_batch", write_then_kill)
    before = index_definitions(store)
    with pytest.raises(ReaderStopped):
        run_import(store.backend, _many(tmp_path / "e.ndjson"), ImportOptions(batch_size=1))
    assert store.count_events() == (0, 0)
    assert index_definitions(store) == before


@pytest.mark.usefixtures("reading")
def test_progress_moves_to_the_end_of_the_file(store: SqlEventStore, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "e.ndjson", sample_bodies())
    seen: list[tuple[str, int]] = []
    run_import(store.backend, path, ImportOptions(batch_size=3), lambda phase, done: seen.append((phase, done)))
    done = [d for _, d in seen]
    assert {phase for phase, _ in seen} == {"import"}
    assert done == sorted(done)
    assert done[-1] == path.stat().st_size


@pytest.mark.parametrize("sent", [b"", b"\x05\x00", struct.pack("<Q", 1000), struct.pack("<Q", 1000) + b"\x80" * 10])
def test_a_message_cut_short_stops_the_import_with_why(sent: bytes) -> None:
    """A child that dies while it writes a message (killed, out of memory) leaves a length without all its bytes:
    the import stops with the child's end, never unpickling a part."""
    script = f"import os, sys; sys.stdout.buffer.write({sent!r}); sys.stdout.flush(); os._exit(3)"
    with (
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as process,
        pytest.raises(ReaderStopped, match=r"before its end \(exit status 3\)"),
    ):
        list(ChildBatches(process, ImportReport()))
