"""Static assets at versioned URLs with long cache headers: our CSS and JS (versioned by content) and the plotly.js
bundle shipped inside the installed ``plotly`` wheel (versioned by its release), gzipped when the browser accepts it.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request, Response

from doralens.errors import NotFound

LONG_CACHE = "public, max-age=31536000, immutable"
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
OWN_FILES = ("dashboard.css", "dashboard.js")

router = APIRouter(prefix="/static", include_in_schema=False)


@dataclass
class Asset:
    """One file: its bytes, gzipped bytes (made on first use), media type and version."""

    body: bytes
    media_type: str
    version: str
    _gzipped: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def gzipped(self) -> bytes:
        """The body compressed once, on first request."""
        with self._lock:
            if self._gzipped is None:
                self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self._gzipped


def _plotly_path() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@cache
def plotly_version() -> str:
    """The plotly.js release inside the installed plotly package."""
    from plotly.offline import get_plotlyjs_version

    version: str = get_plotlyjs_version()
    return version


@cache
def _assets() -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    static = resources.files("doralens.web") / "static"
    for name in OWN_FILES:
        body = (static / name).read_bytes()
        found[name] = Asset(body, _TYPES[Path(name).suffix], hashlib.sha256(body).hexdigest()[:12])
    found["plotly.min.js"] = Asset(_plotly_path().read_bytes(), _TYPES[".js"], plotly_version())
    return found


def asset_url(name: str) -> str:
    """The versioned URL of a static file (the version changes whenever its content does)."""
    return f"/static/{_assets()[name].version}/{name}"


@router.get("/{version}/{name}")
def static_file(version: str, name: str, request: Request) -> Response:
    """A static file at its current version, cached for a year; any other version is 404."""
    asset = _assets().get(name)
    if asset is None or asset.version != version:
        raise NotFound()
    headers = {"Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped(), media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)
