"""The real ``datadog-ci dora deployment`` (npm ``@datadog/datadog-ci``) against a live doralens over TLS.

datadog-ci only posts to ``https://api.<DD_SITE>``, so the server and the tool run together in private network,
mount and PID namespaces (``netns_run.py``), where ``api.dora.test`` resolves to 127.0.0.1 and a test CA signs the
server's certificate. The namespace has its own loopback, so PostgreSQL is reached there over its unix socket.

The arguments below are the ones that produced ``tests/payloads/datadog_ci_5.25.0_deployment.json``, the exact
body datadog-ci 5.25.0 sends (recorded once with a capture server), which ``tests/api`` replays as a contract test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest
import trustme
from sqlalchemy import URL, select, text
from sqlalchemy.engine import make_url

from doralens.store.factory import open_store
from doralens.store.schema import deployments, metadata
from tests.builders import ts
from tests.gitdata.gitrepo import Repo

ROOT = Path(__file__).resolve().parents[2]
DATADOG_CI = ROOT / "tests" / "compat" / "node" / "node_modules" / ".bin" / "datadog-ci"
UNSHARE = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private"]
ALLOW_SKIP = os.environ.get("DORALENS_TEST_ALLOW_SKIP_DATADOG_CI") == "1"
PORT = 8443  # the namespace has its own, empty network: any port is free there

SECRET = "secret-token"
REPOSITORY = "https://github.com/acme/shop.git"
SHA = "102836a25f5477e571c73d489b3f0f183687068e"
STARTED_AT = 1_699_960_648  # --started-at takes Unix seconds ...
FINISHED_AT_ISO = "2023-11-14T11:24:08Z"  # ... or ISO 8601 without fractions (datadog-ci rejects "08.123Z")
FINISHED_AT_NS = 1_699_961_048 * 10**9
DATADOG_CI_ARGS = [
    "dora",
    "deployment",
    "--service=shop-api",
    "--env=prod",
    f"--started-at={STARTED_AT}",
    f"--finished-at={FINISHED_AT_ISO}",
    "--version=1.4.2",
    f"--git-repository-url=https://user:{SECRET}@github.com/acme/shop.git",
    f"--git-commit-sha={SHA}",
    "--team=shop-devs",
    "--custom-tags=department:engineering",
    "--custom-tags=region:eu-west-1",
]


def _fail_or_skip(problem: str) -> NoReturn:
    if ALLOW_SKIP:
        pytest.skip(problem)
    pytest.fail(f"{problem}\n(set DORALENS_TEST_ALLOW_SKIP_DATADOG_CI=1 to skip this test instead)", pytrace=False)


def _require_tools() -> None:
    if not DATADOG_CI.exists():
        _fail_or_skip(f"datadog-ci is not installed at {DATADOG_CI}: run `make node`")
    try:
        probe = subprocess.run([*UNSHARE, "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _fail_or_skip(f"cannot run unshare: {exc}")
    else:
        if probe.returncode != 0:
            _fail_or_skip(f"`{' '.join(UNSHARE)} true` failed (root or user namespaces needed): {probe.stderr.strip()}")


def _reachable_in_namespace(database_url: str) -> str:
    """The same database, reached over the unix socket when it is PostgreSQL (TCP loopback is not shared)."""
    if database_url.startswith("sqlite:"):
        return database_url
    store = open_store(database_url)
    with store.backend.reader.connect() as conn:
        directories = str(conn.execute(text("SHOW unix_socket_directories")).scalar())
        port = str(conn.execute(text("SHOW port")).scalar())
    store.close()
    directory = directories.split(",")[0].strip()
    if not directory.startswith("/"):
        pytest.fail(f"PostgreSQL has no unix socket directory (unix_socket_directories={directories!r})")
    url = make_url(database_url)
    socket_url = URL.create(
        "postgresql",
        username=url.username,
        password=url.password,
        database=url.database,
        query={**url.query, "host": directory, "port": port},
    )
    return socket_url.render_as_string(hide_password=False)


def _write_certificates(workdir: Path) -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("api.dora.test")
    ca.cert_pem.write_to_path(workdir / "ca.pem")
    leaf.cert_chain_pems[0].write_to_path(workdir / "leaf.pem")
    leaf.private_key_pem.write_to_path(workdir / "key.pem")


def _stored(database_url: str) -> tuple[list[dict[str, Any]], str]:
    """Every deployment row, and a text dump of every table."""
    store = open_store(database_url)
    try:
        with store.backend.reader.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(select(deployments))]
            dump = "\n".join(f"{t.name}: {conn.execute(select(t)).all()!r}" for t in metadata.sorted_tables)
    finally:
        store.close()
    return rows, dump


def _run_in_namespace(database_url: str, workdir: Path, args: list[str], *options: str) -> str:
    """Run datadog-ci with ``args`` against a server in the namespaces; return where the artifacts are."""
    _require_tools()
    workdir.mkdir()
    _write_certificates(workdir)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [
        *UNSHARE,
        sys.executable,
        "-m",
        "tests.compat.netns_run",
        f"--workdir={workdir}",
        f"--port={PORT}",
        f"--database-url={_reachable_in_namespace(database_url)}",
        f"--datadog-ci={DATADOG_CI}",
        "--timeout=120",
        *options,
        "--",
        *args,
    ]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    (workdir / "netns_run.log").write_text(run.stdout + run.stderr)
    where = f"artifacts (server.log, datadog-ci.log, netns_run.log) in {workdir}"
    assert run.returncode == 0, f"the namespace runner failed: {run.stderr.strip()[-2000:]}\n{where}"
    return where


@pytest.mark.slow
def test_datadog_ci_deployment_is_stored(database_url: str, tmp_path: Path) -> None:
    workdir = tmp_path / "datadog-ci"
    where = _run_in_namespace(database_url, workdir, DATADOG_CI_ARGS)

    output = (workdir / "datadog-ci.log").read_text(errors="replace")
    server_log = (workdir / "server.log").read_text(errors="replace")
    exit_code = (workdir / "datadog-ci.exit").read_text().strip()
    seen = f"datadog-ci exited {exit_code}, printed:\n{output}\nserver log:\n{server_log}\n{where}"
    rows, dump = _stored(database_url)

    assert len(rows) == 1, f"expected one stored deployment, found {len(rows)}\n{seen}"
    row = rows[0]
    assert (row["service"], row["env"], row["version"], row["team"]) == ("shop-api", "prod", "1.4.2", "shop-devs")
    assert row["started_at"] == STARTED_AT * 10**9
    assert row["finished_at"] == FINISHED_AT_NS
    assert row["commit_sha"] == SHA
    assert row["repository_url"] == "https://github.com/acme/shop.git"
    assert row["repository_id"] == "github.com/acme/shop"
    assert json.loads(row["custom_tags"]) == ["department:engineering", "region:eu-west-1"]
    assert len(row["id"]) == 16
    # datadog-ci reports success even after exhausting retries on 5xx: make sure it never had to retry or fail
    assert "Retrying" not in output, seen
    assert "Failed to send" not in output, seen
    assert '"POST /api/v2/dora/deployment HTTP/1.1" 200' in server_log, seen
    assert SECRET not in server_log, f"the git credentials leaked into the server log\n{where}"
    assert SECRET not in dump, "the git credentials were stored"
    if database_url.startswith("sqlite:"):  # the raw files, freed pages and WAL included
        db_file = Path(make_url(database_url).database or "")
        for path in db_file.parent.glob(f"{db_file.name}*"):
            assert SECRET.encode() not in path.read_bytes(), f"the git credentials are in {path}"


@pytest.mark.slow
def test_datadog_ci_deployments_get_lead_time_from_the_repository_the_server_reads(
    database_url: str, tmp_path: Path
) -> None:
    # c1 deployed 03-01 12:00; then c2, c3, c4 deployed 03-04 12:00: 50 h, 26 h and 2 h, median 26 h.
    repo = Repo(tmp_path / "shop")
    c1 = repo.commit("c1", "2024-03-01T10:00:00Z")
    for name, day in (("c2", "02"), ("c3", "03"), ("c4", "04")):
        c4 = repo.commit(name, f"2024-03-{day}T10:00:00Z")
    common = ["dora", "deployment", "--service=shop-api", "--env=prod", "--git-repository-url=" + REPOSITORY]
    args = [
        *common, f"--started-at={ts('2024-03-01T11:55:00Z') // 10**9}", "--finished-at=2024-03-01T12:00:00Z",
        f"--git-commit-sha={c1}", "+++",
        *common, f"--started-at={ts('2024-03-04T11:55:00Z') // 10**9}", "--finished-at=2024-03-04T12:00:00Z",
        f"--git-commit-sha={c4}",
    ]  # fmt: skip
    workdir = tmp_path / "datadog-ci"
    where = _run_in_namespace(
        database_url,
        workdir,
        args,
        f"--server-env=DORALENS_GIT_REPOSITORIES=github.com/acme/shop={repo.path}",
        "--get=/api/v1/metrics/change_lead_time?from=2024-03-01&to=2024-04-01&env=prod",
    )
    assert (workdir / "datadog-ci.exit").read_text().strip() == "0", where
    block = json.loads((workdir / "get.json").read_text())["metrics"]["change_lead_time"]
    assert (block["n"], block["deployments"], block["no_baseline"]) == (3, 1, 1), where
    assert (block["median"], block["p90"]) == (26 * 3600.0, 45.2 * 3600), where
