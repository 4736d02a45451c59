"""A fault answers as Zoom would with its status: a 429 with Zoom's per-second words
and its headers (``Retry-After``, ``X-RateLimit-Type: QPS``), a 503 and a 500 with
Zoom's messages; what the fault itself gives (message, headers) wins."""

from __future__ import annotations

from tests.support import Api
from zoomlive.wire import errors as E

PATH = "/meetings/68423085/livestream"


def _fault(api: Api, **spec: object) -> None:
    api.admin("DELETE", "/faults")
    api.admin("POST", "/faults", {"method": "GET", "path": f"/v2{PATH}", **spec})


def test_a_429_fault_is_zooms_429(api: Api) -> None:
    token = api.token()
    _fault(api, status=429)
    r = api.call("GET", PATH, token)
    assert r.status_code == 429
    assert r.json() == {"code": 429, "message": E.RATE_LIMIT_QPS.message}
    assert (r.headers["retry-after"], r.headers["x-ratelimit-type"]) == ("1", "QPS")
    assert r.headers["x-ratelimit-remaining"] == "0" and r.headers["x-zm-trackingid"]


def test_503_and_500_faults_say_zooms_words(api: Api) -> None:
    token = api.token()
    for status, spec in ((503, E.SERVICE_UNAVAILABLE), (500, E.INTERNAL)):
        _fault(api, status=status)
        r = api.call("GET", PATH, token)
        assert (r.status_code, r.json()["message"]) == (status, spec.message)
        assert "retry-after" not in r.headers


def test_what_the_fault_gives_wins(api: Api) -> None:
    token = api.token()
    _fault(api, status=429, message="Slow down.", headers={"Retry-After": "7"})
    r = api.call("GET", PATH, token)
    assert r.json()["message"] == "Slow down."
    assert r.headers.get_list("retry-after") == ["7"]
    assert r.headers["x-ratelimit-type"] == "QPS"
    api.admin("DELETE", "/faults")
