"""The CSV layout: a row becomes the body the API takes; problems are named by column; bad files are refused."""

from __future__ import annotations

import io

import pytest

from doralens.errors import FieldProblem, ValidationFailed
from doralens.transfer.csvrows import FormatError, column_problems, read_rows, row_body


def test_a_row_becomes_the_create_body_with_its_mark() -> None:
    row = {
        "kind": "deployment",
        "id": "deployment-000001",
        "service": "web",
        "services": "",
        "started_at": "1700000000",
        "finished_at": "1700000060000",
        "commit_sha": "abc",
        "repository_url": "https://h/o/r",
        "custom_tags": "a:1;b:2",
        "change_failure": "TRUE",
        "remediation_type": "rollback",
        "remediation_version": "v1",
    }
    assert row_body(row) == {
        "data": {
            "type": "dora_deployment",
            "attributes": {
                "id": "deployment-000001",
                "service": "web",
                "started_at": 1700000000,
                "finished_at": 1700000060000,
                "custom_tags": ["a:1", "b:2"],
                "change_failure": True,
                "git": {"commit_sha": "abc", "repository_url": "https://h/o/r"},
                "remediation": {"type": "rollback", "version": "v1"},
            },
        }
    }


def test_lists_may_be_json_arrays_and_other_values_stay_text_for_the_validator() -> None:
    body = row_body({"kind": "failure", "services": '["a;b", "c"]', "started_at": "soon", "change_failure": "yes"})
    attributes = body["data"]["attributes"]
    assert (attributes["services"], attributes["started_at"], attributes["change_failure"]) == (
        ["a;b", "c"],
        "soon",
        "yes",
    )
    assert body["data"]["type"] == "dora_failure"


def test_problems_are_named_by_column() -> None:
    error = ValidationFailed(
        [
            FieldProblem("/data/attributes/git/repository_url", "required"),
            FieldProblem("/data/attributes/custom_tags/2", "bad tag"),
            FieldProblem("/data/type", "unknown"),
            FieldProblem("", "too many cells"),
        ]
    )
    assert [p.pointer for p in column_problems(error).problems] == [
        "column repository_url",
        "column custom_tags",
        "column kind",
        "",
    ]


def test_rows_are_numbered_by_the_line_they_start_on() -> None:
    text = 'kind,service,name\ndeployment,web,\n\nfailure,,"two\nlines"\ndeployment,api,,extra\n'
    rows = list(read_rows(io.StringIO(text)))
    assert [line for line, _, _ in rows] == [2, 4, 6]
    assert rows[1][2]["data"]["attributes"] == {"name": "two\nlines"}
    assert isinstance(rows[2][2], ValidationFailed)


@pytest.mark.parametrize("text", ["", "kind,servce\n", "kind,kind\n", 'kind,service\n"deployment,web\n'])
def test_a_file_that_is_not_the_layout_is_refused(text: str) -> None:
    with pytest.raises(FormatError):
        list(read_rows(io.StringIO(text)))
