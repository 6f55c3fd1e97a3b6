"""An acknowledged event survives the server being killed (SIGKILL) in the middle of a write load."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from doralens.store.factory import open_store
from tests.builders import deployment_body
from tests.servers import API_KEY, free_port, spawn, stop, wait_until_up

pytestmark = pytest.mark.slow

WRITERS = 8


def test_every_acknowledged_event_survives_sigkill(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    process = spawn(database_url, port, log_path, "--workers", "2")
    wait_until_up(url, process, log_path)

    acknowledged: list[str] = []
    lock = threading.Lock()
    stop_event = threading.Event()

    def write_load(writer: int) -> None:
        with httpx.Client(base_url=url, headers={"DD-API-KEY": API_KEY}, timeout=5) as client:
            for n in range(100_000):
                if stop_event.is_set():
                    return
                event_id = f"kill-test-{writer:02d}-{n:08d}"
                try:
                    response = client.post("/api/v2/dora/deployment", json=deployment_body(id=event_id))
                except httpx.HTTPError:
                    return  # the server is gone: this event was never acknowledged
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(event_id)

    threads = [threading.Thread(target=write_load, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 300:
                break
        time.sleep(0.05)
    stop(process, signal.SIGKILL)
    stop_event.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 300, log_path.read_text()

    # Restart on the same database: recovery (WAL replay) must keep every acknowledged event.
    port2 = free_port()
    restarted = spawn(database_url, port2, log_path)
    try:
        wait_until_up(f"http://127.0.0.1:{port2}", restarted, log_path)
        store = open_store(database_url)
        try:
            with store.backend.reader.connect() as conn:
                stored = {row[0] for row in conn.exec_driver_sql("select id from deployments")}
        finally:
            store.close()
    finally:
        stop(restarted)
    missing = [event_id for event_id in acknowledged if event_id not in stored]
    assert missing == [], f"{len(missing)} acknowledged events lost, e.g. {missing[:5]}"
