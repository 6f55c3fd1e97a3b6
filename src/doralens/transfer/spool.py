"""The spool an import keeps its validated events in between checking the file and writing it: batches of plain
tuples in a temporary file (``marshal``, which reads and writes them far faster than pickling dataclasses)."""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from typing import IO, Any

from doralens.domain.events import ChangeFailureMark, Deployment, Failure, GitInfo, Remediation
from doralens.transfer.items import Item


def _git(git: GitInfo | None) -> tuple[str, str, str] | None:
    return (git.commit_sha, git.repository_url, git.repository_id) if git else None


def _mark(mark: ChangeFailureMark | None) -> tuple[Any, ...] | None:
    if mark is None:
        return None
    fix = mark.remediation
    return (mark.change_failure, (fix.type, fix.deployment_id, fix.version) if fix else None, mark.set_by, mark.set_at)


def _record(item: Item) -> tuple[Any, ...]:
    e = item.event
    if isinstance(e, Deployment):
        fields = (e.id, e.service, e.started_at, e.finished_at, e.env, e.team, e.version, _git(e.git), e.custom_tags)
        return (item.line, 0, fields, _mark(item.mark))
    failure = (e.id, e.started_at, e.services, e.team, e.finished_at, e.name, e.severity, e.env, e.version)
    return (item.line, 1, (*failure, _git(e.git), e.custom_tags, e.id_given), None)


def _item(record: tuple[Any, ...]) -> Item:
    line, kind, fields, mark = record
    if kind == 1:
        id_, started, services, team, finished, name, severity, env, version, git, tags, id_given = fields
        failure = Failure(
            id=id_,
            started_at=started,
            services=services,
            team=team,
            finished_at=finished,
            name=name,
            severity=severity,
            env=env,
            version=version,
            git=GitInfo(*git) if git else None,
            custom_tags=tags,
            id_given=id_given,
        )
        return Item(line, failure)
    id_, service, started, finished, env, team, version, git, tags = fields
    deployment = Deployment(
        id=id_,
        service=service,
        started_at=started,
        finished_at=finished,
        env=env,
        team=team,
        version=version,
        git=GitInfo(*git) if git else None,
        custom_tags=tags,
    )
    if mark is not None:
        change_failure, fix, set_by, set_at = mark
        mark = ChangeFailureMark(change_failure, Remediation(*fix) if fix else None, set_by, set_at)
    return Item(line, deployment, mark)


def dump_batch(items: list[Item], spool: IO[bytes]) -> None:
    """Append a batch to the spool: its length, then its records (one read each way, not one per object)."""
    blob = marshal.dumps([_record(item) for item in items])
    spool.write(len(blob).to_bytes(8, "little"))
    spool.write(blob)


def load_batches(spool: IO[bytes]) -> Iterator[list[Item]]:
    """The batches of the spool, from its start."""
    spool.seek(0)
    while size := spool.read(8):
        records = marshal.loads(spool.read(int.from_bytes(size, "little")))
        yield [_item(record) for record in records]
