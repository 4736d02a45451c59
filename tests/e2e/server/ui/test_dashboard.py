"""The dashboard in real Chromium, against a real server over HTTP on 127.0.0.1.

One server and one browser for the module; each test resets the emulator (demo
seeded) and logs in through the form. Every wait is on an explicit signal (a
selector, a text, an event); the timed checks measure from the API call that caused
the change. Screenshots are checked for content (pixel spread against a blank page)
and, with ``ZOOMLIVE_SCREENSHOT_DIR=docs/screenshots``, are the README's pictures.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.server.ui.browser import Offline, chromium_path, pixel_stddev, screenshot_dir
from tests.server.webhooks.receiver import Receiver
from tests.support import ADMIN_TOKEN, DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, Api, ServerProcess

UI = "/_zoomlive/ui"
MEETING = 68423085
SEED = {"stream_url": "rtmp://live.example.com/app", "stream_key": "dash-key-0001",
        "page_url": "https://example.com/watch", "resolution": "720p"}  # fmt: skip
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
WEBHOOK_SECRET = "dashboard-webhook-secret"
VIEWPORT: ViewportSize = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ServerProcess, Path]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ui.db"
        env = {"ZOOMLIVE_RATE_LIMITS": "0", "ZOOMLIVE_WEBHOOK_RETRY_SCALE": "0.001"}
        srv = ServerProcess(str(db), env=env).start()
        try:
            yield srv, db
        finally:
            srv.stop()


@pytest.fixture(scope="module")
def http(server: tuple[ServerProcess, Path]) -> Iterator[Api]:
    with httpx.Client(timeout=30) as client:
        yield Api(server[0].base_url, client)


@pytest.fixture(scope="module")
def browser(server: tuple[ServerProcess, Path]) -> Iterator[Browser]:
    """Torn down before the server (it depends on it): open event streams close first."""
    path = chromium_path()
    pw: Playwright = sync_playwright().start()
    try:
        b = pw.chromium.launch(
            executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield b
        b.close()
    finally:
        pw.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture
def api(http: Api) -> Api:
    http.admin("POST", "/reset", {"demo": True})
    return http


@pytest.fixture(scope="module")
def session(browser: Browser, http: Api) -> Any:
    """A logged-in browser state (the session cookie), made once through the form."""
    context = browser.new_context(base_url=http.base_url, viewport=VIEWPORT)
    p = context.new_page()
    login(p)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def page(browser: Browser, api: Api, session: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=api.base_url, viewport=VIEWPORT,
                                  storage_state=session)  # fmt: skip
    offline = Offline().install(context)
    p = context.new_page()
    blocked = csp_violations(p)
    yield p
    context.close()
    assert offline.refused == []  # no page of ours reaches off this machine
    assert blocked == []  # everything the pages run is allowed by the server's policy


def csp_violations(p: Page) -> list[str]:
    """What the page's Content-Security-Policy refused (Chromium logs each)."""
    found: list[str] = []
    p.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def login(p: Page, token: str = ADMIN_TOKEN) -> None:
    p.goto("/")
    p.fill("input[name=token]", token)
    p.click("button:has-text('Log in')")
    p.wait_for_selector("h1:has-text('Overview')")


def live_connected(p: Page) -> None:
    p.wait_for_function("() => document.getElementById('live-state').textContent.includes('live')")


def shot(p: Page, shots: Path, name: str, full_page: bool = False) -> float:
    png = p.screenshot(path=str(shots / f"{name}.png"), full_page=full_page)
    return pixel_stddev(p, png)


def blank_stddev(browser: Browser) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    p = context.new_page()
    p.goto("about:blank")
    value = pixel_stddev(p, p.screenshot())
    context.close()
    return value


def go_live(api: Api, token: str) -> httpx.Response:
    return api.call("PATCH", f"/meetings/{MEETING}/livestream/status", token,
                    json={"action": "start"})  # fmt: skip


# -- 1. Log in ---------------------------------------------------------------------------


