"""What the send commands share: delivery options, client-side validation, sending, and printing the outcome.

Exit codes: 0 sent (or printed, with --dry-run); 1 the server rejected the event or could not be reached in the
retry budget; 2 a usage problem found before anything was sent (a bad flag, a missing URL or key); 3 the
deployment was sent but the commit upload that ``--upload-commits`` asked for failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import typer

from doralens.api.schemas import parse_deployment, parse_failure
from doralens.cli.target import target_from_env
from doralens.client import Delivered, DeliveryError, DoralensClient, RetryPolicy
from doralens.domain.timestamps import TimestampError, parse_event_time
from doralens.errors import ConfigError, ValidationFailed

EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_UPLOAD_FAILED = 3
EXIT_CODES = (
    "Exit codes: 0 sent (or printed by --dry-run), 1 rejected or unreachable, 2 usage error (nothing sent), "
    "3 deployment sent but the commit upload asked for by --upload-commits failed."
)
PANEL = "Delivery"
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class Output(StrEnum):
    """What to print on success."""

    text = "text"
    json = "json"
    id = "id"


Url = Annotated[
    str | None,
    typer.Option(
        "--url", help="Server base URL (default: DORALENS_URL, else https://api.<DD_SITE>).", rich_help_panel=PANEL
    ),
]
CaCert = Annotated[
    Path | None,
    typer.Option(
        "--ca-cert",
        help="PEM CA file to trust instead of the default store (default: DORALENS_CA_CERT; SSL_CERT_FILE works too).",
        rich_help_panel=PANEL,
    ),
]
Timeout = Annotated[float, typer.Option(min=0.1, help="Seconds to wait for each attempt.", rich_help_panel=PANEL)]
Attempts = Annotated[
    int,
    typer.Option(
        min=1, max=20, help="Attempts in all, retrying 5xx, 429 and connection errors.", rich_help_panel=PANEL
    ),
]
Backoff = Annotated[
    float,
    typer.Option(
        "--retry-backoff", min=0.0, help="First wait between attempts, doubling (with jitter).", rich_help_panel=PANEL
    ),
]
MaxTime = Annotated[
    float,
    typer.Option(
        "--retry-max-time",
        min=0.0,
        help="Give up when the next try would pass this many seconds.",
        rich_help_panel=PANEL,
    ),
]
OutputOpt = Annotated[
    Output, typer.Option("--output", "-o", help="text, json (the server's answer) or id (only the id).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the server's answer as JSON (same as --output json).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the JSON body that would be sent, and send nothing.")]
CustomTags = Annotated[
    list[str] | None,
    typer.Option("--custom-tags", help="key:value; repeat the flag or separate with commas (at most 100)."),
]

Env = Annotated[str | None, typer.Option(help="Environment, e.g. prod.")]
Team = Annotated[str | None, typer.Option(help="The team responsible.")]
Version = Annotated[str | None, typer.Option(help="The version of the service.")]
Services = Annotated[list[str] | None, typer.Option("--service", help="An impacted service; repeat for several.")]
RepoUrl = Annotated[str | None, typer.Option(help="Repository URL; credentials in it are stripped before sending.")]
CommitSha = Annotated[str | None, typer.Option(help="Full commit sha (40 or 64 hex characters).")]
FailureId = Annotated[str | None, typer.Option("--id", help="Your id for the failure (16-128 of A-Z a-z 0-9 _ . : -).")]


@dataclass(frozen=True)
class Delivery:
    """The delivery flags of one command."""

    url: str | None
    ca_cert: Path | None
    timeout: float
    attempts: int
    backoff: float
    max_time: float
    output: Output
    dry_run: bool

    @classmethod
    def of(
        cls,
        url: str | None,
        ca_cert: Path | None,
        timeout: float,
        attempts: int,
        backoff: float,
        max_time: float,
        output: Output,
        as_json: bool,
        dry_run: bool,
    ) -> Delivery:
        """Bundle the flags; ``--json`` is a shorthand for ``--output json``."""
        return cls(url, ca_cert, timeout, attempts, backoff, max_time, Output.json if as_json else output, dry_run)


def say(message: str) -> None:
    """A note for the person reading the CI log (stderr, so stdout stays machine-readable)."""
    typer.echo(message, err=True)


def usage_error(message: str) -> typer.Exit:
    """Report a problem found before sending; return the exit to raise (code 2)."""
    say(f"error: {message}")
    return typer.Exit(EXIT_USAGE)


def event_time(text: str, option: str, now: int) -> int:
    """Read a time flag, or exit 2 naming the flag."""
    try:
        return parse_event_time(text, now=now)
    except TimestampError as exc:
        raise usage_error(f"{option} {exc}") from None


def split_tags(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated --custom-tags as one list (a tag cannot contain a comma in Datadog either)."""
    return [tag.strip() for value in values or () for tag in value.split(",") if tag.strip()]


