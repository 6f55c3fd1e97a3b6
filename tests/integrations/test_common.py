"""Shared mapping parts: vendor times, derived ids, naming rules, tags, the future-timestamp guard."""

from __future__ import annotations

import pytest

from doralens.domain.events import EVENT_ID_PATTERN
from doralens.domain.timestamps import TimestampError
from doralens.errors import ValidationFailed
from doralens.integrations.common import (
    MAX_FUTURE_NS,
    Rules,
    derived_id,
    not_in_future,
    parse_time,
    required_ident,
    required_text,
    tags,
)
from tests.builders import ts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-14T10:02:11Z", "2024-05-14T10:02:11Z"),
        ("2024-05-14T10:21:07.512Z", "2024-05-14T10:21:07.512Z"),
        ("2024-05-14T12:02:11+02:00", "2024-05-14T10:02:11Z"),
        ("2024-05-14 12:02:11 +0200", "2024-05-14T10:02:11Z"),
        ("2024-05-14 10:25:00 UTC", "2024-05-14T10:25:00Z"),
        ("2024-05-14T10:00:00.123456789Z", "2024-05-14T10:00:00.123456789Z"),
    ],
)
def test_vendor_times_are_read(text: str, expected: str) -> None:
    assert parse_time(text) == ts(expected)


@pytest.mark.parametrize("text", ["2024-05-14", "2024-05-14T10:02:11", "yesterday", "1969-12-31T00:00:00Z"])
def test_unreadable_times_are_refused(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_time(text)


def test_derived_ids_are_stable_distinct_and_valid_event_ids() -> None:
    first = derived_id("github-deployment", "github.com", "1298740311")
    assert first == derived_id("github-deployment", "github.com", "1298740311")
    assert first != derived_id("github-deployment", "github.example.com", "1298740311")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert derived_id("k", "ab", "c") != derived_id("k", "a", "bc")
    assert EVENT_ID_PATTERN.match(first)
    assert first.startswith("github-deployment-")


def test_service_map_first_match_wins_on_qualified_or_bare_names() -> None:
    rules = Rules(service_map=(("github:acme/shop-*", "shop"), ("acme/*", "acme-other"), ("API *", "api")))
    assert rules.service("github", "acme/shop-web", pointer="") == "shop"
    assert rules.service("gitlab", "acme/shop-web", pointer="") == "acme-other"
    assert rules.service("pagerduty", "API Service", pointer="") == "api"
    assert rules.service("github", "other/repo", default="repo", pointer="") == "repo"
    assert rules.service("pagerduty", "Checkout API", pointer="") == "Checkout API"


def test_env_map_applies_to_the_default_incident_env() -> None:
    rules = Rules(env_map=(("production", "prod"),), incident_env="production")
    assert rules.env("github", "production", pointer="") == "prod"
    assert rules.env("github", "staging", pointer="") == "staging"
    assert rules.default_env("pagerduty") == "prod"


def test_a_name_too_long_for_a_service_is_refused_with_its_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Rules().service("pagerduty", "x" * 201, pointer="/event/data/service/summary")
    assert caught.value.problems[0].pointer == "/event/data/service/summary"


def test_incident_label_matches_in_any_case() -> None:
    rules = Rules(incident_label="incident")
    assert rules.is_incident_label("Incident")
    assert not rules.is_incident_label("incidents")
    assert not rules.is_incident_label(None)


def test_tags_skip_empty_and_overlong_values() -> None:
    assert tags(("source", "github"), ("empty", None), ("blank", " "), ("long", "x" * 200)) == ("source:github",)


def test_fields_are_read_by_pointer_and_named_when_wrong() -> None:
    body = {"deployment": {"id": 42, "sha": 7}}
    assert required_ident(body, "/deployment/id") == "42"
    with pytest.raises(ValidationFailed) as caught:
        required_text(body, "/deployment/sha")
    [wrong] = caught.value.problems
    assert (wrong.pointer, wrong.detail) == ("/deployment/sha", "must be a string")
    with pytest.raises(ValidationFailed, match="is required"):
        required_text(body, "/deployment/ref")


def test_future_timestamps_beyond_the_skew_are_refused() -> None:
    now = ts("2024-06-01T00:00:00Z")
    assert not_in_future(now + MAX_FUTURE_NS, "/t", now) == now + MAX_FUTURE_NS
    with pytest.raises(ValidationFailed, match="is in the future"):
        not_in_future(now + MAX_FUTURE_NS + 1, "/t", now)
