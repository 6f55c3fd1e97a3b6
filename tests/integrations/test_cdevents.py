"""CDEvents 0.4 and 0.5 → deployments and failures; CloudEvents structured and binary mode unwrapping."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from doralens.errors import ValidationFailed
from doralens.integrations.cdevents import artifact_version, map_cdevent, purl_name, unwrap
from doralens.integrations.common import Mapped, Rules
from tests.builders import ts
from tests.integrations.fixtures import NOW, load

RULES = Rules(service_teams={"checkout": "payments"})


def cdevent(body: Any, headers: dict[str, str] | None = None, rules: Rules = RULES) -> Mapped:
    root, prefix = unwrap(body, headers or {})
    return map_cdevent(root, prefix, rules, NOW)


def problem(body: Any, headers: dict[str, str] | None = None) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        cdevent(body, headers)
    return caught.value.problems[0].pointer, caught.value.problems[0].detail


def test_v04_service_deployed_is_a_deployment() -> None:
    [deployment] = cdevent(load("cdevents/v0.4_service_deployed.json")).deployments
    assert (deployment.service, deployment.env, deployment.team) == ("checkout", "prod", "payments")
    assert deployment.version == "sha256:6a8e0f3b2c1d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef0"
    assert deployment.started_at == deployment.finished_at == ts("2024-05-14T10:00:00.123456Z")
    assert deployment.id.startswith("cdevents-deployment-")
    assert "cdevents_type:service.deployed" in deployment.custom_tags
    assert "cdevents_id:5d1c7d0e-3f51-4c3e-9a55-0c2f2c1b7a01" in deployment.custom_tags
    assert not any(tag.startswith("deployment_type:") for tag in deployment.custom_tags)


def test_v04_service_rolledback_is_a_deployment_tagged_as_rollback() -> None:
    [deployment] = cdevent(load("cdevents/v0.4_service_rolledback.json")).deployments
    assert (deployment.service, deployment.env, deployment.version) == ("checkout", "prod", "v1.4.1")
    assert "cdevents_type:service.rolledback" in deployment.custom_tags
    assert "deployment_type:rollback" in deployment.custom_tags


def test_v05_service_upgraded_is_a_deployment() -> None:
    [deployment] = cdevent(load("cdevents/v0.5_service_upgraded.json")).deployments
    assert (deployment.service, deployment.version) == ("checkout", "v1.5.0")
    assert deployment.finished_at == ts("2024-05-14T11:00:00Z")


def test_the_same_event_maps_to_the_same_id_and_another_source_to_another() -> None:
    body = load("cdevents/v0.4_service_deployed.json")
    first = cdevent(body).deployments[0].id
    assert cdevent(load("cdevents/v0.4_service_deployed.json")).deployments[0].id == first
    body["context"]["source"] = "/another/pipeline"
    assert cdevent(body).deployments[0].id != first


def test_incident_events_about_one_subject_update_one_failure() -> None:
    [detected] = cdevent(load("cdevents/v0.5_incident_detected.json")).failures
    [reported] = cdevent(load("cdevents/v0.5_incident_reported.json")).failures
    [resolved] = cdevent(load("cdevents/v0.5_incident_resolved.json")).failures
    assert detected.id == reported.id == resolved.id
    assert detected.id.startswith("cdevents-incident-")
    assert (detected.services, detected.env, detected.team) == (("checkout",), "prod", "payments")
    assert (detected.started_at, detected.finished_at) == (ts("2024-05-14T11:05:00Z"), None)
    assert detected.name == "p99 latency of checkout above 800ms"
    assert resolved.finished_at == ts("2024-05-14T11:31:30Z")
    assert resolved.name is None  # the resolution's description does not rename the incident


def test_incident_without_a_service_takes_the_artifact_name_and_the_default_env() -> None:
    body = load("cdevents/v0.5_incident_detected.json")
    del body["subject"]["content"]["service"]
    del body["subject"]["content"]["environment"]
    [failure] = cdevent(body, rules=Rules(env_map=(("production", "prod"),))).failures
    assert (failure.services, failure.env) == (("checkout",), "prod")


def test_incident_naming_no_service_at_all_is_refused() -> None:
    body = load("cdevents/v0.5_incident_reported.json")
    del body["subject"]["content"]["service"]
    assert problem(body)[0] == "/subject/content/service/id"


def test_change_merged_and_other_types_are_ignored() -> None:
    assert "change.merged" in (cdevent(load("cdevents/v0.5_change_merged.json")).ignored or "")
    body = load("cdevents/v0.5_change_merged.json")
    body["context"]["type"] = "dev.cdevents.pipelinerun.finished.0.2.0"
    assert cdevent(body).ignored == "pipelinerun.finished events are not used by DORA metrics; nothing stored"
    body["context"]["type"] = "com.example.something"
    assert "is not a CDEvent" in (cdevent(body).ignored or "")


def test_service_map_renames_the_subject() -> None:
    rules = Rules(service_map=(("cdevents:service/checkout", "shop-checkout"),))
    assert cdevent(load("cdevents/v0.4_service_deployed.json"), rules=rules).deployments[0].service == "shop-checkout"


def test_structured_mode_carries_the_cdevent_as_data() -> None:
    [deployment] = cdevent(load("cdevents/structured_service_deployed.json")).deployments
    assert (deployment.service, deployment.env, deployment.version) == ("search", "staging", "2.0.0")


def test_structured_mode_names_fields_inside_data() -> None:
    body = load("cdevents/structured_service_deployed.json")
    del body["data"]["subject"]["content"]["environment"]
    assert problem(body)[0] == "/data/subject/content/environment/id"


def test_structured_mode_with_base64_data() -> None:
    body = load("cdevents/structured_service_deployed.json")
    body["data_base64"] = base64.b64encode(json.dumps(body.pop("data")).encode()).decode()
    assert cdevent(body).deployments[0].service == "search"


def test_structured_mode_with_another_cloudevents_version_is_refused() -> None:
    body = load("cdevents/structured_service_deployed.json")
    body["specversion"] = "0.3"
    assert problem(body)[0] == "/specversion"


def _binary_headers(body: Any) -> dict[str, str]:
    context = body["context"]
    return {
        "ce-specversion": "1.0",
        "ce-id": context["id"],
        "ce-source": context["source"],
        "ce-type": context["type"],
        "ce-time": context["timestamp"],
    }


def test_binary_mode_carries_the_whole_cdevent_in_the_body() -> None:
    body = load("cdevents/v0.4_service_rolledback.json")
    native = cdevent(load("cdevents/v0.4_service_rolledback.json")).deployments[0]
    assert cdevent(body, _binary_headers(body)).deployments[0] == native


def test_binary_mode_with_only_the_subject_reads_the_context_from_headers() -> None:
    body = load("cdevents/v0.4_service_rolledback.json")
    headers = _binary_headers(body)
    native = cdevent(load("cdevents/v0.4_service_rolledback.json")).deployments[0]
    assert cdevent({"subject": body["subject"]}, headers).deployments[0] == native


def test_binary_mode_id_disagreeing_with_the_cdevent_is_refused() -> None:
    body = load("cdevents/v0.4_service_rolledback.json")
    headers = {**_binary_headers(body), "ce-id": "another-id"}
    assert problem(body, headers) == ("/context/id", "differs from the CloudEvent's header ce-id 'another-id'")


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        (("context", "id"), "/context/id"),
        (("context", "timestamp"), "/context/timestamp"),
        (("subject", "id"), "/subject/id"),
        (("subject", "content", "environment"), "/subject/content/environment/id"),
    ],
)
def test_missing_required_fields_are_named(path: tuple[str, ...], pointer: str) -> None:
    body = load("cdevents/v0.4_service_deployed.json")
    node = body
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    assert problem(body) == (pointer, "is required")


def test_an_event_stamped_in_the_future_is_refused() -> None:
    body = load("cdevents/v0.4_service_deployed.json")
    body["context"]["timestamp"] = "2024-06-01T00:10:00Z"
    pointer, detail = problem(body)
    assert pointer == "/context/timestamp"
    assert "in the future" in detail


def test_batches_and_non_objects_are_refused() -> None:
    assert "batched" in problem([load("cdevents/v0.4_service_deployed.json")])[1]
    assert problem("text")[0] == ""


@pytest.mark.parametrize(
    ("artifact", "name", "version"),
    [
        ("pkg:oci/myapp@sha256%3A0b31b1c0?repository_url=ghcr.io/acme", "myapp", "sha256:0b31b1c0"),
        ("pkg:oci/my-service@v1.2.3", "my-service", "v1.2.3"),
        ("pkg:npm/%40acme/web@2.0.0#dist", "web", "2.0.0"),
        ("pkg:golang/github.com/acme/api", "api", None),
        ("myregistry/myapp:v2.0.0", None, "myregistry/myapp:v2.0.0"),
        (None, None, None),
    ],
)
def test_purl_name_and_version(artifact: str | None, name: str | None, version: str | None) -> None:
    assert (purl_name(artifact), artifact_version(artifact)) == (name, version)
