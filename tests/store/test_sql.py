"""The ``EventStore`` contract, run against every implementation (SQLite file and PostgreSQL)."""

from __future__ import annotations

import time

from doralens.domain.events import ChangeFailureMark, Failure, Remediation, new_failure_id
from doralens.domain.keys import hash_key
from doralens.store.listing import ListSpec
from doralens.store.sql import SqlEventStore
from tests.builders import HOUR, deployment, failure, ts


def test_migrate_is_idempotent_and_ready(store: SqlEventStore) -> None:
    assert store.migrate() == []
    store.check_ready()


def test_deployment_round_trip_and_upsert(store: SqlEventStore) -> None:
    first = deployment(id="round-trip-000001", version="v1", commit="a", tags=("region:eu", "tier:1"))
    store.record_deployment(first)
    assert store.get_deployment(first.id) == first
    second = deployment(id="round-trip-000001", version="v2", tags=("region:us",))
    store.record_deployment(second)
    assert store.get_deployment(first.id) == second
    assert store.count_events() == (1, 0)


def test_failure_without_id_merges_on_env_subject_and_start(store: SqlEventStore) -> None:
    start = Failure(
        id=new_failure_id(), id_given=False, started_at=ts("2024-03-01T12:00:00Z"), services=("web",), env="prod"
    )
    resolution = Failure(
        id=new_failure_id(),
        id_given=False,
        started_at=start.started_at,
        services=("web", "api"),
        env="prod",
        finished_at=start.started_at + HOUR,
        severity="SEV-2",
    )
    first_id = store.record_failure(start)
    assert store.record_failure(resolution) == first_id
    merged = store.get_failure(first_id)
    assert merged is not None
    assert merged.services == ("api", "web")
    assert merged.finished_at == start.started_at + HOUR
    assert merged.severity == "SEV-2"


def test_two_failures_with_ids_and_the_same_start_stay_apart(store: SqlEventStore) -> None:
    a = failure(id="incident-a-000001", started="2024-03-01T12:00:00Z")
    b = failure(id="incident-b-000001", started="2024-03-01T12:00:00Z")
    store.record_failure(a)
    store.record_failure(b)
    assert store.count_events() == (0, 2)
    # An id-less resolution goes to the first one that claimed the (env, service, start) key.
    late = Failure(
        id=new_failure_id(),
        id_given=False,
        started_at=a.started_at,
        services=("web",),
        env="prod",
        finished_at=a.started_at + 1,
    )
    assert store.record_failure(late) == "incident-a-000001"


def test_delete_and_mark(store: SqlEventStore) -> None:
    d = deployment(id="marked-deploy-0001", version="v2")
    store.record_deployment(d)
    mark = ChangeFailureMark(True, Remediation("rollback", version="v1"), "test", time.time_ns())
    assert store.mark_deployment(d.id, mark)
    stored = store.get_deployment(d.id)
    assert stored is not None
    assert stored.mark == mark
    assert store.latest_deployment_id(service="web", env="prod", version="v2") == d.id
    assert store.delete_deployment(d.id)
    assert not store.delete_deployment(d.id)
    assert not store.mark_deployment(d.id, mark)
    f = failure(id="deleted-fail-00001")
    store.record_failure(f)
    assert store.delete_failure(f.id)
    assert store.get_failure(f.id) is None
    assert store.count_events() == (0, 0)


def test_lists_respect_range_limit_and_order(store: SqlEventStore) -> None:
    for day in range(1, 6):
        store.record_deployment(deployment(id=f"listed-deploy-{day:04d}", finished=f"2024-03-0{day}T10:00:00Z"))
    spec = ListSpec(since=ts("2024-03-02T00:00:00Z"), until=ts("2024-03-04T23:59:59Z"), limit=2, descending=False)
    assert [d.id for d in store.list_deployments(spec)] == ["listed-deploy-0002", "listed-deploy-0003"]


def test_keys_are_stored_as_hashes_and_revocable(store: SqlEventStore) -> None:
    record = store.add_key(kind="api", name="ci", key_hash=hash_key("k" * 32), last4="kkkk")
    assert store.add_key(kind="api", name="again", key_hash=hash_key("k" * 32), last4="kkkk") == record
    assert store.find_key(hash_key("k" * 32)) == record
    assert store.revoke_key(record.id)
    revoked = store.find_key(hash_key("k" * 32))
    assert revoked is not None
    assert revoked.revoked_at is not None
    assert not store.revoke_key("missing")
