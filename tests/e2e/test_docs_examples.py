"""The documentation's shell, YAML and webhook-receiver examples, run against a real
server (the session's, ``tests/conftest.py``). The mechanism is ``test_readme.py``'s: a
block whose first line is ``# example: NAME`` is an example, its name is in ``RUN``
(``tests/examples.py``), and a test here runs it.

- **Bash blocks** run as written, in ``bash -euo pipefail``, with the variables
  ``eval "$(zoomlive env)"`` sets (the ``ZOOM_*`` ones and ``ZOOMLIVE_ADMIN_TOKEN``) and
  the default ``http://127.0.0.1:8040`` in their text replaced by the test server's URL
  (the pages keep showing the default port). A ``curl`` shell function in front of the
  block also writes each answer's HTTP status to stderr (``-w '%{stderr}…'``), so a test
  can hold the status a block promises (``# -> 204``); the block's own output is
  unchanged.
- **Two blocks cannot run as written**; what is checked instead:
  ``two-commands`` (README, getting started, home page): ``./scripts/test`` is this
  test suite, which cannot run inside itself. The three blocks must give the README's
  two commands; ``./scripts/serve`` is what ``tests/e2e/server/test_newcomer.py`` runs
  (its banner's lines then work as printed), ``./scripts/test`` is what CI
  (``.ci/run``) runs, and the tools its comment names are the ones it runs.
  ``client-env`` (docs/client.md): its first line's ``…`` are placeholders, so the
  alternative it names, ``eval "$(zoomlive env)"``, runs in its place (with ``--url``
  for the test server's port, as the banner prints it off the default port).
- **The seed** (docs/seed-files.md) is posted to ``POST /_zoomlive/seed`` as written, and
  each record it declares is read back through the control API and used through
  Zoom's API (its app's token, its fault, its meeting's stream).
- **The webhook receivers** (FastAPI, Flask, Django; docs/webhooks.md) run each in its
  own framework, in a venv made for the session (see ``SNIPPET_PACKAGES``: the
  frameworks are never installed in the project's venv), fed events signed as the
  server signs its deliveries.
- **The start banner** (docs/getting-started.md) is a ``text`` block, so not an example,
  but each line it shows must be one the session's server printed, in order.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest
import yaml

from tests.e2e.test_readme import env_for
from tests.examples import FENCE, docs_text, examples
from tests.support import (
    ADMIN_TOKEN,
    DEMO_ACCOUNT,
    DEMO_CLIENT,
    DEMO_SECRET,
    ROOT,
    Api,
    ServerProcess,
)

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")

#: The URL the pages show: a server started with no ``--port``.
DEFAULT_URL = "http://127.0.0.1:8040"
#: Put in front of a bash block: each curl also writes its answer's status to stderr.
CURL_STATUS = "curl() { command curl -w '%{stderr}curl-status: %{http_code}\\n' \"$@\"; }\n"


def _run_bash(code: str, base_url: str, env: dict[str, str]) -> tuple[str, list[int]]:
    """Run a block as written against ``base_url``: its stdout, and the status of each
    curl it ran, in order."""
    assert DEFAULT_URL in code, "the page shows the default port"
    script = CURL_STATUS + code.replace(DEFAULT_URL, base_url)
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout, [int(s) for s in re.findall(r"curl-status: (\d{3})", r.stderr)]


def _shell_env(api: Api) -> dict[str, str]:
    """What a user's shell has after ``eval "$(zoomlive env)"``."""
    return {**env_for(api), "ZOOMLIVE_ADMIN_TOKEN": ADMIN_TOKEN}


def _sent_json(code: str) -> Any:
    """The JSON body a curl block sends (``-d '{…}'``)."""
    m = re.search(r"-d '(\{.*?\})'", code)
    assert m, code
    return json.loads(m.group(1))


def _nothing_listens(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), 0.5):
            return False
    except OSError:
        return True


# -- the two commands ---------------------------------------------------------------


# -- bash blocks, run as written ----------------------------------------------------------


