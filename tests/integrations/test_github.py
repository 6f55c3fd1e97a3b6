"""GitHub deployment statuses and incident issues → deployments and failures."""

from __future__ import annotations

from typing import Any

import pytest

from doralens.errors import ValidationFailed
from doralens.integrations.common import Mapped, Rules
from doralens.integrations.github import map_github
from tests.builders import ts
from tests.integrations.fixtures import NOW, load

RULES = Rules(env_map=(("production", "prod"),), service_teams={"shop": "web-team"})


def github(event: str | None, body: Any, rules: Rules = RULES) -> Mapped:
    return map_github(event, body, rules, NOW)


def test_successful_deployment_status_is_a_deployment() -> None:
    [deployment] = github("deployment_status", load("github/deployment_status_success.json")).deployments
    assert (deployment.service, deployment.env, deployment.team) == ("shop", "prod", "web-team")
    assert deployment.version == "v1.4.2"
    assert (deployment.started_at, deployment.finished_at) == (ts("2024-05-14T09:58:03Z"), ts("2024-05-14T10:02:11Z"))
    assert deployment.git is not None
    assert deployment.git.commit_sha == "6f1c2a9be4d05c7f83a1e2b3c4d5e6f708192a3b"
    assert deployment.git.repository_url == "https://github.com/acme/shop.git"
    assert deployment.git.repository_id == "github.com/acme/shop"
    assert deployment.id.startswith("github-deployment-")
    assert "github_deployment_id:1298740311" in deployment.custom_tags


def test_every_success_status_of_one_deployment_is_the_same_deployment() -> None:
    body = load("github/deployment_status_success.json")
    first = github("deployment_status", body).deployments[0]
    body["deployment_status"]["id"] += 1
    body["deployment_status"]["updated_at"] = "2024-05-14T10:05:00Z"
    again = github("deployment_status", body).deployments[0]
    assert again.id == first.id
    assert again.finished_at == ts("2024-05-14T10:05:00Z")


@pytest.mark.parametrize("state", ["pending", "in_progress", "queued", "failure", "error", "inactive"])
def test_unfinished_or_failed_statuses_store_nothing(state: str) -> None:
    body = load("github/deployment_status_success.json")
    body["deployment_status"]["state"] = state
    mapped = github("deployment_status", body)
    assert mapped.deployments == ()
    assert state in (mapped.ignored or "")


def test_a_sha_that_is_not_a_full_commit_leaves_git_out() -> None:
    body = load("github/deployment_status_success.json")
    body["deployment"]["sha"] = "6f1c2a9"
    assert github("deployment_status", body).deployments[0].git is None


def test_repository_is_mapped_to_a_service_by_rule() -> None:
    rules = Rules(service_map=(("github:acme/*", "acme-shop"),))
    assert github("deployment_status", load("github/deployment_status_success.json"), rules).deployments[0].service == (
        "acme-shop"
    )


def test_missing_fields_are_named() -> None:
    body = load("github/deployment_status_success.json")
    del body["deployment"]["created_at"]
    with pytest.raises(ValidationFailed) as caught:
        github("deployment_status", body)
    assert caught.value.problems[0].pointer == "/deployment/created_at"


def test_a_status_stamped_in_the_future_is_refused() -> None:
    body = load("github/deployment_status_success.json")
    body["deployment_status"]["updated_at"] = "2024-06-01T01:00:00Z"
    with pytest.raises(ValidationFailed, match="in the future"):
        github("deployment_status", body)


def test_opened_incident_issue_is_an_open_failure() -> None:
    [failure] = github("issues", load("github/issues_opened.json")).failures
    assert (failure.services, failure.env, failure.team) == (("shop",), "prod", "web-team")
    assert (failure.started_at, failure.finished_at) == (ts("2024-05-14T10:20:00Z"), None)
    assert failure.name == "Checkout returns 502 for card payments"
    assert failure.id.startswith("github-issue-")
    assert "github_issue:acme/shop#318" in failure.custom_tags


def test_closing_the_issue_resolves_the_same_failure() -> None:
    [opened] = github("issues", load("github/issues_opened.json")).failures
    [closed] = github("issues", load("github/issues_closed.json")).failures
    assert closed.id == opened.id
    assert (closed.started_at, closed.finished_at) == (opened.started_at, ts("2024-05-14T11:31:30Z"))


def test_issue_without_the_incident_label_is_ignored() -> None:
    body = load("github/issues_opened.json")
    body["issue"]["labels"] = [{"name": "bug"}]
    assert "incident" in (github("issues", body).ignored or "")
    assert github("issues", body, Rules(incident_label="bug")).failures


def test_unlabelling_keeps_the_failure_and_says_so() -> None:
    body = load("github/issues_opened.json")
    body["action"] = "unlabeled"
    body["label"] = body["issue"]["labels"].pop(0)
    assert "keeps the failure" in (github("issues", body).ignored or "")


def test_other_issue_actions_change_nothing() -> None:
    body = load("github/issues_opened.json")
    body["action"] = "assigned"
    assert github("issues", body).ignored == "issue action 'assigned' does not change a failure"


def test_ping_is_acknowledged_and_other_events_ignored() -> None:
    ping = github("ping", load("github/ping.json"))
    assert (ping.ignored, ping.deployments, ping.failures) == (None, (), ())
    assert ping.note
    assert "push" in (github("push", {"ref": "refs/heads/main"}).ignored or "")


def test_missing_event_header_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="X-GitHub-Event"):
        github(None, load("github/ping.json"))
