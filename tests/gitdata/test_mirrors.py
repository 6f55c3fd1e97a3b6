"""Mirrors: cloned on first use, fetched when a sha is unknown (rate-limited), credentials kept out of sight."""

from __future__ import annotations

import base64
import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from doralens.gitdata.commits import RangeStatus
from doralens.gitdata.local import LocalRepositories
from doralens.gitdata.mirrors import MirrorManager, mirror_dirname, split_credentials
from tests.gitdata.gitrepo import Repo, run

REPO = "github.com/acme/shop"
SECRET = "s3cr3t-t0ken"


class FakeClock:
    """A monotonic clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _published(tmp_path: Path) -> tuple[Repo, Path]:
    """A working repository and a bare remote it pushes to, served as files (git's dumb HTTP protocol)."""
    work = Repo(tmp_path / "work")
    remote = tmp_path / "served" / "shop.git"
    Repo(remote, bare=True)
    work.commit("one", "2024-03-01T09:00:00Z")
    _push(work, remote)
    return work, remote


def _push(work: Repo, remote: Path) -> None:
    work.git("push", "-q", "--force", str(remote), "main")
    run(["update-server-info"], remote)


def test_split_credentials_moves_them_into_a_host_scoped_header() -> None:
    url, env = split_credentials(f"https://deploy:{SECRET}@git.example.com:8443/acme/shop.git")
    assert url == "https://git.example.com:8443/acme/shop.git"
    assert env["GIT_CONFIG_KEY_0"] == "http.https://git.example.com:8443/.extraHeader"
    token = base64.b64encode(f"deploy:{SECRET}".encode()).decode()
    assert env["GIT_CONFIG_VALUE_0"] == f"Authorization: Basic {token}"
    assert split_credentials("git@github.com:acme/shop.git") == ("git@github.com:acme/shop.git", {})
    assert split_credentials(f"ssh://git:{SECRET}@github.com/acme/shop.git") == (
        "ssh://git@github.com/acme/shop.git",
        {},
    )


def test_mirrors_are_keyed_by_repository_id_in_safe_directories(tmp_path: Path) -> None:
    mirrors = MirrorManager.from_urls(tmp_path, [f"https://x:{SECRET}@github.com/acme/shop.git"])
    assert mirrors.knows(REPO)
    assert not mirrors.knows("github.com/acme/other")
    name = mirror_dirname("github.com/../../etc")
    assert "/" not in name
    assert name.endswith(".git")
    assert not name.startswith(".")


def test_an_unknown_sha_fetches_the_mirror_once_then_waits_for_the_interval(tmp_path: Path) -> None:
    work, remote = _published(tmp_path)
    clock = FakeClock()
    mirrors = MirrorManager(tmp_path / "mirrors", {REPO: remote.as_uri()}, clock=clock)
    source = LocalRepositories(mirrors=mirrors)
    first = work.head()
    assert source.shipped(REPO, first, first).status is RangeStatus.OK  # cloned on first use

    second = work.commit("two", "2024-03-01T10:00:00Z")
    _push(work, remote)
    clock.now += 5  # within the interval since the clone: no fetch yet
    assert source.shipped(REPO, second, first).status is RangeStatus.HEAD_UNKNOWN
    clock.now += 30
    found = source.shipped(REPO, second, first)
    assert [c.sha for c in found.commits] == [second]

    third = work.commit("three", "2024-03-01T11:00:00Z")
    _push(work, remote)
    clock.now += 1
    assert not mirrors.refresh(REPO)
    assert source.commit(REPO, third) is None
    clock.now += 30
    commit = source.commit(REPO, third)
    assert commit is not None
    assert commit.subject == "three"


def test_a_force_push_keeps_the_orphaned_sha_readable_in_the_mirror(tmp_path: Path) -> None:
    work, remote = _published(tmp_path)
    base = work.head()
    mirrors = MirrorManager(tmp_path / "mirrors", {REPO: remote.as_uri()}, min_fetch_interval_s=0)
    source = LocalRepositories(mirrors=mirrors)
    orphan = work.commit("two", "2024-03-01T10:00:00Z")
    _push(work, remote)
    assert source.shipped(REPO, orphan, base).status is RangeStatus.OK
    work.git("reset", "-q", "--hard", base)
    rewritten = work.commit("two again", "2024-03-01T11:00:00Z")
    _push(work, remote)

    shipped = source.shipped(REPO, rewritten, orphan)

    assert shipped.status is RangeStatus.ORPHANED
    assert [c.sha for c in shipped.commits] == [rewritten]


def test_an_unreachable_remote_is_reported_without_its_credentials(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://deploy:{SECRET}@127.0.0.1:1/acme/shop.git"
    mirrors = MirrorManager(tmp_path / "mirrors", {REPO: url}, timeout_s=30)
    with caplog.at_level(logging.INFO):
        shipped = LocalRepositories(mirrors=mirrors).shipped(REPO, "a" * 40, "b" * 40)

    assert shipped.status is RangeStatus.HEAD_UNKNOWN
    assert shipped.explanation.startswith(f"the mirror of {REPO} is unavailable: git clone http://127.0.0.1:1/")
    assert SECRET not in shipped.explanation
    assert SECRET not in caplog.text
    assert "deploy" not in (mirrors.last_error(REPO) or "")
    assert not list((tmp_path / "mirrors").glob("*.git"))  # no half-finished clone left behind


class _AuthHandler(SimpleHTTPRequestHandler):
    """Serves files only to requests with the expected Basic credentials, and records what it saw."""

    expected = "Basic " + base64.b64encode(f"deploy:{SECRET}".encode()).decode()
    seen: list[str | None]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # the signature http.server defines
        pass


@contextmanager
def _serve(directory: Path) -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    handler = functools.partial(type("Handler", (_AuthHandler,), {"seen": seen}), directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_credentials_from_the_configured_url_reach_the_server_but_never_the_mirror_config(tmp_path: Path) -> None:
    work, remote = _published(tmp_path)
    with _serve(remote.parent) as (base_url, seen):
        url = base_url.replace("http://", f"http://deploy:{SECRET}@") + "/shop.git"
        mirrors = MirrorManager(tmp_path / "mirrors", {REPO: url}, min_fetch_interval_s=0)
        source = LocalRepositories(mirrors=mirrors)
        first = work.head()
        assert source.shipped(REPO, first, first).status is RangeStatus.OK
        second = work.commit("two", "2024-03-01T10:00:00Z")
        _push(work, remote)
        assert [c.sha for c in source.shipped(REPO, second, first).commits] == [second]

    assert seen
    assert all(header == _AuthHandler.expected for header in seen)
    mirror = mirrors.path(REPO)
    assert mirror is not None
    config = (mirror / "config").read_text()
    assert SECRET not in config
    assert "deploy" not in config
    assert run(["config", "gc.pruneExpire"], mirror) == "never"