def test_wrong_token_is_refused_and_the_right_one_lands_on_the_overview(
    browser: Browser, api: Api, shots: Path
) -> None:
    context = browser.new_context(base_url=api.base_url, viewport=VIEWPORT)
    p = context.new_page()
    p.goto(f"{UI}/meetings")
    assert p.url.endswith(f"{UI}/login?next={UI}/meetings")
    p.fill("input[name=token]", "not-the-admin-token")
    with p.expect_response(f"**{UI}/login") as answer:
        p.click("button:has-text('Log in')")
    assert answer.value.status == 401
    assert p.locator("[role=alert]").inner_text() == "That is not the admin token."
    assert context.cookies() == []

    p.fill("input[name=token]", ADMIN_TOKEN)
    p.click("button:has-text('Log in')")
    p.wait_for_selector("h1:has-text('Meetings and webinars')")  # back where it was going
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["value"] not in (ADMIN_TOKEN, "") and ADMIN_TOKEN not in cookie["value"]

    p.goto(UI)
    assert DEMO_ACCOUNT in p.locator("#accounts").inner_text()
    apps = p.locator("#apps").inner_text()
    assert DEMO_CLIENT in apps and DEMO_SECRET not in apps  # masked
    p.click("#apps a:has-text('reveal')")
    assert DEMO_SECRET in p.locator("#apps").inner_text()
    p.goto(UI)
    assert shot(p, shots, "overview", full_page=True) > blank_stddev(browser) + 10
    context.close()


