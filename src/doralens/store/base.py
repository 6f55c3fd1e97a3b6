"""The ``EventStore`` interface every backend implements, and the records it returns besides domain events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from doralens.domain.events import ChangeFailureMark, Deployment, Failure
from doralens.store.dialect import Backend
from doralens.store.protocols import AggregateStore, DerivedStateStore, DrilldownStore

if TYPE_CHECKING:
    from doralens.store.listing import ListSpec

KeyKind = Literal["api", "app"]


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A stored API or application key: never the key itself, only its hash and last four characters."""

    id: str
    kind: KeyKind
    name: str
    last4: str
    created_at: int
    revoked_at: int | None


class EventStore(DerivedStateStore, AggregateStore, DrilldownStore, Protocol):
    """Durable storage of DORA events, their derived metric state, and keys.

    A method returns only after its write is committed. Every event write marks the deployment streams whose
    derived state it can change dirty, in the same transaction.
    """

    backend: Backend  # the database, shared with the git data stores (``doralens.gitdata``)

    def migrate(self) -> list[str]:
        """Apply pending migrations; return the revisions applied."""

    def check_ready(self) -> None:
        """Raise ``StoreError`` unless the database answers and its schema is current."""

    def record_deployment(self, deployment: Deployment) -> str:
        """Insert or replace (same id) a deployment; return its id."""

    def record_failure(self, failure: Failure) -> str:
        """Insert a failure or merge it into the one it updates (same id, or same env/subject/start); return the id."""

    def get_deployment(self, deployment_id: str) -> Deployment | None:
        """Return one deployment, or None."""

    def get_failure(self, failure_id: str) -> Failure | None:
        """Return one failure, or None."""

    def list_deployments(self, spec: ListSpec) -> list[Deployment]:
        """Deployments finished in the spec's range that match its query, sorted and limited."""

    def list_failures(self, spec: ListSpec) -> list[Failure]:
        """Failures started in the spec's range that match its query, sorted and limited."""

    def delete_deployment(self, deployment_id: str) -> bool:
        """Delete a deployment; False when there was none."""

    def delete_failure(self, failure_id: str) -> bool:
        """Delete a failure; False when there was none."""

    def mark_deployment(self, deployment_id: str, mark: ChangeFailureMark) -> bool:
        """Set the manual change-failure mark of a deployment; False when there is none."""

    def latest_deployment_id(self, *, service: str, env: str, version: str) -> str | None:
        """The most recently finished deployment of this service, env and version."""

    def count_events(self) -> tuple[int, int]:
        """Return the number of stored deployments and failures."""

    def add_key(self, *, kind: KeyKind, name: str, key_hash: str, last4: str) -> KeyRecord:
        """Store a key's hash; adding a hash that exists returns the existing record."""

    def find_key(self, key_hash: str) -> KeyRecord | None:
        """Return the key with this hash, revoked or not, or None."""

    def list_keys(self) -> list[KeyRecord]:
        """Return every key, oldest first."""

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key by id; return False when there is no such key."""

    def close(self) -> None:
        """Release connections."""
