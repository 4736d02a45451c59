"""The CLI's failure paths, run as a user runs them (subprocesses, a real server):
each is one line with the documented exit code, fast, and never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import (
    ADMIN_TOKEN,
    DEMO_ACCOUNT,
    DEMO_CLIENT,
    DEMO_SECRET,
    ZOOMLIVE,
    Api,
    CliRecorder,
    free_port,
)

HEADER = "id,kind,stream_url,stream_key,page_url,resolution\n"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    r = subprocess.run([ZOOMLIVE, *args], capture_output=True, text=True, env=full, timeout=120)
    assert "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr
    return r


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: "), lines
    return lines[0]


def test_serve_on_a_port_in_use_says_so_before_any_banner() -> None:
    with socket.socket() as taken, tempfile.TemporaryDirectory() as tmp:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run("serve", "--port", str(port), "--db", str(Path(tmp) / "z.db"))
    assert r.returncode == 1
    line = one_error_line(r)
    # The holder (this test's process) is named, then a free port offered.
    assert line.startswith(f"error: port {port} is in use by pid {os.getpid()} ("), line
    assert "); try --port " in line, line
    assert "listening" not in r.stdout and r.stdout == ""


def test_serve_refuses_ports_out_of_range() -> None:
    for port in ("0", "99999", "-1"):
        r = run("serve", "--port", port)
        assert r.returncode == 2, (port, r.stderr)
        assert "--port" in r.stderr and "listening" not in r.stdout


def test_serve_refuses_bad_database_urls_in_one_line() -> None:
    dead = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        missing = Path(tmp) / "no" / "such" / "dir"
        cases = {
            "mysql://u@127.0.0.1/db": "unsupported database URL scheme 'mysql://'",
            f"postgresql://postgres@127.0.0.1:{dead}/x": (
                f"no PostgreSQL answers at 127.0.0.1:{dead} (connection refused)"
            ),
            str(missing / "x.db"): f"database folder {missing} does not exist",
            f"sqlite:///{missing}/x.db": f"database folder {missing} does not exist",
        }
        for url, expected in cases.items():
            r = run("serve", "--port", str(free_port()), "--db", url)
            assert r.returncode == 2, (url, r.stderr)
            line = one_error_line(r)
            assert expected in line, line
            if "scheme" in expected:
                assert "postgresql://" in line and "sqlite:///" in line
        assert not missing.parent.parent.exists() or not missing.exists(), "no folder made"
        assert not (Path(tmp) / "no").exists()


def _client_env(base: str) -> dict[str, str]:
    return {
        "ZOOM_ACCOUNT_ID": DEMO_ACCOUNT,
        "ZOOM_CLIENT_ID": DEMO_CLIENT,
        "ZOOM_CLIENT_SECRET": DEMO_SECRET,
        "ZOOM_API_BASE_URL": f"{base}/v2",
        "ZOOM_OAUTH_URL": f"{base}/oauth/token",
    }


def test_no_server_is_a_fast_exit_3_naming_the_url(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    env = _client_env(base)
    # The same start-up and imports (client, httpx), then no network: no secret.
    started = time.monotonic()
    baseline = run("livestream", "get", "68423085", env={**env, "ZOOM_CLIENT_SECRET": ""})
    start_up = time.monotonic() - started
    assert baseline.returncode == 2 and "ZOOM_CLIENT_SECRET" in baseline.stderr

    started = time.monotonic()
    r = run("livestream", "get", "68423085", env=env)
    took = time.monotonic() - started
    assert r.returncode == 3
    line = one_error_line(r)
    assert f"no answer from {base}/oauth/token (connection refused)" in line, line
    assert "zoomlive serve" in line
    print(f"no answer: {took:.2f} s (start-up alone {start_up:.2f} s)")
    assert took - start_up < 2.0, (took, start_up)

    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + "".join(f"{i},meeting,rtmp://a/b,k,https://e.x/p,720p\n"
                                     for i in range(1, 101)))  # fmt: skip
    started = time.monotonic()
    r = run("livestream", "apply", str(rows), env=env)
    took = time.monotonic() - started
    assert r.returncode == 3
    assert "no answer from" in one_error_line(r)
    assert "failed" not in r.stdout, "no row-by-row failures"
    print(f"apply, 100 rows, no server: {took:.2f} s")
    assert took - start_up < 2.0, (took, start_up)


def test_a_url_without_a_scheme_is_bad_usage() -> None:
    r = run("livestream", "get", "68423085", "--base-url", "127.0.0.1:8040/v2",
            env=_client_env("http://127.0.0.1:1"))  # fmt: skip
    assert r.returncode == 2
    assert "must be an absolute http(s) URL" in one_error_line(r)


def test_bad_ids_get_one_message_everywhere(tmp_path: Path) -> None:
    env = _client_env("http://127.0.0.1:1")
    messages = []
    for args in (["get", "abc"], ["get", "--", "-5"], ["stop", "0"], ["start", "1.5"]):
        r = run("livestream", *args, env=env)
        assert r.returncode == 2, r.stderr
        messages.append(one_error_line(r).split("' is not a ", 1)[1])
    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + "abc,meeting,rtmp://a/b,k,https://e.x/p,\n")
    r = run("livestream", "apply", str(rows), env=env)
    assert r.returncode == 2
    messages.append(one_error_line(r).split("' is not a ", 1)[1])
    assert len(set(messages)) == 1, messages
    assert "line 2, column id" in r.stderr


def test_wrong_secret_stops_apply_at_once(api: Api, cli: CliRecorder, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + "".join(f"68423085,meeting,rtmp://a/{i},k,https://e.x/p,720p\n"
                                     for i in range(100)))  # fmt: skip
    api.admin("DELETE", "/journal")
    r = cli.run(api, "livestream", "apply", str(rows), env={"ZOOM_CLIENT_SECRET": "wrong"})
    assert r.returncode == 1
    line = one_error_line(r)
    assert line.startswith("error: HTTP 401"), line
    assert "Traceback" not in r.stdout + r.stderr
    journal = api.admin_list("/journal", "entries")
    assert [(e["path"], e["status"]) for e in journal] == [("/oauth/token", 401)]


def test_server_stopping_mid_apply_stops_it_with_exit_3(
    api: Api, cli: CliRecorder, tmp_path: Path
) -> None:
    """Every API call dropped (no answer): the run stops after a few rows."""
    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + "".join(f"68423085,meeting,rtmp://a/{i},k,https://e.x/p,720p\n"
                                     for i in range(100)))  # fmt: skip
    api.admin("POST", "/faults", {"action": "drop", "path": "/v2/*", "times": None})
    r = cli.run(api, "livestream", "apply", str(rows), "--concurrency", "1", "--json")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "rows not run" in one_error_line(r)
    assert "Traceback" not in r.stdout + r.stderr
    dropped = api.admin_list("/journal?path=/v2/*", "entries")
    assert len(dropped) <= 3 * 2, len(dropped)  # three rows, two tries each


def test_dry_run_reports_what_the_real_run_would(
    api: Api, cli: CliRecorder, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        HEADER
        + "68423085,meeting,rtmp://a/b,k,not a url,720p\n"
        + "68423085,meeting,rtmp://a/b,k,https://e.x/p,4k\n"
    )

    def errors(*extra: str) -> list[tuple[int, str, str]]:
        r = cli.run(api, "livestream", "apply", str(rows), "--json", *extra)
        assert r.returncode == 1, r.stdout + r.stderr
        report = __import__("json").loads(r.stdout)
        return [(x["line"], x["outcome"], x["error"]) for x in report["results"]]

    dry = errors("--dry-run")
    assert dry == [
        (2, "failed", "page_url: Invalid parameter: page_url."),
        (3, "failed", "resolution: Invalid parameter: resolution."),
    ]
    assert errors() == dry


def test_bad_rows_files_exit_2_with_line_numbers(tmp_path: Path) -> None:
    env = _client_env("http://127.0.0.1:1")
    cases = {
        "empty.csv": ("", "no rows"),
        "header-only.csv": (HEADER, "no rows"),
        "empty.yaml": ("", "no rows"),
        "no-column.csv": ("id,stream_url\n1,rtmp://a\n", "line 1: the header lacks column"),
        "text-id.csv": (HEADER + "1,meeting,r,k,p,\nx1,meeting,r,k,p,\n", "line 3, column id"),
        "kind.csv": (HEADER + "1,meetin,r,k,p,\n", "line 2, column kind: 'meetin' is not one of"),
        "extra.csv": (HEADER + "1,meeting,r,k,p,720p,x\n", "line 2: 7 values for 6 columns"),
        "missing.csv": (HEADER + "\n\n1,meeting,,k,p,\n", "line 4: column stream_url is empty"),
        "bad.yaml": ("- id: 1\n  kind: meeting\n   stream_url: [\n", "line 3"),
        "scalar.yaml": ("- id: 1\n  stream_url: r\n  stream_key: k\n  page_url: p\n- 7\n",
                        "line 5: a row is a mapping"),
        "not-list.yaml": ("id: 1\n", "line 1: expected a list of rows"),
        "yaml-missing.yaml": ("- id: 1\n  stream_url: r\n  stream_key: k\n"
                              "- id: 2\n  stream_url: r\n  stream_key: k\n  page_url: p\n",
                              "line 1: column page_url is empty"),
    }  # fmt: skip
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        r = run("livestream", "apply", str(path), "--dry-run", env=env)
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        line = one_error_line(r)
        assert expected in line, (name, line)
        assert "msgspec" not in line and "Expected `" not in line, line


def test_choices_are_listed_in_help_and_errors() -> None:
    r = run("livestream", "apply", "-h")
    assert r.returncode == 0 and "free|pro|business" in r.stdout
    r = run("livestream", "update", "--help")
    assert "720p|1080p" in r.stdout
    with tempfile.NamedTemporaryFile("w", suffix=".csv") as f:
        f.write(HEADER + "1,meeting,r,k,p,\n")
        f.flush()
        r = run("livestream", "apply", f.name, "--plan", "bogus")
    assert r.returncode == 2
    assert "'free', 'pro', 'business'" in r.stderr or "free, pro, business" in r.stderr


def test_errors_name_the_zoom_code_or_leave_it_out(api: Api, cli: CliRecorder) -> None:
    r = cli.run(api, "livestream", "get", "12345678901")
    assert r.returncode == 1
    assert one_error_line(r) == (
        "error: HTTP 404, Zoom code 3001: Meeting does not exist: 12345678901."
    )
    api.admin("POST", "/faults", {"path": "/v2/*", "status": 502, "code": None,
                                  "message": "Bad gateway.", "times": 2})  # fmt: skip
    r = cli.run(api, "livestream", "get", "68423085")
    assert r.returncode == 1
    line = one_error_line(r)
    assert line.startswith("error: HTTP 502") and "None" not in line, line


def test_version_and_short_help() -> None:
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("zoomlive ")
    r = run("-h")
    assert r.returncode == 0 and "serve" in r.stdout and "env" in r.stdout
    r = run("--show-completion", env={"SHELL": "/bin/bash"})
    assert r.returncode == 0 and "complete" in r.stdout


def test_admin_token_is_never_in_client_output(api: Api, cli: CliRecorder) -> None:
    r = cli.run(api, "livestream", "get", "68423085")
    assert r.returncode == 0 and ADMIN_TOKEN not in r.stdout + r.stderr


def test_tables_are_not_cut_when_stdout_is_not_a_terminal(
    api: Api, cli: CliRecorder, tmp_path: Path
) -> None:
    page = "https://example.com/" + "very-long-path-segment/" * 12 + "end"
    rows = tmp_path / "rows.csv"
    rows.write_text(HEADER + f"68423085,meeting,rtmp://a/b,k,{page},720p\n")
    r = cli.run(api, "livestream", "apply", str(rows), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert page in r.stdout, r.stdout
    r = cli.run(api, "livestream", "apply", str(rows), "--dry-run", "--json")
    assert page in r.stdout
