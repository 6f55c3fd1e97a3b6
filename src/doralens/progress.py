"""How far a long piece of work has got, told in the log: nothing for work that ends quickly, then a line every
so often, and one at the end.

The first refresh after a large import recomputes every stream and can take minutes; a server's operator (and a
command's user) otherwise sees nothing until it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

# Seconds between two lines; work that ends sooner logs nothing at all.
EVERY_SECONDS = 10.0


class ProgressLog:
    """Counts ``done`` of ``total`` and logs at INFO once ``every`` seconds have passed since the start or the
    last line; ``finish`` logs the end, but only when a line was logged before."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        total: int,
        unit: str,
        *,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log, self._what, self._unit = log, what, unit
        self.total = total
        self.done = 0
        self.logged = False
        self._every = EVERY_SECONDS if every is None else every
        self._clock = clock
        self._started = self._last = clock()

    def advance(self, count: int = 1) -> None:
        """``count`` more done; a line if ``every`` seconds passed since the last one."""
        self.done += count
        now = self._clock()
        if now - self._last >= self._every:
            self._last = now
            self.logged = True
            self._log.info(
                "%s: %d of %d %s, %.0f s so far", self._what, self.done, self.total, self._unit, now - self._started
            )

    def finish(self) -> None:
        """The closing line of work that logged its progress."""
        if self.logged:
            self._log.info(
                "%s: %d of %d %s in %.1f s",
                self._what,
                self.done,
                self.total,
                self._unit,
                self._clock() - self._started,
            )
