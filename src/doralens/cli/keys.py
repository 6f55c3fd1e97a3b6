"""``doralens keys``: create, list and revoke API and application keys (only hashes are stored)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from doralens.bootstrap import create_key
from doralens.cli.common import err, fail, opened_store, out, when
from doralens.store.base import KeyKind

app = typer.Typer(help="Create, list and revoke API and application keys.", no_args_is_help=True)


@app.command("create")
def keys_create(
    kind: Annotated[str, typer.Option(help="api (send events) or app (read and manage).")] = "api",
    name: Annotated[str, typer.Option(help="A label to tell keys apart.")] = "created from the CLI",
) -> None:
    """Create a key and print it once."""
    if kind not in ("api", "app"):
        raise fail("--kind must be api or app", 2)
    key_kind: KeyKind = "api" if kind == "api" else "app"
    with opened_store() as store:
        key = create_key(store, kind=key_kind, name=name)
    err.print(f"created {kind} key {key.id} (this is the only time it is shown):")
    out.print(key.secret, highlight=False)


@app.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    with opened_store() as store:
        records = store.list_keys()
    table = Table("id", "kind", "name", "ends with", "created (UTC)", "revoked (UTC)")
    for r in records:
        table.add_row(r.id, r.kind, r.name, f"…{r.last4}", when(r.created_at), when(r.revoked_at))
    out.print(table)


@app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The id shown by `doralens keys list`.")]) -> None:
    """Revoke a key; it stops working within seconds on every worker."""
    with opened_store() as store:
        found = store.revoke_key(key_id)
    if not found:
        raise fail(f"no key with id {key_id}")
    out.print(f"revoked {key_id}")
