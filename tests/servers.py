"""Start real ``doralens serve`` processes for tests, on a free port, and stop them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

API_KEY = "a" * 16 + "1234567890abcdef"
APP_KEY = "b" * 24 + "1234567890abcdef"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running server process and how to reach it."""

    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    api_key: str = API_KEY
    app_key: str = APP_KEY
    env: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        """Headers of a write request."""
        return {"DD-API-KEY": self.api_key, "Content-Type": "application/json"}

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server process: this one's, minus other DORALENS_ settings, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DORALENS_")}
    env.update(
        DORALENS_DATABASE_URL=database_url,
        DORALENS_API_KEY=API_KEY,
        DORALENS_APP_KEY=APP_KEY,
        DORALENS_LOG_LEVEL="warning",
    )
    env.update(extra)
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 30.0) -> None:
    """Poll ``/healthz`` until it answers; fail with the server's output if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0, verify=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not come up in {timeout}s:\n{log_path.read_text()}")


def spawn(database_url: str, port: int, log_path: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """Start ``doralens serve`` in its own process group."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "doralens", "serve", "--port", str(port), *args],
            env=server_env(database_url, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop the whole process group and wait for it."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def start_server(database_url: str, *args: str, scheme: str = "http", **env: str) -> Iterator[LiveServer]:
    """Run a server for the duration of the block."""
    port = free_port()
    log_dir = Path(os.environ.get("DORALENS_TEST_LOG_DIR", "/tmp"))
    log_path = log_dir / f"doralens-test-server-{port}.log"
    process = spawn(database_url, port, log_path, *args, **env)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log_path)
        yield LiveServer(url=url, database_url=database_url, process=process, log_path=log_path)
    finally:
        stop(process)
