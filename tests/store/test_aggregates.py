"""The filter choices of the dashboard: services, envs and teams seen on deployments, severities seen on failures."""

from __future__ import annotations

from doralens.domain.buckets import NS_PER_DAY
from doralens.domain.query import parse_query
from doralens.store.days import service_env_seek
from doralens.store.records import MetricScope, StreamFacets
from doralens.store.sql import SqlEventStore
from tests.builders import deployment, failure, ts


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


def test_one_service_across_envs_counts_every_env_and_none(store: SqlEventStore) -> None:
    """On SQLite the read seeks each of the service's envs (days.service_env_seek); no deployment may be lost."""
    for day, env in [(1, "prod"), (1, "dev"), (2, None), (2, "prod"), (3, "staging"), (3, None)]:
        store.record_deployment(deployment("web", env, f"2024-03-{day:02d}T10:00:00Z"))
    store.record_deployment(deployment("api", "prod", "2024-03-01T11:00:00Z"))
    store.record_deployment(deployment("web", "prod", "2024-02-28T10:00:00Z"))  # before the window
    scope = MetricScope(ts("2024-03-01T00:00:00Z"), ts("2024-04-01T00:00:00Z"), parse_query("service:web"))
    days = store.deployment_days(scope, recoveries=True, lead_time=True)
    first = ts("2024-03-01T00:00:00Z") // NS_PER_DAY
    assert [(d.day - first, d.deployments) for d in days] == [(0, 2), (1, 2), (2, 2)]
    # Whether SQLite then seeks by env depends on its statistics (ANALYZE of a table this small reads the service's
    # range whole); at the benchmark's million deployments it does: MULTI-INDEX OR, one range per env.
    assert service_env_seek(parse_query("service:web")) != []
    assert service_env_seek(parse_query("service:web*")) == []  # a pattern: nothing to seek by
    assert service_env_seek(parse_query("team:shop")) == []
