"""Static assets: plotly.js from the installed wheel and our own files, at versioned URLs cached for a year."""

from __future__ import annotations

import re
from pathlib import Path

import plotly
from fastapi.testclient import TestClient

from doralens.web.assets import LONG_CACHE, asset_url, plotly_version

WHEEL_FILE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_plotly_comes_from_the_wheel_at_its_version(empty: TestClient) -> None:
    url = asset_url("plotly.min.js")
    assert url == f"/static/{plotly_version()}/plotly.min.js"
    assert plotly_version() in WHEEL_FILE.read_text()[:200]
    plain = empty.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.content == WHEEL_FILE.read_bytes()
    assert plain.headers["cache-control"] == LONG_CACHE
    assert plain.headers["content-type"].startswith("text/javascript")
    zipped = empty.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == WHEEL_FILE.read_bytes()  # decoded by the client
    assert int(zipped.headers["content-length"]) < len(WHEEL_FILE.read_bytes()) // 2


def test_own_files_are_versioned_by_content(empty: TestClient) -> None:
    css = asset_url("dashboard.css")
    version = css.split("/")[2]
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert "prefers-color-scheme: dark" in empty.get(css).text
    assert empty.get(css.replace(version, "000000000000")).status_code == 404
    assert empty.get(f"/static/{version}/secrets.txt").status_code == 404


def test_pages_load_only_versioned_local_assets(empty: TestClient) -> None:
    response = empty.get("/")
    sources = re.findall(r'(?:src|href)="([^"#?]+)"', response.text)
    external = [s for s in sources if "://" in s or s.startswith("//")]
    assert external == []
    assert asset_url("plotly.min.js") in sources
    assert asset_url("dashboard.js") in sources
    assert "default-src 'self'" in response.headers["content-security-policy"]
