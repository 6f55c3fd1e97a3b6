"""Streamed pages: the head goes out before the data is computed; a failure after it ends the page with a notice."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import Environment
from markupsafe import Markup
from starlette.datastructures import QueryParams
from starlette.requests import Request

from doralens.metrics.config import EngineConfig
from doralens.store.sql import SqlEventStore
from doralens.web.filters import INTERVALS, RANGES, page_query
from doralens.web.overview import overview
from doralens.web.render import environment
from doralens.web.stream import FAILED, FLUSH, LazyData, _parts


def test_data_is_computed_after_the_first_part_is_out() -> None:
    calls: list[str] = []

    def load() -> dict[str, Any]:
        calls.append("load")
        return {"x": 42}

    template = Environment(autoescape=True).from_string("<head></head>{{ flush }}<main>{{ data.x }}</main>")
    parts = _parts(template.generate(data=LazyData(load), flush=Markup(FLUSH)))
    assert next(parts) == b"<head></head>"
    assert calls == []
    assert next(parts) == b"<main>42</main>"
    assert calls == ["load"]


def test_a_failure_after_the_first_part_ends_the_page_with_a_notice(caplog: pytest.LogCaptureFixture) -> None:
    def load() -> dict[str, Any]:
        raise RuntimeError("database went away")

    template = Environment(autoescape=True).from_string("<head></head>{{ flush }}<main>{{ data.x }}</main>")
    first, rest = _parts(template.generate(data=LazyData(load), flush=Markup(FLUSH)))
    assert first == b"<head></head>"
    assert rest == b"<main>" + FAILED.encode()
    assert "database went away" in caplog.text


def test_the_overview_sends_its_scripts_and_filters_before_computing(store: SqlEventStore) -> None:
    calls: list[str] = []
    query = page_query(QueryParams("severity=SEV-1"))
    question = query.question(EngineConfig())

    def load() -> dict[str, Any]:
        calls.append("load")
        return {"page": "overview", **overview(store=store, engine=EngineConfig(), request=question, filtered=True)}

    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"severity=SEV-1", "headers": []}
    context = {"query": query, "facets": store.stream_facets(), "severities": (), "ranges": RANGES}
    chunks = (
        environment()
        .get_template("overview.html")
        .generate(
            data=LazyData(load),
            request=Request(scope),
            flush=Markup(FLUSH),
            kind="overview",
            fixed={},
            intervals=INTERVALS,
            **context,
        )
    )
    first, rest = (part.decode() for part in _parts(chunks))
    assert calls == ["load"]  # by now, once
    assert '<script id="plotly-js"' in first
    assert 'id="f-severity"' in first
    assert "<main" not in first
    assert 'id="charts-data"' in rest
    assert rest.rstrip().endswith("</html>")
