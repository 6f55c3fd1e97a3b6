"""A thread that keeps derived state fresh between requests, so metric reads seldom have work to do first."""

from __future__ import annotations

import logging
import threading

from doralens.metrics.config import EngineConfig
from doralens.metrics.refresh import refresh
from doralens.store.base import EventStore

log = logging.getLogger("doralens.refresh")


class BackgroundRefresher:
    """Runs ``refresh`` every ``interval`` seconds until stopped, and keeps the planner statistics in step with the
    data where the database does not (SQLite); safe beside other workers doing the same."""

    def __init__(self, *, store: EventStore, config: EngineConfig, interval: float) -> None:
        self._store = store
        self._config = config
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="doralens-refresh", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for the refresh in progress to end: it stops after the stream (lead time)
        or batch of streams (verdicts) it is on, and leaves the rest for the next start."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                report = refresh(store=self._store, config=self._config, stop=self._stop.is_set)
                if self._store.backend.refresh_statistics(if_grown=True):
                    log.info("planner statistics gathered again: the deployments have grown")
            except Exception:
                # A database hiccup must not kill the thread: the next round, or the next read, tries again.
                log.exception("background refresh failed")
                continue
            if report.refreshed:
                log.debug("refreshed %d streams in %.3f s", report.refreshed, report.seconds)
