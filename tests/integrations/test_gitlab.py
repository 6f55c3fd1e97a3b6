"""GitLab deployment events and incident issues → deployments and failures."""

from __future__ import annotations

from typing import Any

import pytest

from doralens.errors import ValidationFailed
from doralens.integrations.common import Mapped, Rules
from doralens.integrations.gitlab import map_gitlab
from tests.builders import ts
from tests.integrations.fixtures import NOW, load

RULES = Rules(env_map=(("production", "prod"),))


def gitlab(body: Any, rules: Rules = RULES) -> Mapped:
    return map_gitlab(body, rules, NOW)


def test_successful_deployment_is_a_deployment() -> None:
    [deployment] = gitlab(load("gitlab/deployment_success.json")).deployments
    assert (deployment.service, deployment.env, deployment.version) == ("billing", "prod", "9c41e07b")
    # GitLab sends one time only, in its "+0200" form: the deployment starts and ends then.
    assert deployment.started_at == deployment.finished_at == ts("2024-05-14T10:02:11Z")
    assert deployment.git is not None
    assert deployment.git.commit_sha == "9c41e07b5d2a3f18e6c0b7a49d8e1f2a3b4c5d6e"
    assert deployment.git.repository_id == "gitlab.acme.example/platform/billing"
    assert deployment.id.startswith("gitlab-deployment-")
    assert "gitlab_deployment_id:20931" in deployment.custom_tags


@pytest.mark.parametrize("status", ["running", "failed", "canceled"])
def test_other_deployment_statuses_store_nothing(status: str) -> None:
    body = load("gitlab/deployment_success.json")
    body["status"] = status
    assert status in (gitlab(body).ignored or "")


def test_deployment_without_commit_url_has_no_git() -> None:
    body = load("gitlab/deployment_success.json")
    body["commit_url"] = None
    assert gitlab(body).deployments[0].git is None


def test_project_is_mapped_to_a_service_by_rule() -> None:
    rules = Rules(service_map=(("gitlab:platform/*", "platform"),))
    assert gitlab(load("gitlab/deployment_success.json"), rules).deployments[0].service == "platform"


def test_incident_issue_opens_and_closing_resolves_one_failure() -> None:
    [opened] = gitlab(load("gitlab/issue_incident_opened.json")).failures
    [closed] = gitlab(load("gitlab/issue_incident_closed.json")).failures
    assert opened.id == closed.id
    assert opened.id.startswith("gitlab-issue-")
    assert (opened.services, opened.env, opened.severity) == (("billing",), "prod", "critical")
    assert (opened.started_at, opened.finished_at) == (ts("2024-05-14T10:25:00Z"), None)
    assert closed.finished_at == ts("2024-05-14T11:40:12Z")
    assert "gitlab_issue:platform/billing#77" in opened.custom_tags


def test_older_issue_type_and_the_label_also_make_an_incident() -> None:
    body = load("gitlab/issue_incident_opened.json")
    body["object_attributes"]["type"] = "Issue"
    assert gitlab(body).ignored
    body["object_attributes"]["issue_type"] = "incident"
    assert gitlab(body).failures
    del body["object_attributes"]["issue_type"]
    body["labels"] = [{"id": 3, "title": "Incident", "color": "#d9534f"}]
    assert gitlab(body).failures


def test_work_item_incidents_are_read_like_issues() -> None:
    body = load("gitlab/issue_incident_opened.json")
    body["object_kind"] = "work_item"
    assert gitlab(body).failures


def test_unknown_severity_is_left_out() -> None:
    body = load("gitlab/issue_incident_opened.json")
    body["object_attributes"]["severity"] = "unknown"
    assert gitlab(body).failures[0].severity is None


def test_other_events_are_ignored_and_bad_times_named() -> None:
    assert "push" in (gitlab({"object_kind": "push"}).ignored or "")
    body = load("gitlab/deployment_success.json")
    body["status_changed_at"] = "28/04/2021"
    with pytest.raises(ValidationFailed) as caught:
        gitlab(body)
    assert caught.value.problems[0].pointer == "/status_changed_at"
