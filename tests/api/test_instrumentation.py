"""Counting requests in the ASGI stack: route templates, errors, streamed answers, other protocols."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from doralens.api.instrumentation import RequestMetrics
from doralens.prometheus.telemetry import ServerMetrics
from tests.prometheus.expect import scraped_value
from tests.prometheus.test_telemetry import Fixed


@pytest.fixture
def metrics() -> ServerMetrics:
    return ServerMetrics(Fixed())


@pytest.fixture
def client(metrics: ServerMetrics) -> Iterator[TestClient]:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    @app.get("/stream")
    def stream() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b", b"c"]), media_type="text/plain")

    app.add_middleware(RequestMetrics, metrics=metrics)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _count(metrics: ServerMetrics, route: str, status: str, method: str = "GET") -> float | None:
    text = generate_latest(metrics.registry).decode()
    return scraped_value(text, "doralens_http_requests_total", method=method, route=route, status=status)


def test_paths_count_under_their_route_template(client: TestClient, metrics: ServerMetrics) -> None:
    for item in ("a", "b", "c"):
        assert client.get(f"/items/{item}").status_code == 200
    assert client.post("/items/a").status_code == 405
    assert client.get("/nowhere").status_code == 404
    assert _count(metrics, "/items/{item_id}", "200") == 3
    assert _count(metrics, "/items/{item_id}", "405", method="POST") == 1
    assert _count(metrics, "<unmatched>", "404") == 1


def test_a_request_that_raised_counts_once_as_500(client: TestClient, metrics: ServerMetrics) -> None:
    assert client.get("/boom").status_code == 500
    assert _count(metrics, "/boom", "500") == 1


def test_a_streamed_answer_counts_once(client: TestClient, metrics: ServerMetrics) -> None:
    assert client.get("/stream").text == "abc"
    assert _count(metrics, "/stream", "200") == 1
    text = generate_latest(metrics.registry).decode()
    assert scraped_value(text, "doralens_http_request_duration_seconds_count", method="GET", route="/stream") == 1


def test_lifespan_passes_through(metrics: ServerMetrics) -> None:
    app = FastAPI()
    app.add_middleware(RequestMetrics, metrics=metrics)
    with TestClient(app):
        pass
    assert "doralens_http_requests_total{" not in generate_latest(metrics.registry).decode()
