"""SIGTERM drains: a request already being received when the server is told to stop is still answered."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from doralens.store.factory import open_store
from tests.builders import deployment_body
from tests.servers import API_KEY, free_port, spawn, wait_until_up

pytestmark = pytest.mark.slow


def test_in_flight_request_finishes_after_sigterm(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    process = spawn(database_url, port, log_path)
    wait_until_up(url, process, log_path)
    body = json.dumps(deployment_body(id="in-flight-deploy-01")).encode()
    first_half_sent = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        first_half_sent.set()
        time.sleep(1.5)  # the server receives SIGTERM while it waits for the rest
        yield body[len(body) // 2 :]

    result: dict[str, int] = {}

    def send() -> None:
        headers = {"DD-API-KEY": API_KEY, "Content-Type": "application/json", "Content-Length": str(len(body))}
        response = httpx.post(f"{url}/api/v2/dora/deployment", content=slow_body(), headers=headers, timeout=30)
        result["status"] = response.status_code

    sender = threading.Thread(target=send)
    sender.start()
    assert first_half_sent.wait(10)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    sender.join(30)
    # uvicorn re-raises the captured SIGTERM once it has drained, so the exit status reports the signal.
    assert process.wait(30) in (0, -signal.SIGTERM), log_path.read_text()
    assert result.get("status") == 200, log_path.read_text()
    store = open_store(database_url)
    try:
        assert store.get_deployment("in-flight-deploy-01") is not None
    finally:
        store.close()
