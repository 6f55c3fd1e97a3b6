"""Delete and patch through the real app and store, on each backend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from doralens.store.sql import SqlEventStore
from tests.builders import T0, deployment_body, failure_body
from tests.servers import APP_KEY

HOUR = 3600 * 10**9


@pytest.fixture
def manager(client: TestClient) -> TestClient:
    client.headers["DD-APPLICATION-KEY"] = APP_KEY
    return client


def create(client: TestClient, **attrs: Any) -> str:
    response = client.post("/api/v2/dora/deployment", json=deployment_body(**attrs))
    assert response.status_code == 200
    event_id: str = response.json()["data"]["id"]
    return event_id


def patch_body(**attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "dora_deployment_patch_request", "attributes": attributes}}


def test_delete_is_202_empty_and_idempotent(manager: TestClient, store: SqlEventStore) -> None:
    deployment_id = create(manager)
    failure_id = manager.post("/api/v2/dora/failure", json=failure_body()).json()["data"]["id"]
    for _ in range(2):
        response = manager.delete(f"/api/v2/dora/deployment/{deployment_id}")
        assert response.status_code == 202
        assert response.content == b""
        assert manager.delete(f"/api/v2/dora/failure/{failure_id}").status_code == 202
    assert store.count_events() == (0, 0)


def test_failure_start_after_delete_creates_a_new_failure(manager: TestClient, store: SqlEventStore) -> None:
    first = manager.post("/api/v2/dora/failure", json=failure_body()).json()["data"]["id"]
    manager.delete(f"/api/v2/dora/failure/{first}")
    second = manager.post("/api/v2/dora/failure", json=failure_body(finished_at=T0 + HOUR)).json()["data"]["id"]
    assert second != first
    assert store.count_events() == (0, 1)


def test_patch_by_id_marks_and_unmarks(manager: TestClient, store: SqlEventStore) -> None:
    bad = create(manager, version="v2")
    fix = create(manager, version="v3", finished_at=T0 + HOUR)
    body = patch_body(change_failure=True, remediation={"type": "rollforward", "id": fix})
    response = manager.patch(f"/api/v2/dora/deployments/{bad}", json=body)
    assert response.status_code == 202
    assert response.content == b""
    stored = store.get_deployment(bad)
    assert stored is not None
    assert stored.mark is not None
    assert stored.mark.change_failure is True
    assert stored.mark.remediation is not None
    assert (stored.mark.remediation.type, stored.mark.remediation.deployment_id) == ("rollforward", fix)
    assert "application key" in stored.mark.set_by

    read = manager.get(f"/api/v2/dora/deployments/{bad}").json()["data"]["attributes"]
    assert read["change_failure"] is True
    assert read["remediation"] == {"type": "rollforward", "id": fix}

    singular = manager.patch(f"/api/v2/dora/deployment/{bad}", json=patch_body(change_failure=False))
    assert singular.status_code == 202
    again = store.get_deployment(bad)
    assert again is not None
    assert again.mark is not None
    assert again.mark.change_failure is False
    assert again.mark.remediation is None


def test_mark_survives_a_resend_of_the_same_deployment(manager: TestClient, store: SqlEventStore) -> None:
    deployment_id = create(manager, id="resent-deployment-01")
    manager.patch(f"/api/v2/dora/deployments/{deployment_id}", json=patch_body(change_failure=True))
    create(manager, id="resent-deployment-01", version="v9")
    stored = store.get_deployment(deployment_id)
    assert stored is not None
    assert stored.version == "v9"
    assert stored.mark is not None
    assert stored.mark.change_failure


def test_patch_by_version_marks_the_latest(manager: TestClient, store: SqlEventStore) -> None:
    older = create(manager, version="v2", finished_at=T0 + HOUR, started_at=T0)
    newer = create(manager, version="v2", finished_at=T0 + 2 * HOUR, started_at=T0)
    body = patch_body(
        service="checkout",
        env="prod",
        version="v2",
        change_failure=True,
        remediation={"type": "rollback", "version": "v1"},
    )
    assert manager.patch("/api/v2/dora/deployments", json=body).status_code == 202
    newer_stored, older_stored = store.get_deployment(newer), store.get_deployment(older)
    assert newer_stored is not None
    assert older_stored is not None
    assert newer_stored.mark is not None
    assert newer_stored.mark.remediation is not None
    assert newer_stored.mark.remediation.version == "v1"
    assert older_stored.mark is None


@pytest.mark.parametrize(
    ("path", "body", "pointer", "detail"),
    [
        (
            "deployments/X",
            patch_body(change_failure=True, remediation={"type": "undo", "id": "a" * 16}),
            "/data/attributes/remediation/type",
            'attribute "type" must be one of "rollback rollforward"',
        ),
        (
            "deployments/X",
            patch_body(change_failure=True, remediation={"type": "rollback"}),
            "/data/attributes/remediation",
            "exactly one of id and version",
        ),
        (
            "deployments/X",
            {"data": {"attributes": {"change_failure": True}}},
            "/data/type",
            'got type "" expected one of "dora_deployment_patch_request"',
        ),
        ("deployments/X", patch_body(), "/data/attributes/change_failure", "is required"),
        ("deployments/X", patch_body(change_failure="yes"), "/data/attributes/change_failure", "boolean"),
        (
            "deployments",
            patch_body(service="checkout", env="prod", change_failure=True),
            "/data/attributes/version",
            'attribute "version" is required',
        ),
    ],
)
def test_bad_patches_are_400(manager: TestClient, path: str, body: dict[str, Any], pointer: str, detail: str) -> None:
    deployment_id = create(manager)
    response = manager.patch(f"/api/v2/dora/{path.replace('X', deployment_id)}", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == pointer
    assert detail in error["detail"]


def test_patch_of_unknown_or_deleted_deployment_is_404(manager: TestClient, store: SqlEventStore) -> None:
    deployment_id = create(manager, version="v5")
    manager.delete(f"/api/v2/dora/deployment/{deployment_id}")
    assert (
        manager.patch(f"/api/v2/dora/deployments/{deployment_id}", json=patch_body(change_failure=True)).status_code
        == 404
    )
    by_version = patch_body(service="checkout", env="prod", version="v5", change_failure=True)
    assert manager.patch("/api/v2/dora/deployments", json=by_version).status_code == 404
    assert store.count_events() == (0, 0)


def test_racing_patches_leave_one_whole_mark(manager: TestClient, store: SqlEventStore) -> None:
    deployment_id = create(manager)
    bodies = [
        patch_body(change_failure=True, remediation={"type": "rollback", "version": f"v{i}"})
        if i % 2
        else patch_body(change_failure=False)
        for i in range(40)
    ]
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda b: manager.patch(f"/api/v2/dora/deployments/{deployment_id}", json=b).status_code, bodies)
        )
    assert set(codes) == {202}
    stored = store.get_deployment(deployment_id)
    assert stored is not None
    assert stored.mark is not None
    # Whichever patch came last, its verdict and its remediation arrive together.
    assert (stored.mark.remediation is not None) == stored.mark.change_failure


def test_patch_and_delete_need_an_application_key(client: TestClient) -> None:
    deployment_id = create(client)
    assert (
        client.patch(f"/api/v2/dora/deployments/{deployment_id}", json=patch_body(change_failure=True)).status_code
        == 403
    )
    assert client.delete(f"/api/v2/dora/deployment/{deployment_id}").status_code == 403
