"""Secondary indexes set aside while a large import loads a table, and built again, from the schema, before it commits.

Inserting a million rows with random keys into a table with ten indexes updates each index at a random page per
row; once the indexes outgrow the page cache every row costs disk reads and the whole load slows tenfold. Building an
index once sorts its entries instead. Both the drop and the rebuild run in the import's own transaction (DDL is
transactional on SQLite and PostgreSQL): readers keep seeing the old table with its indexes, and a failure anywhere
rolls the indexes back with the rows, so nothing is half-imported and no index is ever lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Index, Table, func, inspect, select
from sqlalchemy.schema import CreateIndex, DropIndex

from doralens.store.dialect import Backend
from doralens.store.schema import deployment_tags, deployments, failure_services, failure_tags, failures

# The tables of each kind of event whose indexes an import of that kind may set aside.
DEPLOYMENT_TABLES = (deployments, deployment_tags)
FAILURE_TABLES = (failures, failure_services, failure_tags)
# Indexes the import itself reads through on every batch (which stored deployments a batch's remediations name):
# without them each batch would scan the table.
KEPT = frozenset({"ix_deployments_remediation"})
# Setting indexes aside pays once the rows imported into a table are many, and many next to those it holds: the
# rebuild sorts every row, old ones included.
MIN_ROWS = 50_000
SHARE_OF_STORED = 0.5


def secondary_indexes(conn: Connection, tables: Sequence[Table]) -> list[Index]:
    """The schema's indexes on these tables that the database has, less unique ones and those the import reads."""
    present = {ix["name"] for table in tables for ix in inspect(conn).get_indexes(table.name)}
    return [
        index
        for table in tables
        for index in sorted(table.indexes, key=lambda ix: str(ix.name))
        if index.name in present and index.name not in KEPT and not index.unique
    ]


@dataclass
class _Group:
    """The tables of one kind of event, and how many rows of that kind the import has written."""

    tables: tuple[Table, ...]
    stored: int
    written: int = 0
    dropped: list[Index] = field(default_factory=list)


class IndexDeferral:
    """Counts what an import writes, sets indexes aside once a kind's import is large, and builds them again."""

    def __init__(self, conn: Connection, backend: Backend) -> None:
        self.conn = conn
        self.backend = backend
        enabled = self.enabled = backend.defers_indexes
        self._groups = {
            "deployment": _Group(DEPLOYMENT_TABLES, self._count(deployments) if enabled else 0),
            "failure": _Group(FAILURE_TABLES, self._count(failures) if enabled else 0),
        }

    def _count(self, table: Table) -> int:
        return int(self.conn.execute(select(func.count()).select_from(table)).scalar_one())

    def wrote(self, kind: str, count: int) -> None:
        """Note ``count`` more events of ``kind`` written; set that kind's indexes aside once it is worth it."""
        group = self._groups[kind]
        group.written += count
        if not self.enabled or group.dropped or group.written < max(MIN_ROWS, group.stored * SHARE_OF_STORED):
            return
        group.dropped = secondary_indexes(self.conn, group.tables)
        for index in group.dropped:
            self.conn.execute(DropIndex(index))

    @property
    def dropped(self) -> list[str]:
        """The names of the indexes set aside so far."""
        return [str(index.name) for group in self._groups.values() for index in group.dropped]

    def rebuild(self) -> None:
        """Create every index set aside again, as the schema defines it."""
        if self.dropped:
            self.backend.prepare_index_build(self.conn)
        for group in self._groups.values():
            for index in group.dropped:
                self.conn.execute(CreateIndex(index))
            group.dropped = []
