"""Where several worker processes keep their counters, so that any one of them can answer a scrape for all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from doralens.prometheus.telemetry import MULTIPROC_ENV, clear_multiprocess_dir


@contextmanager
def shared_counters(workers: int) -> Iterator[Path | None]:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` for the workers about to start, when there are several of them.

    A directory given in the environment is used (for any number of workers) and its counter files of an earlier
    run are removed first; otherwise several workers get a fresh temporary directory, removed afterwards. One
    worker without the variable needs none: its counters stay in memory.
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        clear_multiprocess_dir(Path(given))
        yield Path(given)
        return
    if workers <= 1:
        yield None
        return
    path = Path(tempfile.mkdtemp(prefix="doralens-prometheus-"))
    os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)
