"""Shared benchmark helpers: fresh databases on each backend, timing, JSON reports."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from doralens.store.postgres import sqlalchemy_url

ADMIN_URL = os.environ.get("DORALENS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A new empty database URL on ``sqlite`` or ``postgres``, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="doralens-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"doralens_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sqlalchemy_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(sqlalchemy_url(ADMIN_URL))
            .set(database=name, drivername="postgresql")
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class KeptAlive:
    """GET requests over one persistent HTTP/1.1 connection, with the standard library's client: its own cost is
    tens of microseconds a request, so a timing is the server's."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=600)

    def get(self, path: str, params: dict[str, str], headers: dict[str, str]) -> bytes:
        """The body of a 200 answer (anything else raises)."""
        self._conn.request("GET", f"{path}?{urlencode(params, doseq=True)}", headers=headers)
        response = self._conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:500]!r}")
        return body

    def __enter__(self) -> KeptAlive:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._conn.close()


def timings_ms(run: Callable[[], object], repeat: int, warmup: int = 3) -> list[float]:
    """Wall-clock times of ``repeat`` calls after ``warmup`` untimed ones, in milliseconds."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def paired_timings_ms(
    first: Callable[[], object], second: Callable[[], object], repeat: int, warmup: int = 3
) -> tuple[list[float], list[float]]:
    """Times of ``first`` and ``second`` called in turn, so both see the same machine load, in milliseconds."""
    for _ in range(warmup):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            run()
            out.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    """p50, p95 and mean of a list of timings."""
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def report(name: str, result: dict[str, Any]) -> None:
    """Print the result as JSON and keep it under bench/results/."""
    RESULTS.mkdir(exist_ok=True)
    text_out = json.dumps(result, indent=2)
    (RESULTS / f"{name}.json").write_text(text_out + "\n")
    print(text_out)
    sys.stdout.flush()


def _peak_kib(pid: int) -> int:
    """The process's own peak resident memory so far (VmHWM), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def _tree(pid: int) -> list[int]:
    """A process and its descendants (Linux: /proc/PID/task/*/children)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found.extend(_tree(int(child)))
    except OSError:
        pass
    return found


class TreeMemory:
    """The peak resident memory of a process, and of it and its descendants together, read from each process's own
    high-water mark (VmHWM) every 50 ms while it runs. ``wait4``'s ``ru_maxrss`` is no measure of a child alone on
    Linux: the high-water mark of the process that started it carries over across fork and exec."""

    def __init__(self, pid: int) -> None:
        self._peaks: dict[int, int] = {}
        self._pid = pid
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            for pid in _tree(self._pid):
                self._peaks[pid] = max(self._peaks.get(pid, 0), _peak_kib(pid))

    def stop(self) -> tuple[float, float]:
        """Stop sampling: the process's peak, and the sum of its and its descendants' peaks (an upper bound of their
        peak together), in MB."""
        self._done.set()
        self._thread.join()
        return round(self._peaks.get(self._pid, 0) / 1024, 1), round(sum(self._peaks.values()) / 1024, 1)
