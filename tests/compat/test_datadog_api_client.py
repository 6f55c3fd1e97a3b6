"""The official Python ``datadog-api-client`` against a live doralens server, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ForbiddenException, NotFoundException
from datadog_api_client.v2.api.dora_metrics_api import DORAMetricsApi
from datadog_api_client.v2.model.dora_deployment_patch_by_version_request import DORADeploymentPatchByVersionRequest
from datadog_api_client.v2.model.dora_deployment_patch_by_version_request_attributes import (
    DORADeploymentPatchByVersionRequestAttributes,
)
from datadog_api_client.v2.model.dora_deployment_patch_by_version_request_data import (
    DORADeploymentPatchByVersionRequestData,
)
from datadog_api_client.v2.model.dora_deployment_patch_remediation import DORADeploymentPatchRemediation
from datadog_api_client.v2.model.dora_deployment_patch_remediation_type import DORADeploymentPatchRemediationType
from datadog_api_client.v2.model.dora_deployment_patch_request import DORADeploymentPatchRequest
from datadog_api_client.v2.model.dora_deployment_patch_request_attributes import DORADeploymentPatchRequestAttributes
from datadog_api_client.v2.model.dora_deployment_patch_request_data import DORADeploymentPatchRequestData
from datadog_api_client.v2.model.dora_deployment_patch_request_data_type import DORADeploymentPatchRequestDataType
from datadog_api_client.v2.model.dora_deployment_request import DORADeploymentRequest
from datadog_api_client.v2.model.dora_deployment_request_attributes import DORADeploymentRequestAttributes
from datadog_api_client.v2.model.dora_deployment_request_data import DORADeploymentRequestData
from datadog_api_client.v2.model.dora_failure_request import DORAFailureRequest
from datadog_api_client.v2.model.dora_failure_request_attributes import DORAFailureRequestAttributes
from datadog_api_client.v2.model.dora_failure_request_data import DORAFailureRequestData
from datadog_api_client.v2.model.dora_git_info import DORAGitInfo
from datadog_api_client.v2.model.dora_list_deployments_request import DORAListDeploymentsRequest
from datadog_api_client.v2.model.dora_list_deployments_request_attributes import DORAListDeploymentsRequestAttributes
from datadog_api_client.v2.model.dora_list_deployments_request_data import DORAListDeploymentsRequestData
from datadog_api_client.v2.model.dora_list_deployments_request_data_type import DORAListDeploymentsRequestDataType
from datadog_api_client.v2.model.dora_list_failures_request import DORAListFailuresRequest
from datadog_api_client.v2.model.dora_list_failures_request_attributes import DORAListFailuresRequestAttributes
from datadog_api_client.v2.model.dora_list_failures_request_data import DORAListFailuresRequestData
from datadog_api_client.v2.model.dora_list_failures_request_data_type import DORAListFailuresRequestDataType

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


# -- the read and manage methods ------------------------------------------------------------------------------

HOUR = 3600 * 10**9


def _deployment(service: str, env: str, version: str, offset_hours: int, tags: list[str]) -> DORADeploymentRequest:
    return DORADeploymentRequest(
        data=DORADeploymentRequestData(
            attributes=DORADeploymentRequestAttributes(
                service=service,
                env=env,
                version=version,
                started_at=T0 + offset_hours * HOUR - 10**9,
                finished_at=T0 + offset_hours * HOUR,
                git=_git(),
                custom_tags=tags,
            )
        )
    )


def _list_deployments(api: DORAMetricsApi, **attributes: Any) -> list[str]:
    body = DORAListDeploymentsRequest(
        data=DORAListDeploymentsRequestData(
            attributes=DORAListDeploymentsRequestAttributes(**attributes),
            type=DORAListDeploymentsRequestDataType.DORA_DEPLOYMENTS_LIST_REQUEST,
        )
    )
    response = api.list_dora_deployments(body=body)
    assert response._unparsed is False
    return [item.attributes.version for item in response.data]


def test_all_read_and_manage_methods(api: DORAMetricsApi) -> None:
    ids = {}
    for i, (service, env, version, tags) in enumerate(
        [
            ("shop", "prod", "v1", ["region:eu"]),
            ("shop", "prod", "v2", ["region:us"]),
            ("shop-api", "prod", "a1", ["region:eu"]),
            ("shop", "staging", "v3-rc", []),
        ]
    ):
        ids[version] = api.create_dora_deployment(body=_deployment(service, env, version, i, tags)).data.id

    # list, with each query form
    window = {"_from": datetime(2023, 8, 1, tzinfo=UTC), "to": datetime(2023, 10, 1, tzinfo=UTC), "limit": 100}
    assert _list_deployments(api, **window) == ["v3-rc", "a1", "v2", "v1"]
    assert _list_deployments(api, query="service:shop env:prod", **window) == ["v2", "v1"]
    assert _list_deployments(api, query="service:(shop-api OR nothing)", **window) == ["a1"]
    assert _list_deployments(api, query="service:shop*", sort="version", **window) == ["a1", "v1", "v2", "v3-rc"]
    assert _list_deployments(api, query="-env:prod", **window) == ["v3-rc"]
    assert _list_deployments(api, query='version:"v3-rc"', **window) == ["v3-rc"]
    assert _list_deployments(api, query="@region:eu", **window) == ["a1", "v1"]
    assert _list_deployments(api, query="service:shop", limit=1) == ["v3-rc"]

    # get
    fetched = api.get_dora_deployment(deployment_id=ids["v2"])
    assert fetched._unparsed is False
    assert fetched.data.id == ids["v2"]
    assert fetched.data.attributes.service == "shop"
    assert fetched.data.attributes.finished_at == datetime(2023, 8, 31, 15, 26, 14, tzinfo=UTC)
    assert fetched.data.attributes.git.repository_id == "github.com/acme/shop"

    # patch by id, then by version
    api.patch_dora_deployment(
        deployment_id=ids["v2"],
        body=DORADeploymentPatchRequest(
            data=DORADeploymentPatchRequestData(
                id=ids["v2"],
                type=DORADeploymentPatchRequestDataType.DORA_DEPLOYMENT_PATCH_REQUEST,
                attributes=DORADeploymentPatchRequestAttributes(
                    change_failure=True,
                    remediation=DORADeploymentPatchRemediation(
                        type=DORADeploymentPatchRemediationType.ROLLBACK, id=ids["v1"]
                    ),
                ),
            )
        ),
    )
    assert api.get_dora_deployment(deployment_id=ids["v2"]).data.attributes["change_failure"] is True
    api.patch_dora_deployment_by_version(
        body=DORADeploymentPatchByVersionRequest(
            data=DORADeploymentPatchByVersionRequestData(
                type=DORADeploymentPatchRequestDataType.DORA_DEPLOYMENT_PATCH_REQUEST,
                attributes=DORADeploymentPatchByVersionRequestAttributes(
                    service="shop-api", env="prod", version="a1", change_failure=False
                ),
            )
        )
    )
    assert api.get_dora_deployment(deployment_id=ids["a1"]).data.attributes["change_failure"] is False

    # delete, twice, then the id is gone
    api.delete_dora_deployment(deployment_id=ids["v3-rc"])
    api.delete_dora_deployment(deployment_id=ids["v3-rc"])
    with pytest.raises(NotFoundException):
        api.get_dora_deployment(deployment_id=ids["v3-rc"])


def test_failure_list_get_delete(api: DORAMetricsApi) -> None:
    first = api.create_dora_failure(body=_failure(finished_at=T0 + HOUR)).data.id
    second = api.create_dora_failure(body=_failure(services=["search"], severity="SEV-3", started_at=T0 + HOUR)).data.id
    body = DORAListFailuresRequest(
        data=DORAListFailuresRequestData(
            attributes=DORAListFailuresRequestAttributes(query="severity:SEV-3", limit=10),
            type=DORAListFailuresRequestDataType.DORA_FAILURES_LIST_REQUEST,
        )
    )
    listed = api.list_dora_failures(body=body)
    assert listed._unparsed is False
    assert [f.id for f in listed.data] == [second]

    fetched = api.get_dora_failure(failure_id=first)
    assert fetched._unparsed is False
    assert fetched.data.attributes.services == ["shop"]
    assert fetched.data.attributes.finished_at == datetime(2023, 8, 31, 15, 26, 14, tzinfo=UTC)
    assert fetched.data.attributes.git.repository_url == "https://github.com/acme/shop.git"

    api.delete_dora_failure(failure_id=first)
    with pytest.raises(NotFoundException):
        api.get_dora_failure(failure_id=first)


def test_bad_remediation_type_is_a_bad_request(api: DORAMetricsApi, server: LiveServer) -> None:
    deployment_id = api.create_dora_deployment(body=_deployment("shop", "prod", "v1", 0, [])).data.id
    response = httpx.patch(
        f"{server.url}/api/v2/dora/deployments/{deployment_id}",
        headers={"DD-API-KEY": server.api_key, "DD-APPLICATION-KEY": server.app_key},
        json={
            "data": {
                "id": deployment_id,
                "type": "dora_deployment_patch_request",
                "attributes": {"change_failure": True, "remediation": {"type": "undo", "id": deployment_id}},
            }
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == 'attribute "type" must be one of "rollback rollforward"'


def _release(version: str, offset_hours: int) -> DORADeploymentRequest:
    """A deployment of shop in prod without git data, so that versions tell releases apart."""
    attributes = DORADeploymentRequestAttributes(
        service="shop",
        env="prod",
        version=version,
        started_at=T0 + offset_hours * HOUR - 10**9,
        finished_at=T0 + offset_hours * HOUR,
    )
    return DORADeploymentRequest(data=DORADeploymentRequestData(attributes=attributes))


def test_derived_attributes_still_parse(api: DORAMetricsApi) -> None:
    """doralens's extra read attributes (verdicts, attributions) leave the client's models parsed."""
    ids = [api.create_dora_deployment(body=_release(v, i)).data.id for i, v in enumerate(["v1", "v2", "v1"])]
    fetched = api.get_dora_deployment(deployment_id=ids[1])
    assert fetched._unparsed is False
    assert fetched.data.attributes["change_failure"] is True
    assert fetched.data.attributes["change_failure_reasons"] == ["rollback"]
    assert fetched.data.attributes["remediation"] == {"type": "rollback", "id": ids[2]}
    body = DORAFailureRequest(
        data=DORAFailureRequestData(
            attributes=DORAFailureRequestAttributes(services=["shop"], env="prod", started_at=T0 + 2 * HOUR + 10**9)
        )
    )
    failure = api.get_dora_failure(failure_id=api.create_dora_failure(body=body).data.id)
    assert failure._unparsed is False
    assert [d["deployment_id"] for d in failure.data.attributes["attributed_deployments"]] == [ids[2]]
    listed = api.list_dora_failures(
        body=DORAListFailuresRequest(
            data=DORAListFailuresRequestData(
                attributes=DORAListFailuresRequestAttributes(limit=10),
                type=DORAListFailuresRequestDataType.DORA_FAILURES_LIST_REQUEST,
            )
        )
    )
    assert listed._unparsed is False
