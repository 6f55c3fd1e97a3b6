"""``GET /metrics``: the Prometheus exposition of the DORA metrics and of the server's own counters.

Open by default, as exporters usually are (the server listens on 127.0.0.1 unless told otherwise); with
``DORALENS_METRICS_TOKEN`` set it needs ``Authorization: Bearer <token>``, compared in constant time.
"""

from __future__ import annotations

import gzip
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client.exposition import choose_encoder

from doralens.api.deps import ServerMetricsDep, SettingsDep
from doralens.errors import Unauthorized

router = APIRouter(tags=["Monitoring"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The Prometheus text format (or OpenMetrics when the Accept header asks for it)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    401: {"description": "Unauthorized: DORALENS_METRICS_TOKEN is set and no matching bearer token was sent"},
}


def require_metrics_token(request: Request, settings: SettingsDep) -> None:
    """Dependency: the bearer token of ``DORALENS_METRICS_TOKEN`` when it is set, else nothing."""
    expected = settings.metrics_token
    if expected is None:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    sent = token.strip() if scheme.lower() == "bearer" else ""
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Unauthorized("send the metrics token as Authorization: Bearer", challenge='Bearer realm="metrics"')


MetricsToken = Annotated[None, Depends(require_metrics_token)]


@router.get("/metrics", summary="Prometheus metrics", response_class=Response, responses=_RESPONSES)
def prometheus_metrics(_: MetricsToken, request: Request, server: ServerMetricsDep) -> Response:
    """The DORA metrics of the configured windows as gauges (per service, env and team), and the server's request
    and ingest counters."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    body = encode(server.registry)
    headers = {"Content-Type": content_type}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return Response(body, headers=headers)
