"""The overview page in headless Chromium over 1,000,000 deployments, against baselines measured in the same run.

Loads the metrics benchmark's data (``bench/metrics_data.py``: 200 services in three envs over two years, default
1,000,000 deployments and 100,000 failures), computes the derived state once, starts ``doralens serve`` on it, and
opens the overview for the last 90 days of the data (weekly and daily series) in Chromium, timing navigation start
to every chart drawn (``performance.now()`` when the page marks its charts drawn: after the frame that shows them).
Warm rounds reuse one browser context, as a returning user: plotly.js and its compiled code come from the HTTP cache.
Cold rounds start a new context each time (a first visit: plotly.js downloaded and compiled). The target is checked
against the warm median; both are reported, each split into phases: first byte of the page (the server streams its
head before computing), page arrived, plotly.js ready with the document parsed, charts drawn.

Baselines: ``GET /api/v1/metrics`` for the same question (what the page's numbers cost on the server), the page's
HTML without a browser, and a blank page (``/healthz``) loaded in the same browser.
Targets (issue "The dashboard"): overview drawn in <= 1 s median (warm); its HTML plus its JSON twin <= 1 MB.
Usage: ``python bench/dashboard.py [--deployments N] [--failures N] [--repeat N] [--keep URL | --reuse URL]``
(``--keep sqlite:////tmp/1m.db`` once, then ``--reuse`` the same URL to time again without loading).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from playwright.sync_api import Browser, sync_playwright

from bench.common import fresh_database, report, summary, timings_ms
from bench.metrics_data import DAY, END_NS, analyze, generate
from doralens.config import Settings
from doralens.domain.timestamps import format_rfc3339
from doralens.gitdata.service import engine_config
from doralens.metrics.refresh import refresh
from doralens.store.factory import open_store
from tests.servers import LiveServer, start_server
from tests.web.browser.conftest import CHARTS_DRAWN, CHROMIUM, LAUNCH_ARGS

WINDOW = {"from": format_rfc3339(END_NS - 90 * DAY), "to": format_rfc3339(END_NS)}
CASES = {"weekly": {"interval": "week"}, "daily": {"interval": "day"}}
MB = 1024 * 1024
COLD_ROUNDS = 5


PHASES = """() => {
  const nav = performance.getEntriesByType("navigation")[0], marks = document.documentElement.dataset;
  return {first_byte: nav.responseStart, arrived: nav.responseEnd, plotly_ready: Number(marks.chartsStartMs),
          drawn: Number(marks.chartsMs)};
}"""


def _drawn_ms(browser: Browser, url: str, repeat: int, *, warm: bool) -> dict[str, list[float]]:
    """Per round, milliseconds from navigation start to each phase, and the phases' own lengths."""
    found: dict[str, list[float]] = {}
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    for round_number in range(repeat + (3 if warm else 0)):
        if not warm:
            context.close()
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
        page.goto(url)
        page.wait_for_function(CHARTS_DRAWN, timeout=120_000)
        at = {name: float(ms) for name, ms in page.evaluate(PHASES).items()}
        if not warm or round_number >= 3:
            at["after_arrival"] = at["drawn"] - at["arrived"]
            at["drawing"] = at["drawn"] - at["plotly_ready"]
            for name, ms in at.items():
                found.setdefault(name, []).append(ms)
    context.close()
    return found


