"""The official Python ``datadog-api-client`` against a live doralens server, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ForbiddenException
from datadog_api_client.v2.api.dora_metrics_api import DORAMetricsApi
from datadog_api_client.v2.model.dora_deployment_request import DORADeploymentRequest
from datadog_api_client.v2.model.dora_deployment_request_attributes import DORADeploymentRequestAttributes
from datadog_api_client.v2.model.dora_deployment_request_data import DORADeploymentRequestData
from datadog_api_client.v2.model.dora_failure_request import DORAFailureRequest
from datadog_api_client.v2.model.dora_failure_request_attributes import DORAFailureRequestAttributes
from datadog_api_client.v2.model.dora_failure_request_data import DORAFailureRequestData
from datadog_api_client.v2.model.dora_git_info import DORAGitInfo

from doralens.store.factory import open_store
from tests.builders import SHA, T0
from tests.servers import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
def api(server: LiveServer) -> Iterator[DORAMetricsApi]:
    config = Configuration(host=server.url, api_key={"apiKeyAuth": server.api_key, "appKeyAuth": server.app_key})
    with ApiClient(config) as client:
        yield DORAMetricsApi(client)


def _git() -> DORAGitInfo:
    return DORAGitInfo(commit_sha=SHA, repository_url="https://token:x-oauth@github.com/acme/shop.git")


def test_create_dora_deployment(api: DORAMetricsApi, server: LiveServer) -> None:
    body = DORADeploymentRequest(
        data=DORADeploymentRequestData(
            attributes=DORADeploymentRequestAttributes(
                service="shop",
                env="prod",
                version="v1.2.3",
                team="web",
                started_at=T0,
                finished_at=T0 + 120 * 10**9,
                git=_git(),
                custom_tags=["department:engineering", "app_type:backend"],
            )
        )
    )
    response = api.create_dora_deployment(body=body)
    assert response._unparsed is False
    assert response.data.type.value == "dora_deployment"
    store = open_store(server.database_url)
    stored = store.get_deployment(response.data.id)
    store.close()
    assert stored is not None
    assert (stored.service, stored.env, stored.version, stored.team) == ("shop", "prod", "v1.2.3", "web")
    assert stored.finished_at == T0 + 120 * 10**9
    assert stored.git is not None
    assert stored.git.repository_url == "https://github.com/acme/shop.git"
    assert stored.custom_tags == ("department:engineering", "app_type:backend")


def _failure(**overrides: object) -> DORAFailureRequest:
    attrs: dict[str, object] = {
        "services": ["shop"],
        "env": "prod",
        "team": "web",
        "name": "Checkout returns 500",
        "severity": "High",
        "started_at": T0,
        "git": _git(),
    }
    attrs.update(overrides)
    return DORAFailureRequest(data=DORAFailureRequestData(attributes=DORAFailureRequestAttributes(**attrs)))


def test_create_dora_failure_then_resolve_it(api: DORAMetricsApi, server: LiveServer) -> None:
    started = api.create_dora_failure(body=_failure())
    resolved = api.create_dora_failure(body=_failure(finished_at=T0 + 900 * 10**9))
    assert started._unparsed is False
    assert resolved._unparsed is False
    assert started.data.type.value == "dora_failure"
    assert started.data.id == resolved.data.id
    store = open_store(server.database_url)
    stored = store.get_failure(started.data.id)
    store.close()
    assert stored is not None
    assert stored.finished_at == T0 + 900 * 10**9
    assert stored.severity == "High"


def test_create_dora_incident_deprecated_alias(api: DORAMetricsApi) -> None:
    with pytest.warns(DeprecationWarning, match="create_dora_incident"):
        response = api.create_dora_incident(body=_failure(id="incident-from-client-0001"))
    assert response._unparsed is False
    assert response.data.id == "incident-from-client-0001"
    assert response.data.type.value == "dora_failure"


def test_wrong_key_raises_forbidden(server: LiveServer) -> None:
    config = Configuration(host=server.url, api_key={"apiKeyAuth": "0" * 32, "appKeyAuth": server.app_key})
    config.retry_on_5xx = False
    with ApiClient(config) as client, pytest.raises(ForbiddenException):
        DORAMetricsApi(client).create_dora_failure(body=_failure())
