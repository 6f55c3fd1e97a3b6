"""Schema migrations (Alembic, numbered revisions under ``migrations/versions``), run at start and by the CLI."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

SCRIPT_LOCATION = "doralens.store:migrations"


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "no migrations found in the package"
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection) -> list[str]:
    """Bring the schema to the newest revision inside the caller's transaction; return revisions applied."""
    before = current_revision(conn)
    script = ScriptDirectory.from_config(_config())
    command.upgrade(_config(conn), "head")
    walked = script.walk_revisions(base=before or "base", head="heads")
    return [rev.revision for rev in reversed(list(walked)) if rev.revision != before]
