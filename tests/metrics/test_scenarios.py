"""End-to-end definitions through a real store on SQLite and PostgreSQL, each number worked out by hand."""

from __future__ import annotations

import time

import pytest

from doralens.domain.events import ChangeFailureMark, Remediation
from doralens.store.records import MetricScope, StoredOverride
from doralens.store.sql import SqlEventStore
from tests.builders import deployment, failure, ts
from tests.metrics.conftest import ask, headline, load
from tests.metrics.scenario import MARCH, scenario_deployments, scenario_failures

MARCH_SCOPE = MetricScope(ts(MARCH[0]), ts(MARCH[1]))
FAILURE_IDS = ("f-early-failure-1", "f-web-failure-002", "f-both-failure-03", "f-open-failure-04")


@pytest.fixture
def shop(store: SqlEventStore) -> SqlEventStore:
    load(store, [*scenario_deployments(), *scenario_failures()])
    return store


def _verdicts(store: SqlEventStore, subset: str = "all") -> dict[str, tuple[str, ...]]:
    rows = store.metric_deployments(MARCH_SCOPE, subset=subset)  # type: ignore[arg-type]
    return {d.id: v.reasons for d, v in rows if v.is_change_failure}


def _ask_and_verdicts(store: SqlEventStore) -> dict[str, tuple[str, ...]]:
    ask(store)  # every read refreshes first
    return _verdicts(store)


def test_the_march_scenario_headlines(shop: SqlEventStore) -> None:
    body = ask(shop)
    frequency = headline(body, "deployment_frequency")
    assert (frequency["value"], frequency["n"], frequency["full_weeks"]) == (9, 9, 4)
    assert frequency["per_day"] == 9 / 31
    assert frequency["median_deploy_days_per_week"] == 1.5  # weeks of 4, 11, 18, 25 March: 3, 2, 1, 0 days
    assert frequency["tier"]["level"] == "high"

    cfr = headline(body, "change_failure_rate")
    assert (cfr["numerator"], cfr["denominator"], cfr["value"]) == (3, 9, 3 / 9)
    assert (cfr["incident_ratio"]["numerator"], cfr["incident_ratio"]["value"]) == (4, 4 / 9)
    assert cfr["tier"]["level"] == "low"  # over 20% in the 2024 report

    rework = headline(body, "deployment_rework_rate")
    assert (rework["numerator"], rework["denominator"], rework["tier"]) == (2, 9, None)

    restore = headline(body, "time_to_restore")
    assert (restore["n"], restore["resolved"], restore["open"]) == (3, 3, 1)
    # sorted 1800, 7200, 21600 s: p75 at rank 1.5, p90 at rank 1.8
    assert (restore["median"], restore["p75"], restore["p90"]) == (7200.0, 14400.0, 18720.0)
    assert (restore["mean"], restore["max"], restore["tier"]["level"]) == (10200.0, 21600.0, "high")

    recovery = headline(body, "failed_deployment_recovery_time")
    assert (recovery["n"], recovery["change_failures"], recovery["not_recovered"]) == (3, 3, 0)
    # sorted 5400 (a2), 21600 (w5), 93600 (w2)
    assert (recovery["median"], recovery["p75"], recovery["p90"]) == (21600.0, 57600.0, 79200.0)
    assert (recovery["mean"], recovery["max"]) == (40200.0, 93600.0)

    lead = headline(body, "change_lead_time")  # no deployment carries git data here
    assert (lead["value"], lead["n"], lead["left_out"]["no_git"]["count"]) == (None, 0, 9)


