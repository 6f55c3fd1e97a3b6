"""The ``doralens`` command. Every subcommand calls the same domain and store functions as the HTTP API."""

from __future__ import annotations

import typer

from doralens.cli import demo, events, importgit, keys, metrics, send, server, transfer

app = typer.Typer(help="doralens: self-hosted DORA metrics with a Datadog-compatible API.", no_args_is_help=False)
app.add_typer(keys.app, name="keys")
app.add_typer(events.deployments_app, name="deployments")
app.add_typer(events.failures_app, name="failures")
send.register(app)
server.register(app)
metrics.register(app)
transfer.register(app)
importgit.register(app)
demo.register(app)


def main() -> None:
    """Entry point of the console script."""
    app()
