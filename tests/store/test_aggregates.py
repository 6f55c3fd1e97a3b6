"""The filter choices of the dashboard: services, envs and teams seen on deployments, severities seen on failures."""

from __future__ import annotations

from doralens.store.records import StreamFacets
from doralens.store.sql import SqlEventStore
from tests.builders import deployment, failure


def test_stream_facets_list_what_deployments_named(store: SqlEventStore) -> None:
    assert store.stream_facets() == StreamFacets((), (), ())
    store.record_deployment(deployment("web", "prod", team="shop"))
    store.record_deployment(deployment("web", "staging", team="shop"))
    store.record_deployment(deployment("api", None))
    store.record_deployment(deployment("batch", "prod", team="core"))
    assert store.stream_facets() == StreamFacets(("api", "batch", "web"), ("prod", "staging"), ("core", "shop"))


def test_failure_severities_list_each_severity_once(store: SqlEventStore) -> None:
    assert store.failure_severities() == ()
    store.record_failure(failure(("web",), severity="SEV-2"))
    store.record_failure(failure(("api",), severity="SEV-1"))
    store.record_failure(failure(("web",), started="2024-03-02T00:00:00Z", severity="SEV-2"))
    store.record_failure(failure(("batch",)))  # no severity: nothing to offer
    assert store.failure_severities() == ("SEV-1", "SEV-2")
