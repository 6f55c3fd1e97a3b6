"""``doralens deployment`` and ``doralens failure start|resolve`` against live servers, from a real git checkout."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from doralens.cli import app
from doralens.domain.events import Deployment, Failure
from doralens.store.factory import open_store
from doralens.store.schema import deployments, failures
from tests.cli.fakeserver import FakeServer
from tests.servers import API_KEY, APP_KEY, LiveServer, free_port, start_server

SECRET = "tok"
REMOTE = f"https://user:{SECRET}@github.com/acme/shop.git"
CLEAN = "https://github.com/acme/shop.git"
STARTED = 1_699_960_648
# Variables of the machine running the tests (a CI job, say) that would change what the commands send.
FOREIGN_PREFIXES = ("DORALENS_", "DD_", "DATADOG_", "GITHUB_", "CI_")


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The working directory is a git repository whose origin carries credentials; returns HEAD."""
    repo = tmp_path / "shop"
    repo.mkdir()
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "first"], ["remote", "add", "origin", REMOTE]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No server, key or CI variable from the outside."""
    for name in list(os.environ):
        if name.startswith(FOREIGN_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def target(server: LiveServer, clean_env: None, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    """The live server, named by DORALENS_URL and DORALENS_API_KEY as a CI job would."""
    monkeypatch.setenv("DORALENS_URL", server.url)
    monkeypatch.setenv("DORALENS_API_KEY", API_KEY)
    return server


def run(*args: str) -> Result:
    """Invoke the CLI in-process."""
    return CliRunner().invoke(app, list(args))


def stored_deployments(database_url: str) -> list[Deployment]:
    """Every deployment in the database."""
    store = open_store(database_url)
    try:
        with store.backend.reader.connect() as conn:
            ids = conn.execute(select(deployments.c.id)).scalars().all()
        return [d for d in (store.get_deployment(i) for i in ids) if d is not None]
    finally:
        store.close()


def stored_failures(database_url: str) -> list[Failure]:
    """Every failure in the database."""
    store = open_store(database_url)
    try:
        with store.backend.reader.connect() as conn:
            ids = conn.execute(select(failures.c.id)).scalars().all()
        return [f for f in (store.get_failure(i) for i in ids) if f is not None]
    finally:
        store.close()


def test_deployment_is_stored_with_git_from_the_checkout(target: LiveServer, checkout: str) -> None:
    result = run(
        "deployment", "--service", "shop-api", "--env", "prod", "--started-at", str(STARTED),
        "--finished-at", "2023-11-14T11:24:08Z", "--version", "1.4.2", "--team", "shop-devs",
        "--custom-tags", "department:engineering,region:eu-west-1", "--custom-tags", "tier:1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [deployment] = stored_deployments(target.database_url)
    assert result.stdout == f"sent deployment {deployment.id} of shop-api to {target.url}\n"
    assert (deployment.service, deployment.env, deployment.version, deployment.team) == (
        "shop-api",
        "prod",
        "1.4.2",
        "shop-devs",
    )
    assert (deployment.started_at, deployment.finished_at) == (STARTED * 10**9, 1_699_961_048 * 10**9)
    assert deployment.custom_tags == ("department:engineering", "region:eu-west-1", "tier:1")
    assert deployment.git is not None
    assert (deployment.git.commit_sha, deployment.git.repository_url) == (checkout, CLEAN)
    assert f"git: deploying {checkout} of {CLEAN} (from the checkout);" in result.stderr
    assert f"{SECRET}@" not in result.output
    assert f"{SECRET}@" not in target.log()


def test_dry_run_prints_the_body_without_credentials_and_sends_nothing(target: LiveServer, checkout: str) -> None:
    result = run("deployment", "--service", "web", "--started-at", "15m", "--dry-run")
    assert result.exit_code == 0, result.output
    attributes = json.loads(result.stdout)["data"]["attributes"]
    assert attributes["git"] == {"repository_url": CLEAN, "commit_sha": checkout}
    assert attributes["finished_at"] - attributes["started_at"] == pytest.approx(15 * 60 * 10**9, abs=10**9)
    assert len(attributes["id"]) == 16
    assert f"{SECRET}@" not in result.output
    assert stored_deployments(target.database_url) == []


def test_skip_git_and_explicit_git(target: LiveServer, checkout: str) -> None:
    assert run("deployment", "--service", "a", "--started-at", "now", "--skip-git").exit_code == 0
    sha = "102836a25f5477e571c73d489b3f0f183687068e"
    given = run(
        "deployment", "--service", "b", "--started-at", "now", "--output", "id",
        "--git-repository-url", "https://x:hunter2@gitlab.com/acme/b.git", "--git-commit-sha", sha,
    )  # fmt: skip
    assert given.exit_code == 0, given.output
    by_service = {d.service: d for d in stored_deployments(target.database_url)}
    assert by_service["a"].git is None
    assert by_service["b"].id == given.stdout.strip()
    assert by_service["b"].git is not None
    assert (by_service["b"].git.commit_sha, by_service["b"].git.repository_url) == (
        sha,
        "https://gitlab.com/acme/b.git",
    )
    assert "hunter2" not in given.output


def test_failure_start_then_resolve_by_id_leaves_one_resolved_failure(
    target: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = run("failure", "start", "--service", "shop-api", "--env", "prod", "--severity", "SEV-2", "-o", "id")
    assert started.exit_code == 0, started.output
    failure_id = started.stdout.strip()
    monkeypatch.setenv("DORALENS_APP_KEY", APP_KEY)  # to read the start and services back by id
    resolved = run("failure", "resolve", "--id", failure_id, "--json")
    assert resolved.exit_code == 0, resolved.output
    assert json.loads(resolved.stdout) == {"data": {"id": failure_id, "type": "dora_failure"}}
    [failure] = stored_failures(target.database_url)
    assert (failure.id, failure.services, failure.env, failure.severity) == (failure_id, ("shop-api",), "prod", "SEV-2")
    assert failure.finished_at is not None
    assert failure.finished_at >= failure.started_at


def test_failure_start_prints_a_resolve_command_that_needs_no_application_key(target: LiveServer) -> None:
    started = run("failure", "start", "--service", "web", "--service", "api", "--started-at", str(STARTED))
    assert started.exit_code == 0, started.output
    command = started.stdout.splitlines()[-1].removeprefix("resolve it with: doralens ")
    resolved = run(*command.split(), "--finished-at", str(STARTED + 600))
    assert resolved.exit_code == 0, resolved.output
    [failure] = stored_failures(target.database_url)
    assert (sorted(failure.services), failure.finished_at) == (["api", "web"], (STARTED + 600) * 10**9)


def test_failure_resolve_without_id_matches_env_services_and_start(target: LiveServer) -> None:
    subject = ["--service", "checkout", "--env", "prod", "--started-at", "2023-11-14T11:17:28Z"]
    started = run("failure", "start", *subject, "--name", "Checkout returns 500", "-o", "id")
    resolved = run("failure", "resolve", *subject, "--finished-at", str(STARTED + 60), "-o", "id")
    assert (started.exit_code, resolved.exit_code) == (0, 0), resolved.output
    assert resolved.stdout == started.stdout
    [failure] = stored_failures(target.database_url)
    assert (failure.name, failure.started_at, failure.finished_at) == (
        "Checkout returns 500",
        STARTED * 10**9,
        (STARTED + 60) * 10**9,
    )


def test_a_wrong_key_exits_1_with_the_servers_answer(target: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORALENS_API_KEY", "not-a-key-at-all-0000")
    result = run("deployment", "--service", "web", "--started-at", "now", "--skip-git")
    assert result.exit_code == 1
    assert "403 Forbidden: Forbidden" in result.stderr
    assert "attempt" not in result.stderr  # a 4xx is final


def test_a_body_over_the_servers_limit_exits_1_with_its_message(clean_env: None, tmp_path: Path) -> None:
    tags = [f"--custom-tags=k{i}:{'v' * 150}" for i in range(20)]
    with start_server(f"sqlite:///{tmp_path}/small.db", DORALENS_MAX_BODY_BYTES="1024") as live:
        env = {"DORALENS_URL": live.url, "DORALENS_API_KEY": API_KEY}
        result = CliRunner().invoke(app, ["deployment", "--service", "web", "--started-at", "now", *tags], env=env)
    assert result.exit_code == 1
    assert "413" in result.stderr
    assert "Request entity too large" in result.stderr


def test_a_400_shows_detail_and_pointer_and_is_not_retried(clean_env: None, tmp_path: Path) -> None:
    problem = {"status": "400", "detail": "unknown team", "source": {"pointer": "/data/attributes/team"}}
    with FakeServer([(400, {"errors": [problem]})]) as fake:
        result = CliRunner().invoke(
            app,
            ["failure", "start", "--team", "nope", "--url", fake.url],
            env={"DD_API_KEY": "k" * 32},
        )
    assert result.exit_code == 1
    assert "error: 400 Bad Request: /data/attributes/team: unknown team" in result.stderr
    assert len(fake.requests) == 1


def test_503_twice_then_200_is_retried_with_the_same_body(clean_env: None, checkout: str) -> None:
    created = {"data": {"id": "abcdef0123456789", "type": "dora_deployment"}}
    with FakeServer([(503, {"errors": ["down"]}), (503, {"errors": ["down"]}), (200, created)]) as fake:
        began = time.monotonic()
        result = CliRunner().invoke(
            app,
            # No commit upload: the fake server answers the deployment only.
            [
                "deployment",
                "--service",
                "web",
                "--started-at",
                "now",
                "--retry-backoff",
                "0.1",
                "--json",
                "--no-upload-commits",
            ],
            env={"DORALENS_URL": fake.url, "DD_API_KEY": "k" * 32},
        )
        elapsed = time.monotonic() - began
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == created
    assert len(fake.requests) == 3
    assert 0.05 + 0.1 <= elapsed < 0.1 + 0.2 + 5  # the jittered waits, plus slack for a slow machine
    assert "attempt 1 of 5 failed: 503 Service Unavailable: down; retrying in" in result.stderr
    bodies = [request["body"] for request in fake.requests]
    assert bodies[0] == bodies[1] == bodies[2]  # one id, so a lost answer cannot create a second deployment
    assert all(request["headers"]["dd-api-key"] == "k" * 32 for request in fake.requests)
    assert all(f"{SECRET}@" not in json.dumps(body) for body in bodies)


def test_a_deployment_in_a_checkout_uploads_its_commits_first(clean_env: None, checkout: str) -> None:
    created = {"data": {"id": "abcdef0123456789", "type": "dora_deployment"}}
    baseline = {"data": {"type": "git_baseline", "attributes": {"commit_sha": None}}}
    uploaded = {"data": {"type": "git_commit_upload", "attributes": {"added": 1}}}
    with FakeServer([(200, baseline), (200, uploaded), (200, created)]) as fake:
        env = {"DORALENS_URL": fake.url, "DD_API_KEY": "k" * 32, "DD_ENV": "prod"}
        result = CliRunner().invoke(app, ["deployment", "--service", "web", "--started-at", "now"], env=env)
    assert result.exit_code == 0, result.output
    paths = [request["path"] for request in fake.requests]
    assert paths == ["/api/v1/git/baseline?service=web&env=prod", "/api/v1/git/commits", "/api/v2/dora/deployment"]
    upload = fake.requests[1]["body"]
    assert (upload["repository_url"], [c["sha"] for c in upload["commits"]]) == (CLEAN, [checkout])
    assert SECRET not in json.dumps(upload)
    assert "uploaded 1 commits" in result.stderr


def test_a_failed_upload_still_sends_the_deployment(clean_env: None, checkout: str) -> None:
    created = {"data": {"id": "abcdef0123456789", "type": "dora_deployment"}}
    baseline = {"data": {"type": "git_baseline", "attributes": {"commit_sha": None}}}
    with FakeServer([(200, baseline), (413, {"errors": ["too large"]}), (200, created)]) as fake:
        env = {"DORALENS_URL": fake.url, "DD_API_KEY": "k" * 32}
        args = ["deployment", "--service", "web", "--started-at", "now"]
        explicit = CliRunner().invoke(app, [*args, "--upload-commits"], env=env)
    assert explicit.exit_code == 3  # the deployment went, the upload asked for did not
    assert fake.requests[-1]["path"] == "/api/v2/dora/deployment"
    assert "warning: commit upload failed" in explicit.stderr
    with FakeServer([(200, baseline), (413, {"errors": ["too large"]}), (200, created)]) as fake:
        implicit = CliRunner().invoke(app, args, env={**env, "DORALENS_URL": fake.url})
    assert implicit.exit_code == 0  # by default an upload is best effort
    assert "warning: commit upload failed" in implicit.stderr


def test_resolving_an_unknown_id_exits_1_saying_so(clean_env: None) -> None:
    with FakeServer([(404, {"errors": ["Not found"]})]) as fake:
        env = {"DORALENS_URL": fake.url, "DD_API_KEY": "k" * 32, "DD_APP_KEY": "a" * 32}
        result = CliRunner().invoke(app, ["failure", "resolve", "--id", "incident-000000001"], env=env)
    assert result.exit_code == 1
    assert f"error: no failure with id incident-000000001 on {fake.url}" in result.stderr
    assert [(r["path"], r["headers"]["dd-application-key"]) for r in fake.requests] == [
        ("/api/v2/dora/failures/incident-000000001", "a" * 32)
    ]


def test_plain_http_to_another_host_is_flagged(clean_env: None) -> None:
    url = f"http://0.0.0.0:{free_port()}"  # not a loopback name, yet refused at once
    result = CliRunner().invoke(
        app, ["failure", "start", "--team", "t", "--url", url, "--attempts", "1"], env={"DD_API_KEY": "k"}
    )
    assert result.exit_code == 1
    assert "plain HTTP: the API key crosses the network unencrypted" in result.stderr


def test_connection_refused_exits_1_after_bounded_retries(clean_env: None) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    began = time.monotonic()
    result = CliRunner().invoke(
        app,
        ["failure", "start", "--team", "web", "--url", url, "--attempts", "3", "--retry-backoff", "0.05"],
        env={"DD_API_KEY": "k" * 32},
    )
    assert result.exit_code == 1
    assert time.monotonic() - began < 10
    assert result.stderr.count("retrying in") == 2
    assert "gave up after 3 attempts" in result.stderr
    assert "connection failed" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deployment", "--service", "web"], "Missing option '--started-at'"),
        (["deployment", "--started-at", "now"], "pass --service or set DD_SERVICE"),
        (["deployment", "--service", "w", "--started-at", "soon"], "--started-at must be an RFC 3339"),
        (["deployment", "--service", "w", "--started-at", "now", "--finished-at", "1h"], "--started-at: must not be"),
        (["deployment", "--service", "w", "--started-at", "now", "--custom-tags", "a:1,oops"], "--custom-tags 'oops'"),
        (["deployment", "--service", "w", "--started-at", "now", "--git-commit-sha", "abc"], "--git-repository-url"),
        (["deployment", "--service", "w", "--started-at", "now", "--upload-commits", "--skip-git"], "needs git data"),
        (["failure", "start", "--env", "prod"], "--service (repeatable) or the --team"),
        (["failure", "start", "--team", "t", "--id", "short"], "--id: must be 16 to 128"),
        (["failure", "resolve", "--service", "web"], "without --id, give the same --service"),
        (["failure", "resolve", "--id", "incident-000000001"], "DORALENS_APP_KEY"),
        (["failure", "start", "--team", "t"], "set DORALENS_URL"),
    ],
)
def test_usage_problems_exit_2_before_sending(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no checkout
    if "DORALENS_URL" not in message:
        monkeypatch.setenv("DORALENS_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens: nothing is sent
        monkeypatch.setenv("DD_API_KEY", "k" * 32)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_deployment_without_a_checkout_uses_ci_variables(clean_env: None, tmp_path: Path) -> None:
    sha = "0" * 40
    env = {"GITHUB_SHA": sha, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop"}
    result = CliRunner().invoke(
        app, ["deployment", "--service", "w", "--started-at", "now", "--dry-run", "--git-dir", str(tmp_path)], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["data"]["attributes"]["git"] == {"repository_url": CLEAN, "commit_sha": sha}


def test_datadog_ci_variables_name_the_service_and_env(clean_env: None, tmp_path: Path) -> None:
    env = {"DD_SERVICE": "shop-api", "DD_ENV": "staging"}
    with_env = CliRunner().invoke(app, ["deployment", "--started-at", "now", "--dry-run", "--skip-git"], env=env)
    attributes = json.loads(with_env.stdout)["data"]["attributes"]
    assert (attributes["service"], attributes["env"]) == ("shop-api", "staging")
    assert "git" not in attributes