def drop_empty(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes without the ones not given, as datadog-ci sends them."""
    return {key: value for key, value in attributes.items() if value not in (None, [], "")}


_FLAGS = {
    "service": "--service",
    "services": "--service",
    "team": "--team",
    "env": "--env",
    "version": "--version",
    "started_at": "--started-at",
    "finished_at": "--finished-at",
    "id": "--id",
    "name": "--name",
    "severity": "--severity",
    "custom_tags": "--custom-tags",
    "git": "--git-repository-url/--git-commit-sha",
    "commit_sha": "--git-commit-sha",
    "repository_url": "--git-repository-url",
}


def validate(kind: Literal["deployment", "failure"], body: dict[str, Any]) -> None:
    """Check the body with the server's own rules; exit 2 naming the flag of each problem."""
    try:
        (parse_deployment if kind == "deployment" else parse_failure)(body, service_teams={})
    except ValidationFailed as exc:
        messages = []
        for problem in exc.problems:
            parts = problem.pointer.removeprefix("/data/attributes/").split("/")
            names = [p for p in parts if not p.isdigit()]
            flag = _FLAGS.get(names[-1] if names else "", problem.pointer)
            if parts[0] == "custom_tags" and len(parts) > 1 and parts[1].isdigit():
                flag = f"--custom-tags {body['data']['attributes']['custom_tags'][int(parts[1])]!r}"
            messages.append(f"{flag}: {problem.detail}")
        raise usage_error("; ".join(messages)) from None


@contextmanager
def opened_client(options: Delivery) -> Iterator[DoralensClient]:
    """A client for the configured server; exit 2 when the URL, key or CA file is missing or wrong."""
    try:
        target = target_from_env(url=options.url, ca_cert=options.ca_cert)
    except ConfigError as exc:
        raise usage_error(str(exc)) from None
    if urlsplit(target.url).scheme == "http" and urlsplit(target.url).hostname not in _LOOPBACK:
        say(f"warning: {target.url} is plain HTTP: the API key crosses the network unencrypted")
    retry = RetryPolicy(attempts=options.attempts, backoff=options.backoff, max_time=options.max_time)

    def notice(attempt: int, reason: str, wait: float) -> None:
        say(f"attempt {attempt} of {retry.attempts} failed: {reason}; retrying in {wait:.1f}s")

    with DoralensClient(target, timeout=options.timeout, retry=retry, on_retry=notice) as client:
        try:
            yield client
        except ConfigError as exc:
            raise usage_error(str(exc)) from None
        except DeliveryError as exc:
            hint = " (check DORALENS_API_KEY, and DORALENS_APP_KEY when reading by --id)" if exc.status == 403 else ""
            say(f"error: {exc}{hint}")
            raise typer.Exit(EXIT_REJECTED) from None


def deliver(
    kind: Literal["deployment", "failure"],
    attributes: dict[str, Any],
    options: Delivery,
    describe: Callable[[Delivered, str], str],
) -> None:
    """Validate the event, then print it (--dry-run) or send it and print the outcome as --output asks."""
    body = {"data": {"attributes": drop_empty(attributes)}}
    validate(kind, body)
    if options.dry_run:
        typer.echo(json.dumps(body, indent=2))
        say("dry run: nothing was sent")
        return
    with opened_client(options) as client:
        delivered = client.send_deployment(body) if kind == "deployment" else client.send_failure(body)
    if options.output is Output.json:
        typer.echo(json.dumps(delivered.body))
    elif options.output is Output.id:
        typer.echo(delivered.id)
    else:
        retried = f" (after {delivered.attempts} attempts)" if delivered.attempts > 1 else ""
        first, newline, rest = describe(delivered, client.target.url).partition("\n")
        typer.echo(f"{first}{retried}{newline}{rest}")


def now_ns() -> int:
    """The current time, read once per command so that every 'now' in it agrees."""
    return time.time_ns()
