"""Reading an import file in a child process while the importing process writes: two cores instead of one.

The child reads and validates the file exactly as the importing process would (``reading.read_batches``) and sends
each batch down a pipe with how far into the file it is and what it has counted and rejected so far; the parent
writes a batch while the child reads the next one (a pipe holds little, so the child is never more than a batch
ahead, and memory stays flat). The child writes nothing: a crash of either process leaves the database to the
parent's transaction. An error in the child (a CSV file that breaks half way) is raised again in the parent.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import doralens
from doralens.domain.events import Failure
from doralens.gcpause import automatic_collection_off
from doralens.store.bulk_rows import RowBatch
from doralens.transfer import wire
from doralens.transfer.reading import (
    Counted,
    ImportOptions,
    ImportReport,
    collect_young,
    read_batches,
)

# Below this size a file is read in the importing process: starting a child costs more than it saves.
MIN_BYTES = 8 * 2**20
_LENGTH = struct.Struct("<Q")  # each message: its length, then its bytes


class ReaderStopped(RuntimeError):
    """The child process reading the file ended without finishing it (killed, or out of memory)."""


def _send(out: IO[bytes], payload: bytes) -> None:
    out.write(_LENGTH.pack(len(payload)))
    out.write(payload)
    out.flush()


def _error(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(("error", exc))
    except Exception:  # an exception that does not pickle: its type and message still get through
        return pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def produce(out: IO[bytes], path: str, options: ImportOptions) -> None:
    """The child's work: read the file in batches and send each to ``out``, then ``"end"``; every message with how
    far into the file the child is, the counts so far, and the rejections not sent yet."""
    report = ImportReport()
    try:
        with automatic_collection_off(), open(path, "rb") as stream:
            counted = Counted(stream)
            reported = 0

            def send(kind: str, batch: list[RowBatch | Failure] | None) -> None:
                nonlocal reported
                news, reported = report.rejections[reported:], len(report.rejections)
                counts = (report.deployments, report.failures, report.rejected)
                _send(out, wire.dumps((kind, batch, counted.consumed, counts, news)))

            for n, batch in enumerate(read_batches(counted, options, report), start=1):
                send("batch", batch)
                del batch
                collect_young(n)
            send("end", None)
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent stopped reading: it has failed or finished, and says why itself
    except BaseException as exc:  # everything the parent must raise again
        _send(out, _error(exc))


class ChildBatches:
    """The batches a child process reads, in order, with the report and the progress brought up to date."""

    def __init__(self, process: subprocess.Popen[bytes], report: ImportReport) -> None:
        assert process.stdout is not None
        self.process = process
        self.messages = process.stdout
        self.report = report
        self.consumed = 0

    def _receive(self) -> Any:
        header = self.messages.read(_LENGTH.size)
        size = _LENGTH.unpack(header)[0] if len(header) == _LENGTH.size else 0
        payload = self.messages.read(size) if size else b""
        # A child that dies while writing leaves a message cut short: never hand that to pickle.
        if not payload or len(payload) < size:
            raise ReaderStopped(f"the process reading the file stopped before its end ({self._ended()})")
        return wire.loads(payload)

    def _ended(self) -> str:
        code = self.process.wait()
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"

    def __iter__(self) -> Iterator[list[RowBatch | Failure]]:
        while True:
            message = self._receive()
            if message[0] == "error":
                raise message[1]
            kind, batch, self.consumed, counts, news = message
            self.report.deployments, self.report.failures, self.report.rejected = counts
            self.report.rejections.extend(news)
            if kind == "end":
                return
            yield batch


@contextmanager
def read_in_child(path: Path, options: ImportOptions, report: ImportReport) -> Iterator[ChildBatches]:
    """A child process reading ``path``; stopped (if still running) when the block ends, however it ends."""
    source = str(Path(doralens.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (source, os.environ.get("PYTHONPATH"))))}
    command = [sys.executable, "-m", "doralens.transfer.child", str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env) as process:
        assert process.stdin is not None
        try:
            process.stdin.write(pickle.dumps(replace(options, service_teams=dict(options.service_teams))))
            process.stdin.close()
            yield ChildBatches(process, report)
        finally:
            if process.poll() is None:
                process.kill()


def main() -> None:
    """``python -m doralens.transfer.child FILE``: the options pickled on standard input, the batches out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the child
    options = pickle.loads(sys.stdin.buffer.read())
    produce(sys.stdout.buffer, sys.argv[1], options)


if __name__ == "__main__":
    main()
