"""What a metrics question asks: window, interval, filters, grouping, tier year; parsed the same for HTTP and CLI.

Filters become search-query ASTs, one per event kind, so they compile with the same code as the Datadog list
endpoints. Several values of one filter are alternatives (``env=prod&env=staging``); different filters all
apply. ``severity`` exists on failures only: it narrows the failure-based numbers (time to restore, the incident
ratio) and leaves deployment-based ones alone, since a deployment has no severity. A Datadog ``query`` applies
to both kinds, each with its own fields (so ``severity:SEV-1`` in it matches no deployment at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, get_args
from urllib.parse import urlencode

from doralens.domain.buckets import NS_PER_DAY, Interval, Window
from doralens.domain.query import parse_query
from doralens.domain.query_ast import And, Field, MatchAll, Node, Or, Pattern, TagTerm, Term
from doralens.domain.tiers import REPORT_YEARS
from doralens.domain.timestamps import TimestampError, parse_moment
from doralens.errors import QuerySyntaxError, ValidationFailed
from doralens.store.records import GROUP_BYS, GroupBy, MetricScope

MetricName = Literal[
    "deployment_frequency",
    "change_lead_time",
    "change_failure_rate",
    "failed_deployment_recovery_time",
    "deployment_rework_rate",
    "time_to_restore",
]
METRICS: tuple[MetricName, ...] = get_args(MetricName)
DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 3660
MAX_VALUES = 50


@dataclass(frozen=True)
class MetricFilters:
    """Which events count; each tuple holds alternatives, an empty one filters nothing."""

    envs: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    query: str | None = None

    def nodes(self) -> tuple[Node, Node]:
        """The query AST for deployments and the one for failures."""
        facets: tuple[tuple[Field, tuple[str, ...]], ...] = (
            ("env", self.envs),
            ("service", self.services),
            ("team", self.teams),
            ("repository_id", self.repositories),
        )
        shared: list[Node] = [_any_of(field, values) for field, values in facets if values]
        for tag in self.tags:
            key, _, value = tag.partition(":")
            shared.append(TagTerm(key, Pattern((value,))))
        if self.query:
            shared.append(parse_query(self.query))
        on_failures = [*shared, _any_of("severity", self.severities)] if self.severities else shared
        return _all_of(shared), _all_of(on_failures)

    def params(self) -> list[tuple[str, str]]:
        """The filters as query parameters, for links to the events behind a number."""
        found = [
            (name, value)
            for name, values in (
                ("env", self.envs),
                ("service", self.services),
                ("team", self.teams),
                ("repository", self.repositories),
                ("severity", self.severities),
                ("tag", self.tags),
            )
            for value in values
        ]
        return [*found, ("query", self.query)] if self.query else found

    @property
    def refresh_envs(self) -> tuple[str, ...] | None:
        """The envs whose derived state a question reads (None: it may read any)."""
        return self.envs if self.envs and not self.query else None


def _any_of(field: Field, values: Sequence[str]) -> Node:
    terms = tuple(Term(field, Pattern((value,))) for value in dict.fromkeys(values))
    return terms[0] if len(terms) == 1 else Or(terms)


def _all_of(nodes: Sequence[Node]) -> Node:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.operands if isinstance(node, And) else [node])
    if not flat:
        return MatchAll()
    return flat[0] if len(flat) == 1 else And(tuple(flat))


@dataclass(frozen=True)
class MetricsRequest:
    """A metrics question."""

    window: Window
    interval: Interval
    filters: MetricFilters
    group_by: GroupBy | None
    tier_year: int

    def scope(self) -> MetricScope:
        """The store scope of this question."""
        on_deployments, on_failures = self.filters.nodes()
        return MetricScope(self.window.start, self.window.end, on_deployments, on_failures, self.group_by)

    @cached_property
    def encoded_filters(self) -> str:
        """The filters as query parameters, each preceded by ``&`` (empty without filters)."""
        encoded = urlencode(self.filters.params())
        return f"&{encoded}" if encoded else ""


def _moment(text: str | None, name: str, now: int) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_moment(text, now=now)
    except TimestampError as exc:
        raise ValidationFailed.at(f"/query/{name}", f"{exc}; or a date, or an age such as 30d") from None


def _values(name: str, values: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(cleaned) > MAX_VALUES:
        raise ValidationFailed.at(f"/query/{name}", f"at most {MAX_VALUES} values")
    return cleaned


def build_request(
    *,
    now: int,
    default_tier_year: int,
    start: str | None = None,
    end: str | None = None,
    interval: str | None = None,
    env: Sequence[str] = (),
    service: Sequence[str] = (),
    team: Sequence[str] = (),
    repository: Sequence[str] = (),
    severity: Sequence[str] = (),
    tag: Sequence[str] = (),
    query: str | None = None,
    group_by: str | None = None,
    tier_year: int | None = None,
) -> MetricsRequest:
    """Validate a metrics question given as text (query parameters or options), naming the bad parameter."""
    until = _moment(end, "to", now) or now
    since = _moment(start, "from", now) or until - DEFAULT_WINDOW_DAYS * NS_PER_DAY
    if since >= until:
        raise ValidationFailed.at("/query/from", "must be before to")
    if until - since > MAX_WINDOW_DAYS * NS_PER_DAY:
        raise ValidationFailed.at("/query/from", f"the window must not be longer than {MAX_WINDOW_DAYS} days")
    try:
        step = Interval(interval or "week")
    except ValueError:
        raise ValidationFailed.at("/query/interval", "must be one of day, week, month, all") from None
    if group_by is not None and group_by not in GROUP_BYS:
        raise ValidationFailed.at("/query/group_by", f"must be one of {', '.join(GROUP_BYS)}")
    year = default_tier_year if tier_year is None else tier_year
    if year not in REPORT_YEARS:
        raise ValidationFailed.at("/query/tier_year", f"must be one of {', '.join(map(str, REPORT_YEARS))}")
    tags = _values("tag", tag)
    bad_tag = next((t for t in tags if not t.partition(":")[0] or not t.partition(":")[2]), None)
    if bad_tag is not None:
        raise ValidationFailed.at("/query/tag", f"must be key:value, got {bad_tag!r}")
    filters = MetricFilters(
        envs=_values("env", env),
        services=_values("service", service),
        teams=_values("team", team),
        repositories=_values("repository", repository),
        severities=_values("severity", severity),
        tags=tags,
        query=query.strip() if query and query.strip() else None,
    )
    try:
        filters.nodes()
    except QuerySyntaxError as exc:
        raise ValidationFailed.at("/query/query", exc.problems[0].detail) from None
    chosen: GroupBy | None = next((g for g in GROUP_BYS if g == group_by), None)
    return MetricsRequest(Window(since, until), step, filters, chosen, year)
