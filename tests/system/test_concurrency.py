"""Racing writers against a live server with two worker processes, on each backend."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from doralens.store.factory import open_store
from tests.builders import T0, deployment_body, failure_body
from tests.servers import LiveServer, start_server

pytestmark = pytest.mark.slow

COPIES = 500


@pytest.fixture
def two_workers(database_url: str) -> Iterator[LiveServer]:
    with start_server(database_url, "--workers", "2") as live:
        yield live


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, object]) -> httpx.Response:
    # A loaded machine can let a kept-alive connection idle past the server's keep-alive timeout: the server then
    # resets it as the next request arrives. Senders retry that (datadog-ci and our CLI do); so does this one, a
    # few times: the writes are idempotent, which is what these tests check.
    for attempt in range(3):
        try:
            return await client.post(f"/api/v2/dora/{path}", json=body)
        except httpx.TransportError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _post_many(server: LiveServer, path: str, bodies: list[dict[str, object]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, limits=limits, timeout=60) as client:
        return await asyncio.gather(*(_post(client, path, b) for b in bodies))


def test_concurrent_copies_of_a_failure_start_leave_one_resolved_failure(two_workers: LiveServer) -> None:
    starts = asyncio.run(_post_many(two_workers, "failure", [failure_body(name="db down")] * COPIES))
    assert {r.status_code for r in starts} == {200}
    ids = {r.json()["data"]["id"] for r in starts}
    assert len(ids) == 1

    resolutions = asyncio.run(_post_many(two_workers, "failure", [failure_body(finished_at=T0 + 10**12)] * 20))
    assert {r.json()["data"]["id"] for r in resolutions} == ids

    store = open_store(two_workers.database_url)
    try:
        assert store.count_events() == (0, 1)
        failure = store.get_failure(ids.pop())
    finally:
        store.close()
    assert failure is not None
    assert failure.finished_at == T0 + 10**12
    assert failure.name == "db down"


def test_concurrent_upserts_of_one_deployment_id_leave_one_row(two_workers: LiveServer) -> None:
    bodies: list[dict[str, object]] = [
        deployment_body(id="same-deployment-0001", version=f"v{i}", custom_tags=[f"n:{i}"]) for i in range(200)
    ]
    responses = asyncio.run(_post_many(two_workers, "deployment", bodies))
    assert {r.status_code for r in responses} == {200}
    store = open_store(two_workers.database_url)
    try:
        assert store.count_events() == (1, 0)
        stored = store.get_deployment("same-deployment-0001")
        with store.backend.reader.connect() as conn:
            tag_rows = conn.exec_driver_sql("select key, value from deployment_tags").all()
    finally:
        store.close()
    assert stored is not None
    assert stored.version is not None
    # Whichever write committed last wins, whole: its version and its tag, never a mix.
    n = stored.version.removeprefix("v")
    assert stored.custom_tags == (f"n:{n}",)
    assert [tuple(r) for r in tag_rows] == [("n", n)]
