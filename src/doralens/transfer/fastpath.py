"""A fast path for the common deployment line: plain values the API's models would accept unchanged.

It only ever accepts: anything it is not sure of (a wrong type, surrounding whitespace the models would strip, an
id or sha off its pattern, a tag the tag validator refuses, a start after the finish) returns None, and the line
goes through the API's models, which accept it or say why not. What it accepts, it builds exactly as
``parse_deployment`` does; a property test holds the two to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TypeGuard

from pydantic_core import PydanticCustomError

from doralens.api.schemas import check_custom_tag
from doralens.domain.events import (
    MAX_CUSTOM_TAGS,
    MAX_REPOSITORY_ID,
    Deployment,
    make_git_info,
    new_deployment_id,
)
from doralens.domain.timestamps import LATEST_NS, TimestampError, to_nanoseconds

_ID = re.compile(r"[A-Za-z0-9_.:-]{16,128}")
_SHA = re.compile(r"[0-9a-fA-F]{40,128}")
# An integer from here on is nanoseconds (``timestamps._UNIT_BOUNDS``) and past the earliest instant accepted.
_NANOSECONDS_FROM = 10**17


def _name(value: Any, longest: int = 200) -> TypeGuard[str]:
    return type(value) is str and 0 < len(value) <= longest and value == value.strip()


def _time(value: Any) -> int | None:
    if type(value) is not int:
        return None
    if _NANOSECONDS_FROM <= value < LATEST_NS:
        return value  # already nanoseconds, and in range: what ``to_nanoseconds`` returns for it
    try:
        return to_nanoseconds(value)
    except TimestampError:
        return None


@lru_cache(maxsize=4096)  # events repeat a few sets of tags
def _valid_tags(tags: tuple[str, ...]) -> bool:
    try:
        for tag in tags:
            check_custom_tag(tag)
    except PydanticCustomError:
        return False
    return True


def _tags(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if type(value) is not list or len(value) > MAX_CUSTOM_TAGS:
        return None
    tags = tuple(value)
    try:
        return tags if _valid_tags(tags) else None
    except TypeError:  # a list or an object among the tags (unhashable): not a tag
        return None


def fast_deployment(body: Any, *, service_teams: Mapping[str, str], event_id: str | None) -> Deployment | None:
    """The deployment ``parse_deployment`` would build from this body, or None when the models must decide."""
    data = body.get("data") if type(body) is dict else None
    attrs = data.get("attributes") if type(data) is dict else None
    if type(attrs) is not dict:
        return None
    service = attrs.get("service")
    if not _name(service):
        return None
    started, finished = _time(attrs.get("started_at")), _time(attrs.get("finished_at"))
    if started is None or finished is None or started > finished:
        return None
    env, version, team = attrs.get("env"), attrs.get("version"), attrs.get("team")
    if (
        (env is not None and not _name(env))
        or (version is not None and not _name(version))
        or (team is not None and not _name(team))
    ):
        return None
    given_id = attrs.get("id")
    if given_id is not None and (type(given_id) is not str or _ID.fullmatch(given_id) is None):
        return None
    tags = _tags(attrs.get("custom_tags"))
    git = attrs.get("git")
    if tags is None or (git is not None and type(git) is not dict):
        return None
    info = None
    if git is not None:
        sha, url = git.get("commit_sha"), git.get("repository_url")
        if type(sha) is not str or _SHA.fullmatch(sha) is None or not _name(url, 2000):
            return None
        info = make_git_info(sha, url)
        if len(info.repository_id) > MAX_REPOSITORY_ID:
            return None
    return Deployment(
        id=given_id or event_id or new_deployment_id(),
        service=service,
        started_at=started,
        finished_at=finished,
        env=env,
        team=team or service_teams.get(service),
        version=version,
        git=info,
        custom_tags=tags,
    )
