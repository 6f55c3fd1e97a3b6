"""The spool an import keeps its validated events in between checking the file and writing it: batches of plain
tuples in a temporary file (``marshal``, which reads and writes them far faster than pickling dataclasses)."""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from typing import IO, Any

from doralens.domain.events import ChangeFailureMark, Deployment, Failure, GitInfo, Remediation
from doralens.transfer.items import Item


def _record(item: Item) -> tuple[Any, ...]:
    e = item.event
    git = e.git
    git_fields = (git.commit_sha, git.repository_url, git.repository_id) if git else None
    if isinstance(e, Deployment):
        mark = item.mark
        mark_fields = None
        if mark is not None:
            fix = mark.remediation
            fix_fields = (fix.type, fix.deployment_id, fix.version) if fix else None
            mark_fields = (mark.change_failure, fix_fields, mark.set_by, mark.set_at)
        fields = (e.id, e.service, e.started_at, e.finished_at, e.env, e.team, e.version, git_fields, e.custom_tags)
        return (item.line, 0, fields, mark_fields)
    failure = (e.id, e.started_at, e.services, e.team, e.finished_at, e.name, e.severity, e.env, e.version)
    return (item.line, 1, (*failure, git_fields, e.custom_tags, e.id_given), None)


def _item(record: tuple[Any, ...]) -> Item:
    line, kind, fields, mark = record
    if kind == 1:
        id_, started, services, team, finished, name, severity, env, version, git, tags, id_given = fields
        info = GitInfo(*git) if git else None
        failure = Failure(id_, started, services, team, finished, name, severity, env, version, info, tags, id_given)
        return Item(line, failure)
    id_, service, started, finished, env, team, version, git, tags = fields
    deployment = Deployment(id_, service, started, finished, env, team, version, GitInfo(*git) if git else None, tags)
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
