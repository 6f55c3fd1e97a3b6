"""The demo plan: repeatable for a seed, and holding every kind of event the dashboard has to show."""

from __future__ import annotations

from doralens.demo.events import Plan
from doralens.demo.plan import build_plan
from doralens.demo.profiles import DAY_S, TEAMS

NOW_S = 1_767_225_600  # 2026-01-01T00:00:00Z


def _plan(seed: int = 7) -> Plan:
    return build_plan(seed=seed, days=120, now_s=NOW_S)


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    first, again, other = _plan(), _plan(), _plan(seed=8)
    assert first.deployments == again.deployments
    assert first.failures == again.failures
    assert [r.commits for r in first.repos.values()] == [r.commits for r in again.repos.values()]
    assert first.deployments != other.deployments


def test_organisation_envs_and_period() -> None:
    plan = _plan()
    assert 6 <= len(plan.repos) <= 10
    assert 3 <= len(set(plan.teams.values())) <= 4
    assert {d.env for d in plan.deployments} == {"prod", "staging"}
    times = [d.finished_at for d in plan.deployments]
    assert min(times) > NOW_S - 120 * DAY_S
    assert max(times) < NOW_S
    assert all(f.started_at < NOW_S and (f.finished_at is None or f.finished_at < NOW_S) for f in plan.failures)
    assert len({d.id for d in plan.deployments}) == len(plan.deployments)
    assert len({f.id for f in plan.failures}) == len(plan.failures)


def test_teams_release_at_different_paces() -> None:
    plan = _plan()
    per_team = {t.name: sum(d.team == t.name and d.env == "prod" for d in plan.deployments) for t in TEAMS}
    assert per_team["payments"] > 2 * per_team["storefront"]
    assert per_team["storefront"] > per_team["fulfilment"] > per_team["back-office"] > 0


def test_remediations_and_failures_of_every_kind() -> None:
    plan = _plan()
    kinds = {d.id.rsplit("-", 1)[1] for d in plan.deployments if not d.id[-1].isdigit()}
    assert kinds == {"rollback", "hotfix", "revert"}
    subjects = [c.subject for repo in plan.repos.values() for c in repo.commits]
    assert any(s.startswith("Hotfix: ") for s in subjects)
    assert any(s.startswith('Revert "') for s in subjects)
    assert any(s.startswith("Merge pull request #") for s in subjects)
    deployed = {(d.service, d.mark) for d in plan.deployments}
    assert any(f.commit in deployed for f in plan.failures)  # a deployment's own sha
    assert any(f.commit is not None and f.commit not in deployed for f in plan.failures)  # a commit it shipped
    assert any(f.version is not None for f in plan.failures)
    assert any(f.commit is None and f.version is None and f.services for f in plan.failures)
    assert any(not f.services and f.team for f in plan.failures)
    assert any(len(f.services) == 2 for f in plan.failures)
    assert sum(f.finished_at is None for f in plan.failures) >= 2
    assert {f.env for f in plan.failures} == {"prod", "staging"}
    assert len({f.severity for f in plan.failures}) >= 3
    assert plan.marks
    assert all(any(t.startswith("pipeline:") for t in d.tags) for d in plan.deployments)


def test_rollback_redeploys_the_previous_release() -> None:
    plan = _plan()
    prod = {d.id: d for d in plan.deployments if d.env == "prod"}
    rollbacks = [d for d in prod.values() if d.id.endswith("-rollback")]
    assert rollbacks
    for rollback in rollbacks:
        number = int(rollback.id.split("-")[-2])
        failed = prod[rollback.id.removesuffix("-rollback")]
        before = prod[f"{failed.id.rsplit('-', 1)[0]}-{number - 1:03d}"]
        assert (rollback.mark, rollback.version) == (before.mark, before.version)
        assert rollback.finished_at > failed.finished_at


def test_commits_come_before_what_ships_or_blames_them() -> None:
    plan = _plan()
    for deployment in plan.deployments:
        commit = plan.repos[deployment.service].commits[deployment.mark - 1]
        assert commit.committer_time < deployment.started_at < deployment.finished_at, deployment.id
    for failure in plan.failures:
        if failure.commit is not None:
            service, mark = failure.commit
            assert plan.repos[service].commits[mark - 1].committer_time < failure.started_at, failure.id
    for repo in plan.repos.values():
        for commit in repo.commits:
            assert all(parent < commit.mark for parent in commit.parents)
            assert all(repo.commits[p - 1].committer_time <= commit.committer_time for p in commit.parents)
