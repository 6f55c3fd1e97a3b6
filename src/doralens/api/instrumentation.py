"""ASGI middleware counting every answered request by method, route template and status, and timing it.

The route template (``/api/v2/dora/deployments/{id}``), not the raw path, keeps the number of series bounded;
a path no route matches is counted as ``<unmatched>``. A request is counted just before the last part of its
answer goes out, so a client that has its answer finds it counted by its next scrape (whichever worker answers);
one that raised before answering counts as 500.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from doralens.prometheus.telemetry import UNMATCHED, ServerMetrics


class RequestMetrics:
    """Wraps the app and counts each HTTP request once."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        counted = False

        def count() -> None:
            nonlocal counted
            if not counted:
                counted = True
                # The router records the route it matched in the (shared) scope.
                template = getattr(scope.get("route"), "path", None)
                route = template if isinstance(template, str) else UNMATCHED
                self._metrics.request_done(scope["method"], route, status, time.perf_counter() - started)

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                count()
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            count()
