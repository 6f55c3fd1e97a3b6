"""Key checks for HTTP requests: API keys for writes, API + application keys for reads and management.

Lookups are cached for a few seconds so ingest does not query the key table on every request; a revoked key
stops working within ``CACHE_SECONDS`` on every worker.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from doralens.domain.keys import hash_key
from doralens.errors import Forbidden, Unauthorized
from doralens.store.base import EventStore, KeyKind

CACHE_SECONDS = 5.0


class KeyChecker:
    """Validates keys against the store, with a short cache keyed by hash (never by the key itself)."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._cache: dict[str, tuple[KeyKind | None, float]] = {}
        self._lock = threading.Lock()

    def kind_of(self, key: str) -> KeyKind | None:
        """The kind of a valid, unrevoked key, or None."""
        digest = hash_key(key)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        record = self._store.find_key(digest)
        kind = record.kind if record is not None and record.revoked_at is None else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (kind, now + CACHE_SECONDS)
        return kind

    def require(self, key: str | None, kind: KeyKind) -> None:
        """Raise ``Forbidden`` unless ``key`` is a valid key of ``kind``."""
        if not key or self.kind_of(key) != kind:
            raise Forbidden()


def _checker(request: Request) -> KeyChecker:
    checker: KeyChecker = request.app.state.keys
    return checker


def require_api_key(request: Request) -> None:
    """Dependency: a valid ``DD-API-KEY`` header."""
    _checker(request).require(request.headers.get("dd-api-key"), "api")


def require_app_key(request: Request) -> None:
    """Dependency: a valid API key and an application key (``DD-APPLICATION-KEY`` or ``Authorization: Bearer``)."""
    checker = _checker(request)
    checker.require(request.headers.get("dd-api-key"), "api")
    app_key = request.headers.get("dd-application-key")
    if app_key is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        app_key = token.strip() if scheme.lower() == "bearer" else None
    checker.require(app_key, "app")


def require_event_key(request: Request) -> None:
    """Dependency for event sources: an API key in ``DD-API-KEY`` or ``Authorization: Bearer``, else 401."""
    key = request.headers.get("dd-api-key")
    if key is None:
        # CloudEvents senders can usually set a bearer token but not an arbitrary header.
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    challenge = 'Bearer realm="doralens"'
    if not key:
        raise Unauthorized("send an API key in DD-API-KEY or Authorization: Bearer", challenge=challenge)
    if _checker(request).kind_of(key) != "api":
        raise Unauthorized("the API key is unknown or revoked", challenge=challenge)


ApiKey = Annotated[None, Depends(require_api_key)]
AppKey = Annotated[None, Depends(require_app_key)]
EventKey = Annotated[None, Depends(require_event_key)]
