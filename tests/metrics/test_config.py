"""Settings that change numbers: the engine configuration built from them, and what each one changes."""

from __future__ import annotations

from doralens.config import Settings
from doralens.domain.attribution import DEFAULT_WINDOW_NS
from doralens.metrics.config import EngineConfig
from doralens.store.records import MetricScope
from doralens.store.sql import SqlEventStore
from tests.builders import ts
from tests.metrics.conftest import ask, headline, load
from tests.metrics.scenario import MARCH, scenario_deployments, scenario_failures

MARCH_SCOPE = MetricScope(ts(MARCH[0]), ts(MARCH[1]))


def _failed(store: SqlEventStore) -> dict[str, tuple[str, ...]]:
    return {d.id: v.reasons for d, v in store.metric_deployments(MARCH_SCOPE, subset="change_failures")}


def test_engine_config_from_settings() -> None:
    default = EngineConfig.from_settings(Settings())
    assert default.attribution_window_ns == DEFAULT_WINDOW_NS
    assert default.fingerprint == EngineConfig().fingerprint
    custom = EngineConfig.from_settings(Settings(attribution_window_seconds=60, rollforward_patterns=()))
    assert custom.attribution_window_ns == 60 * 10**9
    assert custom.rules.patterns == ()
    assert custom.fingerprint != default.fingerprint
    # read-time settings leave stored state valid
    assert EngineConfig.from_settings(Settings(tier_year=2023, min_samples_rates=5)).fingerprint == default.fingerprint


def test_the_incident_ratio_can_be_the_headline(store: SqlEventStore) -> None:
    load(store, [*scenario_deployments(), *scenario_failures()])
    cfr = headline(ask(store, config=EngineConfig(incident_ratio_headline=True)), "change_failure_rate")
    assert (cfr["value"], cfr["numerator"], cfr["definition"]) == (4 / 9, 4, "failures / deployments")
    assert cfr["change_failure_deployments"]["value"] == 3 / 9


def test_changing_the_window_or_patterns_recomputes_stored_state(store: SqlEventStore) -> None:
    load(store, [*scenario_deployments(), *scenario_failures()])
    ask(store)
    assert set(_failed(store)) == {"w2-deployment-02", "w5-deployment-05", "a2-deployment-02"}
    # A 30 min window: f_web (1 h after w5) and f_both (1 h after a2) find no suspect.
    ask(store, config=EngineConfig(attribution_window_ns=30 * 60 * 10**9))
    assert _failed(store) == {"w2-deployment-02": ("rollback",), "w5-deployment-05": ("rollforward",)}
    # No rollforward patterns: the hotfix no longer blames w5, the failure still does.
    ask(store, config=EngineConfig.from_settings(Settings(rollforward_patterns=())))
    assert _failed(store)["w5-deployment-05"] == ("attributed_failure",)


def test_sample_minimums_apply_at_read_time(store: SqlEventStore) -> None:
    load(store, [*scenario_deployments(), *scenario_failures()])
    api = ask(store, service=["api"], config=EngineConfig(min_n_durations=1))
    assert headline(api, "time_to_restore")["median"] == 1800.0
    strict = ask(store, config=EngineConfig(min_n_rates=10))
    assert headline(strict, "change_failure_rate")["insufficient_data"]
    assert headline(strict, "change_failure_rate")["reason"] == "insufficient data: n=9, at least 10 needed"
