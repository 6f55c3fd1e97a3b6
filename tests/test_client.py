"""The CI client: where it sends, with which keys, what it retries and for how long (httpx MockTransport)."""

from __future__ import annotations

import json
import random
import ssl
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from doralens.client import (
    DeliveryError,
    DoralensClient,
    RetryPolicy,
    Target,
    describe_response,
    retry_after_seconds,
)
from doralens.errors import ConfigError

KEY = "k" * 32
BODY = {"data": {"attributes": {"service": "shop", "started_at": 1, "finished_at": 2}}}
CREATED = {"data": {"id": "0123456789abcdef", "type": "dora_deployment"}}


class FakeTime:
    """A clock that only moves when the client sleeps (or a request takes time), recording every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(
    handler: Callable[[httpx.Request], httpx.Response],
    fake: FakeTime,
    retry: RetryPolicy | None = None,
    app_key: str | None = None,
) -> DoralensClient:
    return DoralensClient(
        Target("https://dora.example/base", KEY, app_key),
        retry=retry or RetryPolicy(),
        transport=httpx.MockTransport(handler),
        sleep=fake.sleep,
        clock=fake.clock,
        rng=random.Random(7),
    )


def _answers(*responses: httpx.Response | Exception) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    seen: list[str] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def test_posts_the_body_with_the_api_key_and_returns_the_id() -> None:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json=CREATED)

    delivered = _client(handler, FakeTime()).send_deployment(BODY)
    assert (delivered.id, delivered.attempts, delivered.body) == ("0123456789abcdef", 1, CREATED)
    request = captured[0]
    assert str(request.url) == "https://dora.example/base/api/v2/dora/deployment"
    assert request.headers["DD-API-KEY"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("doralens-cli/")
    assert json.loads(request.content) == BODY


def test_5xx_is_retried_with_growing_jittered_waits() -> None:
    fake = FakeTime()
    handler, seen = _answers(
        httpx.Response(503), httpx.Response(502), httpx.Response(500), httpx.Response(202, json=CREATED)
    )
    delivered = _client(handler, fake, RetryPolicy(attempts=5, backoff=1.0)).send_failure(BODY)
    assert delivered.attempts == 4
    assert seen == ["POST https://dora.example/base/api/v2/dora/failure"] * 4
    first, second, third = fake.sleeps
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0
    assert 2.0 <= third <= 4.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_4xx_is_never_retried(status: int) -> None:
    fake = FakeTime()
    handler, seen = _answers(httpx.Response(status, json={"errors": ["Forbidden"]}))
    with pytest.raises(DeliveryError) as raised:
        _client(handler, fake).send_deployment(BODY)
    assert (len(seen), fake.sleeps, raised.value.status, raised.value.attempts) == (1, [], status, 1)


def test_a_400_reports_the_servers_detail_and_pointer() -> None:
    problem = {"status": "400", "title": "Bad Request", "detail": "must not be after finished_at"}
    answer = httpx.Response(400, json={"errors": [{**problem, "source": {"pointer": "/data/attributes/started_at"}}]})
    handler, _ = _answers(answer)
    with pytest.raises(DeliveryError, match=r"^400 Bad Request: /data/attributes/started_at: must not be after"):
        _client(handler, FakeTime()).send_deployment(BODY)


def test_429_waits_at_least_what_retry_after_asks() -> None:
    fake = FakeTime()
    handler, seen = _answers(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=CREATED))
    _client(handler, fake, RetryPolicy(backoff=0.1)).send_deployment(BODY)
    assert len(seen) == 2
    assert fake.sleeps == [7.0]


def test_a_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    fake = FakeTime()
    handler, seen = _answers(httpx.Response(503, headers={"Retry-After": "120"}))
    with pytest.raises(DeliveryError, match=r"gave up after 1 attempt in .*the next try would pass the 30s budget"):
        _client(handler, fake).send_deployment(BODY)
    assert (len(seen), fake.sleeps) == (1, [])


def test_connection_errors_are_retried_then_reported_with_the_count() -> None:
    fake = FakeTime()
    handler, seen = _answers(httpx.ConnectError("Connection refused"))
    with pytest.raises(DeliveryError, match=r"gave up after 3 attempts in .*connection failed.*Connection refused"):
        _client(handler, fake, RetryPolicy(attempts=3, backoff=0.2)).send_deployment(BODY)
    assert len(seen) == 3
    assert len(fake.sleeps) == 2


def test_the_total_time_stays_within_the_budget() -> None:
    fake = FakeTime()
    handler, seen = _answers(httpx.ConnectError("refused"))
    policy = RetryPolicy(attempts=20, backoff=1.0, max_backoff=8.0, max_time=30.0)
    with pytest.raises(DeliveryError):
        _client(handler, fake, policy).send_deployment(BODY)
    assert sum(fake.sleeps) <= 30.0
    assert 3 < len(seen) < 20


def test_each_attempt_times_out_within_what_is_left_of_the_budget() -> None:
    fake = FakeTime()
    timeouts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        fake.now += 9.5  # the server takes its time before failing
        return httpx.Response(504)

    with pytest.raises(DeliveryError):
        _client(handler, fake, RetryPolicy(attempts=5, backoff=0.01, max_time=20.0)).send_deployment(BODY)
    assert timeouts[0] == 10.0
    assert timeouts[-1] < 10.0


def test_an_untrusted_certificate_is_not_retried_and_names_the_fix() -> None:
    fake = FakeTime()
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    handler, seen = _answers(error)
    with pytest.raises(DeliveryError, match="--ca-cert"):
        _client(handler, fake).send_deployment(BODY)
    assert len(seen) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"data": {}}),
        httpx.Response(200, json={"data": {"id": ""}}),
        httpx.Response(200, json=["x"]),
        httpx.Response(200, text="<html>ok</html>"),
    ],
)
def test_a_2xx_without_an_id_is_a_failure(answer: httpx.Response) -> None:
    handler, _ = _answers(answer)
    with pytest.raises(DeliveryError, match="answered 200"):
        _client(handler, FakeTime()).send_deployment(BODY)


def test_a_proxy_page_is_described_by_its_text() -> None:
    answer = httpx.Response(413, text="<html><body>Request Entity Too Large</body></html>")
    assert (
        describe_response(answer) == "413 Request Entity Too Large: <html><body>Request Entity Too Large</body></html>"
    )


def test_reading_a_failure_sends_the_application_key() -> None:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json={"data": {"id": "f", "attributes": {"started_at": "2024-01-01T00:00:00Z"}}})

    attributes = _client(handler, FakeTime(), app_key="a" * 32).get_failure("incident:42/x")
    assert attributes == {"started_at": "2024-01-01T00:00:00Z"}
    assert captured[0].url.raw_path == b"/base/api/v2/dora/failures/incident%3A42%2Fx"
    assert captured[0].headers["DD-APPLICATION-KEY"] == "a" * 32


def test_reading_an_unknown_failure_says_so() -> None:
    handler, _ = _answers(httpx.Response(404, json={"errors": ["Not found"]}))
    with pytest.raises(DeliveryError, match=r"^no failure with id gone-000000000000 on https://dora.example/base$"):
        _client(handler, FakeTime(), app_key="a" * 32).get_failure("gone-000000000000")


def test_reading_a_failure_without_an_application_key_is_a_config_error() -> None:
    handler, seen = _answers(httpx.Response(200, json={}))
    with pytest.raises(ConfigError, match="DORALENS_APP_KEY"):
        _client(handler, FakeTime()).get_failure("x")
    assert seen == []


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds("Mon, 01 Jan 2024 12:00:10 GMT", now) == 10.0
    assert retry_after_seconds("Mon, 01 Jan 2024 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_delays_are_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=4.0)
    rng = random.Random(1)
    delays = [policy.delay(n, None, rng) for n in range(1, 8)]
    assert all(2.0 <= d <= 4.0 for d in delays[2:])
    assert len(set(delays)) == len(delays)
