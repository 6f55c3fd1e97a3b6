"""Importing a file of events: read, validate as the API does, and write in batches, all in one transaction.

Semantics: by default nothing is written when any line is rejected (the transaction is rolled back, and the rest of
the file is still checked so that every rejected line is reported); with ``skip_invalid`` the valid lines are
written and the rejected ones reported. The import is acknowledged only after its one commit. A line with an id
updates the event of that id, a deployment without one gets an id derived from its line, and a failure without one
is merged as the API merges it (same env, service or team, and start), so importing a file again changes nothing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from doralens.domain.events import ChangeFailureMark, Deployment, Failure
from doralens.errors import FieldProblem, ValidationFailed
from doralens.store.bulk import write_deployments
from doralens.store.bulk_failures import write_failures
from doralens.store.bulk_indexes import IndexDeferral
from doralens.store.dialect import Backend
from doralens.store.failures_sql import record_failure_in
from doralens.transfer.csvrows import column_problems, read_rows
from doralens.transfer.items import Item, Kind, parse_item
from doralens.transfer.ndjson import read_lines

Format = Literal["ndjson", "csv"]
Progress = Callable[[str, int], None]  # phase ("check" or "import"), bytes of the file read so far
MAX_REPORTED = 100


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that was not imported, and why (one problem per field)."""

    line: int
    problems: tuple[FieldProblem, ...]


@dataclass
class ImportReport:
    """What an import read, wrote and rejected (the first ``MAX_REPORTED`` rejected lines in detail)."""

    deployments: int = 0
    failures: int = 0
    rejected: int = 0
    rejections: list[Rejected] = field(default_factory=list)
    written: bool = False

    def reject(self, rejected: Rejected) -> None:
        """Count a rejected line, keeping its details while there are few."""
        self.rejected += 1
        if len(self.rejections) < MAX_REPORTED:
            self.rejections.append(rejected)


@dataclass(frozen=True)
class ImportOptions:
    """How to read and write: the kind when the file does not say, and the semantics' switches."""

    format: Format = "ndjson"
    kind: Kind | None = None
    skip_invalid: bool = False
    dry_run: bool = False
    batch_size: int = 10_000
    service_teams: Mapping[str, str] = field(default_factory=dict)
    marked_by: str = "import"


def detect_format(path: Path) -> Format:
    """The format a file name suggests: ``.csv`` is CSV, anything else NDJSON."""
    return "csv" if path.suffix.lower() == ".csv" else "ndjson"


class _Counted:
    """Lines of a binary file, counting the bytes handed out."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.consumed = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self.stream:
            self.consumed += len(line)
            yield line

    def text(self) -> Iterator[str]:
        """The same lines decoded (CSV), a line that is not UTF-8 shown with replacement characters."""
        for line in self:
            yield line.decode("utf-8", "replace")


def _items(counted: _Counted, options: ImportOptions) -> Iterator[Item | Rejected]:
    now = time.time_ns()
    csv = options.format == "csv"
    source = read_rows(counted.text()) if csv else read_lines(counted)  # type: ignore[arg-type]
    for line, raw, body in source:
        try:
            if isinstance(body, ValidationFailed):
                raise body
            yield parse_item(
                body,
                raw,
                line,
                kind=options.kind,
                service_teams=options.service_teams,
                marked_by=options.marked_by,
                now=now,
            )
        except ValidationFailed as exc:
            yield Rejected(line, tuple((column_problems(exc) if csv else exc).problems))


def write_batch(conn: Any, backend: Backend, items: list[Item]) -> None:
    """Write a batch in the caller's transaction: in bulk, but for failures without an id, one by one in order."""
    now = time.time_ns()
    pending_deployments: list[tuple[Deployment, ChangeFailureMark | None]] = []
    pending_failures: list[Failure] = []

    def flush() -> None:
        write_deployments(conn, backend, pending_deployments, now)
        write_failures(conn, backend, pending_failures, now)
        pending_deployments.clear()
        pending_failures.clear()

    for item in items:
        event = item.event
        if isinstance(event, Deployment):
            pending_deployments.append((event, item.mark))
        elif event.id_given:
            pending_failures.append(event)
        else:
            flush()  # it may merge into a failure written earlier in the batch
            record_failure_in(conn, backend, event)
    flush()


def _check(path: Path, options: ImportOptions, progress: Progress) -> ImportReport:
    """Validate every line, writing nothing."""
    report = ImportReport()
    with path.open("rb") as stream:
        counted = _Counted(stream)
        for n, item in enumerate(_items(counted, options)):
            _count(report, item)
            if n % 1000 == 0:
                progress("check", counted.consumed)
                if n % 10_000 == 0:
                    gc.collect(1)
        progress("check", counted.consumed)
    return report


def _count(report: ImportReport, item: Item | Rejected) -> None:
    if isinstance(item, Rejected):
        report.reject(item)
    elif isinstance(item.event, Deployment):
        report.deployments += 1
    else:
        report.failures += 1


@contextmanager
def _collect_per_batch() -> Iterator[None]:
    """Automatic garbage collection off while the import runs (each batch allocates many objects, none of them in
    cycles worth chasing); the callers collect the young generations once per batch instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Refused(Exception):
    """A line was rejected and invalid lines are not skipped: roll the import back."""


def _write(
    backend: Backend, batches: Iterator[list[Item]], refused: Callable[[], bool], progress: Callable[[], None]
) -> None:
    """Write every batch in one transaction (all or nothing), with a big import's indexes built once at the end."""
    with backend.bulk_load(), backend.write() as conn:
        deferral = IndexDeferral(conn, backend)
        for batch in batches:
            deployments = sum(isinstance(item.event, Deployment) for item in batch)
            write_batch(conn, backend, batch)
            deferral.wrote("deployment", deployments)
            deferral.wrote("failure", len(batch) - deployments)
            progress()
            gc.collect(1)
        if refused():
            raise _Refused
        deferral.rebuild()


def _read_batches(counted: _Counted, options: ImportOptions, report: ImportReport) -> Iterator[list[Item]]:
    """Batches of valid items; without ``skip_invalid``, empty ones after the first rejected line (the rest is only
    checked, so that every rejection is reported, and the progress still moves)."""
    batch: list[Item] = []
    seen = 0
    for item in _items(counted, options):
        _count(report, item)
        seen += 1
        if isinstance(item, Item) and (options.skip_invalid or not report.rejected):
            batch.append(item)
        if seen >= options.batch_size:
            yield batch if options.skip_invalid or not report.rejected else []
            batch, seen = [], 0
    if options.skip_invalid or not report.rejected:
        yield batch


def run_import(
    backend: Backend, path: Path, options: ImportOptions, progress: Progress = lambda _phase, _done: None
) -> ImportReport:
    """Import a file in one pass and one transaction: validate each line and write the valid ones in batches; a
    rejected line (unless skipping invalid lines) rolls everything back. A dry run only validates."""
    with _collect_per_batch():
        if options.dry_run:
            return _check(path, options, progress)
        report = ImportReport()
        with path.open("rb") as stream:
            counted = _Counted(stream)
            try:
                _write(
                    backend,
                    _read_batches(counted, options, report),
                    lambda: bool(report.rejected) and not options.skip_invalid,
                    lambda: progress("import", counted.consumed),
                )
            except _Refused:
                return report
        report.written = True
        return report
