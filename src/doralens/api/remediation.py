"""The remediation of a manual change-failure mark, as ``PATCH /api/v2/dora/deployments`` takes it and as an
imported line carries it: a model and its check, apart from the request models so that reading an import file
needs neither the web framework nor the database layer.
"""

from __future__ import annotations

from typing import Literal

from doralens.api.schemas import EventId, Name, Strict
from doralens.domain.events import REMEDIATION_TYPES, Remediation
from doralens.errors import ValidationFailed


class RemediationIn(Strict):
    """What fixed the deployment: ``type`` and exactly one of ``id`` and ``version``."""

    type: str
    id: EventId | None = None
    version: Name | None = None


def remediation_from(value: RemediationIn | None) -> Remediation | None:
    """Check a remediation as PATCH takes it: a known ``type`` and exactly one of ``id`` and ``version``."""
    if value is None:
        return None
    if value.type not in REMEDIATION_TYPES:
        raise ValidationFailed.at(
            "/data/attributes/remediation/type", f'attribute "type" must be one of "{" ".join(REMEDIATION_TYPES)}"'
        )
    if (value.id is None) == (value.version is None):
        raise ValidationFailed.at("/data/attributes/remediation", "exactly one of id and version is required")
    kind: Literal["rollback", "rollforward"] = "rollback" if value.type == "rollback" else "rollforward"
    return Remediation(type=kind, deployment_id=value.id, version=value.version)
