"""One service's months of work: releases to staging and prod, the changes they ship, and the releases that fail.

Releases fall in working hours (UTC, Monday to Friday). A team's change failure rate picks which releases fail
(a fixed share, so its tier does not depend on luck); each failed release is put right the team's way: a
rollback (the previous release deployed again), a hotfix or a revert commit released as a patch, an incident
resolved without a deployment, or a person marking it failed. Incidents name their cause in turn by commit sha,
by version, or not at all (then only the time says which deployment came just before).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from doralens.demo.events import Plan, PlannedDeployment, PlannedFailure, PlannedMark
from doralens.demo.history import RepoPlan
from doralens.demo.profiles import DAY_S, FAILURE_SYMPTOMS, HOUR_S, MINUTE_S, THINGS, TeamProfile

WORKDAY_START_S = 8 * HOUR_S + 30 * MINUTE_S
WORKDAY_S = 9 * HOUR_S
MIN_RELEASE_GAP_S = 40 * MINUTE_S


def is_workday(day: int) -> bool:
    """Monday to Friday (day 0, 1970-01-01, was a Thursday)."""
    return (day + 3) % 7 < 5


def working_moment(at: int, rng: random.Random) -> int:
    """``at`` if it falls in working hours, else a random moment of the next working day's hours."""
    day, second = divmod(at, DAY_S)
    if is_workday(day) and WORKDAY_START_S <= second < WORKDAY_START_S + WORKDAY_S:
        return at
    if second >= WORKDAY_START_S:
        day += 1
    while not is_workday(day):
        day += 1
    return day * DAY_S + WORKDAY_START_S + rng.randrange(WORKDAY_S)


