"""Git data for change lead time (``/api/v1/git``): commit metadata uploaded from CI, and the baseline a CI job
collects commits from. Both take the API key, the credential a CI job holds.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from doralens.api.auth import ApiKey
from doralens.api.deps import JsonBody
from doralens.api.errors import api_json
from doralens.api.schemas import problems_from
from doralens.domain.timestamps import format_rfc3339
from doralens.gitdata.payload import CommitUpload
from doralens.gitdata.service import GitData

router = APIRouter(prefix="/api/v1/git", tags=["Git data"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request: `source.pointer` names the field"},
    403: {"description": "Forbidden: missing or unknown API key"},
    413: {"description": "The body is over the size limit: send the commits in several requests"},
}


def _git(request: Request) -> GitData:
    git: GitData = request.app.state.git
    return git


@router.post("/commits", summary="Upload commit metadata", responses=_ERRORS)
def upload_commits(_: ApiKey, body: JsonBody, request: Request) -> JSONResponse:
    """Store commits (sha, parents, times, subject, changed paths) of a repository; sending them again is a no-op.

    Lead time of deployments whose range these commits complete is recomputed in the background."""
    try:
        upload = CommitUpload.model_validate(body)
    except ValidationError as exc:
        raise problems_from(exc) from None
    result = _git(request).upload(upload)
    attributes = {
        "repository_id": result.repository_id,
        "received": result.received,
        "added": result.added,
        "recomputed_streams": result.retried_streams,
    }
    return api_json({"data": {"type": "git_commit_upload", "id": result.repository_id, "attributes": attributes}})


@router.get("/baseline", summary="The commit a service's next deployment is measured from", responses=_ERRORS)
def baseline(
    _: ApiKey,
    request: Request,
    service: Annotated[str, Query(min_length=1, max_length=200, description="The service about to deploy.")],
    env: Annotated[str | None, Query(max_length=200, description="Its environment.")] = None,
) -> JSONResponse:
    """The latest deployment with git data of the service and env: the CLI uploads the commits since its sha."""
    found = _git(request).state.latest_with_git(service, env or None)
    attributes: dict[str, Any] = {"service": service, "env": env or None, "commit_sha": None}
    if found is not None and found.git is not None:
        attributes.update(
            commit_sha=found.git.commit_sha,
            repository_id=found.git.repository_id,
            deployment_id=found.id,
            finished_at=format_rfc3339(found.finished_at),
        )
    return api_json({"data": {"type": "git_baseline", "attributes": attributes}})
