"""A line is valid exactly when the API would take its body, and is rejected with the API's messages."""

from __future__ import annotations

from typing import Any

import pytest

from doralens.api.requests import parse_patch
from doralens.api.schemas import parse_deployment, parse_failure
from doralens.domain.events import Deployment, Failure, Remediation
from doralens.errors import ValidationFailed
from doralens.transfer.items import kind_of, line_id, parse_item, parse_mark
from tests.builders import SHA, T0, deployment_body, failure_body

NOW = T0 + 10**12


def _item(body: Any, kind: Any = None) -> Any:
    return parse_item(body, b"raw line", 7, kind=kind, service_teams={"checkout": "shop"}, marked_by="me", now=NOW)


def _problems(call: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return [(p.pointer, p.detail) for p in caught.value.problems]


@pytest.mark.parametrize(
    "body",
    [
        deployment_body(service=None),
        deployment_body(started_at=5),
        deployment_body(started_at="yesterday"),
        deployment_body(started_at=T0 + 10**12),
        deployment_body(custom_tags=["no-colon"], version=""),
        deployment_body(id="short"),
        deployment_body(git={"commit_sha": "xyz", "repository_url": ""}),
        deployment_body(env=7, team=["a"]),
    ],
)
def test_a_bad_deployment_is_rejected_with_the_apis_problems(body: dict[str, Any]) -> None:
    body["data"]["type"] = "dora_deployment"
    expected = _problems(lambda: parse_deployment(body, service_teams={}))
    assert _problems(lambda: _item(body)) == expected


@pytest.mark.parametrize(
    "body",
    [
        failure_body(services=None),
        failure_body(finished_at=T0 - 10**9),
        failure_body(services=["a", ""], name=3),
    ],
)
def test_a_bad_failure_is_rejected_with_the_apis_problems(body: dict[str, Any]) -> None:
    expected = _problems(lambda: parse_failure(body, service_teams={}))
    assert _problems(lambda: _item(body, "failure")) == expected


def test_a_valid_deployment_is_the_apis_event_with_an_id_from_its_line() -> None:
    body = deployment_body(git={"commit_sha": SHA.upper(), "repository_url": "https://u:secret@github.com/a/b.git"})
    item = _item(body)
    assert isinstance(item.event, Deployment)
    assert item.event == parse_deployment(body, service_teams={"checkout": "shop"}, event_id=line_id(b"raw line"))
    assert item.event.git is not None
    assert item.event.git.repository_url == "https://github.com/a/b.git"
    assert (item.line, item.event.team, item.mark) == (7, "shop", None)


def test_a_deployment_keeps_the_id_its_body_gives() -> None:
    assert _item(deployment_body(id="deployment-000001")).event.id == "deployment-000001"


def test_the_id_of_a_line_is_stable_and_differs_between_lines() -> None:
    assert line_id(b"a") == line_id(b"a") != line_id(b"b")


def test_a_failure_without_id_is_left_to_merge_as_the_api_merges_it() -> None:
    item = _item(failure_body())
    assert isinstance(item.event, Failure)
    assert not item.event.id_given


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"data": {"type": "dora_deployment", "attributes": {}}}, "deployment"),
        ({"data": {"type": "dora_incident", "attributes": {}}}, "failure"),
        ({"data": {"attributes": {"service": "a"}}}, "deployment"),
        ({"data": {"attributes": {"services": ["a"]}}}, "failure"),
    ],
)
def test_the_kind_comes_from_the_type_or_the_attributes(body: dict[str, Any], kind: str) -> None:
    assert kind_of(body, None) == kind
    assert kind_of(body, "failure") == "failure"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"data": {"type": "dora_other", "attributes": {"service": "a"}}}, "/data/type"),
        ({"data": {"attributes": {"team": "a"}}}, "/data/type"),
        ({"data": {"attributes": {"service": "a", "services": ["a"]}}}, "/data/type"),
        ([], "/data"),
    ],
)
def test_a_line_of_no_known_kind_is_rejected(body: Any, pointer: str) -> None:
    assert [p for p, _ in _problems(lambda: kind_of(body, None))] == [pointer]


def test_a_mark_is_checked_as_patch_checks_it() -> None:
    remediation = {"type": "revert", "id": "deployment-000001"}
    patch = {"data": {"type": "dora_deployment_patch_request", "attributes": {"remediation": remediation}}}
    expected = _problems(lambda: parse_patch(patch, set_by="me"))
    assert _problems(lambda: _item(deployment_body(remediation=remediation))) == expected
    both = {"type": "rollback", "id": "deployment-000001", "version": "v1"}
    assert _problems(lambda: _item(deployment_body(remediation=both))) == [
        ("/data/attributes/remediation", "exactly one of id and version is required")
    ]


def test_a_mark_keeps_who_set_it_and_when_or_is_stamped_by_the_import() -> None:
    given = deployment_body(change_failure=False, change_failure_marked_by="ci", change_failure_marked_at=T0)
    mark = parse_mark(given, default_by="me", now=NOW)
    assert mark is not None
    assert (mark.change_failure, mark.remediation, mark.set_by, mark.set_at) == (False, None, "ci", T0)
    fixed = parse_mark(deployment_body(remediation={"type": "rollforward", "version": "v2"}), default_by="me", now=NOW)
    assert fixed is not None
    assert (fixed.change_failure, fixed.remediation, fixed.set_by, fixed.set_at) == (
        True,
        Remediation("rollforward", None, "v2"),
        "me",
        NOW,
    )


def test_who_marked_without_a_mark_is_rejected() -> None:
    body = deployment_body(change_failure_marked_by="ci")
    assert _problems(lambda: _item(body)) == [
        ("/data/attributes/change_failure", 'attribute "change_failure" is required')
    ]
