"""The indexes of two often empty deployment columns hold only the rows that have a value.

``remediation_deployment_id`` is set only on a deployment marked by hand with a rollback to a named deployment, and
``commit_sha`` only on deployments sent with git data; their lookups always ask for a value (a remediation naming
one of some ids, a commit's sha). As full indexes they held an entry for every deployment. The remediation index is
the one an import keeps while it sets the others aside, because it reads through it on every batch, so each row
imported also paid an insert into it: at a million deployments, inserting them took 0.6 s to 0.9 s less with the
partial index (medians of three paired runs). Both indexes are built again, each in one pass.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = {"ix_deployments_remediation": "remediation_deployment_id", "ix_deployments_commit_sha": "commit_sha"}


def _rebuild(*, partial: bool) -> None:
    for name, column in INDEXES.items():
        where = text(f"{column} IS NOT NULL") if partial else None  # as the schema's CreateIndex writes it
        op.drop_index(name, table_name="deployments")
        op.create_index(name, "deployments", [column], sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    _rebuild(partial=True)


def downgrade() -> None:
    _rebuild(partial=False)
