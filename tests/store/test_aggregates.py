"""The filter choices of the dashboard: services, envs and teams seen on deployments, on each backend."""

from __future__ import annotations

from doralens.store.records import StreamFacets
from doralens.store.sql import SqlEventStore
from tests.builders import deployment


def test_stream_facets_list_what_deployments_named(store: SqlEventStore) -> None:
    assert store.stream_facets() == StreamFacets((), (), ())
    store.record_deployment(deployment("web", "prod", team="shop"))
    store.record_deployment(deployment("web", "staging", team="shop"))
    store.record_deployment(deployment("api", None))
    store.record_deployment(deployment("batch", "prod", team="core"))
    assert store.stream_facets() == StreamFacets(("api", "batch", "web"), ("prod", "staging"), ("core", "shop"))
