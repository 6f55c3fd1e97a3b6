"""Benchmark: lead time over a large repository, next to git's own ``rev-list --count P..S`` for the same ranges.

Builds (``git fast-import``) a history of ``--commits`` commits, a short branch merged back every ten commits,
and ``--deployments`` deployments of one service spaced along the main line. For every deployment it times, in
turn so both see the same machine load: ``git rev-list --count S ^P`` (the baseline) and the range read by
``LocalRepositories`` inside the full ``lead_times`` computation. Then it uploads the history to SQLite as the
CLI would at each deployment (``collect_from_checkout``) and times the same computation over ``SqlCommitStore``.
Prints JSON; the target is ``local.p50 / git.p50 <= 2``.

    PYTHONPATH=src python3 bench/leadtime.py [--commits 100000] [--deployments 2000] [--output result.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doralens.domain.events import Deployment, make_git_info
from doralens.gitdata.commits import DEFAULT_LIMIT, Commit, CommitSource, RangeRequest, ShippedRange
from doralens.gitdata.leadtime import lead_time_distribution, lead_times
from doralens.gitdata.local import LocalRepositories
from doralens.gitdata.payload import collect_from_checkout
from doralens.gitdata.uploaded import SqlCommitStore
from doralens.store.factory import open_store

URL = "https://github.com/acme/bench.git"
REPOSITORY_ID = "github.com/acme/bench"
START_S = 1_700_000_000
STEP_S = 60
NS = 1_000_000_000


def build_repository(path: Path, count: int) -> list[tuple[str, int]]:
    """A history of ``count`` commits; returns the main line's (sha, commit time in s), oldest first."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream: list[bytes] = []
    main_line: list[tuple[int, int]] = []  # (mark, time)
    n = 0

    def commit(ref: str, parent: int | None, merge: int | None = None) -> int:
        nonlocal n
        n += 1
        when = START_S + n * STEP_S
        message = f"change {n}".encode()
        content = f"{n}\n".encode()
        stream.append(
            f"commit {ref}\nmark :{n}\nauthor Bench <b@example.com> {when} +0000\n"
            f"committer Bench <b@example.com> {when} +0000\ndata {len(message)}\n".encode()
            + message
            + b"\n"
        )
        if parent is not None:
            stream.append(f"from :{parent}\n".encode())
        if merge is not None:
            stream.append(f"merge :{merge}\n".encode())
        stream.append(f"M 644 inline dir{n % 20}/file{n % 7}.txt\ndata {len(content)}\n".encode() + content + b"\n")
        return n

    head: int | None = None
    while n < count:
        if n % 10 == 6 and n + 3 <= count:
            side = commit("refs/heads/feature", head)
            side = commit("refs/heads/feature", side)
            head = commit("refs/heads/main", head, merge=side)
        else:
            head = commit("refs/heads/main", head)
        main_line.append((head, START_S + n * STEP_S))
    marks_file = path / "marks"
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet", f"--export-marks={marks_file}"],
        input=b"".join(stream),
        check=True,
    )
    marks = dict(line.split() for line in marks_file.read_text().splitlines())
    marks_file.unlink()
    return [(marks[f":{mark}"], when) for mark, when in main_line]


