"""A user's word on which deployment caused a failure: set (to a deployment, or to none) and cleared."""

from __future__ import annotations

import time

from doralens.errors import NotFound, ValidationFailed
from doralens.store.base import EventStore
from doralens.store.records import StoredOverride


def set_attribution(*, store: EventStore, failure_id: str, deployment_id: str | None, set_by: str) -> StoredOverride:
    """Attribute a failure to ``deployment_id`` (None: no deployment caused it), replacing the rules' links."""
    if deployment_id is not None and store.get_deployment(deployment_id) is None:
        raise ValidationFailed.at("/deployment_id", f"no deployment with id {deployment_id}")
    override = StoredOverride(failure_id, deployment_id, set_by, time.time_ns())
    if not store.set_attribution_override(override):
        raise NotFound()
    return override


def clear_attribution(*, store: EventStore, failure_id: str) -> bool:
    """Give a failure back to the attribution rules; False when it had no override."""
    if store.get_failure(failure_id) is None:
        raise NotFound()
    return store.clear_attribution_override(failure_id)
