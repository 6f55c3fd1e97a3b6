"""A small client of the DORA API for CI jobs and other commands: one request, retried within a bound.

Retries cover what a later attempt can fix: connection errors, timeouts, 429 and 5xx (waiting at least as long as
``Retry-After`` asks). Any other 4xx is the server saying no, and is never retried. Attempts and total time are
both capped, so a CI step fails in about half a minute rather than hanging.
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

import doralens
from doralens.errors import ConfigError, DoralensError

DEPLOYMENT_PATH = "/api/v2/dora/deployment"
FAILURE_PATH = "/api/v2/dora/failure"
COMMITS_PATH = "/api/v1/git/commits"
BASELINE_PATH = "/api/v1/git/baseline"


class DeliveryError(DoralensError):
    """The server refused a request, or could not be reached within the retry budget."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        self.status = status
        self.attempts = attempts
        super().__init__(message)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, the first wait (doubling, capped, with jitter) and a total time budget."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_time: float = 30.0

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after ``failures`` failed attempts: jittered exponential, never below Retry-After."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (failures - 1))
        # Half fixed, half random: jobs that failed together spread out, and none retries immediately.
        return max(ceiling / 2 + rng.uniform(0, ceiling / 2), retry_after or 0.0)


@dataclass(frozen=True)
class Target:
    """Where to send and with what: the server's base URL, the keys, and a CA file to trust instead of the default."""

    url: str
    api_key: str = field(repr=False)
    app_key: str | None = field(default=None, repr=False)
    ca_cert: Path | None = None


@dataclass(frozen=True)
class Delivered:
    """A 2xx answer to a create call: the event's id, the JSON body, and how many attempts it took."""

    id: str
    body: dict[str, Any]
    attempts: int


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Read a Retry-After header: delay seconds or an HTTP date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def describe_response(response: httpx.Response) -> str:
    """The status and what the server said, from Datadog's error shapes (detail and pointer) or the raw text."""
    status = f"{response.status_code} {response.reason_phrase}".strip()
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, list) and errors:
        parts = []
        for item in errors:
            if isinstance(item, dict):
                pointer = (item.get("source") or {}).get("pointer")
                detail = str(item.get("detail") or item.get("title") or item)
                parts.append(f"{pointer}: {detail}" if pointer else detail)
            else:
                parts.append(str(item))
        return f"{status}: {'; '.join(parts)}"
    text = " ".join(response.text.split())[:300]
    return f"{status}: {text}" if text else status


def _transport_reason(exc: httpx.TransportError) -> str:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    return f"{kind} ({type(exc).__name__}: {exc or 'no detail'})"


