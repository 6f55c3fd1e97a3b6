"""A real Chromium (Playwright, headless) against a live server with the demo data; no request may leave 127.0.0.1.

Chromium comes from the system (``/usr/bin/chromium``, or ``DORALENS_TEST_CHROMIUM``); Playwright never downloads
one. Without it these tests are skipped, unless ``DORALENS_TEST_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes
that a failure. Screenshots go to ``DORALENS_TEST_ARTIFACTS`` (default: the temporary directory).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from doralens.config import Settings
from doralens.demo import fill
from doralens.domain.timestamps import NS_PER_SECOND, format_rfc3339
from doralens.store.factory import open_store
from tests.servers import LiveServer, start_server

REQUIRE_BROWSER = os.environ.get("DORALENS_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM = Path(os.environ.get("DORALENS_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("DORALENS_TEST_ARTIFACTS", tempfile.gettempdir())) / "doralens-screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1"}
CHARTS_DRAWN = "document.documentElement.dataset.charts === 'drawn'"
# The demo ends now; the pages are asked about its last 90 days, with the window written out so the API can be asked
# exactly the same question.
NOW_NS = time.time_ns() // NS_PER_SECOND * NS_PER_SECOND
WINDOW = {"from": format_rfc3339(NOW_NS - 90 * 86_400 * NS_PER_SECOND), "to": format_rfc3339(NOW_NS + NS_PER_SECOND)}

pytestmark = pytest.mark.slow


def _missing(problem: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(problem)
    pytest.skip(problem)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium, shared by the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.is_file():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over a SQLite file holding the demo's 120 days."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder}/dashboard.db"
    store = open_store(url)
    store.migrate()
    fill(store, Settings(database_url=url), seed=7, days=120, now_ns=NOW_NS, git_path=folder / "git")
    store.close()
    with start_server(url) as server:
        yield server


@dataclass
class Visit:
    """A browser page on the live server, with every URL it requested and every one it was refused."""

    page: Any
    base: str
    requested: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def open(self, path: str, *, charts: bool = False) -> None:
        """Load ``path`` and wait for its charts when it has any."""
        self.page.goto(self.base + path)
        if charts:
            self.page.wait_for_function(CHARTS_DRAWN, timeout=60_000)

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot as a test artifact."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def visit(browser: Any, live: LiveServer, **options: Any) -> Iterator[Visit]:
    """A fresh browser context that refuses (and records) any request leaving 127.0.0.1."""
    context = browser.new_context(**{"viewport": {"width": 1366, "height": 900}, **options})
    found = Visit(context.new_page(), live.url)

    def guard(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            found.refused.append(url)
            route.abort()

    context.on("request", lambda request: found.requested.append(request.url))
    context.route("**/*", guard)
    try:
        yield found
    finally:
        context.close()
    outside = [u for u in found.requested if urlsplit(u).hostname not in LOCAL_HOSTS]
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert found.refused == []


@pytest.fixture
def laptop(browser: Any, live: LiveServer) -> Iterator[Visit]:
    """A laptop-sized page in light mode."""
    yield from visit(browser, live, color_scheme="light")


def api(live: LiveServer, path: str, **params: Any) -> Any:
    """The query API's answer on the live server."""
    headers = {"DD-API-KEY": live.api_key, "DD-APPLICATION-KEY": live.app_key}
    response = httpx.get(live.url + path, params=params, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()
