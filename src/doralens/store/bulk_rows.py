"""What the bulk writer of deployments takes: each deployment as a ready row, and a batch of rows walked in order as
the one-by-one path would record them (which streams each touches, which need lead time, the final version of each
id). Kept free of the database layer: an import's reading process builds these, and walks each batch in advance as
if nothing were stored (``row_batch``), so the writing process gets plain tuples and, usually, the walk done.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from doralens.domain.events import ChangeFailureMark, Deployment, Failure
from doralens.domain.query_ast import split_tag
from doralens.domain.streams import StreamKey, env_key, touch

# The columns a bulk write sets that deployments and failures share, after those of their own.
SHARED_COLUMNS = (
    "env",
    "team",
    "version",
    "started_at",
    "finished_at",
    "commit_sha",
    "repository_url",
    "repository_id",
    "custom_tags",
    "updated_at",
)
# The deployments' columns a bulk write sets, in the order of ``DeploymentRow.values`` (but the last).
EVENT_COLUMNS = ("id", "service", *SHARED_COLUMNS)

# Positions in ``DeploymentRow.values`` of what walking a batch reads.
_ID, _SERVICE, _ENV, _TEAM, _FINISHED_AT, _COMMIT_SHA = (
    EVENT_COLUMNS.index(c) for c in ("id", "service", "env", "team", "finished_at", "commit_sha")
)


class DeploymentRow(NamedTuple):
    """A deployment as the bulk writer takes it, ready to write: what an import's reading process builds, so that
    the writing process gets plain tuples (a fraction of the cost of rebuilding events from a pipe)."""

    values: tuple[Any, ...]  # ``EVENT_COLUMNS`` but the last, ``updated_at``
    tags: tuple[tuple[str, str], ...]  # its ``deployment_tags`` rows, as ``tag_rows`` gives them
    mark: ChangeFailureMark | None  # the manual mark it carries, if any


@dataclass(slots=True)
class Known:
    """A deployment as the batch has it so far: its stream and the deployment its manual remediation names."""

    stream: StreamKey
    fix: str | None


@dataclass
class Walked:
    """What walking a batch found: the final version of each id, marks, and the streams to mark."""

    final: dict[str, DeploymentRow] = field(default_factory=dict)
    marks: dict[str, ChangeFailureMark] = field(default_factory=dict)
    touched: dict[StreamKey, int] = field(default_factory=dict)
    lead_time: set[StreamKey] = field(default_factory=set)
    streams: set[tuple[str, str, str]] = field(default_factory=set)


@lru_cache(maxsize=4096)
def custom_tags_text(tags: tuple[str, ...]) -> str:
    """The stored JSON of custom tags, byte for byte as the one-by-one path writes it (events repeat tag sets)."""
    return json.dumps(list(tags)) if tags else "[]"


@lru_cache(maxsize=4096)
def tag_rows(tags: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The (key, value) rows of a tag set, duplicates once, as the one-by-one path inserts them."""
    return tuple(dict.fromkeys(split_tag(t) for t in tags))


def deployment_row(deployment: Deployment, mark: ChangeFailureMark | None) -> DeploymentRow:
    """A deployment and the mark it carries, ready for ``write_deployments``."""
    values = (deployment.id, deployment.service, *shared_values(deployment))
    return DeploymentRow(values, tag_rows(deployment.custom_tags), mark)


def shared_values(event: Deployment | Failure) -> tuple[Any, ...]:
    """An event's values of ``SHARED_COLUMNS`` but the last, ``updated_at``, as stored."""
    git = event.git
    return (
        event.env,
        event.team,
        event.version,
        event.started_at,
        event.finished_at,
        git.commit_sha if git else None,
        git.repository_url if git else None,
        git.repository_id if git else None,
        custom_tags_text(event.custom_tags),
    )


def replay(
    items: Sequence[DeploymentRow],
    stored: dict[str, Known],
    naming: dict[str, dict[str, StreamKey]],
    outside: dict[str, StreamKey],
) -> Walked:
    """Replay the rows in order against what is stored: the stored rows with their ids, the stored rows whose
    remediation names one of them (``naming``, updated as the walk goes), and the streams of the deployments outside
    the batch that marks name (``outside``)."""
    in_batch: set[str] = {item.values[_ID] for item in items}
    known = dict(stored)
    walked = Walked()

    def stream_of(deployment_id: str | None) -> StreamKey | None:
        if deployment_id is None:
            return None
        if deployment_id in in_batch:
            current = known.get(deployment_id)
            return current.stream if current else None
        return outside.get(deployment_id)

    def name_fix(deployment_id: str, previous: str | None, fix: str | None, stream: StreamKey) -> None:
        if previous in naming:
            naming[previous].pop(deployment_id, None)
        if fix in in_batch:
            naming.setdefault(fix, {})[deployment_id] = stream

    touched, lead_time, streams, final = walked.touched, walked.lead_time, walked.streams, walked.final
    for item in items:
        values, mark = item.values, item.mark
        deployment_id: str = values[_ID]
        service: str = values[_SERVICE]
        env: str | None = values[_ENV]
        stream = (service, env)
        before = known.get(deployment_id)
        fix = before.fix if before else None
        known[deployment_id] = Known(stream, fix)
        if fix is not None:
            name_fix(deployment_id, fix, fix, stream)
        # Its stream, the one it left (if stored before), and those of the deployments it remediates.
        since: int = values[_FINISHED_AT]
        if touched.get(stream, since) >= since:
            touched[stream] = since
        if before is not None:
            touch(touched, [before.stream], since)
            lead_time.add(before.stream)
            lead_time.add(stream)
        elif values[_COMMIT_SHA] is not None:
            lead_time.add(stream)
        if deployment_id in naming:
            touch(touched, naming[deployment_id].values(), since)
        streams.add((service, env_key(env), values[_TEAM] or ""))
        final[deployment_id] = item
        if mark is not None:
            new_fix = mark.remediation.deployment_id if mark.remediation else None
            found = [stream_of(d) for d in (deployment_id, fix, new_fix)]
            touch(touched, [s for s in found if s is not None], 0)
            known[deployment_id] = Known(stream, new_fix)
            name_fix(deployment_id, fix, new_fix, stream)
            walked.marks[deployment_id] = mark
    return walked


@dataclass
class RowBatch:
    """Deployment rows written together, and what walking them finds when none of their ids is stored yet and no
    stored deployment names one (``walked``): worked out where the rows are built, in an import's reading process,
    so that the writing process only has to check that. None when a row carries a mark: a mark may name a stored
    deployment, which only the writer can read."""

    rows: list[DeploymentRow]
    ids: list[str]  # each id once, in key order
    walked: Walked | None


def row_batch(rows: list[DeploymentRow]) -> RowBatch:
    """Rows to write together, walked in advance as if nothing were stored (see ``RowBatch``)."""
    ids = sorted({row.values[_ID] for row in rows})
    walked = None if any(row.mark is not None for row in rows) else replay(rows, {}, {}, {})
    return RowBatch(rows, ids, walked)
