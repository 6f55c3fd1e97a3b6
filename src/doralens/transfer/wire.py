"""Validated items as bytes, for the pipe from the process that reads an import file to the one that writes it.

Deployments travel as the bulk writer's rows (``store.bulk_rows.DeploymentRow``, a named tuple of plain values, which
unpickles about nine times faster than the events did). Failures and marks are frozen dataclasses with slots: they
travel as the tuple of their fields and are rebuilt by setting those fields, without the generic per-field loop that
pickle's default for such classes runs on both sides.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any

from doralens.domain.events import ChangeFailureMark, Failure, GitInfo, Remediation

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


_build_failure = _builder(Failure, "_build_failure")
_build_git_info = _builder(GitInfo, "_build_git_info")
_build_mark = _builder(ChangeFailureMark, "_build_mark")
_build_remediation = _builder(Remediation, "_build_remediation")
_REDUCERS = {
    cls: _reducer(cls, build)
    for cls, build in (
        (Failure, _build_failure),
        (GitInfo, _build_git_info),
        (ChangeFailureMark, _build_mark),
        (Remediation, _build_remediation),
    )
}


def dumps(value: Any) -> bytes:
    """``value`` as bytes, failures and marks in their compact form."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS  # type: ignore[assignment]
    pickler.dump(value)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """What ``dumps`` wrote (from this program's own child process: pickle must never read untrusted bytes)."""
    return pickle.loads(data)