def _blank_ms(browser: Browser, url: str, repeat: int) -> list[float]:
    context = browser.new_context()
    page = context.new_page()
    times = []
    for _ in range(repeat + 3):
        page.goto(url)
        times.append(float(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")))
    context.close()
    return times[3:]


def _first_byte_ms(client: httpx.Client, path: str, repeat: int) -> list[float]:
    """Milliseconds to the first byte of the page (read to its end, so rounds never overlap on the server)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with client.stream("GET", path) as answer:
            chunks = answer.iter_raw()
            next(chunks)
            times.append((time.perf_counter() - started) * 1000)
            for _ in chunks:
                pass
    return times


def _first_read(live: LiveServer) -> float:
    """Seconds of the server's first metrics read, which settles what the bulk load left (untimed by the cases)."""
    headers = {"DD-API-KEY": live.api_key, "DD-APPLICATION-KEY": live.app_key}
    started = time.perf_counter()
    httpx.get(f"{live.url}/api/v1/metrics", params=WINDOW, headers=headers, timeout=None).raise_for_status()
    return time.perf_counter() - started


def _case(live: LiveServer, browser: Browser, params: dict[str, str], repeat: int) -> dict[str, Any]:
    query = httpx.QueryParams({**WINDOW, **params})
    headers = {"DD-API-KEY": live.api_key, "DD-APPLICATION-KEY": live.app_key}
    with httpx.Client(base_url=live.url, timeout=120) as client:
        html = client.get(f"/?{query}")
        twin = client.get(f"/?{query}&format=json")
        api = client.get(f"/api/v1/metrics?{query}", headers=headers)
        for answer in (html, twin, api):
            answer.raise_for_status()
        assert twin.json()["report"] == api.json() | {"fresh": twin.json()["report"]["fresh"]}
        page_ms = summary(timings_ms(lambda: client.get(f"/?{query}"), repeat))
        first_byte_ms = summary(_first_byte_ms(client, f"/?{query}", repeat))
        api_ms = summary(timings_ms(lambda: client.get(f"/api/v1/metrics?{query}", headers=headers), repeat))
    warm_phases = _drawn_ms(browser, f"{live.url}/?{query}", repeat, warm=True)
    cold_phases = _drawn_ms(browser, f"{live.url}/?{query}", COLD_ROUNDS, warm=False)
    warm, cold = summary(warm_phases["drawn"]), summary(cold_phases["drawn"])
    size = len(html.content) + len(twin.content)
    return {
        "deployments_in_window": api.json()["metrics"]["deployment_frequency"]["value"],
        "payload": {
            "html_bytes": len(html.content),
            "json_twin_bytes": len(twin.content),
            "html_plus_json_bytes": size,
            "html_gzip_bytes": len(gzip.compress(html.content)),
        },
        "server": {"page_html": page_ms, "page_first_byte": first_byte_ms, "metrics_api": api_ms},
        "browser": {
            "drawn_warm": warm,
            "drawn_cold": cold,
            "phases_warm_p50_ms": {name: summary(ms)["p50_ms"] for name, ms in warm_phases.items()},
            "phases_cold_p50_ms": {name: summary(ms)["p50_ms"] for name, ms in cold_phases.items()},
        },
        "target_measured_on": "drawn_warm p50: a returning user (same browser context, plotly.js from the cache)",
        "ratio_drawn_warm_to_api_p50": round(warm["p50_ms"] / api_ms["p50_ms"], 2),
        "checks": {"drawn warm p50 <= 1000 ms": warm["p50_ms"] <= 1000, "html + json <= 1 MB": size <= MB},
    }


def _load(url: str, deployments: int, failures: int) -> dict[str, float]:
    store = open_store(url)
    store.migrate()
    load_seconds = generate(store, deployments, failures)
    analyze(store)
    started = time.perf_counter()
    # The server's own engine configuration (git data plugged in), so its first read finds the state it would make.
    engine, _ = engine_config(Settings(database_url=url), store.backend)
    refresh(store=store, config=engine, max_rounds=1000)
    refresh_seconds = time.perf_counter() - started
    analyze(store)
    store.close()
    return {"load_seconds": round(load_seconds, 1), "initial_refresh_seconds": round(refresh_seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--failures", type=int, help="default: a tenth of the deployments")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", help="a SQLite URL this benchmark loaded before (kept with --keep): skip loading")
    parser.add_argument("--keep", help="load into this new SQLite URL and keep it, for --reuse")
    args = parser.parse_args()
    failures = args.failures if args.failures is not None else args.deployments // 10
    result: dict[str, Any] = {"deployments": args.deployments, "failures": failures, "window": WINDOW}
    with fresh_database("sqlite") as fresh:
        url = args.reuse or args.keep or fresh
        if not args.reuse:
            result.update(_load(url, args.deployments, failures))
        with start_server(url) as live, sync_playwright() as playwright:
            result["server_first_read_seconds"] = round(_first_read(live), 1)
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            result["blank_page_load"] = summary(_blank_ms(browser, f"{live.url}/healthz", args.repeat))
            cases = {name: _case(live, browser, params, args.repeat) for name, params in CASES.items()}
            browser.close()
    result["cases"] = cases
    print(json.dumps({name: case["checks"] for name, case in cases.items()}), file=sys.stderr)
    report("dashboard", result)


if __name__ == "__main__":
    main()
