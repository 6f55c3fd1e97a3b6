"""``doralens serve`` (the default command, with ``--demo`` to try it on demo data), ``migrate`` and ``version``."""

from __future__ import annotations

import copy
import os
import signal
import tempfile
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

import doralens
from doralens.bootstrap import ensure_keys
from doralens.cli.common import err, fail, load_settings, opened_store, out
from doralens.cli.demo import DaysOption, SeedOption, describe, fill_empty
from doralens.config import Settings, redact_url
from doralens.errors import DoralensError
from doralens.prometheus.multiproc import shared_counters

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address [DORALENS_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [DORALENS_PORT].")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [DORALENS_WORKERS].")] = None,
    certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM) [DORALENS_TLS_CERTFILE].")] = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM) [DORALENS_TLS_KEYFILE].")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL [DORALENS_DATABASE_URL]; with --demo, an empty one to fill.")
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Serve generated demo data from a throwaway SQLite database.")
    ] = False,
    demo_seed: SeedOption = 7,
    demo_days: DaysOption = 120,
) -> None:
    """Migrate the database, make sure keys exist, and serve the API."""
    with ExitStack() as cleanup:
        if demo and database_url is None:
            # Removed when the server stops: the database and the demo's git repositories.
            directory = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="doralens-demo-")))
            database_url = f"sqlite:///{directory / 'demo.db'}"
            # uvicorn re-raises SIGTERM once it has drained: exit through Python so the directory goes too.
            signal.signal(signal.SIGTERM, _exit_on_signal)
        settings = load_settings(
            host=host,
            port=port,
            workers=workers,
            tls_certfile=certfile,
            tls_keyfile=keyfile,
            database_url=database_url,
        )
        _serve(settings, demo=(demo_seed, demo_days) if demo else None)


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _serve(settings: Settings, *, demo: tuple[int, int] | None) -> None:
    import uvicorn

    with opened_store(settings) as store:
        summary = fill_empty(store, settings, seed=demo[0], days=demo[1]) if demo else None
        store.backend.refresh_statistics()
        try:
            new_keys = ensure_keys(store, settings)
        except DoralensError as exc:
            raise fail(str(exc)) from None
    err.print(f"database {redact_url(settings.database_url)} is ready")
    if summary is not None:
        out.print(describe(summary), highlight=False, soft_wrap=True)
        if not new_keys:
            out.print("keys: the ones set in DORALENS_API_KEY and DORALENS_APP_KEY")
    for key in new_keys:
        label = "API key (DD_API_KEY)" if key.kind == "api" else "application key (DD_APP_KEY)"
        out.print(f"created {label}: [bold]{key.secret}[/bold]  (shown once; `doralens keys` manages keys)")
    scheme = "https" if settings.tls_certfile else "http"
    err.print(f"doralens {doralens.__version__} serving on {scheme}://{settings.host}:{settings.port}")
    if summary is not None:
        out.print(
            f"dashboard: [bold]{scheme}://{settings.host}:{settings.port}/[/bold]", highlight=False, soft_wrap=True
        )
    if (warning := open_metrics_warning(settings)) is not None:
        err.print(warning)
    # Worker processes rebuild their settings from the environment.
    os.environ["DORALENS_DATABASE_URL"] = settings.database_url
    with shared_counters(settings.workers):
        uvicorn.run(
            "doralens.api.app:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            ssl_certfile=str(settings.tls_certfile) if settings.tls_certfile else None,
            ssl_keyfile=str(settings.tls_keyfile) if settings.tls_keyfile else None,
            log_level=settings.log_level,
            log_config=server_log_config(settings.log_level),
            timeout_graceful_shutdown=30,
            proxy_headers=True,
            server_header=False,
        )


def server_log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration, with doralens's own loggers (webhook deliveries, a long refresh's progress,
    mirrors cloned) printed like uvicorn's lines from ``level`` up, in every worker."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["doralens"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def open_metrics_warning(settings: Settings) -> str | None:
    """What to say when ``/metrics`` is open on an address other machines may reach."""
    if settings.metrics_token is not None or settings.host in LOOPBACK:
        return None
    return f"GET /metrics is open to anyone who reaches {settings.host}: DORALENS_METRICS_TOKEN protects it"


def migrate() -> None:
    """Apply pending database migrations."""
    from doralens.store.factory import open_store

    settings = load_settings()
    store = open_store(settings.database_url)
    try:
        applied = store.migrate()
    except DoralensError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    out.print(f"applied {', '.join(applied)}" if applied else "the schema is up to date")


def version() -> None:
    """Print the version."""
    out.print(doralens.__version__)


def register(app: typer.Typer) -> None:
    """Add these commands to the app; ``serve`` also runs when no command is given."""
    app.command()(serve)
    app.command()(migrate)
    app.command()(version)

    @app.callback(invoke_without_command=True)
    def default(ctx: typer.Context) -> None:
        """Without a command, serve."""
        if ctx.invoked_subcommand is None:
            ctx.invoke(serve)
