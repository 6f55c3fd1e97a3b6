"""Reading an import file: each line validated as the API validates it, into batches of valid items, with a report
of what was read and rejected. It writes nothing, so it runs in the importing process or in a child process of it
(``transfer.child``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from doralens.domain.events import Deployment, Failure
from doralens.errors import FieldProblem, ValidationFailed
from doralens.store.bulk_rows import RowBatch
from doralens.transfer.csvrows import column_problems, read_rows
from doralens.transfer.items import Item, Kind, Writable, for_writing, group_rows, parse_item
from doralens.transfer.ndjson import read_lines

Format = Literal["ndjson", "csv"]
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


class Counted:
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


def read_items(counted: Counted, options: ImportOptions) -> Iterator[Item | Rejected]:
    """Every line that is not blank, as a valid item or a rejection."""
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


def count(report: ImportReport, item: Item | Rejected) -> None:
    """Add an item or a rejection to the report."""
    if isinstance(item, Rejected):
        report.reject(item)
    elif isinstance(item.event, Deployment):
        report.deployments += 1
    else:
        report.failures += 1


def read_batches(counted: Counted, options: ImportOptions, report: ImportReport) -> Iterator[list[RowBatch | Failure]]:
    """Batches of valid items as the import writes them (``group_rows``); without ``skip_invalid``, empty ones after
    the first rejected line (the rest is only checked, so that every rejection is reported, and the progress still
    moves)."""
    batch: list[Writable] = []
    seen = 0
    for item in read_items(counted, options):
        count(report, item)
        seen += 1
        if isinstance(item, Item) and (options.skip_invalid or not report.rejected):
            batch.append(for_writing(item))
        if seen >= options.batch_size:
            yield group_rows(batch) if options.skip_invalid or not report.rejected else []
            batch, seen = [], 0
    if options.skip_invalid or not report.rejected:
        yield group_rows(batch)


# Batches between two collections of the young generations. A collection walks the objects still alive, which are
# the current batch's whatever the interval: once a batch it cost the writing process 2 s at a million events.
COLLECT_EVERY = 10


def collect_young(batches: int) -> None:
    """Collect the young generations once every ``COLLECT_EVERY`` batches (``batches``: how many were handled)."""
    if batches % COLLECT_EVERY == 0:
        gc.collect(1)
