"""A page's question in its URL: window, interval, tier year and filters, read the way the query API reads them.

The parameters are the API's (``from``, ``to``, ``interval``, ``env``, ``service``, ``team``, ``repository``,
``severity``, ``tag``, ``tier_year``), so a page's URL and the API call behind it say the same thing. A filter may
repeat, and a value may list several alternatives separated by commas (what one text box of the filter form sends).
Severity narrows the failure-based numbers only, as in the API.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from doralens.errors import ValidationFailed
from doralens.metrics.config import EngineConfig
from doralens.metrics.request import MetricsRequest, build_request

FILTERS = ("env", "service", "team", "repository", "severity", "tag")
DEFAULT_FROM = "90d"
DEFAULT_INTERVAL = "week"
RANGES = ("7d", "30d", "90d", "180d", "365d")
INTERVALS = ("day", "week", "month")


@dataclass(frozen=True)
class PageQuery:
    """What the URL asks: the window as written, the interval, the tier year and each filter's values."""

    start: str = DEFAULT_FROM
    end: str = ""
    interval: str = DEFAULT_INTERVAL
    tier_year: str = ""
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def question(self, engine: EngineConfig, *, group_by: str | None = None, **fixed: str) -> MetricsRequest:
        """The metrics question, with ``fixed`` filters (a service page's service) added to the URL's."""

        def values(name: str) -> tuple[str, ...]:
            return (*self.values.get(name, ()), *((fixed[name],) if name in fixed else ()))

        year: int | None = None
        if self.tier_year:
            try:
                year = int(self.tier_year)
            except ValueError:
                raise ValidationFailed.at("/query/tier_year", "must be 2024 or 2023") from None
        return build_request(
            now=time.time_ns(),
            default_tier_year=engine.tier_year,
            start=self.start,
            end=self.end or None,
            interval=self.interval,
            group_by=group_by,
            tier_year=year,
            env=values("env"),
            service=values("service"),
            team=values("team"),
            repository=values("repository"),
            severity=values("severity"),
            tag=values("tag"),
        )

    def params(self, **changes: str | None) -> list[tuple[str, str]]:
        """The URL's parameters with ``changes`` applied (None removes one)."""
        found: list[tuple[str, str]] = [
            ("from", self.start),
            ("to", self.end),
            ("interval", self.interval),
            ("tier_year", self.tier_year),
            *((name, ",".join(self.values[name])) for name in FILTERS if self.values.get(name)),
        ]
        merged = dict(found)
        merged.update({k: v for k, v in changes.items() if v is not None})
        for key, value in changes.items():
            if value is None:
                merged.pop(key, None)
        return [(k, v) for k, v in merged.items() if v]

    def link(self, path: str, **changes: str | None) -> str:
        """``path`` with this question's parameters (and ``changes``)."""
        params = self.params(**changes)
        return f"{path}?{urlencode(params)}" if params else path

    def form(self) -> dict[str, str]:
        """The filter form's field values."""
        return {
            "from": self.start,
            "to": self.end,
            "interval": self.interval,
            "tier_year": self.tier_year,
            **{name: ", ".join(self.values.get(name, ())) for name in FILTERS},
        }

    @property
    def filtered(self) -> bool:
        """True when any filter narrows the events."""
        return any(self.values.values())


def page_query(params: QueryParams) -> PageQuery:
    """Read a page's query parameters (nothing is validated here: ``question`` does it, naming the parameter)."""
    values = {
        name: tuple(dict.fromkeys(v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()))
        for name in FILTERS
    }
    return PageQuery(
        start=params.get("from", "").strip() or DEFAULT_FROM,
        end=params.get("to", "").strip(),
        interval=params.get("interval", "").strip() or DEFAULT_INTERVAL,
        tier_year=params.get("tier_year", "").strip(),
        values={k: v for k, v in values.items() if v},
    )
