"""Injectable dependencies, declared once as named types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from doralens.api.body import read_json
from doralens.config import Settings
from doralens.store.base import EventStore


def get_store(request: Request) -> EventStore:
    """The app's event store."""
    store: EventStore = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_json_body(request: Request) -> Any:
    """The request body as parsed JSON, within the configured size limit."""
    return await read_json(request, limit=get_settings(request).max_body_bytes)


StoreDep = Annotated[EventStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JsonBody = Annotated[Any, Depends(get_json_body)]