def release_times(team: TeamProfile, rng: random.Random, start: int, end: int) -> list[int]:
    """When one service of the team releases to prod, between ``start`` and ``end``."""
    times: list[int] = []
    if team.releases_per_workday is not None:
        chance = team.releases_per_workday / 3
        for day in range(start // DAY_S + 1, end // DAY_S + 1):
            if is_workday(day):
                count = sum(rng.random() < chance for _ in range(3))
                base = day * DAY_S + WORKDAY_START_S
                times.extend(sorted(base + rng.randrange(WORKDAY_S) for _ in range(count)))
    else:
        low, high = team.release_gap_days
        at = working_moment(start + int(rng.uniform(0.1, 0.9) * high * DAY_S), rng)
        while at < end:
            times.append(at)
            at = working_moment(at + int(rng.uniform(low, high) * DAY_S), rng)
    kept: list[int] = []
    for at in times:
        if start < at < end and (not kept or at - kept[-1] >= MIN_RELEASE_GAP_S):
            kept.append(at)
    return kept


@dataclass
class ServiceTimeline:
    """Plans one service's deployments and failures into ``plan``."""

    plan: Plan
    service: str
    team: TeamProfile
    rng: random.Random
    end: int

    def __post_init__(self) -> None:
        self.major = self.rng.randint(1, 3)
        self.minor = self.rng.randint(10, 40)
        self.tags = (f"pipeline:{self.team.pipeline}", f"region:{self.rng.choice(('eu-west-1', 'us-east-1'))}")
        self.position = self.team.services.index(self.service)
        self.failed = 0

    @property
    def repo(self) -> RepoPlan:
        """The service's repository plan."""
        return self.plan.repos[self.service]

    def deploy(self, kind: str, env: str, at: int, mark: int, version: str) -> str:
        """Plan a deployment that finished at ``at`` after a few minutes' rollout; return its id."""
        deployment_id = f"demo-{self.plan.seed}-{self.service}-{env}-{kind}"
        strategy = "canary" if self.team.trunk and env == "prod" else "rolling"
        rollout = self.rng.randint(2 * MINUTE_S, 12 * MINUTE_S)
        written = self.repo.commits[mark - 1].committer_time  # a pipeline starts once the commit exists
        self.plan.deployments.append(
            PlannedDeployment(
                id=deployment_id,
                service=self.service,
                env=env,
                team=self.team.name,
                version=version,
                mark=mark,
                started_at=min(max(at - rollout, written + 30), at),
                finished_at=at,
                tags=(*self.tags, f"strategy:{strategy}"),
            )
        )
        return deployment_id

    def run(self, start: int) -> None:
        """Plan every release from ``start`` to the end, and the trouble of the failing ones."""
        times = release_times(self.team, self.rng, start, self.end - 2 * HOUR_S)
        failing = round(self.team.change_failure_rate * len(times))
        bad = set(self.rng.sample(range(1, len(times)), min(failing, max(len(times) - 1, 0))))
        previous: tuple[int, str] | None = None
        since = start - 7 * DAY_S
        for number, at in enumerate(times):
            shipped = self.repo.changes_before(at, since)
            head = self.repo.head
            version = f"v{self.major}.{self.minor}.0"
            self.minor += 1
            if self.team.staging:  # tried in staging within the hours before
                tried = max(self.repo.head_time, at - 6 * HOUR_S)
                staged = tried + int(self.rng.uniform(0.2, 0.8) * (at - tried))
                self.deploy(f"{number:03d}", "staging", staged, head, version)
            release_id = self.deploy(f"{number:03d}", "prod", at, head, version)
            since = at
            if number in bad and previous is not None:
                following = times[number + 1] if number + 1 < len(times) else self.end
                since = self.fail(number, at, following, release_id, (head, shipped), version, previous)
            previous = (head, version)

    def fail(
        self,
        number: int,
        at: int,
        following: int,
        release_id: str,
        commits: tuple[int, list[int]],
        version: str,
        previous: tuple[int, str],
    ) -> int:
        """Plan the trouble after a failing release (``commits``: its head and the commits it shipped); return when
        it was put right."""
        rng, team = self.rng, self.team
        head, shipped = commits
        # Remedies and the way incidents name their cause take turns, each service of a team starting elsewhere,
        # so every kind shows up whatever the seed.
        turn = self.failed + 2 * self.position
        self.failed += 1
        remedy = team.remedies[turn % len(team.remedies)]
        basis = ("sha", "version", "time")[turn % 3]
        # The sha an incident names: a commit the release shipped (found through the range), or its own.
        others = [mark for mark in shipped if mark != head]
        culprit = others[-1] if others and turn % 2 == 0 else head
        recovery = min(rng.randint(*team.recovery_s), (following - at) * 2 // 3)
        fixed = at + recovery
        if remedy == "rollback":
            self.deploy(f"{number:03d}-rollback", "prod", fixed, *previous)
            basis = "sha"
        elif remedy in ("hotfix", "revert"):
            if remedy == "hotfix":
                subject = f"Hotfix: {rng.choice(THINGS[self.service])} broken since {version}"
            else:
                subject = f'Revert "{self.repo.subject_of(head)}"'
            written = fixed - rng.randint(3 * MINUTE_S, max(4 * MINUTE_S, recovery // 2))
            mark = self.repo.trunk_commit(max(written, at + MINUTE_S), subject)
            patch = f"v{self.major}.{self.minor - 1}.1"
            self.deploy(f"{number:03d}-{remedy}", "prod", max(fixed, self.repo.head_time + MINUTE_S), mark, patch)
        elif remedy == "manual":
            following_id = f"demo-{self.plan.seed}-{self.service}-prod-{number + 1:03d}"
            remediation = following_id if following < self.end else None
            self.plan.marks.append(PlannedMark(release_id, remediation, at + recovery))
            return at
        started = at + rng.randint(2 * MINUTE_S, max(3 * MINUTE_S, recovery // 3))
        resolved = fixed + rng.randint(2 * MINUTE_S, 15 * MINUTE_S)
        # Card payments failing break checkout too: payments' incidents impact both services.
        services = ("payments", "checkout") if self.service == "payments" else (self.service,)
        self.plan.failures.append(
            PlannedFailure(
                id=self.plan.failure_id(),
                name=rng.choice(FAILURE_SYMPTOMS).format(service=self.service),
                severity=rng.choice(team.severities),
                env="prod",
                started_at=started,
                finished_at=resolved if resolved < self.end else None,
                services=services,
                team=team.name,
                commit=(self.service, culprit) if basis == "sha" else None,
                version=version if basis == "version" else None,
                tags=("source:pagerduty", f"customer_impact:{rng.choice(('yes', 'no'))}"),
            )
        )
        return fixed
