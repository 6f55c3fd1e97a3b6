"""Webhook authenticity: GitHub and PagerDuty HMAC signatures, GitLab tokens; missing or wrong is Unauthorized."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from doralens.errors import Unauthorized
from doralens.integrations.signatures import hmac_sha256_hex, verify_github, verify_gitlab, verify_pagerduty

BODY = b'{"zen":"Design for failure."}'
SECRET = "It's a Secret to Everybody"


def test_hmac_is_hex_sha256_of_the_body() -> None:
    assert hmac_sha256_hex(SECRET, BODY) == hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def test_hmac_matches_a_known_vector() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    assert (
        hmac_sha256_hex("Jefe", b"what do ya want for nothing?")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_github_signature_over_the_body_is_accepted() -> None:
    verify_github(SECRET, BODY, "sha256=" + hmac_sha256_hex(SECRET, BODY))
    verify_github(SECRET, BODY, "sha256=" + hmac_sha256_hex(SECRET, BODY).upper())


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha1=" + "0" * 40, "must be sha256="),
        ("sha256=" + "0" * 64, "does not match"),
        ("sha256=" + hmac_sha256_hex("another secret", BODY), "does not match"),
        ("sha256=ünicode", "does not match"),
    ],
)
def test_github_wrong_or_missing_signature_is_unauthorized(header: str | None, message: str) -> None:
    with pytest.raises(Unauthorized, match=message):
        verify_github(SECRET, BODY, header)


def test_github_signature_of_another_body_is_unauthorized() -> None:
    with pytest.raises(Unauthorized):
        verify_github(SECRET, BODY + b" ", "sha256=" + hmac_sha256_hex(SECRET, BODY))


def test_gitlab_token_must_equal_the_configured_one() -> None:
    verify_gitlab("gl-token", "gl-token")
    for header in (None, "", "gl-token ", "GL-TOKEN", "other"):
        with pytest.raises(Unauthorized):
            verify_gitlab("gl-token", header)


def test_pagerduty_any_of_several_signatures_may_match() -> None:
    good = "v1=" + hmac_sha256_hex(SECRET, BODY)
    verify_pagerduty(SECRET, BODY, good)
    verify_pagerduty(SECRET, BODY, f"v1={'0' * 64},{good}")
    verify_pagerduty(SECRET, BODY, f"{good}, v1={'1' * 64}")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("sha256=" + hmac_sha256_hex(SECRET, BODY), "no v1= signature"),
        ("v1=" + hmac_sha256_hex("old secret", BODY), "no X-PagerDuty-Signature matches"),
        (f"v1={'0' * 64},v1={'1' * 64}", "no X-PagerDuty-Signature matches"),
    ],
)
def test_pagerduty_wrong_or_missing_signature_is_unauthorized(header: str | None, message: str) -> None:
    with pytest.raises(Unauthorized, match=message):
        verify_pagerduty(SECRET, BODY, header)
