"""``doralens demo``: fill the configured database with demo history; ``serve --demo`` uses a throwaway one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from doralens.cli.common import err, fail, load_settings, opened_store, out
from doralens.config import Settings, redact_url
from doralens.store.base import EventStore

if TYPE_CHECKING:
    from doralens.demo import DemoSummary

SeedOption = Annotated[int, typer.Option(help="Seed of the generator: the same seed gives the same history.")]
DaysOption = Annotated[int, typer.Option(min=14, max=730, help="Days of history, ending now.")]


def fill_empty(store: EventStore, settings: Settings, *, seed: int, days: int) -> DemoSummary:
    """Fill the store with the demo, refusing (exit 1) when it already holds events: the demo never mixes in."""
    deployments, failures = store.count_events()
    if deployments or failures:
        raise fail(
            f"{redact_url(settings.database_url)} already holds {deployments} deployments and {failures} failures; "
            "the demo only fills an empty database. Point DORALENS_DATABASE_URL at a new one, or run "
            "`doralens serve --demo`, which uses a throwaway database."
        )
    err.print(f"generating {days} days of demo history (seed {seed})…")
    from doralens.demo import fill  # the generator loads only when asked for: every command pays an import

    return fill(store, settings, seed=seed, days=days)


def describe(summary: DemoSummary) -> str:
    """One paragraph saying what the demo holds."""
    return (
        f"demo data: {summary.deployments} deployments and {summary.failures} failures of {summary.services} "
        f"services in {summary.teams} teams over {summary.days} days; {summary.commits} commits in the git "
        f"repositories under {summary.git_path}"
    )


def demo(seed: SeedOption = 7, days: DaysOption = 120) -> None:
    """Fill the configured database (DORALENS_DATABASE_URL) with generated demo history, then exit."""
    settings = load_settings()
    with opened_store(settings) as store:
        summary = fill_empty(store, settings, seed=seed, days=days)
    out.print(describe(summary), highlight=False, soft_wrap=True)
    out.print("serve it with `doralens serve`, or look with `doralens metrics --group-by team`", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command()(demo)
