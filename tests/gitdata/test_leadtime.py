"""Lead time over real repositories, through every commit source, against hand-computed numbers.

Each test runs three times (``world`` fixture): reading the repository with git, and reading the metadata the CLI
uploaded at each deployment from SQLite and from PostgreSQL. The same literal numbers on each is the agreement.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from doralens.domain.attribution import AttributionBasis, AttributionMethod, attribute_failures
from doralens.domain.events import Failure, make_git_info
from doralens.errors import ConfigError
from doralens.gitdata.leadtime import (
    LeadTimeSettings,
    LeadTimeStatus,
    RecordsShippedBy,
    lead_time_distribution,
)
from tests.builders import DAY, HOUR, MINUTE, ts
from tests.gitdata.conftest import REPOSITORY_URL, World
from tests.gitdata.gitrepo import Repo, fast_import, run

SECOND = 10**9


def test_linear_history_measures_each_commit_from_its_author_time(world: World) -> None:
    repo = world.repo
    first = world.deploy(repo.commit("base", "2024-03-01T09:00:00Z"), "2024-03-01T10:00:00Z")
    c2 = repo.commit("two", "2024-03-01T11:00:00Z")
    c3 = repo.commit("three", "2024-03-01T13:00:00Z")
    c4 = repo.commit("four", "2024-03-02T08:00:00Z")
    second = world.deploy(c4, "2024-03-02T10:00:00Z")

    records = world.lead_times()

    assert records[first.id].status is LeadTimeStatus.NO_BASELINE
    record = records[second.id]
    assert record.status is LeadTimeStatus.OK
    assert [c.sha for c in record.commits] == [c4, c3, c2]
    assert record.lead_times == (2 * HOUR, 21 * HOUR, 23 * HOUR)
    assert record.first_commit_lead_time == 23 * HOUR
    assert record.commit_count == 3
    summary = lead_time_distribution(records.values())
    assert summary.distribution.median == 21 * HOUR
    assert summary.distribution.p75 == 22 * HOUR
    assert summary.distribution.p90 == 81_360 * SECOND  # 21 h + 0.8 * 2 h
    assert summary.distribution.mean == 55_200 * SECOND  # 46 h / 3
    assert (summary.commits, summary.deployments, summary.no_baseline) == (3, 1, 1)


def test_merge_commits_are_excluded_and_both_sides_counted(world: World) -> None:
    repo = world.repo
    world.deploy(repo.commit("base", "2024-03-01T09:00:00Z"), "2024-03-01T10:00:00Z")
    repo.git("checkout", "-q", "-b", "feature")
    f1 = repo.commit("feature one", "2024-03-01T11:00:00Z")
    f2 = repo.commit("feature two", "2024-03-01T12:00:00Z")
    repo.git("checkout", "-q", "main")
    m1 = repo.commit("main fix", "2024-03-01T12:30:00Z")
    merge = repo.merge("feature", "Merge branch feature", "2024-03-01T14:00:00Z")
    deployed = world.deploy(merge, "2024-03-01T16:00:00Z")

    record = world.lead_times()[deployed.id]

    assert [c.sha for c in record.commits] == [m1, f2, f1]
    assert record.lead_times == (210 * MINUTE, 4 * HOUR, 5 * HOUR)
    assert lead_time_distribution([record], min_n=1).distribution.median == 4 * HOUR


def test_a_squash_merge_ships_one_commit(world: World) -> None:
    repo = world.repo
    world.deploy(repo.commit("base", "2024-03-01T09:00:00Z"), "2024-03-01T10:00:00Z")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("wip one", "2024-03-01T11:00:00Z")
    repo.commit("wip two", "2024-03-01T12:00:00Z")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--squash", "feature")
    squashed = repo.commit("Feature (#12)", "2024-03-01T14:00:00Z", files={})
    deployed = world.deploy(squashed, "2024-03-01T16:00:00Z")

    record = world.lead_times()[deployed.id]

    assert [(c.sha, c.lead_time) for c in record.commits] == [(squashed, 2 * HOUR)]


def test_rebased_commits_count_from_committer_time_when_rebased_over_a_day_later(world: World) -> None:
    repo = world.repo
    repo.commit("old base", "2024-02-19T09:00:00Z")
    repo.git("checkout", "-q", "-b", "feature")
    stale = repo.commit("stale change", "2024-02-20T10:00:00Z")
    fresh = repo.commit("fresh change", "2024-03-01T11:00:00Z")
    repo.git("checkout", "-q", "main")
    world.deploy(repo.commit("base", "2024-03-01T09:00:00Z"), "2024-03-01T10:00:00Z")
    repo.git("checkout", "-q", "feature")
    repo.git("rebase", "-q", "main", env=repo.dates("2024-03-01T15:00:00Z"))
    rebased = repo.git("rev-list", "--reverse", "main..feature").split()
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "feature")
    deployed = world.deploy(repo.head(), "2024-03-01T16:00:00Z")

    record = world.lead_times()[deployed.id]

    assert stale not in rebased
    assert fresh not in rebased
    by_sha = {c.sha: (c.lead_time, c.rebased) for c in record.commits}
    # Authored 20 February, rebased 1 March 15:00: over a day apart, measured from the rebase.
    # Authored 11:00, rebased 15:00 the same day: the review wait stays in, measured from 11:00.
    assert by_sha == {rebased[0]: (1 * HOUR, True), rebased[1]: (5 * HOUR, False)}
    assert lead_time_distribution([record], min_n=1).rebased_commits == 1


def test_a_revert_is_an_ordinary_commit_and_its_subject_is_readable(world: World) -> None:
    repo = world.repo
    world.deploy(repo.commit("base", "2024-03-01T09:00:00Z"), "2024-03-01T10:00:00Z")
    change = repo.commit("Add discount", "2024-03-01T11:00:00Z", files={"discount.txt": "on"})
    repo.git("revert", "--no-edit", change, env=repo.dates("2024-03-01T12:00:00Z"))
    revert = repo.head()
    deployed = world.deploy(revert, "2024-03-01T16:00:00Z")

    record = world.lead_times()[deployed.id]

    assert [(c.sha, c.lead_time) for c in record.commits] == [(revert, 4 * HOUR), (change, 5 * HOUR)]
    commit = world.source().commit("github.com/acme/shop", revert)
    assert commit is not None
    assert (commit.subject, commit.paths) == ('Revert "Add discount"', ("discount.txt",))


def _ci_checkout(world: World, name: str) -> Path:
    """Force-push main to a shared remote and clone it fresh, as a CI job would."""
    remote = world.root / "remote.git"
    if not remote.exists():
        Repo(remote, bare=True)
    world.repo.git("push", "-q", "--force", str(remote), "main")
    checkout = world.root / name
    run(["clone", "-q", "--no-local", str(remote), str(checkout)], world.root)
    return checkout


def test_a_force_push_orphaning_the_previous_sha_counts_only_new_commits(world: World) -> None:
    repo = world.repo
    c1 = repo.commit("base", "2024-03-01T09:00:00Z")
    world.deploy(c1, "2024-03-01T10:00:00Z", checkout=_ci_checkout(world, "ci1"))
    c2 = repo.commit("two", "2024-03-01T11:00:00Z")
    c3 = repo.commit("three", "2024-03-01T12:00:00Z")
    second = world.deploy(c3, "2024-03-01T13:00:00Z", checkout=_ci_checkout(world, "ci2"))
    repo.git("reset", "-q", "--hard", c1)
    repo.git("cherry-pick", c2, c3, env=repo.dates("2024-03-01T14:00:00Z"))
    c4 = repo.commit("four", "2024-03-01T14:30:00Z")
    checkout = _ci_checkout(world, "ci3")
    assert subprocess.run(["git", "-C", str(checkout), "cat-file", "-e", c3], check=False).returncode != 0
    third = world.deploy(c4, "2024-03-01T15:00:00Z", checkout=checkout)

    records = world.lead_times()

    assert records[second.id].lead_times == (1 * HOUR, 2 * HOUR)
    record = records[third.id]
    assert record.status is LeadTimeStatus.ORPHANED
    assert [(c.sha, c.lead_time) for c in record.commits] == [(c4, 30 * MINUTE)]
    assert "not an ancestor" in record.explanation
    assert "2 rebased copies of commits already shipped skipped" in record.explanation
    assert lead_time_distribution(records.values(), min_n=1).commits == 3


def test_a_rollback_and_the_redeploy_after_it_ship_nothing_new(world: World) -> None:
    repo = world.repo
    c1 = repo.commit("base", "2024-03-01T09:00:00Z")
    world.deploy(c1, "2024-03-01T10:00:00Z")
    repo.commit("two", "2024-03-01T11:00:00Z")
    c3 = repo.commit("three", "2024-03-01T12:00:00Z")
    forward = world.deploy(c3, "2024-03-01T13:00:00Z")
    rollback = world.deploy(c1, "2024-03-01T14:00:00Z")
    again = world.deploy(c3, "2024-03-01T15:00:00Z")

    records = world.lead_times()

    assert records[forward.id].commit_count == 2
    assert records[rollback.id].status is LeadTimeStatus.OK
    assert records[rollback.id].commits == ()
    assert "a rollback" in records[rollback.id].explanation
    assert records[again.id].status is LeadTimeStatus.OK
    assert records[again.id].commits == ()
    assert "2 commits already shipped by an earlier deployment skipped" in records[again.id].explanation
    summary = lead_time_distribution(records.values(), min_n=1)
    assert (summary.commits, summary.deployments, summary.without_new_commits) == (2, 1, 2)


def test_unknown_shas_are_reported_not_raised(world: World) -> None:
    repo = world.repo
    world.deploy(repo.commit("base", "2024-03-01T09:00:00Z"), "2024-03-01T10:00:00Z")
    ghost = world.deploy("f" * 40, "2024-03-01T11:00:00Z")
    after = world.deploy(repo.commit("two", "2024-03-01T12:00:00Z"), "2024-03-01T13:00:00Z")

    records = world.lead_times()

    assert records[ghost.id].status is LeadTimeStatus.HEAD_UNKNOWN
    assert f"the deployed commit {'f' * 12} is not in github.com/acme/shop" in records[ghost.id].explanation
    assert records[after.id].status is LeadTimeStatus.BASE_UNKNOWN
    summary = lead_time_distribution(records.values(), min_n=1)
    assert summary.unmeasured == {"base_unknown": 1, "head_unknown": 1}
    assert summary.commits == 0


def test_path_filters_give_each_service_of_a_monorepo_its_own_commits(world: World) -> None:
    repo = world.repo
    scaffold = repo.commit(
        "scaffold",
        "2024-03-01T08:00:00Z",
        files={"services/api/main.py": "0", "services/web/app.js": "0", "README.md": "0"},
    )
    for service in ("api", "web", "docs"):
        world.deploy(scaffold, "2024-03-01T08:30:00Z", service)
    a1 = repo.commit("api change", "2024-03-01T09:00:00Z", files={"services/api/main.py": "1"})
    w1 = repo.commit("web change", "2024-03-01T10:00:00Z", files={"services/web/app.js": "1"})
    both = repo.commit("both", "2024-03-01T11:00:00Z", files={"services/api/main.py": "2", "services/web/app.js": "2"})
    repo.commit("gateway", "2024-03-01T11:30:00Z", files={"services/api-gateway/z.py": "1"})
    docs = repo.commit("docs", "2024-03-01T12:00:00Z", files={"README.md": "1"})
    api, web, whole = (world.deploy(docs, "2024-03-01T14:00:00Z", s) for s in ("api", "web", "docs"))
    settings = LeadTimeSettings(service_paths={"api": ("services/api",), "web": ("./services/web/",)})

    records = world.lead_times(settings)

    assert [(c.sha, c.lead_time) for c in records[api.id].commits] == [(both, 3 * HOUR), (a1, 5 * HOUR)]
    assert [(c.sha, c.lead_time) for c in records[web.id].commits] == [(both, 3 * HOUR), (w1, 4 * HOUR)]
    assert records[whole.id].commit_count == 5


def test_more_than_5000_commits_keeps_the_newest_5000(world: World) -> None:
    start = ts("2024-03-01T00:00:00Z") // SECOND
    shas = fast_import(world.repo.path, 5011, start_s=start, step_s=60)
    world.deploy(shas[0], "2024-03-01T01:00:00Z")
    deployed = world.deploy(shas[-1], "2024-03-05T00:00:00Z")

    record = world.lead_times()[deployed.id]

    assert record.status is LeadTimeStatus.OK
    assert record.truncated
    assert record.commit_count == 5000
    assert record.commits[0].sha == shas[5010]
    assert record.commits[-1].sha == shas[11]
    assert record.lead_times[0] == 45_000 * SECOND  # 4 days - 5010 minutes
    assert record.first_commit_lead_time == 344_940 * SECOND  # 4 days - 11 minutes
    summary = lead_time_distribution([record])
    assert summary.distribution.median == 194_970 * SECOND  # 45,000 s + 60 s * 2,499.5
    assert summary.truncated == 1


def test_no_lead_time_without_baseline_or_with_a_baseline_too_old(world: World) -> None:
    repo = world.repo
    first = world.deploy(repo.commit("base", "2024-01-01T09:00:00Z"), "2024-01-01T10:00:00Z")
    late = world.deploy(repo.commit("two", "2024-03-05T09:00:00Z"), "2024-03-05T10:00:00Z")
    next_day = world.deploy(repo.commit("three", "2024-03-06T09:00:00Z"), "2024-03-06T12:00:00Z")
    staging = world.deploy(repo.head(), "2024-03-06T13:00:00Z", env="staging")

    records = world.lead_times()

    assert records[first.id].status is LeadTimeStatus.NO_BASELINE
    assert records[late.id].status is LeadTimeStatus.PREVIOUS_TOO_OLD
    assert "finished 64.0 days before, more than the 60 days allowed" in records[late.id].explanation
    assert records[next_day.id].lead_times == (3 * HOUR,)
    assert records[staging.id].status is LeadTimeStatus.NO_BASELINE
    summary = lead_time_distribution(records.values(), min_n=1)
    assert (summary.no_baseline, summary.previous_too_old, summary.commits) == (2, 1, 1)
    patient = world.lead_times(LeadTimeSettings(max_baseline_age_ns=90 * DAY))
    assert patient[late.id].lead_times == (1 * HOUR,)


def test_a_failure_on_a_shipped_commit_is_attributed_to_the_deployment_that_shipped_it(world: World) -> None:
    repo = world.repo
    world.deploy(repo.commit("base", "2024-03-01T09:00:00Z"), "2024-03-01T10:00:00Z")
    culprit = repo.commit("risky", "2024-03-01T11:00:00Z")
    shipping = world.deploy(repo.commit("safe", "2024-03-01T12:00:00Z"), "2024-03-01T13:00:00Z")
    world.deploy(repo.commit("later", "2024-03-01T14:00:00Z"), "2024-03-01T15:00:00Z")
    failure = Failure(
        id="fail-1", started_at=ts("2024-03-02T09:00:00Z"), services=("web",), env="prod",
        git=make_git_info(culprit, REPOSITORY_URL),
    )  # fmt: skip

    shipped_by = RecordsShippedBy(world.lead_times().values())
    [link] = attribute_failures([failure], world.deployments, shipped_by=shipped_by)

    assert shipped_by(culprit.upper(), "web", "prod") == shipping.id
    assert shipped_by(culprit, "web", "staging") is None
    assert (link.deployment_id, link.method, link.basis) == (
        shipping.id,
        AttributionMethod.EXACT,
        AttributionBasis.COMMIT_RANGE,
    )


def test_settings_are_checked_when_made() -> None:
    with pytest.raises(ConfigError, match="limit must be positive"):
        LeadTimeSettings(limit=0)
    assert LeadTimeSettings(service_paths={"api": ("services/api",)}).paths_for("web") == ()
