"""What every command shares: consoles, settings loading, opening the store, failing with a message."""

from __future__ import annotations

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
    """The configured store, migrated, closed afterwards; domain errors become a clean exit 1."""
    store = open_store((settings or load_settings()).database_url)
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
