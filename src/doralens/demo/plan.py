"""The whole demo as a plan, from a seed, a length in days and the moment it ends; no I/O, so it is repeatable.

Besides each service's timeline (``timeline.py``), a few failures that are not one release's fault: an outage
no deployment caused (nothing deployed the day before), a failure naming only a team, failures in staging, and
two still open.
"""

from __future__ import annotations

import itertools
import random

from doralens.demo.events import Plan, PlannedDeployment, PlannedFailure
from doralens.demo.history import RepoPlan
from doralens.demo.profiles import DAY_S, HOUR_S, MINUTE_S, TEAMS
from doralens.demo.timeline import ServiceTimeline


def build_plan(*, seed: int, days: int, now_s: int) -> Plan:
    """Plan ``days`` of history ending at ``now_s`` (Unix seconds); the same arguments give the same plan."""
    if days < 14:
        raise ValueError(f"days must be at least 14, got {days}")
    plan = Plan(seed=seed)
    start = now_s - days * DAY_S
    end = now_s - 10 * MINUTE_S
    for team in TEAMS:
        for service in team.services:
            # One generator per service: tuning one team's profile leaves the others' histories unchanged.
            rng = random.Random(f"{seed}/{service}")
            plan.teams[service] = team.name
            plan.repos[service] = RepoPlan(service, team, rng, start)
            ServiceTimeline(plan, service, team, rng, end).run(start)
    _extra_failures(plan, random.Random(f"{seed}/failures"), end)
    return plan


def _releases(plan: Plan, service: str, env: str = "prod") -> list[PlannedDeployment]:
    found = [d for d in plan.deployments if d.service == service and d.env == env]
    return sorted(found, key=lambda d: d.finished_at)


def _unless_after(at: int, end: int) -> int | None:
    """A resolution time, or None (still open) when it would come after the end."""
    return at if at < end else None


def _extra_failures(plan: Plan, rng: random.Random, end: int) -> None:
    # An outage no deployment caused: more than a day after inventory's last release, so none is blamed.
    inventory = _releases(plan, "inventory")
    quiet = [(a, b) for a, b in itertools.pairwise(inventory) if b.finished_at - a.finished_at > 3 * DAY_S]
    if quiet:
        before, _ = rng.choice(quiet)
        started = before.finished_at + DAY_S + rng.randint(4 * HOUR_S, 30 * HOUR_S)
        plan.failures.append(
            PlannedFailure(
                id=plan.failure_id(),
                name="Database failover in eu-west-1",
                severity="SEV-2",
                env="prod",
                started_at=started,
                finished_at=_unless_after(started + rng.randint(40 * MINUTE_S, 90 * MINUTE_S), end),
                services=("inventory",),
                team="fulfilment",
                tags=("source:pagerduty", "cause:infrastructure"),
            )
        )
    # A failure naming only a team: the team's latest deployment before it is the suspect.
    web = _releases(plan, "web")
    if web:
        after = rng.choice(web[len(web) // 3 :])
        started = after.finished_at + rng.randint(20 * MINUTE_S, 2 * HOUR_S)
        plan.failures.append(
            PlannedFailure(
                id=plan.failure_id(),
                name="Storefront conversion rate dropped 30%",
                severity="SEV-3",
                env="prod",
                started_at=started,
                finished_at=_unless_after(started + rng.randint(2 * HOUR_S, 5 * HOUR_S), end),
                team="storefront",
                tags=("source:statuspage", "customer_impact:yes"),
            )
        )
    # Staging breaks too; nobody pages for it.
    staged = _releases(plan, "web", "staging")
    for deployment in rng.sample(staged, min(2, len(staged))):
        started = deployment.finished_at + rng.randint(5 * MINUTE_S, 30 * MINUTE_S)
        plan.failures.append(
            PlannedFailure(
                id=plan.failure_id(),
                name="web: smoke tests failing in staging",
                severity="SEV-4",
                env="staging",
                started_at=started,
                finished_at=_unless_after(started + rng.randint(HOUR_S, 3 * HOUR_S), end),
                services=("web",),
                team="storefront",
                tags=("source:smoke-tests",),
            )
        )
    # Still open: search is degraded since its latest release, and staging's inventory is down.
    search = _releases(plan, "search")
    if search:
        latest = search[-1]
        started = max(latest.finished_at + HOUR_S, end - 5 * HOUR_S)
        if started < end:
            plan.failures.append(
                PlannedFailure(
                    id=plan.failure_id(),
                    name="search: results missing for multi-word queries",
                    severity="SEV-3",
                    env="prod",
                    started_at=started,
                    finished_at=None,
                    services=("search",),
                    team="storefront",
                    commit=("search", latest.mark),
                    tags=("source:pagerduty", "customer_impact:yes"),
                )
            )
    plan.failures.append(
        PlannedFailure(
            id=plan.failure_id(),
            name="inventory: staging database out of disk",
            severity="SEV-4",
            env="staging",
            started_at=end - rng.randint(HOUR_S, 3 * HOUR_S),
            finished_at=None,
            services=("inventory",),
            team="fulfilment",
            tags=("source:pagerduty", "cause:infrastructure"),
        )
    )
