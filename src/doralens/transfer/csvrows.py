"""The CSV layout: one event per row, a header naming the columns (any order, any subset), turned into the JSON
body the API takes, so that CSV is validated exactly as NDJSON is.

An empty cell is an absent value. Times are integers (s, ms or ns, as in the API); ``services`` and
``custom_tags`` are a JSON array (what the export writes) or values separated by ``;``; ``change_failure`` is
``true`` or ``false``. Problems are reported by column name instead of JSON pointer.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from doralens.errors import FieldProblem, ValidationFailed

COLUMNS = (
    "kind",
    "id",
    "service",
    "services",
    "team",
    "env",
    "version",
    "name",
    "severity",
    "started_at",
    "finished_at",
    "commit_sha",
    "repository_url",
    "custom_tags",
    "change_failure",
    "remediation_type",
    "remediation_id",
    "remediation_version",
    "change_failure_marked_by",
    "change_failure_marked_at",
)
KIND_TYPES = {"deployment": "dora_deployment", "failure": "dora_failure"}
_TEXT = ("id", "service", "team", "env", "version", "name", "severity", "change_failure_marked_by")
_TIMES = ("started_at", "finished_at", "change_failure_marked_at")
_INTEGER = re.compile(r"^-?[0-9]+$")
_NESTED = {
    "git": ("commit_sha", "repository_url"),
    "remediation": ("remediation_type", "remediation_id", "remediation_version"),
}
_POINTER_COLUMNS = {
    "/data/type": "kind",
    "/data/attributes/git": "commit_sha",
    "/data/attributes/git/commit_sha": "commit_sha",
    "/data/attributes/git/repository_url": "repository_url",
    "/data/attributes/remediation": "remediation_type",
    "/data/attributes/remediation/type": "remediation_type",
    "/data/attributes/remediation/id": "remediation_id",
    "/data/attributes/remediation/version": "remediation_version",
}


class FormatError(ValueError):
    """The file cannot be read as the CSV layout at all (header, quoting): nothing in it is imported."""


def _list(cell: str) -> Any:
    if cell.startswith("["):
        try:
            return json.loads(cell)
        except ValueError:
            return cell  # the API's validator then says it is not a list
    return cell.split(";")


def _time(cell: str) -> Any:
    return int(cell) if _INTEGER.match(cell) else cell


def _flag(cell: str) -> Any:
    return {"true": True, "false": False}.get(cell.lower(), cell)


def row_body(row: dict[str, str]) -> dict[str, Any]:
    """The create body (plus mark attributes) a row stands for."""
    cells = {name: value for name, value in row.items() if value != ""}
    attributes: dict[str, Any] = {name: cells[name] for name in _TEXT if name in cells}
    attributes.update({name: _time(cells[name]) for name in _TIMES if name in cells})
    for name in ("services", "custom_tags"):
        if name in cells:
            attributes[name] = _list(cells[name])
    if "change_failure" in cells:
        attributes["change_failure"] = _flag(cells["change_failure"])
    if any(name in cells for name in _NESTED["git"]):
        attributes["git"] = {name: cells[name] for name in _NESTED["git"] if name in cells}
    if any(name in cells for name in _NESTED["remediation"]):
        attributes["remediation"] = {
            name.removeprefix("remediation_"): cells[name] for name in _NESTED["remediation"] if name in cells
        }
    data: dict[str, Any] = {"attributes": attributes}
    if "kind" in cells:
        data["type"] = KIND_TYPES.get(cells["kind"], cells["kind"])
    return {"data": data}


def column_problems(error: ValidationFailed) -> ValidationFailed:
    """The same problems, named by CSV column instead of JSON pointer."""
    problems = []
    for problem in error.problems:
        column = _POINTER_COLUMNS.get(problem.pointer)
        parts = problem.pointer.split("/")
        if column is None and len(parts) > 3 and parts[1:3] == ["data", "attributes"]:
            column = parts[3]
        problems.append(FieldProblem(f"column {column}" if column else problem.pointer, problem.detail))
    return ValidationFailed(problems)


def read_rows(stream: IO[str]) -> Iterator[tuple[int, bytes, Any | ValidationFailed]]:
    """(line number of the row's start, the row's text, its body or the error) for every row with a cell."""
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader, [])
        unknown = [name for name in header if name not in COLUMNS]
        if not header or unknown or len(set(header)) != len(header):
            detail = f"unknown columns {', '.join(unknown)}" if unknown else "no header, or a column twice"
            raise FormatError(f"line 1: {detail}; the columns are {', '.join(COLUMNS)}")
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cells):
                continue
            raw = "\x1f".join(cells).encode()
            if len(cells) > len(header):
                yield line, raw, ValidationFailed.at("", f"{len(cells)} cells, but the header has {len(header)}")
                continue
            yield line, raw, row_body(dict(zip(header, cells, strict=False)))
    except csv.Error as exc:
        raise FormatError(f"line {reader.line_num}: malformed CSV: {exc}") from None
