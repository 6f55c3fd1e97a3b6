"""Pages as HTML from Jinja2 templates, or as their JSON twin (``?format=json``) with the same data."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

import doralens
from doralens.domain.timestamps import parse_rfc3339
from doralens.web import present
from doralens.web.assets import asset_url, plotly_version

# Pages load nothing but their own origin's files; plotly sets inline styles on what it draws.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _json_script(value: Any) -> Markup:
    # Safe inside <script type="application/json">: no "</" can close the element early.
    text = json.dumps(value, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def _ticks(text: str) -> Markup:
    # `code` in a hint becomes <code>; everything else is escaped.
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _when(text: str | None) -> str:
    if not text:
        return "—"
    return text[:10] + " " + text[11:16] + " UTC"


@cache
def environment() -> Environment:
    """The template environment, with the number formatters as filters."""
    env = Environment(
        loader=PackageLoader("doralens.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        duration=present.duration,
        percent=present.percent,
        count=present.count,
        number=present.number,
        json_script=_json_script,
        ticks=_ticks,
        when=_when,
        ns=parse_rfc3339,
    )
    env.globals.update(
        asset_url=asset_url,
        plotly_url=lambda: asset_url("plotly.min.js"),
        plotly_version=plotly_version,
        version=doralens.__version__,
        titles=present.TITLES,
        flush="",  # where a streamed page ends its first part (see stream.py); nothing on other pages
    )
    return env


def wants_json(request: Request) -> bool:
    """True when the JSON twin is asked for."""
    return request.query_params.get("format") == "json"


def page(
    request: Request, template: str, data: dict[str, Any], context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """The page: ``data`` as JSON for the twin, else the template rendered with ``data`` and ``context``."""
    if wants_json(request):
        return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})
    html = environment().get_template(template).render(data=data, request=request, **(context or {}))
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
