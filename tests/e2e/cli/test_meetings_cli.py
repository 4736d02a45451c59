"""``zoomlive meetings|webinars …`` against the real server, as a user runs them."""

from __future__ import annotations

import json

from tests.support import Api, CliRecorder


def test_cli_meetings_create_get_list_end_delete(api: Api, cli: CliRecorder) -> None:
    r = cli.run(api, "meetings", "create", "--topic", "From the CLI", "--duration", "20", "--json")
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["topic"] == "From the CLI" and made["start_url"] == "***"
    assert made["password"] == "***" and made["join_url"].endswith("?pwd=***")
    secret = api.call("GET", f"/meetings/{made['id']}", api.token()).json()["password"]
    cli.secret(secret)
    r = cli.run(api, "meetings", "get", str(made["id"]), "--json")
    assert json.loads(r.stdout)["duration"] == 20
    r = cli.run(api, "meetings", "list", "--page-size", "1", "--json")
    assert made["id"] in [m["id"] for m in json.loads(r.stdout)]
    api.admin("POST", f"/meetings/{made['id']}/start")
    r = cli.run(api, "meetings", "end", str(made["id"]), "--json")
    assert json.loads(r.stdout) == {"ended": True, "id": made["id"]}
    r = cli.run(api, "meetings", "delete", str(made["id"]))
    assert r.returncode == 0
    r = cli.run(api, "meetings", "get", str(made["id"]))
    assert r.returncode == 1 and "3001" in r.stderr


def test_cli_webinars(api: Api, cli: CliRecorder) -> None:
    r = cli.run(api, "webinars", "create", "--topic", "Webinar", "--json")
    assert r.returncode == 0, r.stderr
    wid = json.loads(r.stdout)["id"]
    r = cli.run(api, "webinars", "list")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "TOPIC"], r.stdout  # a header, then rows
    row = next(line for line in lines if line.startswith(str(wid)))
    assert row.index("Webinar") == lines[0].index("TOPIC")  # columns aligned
    r = cli.run(api, "webinars", "create", "--help")
    assert "POST /users/{userId}/webinars" in r.stdout and "/meetings" not in r.stdout
    r = cli.run(api, "webinars", "delete", str(wid), "--json")
    assert json.loads(r.stdout)["deleted"] is True
    r = cli.run(api, "webinars", "get", "not-a-number")
    assert r.returncode == 2