def test_scripts_use_the_admin_bearer_token(api: Api) -> None:
    url = f"{api.base_url}{UI}"
    assert api.http.get(url).status_code == 303  # to the login form
    wrong = api.http.get(url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 303
    ok = api.http.get(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert ok.status_code == 200 and DEMO_ACCOUNT in ok.text
    assert api.http.get(f"{api.base_url}/").headers["location"] == UI


# -- 2. Live -----------------------------------------------------------------------------


def test_a_stream_started_through_the_api_turns_the_badge_live_within_a_second(
    page: Page, api: Api, shots: Path
) -> None:
    token = api.token()
    assert api.call("PATCH", f"/meetings/{MEETING}/livestream", token, json=SEED).status_code == 204
    page.goto(f"{UI}/meetings/{MEETING}")
    live_connected(page)
    assert page.locator("#stream-badge").inner_text() == "stopped"
    page.evaluate("window.__notReloaded = true")

    started = time.monotonic()
    assert go_live(api, token).status_code == 204
    page.wait_for_function("() => document.getElementById('stream-badge').textContent === 'live'",
                           timeout=5000)  # fmt: skip
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"{elapsed:.3f} s"
    assert page.evaluate("window.__notReloaded") is True
    print(f"\nAPI start -> badge live: {elapsed * 1000:.0f} ms")

    page.reload()  # the history and the webhook-free journal now hold the change
    assert "PATCH /v2/meetings/68423085/livestream/status → 204" in page.inner_text("#history")
    shot(page, shots, "meeting", full_page=True)


def test_a_reconnecting_stream_resumes_the_journal_after_the_last_event_id(api: Api) -> None:
    token = api.token()
    for _ in range(3):
        assert api.call("GET", f"/meetings/{MEETING}/livestream", token).status_code == 200
    ids = [e["id"] for e in api.admin_list("/journal", "entries")]

    def first_batch(last_event_id: str | None) -> list[int]:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        got: list[int] = []
        url = f"{api.base_url}{UI}/live?journal=1&ids={MEETING}"
        with api.http.stream("GET", url, headers=headers) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                if line.startswith("id: "):
                    got.append(int(line[4:]))
                if line == "event: clock":  # the end of the first round
                    return got
        raise AssertionError("the stream ended before its first round")

    assert first_batch(None) == ids
    assert first_batch(str(ids[1])) == ids[2:]


def test_an_open_page_reads_nothing_while_nothing_is_written_and_still_sees_a_start(
    api: Api,
) -> None:
    """On SQLite the server is its database's only writer: the live stream reuses its
    last look while nothing was committed (ui/live.py), where it read the page's
    meetings five times a second. Over the same two seconds the server reads as often
    with a page open as without one (the webhook worker polls either way), and a
    start through the API still reaches the page within a second."""
    token = api.token()
    assert api.call("PATCH", f"/meetings/{MEETING}/livestream", token, json=SEED).status_code == 204

    def reads() -> int:
        return int(api.admin("GET", "/stats").json()["pool_reads"])

    def window(seconds: float) -> int:
        start = reads()
        time.sleep(seconds)
        return reads() - start

    closed = window(2.0)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    url = f"{api.base_url}{UI}/live?ids={MEETING}"
    with api.http.stream("GET", url, headers=headers) as r:
        lines = r.iter_lines()
        for line in lines:
            if line == "event: clock":  # the first look is done
                break
        opened = window(2.0)  # ten looks, while nothing (or next to nothing) is written
        # Reading at every look adds 10 reads here (measured: 50 against 39). The
        # webhook worker's own reads vary by a few from one window to the next (seen:
        # 43 against 39, with the stream reading at most once), hence half of that.
        assert opened <= closed + 5, (opened, closed)
        assert go_live(api, token).status_code == 204
        started = time.monotonic()
        for line in lines:
            if line.startswith("data: ") and '"stream": "live"' in line:
                break
        assert time.monotonic() - started < 1.0


def test_the_dashboard_starts_and_stops_the_stream_and_journals_it(page: Page, api: Api) -> None:
    token = api.token()
    assert api.call("PATCH", f"/meetings/{MEETING}/livestream", token, json=SEED).status_code == 204
    page.goto(f"{UI}/meetings/{MEETING}")
    page.click("button:has-text('Start stream')")
    assert page.locator("[role=status]").inner_text() == f"Stream of meeting {MEETING} started."
    assert page.locator("#stream-badge").inner_text() == "live"
    got = api.call("GET", f"/meetings/{MEETING}/livestream", token)
    assert got.status_code == 200
    assert api.admin("GET", f"/meetings/{MEETING}").json()["stream_live"] is True
    page.click("button:has-text('End meeting')")
    assert page.locator("[role=status]").inner_text() == f"Meeting {MEETING} is ended."
    assert page.locator("#stream-badge").inner_text() == "stopped"  # ending stops it
    page.click("button:has-text('Start stream')")  # Zoom's rule, from the same service
    assert "Refused: 400" in page.locator("[role=alert]").inner_text()
    paths = [e["path"] for e in api.admin_list("/journal", "entries")]
    assert f"{UI}/meetings/{MEETING}/stream/start" in paths
    assert f"{UI}/meetings/{MEETING}/end" in paths


# -- 3. Faults ---------------------------------------------------------------------------


def test_a_fault_added_in_the_ui_is_what_the_next_api_get_answers(
    page: Page, api: Api, shots: Path
) -> None:
    token = api.token()
    page.goto(f"{UI}/faults")
    page.fill("#add-fault input[name=method]", "GET")
    page.fill("#add-fault input[name=path]", "/v2/*")
    page.fill("#add-fault input[name=status]", "503")
    page.click("button:has-text('Add fault')")
    assert page.locator("[role=status]").inner_text().startswith("Fault ")
    (fault,) = api.admin("GET", "/faults").json()
    assert fault["spec"]["status"] == 503 and fault["remaining"] == 1

    answer = api.call("GET", f"/meetings/{MEETING}/livestream", token)
    assert answer.status_code == 503
    assert api.call("GET", f"/meetings/{MEETING}/livestream", token).status_code == 200

    page.goto(f"{UI}/journal")
    live_connected(page)
    rows = page.locator("#journal-rows tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    faulted = [t for t in texts if f"/v2/meetings/{MEETING}/livestream\t503" in t]
    assert len(faulted) == 1 and faulted[0].split("\t")[6] == str(fault["id"])
    assert any(f"POST\t{UI}/faults\t303" in t for t in texts)

    # The tail is live: a new API call appears without a reload.
    assert api.call("GET", f"/webinars/{MEETING}/livestream", token).status_code == 404
    page.wait_for_selector(f"#journal-rows tr:has-text('/v2/webinars/{MEETING}/livestream')")
    shot(page, shots, "journal")


def test_the_clock_page_freezes_and_advances_the_server_clock(page: Page, api: Api) -> None:
    page.goto(f"{UI}/clock")
    page.click("button:has-text('Freeze')")
    assert page.locator("[role=status]").inner_text().startswith("Clock freeze: now ")
    frozen = api.admin("GET", "/clock").json()
    assert frozen["frozen"] is True
    page.fill("input[name=seconds]", "3600")
    page.click("button:has-text('Advance')")
    assert api.admin("GET", "/clock").json()["now"] == frozen["now"] + 3600
    page.fill("input[name=seconds]", "1e300")  # refused, nothing changes
    page.click("button:has-text('Advance')")
    assert "Refused" in page.locator("[role=alert]").inner_text()
    assert api.admin("GET", "/clock").json()["now"] == frozen["now"] + 3600
    paths = [e["path"] for e in api.admin_list("/journal", "entries")]
    assert paths.count(f"{UI}/clock") == 3


# -- 4. Webhooks -------------------------------------------------------------------------


def test_a_delivery_that_failed_once_then_succeeded_shows_both_attempts(
    page: Page, api: Api, shots: Path
) -> None:
    page.goto(f"{UI}/webhooks")  # open before anything happens: it follows by itself
    live_connected(page)
    page.evaluate("window.__notReloaded = true")
    receiver = Receiver(WEBHOOK_SECRET)
    try:
        r = api.http.put(
            f"{api.base_url}/_zoomlive/apps/{DEMO_CLIENT}/subscription",
            json={"url": receiver.url, "secret_token": WEBHOOK_SECRET},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert r.status_code == 200 and r.json()["enabled"] is True
        receiver.script.extend([500, 200])
        token = api.token()
        assert api.call("PATCH", f"/meetings/{MEETING}/livestream", token,
                        json=SEED).status_code == 204  # fmt: skip
        assert go_live(api, token).status_code == 204
        assert len(receiver.wait_for(2, timeout=15)) == 2
        deadline = time.monotonic() + 10
        while api.admin_list("/webhooks/events", "events")[0]["status"] != "delivered":
            assert time.monotonic() < deadline, "the second attempt was never recorded"
            time.sleep(0.05)
    finally:
        receiver.close()

    page.wait_for_function(
        "() => document.querySelectorAll('tr[data-event] li.attempt').length === 2", timeout=5000
    )
    assert page.evaluate("window.__notReloaded") is True
    assert receiver.url in page.inner_text("#subscriptions")
    assert WEBHOOK_SECRET not in page.inner_text("#subscriptions")
    row = page.locator("tr[data-event]").first
    assert "meeting.live_streaming_started" in row.inner_text()
    attempts = [a.inner_text() for a in row.locator("li.attempt").all()]
    assert [a.split()[1] for a in attempts] == ["500", "200"]
    assert all(" ms" in a for a in attempts)
    shot(page, shots, "webhooks")

    page.goto(f"{UI}/meetings/{MEETING}")  # the meeting's own page lists them too
    assert page.locator("tr[data-event] li.attempt").count() == 2


# -- 5. Safety ---------------------------------------------------------------------------


def test_a_hostile_topic_renders_as_text_and_runs_nothing(page: Page, api: Api) -> None:
    host = api.admin("GET", f"/meetings/{MEETING}").json()["host_id"]
    hostile = api.admin("POST", "/meetings", {"host_id": host, "topic": HOSTILE}).json()
    page.goto(f"{UI}/meetings/{hostile['id']}")
    assert page.locator("#topic").inner_text() == HOSTILE
    page.goto(f"{UI}/meetings?q=script")
    assert page.locator("#meetings td.topic").inner_text() == HOSTILE
    page.goto(f"{UI}/meetings/{hostile['id']}")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#topic script, #topic img").count() == 0


def test_a_post_without_the_csrf_token_is_refused(page: Page, api: Api) -> None:
    page.goto(f"{UI}/faults")
    post = """async (body) => (await fetch('/_zoomlive/ui/faults', {method: 'POST',
        headers: {'content-type': 'application/x-www-form-urlencoded'}, body})).status"""
    assert page.evaluate(post, "method=GET&path=/v2/*&status=503") == 403
    assert page.evaluate(post, "method=GET&path=/v2/*&status=503&csrf_token=forged") == 403
    assert api.admin("GET", "/faults").json() == []
    token = page.input_value("#add-fault input[name=csrf_token]")
    assert page.evaluate(post, f"method=GET&path=/v2/*&status=503&csrf_token={token}") == 200
    assert len(api.admin("GET", "/faults").json()) == 1
    # The session cookie alone (as a forged cross-site form would send it) is refused.
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "zoomlive_session")
    cookie_only = httpx.post(f"{api.base_url}{UI}/reset", data={"demo": "1"},
                             cookies={"zoomlive_session": session})  # fmt: skip
    assert cookie_only.status_code == 403
    assert len(api.admin("GET", "/faults").json()) == 1  # no reset happened


# -- 6. Offline docs ---------------------------------------------------------------------


def test_the_docs_work_offline_and_show_the_zoom_operations(
    browser: Browser, api: Api, shots: Path
) -> None:
    context = browser.new_context(base_url=api.base_url, viewport=VIEWPORT)
    offline = Offline().install(context)
    p = context.new_page()
    blocked = csp_violations(p)
    p.goto("/_zoomlive/docs")
    p.wait_for_selector(".opblock-summary-path[data-path='/oauth/token']")
    shown = {
        tuple(pair)
        for pair in p.evaluate("""() => Array.from(
        document.querySelectorAll('.opblock'), (o) => [
            o.querySelector('.opblock-summary-method').textContent.toLowerCase(),
            o.querySelector('.opblock-summary-path').getAttribute('data-path')])""")
    }
    expected = {("get", "/v2/meetings/{meetingId}/livestream"),
                ("patch", "/v2/meetings/{meetingId}/livestream"),
                ("patch", "/v2/meetings/{meetingId}/livestream/status"),
                ("get", "/v2/webinars/{webinarId}/livestream"),
                ("patch", "/v2/webinars/{webinarId}/livestream"),
                ("patch", "/v2/webinars/{webinarId}/livestream/status"),
                ("post", "/oauth/token")}  # fmt: skip
    assert expected <= shown
    spread = shot(p, shots, "docs")
    blank = blank_stddev(browser)
    assert spread > blank + 10, (spread, blank)
    assert offline.refused == []
    assert blocked == []
    context.close()
    served = api.http.get(f"{api.base_url}/_zoomlive/docs/openapi.json").json()
    status = served["paths"]["/v2/meetings/{meetingId}/livestream/status"]["patch"]
    assert "204" in status["responses"] and "200" not in status["responses"]


# -- 7. Speed ----------------------------------------------------------------------------


def _insert_meetings(api: Api, host: str, count: int) -> None:
    """Through the control API's bulk create (a JSON array, one transaction each)."""
    for start in range(0, count, 20_000):
        batch = [{"id": 10_000_000_000 + i, "host_id": host, "topic": f"Load meeting {i}"}
                 for i in range(start, min(start + 20_000, count))]  # fmt: skip
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        url = f"{api.base_url}/_zoomlive/meetings"
        r = api.http.post(url, json=batch, headers=headers, timeout=120)
        assert r.status_code == 201, r.text


def test_the_meetings_page_pages_100000_meetings_fast(
    page: Page, api: Api, server: tuple[ServerProcess, Path], shots: Path
) -> None:
    """Seeded through the control API's bulk create; what is timed is the page,
    through HTTP and in the browser."""
    host = api.admin("GET", f"/meetings/{MEETING}").json()["host_id"]
    _insert_meetings(api, host, 100_000)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    timings: dict[str, list[float]] = {}
    deep = f"?after={10_000_000_000 + 74_950}"  # a cursor 1,500 pages in (keyset paging)
    for name, query in (("first", ""), ("deep", deep), ("search", "?q=meeting+99999")):
        url = f"{api.base_url}{UI}/meetings{query}"
        api.http.get(url, headers=headers)  # warm
        for _ in range(7):
            started = time.perf_counter()
            r = api.http.get(url, headers=headers)
            timings.setdefault(name, []).append(time.perf_counter() - started)
            assert r.status_code == 200
    medians = {k: round(statistics.median(v) * 1000, 1) for k, v in timings.items()}
    best = {k: round(min(v) * 1000, 1) for k, v in timings.items()}
    print(f"\nmeetings page, 100,003 meetings, 7 runs (ms): median {medians}, best {best}")
    # The best of seven: what the server takes, less the waits other processes on a
    # loaded machine add to some runs.
    assert all(ms < 200 for ms in best.values()), (best, medians)

    def total(query: str) -> str:
        r = api.http.get(f"{api.base_url}{UI}/meetings{query}", headers=headers)
        return r.text.split('id="total">', 1)[1].split(" found", 1)[0]

    assert total("?q=meeting+9999") == "11"  # 9999 and 99990-99999
    assert total("?q=Load") == "10,000+"  # a search counts no further
    assert total(f"?q=Load&after={10_000_000_000 + 90_000}") == "10,000+"  # and pages on past it

    page.goto(f"{UI}/meetings{deep}")
    nav: dict[str, Any] = page.evaluate(
        "JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0]))"
    )
    assert "100,003 found" in page.inner_text("#total")
    assert page.locator("#meetings tbody tr").count() == 50

    def shown() -> list[int]:
        cells = page.locator("#meetings tbody tr td:first-child").all_inner_texts()
        return [int(c) for c in cells]

    deep_ids = shown()
    assert deep_ids == list(range(10_000_000_000 + 74_951, 10_000_000_000 + 75_001))
    with page.expect_navigation():
        page.click("a[rel=next]")  # the pager walks on from the last id shown ...
    assert shown() == [i + 50 for i in deep_ids]
    with page.expect_navigation():
        page.click("a[rel=prev]")  # ... and back
    assert shown() == deep_ids
    assert nav["loadEventEnd"] - nav["startTime"] < 1000, nav
    print(f"browser: load in {nav['loadEventEnd'] - nav['startTime']:.0f} ms")
    page.goto(f"{UI}/meetings")
    shot(page, shots, "meetings")
