"""``doralens import FILE`` and ``doralens export``: events in bulk, as NDJSON create bodies or CSV."""

from __future__ import annotations

import getpass
import socket
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from doralens.cli.common import err, fail, load_settings, opened_store, out
from doralens.cli.importgroup import FILE_COMMAND, import_app
from doralens.domain.timestamps import TimestampError, parse_moment
from doralens.errors import ValidationFailed
from doralens.transfer.csvrows import FormatError
from doralens.transfer.export import write_events
from doralens.transfer.importer import Format, ImportOptions, ImportReport, detect_format, run_import
from doralens.transfer.items import Kind

FormatOption = Annotated[Format | None, typer.Option("--format", help="ndjson or csv; by default from the file name.")]


def _moment(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_moment(text, now=time.time_ns())
    except TimestampError as exc:
        raise fail(f"{option} {exc}", 2) from None


def _print_report(report: ImportReport, path: Path, *, dry_run: bool, skip_invalid: bool) -> None:
    for rejected in report.rejections:
        for problem in rejected.problems:
            where = f"{problem.pointer}: " if problem.pointer else ""
            err.print(f"line {rejected.line}: {where}{problem.detail}", markup=False, highlight=False, soft_wrap=True)
    if report.rejected > len(report.rejections):
        err.print(f"… and {report.rejected - len(report.rejections)} more rejected lines")
    counts = f"{report.deployments:,} deployments and {report.failures:,} failures"
    bad = f"{report.rejected:,} rejected line{'' if report.rejected == 1 else 's'}"
    if dry_run:
        out.print(f"checked {path}: {counts} valid, {bad}; nothing written (--dry-run)", soft_wrap=True)
    elif not report.written:
        hint = "fix them, or import the rest with --skip-invalid"
        out.print(f"nothing imported from {path}: {bad} ({hint})", soft_wrap=True)
    else:
        skipped = f", skipped {bad}" if skip_invalid and report.rejected else ""
        out.print(f"imported {counts} from {path}{skipped}", soft_wrap=True)


def import_file(
    path: Annotated[Path, typer.Argument(help="NDJSON (one create body per line) or CSV file.", dir_okay=False)],
    fmt: FormatOption = None,
    kind: Annotated[
        Kind | None, typer.Option(help="Read every line as this kind (else data.type or the attributes say).")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid lines and report the others.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only validate, and report; write nothing.")] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Events per bulk write (the whole import is one transaction).")
    ] = 10_000,
) -> None:
    """Import events from a file, validated as the API validates them; nothing is written if a line is rejected."""
    if not path.is_file():
        raise fail(f"{path} is not a readable file", 2)
    settings = load_settings()
    options = ImportOptions(
        format=fmt or detect_format(path),
        kind=kind,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        batch_size=batch_size,
        service_teams=settings.service_teams,
        marked_by=f"import ({getpass.getuser()}@{socket.gethostname()})",
    )
    size = path.stat().st_size
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with ExitStack() as stack:
        store = stack.enter_context(opened_store(settings))
        progress = stack.enter_context(Progress(*columns, console=err, transient=True))
        tasks: dict[str, TaskID] = {}

        def advance(phase: str, done: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task("checking" if phase == "check" else "importing", total=size)
            progress.update(tasks[phase], completed=done)

        try:
            report = run_import(store.backend, path, options, advance)
        except FormatError as exc:
            raise fail(str(exc), 2) from None
    _print_report(report, path, dry_run=dry_run, skip_invalid=skip_invalid)
    if report.rejected and not skip_invalid:
        raise typer.Exit(1)


def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; standard output if unset.")
    ] = None,
    fmt: FormatOption = None,
    kind: Annotated[Kind | None, typer.Option(help="Only deployments or only failures.")] = None,
    query: Annotated[str, typer.Option("--query", "-q", help="Datadog search syntax, as in list.")] = "",
    since: Annotated[str | None, typer.Option("--from", help="Deployments finished, failures started, from.")] = None,
    until: Annotated[str | None, typer.Option("--to", help="… up to (RFC 3339, a date, or an age like 7d).")] = None,
) -> None:
    """Export events as NDJSON create bodies or CSV, which `doralens import` reads back unchanged."""
    chosen: Format = fmt or (detect_format(output) if output else "ndjson")
    kinds: tuple[Kind, ...] = (kind,) if kind else ("deployment", "failure")
    start, end = _moment(since, "--from"), _moment(until, "--to")
    counts: Counter[str] = Counter()
    with ExitStack() as stack:
        store = stack.enter_context(opened_store())
        target: BinaryIO = stack.enter_context(output.open("wb")) if output else sys.stdout.buffer
        try:
            write_events(
                store.backend,
                target,
                fmt=chosen,
                kinds=kinds,
                query=query,
                since=start,
                until=end,
                counted=lambda kind: counts.update((kind,)),
            )
        except ValidationFailed as exc:
            raise fail("; ".join(p.detail for p in exc.problems), 2) from None
        target.flush()
    err.print(f"exported {counts['deployment']:,} deployments and {counts['failure']:,} failures")


def register(app: typer.Typer) -> None:
    """Add ``import FILE`` (as ``import file``) and ``export`` to the app."""
    import_app.command(FILE_COMMAND, help="Import events from an NDJSON or CSV file (also: doralens import FILE).")(
        import_file
    )
    app.command("export")(export)
