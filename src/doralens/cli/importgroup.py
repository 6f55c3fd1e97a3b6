"""``doralens import``: a group whose first argument is either a subcommand (``git``) or a file to import."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

FILE_COMMAND = "file"


class ImportGroup(TyperGroup):
    """``doralens import FILE`` means ``doralens import file FILE``; ``doralens import git …`` stays a subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Route an argument that names no subcommand (nor asks for help) to the file importer."""
        # ``ctx`` is the click context of whichever click typer bundles: typed loosely to fit either.
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [FILE_COMMAND, *args]
        return super().parse_args(ctx, args)


import_app = typer.Typer(
    cls=ImportGroup,
    help="Import events: `doralens import FILE` (NDJSON or CSV), or backfill with `doralens import git`.",
    no_args_is_help=True,
)
