"""``SqlLeadTimeStore``: lead time kept per deployment, replaced on recompute, gone with its deployment."""

from __future__ import annotations

from sqlalchemy import select

from doralens.gitdata.leadtime import CommitLeadTime, DeploymentLeadTime, LeadTimeStatus
from doralens.gitdata.records import SqlLeadTimeStore, delete_records
from doralens.store.schema import deployments
from doralens.store.sql import SqlEventStore
from tests.builders import HOUR, deployment, sha, ts


def _record(deployment_id: str, finished: str, *labels: str, env: str | None = "prod") -> DeploymentLeadTime:
    finished_at = ts(finished)
    commits = tuple(
        CommitLeadTime(sha(label), (n + 1) * HOUR, finished_at - (n + 1) * HOUR, n == 0)
        for n, label in enumerate(labels)
    )
    return DeploymentLeadTime(deployment_id, "web", env, finished_at, LeadTimeStatus.OK, "2 commits", commits)


def test_records_round_trip_and_are_replaced(store: SqlEventStore) -> None:
    first = deployment(id="dep-first-00001", finished="2024-03-01T10:00:00Z")
    store.record_deployment(first)
    records = SqlLeadTimeStore(store.backend)
    saved = _record(first.id, "2024-03-01T10:00:00Z", "a", "b")

    records.save([saved])
    assert records.load([first.id, "missing"]) == {first.id: saved}

    empty = DeploymentLeadTime(
        first.id, "web", "prod", first.finished_at, LeadTimeStatus.BASE_UNKNOWN, "the previous commit is unknown"
    )
    records.save([empty])
    loaded = records.load([first.id])[first.id]
    assert (loaded.status, loaded.commits, loaded.first_commit_lead_time) == (LeadTimeStatus.BASE_UNKNOWN, (), None)


def test_shipped_by_names_the_earliest_deployment_of_the_stream(store: SqlEventStore) -> None:
    early = deployment(id="dep-early-00001", finished="2024-03-01T10:00:00Z")
    late = deployment(id="dep-late-000001", finished="2024-03-02T10:00:00Z")
    staging = deployment(id="dep-staging-001", env=None, finished="2024-03-01T09:00:00Z")
    for d in (early, late, staging):
        store.record_deployment(d)
    records = SqlLeadTimeStore(store.backend)
    records.save(
        [
            _record(late.id, "2024-03-02T10:00:00Z", "a", "b"),
            _record(early.id, "2024-03-01T10:00:00Z", "a"),
            _record(staging.id, "2024-03-01T09:00:00Z", "a", env=None),
        ]
    )

    assert records.shipped_by(sha("a").upper(), "web", "prod") == early.id
    assert records.shipped_by(sha("b"), "web", "prod") == late.id
    assert records.shipped_by(sha("a"), "web", None) == staging.id
    assert records.shipped_by(sha("a"), "api", "prod") is None
    assert records.shipped_by(sha("zzz"), "web", "prod") is None


def test_deleting_a_deployment_deletes_its_lead_time(store: SqlEventStore) -> None:
    gone = deployment(id="dep-gone-000001", finished="2024-03-01T10:00:00Z")
    store.record_deployment(gone)
    records = SqlLeadTimeStore(store.backend)
    records.save([_record(gone.id, "2024-03-01T10:00:00Z", "a")])

    assert store.delete_deployment(gone.id)

    assert records.load([gone.id]) == {}
    assert records.shipped_by(sha("a"), "web", "prod") is None


def _copy_on_row(store: SqlEventStore, deployment_id: str) -> tuple[object, ...]:
    with store.backend.reader.connect() as conn:
        row = conn.execute(
            select(
                deployments.c.lead_time_status, deployments.c.lead_time_shipped, deployments.c.lead_time_truncated
            ).where(deployments.c.id == deployment_id)
        ).one()
    return tuple(row)


def test_the_deployment_row_carries_a_copy_of_its_record(store: SqlEventStore) -> None:
    kept = deployment(id="dep-kept-000001", finished="2024-03-01T10:00:00Z")
    store.record_deployment(kept)
    records = SqlLeadTimeStore(store.backend)
    assert _copy_on_row(store, kept.id) == (None, None, None)
    assert not _has_git(store, kept.id)  # left to the refresh

    records.save([_record(kept.id, "2024-03-01T10:00:00Z", "a", "b")])
    assert _copy_on_row(store, kept.id) == ("ok", True, None)
    assert _has_git(store, kept.id)  # a record is only computed for a deployment with git data

    cut = DeploymentLeadTime(
        kept.id, "web", "prod", kept.finished_at, LeadTimeStatus.OK, "1 commit", (), truncated=True
    )
    records.save([cut])
    assert _copy_on_row(store, kept.id) == ("ok", None, True)

    unmeasured = DeploymentLeadTime(kept.id, "web", "prod", kept.finished_at, LeadTimeStatus.INCOMPLETE, "gap")
    records.save([unmeasured])
    assert _copy_on_row(store, kept.id) == ("incomplete", None, None)

    with store.backend.write() as conn:
        delete_records(conn, [kept.id])
    assert _copy_on_row(store, kept.id) == (None, None, None)


def _has_git(store: SqlEventStore, deployment_id: str) -> bool:
    with store.backend.reader.connect() as conn:
        return bool(conn.execute(select(deployments.c.has_git).where(deployments.c.id == deployment_id)).scalar_one())
