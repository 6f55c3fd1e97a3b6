"""``doralens deployment`` and ``doralens failure start|resolve``: send DORA events from a CI job to a server.

``deployment`` takes ``datadog-ci dora deployment``'s flags, with its semantics (DD_SERVICE, DD_ENV, git from the
checkout unless given or --skip-git, --dry-run). ``failure`` is what datadog-ci users ask for and lack (#2034).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from doralens.cli.commits import upload_commits as send_commits
from doralens.cli.delivery import (
    EXIT_CODES,
    EXIT_UPLOAD_FAILED,
    AsJson,
    Attempts,
    Backoff,
    CaCert,
    CommitSha,
    CustomTags,
    Delivery,
    DryRun,
    Env,
    FailureId,
    MaxTime,
    Output,
    OutputOpt,
    RepoUrl,
    Services,
    Team,
    Timeout,
    Url,
    Version,
    deliver,
    drop_empty,
    event_time,
    now_ns,
    opened_client,
    say,
    split_tags,
    usage_error,
)
from doralens.client import Delivered
from doralens.domain.events import new_deployment_id, sanitize_repository_url
from doralens.domain.timestamps import TimestampError, format_rfc3339, parse_rfc3339
from doralens.gitdata.checkout import detect_git

failure_app = typer.Typer(
    help="Send failures (incidents) from CI: `start` one, later `resolve` it.", no_args_is_help=True
)


def _deployment_git(url: str | None, sha: str | None, directory: Path | None) -> dict[str, str] | None:
    detected = detect_git(commit_sha=sha, repository_url=url, directory=directory)
    why = f" ({'; '.join(detected.notes)})" if detected.notes else ""
    if detected.complete:
        if not (url and sha):  # datadog-ci also warns whenever it assumes what is deployed
            sources = " and ".join(dict.fromkeys(str(s) for s in (detected.sha_source, detected.url_source)))
            say(
                f"git: deploying {detected.commit_sha} of {detected.repository_url} (from {sources}); "
                "--git-repository-url, --git-commit-sha or --skip-git change that"
            )
        return {"repository_url": detected.repository_url or "", "commit_sha": detected.commit_sha or ""}
    if url or sha:
        missing = "--git-commit-sha" if url else "--git-repository-url"
        raise usage_error(f"{missing} is needed too: it could not be found in the checkout or the environment{why}")
    say(
        f"warning: no git commit and repository found{why}; sending without them, so change lead time will not "
        "cover this deployment (pass --git-repository-url and --git-commit-sha, or --skip-git)"
    )
    return None


def _explicit_git(url: str | None, sha: str | None) -> dict[str, str] | None:
    # A failure is often reported from a job that did not build what failed: its checkout says nothing about it.
    if not (url or sha):
        return None
    return drop_empty({"repository_url": sanitize_repository_url(url) if url else None, "commit_sha": sha})


def deployment(
    started_at: Annotated[str, typer.Option(help="When the deployment started: Unix s/ms/ns, ISO 8601, or 15m.")],
    service: Annotated[str | None, typer.Option(envvar="DD_SERVICE", help="The deployed service.")] = None,
    env: Annotated[str | None, typer.Option(envvar="DD_ENV", help="Environment, e.g. prod.")] = None,
    finished_at: Annotated[str, typer.Option(help="When it finished (same forms as --started-at).")] = "now",
    version: Version = None,
    team: Team = None,
    custom_tags: CustomTags = None,
    deployment_id: Annotated[str | None, typer.Option("--id", help="Your id; sending it again updates.")] = None,
    git_repository_url: RepoUrl = None,
    git_commit_sha: CommitSha = None,
    git_dir: Annotated[Path | None, typer.Option(help="Read git data from this checkout, not the current one.")] = None,
    skip_git: Annotated[
        bool, typer.Option("--skip-git", help="Send no git data (change lead time will not cover it).")
    ] = False,
    upload_commits: Annotated[
        bool | None,
        typer.Option(
            "--upload-commits/--no-upload-commits",
            help="Upload the commits deployed since the previous deployment, from the checkout, for change lead "
            "time. Default: try when git data comes from a checkout, and only warn if that fails; "
            "--upload-commits makes a failed upload exit 3 (after sending the deployment).",
        ),
    ] = None,
    dry: DryRun = False,
    output: OutputOpt = Output.text,
    as_json: AsJson = False,
    url: Url = None,
    ca_cert: CaCert = None,
    timeout: Timeout = 10.0,
    attempts: Attempts = 5,
    retry_backoff: Backoff = 0.5,
    retry_max_time: MaxTime = 30.0,
) -> None:
    """Send a deployment event (the flags of `datadog-ci dora deployment`); git is read from the checkout."""
    options = Delivery.of(url, ca_cert, timeout, attempts, retry_backoff, retry_max_time, output, as_json, dry)
    if not service:
        raise usage_error("missing service: pass --service or set DD_SERVICE")
    now = now_ns()
    started, finished = event_time(started_at, "--started-at", now), event_time(finished_at, "--finished-at", now)
    git = None if skip_git else _deployment_git(git_repository_url, git_commit_sha, git_dir)
    if upload_commits and git is None:
        raise usage_error("--upload-commits needs git data: drop --skip-git, or run it in the checkout")
    uploaded = True
    if upload_commits is not False and git is not None and not dry:
        # Before the deployment, so that the server has the commits when it measures it.
        uploaded = send_commits(
            git, service=service, env=env, directory=git_dir, options=options, explicit=bool(upload_commits)
        )
    attributes = {
        "service": service,
        "started_at": started,
        "finished_at": finished,
        "env": env,
        "version": version,
        "git": git,
        "team": team,
        "custom_tags": split_tags(custom_tags),
        # Chosen here, not by the server, so that a retry after a lost answer updates instead of duplicating.
        "id": deployment_id or new_deployment_id(),
    }
    deliver("deployment", attributes, options, lambda sent, to: f"sent deployment {sent.id} of {service} to {to}")
    if upload_commits and not uploaded:
        raise typer.Exit(EXIT_UPLOAD_FAILED)


@failure_app.command("start", epilog=EXIT_CODES)
def failure_start(
    service: Services = None,
    team: Team = None,
    env: Env = None,
    name: Annotated[str | None, typer.Option(help="What is failing, e.g. 'Checkout returns 500'.")] = None,
    severity: Annotated[str | None, typer.Option(help="Free text, e.g. SEV-1 or High.")] = None,
    failure_id: FailureId = None,
    started_at: Annotated[str, typer.Option(help="Unix s/ms/ns, ISO 8601, now, or an age such as 15m.")] = "now",
    version: Version = None,
    git_repository_url: RepoUrl = None,
    git_commit_sha: CommitSha = None,
    custom_tags: CustomTags = None,
    dry: DryRun = False,
    output: OutputOpt = Output.text,
    as_json: AsJson = False,
    url: Url = None,
    ca_cert: CaCert = None,
    timeout: Timeout = 10.0,
    attempts: Attempts = 5,
    retry_backoff: Backoff = 0.5,
    retry_max_time: MaxTime = 30.0,
) -> None:
    """Report that a failure started; prints its id and the command that resolves it."""
    options = Delivery.of(url, ca_cert, timeout, attempts, retry_backoff, retry_max_time, output, as_json, dry)
    if not service and not team:
        raise usage_error("give the impacted --service (repeatable) or the --team")
    started = event_time(started_at, "--started-at", now_ns())
    attributes = {
        "services": service,
        "team": team,
        "env": env,
        "started_at": started,
        "name": name,
        "severity": severity,
        "version": version,
        "git": _explicit_git(git_repository_url, git_commit_sha),
        "custom_tags": split_tags(custom_tags),
        # No id is made up here: without one, the server merges a retried copy by env, service and start anyway.
        "id": failure_id,
    }

    def describe(sent: Delivered, to: str) -> str:
        subjects = [f"--service {shlex.quote(s)}" for s in service or ()] or [f"--team {shlex.quote(team or '')}"]
        return (
            f"sent failure {sent.id} (started {format_rfc3339(started)}) to {to}\n"
            f"resolve it with: doralens failure resolve --id {shlex.quote(sent.id)} --started-at {started} "
            + " ".join(subjects)
        )

    deliver("failure", attributes, options, describe)


def _stored_subject(options: Delivery, failure_id: str) -> tuple[int, list[str], str | None]:
    """The start and services (or team) of a failure already on the server (read with the application key)."""
    with opened_client(options) as client:
        stored: dict[str, Any] = client.get_failure(failure_id)
    try:
        started = parse_rfc3339(str(stored.get("started_at")))
    except TimestampError:
        raise usage_error(f"the server's failure {failure_id} has no readable started_at") from None
    return started, list(stored.get("services") or []), stored.get("team")


@failure_app.command("resolve", epilog=EXIT_CODES)
def failure_resolve(
    failure_id: FailureId = None,
    service: Services = None,
    team: Team = None,
    env: Env = None,
    started_at: Annotated[str | None, typer.Option(help="Without --id: exactly what `start` sent.")] = None,
    finished_at: Annotated[str, typer.Option(help="When it was resolved (same forms).")] = "now",
    dry: DryRun = False,
    output: OutputOpt = Output.text,
    as_json: AsJson = False,
    url: Url = None,
    ca_cert: CaCert = None,
    timeout: Timeout = 10.0,
    attempts: Attempts = 5,
    retry_backoff: Backoff = 0.5,
    retry_max_time: MaxTime = 30.0,
) -> None:
    """Resolve a failure: by --id (robust), or by the same --service/--team, --env and --started-at as `start`."""
    options = Delivery.of(url, ca_cert, timeout, attempts, retry_backoff, retry_max_time, output, as_json, dry)
    now = now_ns()
    finished = event_time(finished_at, "--finished-at", now)
    started = event_time(started_at, "--started-at", now) if started_at is not None else None
    services, known_team = list(service or []), team
    if failure_id is None and (started is None or not (services or known_team)):
        raise usage_error(
            "without --id, give the same --service (or --team), --env and --started-at that `failure start` sent, "
            "so the server can match the failure; or pass --id"
        )
    if failure_id is not None and (started is None or not (services or known_team)):
        # The API wants the start and the subject in every event; read them rather than make the user repeat them.
        stored_start, stored_services, stored_team = _stored_subject(options, failure_id)
        started = stored_start if started is None else started
        if not (services or known_team):
            services, known_team = stored_services, stored_team
    attributes = {
        "id": failure_id,
        "services": services,
        "team": known_team,
        "env": env,
        "started_at": started,
        "finished_at": finished,
    }
    deliver(
        "failure",
        attributes,
        options,
        lambda sent, to: f"resolved failure {sent.id} at {format_rfc3339(finished)} ({to})",
    )


def register(app: typer.Typer) -> None:
    """Add ``deployment`` and ``failure`` to the app."""
    app.command("deployment", epilog=EXIT_CODES)(deployment)
    app.add_typer(failure_app, name="failure")
