"""The ``doralens`` command: serve, migrate and manage keys (more commands join as the product grows)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

import doralens
from doralens.bootstrap import create_key, ensure_keys
from doralens.config import Settings, redact_url
from doralens.errors import ConfigError, DoralensError
from doralens.store.base import KeyKind
from doralens.store.factory import open_store

app = typer.Typer(help="doralens: self-hosted DORA metrics with a Datadog-compatible API.", no_args_is_help=False)
keys_app = typer.Typer(help="Create, list and revoke API and application keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
out = Console()
err = Console(stderr=True)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env().with_overrides(**overrides)
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def _fail(exc: DoralensError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    """Without a command, serve."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address [DORALENS_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [DORALENS_PORT].")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [DORALENS_WORKERS].")] = None,
    certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM) [DORALENS_TLS_CERTFILE].")] = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM) [DORALENS_TLS_KEYFILE].")] = None,
) -> None:
    """Migrate the database, make sure keys exist, and serve the API."""
    import uvicorn

    settings = _settings(host=host, port=port, workers=workers, tls_certfile=certfile, tls_keyfile=keyfile)
    store = open_store(settings.database_url)
    try:
        applied = store.migrate()
        new_keys = ensure_keys(store, settings)
    except DoralensError as exc:
        raise _fail(exc) from None
    finally:
        store.close()
    if applied:
        err.print(f"migrated {redact_url(settings.database_url)} to {applied[-1]}")
    for key in new_keys:
        label = "API key (DD_API_KEY)" if key.kind == "api" else "application key (DD_APP_KEY)"
        out.print(f"created {label}: [bold]{key.secret}[/bold]  (shown once; `doralens keys` manages keys)")
    scheme = "https" if settings.tls_certfile else "http"
    err.print(f"doralens {doralens.__version__} serving on {scheme}://{settings.host}:{settings.port}")
    os.environ["DORALENS_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "doralens.api.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        ssl_certfile=str(settings.tls_certfile) if settings.tls_certfile else None,
        ssl_keyfile=str(settings.tls_keyfile) if settings.tls_keyfile else None,
        log_level=settings.log_level,
        timeout_graceful_shutdown=30,
        proxy_headers=True,
        server_header=False,
    )


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    store = open_store(settings.database_url)
    try:
        applied = store.migrate()
    except DoralensError as exc:
        raise _fail(exc) from None
    finally:
        store.close()
    out.print(f"applied {', '.join(applied)}" if applied else "the schema is up to date")


@keys_app.command("create")
def keys_create(
    kind: Annotated[str, typer.Option(help="api (send events) or app (read and manage).")] = "api",
    name: Annotated[str, typer.Option(help="A label to tell keys apart.")] = "created from the CLI",
) -> None:
    """Create a key and print it once."""
    if kind not in ("api", "app"):
        err.print("[red]error:[/red] --kind must be api or app")
        raise typer.Exit(2)
    key_kind: KeyKind = "api" if kind == "api" else "app"
    settings = _settings()
    store = open_store(settings.database_url)
    try:
        store.migrate()
        key = create_key(store, kind=key_kind, name=name)
    finally:
        store.close()
    err.print(f"created {kind} key {key.id} (this is the only time it is shown):")
    out.print(key.secret, highlight=False)


def _when(ns: int | None) -> str:
    return "" if ns is None else datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    settings = _settings()
    store = open_store(settings.database_url)
    try:
        store.migrate()
        records = store.list_keys()
    finally:
        store.close()
    table = Table("id", "kind", "name", "ends with", "created (UTC)", "revoked (UTC)")
    for r in records:
        table.add_row(r.id, r.kind, r.name, f"…{r.last4}", _when(r.created_at), _when(r.revoked_at))
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The id shown by `doralens keys list`.")]) -> None:
    """Revoke a key; it stops working within seconds on every worker."""
    settings = _settings()
    store = open_store(settings.database_url)
    try:
        store.migrate()
        found = store.revoke_key(key_id)
    finally:
        store.close()
    if not found:
        err.print(f"[red]error:[/red] no key with id {key_id}")
        raise typer.Exit(1)
    out.print(f"revoked {key_id}")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(doralens.__version__)


def main() -> None:
    """Entry point of the console script."""
    app()
