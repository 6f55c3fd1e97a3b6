"""Metrics reports as gauge families: names, units, labels, and values left out rather than exported as 0."""

from __future__ import annotations

import pytest

from doralens.domain.timestamps import format_rfc3339
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.request import build_request
from doralens.prometheus.dora import HELP, WindowReport, dora_families
from doralens.store.sql import SqlEventStore
from tests.builders import deployment
from tests.metrics.conftest import load
from tests.metrics.scenario import MARCH, scenario_deployments, scenario_failures
from tests.prometheus.conftest import APRIL, key, series


def _report(store: SqlEventStore, config: EngineConfig, group_by: str | None = None) -> WindowReport:
    request = build_request(
        now=APRIL, default_tier_year=2024, start=MARCH[0], end=format_rfc3339(APRIL), interval="all", group_by=group_by
    )
    return WindowReport("31d", compute_metrics(store=store, config=config, request=request))


@pytest.fixture
def march(store: SqlEventStore) -> SqlEventStore:
    load(store, [*scenario_deployments(), *scenario_failures()])
    return store


def test_march_in_base_units(march: SqlEventStore) -> None:
    found = series(dora_families([_report(march, EngineConfig())]))
    assert found[key("doralens_deployments", window="31d")] == 9
    assert found[key("doralens_change_failure_rate", window="31d")] == pytest.approx(3 / 9)
    assert found[key("doralens_change_failure_rate_samples", window="31d")] == 9
    assert found[key("doralens_failures", window="31d")] == 4
    # time to restore: 0.5 h, 2 h and 6 h, in seconds; failed deployment recovery: 1.5 h, 6 h, 26 h
    assert found[key("doralens_time_to_restore_seconds", window="31d", quantile="0.5")] == 7200
    assert found[key("doralens_time_to_restore_seconds", window="31d", quantile="0.75")] == 14400
    assert found[key("doralens_failed_deployment_recovery_time_seconds", window="31d", quantile="0.5")] == 21600
    assert found[key("doralens_performance_tier", window="31d", metric="change_failure_rate", tier="low")] == 1


def test_families_are_documented_gauges(march: SqlEventStore) -> None:
    families = dora_families([_report(march, EngineConfig())])
    assert families
    for family in families:
        assert family.type == "gauge"
        assert family.documentation == HELP[family.name]
        assert family.name.startswith("doralens_")


def test_too_few_samples_leave_the_value_out_and_keep_the_sample_size(march: SqlEventStore) -> None:
    found = series(dora_families([_report(march, EngineConfig(min_n_durations=4, min_n_rates=10))]))
    assert found[key("doralens_time_to_restore_samples", window="31d")] == 3
    assert not [k for k in found if k[0] == "doralens_time_to_restore_seconds"]
    assert found[key("doralens_change_failure_rate_samples", window="31d")] == 9
    assert key("doralens_change_failure_rate", window="31d") not in found
    tiers = {dict(labels)["metric"] for name, labels in found if name == "doralens_performance_tier"}
    assert "time_to_restore" not in tiers
    assert "change_failure_rate" not in tiers


def test_a_group_is_a_label_and_groups_without_a_name_are_left_out(march: SqlEventStore) -> None:
    march.record_deployment(deployment("batch", finished="2024-03-15T10:00:00Z"))  # no team
    reports = [_report(march, EngineConfig()), _report(march, EngineConfig(), "team")]
    assert None in [g.group for g in reports[1].report.groups]
    found = series(dora_families(reports))
    deployments = {labels: value for (name, labels), value in found.items() if name == "doralens_deployments"}
    assert deployments == {
        frozenset({("window", "31d")}): 10,
        frozenset({("window", "31d"), ("team", "shop")}): 7,
        frozenset({("window", "31d"), ("team", "core")}): 2,
    }


def test_no_reports_no_families() -> None:
    assert dora_families([]) == []