def test_the_march_scenario_weekly_series(shop: SqlEventStore) -> None:
    body = ask(shop, interval="week")
    weeks = body["metrics"]["change_failure_rate"]["series"]
    assert [w["start"][:10] for w in weeks] == ["2024-03-01", "2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]
    assert [(w["numerator"], w["denominator"]) for w in weeks] == [(0, 0), (1, 5), (2, 3), (0, 1), (0, 0)]
    assert weeks[0]["insufficient_data"]
    assert weeks[0]["value"] is None
    assert [w["value"] for w in body["metrics"]["deployment_frequency"]["series"]] == [0, 5, 3, 1, 0]
    assert [w["numerator"] for w in body["metrics"]["deployment_rework_rate"]["series"]] == [0, 1, 1, 0, 0]
    restore = body["metrics"]["time_to_restore"]["series"]
    assert [(w["resolved"], w["open"]) for w in restore] == [(1, 0), (0, 0), (2, 0), (0, 0), (0, 1)]


def test_the_evidence_behind_the_numbers(shop: SqlEventStore) -> None:
    ask(shop)
    found = {d.id: v for d, v in shop.metric_deployments(MARCH_SCOPE, subset="change_failures")}
    assert found["w2-deployment-02"].reasons == ("rollback",)
    assert found["w2-deployment-02"].remediated_by == "w4-deployment-04"
    assert found["w5-deployment-05"].reasons == ("rollforward", "attributed_failure")
    assert found["w5-deployment-05"].recovery_ns == 6 * 3600 * 10**9  # by the rollforward, before f_web ended
    assert found["a2-deployment-02"].recovery_status == "failure_resolved"
    rework = {d.id: v.rework_reasons for d, v in shop.metric_deployments(MARCH_SCOPE, subset="rework")}
    assert rework == {
        "w4-deployment-04": ("rollback",),
        "w6-deployment-06": ("rollforward", "first_deployment_during_failure"),
    }
    links = {(a.failure_id, a.deployment_id, a.method, a.confidence) for a in shop.attributions_from(FAILURE_IDS)}
    assert links == {
        ("f-early-failure-1", None, "unattributed", None),  # before the first deployment
        ("f-web-failure-002", "w5-deployment-05", "heuristic", "medium"),
        ("f-both-failure-03", "a2-deployment-02", "heuristic", "medium"),  # web's latest is 42 h old
        ("f-open-failure-04", None, "unattributed", None),
    }


def test_no_deployments(store: SqlEventStore) -> None:
    body = ask(store)
    assert headline(body, "deployment_frequency")["value"] == 0
    assert headline(body, "deployment_frequency")["tier"]["level"] == "low"  # measured: none at all
    for metric in ("change_failure_rate", "deployment_rework_rate", "time_to_restore"):
        block = headline(body, metric)
        assert block["insufficient_data"], metric
        assert block["value"] is None
        assert block["tier"] is None
        assert block["reason"].startswith("insufficient data: n=0")


def test_an_open_failure_leaves_its_deployment_unrecovered_until_resolved(store: SqlEventStore) -> None:
    load(store, [deployment(id="deploy-000000001", finished="2024-03-05T10:00:00Z")])
    store.record_failure(failure(id="failure-00000001", started="2024-03-05T10:30:00Z"))
    body = ask(store)
    assert headline(body, "failed_deployment_recovery_time")["not_recovered"] == 1
    assert (headline(body, "time_to_restore")["open"], headline(body, "time_to_restore")["resolved"]) == (1, 0)
    store.record_failure(
        failure(id="failure-00000001", started="2024-03-05T10:30:00Z", finished="2024-03-05T11:00:00Z")
    )
    body = ask(store, config=None)
    recovery = headline(body, "failed_deployment_recovery_time")
    assert (recovery["not_recovered"], recovery["n"]) == (0, 1)  # 1 h, withheld below 3 samples
    assert headline(body, "time_to_restore")["resolved"] == 1


def test_a_failure_before_the_first_deployment_is_counted_and_unattributed(store: SqlEventStore) -> None:
    load(
        store,
        [
            failure(id="failure-00000001", started="2024-03-02T00:00:00Z", finished="2024-03-02T01:00:00Z"),
            deployment(id="deploy-000000001", finished="2024-03-03T10:00:00Z"),
        ],
    )
    body = ask(store)
    assert headline(body, "change_failure_rate")["numerator"] == 0
    assert headline(body, "change_failure_rate")["incident_ratio"]["value"] == 1.0
    assert headline(body, "deployment_rework_rate")["numerator"] == 0  # it was resolved before
    assert headline(body, "time_to_restore")["resolved"] == 1
    assert [a.method for a in store.attributions_from(["failure-00000001"])] == ["unattributed"]


@pytest.mark.parametrize("by", ["commit", "version"])
def test_v1_v2_v3_v1_fails_v2(store: SqlEventStore, by: str) -> None:
    refs = ["v1", "v2", "v3", "v1"]
    load(
        store,
        [
            deployment(id=f"deploy-00000000{i}", finished=f"2024-03-0{i + 1}T10:00:00Z", **{by: ref})
            for i, ref in enumerate(refs)
        ],
    )
    assert _ask_and_verdicts(store) == {"deploy-000000001": ("rollback",)}
    rework = {d.id: v.rework_reasons for d, v in store.metric_deployments(MARCH_SCOPE, subset="rework")}
    assert rework == {"deploy-000000003": ("rollback",)}
    recovery = {d.id: v.recovery_ns for d, v in store.metric_deployments(MARCH_SCOPE, subset="change_failures")}
    assert recovery == {"deploy-000000001": 2 * 86_400 * 10**9}


def test_v1_v1_is_a_redeploy_not_a_rollback(store: SqlEventStore) -> None:
    load(
        store,
        [deployment(id=f"deploy-00000000{i}", finished=f"2024-03-0{i + 1}T10:00:00Z", version="v1") for i in range(2)],
    )
    body = ask(store)
    assert headline(body, "change_failure_rate")["numerator"] == 0
    assert headline(body, "deployment_rework_rate")["numerator"] == 0


def test_a_hotfix_after_a_failure_fails_the_deployment_before_it(store: SqlEventStore) -> None:
    load(
        store,
        [
            deployment(id="deploy-000000001", version="1.4.0", finished="2024-03-04T09:00:00Z"),
            failure(id="failure-00000001", started="2024-03-05T12:00:00Z", finished="2024-03-05T14:00:00Z"),
            deployment(id="deploy-000000002", version="1.4.1-hotfix", finished="2024-03-05T13:00:00Z"),
        ],
    )
    # the failure starts 27 h after 1.4.0: outside the 24 h window, so only the rollforward blames it
    assert _ask_and_verdicts(store) == {"deploy-000000001": ("rollforward",)}
    rework = {d.id: v.rework_reasons for d, v in store.metric_deployments(MARCH_SCOPE, subset="rework")}
    assert rework == {"deploy-000000002": ("rollforward", "first_deployment_during_failure")}


def test_deleting_the_rollback_clears_the_failure_it_revealed(shop: SqlEventStore) -> None:
    ask(shop)
    assert shop.delete_deployment("w4-deployment-04")
    body = ask(shop)
    assert (
        headline(body, "change_failure_rate")["numerator"],
        headline(body, "change_failure_rate")["denominator"],
    ) == (2, 8)
    assert headline(body, "deployment_rework_rate")["numerator"] == 1
    assert headline(body, "failed_deployment_recovery_time")["insufficient_data"]  # 2 samples left
    assert set(_verdicts(shop)) == {"w5-deployment-05", "a2-deployment-02"}


def test_a_failure_impacting_two_services(store: SqlEventStore) -> None:
    load(
        store,
        [
            deployment("web", id="web-deploy-00001", finished="2024-03-05T09:30:00Z"),
            deployment("api", id="api-deploy-00001", finished="2024-03-05T09:40:00Z"),
            failure(
                ("web", "api"), id="failure-00000001", started="2024-03-05T10:00:00Z", finished="2024-03-05T11:00:00Z"
            ),
        ],
    )
    body = ask(store)
    assert headline(body, "change_failure_rate")["numerator"] == 2  # both are suspects...
    links = {(a.service, a.confidence) for a in store.attributions_from(["failure-00000001"])}
    assert links == {("web", "low"), ("api", "low")}  # ...with low confidence each
    assert headline(body, "time_to_restore")["resolved"] == 1  # counted once overall
    grouped = ask(store, group_by="service")
    per_service = {g["service"]: g["metrics"]["time_to_restore"]["resolved"] for g in grouped["groups"]}
    assert per_service == {"api": 1, "web": 1}  # and once in each service it impacts


def test_dst_days_and_month_boundaries_are_utc(store: SqlEventStore) -> None:
    finished = [
        "2024-02-29T23:59:59Z",  # leap day, last second of February
        "2024-03-10T06:59:59Z",  # US DST starts 10 Mar 07:00 UTC
        "2024-03-10T07:00:00Z",
        "2024-03-31T00:30:00Z",  # EU DST starts 31 Mar 01:00 UTC
        "2024-03-31T23:59:59Z",
        "2024-04-01T00:00:00Z",  # first instant of April
    ]
    load(store, [deployment(id=f"deploy-00000000{i}", finished=t) for i, t in enumerate(finished)])
    daily = ask(store, start="2024-02-29", end="2024-04-02", interval="day")["metrics"]["deployment_frequency"]
    counts = {p["start"][:10]: p["value"] for p in daily["series"] if p["value"]}
    assert counts == {"2024-02-29": 1, "2024-03-10": 2, "2024-03-31": 2, "2024-04-01": 1}
    assert all(ts(p["end"]) - ts(p["start"]) == 86_400 * 10**9 for p in daily["series"])
    monthly = ask(store, start="2024-02-29", end="2024-04-02", interval="month")["metrics"]["deployment_frequency"]
    assert [(p["start"], p["value"]) for p in monthly["series"]] == [
        ("2024-02-29T00:00:00Z", 1),
        ("2024-03-01T00:00:00Z", 4),
        ("2024-04-01T00:00:00Z", 1),
    ]


def test_marks_change_the_verdicts(shop: SqlEventStore) -> None:
    ask(shop)
    now = time.time_ns()
    shop.mark_deployment("w2-deployment-02", ChangeFailureMark(False, None, "test", now))
    fix = Remediation("rollforward", deployment_id="w5-deployment-05")
    shop.mark_deployment("w3-deployment-03", ChangeFailureMark(True, fix, "test", now))
    assert _ask_and_verdicts(shop) == {
        "w3-deployment-03": ("manual",),
        "w5-deployment-05": ("rollforward", "attributed_failure"),
        "a2-deployment-02": ("attributed_failure",),
    }
    w2 = dict(shop.metric_deployments(MARCH_SCOPE))
    overridden = {d.id: v.overridden_reasons for d, v in w2.items()}
    assert overridden["w2-deployment-02"] == ("rollback",)
    recovery = {d.id: v.recovery_ns for d, v in shop.metric_deployments(MARCH_SCOPE, subset="change_failures")}
    assert recovery["w3-deployment-03"] == ts("2024-03-11T09:00:00Z") - ts("2024-03-06T10:00:00Z")


def test_attribution_overrides_change_the_verdicts(shop: SqlEventStore) -> None:
    ask(shop)
    now = time.time_ns()
    assert shop.set_attribution_override(StoredOverride("f-open-failure-04", "w7-deployment-07", "test", now))
    assert shop.set_attribution_override(StoredOverride("f-both-failure-03", None, "test", now))
    assert _ask_and_verdicts(shop) == {
        "w2-deployment-02": ("rollback",),
        "w5-deployment-05": ("rollforward", "attributed_failure"),
        "w7-deployment-07": ("attributed_failure",),
    }
    manual = {(a.failure_id, a.deployment_id, a.method) for a in shop.attributions_from(FAILURE_IDS[2:])}
    assert manual == {("f-both-failure-03", None, "manual"), ("f-open-failure-04", "w7-deployment-07", "manual")}
    assert shop.clear_attribution_override("f-both-failure-03")
    assert "a2-deployment-02" in _ask_and_verdicts(shop)


def test_a_failure_naming_only_a_team_blames_the_teams_latest_deployment(shop: SqlEventStore) -> None:
    shop.record_failure(failure((), id="team-failure-0001", team="shop", started="2024-03-20T10:30:00Z"))
    ask(shop)
    links = {(a.deployment_id, a.method, a.confidence) for a in shop.attributions_from(["team-failure-0001"])}
    assert links == {("w7-deployment-07", "heuristic", "low")}


def test_filters_narrow_each_kind(shop: SqlEventStore) -> None:
    assert headline(ask(shop, service=["api"]), "deployment_frequency")["value"] == 2
    assert headline(ask(shop, team=["shop"]), "deployment_frequency")["value"] == 7
    assert headline(ask(shop, env=["staging"]), "deployment_frequency")["value"] == 0
    assert headline(ask(shop, query="version:v1"), "deployment_frequency")["value"] == 2
    severe = ask(shop, severity=["SEV-1"])
    # severity narrows failures only: deployments keep counting
    assert headline(severe, "deployment_frequency")["value"] == 9
    assert headline(severe, "change_failure_rate")["incident_ratio"]["numerator"] == 1
    assert (headline(severe, "time_to_restore")["open"], headline(severe, "time_to_restore")["resolved"]) == (1, 0)
    # a failure matches a service filter when it impacts that service
    assert headline(ask(shop, service=["web"]), "time_to_restore")["resolved"] == 3
