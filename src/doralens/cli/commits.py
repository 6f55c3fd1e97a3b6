"""Commit upload for ``doralens deployment``: the commits a deployment ships, collected from the CI checkout.

The server names the baseline (``GET /api/v1/git/baseline``: its latest deployment with git data of the service
and env); the commits since it are collected with git and sent in batches under the body size limit, before the
deployment itself, so that the server has them when it measures it. Without a baseline (a first deployment, an
older server) the newest ``FIRST_UPLOAD_LIMIT`` commits are sent. A failed upload never stops the deployment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from doralens.cli.delivery import Delivery, say, usage_error
from doralens.cli.target import target_from_env
from doralens.client import DeliveryError, DoralensClient, RetryPolicy
from doralens.errors import ConfigError
from doralens.gitdata.commits import DEFAULT_LIMIT
from doralens.gitdata.git import GitError
from doralens.gitdata.payload import CommitUpload, collect_from_checkout

FIRST_UPLOAD_LIMIT = 1000
# Well under the server's default 1 MiB body limit, whatever the paths of the commits.
MAX_BATCH_BYTES = 512 * 1024


def byte_batches(upload: CommitUpload, limit: int = MAX_BATCH_BYTES) -> list[dict[str, Any]]:
    """The upload as request bodies of at most about ``limit`` bytes each (a single huge commit goes alone)."""
    head = {"repository_url": upload.repository_url}
    bodies: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    size = 0
    for commit in upload.commits:
        item = commit.model_dump(mode="json")
        length = len(json.dumps(item)) + 1
        if batch and size + length > limit:
            bodies.append({**head, "commits": batch})
            batch, size = [], 0
        batch.append(item)
        size += length
    bodies.append({**head, "commits": batch})
    return bodies


def upload_commits(
    git: dict[str, str], *, service: str, env: str | None, directory: Path | None, options: Delivery, explicit: bool
) -> bool:
    """Upload the deployment's commits; True when done, False (with a warning printed) when it failed."""
    checkout = directory or Path.cwd()
    try:
        target = target_from_env(url=options.url, ca_cert=options.ca_cert)
    except ConfigError as exc:
        raise usage_error(str(exc)) from None
    retry = RetryPolicy(attempts=options.attempts, backoff=options.backoff, max_time=options.max_time)
    try:
        with DoralensClient(target, timeout=options.timeout, retry=retry) as client:
            base = _baseline(client, service, env)
            limit = DEFAULT_LIMIT if base else FIRST_UPLOAD_LIMIT
            upload = collect_from_checkout(
                checkout, git["commit_sha"], base, limit, repository_url=git["repository_url"]
            )
            bodies = byte_batches(upload)
            added = sum(int(client.upload_commits(body).get("added", 0)) for body in bodies)
    except (GitError, DeliveryError) as exc:
        if explicit or not isinstance(exc, GitError):
            say(f"warning: commit upload failed ({exc}); the deployment is sent without it")
        else:
            say(f"note: no commits uploaded ({exc}); pass --upload-commits to make that an error")
        return False
    since = f"since {base[:12]}" if base else f"(the newest, no earlier deployment of {service} known)"
    say(f"uploaded {len(upload.commits)} commits {since} in {len(bodies)} requests, {added} new to the server")
    return True


def _baseline(client: DoralensClient, service: str, env: str | None) -> str | None:
    try:
        return client.git_baseline(service, env)
    except DeliveryError as exc:
        if exc.status == 404:
            return None  # a server without the git API: collect a bounded window instead
        raise