def plan_deployments(main_line: list[tuple[str, int]], count: int) -> list[Deployment]:
    """``count`` deployments of one service, evenly spaced along the main line, each 30 minutes after its commit."""
    spacing = max(1, len(main_line) // count)
    picked = main_line[spacing - 1 :: spacing][:count]
    return [
        Deployment(
            id=f"bench-{i:05d}",
            service="bench",
            env="prod",
            started_at=(when + 1500) * NS,
            finished_at=(when + 1800) * NS,
            git=make_git_info(sha, URL),
        )
        for i, (sha, when) in enumerate(picked)
    ]


@dataclass
class TimedSource:
    """A ``CommitSource`` that times every range read; ``before`` runs untimed before each (the git baseline)."""

    inner: CommitSource
    repository: Path | None = None
    seconds: list[float] = field(default_factory=list)
    git_seconds: list[float] = field(default_factory=list)
    commits: list[int] = field(default_factory=list)

    def shipped(
        self,
        repository_id: str,
        head_sha: str,
        base_sha: str | None,
        *,
        paths: tuple[str, ...] = (),
        limit: int = DEFAULT_LIMIT,
    ) -> ShippedRange:
        """Time git's count of the same range (when a repository is given), then the source's answer."""
        if self.repository is not None and base_sha is not None:
            started = time.perf_counter()
            subprocess.run(
                ["git", "-C", str(self.repository), "rev-list", "--count", head_sha, f"^{base_sha}"],
                check=True,
                capture_output=True,
            )
            self.git_seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = self.inner.shipped(repository_id, head_sha, base_sha, paths=paths, limit=limit)
        if base_sha is not None:
            self.seconds.append(time.perf_counter() - started)
            self.commits.append(len(found.commits))
        return found

    def shipped_many(self, ranges: Sequence[RangeRequest]) -> list[ShippedRange]:
        """Each range read and timed alone."""
        return [self.shipped(r.repository_id, r.head_sha, r.base_sha, paths=r.paths, limit=r.limit) for r in ranges]

    def commit(self, repository_id: str, sha: str) -> Commit | None:
        """Not timed."""
        return self.inner.commit(repository_id, sha)


def figures(seconds: list[float]) -> dict[str, float]:
    """Total, median and p90 of per-range times."""
    ordered = sorted(seconds)
    return {
        "total_s": round(sum(ordered), 3),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 3),
    }


def run(commits: int, deployments: int, workdir: Path) -> dict[str, Any]:
    """Build, measure, and return the figures."""
    started = time.perf_counter()
    repository = workdir / "repo"
    main_line = build_repository(repository, commits)
    planned = plan_deployments(main_line, deployments)
    build_s = time.perf_counter() - started

    local = TimedSource(LocalRepositories({REPOSITORY_ID: repository}), repository=repository)
    started = time.perf_counter()
    records = lead_times(planned, local)
    local_total = time.perf_counter() - started
    summary = lead_time_distribution(records)

    store = open_store(f"sqlite:///{workdir}/bench.db")
    store.migrate()
    uploaded = SqlCommitStore(store.backend)
    # As the CLI does at each deployment: collect the range from the checkout, upload it.
    collect_s = store_s = 0.0
    previous: str | None = None
    for deployment in planned:
        assert deployment.git is not None
        started = time.perf_counter()
        upload = collect_from_checkout(repository, deployment.git.commit_sha, previous, repository_url=URL)
        collect_s += time.perf_counter() - started
        started = time.perf_counter()
        uploaded.add_commits(upload.repository_id, upload.to_commits())
        store_s += time.perf_counter() - started
        previous = deployment.git.commit_sha
    timed_upload = TimedSource(uploaded)
    started = time.perf_counter()
    uploaded_records = lead_times(planned, timed_upload)
    uploaded_total = time.perf_counter() - started
    stored = uploaded.count_commits(REPOSITORY_ID)
    store.close()

    git, ours, sql = figures(local.git_seconds), figures(local.seconds), figures(timed_upload.seconds)
    return {
        "commits": commits,
        "deployments": len(planned),
        "ranges": len(local.seconds),
        "commits_per_range_median": statistics.median(local.commits),
        "commits_measured": summary.commits,
        "lead_time_median_h": round((summary.distribution.median or 0) / NS / 3600, 3),
        "build_s": round(build_s, 2),
        "git_rev_list_count": git,
        # The baseline's git calls ran inside the computation: they are taken out of its total.
        "local": {**ours, "lead_times_total_s": round(local_total - git["total_s"], 3)},
        "ratio_p50": round(ours["p50_ms"] / git["p50_ms"], 2),
        "ratio_total": round(ours["total_s"] / git["total_s"], 2),
        "target_ratio": 2.0,
        "uploaded_sqlite": {
            **sql,
            "lead_times_total_s": round(uploaded_total, 3),
            "cli_collect_total_s": round(collect_s, 2),
            "store_uploads_total_s": round(store_s, 2),
            "stored_commits": stored,
            "ratio_p50_to_git": round(sql["p50_ms"] / git["p50_ms"], 2),
        },
        "sources_agree": [r.commits for r in records] == [r.commits for r in uploaded_records],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse flags, run the benchmark in a temporary directory, print (and optionally save) the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--deployments", type=int, default=2_000)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="doralens-bench-") as tmp:
        result = run(args.commits, args.deployments, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
