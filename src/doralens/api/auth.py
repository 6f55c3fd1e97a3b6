"""Key checks for HTTP requests: API keys for writes, API + application keys for reads and management.

Lookups are cached for a few seconds so ingest does not query the key table on every request; a revoked key
stops working within ``CACHE_SECONDS`` on every worker. The dependencies are ``async``: a cached key is checked on
the event loop (a hand-off to the thread pool cost more than the check), and only a lookup in the store goes to a
worker thread.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from doralens.domain.keys import hash_key
from doralens.errors import Forbidden, Unauthorized
from doralens.store.base import EventStore, KeyKind, KeyRecord

CACHE_SECONDS = 5.0


class KeyChecker:
    """Validates keys against the store, with a short cache keyed by hash (never by the key itself)."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._cache: dict[str, tuple[KeyRecord | None, float]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> tuple[bool, KeyRecord | None]:
        """``(True, record or None)`` when the key's verdict is cached and fresh, else ``(False, None)``."""
        with self._lock:
            cached = self._cache.get(hash_key(key))
        if cached is not None and cached[1] > time.monotonic():
            return True, cached[0]
        return False, None

    def lookup(self, key: str) -> KeyRecord | None:
        """The record of a valid, unrevoked key, or None."""
        found, record = self.cached(key)
        if found:
            return record
        digest = hash_key(key)
        now = time.monotonic()
        record = self._store.find_key(digest)
        valid = record if record is not None and record.revoked_at is None else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (valid, now + CACHE_SECONDS)
        return valid

    async def find(self, key: str | None) -> KeyRecord | None:
        """``lookup`` for the event loop: a cached verdict at once, else the store's in a worker thread."""
        if not key:
            return None
        found, record = self.cached(key)
        return record if found else await run_in_threadpool(self.lookup, key)

    async def require(self, key: str | None, kind: KeyKind) -> KeyRecord:
        """Return the record of ``key``; raise ``Forbidden`` unless it is a valid key of ``kind``."""
        record = await self.find(key)
        if record is None or record.kind != kind:
            raise Forbidden()
        return record


def _checker(request: Request) -> KeyChecker:
    checker: KeyChecker = request.app.state.keys
    return checker


async def require_api_key(request: Request) -> None:
    """Dependency: a valid ``DD-API-KEY`` header."""
    await _checker(request).require(request.headers.get("dd-api-key"), "api")


async def require_app_key(request: Request) -> KeyRecord:
    """Dependency: a valid API key and an application key (``DD-APPLICATION-KEY`` or ``Authorization: Bearer``).

    Returns the application key's record, which names who made a change.
    """
    checker = _checker(request)
    await checker.require(request.headers.get("dd-api-key"), "api")
    app_key = request.headers.get("dd-application-key")
    if app_key is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        app_key = token.strip() if scheme.lower() == "bearer" else None
    return await checker.require(app_key, "app")


async def require_event_key(request: Request) -> None:
    """Dependency for event sources: an API key in ``DD-API-KEY`` or ``Authorization: Bearer``, else 401."""
    key = request.headers.get("dd-api-key")
    if key is None:
        # CloudEvents senders can usually set a bearer token but not an arbitrary header.
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    challenge = 'Bearer realm="doralens"'
    if not key:
        raise Unauthorized("send an API key in DD-API-KEY or Authorization: Bearer", challenge=challenge)
    record = await _checker(request).find(key)
    if record is None or record.kind != "api":
        raise Unauthorized("the API key is unknown or revoked", challenge=challenge)


def who(key: KeyRecord) -> str:
    """How a change made with this application key is credited."""
    return f"application key {key.id} ({key.name})"


async def require_reader(request: Request) -> KeyRecord:
    """Dependency of the GitLab-compatible reads: ``PRIVATE-TOKEN: <application key>``, else the Datadog keys."""
    token = request.headers.get("private-token")
    if token is not None:
        return await _checker(request).require(token, "app")
    return await require_app_key(request)


ApiKey = Annotated[None, Depends(require_api_key)]
AppKey = Annotated[KeyRecord, Depends(require_app_key)]
EventKey = Annotated[None, Depends(require_event_key)]
ReaderKey = Annotated[KeyRecord, Depends(require_reader)]
