"""Benchmark: ingest throughput of deployments with git data against deployments without, through the HTTP app.

Two apps on two SQLite files, each with an API key: one receives deployments carrying ``git`` (real shas of a
built repository, which its server reads through ``DORALENS_GIT_REPOSITORIES``), the other the same deployments
without. Posts alternate between them in rounds, so both see the same machine load. Two modes: ``write_path``
(no background work: the request path alone) and ``with_refresh`` (each app's background refresh running every
0.5 s while it ingests, lead time computed from git in the one with git data). The target is a ratio of at
least 0.8 (with git / without).

    PYTHONPATH=src python3 bench/leadtime_ingest.py [--deployments 2000] [--round 100] [--output result.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from doralens.api.app import create_app
from doralens.bootstrap import create_key
from doralens.config import Settings
from doralens.store.factory import open_store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from leadtime import REPOSITORY_ID, URL, build_repository, plan_deployments

API_KEY = "bench" + "k" * 27
TARGET = 0.8


def _client(stack: ExitStack, database: Path, settings: Settings, refresh: bool) -> TestClient:
    store = open_store(f"sqlite:///{database}")
    store.migrate()
    create_key(store, kind="api", name="bench", secret=API_KEY)
    stack.callback(store.close)
    app = create_app(settings, store, background_refresh=refresh)
    return stack.enter_context(TestClient(app, headers={"DD-API-KEY": API_KEY}))


def _bodies(shas: list[tuple[str, int]], count: int, with_git: bool) -> list[dict[str, Any]]:
    bodies = []
    for d in plan_deployments(shas, count):
        attributes: dict[str, Any] = {
            "id": d.id + "-ingest",
            "service": d.service,
            "env": d.env,
            "started_at": d.started_at,
            "finished_at": d.finished_at,
        }
        if with_git and d.git is not None:
            attributes["git"] = {"repository_url": URL, "commit_sha": d.git.commit_sha}
        bodies.append({"data": {"attributes": attributes}})
    return bodies


def measure(workdir: Path, shas: list[tuple[str, int]], count: int, size: int, refresh: bool) -> dict[str, Any]:
    """Post ``count`` deployments to each app in alternating rounds of ``size``; deployments per second of each."""
    mode = "with_refresh" if refresh else "write_path"
    settings = Settings(refresh_seconds=0.5, git_repositories=((REPOSITORY_ID, workdir / "repo"),))
    rounds: dict[str, list[float]] = {"without_git": [], "with_git": []}
    with ExitStack() as stack:
        clients = {
            "without_git": _client(stack, workdir / f"{mode}-plain.db", Settings(refresh_seconds=0.5), refresh),
            "with_git": _client(stack, workdir / f"{mode}-git.db", settings, refresh),
        }
        bodies = {name: _bodies(shas, count, name == "with_git") for name in clients}
        for index, start in enumerate(range(0, count, size)):
            # Who goes first alternates, so neither always meets the other's leftover work.
            for name in sorted(clients, reverse=bool(index % 2)):
                began = time.perf_counter()
                for body in bodies[name][start : start + size]:
                    response = clients[name].post("/api/v2/dora/deployment", json=body)
                    assert response.status_code == 200, response.text
                rounds[name].append(time.perf_counter() - began)
    rates = {name: round(count / sum(seconds), 1) for name, seconds in rounds.items()}
    # The median of per-round ratios: a burst of load elsewhere on the machine skews one round, not the result.
    ratios = [plain / git for plain, git in zip(rounds["without_git"], rounds["with_git"], strict=True)]
    return {
        "deployments_each": count,
        "per_second": rates,
        "ratio_total": round(rates["with_git"] / rates["without_git"], 3),
        "ratio_median_round": round(statistics.median(ratios), 3),
        "target_ratio": TARGET,
    }


def main(argv: list[str] | None = None) -> int:
    """Build a repository, measure both modes, print (and optionally save) the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deployments", type=int, default=2000)
    parser.add_argument("--round", type=int, default=20)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="doralens-ingest-") as tmp:
        workdir = Path(tmp)
        shas = build_repository(workdir / "repo", args.deployments * 10)
        result = {
            mode: measure(workdir, shas, args.deployments, args.round, mode == "with_refresh")
            for mode in ("write_path", "with_refresh")
        }
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
