"""Serve doralens over TLS as ``api.dora.test`` and run ``datadog-ci`` against it, inside private namespaces.

``datadog-ci`` only ever posts to ``https://api.<DD_SITE>``. To aim it at a local server without touching the
machine, ``tests/compat/test_datadog_ci.py`` runs this module as PID 1 of fresh network, mount and PID namespaces::

    unshare --net --mount --pid --fork --kill-child --propagation private python -m tests.compat.netns_run ...

Here it brings up the namespace's own loopback, bind-mounts a hosts file that maps ``api.dora.test`` to 127.0.0.1
over ``/etc/hosts`` (visible to this mount namespace only), starts ``doralens serve`` with the test certificate,
waits until ``/healthz`` answers over verified TLS, runs ``datadog-ci`` with the given arguments and stops the
server gracefully. When this process exits, the kernel ends whatever is left in the PID namespace.

Files written to ``--workdir``: ``server.log``, ``datadog-ci.log`` and ``datadog-ci.exit`` (its exit code; the
first non-zero one when ``+++`` separates several runs), and with ``--get PATH`` ``get.json``, the server's answer
to that request (application key) after the runs. ``--server-env NAME=VALUE`` configures the server. Setup
problems exit non-zero with a message on stderr.
"""

from __future__ import annotations

import argparse
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import API_KEY, APP_KEY, spawn, stop

HOST = "api.dora.test"


def isolate_network(workdir: Path) -> None:
    """Bring up this namespace's loopback and make ``api.dora.test`` resolve to it."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hosts = workdir / "hosts"
    hosts.write_text(f"127.0.0.1 localhost {HOST}\n::1 localhost\n")
    subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)


def wait_for_tls(port: int, ca: Path, server: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    """Poll ``https://api.dora.test:PORT/healthz``, verifying the certificate against the test CA."""
    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"doralens exited with {server.returncode} before answering; see {log}")
        try:
            response = httpx.get(f"https://{HOST}:{port}/healthz", verify=context, timeout=1.0)
            if response.status_code == 200:
                return
            last_error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    sys.exit(f"doralens did not answer https://{HOST}:{port}/healthz in {timeout}s ({last_error}); see {log}")


def run_datadog_ci(binary: Path, args: list[str], port: int, ca: Path, workdir: Path, timeout: float) -> int:
    """Run datadog-ci with a clean environment (no proxies, no stray DD_* settings); return its exit code."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(workdir),
        "DD_API_KEY": API_KEY,
        "DD_SITE": f"dora.test:{port}",
        "NODE_EXTRA_CA_CERTS": str(ca),
        "DD_CI_SKIP_VERSION_BANNER": "1",
        "DISABLE_PLUGIN_AUTO_INSTALL": "1",
    }
    with (workdir / "datadog-ci.log").open("ab") as out:
        try:
            done = subprocess.run(
                [str(binary), *args], env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            out.write(f"\n[netns_run] datadog-ci killed after {timeout}s\n".encode())
            return 124
    return done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="holds ca.pem, leaf.pem, key.pem; gets the logs")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--datadog-ci", type=Path, required=True, help="the datadog-ci executable")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds datadog-ci may run")
    parser.add_argument("--server-env", action="append", default=[], help="NAME=VALUE for the server; repeatable")
    parser.add_argument("--get", help="a path to GET from the server after datadog-ci ran, saved as get.json")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="datadog-ci arguments, after --; +++ between runs")
    opts = parser.parse_args()
    workdir: Path = opts.workdir.resolve()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args
    runs: list[list[str]] = [[]]
    for arg in args:
        if arg == "+++":
            runs.append([])
        else:
            runs[-1].append(arg)
    server_env = dict(item.split("=", 1) for item in opts.server_env)

    isolate_network(workdir)
    log = workdir / "server.log"
    tls = ("--certfile", str(workdir / "leaf.pem"), "--keyfile", str(workdir / "key.pem"))
    server = spawn(opts.database_url, opts.port, log, *tls, DORALENS_LOG_LEVEL="info", **server_env)
    try:
        wait_for_tls(opts.port, workdir / "ca.pem", server, log)
        codes = [run_datadog_ci(opts.datadog_ci, a, opts.port, workdir / "ca.pem", workdir, opts.timeout) for a in runs]
        (workdir / "datadog-ci.exit").write_text(f"{next((c for c in codes if c), 0)}\n")
        if opts.get:
            headers = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
            url = f"https://{HOST}:{opts.port}{opts.get}"
            answer = httpx.get(url, headers=headers, verify=ssl.create_default_context(cafile=workdir / "ca.pem"))
            (workdir / "get.json").write_text(answer.text)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
