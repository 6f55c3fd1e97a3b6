"""Who may see the dashboard (``DORALENS_UI_AUTH``): anyone, a holder of an application key, or one basic-auth user.

Browsers ask for basic credentials by themselves on a 401 with a ``Basic`` challenge, so no login page is needed;
scripts reading a JSON twin send the same header (``curl -u :APP_KEY``) or ``DD-APPLICATION-KEY``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated

from fastapi import Depends, Request

from doralens.api.auth import KeyChecker
from doralens.config import Settings
from doralens.config_values import UiAuth, ui_auth
from doralens.errors import Unauthorized

CHALLENGE = 'Basic realm="doralens dashboard", charset="UTF-8"'


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


async def allowed(guard: UiAuth, request: Request, keys: KeyChecker) -> bool:
    """True when the request may see the dashboard under ``guard``."""
    if guard.mode == "none":
        return True
    credentials = _basic(request)
    if guard.mode == "basic":
        if credentials is None:
            return False
        same_user = hmac.compare_digest(credentials[0].encode(), guard.user.encode())
        same_password = hmac.compare_digest(credentials[1].encode(), guard.password.encode())
        return same_user and same_password
    key = credentials[1] if credentials else request.headers.get("dd-application-key")
    record = await keys.find(key)
    return record is not None and record.kind == "app"


async def require_viewer(request: Request) -> None:
    """Dependency of every dashboard route: 401 with a basic-auth challenge unless the guard lets the request in."""
    settings: Settings = request.app.state.settings
    if not await allowed(ui_auth(settings.ui_auth, settings.host), request, request.app.state.keys):
        raise Unauthorized("the dashboard needs credentials (DORALENS_UI_AUTH)", challenge=CHALLENGE)


Viewer = Annotated[None, Depends(require_viewer)]
