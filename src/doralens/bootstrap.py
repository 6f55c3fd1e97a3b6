"""First-start work shared by ``serve`` and tests: migrate, then make sure there are keys to use."""

from __future__ import annotations

from dataclasses import dataclass

from doralens.config import Settings
from doralens.domain.keys import generate_key, hash_key, last4
from doralens.store.base import EventStore, KeyKind


@dataclass(frozen=True)
class NewKey:
    """A key created now; ``secret`` is shown to the user once and never stored."""

    kind: KeyKind
    id: str
    secret: str


def create_key(store: EventStore, *, kind: KeyKind, name: str, secret: str | None = None) -> NewKey:
    """Store a key (a fresh random one unless ``secret`` is given) and return it with its secret."""
    value = secret or generate_key(kind)
    record = store.add_key(kind=kind, name=name, key_hash=hash_key(value), last4=last4(value))
    return NewKey(kind=kind, id=record.id, secret=value)


def ensure_keys(store: EventStore, settings: Settings) -> list[NewKey]:
    """Register keys given in settings; on a first start without any, create one of each. Return new ones."""
    if settings.api_key:
        create_key(store, kind="api", name="from DORALENS_API_KEY", secret=settings.api_key)
    if settings.app_key:
        create_key(store, kind="app", name="from DORALENS_APP_KEY", secret=settings.app_key)
    existing = {k.kind for k in store.list_keys()}
    created = []
    for kind in ("api", "app"):
        if kind not in existing:
            created.append(create_key(store, kind=kind, name="created at first start"))
    return created
