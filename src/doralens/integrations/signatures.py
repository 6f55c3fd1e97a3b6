"""Checking that a webhook delivery comes from the configured sender: HMAC signatures and shared tokens.

Every comparison is constant-time, so the time an answer takes says nothing about how close a forgery came.
The messages name the header and what is wrong with it, never the expected value.
"""

from __future__ import annotations

import hashlib
import hmac

from doralens.errors import Unauthorized


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of ``body`` keyed with ``secret`` (UTF-8)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a header may carry anything.
    return hmac.compare_digest(given.encode(), expected.encode())


def verify_github(secret: str, body: bytes, header: str | None) -> None:
    """Accept ``X-Hub-Signature-256: sha256=<hex>`` computed over the body, else raise ``Unauthorized``."""
    if not header:
        raise Unauthorized("the X-Hub-Signature-256 header is missing")
    scheme, sep, digest = header.strip().partition("=")
    if not sep or scheme.lower() != "sha256":
        raise Unauthorized("X-Hub-Signature-256 must be sha256=<hex digest>")
    if not _same(digest.strip().lower(), hmac_sha256_hex(secret, body)):
        raise Unauthorized("X-Hub-Signature-256 does not match the body and the configured secret")


def verify_gitlab(token: str, header: str | None) -> None:
    """Accept an ``X-Gitlab-Token`` equal to the configured token, else raise ``Unauthorized``."""
    if not header:
        raise Unauthorized("the X-Gitlab-Token header is missing")
    if not _same(header, token):
        raise Unauthorized("X-Gitlab-Token does not match the configured token")


def verify_pagerduty(secret: str, body: bytes, header: str | None) -> None:
    """Accept ``X-PagerDuty-Signature`` when any of its ``v1=<hex>`` signatures matches the body."""
    if not header:
        raise Unauthorized("the X-PagerDuty-Signature header is missing")
    expected = hmac_sha256_hex(secret, body)
    candidates = [part.strip()[3:].lower() for part in header.split(",") if part.strip().startswith("v1=")]
    if not candidates:
        raise Unauthorized("X-PagerDuty-Signature carries no v1= signature")
    # Several signatures appear while PagerDuty rotates secrets; every one is compared so timing stays flat.
    matched = False
    for candidate in candidates:
        matched |= _same(candidate, expected)
    if not matched:
        raise Unauthorized("no X-PagerDuty-Signature matches the body and the configured secret")
