"""Key storage over SQL: hashes only, shared by every backend through ``SqlKeyStore``."""

from __future__ import annotations

import time
import uuid
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Row, and_, select, update

from doralens.store.base import KeyKind, KeyRecord
from doralens.store.dialect import Backend
from doralens.store.schema import api_keys


class SqlKeyStore:
    """The key half of ``EventStore``."""

    backend: Backend

    def _writing(self) -> AbstractContextManager[Connection]:
        return self.backend.write()

    def add_key(self, *, kind: KeyKind, name: str, key_hash: str, last4: str) -> KeyRecord:
        """Store a key's hash (idempotent on the hash)."""
        row = {
            "id": uuid.uuid4().hex[:12],
            "kind": kind,
            "name": name,
            "key_hash": key_hash,
            "last4": last4,
            "created_at": time.time_ns(),
        }
        with self._writing() as conn:
            conn.execute(self.backend.upsert(api_keys).values(**row).on_conflict_do_nothing())
            stored = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).one()
        return _key_record(stored)

    def find_key(self, key_hash: str) -> KeyRecord | None:
        """Return the key with this hash, or None."""
        with self.backend.reader.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
        return _key_record(row) if row else None

    def list_keys(self) -> list[KeyRecord]:
        """Return every key, oldest first."""
        with self.backend.reader.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)).all()
        return [_key_record(r) for r in rows]

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key by id (revoking twice keeps the first time)."""
        with self._writing() as conn:
            found = conn.execute(select(api_keys.c.id).where(api_keys.c.id == key_id)).first()
            conn.execute(
                update(api_keys)
                .where(and_(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)))
                .values(revoked_at=time.time_ns())
            )
        return found is not None


def _key_record(row: Row[Any]) -> KeyRecord:
    return KeyRecord(
        id=row.id,
        kind=row.kind,
        name=row.name,
        last4=row.last4,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
