"""A file of events that exercises every part of an event: custom tags, git data with credentials, marks, open and
resolved failures, team-only and id-less failures, unicode; and writing bodies as NDJSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.builders import SHA, T0, deployment_body, failure_body

MINUTE = 60 * 10**9


def _typed(body: dict[str, Any], kind: str) -> dict[str, Any]:
    body["data"]["type"] = f"dora_{kind}"
    return body


def sample_bodies() -> list[dict[str, Any]]:
    """Deployments and failures with ids (an id-less failure only updates one of them), in file order."""
    git = {"commit_sha": SHA.upper(), "repository_url": "https://ci:s3cret@github.com/acme/shop.git"}
    return [
        _typed(
            deployment_body(id="deployment-000001", version="v1", git=git, custom_tags=["région:€u", "a:b:c"]),
            "deployment",
        ),
        deployment_body(id="deployment-000002", version="v2", started_at=T0 + MINUTE, finished_at=T0 + 2 * MINUTE),
        deployment_body(
            id="deployment-000003",
            version="v3",
            service="cart",
            team="shop",
            started_at=T0 + 3 * MINUTE,
            finished_at=T0 + 4 * MINUTE,
            change_failure=True,
            remediation={"type": "rollback", "id": "deployment-000004"},
            change_failure_marked_by="ops",
            change_failure_marked_at=T0 + 9 * MINUTE,
        ),
        deployment_body(
            id="deployment-000004",
            version="v2",
            service="cart",
            started_at=T0 + 5 * MINUTE,
            finished_at=T0 + 6 * MINUTE,
            env=None,
            remediation={"type": "rollforward", "version": "v9"},
            change_failure_marked_at=T0 + 9 * MINUTE,
        ),
        _typed(
            failure_body(
                id="failure-000000001",
                services=["checkout", "cart"],
                name="Paiement refusé 💳",
                severity="SEV-1",
                started_at=T0 + 2 * MINUTE,
                git={"commit_sha": SHA, "repository_url": "git@github.com:acme/shop.git"},
                custom_tags=["incident:42"],
            ),
            "failure",
        ),
        _typed(
            failure_body(
                id="failure-000000002",
                services=None,
                team="shop",
                started_at=T0 + 7 * MINUTE,
                finished_at=T0 + 8 * MINUTE,
            ),
            "incident",
        ),
        failure_body(services=["checkout"], started_at=T0 + 2 * MINUTE, finished_at=T0 + 5 * MINUTE, name=""),
        failure_body(id="failure-000000003", services=["web"], env="staging", started_at=T0 + 9 * MINUTE),
    ]


def write_ndjson(path: Path, bodies: Iterable[Any], *, blank_lines: bool = False) -> Path:
    """Write one JSON body per line (and blank lines between them when asked)."""
    separator = "\n\n" if blank_lines else "\n"
    path.write_text(separator.join(json.dumps(body, ensure_ascii=False) for body in bodies) + "\n", encoding="utf-8")
    return path
