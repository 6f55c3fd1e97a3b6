"""Items cross the pipe from the reading process unchanged, fields the dataclasses leave out of equality included."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from doralens.domain.events import ChangeFailureMark, Deployment, Failure, GitInfo, Remediation
from doralens.errors import FieldProblem
from doralens.store.bulk_rows import DeploymentRow, RowBatch, deployment_row
from doralens.transfer import wire
from doralens.transfer.items import Writable, for_writing, group_rows, parse_item
from doralens.transfer.reading import Rejected
from tests.transfer.events import sample_bodies


def _fields(value: Any) -> Any:
    """Every field, recursively, with its type: what equality alone would not show."""
    if hasattr(value, "__dataclass_fields__"):
        return (type(value), tuple((f.name, _fields(getattr(value, f.name))) for f in fields(value)))
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_fields(v) for v in value))
    return (type(value), value)


def _items() -> list[Writable]:
    return [
        for_writing(
            parse_item(body, f"line {n}".encode(), n, kind=None, service_teams={"cart": "shop"}, marked_by="me", now=1)
        )
        for n, body in enumerate(sample_bodies(), start=1)
    ]


def test_items_come_back_field_for_field() -> None:
    items = _items()
    deployments = [item for item in items if not isinstance(item, Failure)]
    failures = [item for item in items if isinstance(item, Failure)]
    assert deployments
    assert failures
    assert any(d.mark and d.mark.remediation for d in deployments)
    assert any(not f.id_given for f in failures)
    assert any(f.git for f in failures)
    assert any(d.values[7] for d in deployments)  # a commit sha
    for sent in (items, group_rows(items)):  # as built, and as the reading process sends them
        back = wire.loads(wire.dumps(sent))
        assert back == sent
        assert _fields(back) == _fields(sent)


def test_each_class_and_what_travels_with_items() -> None:
    git = GitInfo("a" * 40, "https://github.com/acme/shop", "github.com/acme/shop")
    mark = ChangeFailureMark(True, Remediation("rollback", version="v1"), "ops", 5)
    deployment = Deployment("d" * 16, "web", 1, 2, git=git, custom_tags=("a:b",), mark=mark)
    failure = Failure("f" * 16, 3, services=("web",), id_given=False)
    message = (
        "batch",
        group_rows([deployment_row(deployment, mark), failure, deployment_row(replace(deployment, id="e" * 16), None)]),
        99,
        (1, 1, 1),
        [Rejected(3, (FieldProblem("/data", "bad"),))],
    )
    assert _fields(wire.loads(wire.dumps(message))) == _fields(message)


def test_a_batch_walk_comes_back_with_each_ids_last_row_in_order_of_first_appearance() -> None:
    first = deployment_row(Deployment("b" * 16, "web", 1, 2, version="v1"), None)
    other = deployment_row(Deployment("a" * 16, "web", 3, 4, version="v2"), None)
    again = deployment_row(Deployment("b" * 16, "web", 5, 6, version="v3"), None)
    sent = group_rows([first, other, again])
    (batch,) = sent
    assert isinstance(batch, RowBatch)
    assert batch.walked is not None
    (back,) = wire.loads(wire.dumps(sent))
    assert isinstance(back, RowBatch)
    assert back.walked is not None
    assert list(back.walked.final.items()) == list(batch.walked.final.items()) == [("b" * 16, again), ("a" * 16, other)]
    assert all(type(row) is DeploymentRow for row in back.rows)
    assert back.walked.final["b" * 16] is back.rows[2]  # the rows themselves, not copies
    walked = batch.walked
    assert (back.ids, back.walked.touched, back.walked.streams) == (batch.ids, walked.touched, walked.streams)
