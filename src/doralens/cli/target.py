"""Where the send commands send, and with what: ``--url``, DORALENS_URL or ``https://api.<DD_SITE>``; the keys; a CA.

Datadog's variables are read too (after ours), so a CI job set up for ``datadog-ci`` works unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from doralens.client import Target
from doralens.errors import ConfigError

# First match wins, so a doralens variable beats a Datadog one, and Datadog's order is datadog-ci's.
URL_VARIABLES = ("DORALENS_URL",)
SITE_VARIABLES = ("DATADOG_SITE", "DD_SITE")
API_KEY_VARIABLES = ("DORALENS_API_KEY", "DATADOG_API_KEY", "DD_API_KEY")
APP_KEY_VARIABLES = ("DORALENS_APP_KEY", "DATADOG_APP_KEY", "DD_APP_KEY")
CA_CERT_VARIABLES = ("DORALENS_CA_CERT",)


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((environ[n].strip() for n in names if environ.get(n, "").strip()), None)


def server_url(environ: Mapping[str, str], url: str | None = None) -> str:
    """The server: ``url``, else DORALENS_URL, else ``https://api.<DD_SITE>`` as datadog-ci builds it."""
    chosen = url or _first(environ, URL_VARIABLES)
    if not chosen:
        site = _first(environ, SITE_VARIABLES)
        if not site:
            raise ConfigError("no server to send to: set DORALENS_URL (or DD_SITE, as for datadog-ci) or pass --url")
        chosen = f"https://api.{site}"
    if not chosen.startswith(("http://", "https://")):
        raise ConfigError(f"the server URL must start with http:// or https://, got {chosen!r}")
    return chosen.rstrip("/")


def target_from_env(
    environ: Mapping[str, str] | None = None, *, url: str | None = None, ca_cert: Path | None = None
) -> Target:
    """Resolve the server, keys and CA file from flags and the environment; ``ConfigError`` says what is missing."""
    env = os.environ if environ is None else environ
    base = server_url(env, url)
    api_key = _first(env, API_KEY_VARIABLES)
    if not api_key:
        raise ConfigError("no API key: set DORALENS_API_KEY (or DD_API_KEY, as for datadog-ci)")
    ca_text = _first(env, CA_CERT_VARIABLES)
    ca = ca_cert or (Path(ca_text) if ca_text else None)
    if ca is not None and not ca.is_file():
        raise ConfigError(f"CA certificate file not found: {ca}")
    return Target(base, api_key, _first(env, APP_KEY_VARIABLES), ca)
