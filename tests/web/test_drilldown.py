"""From a deployment to the commits it shipped: each with its subject and lead time, as the lead-time API says."""

from __future__ import annotations

from doralens.domain.events import Deployment, make_git_info
from doralens.gitdata.commits import Commit
from doralens.gitdata.uploaded import SqlCommitStore
from doralens.store.sql import SqlEventStore
from tests.builders import HOUR, sha, ts
from tests.gitdata.conftest import REPOSITORY_ID, REPOSITORY_URL
from tests.web.conftest import api_json, make_client, page_json


def _commit(name: str, parent: str | None, at: str) -> Commit:
    return Commit(sha(name), (sha(parent),) if parent else (), ts(at), ts(at), f"{name}: change the shop")


def _deploy(store: SqlEventStore, name: str, commit: str, finished: str) -> None:
    at = ts(finished)
    store.record_deployment(
        Deployment(
            id=f"web-{name}",
            service="web",
            env="prod",
            started_at=at - HOUR,
            finished_at=at,
            version=name,
            git=make_git_info(sha(commit), REPOSITORY_URL),
        )
    )


def test_deployment_page_lists_its_commits_with_lead_times(store: SqlEventStore) -> None:
    SqlCommitStore(store.backend).add_commits(
        REPOSITORY_ID,
        [
            _commit("c1", None, "2024-03-01T10:00:00Z"),
            _commit("c2", "c1", "2024-03-02T10:00:00Z"),
            _commit("c3", "c2", "2024-03-03T08:00:00Z"),
        ],
    )
    _deploy(store, "v1", "c1", "2024-03-01T12:00:00Z")
    _deploy(store, "v2", "c3", "2024-03-03T10:00:00Z")
    with make_client(store) as client:
        window = {"from": "2024-03-01T00:00:00Z", "to": "2024-04-01T00:00:00Z"}
        listed = api_json(client, "/api/v1/metrics/change_lead_time/events", **window, subset="measured")["data"]
        assert [d["id"] for d in listed] == ["web-v2"]
        page = page_json(client, "/deployments/web-v2")
        assert page["lead_time"] == {
            **listed[0]["attributes"]["lead_time"],
            "commits": [
                {**c, "subject": f"{name}: change the shop"}
                for c, name in zip(listed[0]["attributes"]["lead_time"]["commits"], ("c2", "c3"), strict=True)
            ],
        }
        assert [c["lead_time"] for c in page["lead_time"]["commits"]] == [24 * 3600, 2 * 3600]
        html = client.get("/deployments/web-v2").text
        assert "c2: change the shop" in html
        assert "1.0 d" in html
        assert 'href="/deployments/web-v1"' in html
        first = client.get("/deployments/web-v1").text
        assert "Status <strong>no_baseline</strong>" in first