@needs_curl
def test_first_call_example(api: Api) -> None:
    """docs/getting-started.md: a token with curl, the seed's multipart PATCH (204), then
    the GET prints the JSON the block's last comment shows."""
    code = examples()["first_call"]
    promised = [int(s) for s in re.findall(r"# -> (\d{3})", code)]
    shown = re.search(r"^# (\{.*\})$", code, re.M)
    assert promised == [204] and shown, code
    out, statuses = _run_bash(code, api.base_url, _shell_env(api))
    assert statuses == [200, *promised, 200]
    assert out == shown.group(1)  # the answer's bytes, as the page shows them
    stream = json.loads(shown.group(1))
    meeting = api.admin("GET", "/meetings/68423085").json()
    assert {key: meeting[key] for key in stream} == stream


#: Run after the client's variables are set: which are set, then a call with the client.
AFTER_CLIENT_ENV = (
    "python3 -c 'import json, os\n"
    'print(json.dumps({k: v for k, v in os.environ.items() if k.startswith("ZOOM_")}))\'\n'
    "python3 -c 'from zoomlive.client import Client\n"
    "with Client.from_env() as c: print(c.meetings.get(68423085).id)'\n"
)


def test_client_env_example(api: Api) -> None:
    """docs/client.md: the first line's ``…`` cannot run, the ``eval "$(zoomlive env)"``
    it names does; with the second line as written, the client has what it needs, and
    exactly the variables the block names."""
    code = examples()["client_env"]
    first, second = code.splitlines()
    assert "…" in first.partition("#")[0], "placeholders: why the line is not run as written"
    alternative = re.search(r'# or: (eval "\$\(zoomlive env\)")\s*$', first)
    assert alternative, first
    # Off the default port, `zoomlive env` takes the URL (as the banner prints it).
    env_line = alternative.group(1).replace("zoomlive env", f"zoomlive env --url {api.base_url}")
    script = f"{env_line}\n{second}\n{AFTER_CLIENT_ENV}"
    env = {k: v for k, v in env_for(api).items() if not k.startswith("ZOOM_")}
    out, _statuses = _run_bash(script, api.base_url, {**env, "ZOOMLIVE_ADMIN_TOKEN": ADMIN_TOKEN})
    variables, meeting_id = out.splitlines()
    assert json.loads(variables) == {
        "ZOOM_ACCOUNT_ID": DEMO_ACCOUNT,
        "ZOOM_CLIENT_ID": DEMO_CLIENT,
        "ZOOM_CLIENT_SECRET": DEMO_SECRET,
        "ZOOM_API_BASE_URL": f"{api.base_url}/v2",
        "ZOOM_OAUTH_URL": f"{api.base_url}/oauth/token",
    }
    assert set(re.findall(r"\b(ZOOM_\w+)=", code)) == set(json.loads(variables))
    assert meeting_id == "68423085"  # a token and a call with them


@needs_curl
def test_clock_example(api: Api) -> None:
    """docs/control-api.md: the clock becomes frozen and an hour ahead, and stays put."""
    code = examples()["clock"]
    sent = _sent_json(code)
    assert sent == {"freeze": True, "advance": 3600}, sent
    before = time.time()
    try:
        out, statuses = _run_bash(code, api.base_url, _shell_env(api))
        after = time.time()
        assert statuses == [200]
        clock = json.loads(out)
        assert clock["frozen"] is True
        assert before + 3600 - 0.01 <= clock["now"] <= after + 3600 + 0.01, (before, clock)
        # The answer's shape as the page gives it, ``{"now": …, "iso": "…+00:00", …}``.
        iso = re.search(r'"iso": "…([^"]*)"', docs_text("control-api.md"))
        assert iso and clock["iso"].endswith(iso.group(1)), clock
        assert datetime.fromisoformat(clock["iso"]).timestamp() == pytest.approx(clock["now"])
        time.sleep(0.05)
        assert api.admin("GET", "/clock").json() == clock  # frozen: it has not moved
    finally:
        api.admin("POST", "/clock", {"reset": True})


