"""The client's I/O-free core: retry decisions, Retry-After parsing, error mapping."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zoomlive.client import errors as err
from zoomlive.client.core import RetryPolicy, error_for, retry_after_seconds, retry_delay

NOW = 1_800_000_000.0


def response(status: int, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    return httpx.Response(status, headers=headers, json=body or None)


def fixed(value: float, **kw: Any) -> RetryPolicy:
    return RetryPolicy(rng=lambda: value, **kw)


@given(st.integers(0, 20), st.floats(0.0, 1.0, exclude_max=True))
def test_backoff_is_full_jitter_under_a_doubling_cap(attempt: int, r: float) -> None:
    policy = fixed(r)
    cap = min(policy.backoff_max, policy.backoff_base * 2**attempt)
    assert policy.backoff(attempt) == cap * r
    assert 0 <= policy.backoff(attempt) < cap


def test_retried_answers_and_their_delays() -> None:
    p = fixed(1.0)
    assert retry_delay(p, 0, NOW, NOW, failed_transport=True) == 0.5
    assert retry_delay(p, 2, NOW, NOW, failed_transport=True) == 2.0
    for status in (500, 502, 503, 504):
        assert retry_delay(p, 1, NOW, NOW, response=response(status)) == 1.0
    qps = response(429, {"Retry-After": "3", "X-RateLimit-Type": "QPS"})
    assert retry_delay(p, 0, NOW, NOW, response=qps) == 3.0
    # No Retry-After: qps_wait, jittered to [0.5, 1.5) of it.
    assert retry_delay(fixed(0.0), 0, NOW, NOW, response=response(429)) == 0.5
    assert retry_delay(fixed(0.99), 0, NOW, NOW, response=response(429)) == pytest.approx(1.49)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 415, 200, 204, 302])
def test_other_answers_are_not_retried(status: int) -> None:
    assert retry_delay(fixed(1.0), 0, NOW, NOW, response=response(status)) is None


def test_daily_429_and_no_information_are_not_retried() -> None:
    daily = response(
        429, {"Retry-After": "2027-01-16T00:00:00Z", "X-RateLimit-Type": "Daily-limit"}
    )
    assert retry_delay(fixed(1.0), 0, NOW, NOW, response=daily) is None
    assert retry_delay(fixed(1.0), 0, NOW, NOW) is None  # neither a response nor a failure


@given(st.integers(1, 8), st.integers(0, 10))
def test_attempts_stop_at_max_attempts(max_attempts: int, attempt: int) -> None:
    delay = retry_delay(fixed(1.0, max_attempts=max_attempts), attempt, NOW, NOW,
                        failed_transport=True)  # fmt: skip
    assert (delay is None) is (attempt + 1 >= max_attempts)


def test_total_time_budget() -> None:
    p = fixed(1.0, max_total=10.0)
    assert retry_delay(p, 0, NOW, NOW + 9.5, failed_transport=True) == 0.5  # ends at 10.0
    assert retry_delay(p, 0, NOW, NOW + 9.6, failed_transport=True) is None
    late = response(429, {"Retry-After": "11"})
    assert retry_delay(p, 0, NOW, NOW, response=late) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None), ("", None), ("soon", None), ("5", 5.0), (" 2.5 ", 2.5), ("-3", 0.0),
        ("Fri, 15 Jan 2027 08:01:00 GMT", 60.0),  # NOW is 2027-01-15T08:00:00Z
        ("2027-01-16T00:00:00Z", 57_600.0),  # Zoom's daily limit: the next UTC midnight
        ("2027-01-16T00:00:00+00:00", 57_600.0),
        ("2027-01-16T00:00:00", 57_600.0),  # no zone: UTC
        ("2020-01-01T00:00:00Z", 0.0),  # already past: no wait
    ],
)  # fmt: skip
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, 124, err.AuthenticationError), (403, None, err.PermissionDenied),
        (400, 4711, err.PermissionDenied), (404, 3001, err.NotFound),
        (400, 300, err.ValidationError), (415, 300, err.ValidationError),
        (500, 500, err.ServerError), (503, None, err.ServerError),
        (429, 429, err.RateLimitExceeded),
    ],
)  # fmt: skip
def test_error_for_picks_the_class_and_keeps_everything(
    status: int, code: int | None, cls: type[err.ZoomAPIError]
) -> None:
    body: dict[str, Any] = {"message": "why"} | ({"code": code} if code is not None else {})
    if code is None:
        body = {"reason": "why", "error": "invalid_client"}
    r = response(status, {"x-zm-trackingid": "v=2.0;rid=X", "Retry-After": "1"}, **body)
    e = error_for(r, NOW)
    assert type(e) is cls
    assert (e.status, e.code, e.message, e.tracking_id) == (status, code, "why", "v=2.0;rid=X")
    assert e.headers["retry-after"] == "1"
    if isinstance(e, err.RateLimitExceeded):
        assert e.retry_after == 1.0


def test_error_for_keeps_field_errors_and_survives_a_bad_body() -> None:
    errors = [{"field": "page_url", "message": "Invalid parameter: page_url."}]
    r = response(400, code=300, message="Validation Failed.", errors=errors)
    e = error_for(r, NOW)
    assert [x.field for x in e.errors] == ["page_url"]
    plain = error_for(httpx.Response(502, content=b"<html>bad gateway</html>"), NOW)
    assert (type(plain), plain.code, plain.message) == (err.ServerError, None, "Bad Gateway")
