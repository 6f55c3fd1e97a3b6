"""What every command shares: consoles, settings loading, opening the store, its log lines, failing with a message."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console

from doralens.config import Settings
from doralens.errors import ConfigError, DoralensError
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore

out = Console()
err = Console(stderr=True)


class _ErrorConsoleHandler(logging.Handler):
    """Log lines printed on the error console as they are (it finds the process's standard error when it prints)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            err.print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:
            self.handleError(record)


_LOG_HANDLER = _ErrorConsoleHandler()


def log_to_stderr(level: str) -> None:
    """Print doralens's own log lines from ``level`` up on standard error: a long refresh's progress, a mirror
    cloned. Without a handler Python would print only warnings, and those without formatting."""
    logger = logging.getLogger("doralens")
    if _LOG_HANDLER not in logger.handlers:
        logger.addHandler(_LOG_HANDLER)
    logger.setLevel(level.upper())


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment plus command-line overrides; exit 2 with the reason when invalid."""
    try:
        return Settings.from_env().with_overrides(**overrides)
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error and return the exit to raise."""
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@contextmanager
def opened_store(settings: Settings | None = None) -> Iterator[SqlEventStore]:
    """The configured store, migrated, closed afterwards, with doralens's log lines on standard error at the
    configured level; domain errors become a clean exit 1."""
    settings = settings or load_settings()
    log_to_stderr(settings.log_level)
    store = open_store(settings.database_url)
    try:
        store.migrate()
        yield store
    except DoralensError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()


def when(ns: int | None) -> str:
    """A UTC time for tables, or an empty cell."""
    return "" if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
