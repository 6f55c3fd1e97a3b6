"""The FastAPI application, built from settings and a store (nothing is created at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import doralens
from doralens.api import (
    attribution,
    datadog,
    datadog_manage,
    datadog_read,
    errors,
    git,
    gitlab,
    health,
    metrics,
    prometheus,
    webhooks,
)
from doralens.api.auth import KeyChecker
from doralens.api.instrumentation import RequestMetrics
from doralens.config import Settings
from doralens.gitdata.service import engine_config
from doralens.metrics.background import BackgroundRefresher
from doralens.prometheus.collector import DoraCollector, DoraExport
from doralens.prometheus.telemetry import ServerMetrics
from doralens.store.base import EventStore
from doralens.web import assets as web_assets
from doralens.web import routes as web_routes


def create_app(settings: Settings, store: EventStore, *, background_refresh: bool = False) -> FastAPI:
    """Wire routes, error handlers and state; ``background_refresh`` keeps derived state fresh in a thread."""
    engine, git_data = engine_config(settings, store.backend)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        refresher = None
        if background_refresh and settings.refresh_seconds > 0:
            refresher = BackgroundRefresher(store=store, config=engine, interval=settings.refresh_seconds)
            refresher.start()
        try:
            yield
        finally:
            if refresher is not None:
                refresher.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="doralens",
        version=doralens.__version__,
        description="Self-hosted DORA metrics with a Datadog-compatible DORA API.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.keys = KeyChecker(store)
    app.state.engine = engine
    app.state.git = git_data
    dora = DoraCollector(store=store, config=engine, export=DoraExport.from_settings(settings))
    app.state.server_metrics = ServerMetrics(dora)
    app.add_middleware(RequestMetrics, metrics=app.state.server_metrics)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(datadog.router)
    app.include_router(datadog_read.router)
    app.include_router(datadog_manage.router)
    app.include_router(webhooks.router)
    app.include_router(metrics.router)
    app.include_router(attribution.router)
    app.include_router(gitlab.router)
    app.include_router(git.router)
    app.include_router(web_assets.router)
    app.include_router(web_routes.router)
    app.include_router(prometheus.router)
    return app


def app_from_environment() -> FastAPI:
    """Factory for worker processes: settings from the environment, store opened (already migrated by ``serve``)."""
    from doralens.store.factory import open_store

    settings = Settings.from_env()
    return create_app(settings, open_store(settings.database_url), background_refresh=True)
