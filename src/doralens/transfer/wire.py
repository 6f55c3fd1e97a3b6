"""Validated items as bytes, for the pipe from the process that reads an import file to the one that writes it.

Deployments travel as the bulk writer's rows (``store.bulk_rows.DeploymentRow``, a named tuple of plain values, which
unpickles about nine times faster than the events did). A batch of them travels as plain tuples, made named tuples
again on arrival by one call over the whole list: pickle's own way with a named tuple runs Python code for each row
on both sides (``__getnewargs__``, then ``__new__``), which at a million rows cost each process over a second. The
batch's walk travels without its ``final`` map (the last row of each id, in order of first appearance), which the
rows themselves give. Failures and marks are frozen dataclasses with slots: they travel as the tuple of their fields
and are rebuilt by setting those fields, without the generic per-field loop that pickle's default for such classes
runs on both sides.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from dataclasses import fields, replace
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any

from doralens.domain.events import ChangeFailureMark, Failure, GitInfo, Remediation
from doralens.store.bulk_rows import DeploymentRow, RowBatch, Walked

Reduced = tuple[Callable[..., Any], tuple[Any, ...]]


def _builder(cls: type[Any], name: str) -> Callable[..., Any]:
    """A module-level function building an instance of ``cls`` from its fields' values, in ``fields`` order."""
    setters = tuple(getattr(cls, f.name).__set__ for f in fields(cls))

    # The reducer sends exactly these fields, so the lengths match; locals bound as defaults, the loop is tight.
    def build(*values: Any, _setters: Any = setters, _new: Any = object.__new__, _cls: Any = cls) -> Any:
        instance = _new(_cls)
        for setter, value in zip(_setters, values, strict=False):
            setter(instance, value)
        return instance

    build.__name__ = build.__qualname__ = name
    build.__module__ = __name__
    return build


def _reducer(cls: type[Any], build: Callable[..., Any]) -> Callable[[Any], Reduced]:
    values = attrgetter(*(f.name for f in fields(cls)))

    def reduce(instance: Any) -> Reduced:
        return build, values(instance)

    return reduce


_as_row = partial(tuple.__new__, DeploymentRow)  # a plain tuple as a row, without a Python call per row
_first = itemgetter(0)  # of a row: its values; of a row's values: its id


def _build_row_batch(plain: list[tuple[Any, ...]], ids: list[str], walked: Walked | None) -> RowBatch:
    rows: list[DeploymentRow] = list(map(_as_row, plain))
    if walked is not None:  # each id's last row, the ids in order of first appearance: what ``replay`` built
        walked.final = dict(zip(map(_first, map(_first, rows)), rows, strict=True))
    return RowBatch(rows, ids, walked)


def _reduce_row_batch(batch: RowBatch) -> Reduced:
    walked = None if batch.walked is None else replace(batch.walked, final={})
    return _build_row_batch, (list(map(tuple, batch.rows)), batch.ids, walked)


_build_failure = _builder(Failure, "_build_failure")
_build_git_info = _builder(GitInfo, "_build_git_info")
_build_mark = _builder(ChangeFailureMark, "_build_mark")
_build_remediation = _builder(Remediation, "_build_remediation")
_REDUCERS: dict[type[Any], Callable[[Any], Reduced]] = {
    cls: _reducer(cls, build)
    for cls, build in (
        (Failure, _build_failure),
        (GitInfo, _build_git_info),
        (ChangeFailureMark, _build_mark),
        (Remediation, _build_remediation),
    )
}
_REDUCERS[RowBatch] = _reduce_row_batch


def dumps(value: Any) -> bytes:
    """``value`` as bytes, failures and marks in their compact form."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(value)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """What ``dumps`` wrote (from this program's own child process: pickle must never read untrusted bytes)."""
    return pickle.loads(data)
