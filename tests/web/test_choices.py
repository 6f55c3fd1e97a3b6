"""The filter form's choices: read from the store, then kept for a while, then read again."""

from __future__ import annotations

from doralens.store.sql import SqlEventStore
from doralens.web.choices import TTL_SECONDS, filter_choices
from tests.builders import deployment, failure


def test_choices_are_what_the_store_has_seen_and_are_kept_for_a_while(store: SqlEventStore) -> None:
    store.record_deployment(deployment("web", "prod", team="shop"))
    store.record_failure(failure(("web",), severity="SEV-2"))
    first = filter_choices(store, now=1000.0)
    assert (first.facets.services, first.facets.envs, first.facets.teams) == (("web",), ("prod",), ("shop",))
    assert first.severities == ("SEV-2",)
    store.record_failure(failure(("web",), started="2024-03-02T00:00:00Z", severity="SEV-1"))
    assert filter_choices(store, now=1000.0 + TTL_SECONDS / 2) is first
    assert filter_choices(store, now=1000.0 + TTL_SECONDS).severities == ("SEV-1", "SEV-2")
