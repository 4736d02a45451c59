"""What a server loads before anyone asks for it: the dashboard's Jinja2, Swagger UI,
PyAV, Alembic and the PostgreSQL driver stay out of a SQLite server's memory until a
request needs them (README: the server's memory budget under the PATCH benchmark).

Each check runs in a fresh interpreter: this test process has imported most of
these already. PyYAML is not among them: Litestar itself imports it when it is
imported (``litestar/openapi/plugins.py``), so no change of ours could keep it out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET, ROOT

#: Modules a Zoom API request never needs on SQLite.
LAZY = ("jinja2", "swagger_ui", "av", "alembic", "mako", "asyncpg")

SCRIPT = """
import base64, json, sys
import httpx
from zoomlive.testing.runner import IN_PROCESS_URL, InProcessServer

lazy, account, client, secret = json.loads(sys.argv[1])
out = {}
loaded = lambda: sorted(m for m in lazy if m in sys.modules)
# media="auto": the media supervisor on, as `zoomlive serve` runs it by default.
srv = InProcessServer(
    media="auto", demo_account_id=account, demo_client_id=client, demo_client_secret=secret
)
out["built"] = loaded()
srv.start()
out["started"] = loaded()
try:
    with httpx.Client(transport=srv.transport(), base_url=IN_PROCESS_URL) as http:
        basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
        r = http.post("/oauth/token", headers={"Authorization": f"Basic {basic}"},
                      data={"grant_type": "account_credentials", "account_id": account})
        bearer = {"Authorization": "Bearer " + r.json()["access_token"]}
        url = "/v2/meetings/68423085/livestream"
        body = {"stream_url": "rtmp://live.example.com/app", "stream_key": "k1",
                "page_url": "https://example.com/live"}
        out["patch"] = http.patch(url, json=body, headers=bearer).status_code
        r = http.get(url, headers=bearer)
        out["get"] = [r.status_code, r.json().get("stream_key")]
        out["answered"] = loaded()
        r = http.get("/_zoomlive/ui/login")
        out["page"] = [r.status_code, r.headers["content-type"], "<form" in r.text]
        out["paged"] = loaded()
finally:
    srv.stop()
print(json.dumps(out))
"""


def test_a_sqlite_server_loads_the_dashboard_and_migrations_only_when_asked() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOMLIVE_")}
    args = json.dumps([LAZY, DEMO_ACCOUNT, DEMO_CLIENT, DEMO_SECRET])
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["built"] == []
    assert out["started"] == []  # a new SQLite file is built without Alembic
    assert out["patch"] == 204
    assert out["get"] == [200, "k1"]
    assert out["answered"] == []
    # The first dashboard page brings Jinja2 in, and renders.
    assert out["page"] == [200, "text/html; charset=utf-8", True]
    assert out["paged"] == ["jinja2"]
