"""Injectable dependencies, declared once as named types.

The ones that only read the app's state are ``async``: FastAPI runs a plain function dependency in its thread
pool, a hand-off that cost more than the whole lookup on every request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from doralens.api.body import read_json
from doralens.config import Settings
from doralens.metrics.config import EngineConfig
from doralens.prometheus.telemetry import ServerMetrics
from doralens.store.base import EventStore


async def get_store(request: Request) -> EventStore:
    """The app's event store."""
    store: EventStore = request.app.state.store
    return store


def app_settings(request: Request) -> Settings:
    """The app's settings (for code that is not a dependency)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return app_settings(request)


async def get_engine(request: Request) -> EngineConfig:
    """The metrics engine's configuration."""
    engine: EngineConfig = request.app.state.engine
    return engine


async def get_server_metrics(request: Request) -> ServerMetrics:
    """The app's request and ingest counters."""
    found: ServerMetrics = request.app.state.server_metrics
    return found


async def get_json_body(request: Request) -> Any:
    """The request body as parsed JSON, within the configured size limit."""
    return await read_json(request, limit=app_settings(request).max_body_bytes)


StoreDep = Annotated[EventStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[EngineConfig, Depends(get_engine)]
ServerMetricsDep = Annotated[ServerMetrics, Depends(get_server_metrics)]
JsonBody = Annotated[Any, Depends(get_json_body)]
