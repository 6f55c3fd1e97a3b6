"""The demo's made-up organisation: four teams with different ways of working, so their tiers differ.

Each team's profile says how often its services release, how changes reach the main branch (straight to trunk,
or pull requests open for hours to weeks), how many releases fail and how long recovery takes. The numbers are
chosen to land each team in one DORA cluster for most metrics: payments elite, storefront high, fulfilment
medium, back-office low.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Remedy = Literal["rollback", "hotfix", "revert", "incident", "manual"]

MINUTE_S = 60
HOUR_S = 3600
DAY_S = 86_400


@dataclass(frozen=True)
class Person:
    """A developer: the author and committer of commits."""

    name: str
    email: str

    @property
    def ident(self) -> str:
        """As git writes it: ``Name <email>``."""
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class TeamProfile:
    """How one team works. Durations are seconds, ranges are (low, high) drawn uniformly."""

    name: str
    services: tuple[str, ...]
    people: tuple[Person, ...]
    pipeline: str
    staging: bool
    # Releases: a rate per working day per service (Poisson-like), or else a gap in days between releases.
    releases_per_workday: float | None
    release_gap_days: tuple[float, float]
    # Changes: straight to trunk (``trunk``) or pull requests merged with a merge commit.
    trunk: bool
    changes_per_release: tuple[int, int]
    commits_per_change: tuple[int, int]
    # Seconds from writing a change's first commit to merging it (trunk: to releasing it).
    change_age_s: tuple[int, int]
    change_failure_rate: float
    recovery_s: tuple[int, int]
    remedies: tuple[Remedy, ...]
    severities: tuple[str, ...]


def _people(*names: str) -> tuple[Person, ...]:
    return tuple(Person(n, f"{n.split()[0].lower()}@acme.example") for n in names)


TEAMS: tuple[TeamProfile, ...] = (
    TeamProfile(
        name="payments",
        services=("checkout", "payments"),
        people=_people("Amara Okafor", "Jonas Becker", "Mei Tanaka"),
        pipeline="github-actions",
        staging=False,
        releases_per_workday=1.0,
        release_gap_days=(0, 0),
        trunk=True,
        changes_per_release=(1, 2),
        commits_per_change=(1, 1),
        change_age_s=(20 * MINUTE_S, 5 * HOUR_S),
        change_failure_rate=0.04,
        recovery_s=(8 * MINUTE_S, 50 * MINUTE_S),
        remedies=("rollback", "revert", "hotfix", "incident", "rollback"),
        severities=("SEV-2", "SEV-3", "SEV-3"),
    ),
    TeamProfile(
        name="storefront",
        services=("web", "search"),
        people=_people("Lucía Fernández", "Tom Walsh", "Priya Nair", "Olu Adeyemi"),
        pipeline="github-actions",
        staging=True,
        releases_per_workday=0.35,
        release_gap_days=(0, 0),
        trunk=False,
        changes_per_release=(1, 2),
        commits_per_change=(1, 4),
        change_age_s=(10 * HOUR_S, 4 * DAY_S),
        change_failure_rate=0.1,
        recovery_s=(90 * MINUTE_S, 9 * HOUR_S),
        remedies=("rollback", "hotfix", "revert", "incident", "manual"),
        severities=("SEV-2", "SEV-3", "SEV-3", "SEV-4"),
    ),
    TeamProfile(
        name="fulfilment",
        services=("inventory", "shipping"),
        people=_people("Henrik Larsen", "Fatima Zahra", "Diego Rojas"),
        pipeline="gitlab-ci",
        staging=True,
        releases_per_workday=None,
        release_gap_days=(8, 15),
        trunk=False,
        changes_per_release=(2, 4),
        commits_per_change=(2, 5),
        change_age_s=(3 * DAY_S, 12 * DAY_S),
        change_failure_rate=0.09,
        recovery_s=(2 * HOUR_S, 20 * HOUR_S),
        remedies=("rollback", "hotfix", "manual"),
        severities=("SEV-2", "SEV-3"),
    ),
    TeamProfile(
        name="back-office",
        services=("reporting",),
        people=_people("Margaret Hughes", "Sanjay Rao"),
        pipeline="jenkins",
        staging=True,
        releases_per_workday=None,
        release_gap_days=(34, 46),
        trunk=False,
        changes_per_release=(3, 5),
        commits_per_change=(2, 5),
        change_age_s=(20 * DAY_S, 45 * DAY_S),
        change_failure_rate=0.4,
        recovery_s=(30 * HOUR_S, 4 * DAY_S),
        remedies=("hotfix", "rollback", "incident"),
        severities=("SEV-1", "SEV-2"),
    ),
)

REPOSITORY_URL = "https://git.example.com/acme/{service}.git"

# Words that make commit subjects read like a real history.
VERBS = ("Add", "Fix", "Refactor", "Speed up", "Log", "Validate", "Cache", "Retry", "Tidy", "Document")
THINGS = {
    "checkout": ("cart totals", "promo codes", "address form", "order summary", "gift cards", "tax lines"),
    "payments": ("card tokenisation", "3-D Secure flow", "refunds", "payout batching", "webhook retries", "fx rates"),
    "web": ("product page", "header menu", "image lazy loading", "wishlist", "locale switcher", "footer links"),
    "search": ("query parser", "synonyms", "facet counts", "typo tolerance", "ranking weights", "autocomplete"),
    "inventory": ("stock reservations", "warehouse sync", "reorder alerts", "bin locations", "cycle counts"),
    "shipping": ("carrier rates", "label printing", "tracking updates", "customs forms", "delivery slots"),
    "reporting": ("monthly revenue report", "VAT export", "ledger reconciliation", "CSV exporter", "audit trail"),
}
MODULES = ("api", "core", "models", "handlers", "jobs", "util")
FAILURE_SYMPTOMS = (
    "Error rate above 5% on {service}",
    "{service}: p99 latency over 2 s",
    "{service} pods crash-looping",
    "Customers report blank pages from {service}",
    "{service}: queue backlog growing",
)
