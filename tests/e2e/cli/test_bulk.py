"""Bulk apply: 500 rows against the server with Pro limits, through the real CLI."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from tests.support import Api, CliRecorder

PRO_QPS = 30


def stats(api: Api) -> dict[str, int]:
    return dict(api.admin("GET", "/stats").json())


def test_apply_500_rows_under_pro_limit_then_nothing_to_do(
    limited_api: Api, cli: CliRecorder
) -> None:
    api = limited_api
    api.admin("POST", "/reset", {"demo": True})
    host = api.admin("GET", "/meetings/68423085").json()["host_id"]
    ids = [api.new_meeting(host)["id"] for _ in range(499)] + [68423085]
    cli.secret(*(f"bulk-key-{i}" for i in range(100, 500)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "kind", "stream_url", "stream_key", "page_url", "resolution"])
            for i, oid in enumerate(ids):
                w.writerow([oid, "meeting", f"rtmp://live.example.com/{i}", f"bulk-key-{i}",
                            f"https://example.com/watch/{i}", "720p"])  # fmt: skip

        before = stats(api)
        first = cli.run(api, "livestream", "apply", str(path), "--json")
        assert first.returncode == 0, first.stderr
        report = json.loads(first.stdout)
        after = stats(api)
        assert report["counts"]["updated"] == 500
        assert report["counts"]["failed"] == 0
        assert after["rate_limited"] == before["rate_limited"], "the client limiter saw no 429"
        # Each row is a GET then a PATCH: 1,000 requests at 30/s.
        requests = 1000
        ideal = requests / PRO_QPS
        assert abs(report["seconds"] - ideal) <= 0.10 * ideal, (report["seconds"], ideal)
        for i, oid in ((0, ids[0]), (499, ids[499])):
            row = api.admin("GET", f"/meetings/{oid}").json()
            assert (row["stream_key"], row["resolution"]) == (f"bulk-key-{i}", "720p")
        assert "bulk-key-" not in first.stdout + first.stderr, "stream keys are redacted"

        base = stats(api)
        second = cli.run(api, "livestream", "apply", str(path), "--json")
        assert second.returncode == 0, second.stderr
        again = json.loads(second.stdout)
        assert again["counts"] == {
            "updated": 0, "unchanged": 500, "would-update": 0, "failed": 0, "not-run": 0
        }  # fmt: skip
        end = stats(api)
        # The only write is the CLI's new token: no PATCH was sent.
        assert end["writes"] - base["writes"] == end["tokens_issued"] - base["tokens_issued"] == 1
        ideal = 500 / PRO_QPS
        assert abs(again["seconds"] - ideal) <= 0.10 * ideal, (again["seconds"], ideal)
        print(f"\nfirst run {report['seconds']} s, second run {again['seconds']} s")


def test_apply_dry_run_shows_diff_and_failures_exit_1(limited_api: Api, cli: CliRecorder) -> None:
    api = limited_api
    api.admin("POST", "/reset", {"demo": True})
    cli.secret("dry-key")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.yaml"
        path.write_text(
            "- {id: 68423085, stream_url: rtmp://a/b, stream_key: dry-key, page_url: https://p/q}\n"
            "- {id: 12345678901, kind: webinar, stream_url: rtmp://x/y, stream_key: y, page_url: https://p}\n"
        )
        r = cli.run(api, "livestream", "apply", str(path), "--dry-run", "--json")
        assert r.returncode == 1, r.stderr
        report = json.loads(r.stdout)
        outcomes = [x["outcome"] for x in report["results"]]
        assert outcomes == ["would-update", "failed"]
        fields = {c["field"]: c for c in report["results"][0]["changes"]}
        assert fields["stream_url"] == {"field": "stream_url", "old": "", "new": "rtmp://a/b"}
        assert fields["stream_key"]["new"] == "***"
        assert "dry-key" not in r.stdout + r.stderr
        assert report["results"][1]["code"] == 3001
        # Nothing was written by a dry run.
        assert api.admin("GET", "/meetings/68423085").json()["configured"] is False
        table = cli.run(api, "livestream", "apply", str(path), "--dry-run")
        assert "Summary" in table.stdout and table.returncode == 1
