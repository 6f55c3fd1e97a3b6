"""Importing a file of events: read, validate as the API does, and write in batches, all in one transaction.

Semantics: by default nothing is written when any line is rejected (the transaction is rolled back, and the rest of
the file is still checked so that every rejected line is reported); with ``skip_invalid`` the valid lines are
written and the rejected ones reported. The import is acknowledged only after its one commit. A line with an id
updates the event of that id, a deployment without one gets an id derived from its line, and a failure without one
is merged as the API merges it (same env, service or team, and start), so importing a file again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

from doralens.domain.events import Failure
from doralens.gcpause import automatic_collection_off
from doralens.store.bulk import holds_deployments, write_deployments
from doralens.store.bulk_failures import write_failures
from doralens.store.bulk_indexes import IndexDeferral
from doralens.store.bulk_rows import RowBatch
from doralens.store.dialect import Backend
from doralens.store.failures_sql import record_failure_in
from doralens.transfer import child
from doralens.transfer.reading import (
    Counted,
    Format,
    ImportOptions,
    ImportReport,
    Rejected,
    collect_young,
    count,
    read_batches,
    read_items,
)
from doralens.transfer.reading import detect_format as detect_format

__all__ = ["Format", "ImportOptions", "ImportReport", "Progress", "Rejected", "detect_format", "run_import"]

Progress = Callable[[str, int], None]  # phase ("check" or "import"), bytes of the file read so far


def write_batch(conn: Any, backend: Backend, items: Sequence[RowBatch | Failure], *, fresh: bool = False) -> None:
    """Write a batch (grouped by ``group_rows``) in the caller's transaction: deployments and failures with an id in
    bulk, failures without one one by one in order. ``fresh``: no deployment was stored when the transaction began
    (see ``write_deployments``)."""
    pending_rows: RowBatch | None = None
    pending_failures: list[Failure] = []

    def flush() -> None:
        nonlocal pending_rows
        # Stamped when written, not when the batch began: a failure without an id merges into the earliest
        # received failure holding its key, so a failure written after one of those must not look received before
        # it. The rows of a flush take now + 0, 1, 2... ns, and writing them takes longer than that.
        now = time.time_ns()
        if pending_rows is not None:
            write_deployments(conn, backend, pending_rows, now, fresh=fresh)
        write_failures(conn, backend, pending_failures, now)
        pending_rows = None
        pending_failures.clear()

    for item in items:
        if isinstance(item, RowBatch):
            if pending_rows is not None:
                flush()
            pending_rows = item
        elif item.id_given:
            pending_failures.append(item)
        else:
            flush()  # it may merge into a failure written earlier in the batch
            record_failure_in(conn, backend, item)
    flush()


def _check(path: Path, options: ImportOptions, progress: Progress) -> ImportReport:
    """Validate every line, writing nothing."""
    report = ImportReport()
    with path.open("rb") as stream:
        counted = Counted(stream)
        for n, item in enumerate(read_items(counted, options)):
            count(report, item)
            if n % 1000 == 0:
                progress("check", counted.consumed)
                if n % 10_000 == 0:
                    collect_young(n // 10_000)
        progress("check", counted.consumed)
    return report


class _Refused(Exception):
    """A line was rejected and invalid lines are not skipped: roll the import back."""


def _write(
    backend: Backend,
    batches: Iterator[list[RowBatch | Failure]],
    refused: Callable[[], bool],
    progress: Callable[[], None],
) -> None:
    """Write every batch in one transaction (all or nothing), with a big import's indexes built once at the end."""
    with backend.bulk_load(), backend.write() as conn:
        deferral = IndexDeferral(conn, backend)
        fresh = not holds_deployments(conn)
        for n, batch in enumerate(batches, start=1):
            deployments = sum(len(item.rows) for item in batch if isinstance(item, RowBatch))
            write_batch(conn, backend, batch, fresh=fresh)
            deferral.wrote("deployment", deployments)
            deferral.wrote("failure", sum(isinstance(item, Failure) for item in batch))
            progress()
            collect_young(n)
        if refused():
            raise _Refused
        deferral.rebuild()


class _Batches(Protocol):
    """Batches of valid items, and how many bytes of the file are read so far."""

    @property
    def consumed(self) -> int: ...

    def __iter__(self) -> Iterator[list[RowBatch | Failure]]: ...


class _InProcess:
    """The batches of a file read in this process."""

    def __init__(self, stream: IO[bytes], options: ImportOptions, report: ImportReport) -> None:
        self.counted = Counted(stream)
        self.batches = read_batches(self.counted, options, report)

    @property
    def consumed(self) -> int:
        return self.counted.consumed

    def __iter__(self) -> Iterator[list[RowBatch | Failure]]:
        return self.batches


@contextmanager
def _reading(path: Path, options: ImportOptions, report: ImportReport) -> Iterator[_Batches]:
    """A large file's batches from a child process, which reads the next batch while this one writes; a small
    file's from this process."""
    if path.stat().st_size >= child.MIN_BYTES:
        with child.read_in_child(path, options, report) as batches:
            yield batches
    else:
        with path.open("rb") as stream:
            yield _InProcess(stream, options, report)


def run_import(
    backend: Backend, path: Path, options: ImportOptions, progress: Progress = lambda _phase, _done: None
) -> ImportReport:
    """Import a file in one pass and one transaction: validate each line and write the valid ones in batches; a
    rejected line (unless skipping invalid lines) rolls everything back. A dry run only validates."""
    with automatic_collection_off():
        if options.dry_run:
            return _check(path, options, progress)
        report = ImportReport()
        with _reading(path, options, report) as batches:
            try:
                _write(
                    backend,
                    iter(batches),
                    lambda: bool(report.rejected) and not options.skip_invalid,
                    lambda: progress("import", batches.consumed),
                )
            except _Refused:
                return report
        report.written = True
        return report