@needs_curl
def test_subscription_example(api: Api) -> None:
    """docs/webhooks.md: the PUT answers 200 with the subscription, which reads back with
    the URL and secret sent and the two live streaming events (none listed)."""
    code = examples()["subscription"]
    sent = _sent_json(code)
    out, statuses = _run_bash(code, api.base_url, _shell_env(api))
    assert statuses == [200]
    stored = api.admin("GET", f"/apps/{DEMO_CLIENT}/subscription").json()
    assert json.loads(out) == stored
    assert (stored["client_id"], stored["url"], stored["secret_token"]) == (
        DEMO_CLIENT, sent["url"], sent["secret_token"],
    )  # fmt: skip
    assert stored["events"].split() == [
        "meeting.live_streaming_started", "meeting.live_streaming_stopped",
    ]  # fmt: skip
    if _nothing_listens(sent["url"]):  # "An endpoint that fails is stored but not enabled"
        assert stored["enabled"] is False and stored["last_error"], stored


# -- the seed ------------------------------------------------------------------------------


def test_seed_example(api: Api) -> None:
    """docs/seed-files.md: posted as written, it creates each record it declares, and the
    Zoom API works with them: the app's token, the fault once, then the stream."""
    text = examples()["seed"]
    seed = yaml.safe_load(text)
    try:
        r = api.http.post(f"{api.base_url}/_zoomlive/seed", content=text.encode(),
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["seeded"] is True
        counts = r.json()["counts"]
        declared = {
            "accounts": len(seed["accounts"]),
            "users": sum(len(a.get("users", [])) for a in seed["accounts"]),
            "apps": sum(len(a.get("apps", [])) for a in seed["accounts"]),
            "meetings": len(seed["meetings"]),
            "subscriptions": len(seed["subscriptions"]),
            "faults": len(seed["faults"]),
        }
        assert {key: counts[key] for key in declared} == declared
        assert all(declared.values()), declared  # the example shows every section

        for account in seed["accounts"]:
            assert api.admin("GET", f"/accounts/{account['id']}").json()["id"] == account["id"]
            for user in account["users"]:
                got = api.admin("GET", f"/users/{user['id']}").json()
                assert got["account_id"] == account["id"]
                assert {key: got[key] for key in user} == user
            apps = api.admin("GET", f"/accounts/{account['id']}/apps").json()["apps"]
            assert {(a["client_id"], a["client_secret"]) for a in apps} == {
                (a["client_id"], a["client_secret"]) for a in account["apps"]
            }
        for meeting in seed["meetings"]:
            got = api.admin("GET", f"/meetings/{meeting['id']}").json()
            assert (got["host_id"], got["status"]) == (meeting["host_id"], meeting["status"])
            stream = dict(meeting["stream"])
            assert got["stream_live"] is stream.pop("live")
            assert {key: got[key] for key in stream} == stream
        for sub in seed["subscriptions"]:
            got = api.admin("GET", f"/apps/{sub['client_id']}/subscription").json()
            assert {key: got[key] for key in sub} == sub
        faults = api.admin("GET", "/faults").json()
        assert [{key: f["spec"][key] for key in seed["faults"][0]} for f in faults] == seed[
            "faults"
        ]

        # Through Zoom's API: the seeded app's credentials, its fault, its stream.
        account = seed["accounts"][0]
        app = account["apps"][0]
        token = api.token(app["client_id"], app["client_secret"], account["id"])
        meeting = seed["meetings"][0]
        path = f"/meetings/{meeting['id']}/livestream"
        fault = seed["faults"][0]
        assert [api.call("GET", path, token).status_code for _ in range(fault["times"])] == [
            fault["status"]
        ] * fault["times"]
        r = api.call("GET", path, token)
        assert r.status_code == 200, r.text
        expected = {k: v for k, v in meeting["stream"].items() if k != "live"}
        assert r.json() == expected
    finally:
        api.admin("POST", "/reset", {"demo": True})  # its fault and live stream off


# -- the start banner (a text block: not an example, but checked) --------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the page's server's
def test_the_banner_on_the_getting_started_page_is_the_one_serve_prints(
    server: ServerProcess,
) -> None:
    """Each line the page shows is a line the session's SQLite server printed, in order;
    ``…`` stands for a value (or, alone on its line, for lines left out). The page's
    server runs on the defaults, the test's on its own port and database: those are put
    in."""
    shown = [
        code for lang, code in FENCE.findall(docs_text("getting-started.md"))
        if lang == "text" and code.startswith("zoomlive listening on ")
    ]  # fmt: skip
    assert len(shown) == 1
    text = (
        shown[0]
        .replace(DEFAULT_URL, server.base_url)
        .replace('"$(zoomlive env)"', f'"$(zoomlive env --url {server.base_url})"')
        .replace("sqlite+aiosqlite:///zoomlive.db", f"sqlite+aiosqlite:///{server.db}")
    )
    printed = server.output().partition("Ctrl-C to stop\n")
    assert printed[1], server.output()
    lines = iter([*printed[0].splitlines(), "Ctrl-C to stop"])
    for line in text.splitlines():
        if line == "…":
            continue
        pattern = re.compile(re.escape(line).replace("…", ".+"))
        assert any(pattern.fullmatch(got) for got in lines), (line, server.output())


# -- the webhook receivers, each in its framework ----------------------------------------

#: The receivers' frameworks, pinned: a new release must not fail (or pass) this test by
#: itself; bump them on purpose. Django 5.2 is the last series for Python 3.11 (Django 6
#: needs 3.12). httpx is FastAPI's TestClient's (and, with msgspec, zoomlive's client's,
#: at the versions uv.lock pins); zoomlive itself comes from ``src/``. They live in a venv
#: of their own: FastAPI brings pydantic, and with pydantic importable Litestar loads its
#: pydantic plugin, changing the server's memory that test_footprint.py and bench/ measure.
SNIPPET_PACKAGES = ("fastapi==0.165.0", "flask==3.1.3", "django==5.2.19")
#: Everything else in that venv is resolved as of this date (``uv --exclude-newer``),
#: so the venv is the same on every run.
RESOLVED_AS_OF = "2026-12-01T00:00:00Z"
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")

#: Posts each case to the page's receiver through its framework's test client (FastAPI's
#: TestClient, Flask's test client, Django's Client on minimal settings, CSRF enforced as
#: in a real project), and writes what each answered. The receiver's own prints are its
#: stdout.
DRIVER = r"""
import json
import sys
from pathlib import Path

framework, cases_file, answers_file = sys.argv[1:]
cases = json.loads(Path(cases_file).read_text())

if framework == "fastapi":
    from fastapi.testclient import TestClient
    from snippet import app

    client = TestClient(app)

    def send(method, body, headers):
        r = client.request(method, "/zoom/webhook", content=body, headers=headers)
        return r.status_code, r.text

elif framework == "flask":
    from snippet import app

    client = app.test_client()

    def send(method, body, headers):
        r = client.open("/zoom/webhook", method=method, data=body, headers=headers)
        return r.status_code, r.get_data(as_text=True)

else:
    import django
    from django.conf import settings

    settings.configure(
        ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"], SECRET_KEY="not-secret",
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
    )
    django.setup()
    from django.test import Client
    from django.urls import path
    from snippet import zoom_webhook

    urlpatterns = [path("zoom/webhook", zoom_webhook)]
    client = Client(enforce_csrf_checks=True)  # Zoom sends no CSRF token

    def send(method, body, headers):
        headers = dict(headers)
        kind = headers.pop("content-type", "application/octet-stream")
        r = client.generic(method, "/zoom/webhook", body, content_type=kind, headers=headers)
        return r.status_code, r.content.decode()

answers = []
for case in cases:
    status, text = send(case["method"], case["body"].encode(), case["headers"])
    answers.append({"status": status, "body": text})
Path(answers_file).write_text(json.dumps(answers))
"""


def _locked(name: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return next(f"{name}=={p['version']}" for p in lock["package"] if p["name"] == name)


@pytest.fixture(scope="session")
def snippet_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the three frameworks (made once per session; uv's cache makes it a
    second or two), without zoomlive's server and without the project's venv."""
    assert UV, "uv is installed by scripts/bootstrap"
    venv = tmp_path_factory.mktemp("webhook-snippets") / "venv"
    subprocess.run([UV, "venv", "-q", str(venv), "--python", sys.executable], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    python = venv / "bin" / "python"
    packages = [*SNIPPET_PACKAGES, _locked("httpx"), _locked("msgspec")]
    r = subprocess.run([UV, "pip", "install", "-q", "--python", str(python),
                        "--exclude-newer", RESOLVED_AS_OF, *packages],
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return python


def _cases(secret: str) -> tuple[list[dict[str, Any]], list[str]]:
    """What Zoom sends (signed as the server signs its deliveries) and a forged one and a
    GET; and the lines the receiver must print (``event object_id``)."""
    from zoomlive.server.services import events as ev
    from zoomlive.server.storage.records import Meeting, User
    from zoomlive.server.webhooks.service import _headers
    from zoomlive.wire import webhooks as wh

    meeting = Meeting(id=81234567890, kind="meeting", uuid="u==", account_id="A", host_id="H",
                      topic="t", type=2, start_time="2026-01-01T00:00:00Z")  # fmt: skip
    host = User(id="H", account_id="A", email="h@example.com", type=2)
    now = time.time()
    events = [
        ev.live_streaming_event(meeting, host, True, now),
        ev.live_streaming_event(meeting, host, False, now),
        ev.started_event(meeting, host, now),  # lifecycle: object.id a string
        ev.deleted_event(meeting, host, now),  # and a number
    ]
    challenge = wh.UrlValidationEvent(event="endpoint.url_validation", event_ts=int(now * 1000),
                                      payload=wh.UrlValidationPayload("plain-token-1"))  # fmt: skip
    bodies = [wh.encode(challenge), *(msgspec.json.encode(e) for e in events)]
    cases = [{"method": "POST", "body": b.decode(), "headers": _headers(secret, b, f"r{i}")}
             for i, b in enumerate(bodies)]  # fmt: skip
    forged = bodies[1]
    cases.append({"method": "POST", "body": forged.decode(),
                  "headers": _headers("not-the-" + secret, forged, "forged")})  # fmt: skip
    cases.append({"method": "GET", "body": "", "headers": {}})
    return cases, [f"{json.loads(b)['event']} {meeting.id}" for b in bodies[1:]]


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django"])
def test_webhook_receiver_example_in_its_framework(
    framework: str, snippet_python: Path, tmp_path: Path
) -> None:
    """Each receiver on the webhooks page, in its framework: it answers Zoom's URL
    validation, answers 200 to each event and prints its name and meeting id (what the
    snippet prints), refuses a forged signature with the receiver's 401, and takes only
    POST. Every answer is the one ``WebhookReceiver`` gives for the same request."""
    from zoomlive.client.webhooks import WebhookReceiver
    from zoomlive.wire import webhooks as wh

    code = examples()[f"webhook_{framework}"]
    secret = re.search(r'secret_token="([^"]+)"', code)
    assert secret, code
    # The secret the page's subscription sets: the receivers are that endpoint's.
    assert secret.group(1) == _sent_json(examples()["subscription"])["secret_token"]
    cases, printed = _cases(secret.group(1))
    (tmp_path / "snippet.py").write_text(code)
    (tmp_path / "driver.py").write_text(DRIVER)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ZOOM", "PYTHON", "VIRTUAL_ENV"))
    }
    env["PYTHONPATH"] = str(ROOT / "src")  # zoomlive's client: httpx and msgspec only
    r = subprocess.run(
        [str(snippet_python), "driver.py", framework, "cases.json", "answers.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == printed, r.stdout + r.stderr
    answers = [(a["status"], json.loads(a["body"]) if a["status"] != 405 else None)
               for a in json.loads((tmp_path / "answers.json").read_text())]  # fmt: skip
    receiver = WebhookReceiver(secret.group(1))
    expected = []
    for case in cases[:-1]:
        result = receiver.handle(case["body"].encode(), case["headers"])
        expected.append((result.status, result.body or {}))
    assert answers[:-1] == expected
    plain = "plain-token-1"
    challenge = {"plainToken": plain, "encryptedToken": wh.encrypted_token(secret.group(1), plain)}
    assert answers[0] == (200, challenge)
    assert answers[1:5] == [(200, {})] * 4
    assert answers[5][0] == 401
    assert answers[6] == (405, None)