def _is_certificate_problem(exc: httpx.TransportError) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(cause):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class DoralensClient:
    """Sends DORA events to a doralens (or Datadog) server, retrying what can succeed later."""

    def __init__(
        self,
        target: Target,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[int, str, float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.target = target
        self.retry = retry or RetryPolicy()
        self._timeout = timeout
        self._on_retry = on_retry
        self._sleep, self._clock, self._rng = sleep, clock, rng or random.Random()
        # verify=True lets httpx honour SSL_CERT_FILE / SSL_CERT_DIR; an explicit CA file replaces the default store.
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=target.ca_cert) if target.ca_cert else True
        self._http = httpx.Client(
            base_url=target.url,
            verify=verify,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": f"doralens-cli/{doralens.__version__}", "DD-API-KEY": target.api_key},
        )

    def __enter__(self) -> DoralensClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def send_deployment(self, body: Mapping[str, Any]) -> Delivered:
        """POST a deployment create body; return the stored event's id."""
        return self._created(self._request("POST", DEPLOYMENT_PATH, body))

    def send_failure(self, body: Mapping[str, Any]) -> Delivered:
        """POST a failure create body; return the stored (or merged-into) failure's id."""
        return self._created(self._request("POST", FAILURE_PATH, body))

    def upload_commits(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST one batch of commit metadata; return the answer's ``data.attributes``."""
        response, _ = self._request("POST", COMMITS_PATH, body)
        attributes = _json(response).get("data", {}).get("attributes")
        return attributes if isinstance(attributes, dict) else {}

    def git_baseline(self, service: str, env: str | None) -> str | None:
        """The sha of the service's latest deployment with git data in ``env``, as the server knows it."""
        query = urlencode({"service": service, **({"env": env} if env else {})})
        response, _ = self._request("GET", f"{BASELINE_PATH}?{query}", None)
        attributes = _json(response).get("data", {}).get("attributes") or {}
        sha = attributes.get("commit_sha") if isinstance(attributes, dict) else None
        return sha if isinstance(sha, str) and sha else None

    def get_failure(self, failure_id: str) -> dict[str, Any]:
        """Read one failure's attributes (needs an application key)."""
        if not self.target.app_key:
            raise ConfigError("reading a failure needs an application key: set DORALENS_APP_KEY (or DD_APP_KEY)")
        path = f"/api/v2/dora/failures/{quote(failure_id, safe='')}"
        try:
            response, _ = self._request("GET", path, None, {"DD-APPLICATION-KEY": self.target.app_key})
        except DeliveryError as exc:
            if exc.status == 404:
                raise DeliveryError(f"no failure with id {failure_id} on {self.target.url}", status=404) from None
            raise
        attributes = _json(response).get("data", {}).get("attributes")
        if not isinstance(attributes, dict):
            raise DeliveryError(f"the server's answer to GET {path} has no data.attributes", status=200)
        return attributes

    def _created(self, answer: tuple[httpx.Response, int]) -> Delivered:
        response, attempts = answer
        body = _json(response)
        event_id = (body.get("data") or {}).get("id") if isinstance(body.get("data"), dict) else None
        if not isinstance(event_id, str) or not event_id:
            raise DeliveryError(f"the server answered {response.status_code} without data.id", attempts=attempts)
        return Delivered(event_id, body, attempts)

    def _request(
        self, method: str, path: str, body: Mapping[str, Any] | None, headers: Mapping[str, str] | None = None
    ) -> tuple[httpx.Response, int]:
        policy, started = self.retry, self._clock()
        reason, status, attempt = "no attempt was made", None, 0
        for attempt in range(1, max(1, policy.attempts) + 1):
            retry_after = None
            # The last attempt must not outlive the budget either, but gets at least a second to answer.
            timeout = min(self._timeout, max(1.0, policy.max_time - (self._clock() - started)))
            try:
                response = self._http.request(method, path, json=body, headers=headers, timeout=timeout)
            except httpx.TransportError as exc:
                if _is_certificate_problem(exc):
                    raise DeliveryError(
                        f"TLS certificate of {self.target.url} not trusted ({exc}); pass --ca-cert or set "
                        "DORALENS_CA_CERT",
                        attempts=attempt,
                    ) from None
                reason, status = _transport_reason(exc), None
            else:
                if 200 <= response.status_code < 300:
                    return response, attempt
                reason, status = describe_response(response), response.status_code
                if status != 429 and status < 500:
                    raise DeliveryError(reason, status=status, attempts=attempt)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt >= policy.attempts:
                break
            wait = policy.delay(attempt, retry_after, self._rng)
            if self._clock() - started + wait > policy.max_time:
                reason += f" (the next try would pass the {policy.max_time:g}s budget)"
                break
            if self._on_retry is not None:
                self._on_retry(attempt, reason, wait)
            self._sleep(wait)
        elapsed = self._clock() - started
        tries = f"{attempt} attempt{'s' if attempt != 1 else ''}"
        raise DeliveryError(f"gave up after {tries} in {elapsed:.1f}s: {reason}", status=status, attempts=attempt)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise DeliveryError(f"the server answered {response.status_code} with a body that is not JSON") from None
    if not isinstance(body, dict):
        raise DeliveryError(f"the server answered {response.status_code} with JSON that is not an object")
    return body
