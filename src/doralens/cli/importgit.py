"""``doralens import git``: deployments backfilled from the release tags of an existing repository.

Each tag matching the pattern becomes a deployment of the service and env: finished at the tag's date (the tagger's
for an annotated tag, the commit's for a lightweight one), of the tagged commit, with the tag name as version. Ids
are derived from the repository, service, env and tag, so a second run updates instead of duplicating. The commits
between consecutive tags are uploaded as commit metadata first, so lead time is computed at once, without the
server reading the repository.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from doralens.cli.common import fail, load_settings, opened_store
from doralens.cli.importgroup import import_app
from doralens.domain.events import Deployment, make_git_info
from doralens.domain.timestamps import NS_PER_SECOND, TimestampError, format_rfc3339, parse_moment
from doralens.gitdata.commits import DEFAULT_LIMIT
from doralens.gitdata.git import GitError, checked, run_git
from doralens.gitdata.leadtime import lead_time_distribution
from doralens.gitdata.payload import collect_from_checkout
from doralens.gitdata.service import GitData


@dataclass(frozen=True, slots=True)
class Tag:
    """A release tag: its name, the commit it names, and its date in nanoseconds."""

    name: str
    sha: str
    at: int


def release_tags(repository: Path, pattern: str) -> list[Tag]:
    """Tags matching the glob ``pattern`` that name commits, oldest first (ties by name)."""
    names = ("refname:strip=2", "objectname", "*objectname", "*objecttype", "objecttype", "creatordate:unix")
    fields = "%00".join(f"%({name})" for name in names)
    result = run_git(["for-each-ref", f"--format={fields}", f"refs/tags/{pattern}"], repository=repository)
    tags = []
    for line in checked(result, "git for-each-ref").decode("utf-8", "replace").splitlines():
        name, direct, peeled, peeled_type, kind, when = line.split("\0")
        sha = peeled if kind == "tag" else direct
        if (peeled_type if kind == "tag" else kind) == "commit" and when.isdigit():
            tags.append(Tag(name, sha, int(when) * NS_PER_SECOND))
    return sorted(tags, key=lambda t: (t.at, t.name))


def tag_deployment_id(repository_id: str, service: str, env: str, tag: str) -> str:
    """The id of a tag's deployment: the same on every run."""
    digest = hashlib.sha256("\0".join((repository_id, service, env, tag)).encode()).hexdigest()[:32]
    return f"tag-{digest}"


def _origin(repository: Path) -> str | None:
    result = run_git(["remote", "get-url", "origin"], repository=repository)
    url = result.stdout.decode().strip()
    return url if result.returncode == 0 and url else None


def import_git(
    repo: Annotated[Path, typer.Option("--repo", help="The repository (a checkout or a bare clone).")],
    service: Annotated[str, typer.Option(help="The service the tags released.")],
    env: Annotated[str, typer.Option(help="The environment they were deployed to.")],
    tags: Annotated[str, typer.Option(help="Glob of the release tags, e.g. 'v*'.")] = "*",
    since: Annotated[str | None, typer.Option(help="Only tags dated from this moment (date, RFC 3339, 90d).")] = None,
    team: Annotated[str | None, typer.Option(help="The team owning the service.")] = None,
    repository_url: Annotated[
        str | None, typer.Option(help="The repository as deployments name it (default: the origin remote).")
    ] = None,
) -> None:
    """Record a deployment per release tag, upload the commits between tags, and compute their lead time."""
    settings = load_settings()
    try:
        found = release_tags(repo, tags)
        url = repository_url or _origin(repo)
        start = parse_moment(since, now=found[-1].at if found else 0) if since else None
    except (GitError, TimestampError) as exc:
        raise fail(str(exc), 2) from None
    if url is None:
        raise fail(f"{repo} has no origin remote: pass --repository-url", 2)
    if start is not None:
        found = [t for t in found if t.at >= start]
    if not found:
        raise fail(f"no tag of {repo} matches {tags!r}", 2)
    with opened_store(settings) as store:
        git = GitData.open(settings, store.backend)
        added = 0
        previous: Tag | None = None
        for tag in found:
            # The tagged commit and, from the second tag on, every commit since the previous one.
            upload = collect_from_checkout(
                repo, tag.sha, previous.sha if previous else None, DEFAULT_LIMIT if previous else 1, repository_url=url
            )
            added += git.upload(upload).added
            previous = tag
        ids = []
        for tag in found:
            info = make_git_info(tag.sha, url)
            deployment = Deployment(
                id=tag_deployment_id(info.repository_id, service, env, tag.name),
                service=service,
                env=env,
                team=team,
                started_at=tag.at,
                finished_at=tag.at,
                version=tag.name,
                git=info,
            )
            ids.append(store.record_deployment(deployment))
        git.refresh(envs=[env])
        summary = lead_time_distribution(git.records.load(ids).values(), min_n=1)
    first, last = format_rfc3339(found[0].at), format_rfc3339(found[-1].at)
    typer.echo(f"imported {len(found)} tags of {service} in {env} ({first} → {last}); {added} commits uploaded")
    median = summary.distribution.median
    shown = f"{median / NS_PER_SECOND / 3600:.1f} h" if median is not None else "none"
    typer.echo(
        f"change lead time: median {shown} over {summary.commits} commits of {summary.deployments} deployments; "
        f"{summary.no_baseline} without a baseline, {summary.previous_too_old} after a gap over the baseline age"
    )


def register(app: typer.Typer) -> None:
    """Add ``import git`` to the app."""
    import_app.command("git")(import_git)
    app.add_typer(import_app, name="import")
