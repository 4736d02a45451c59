"""Zoom's meeting operations as a Postman user runs them: newman runs the collection
that Postman's own OpenAPI import, ``openapi-to-postmanv2``, makes from Zoom's 2025
spec (``tests/data/zoom-openapi-subset.json``), against a real server (both tools
pinned in ``tests/e2e/contract/newman/package-lock.json``, installed by ``npm ci`` once
per lock file): create, get, list, update, end and delete, in that order, each
answered with its documented status (201, 200, 200, 204, 204, 204); every 200/201
body validates against that operation's 2025 schema and carries every field the
schema lists; the
create sent as form text (``formdata``, as Zoom's Postman collection sends it) lands
field by field, read back by GET.

Named differences from Zoom's published Postman collection, which lives on
postman.com, out of this machine's reach (no copy is stored):

- The collection is not Zoom's file but the one Postman's importer makes from Zoom's
  2025 spec, with two import options a user picks: ``parametersResolution=Example``
  (the spec's example values, not ``<string>`` placeholders) and
  ``enableOptionalParameters=false`` (optional query parameters unchecked).
- Zoom's 2025 spec lists only ``application/json`` for the create body, so the
  importer makes a raw JSON item. For the form run, a second conversion is made
  from a copy of the spec whose create body also lists ``multipart/form-data`` (the
  same schema; Zoom's API reference and its 2018 spec say both are accepted) with
  the importer's ``preferredRequestBodyType=form-data``: its create item is Zoom's
  collection's form, one text field per body field.
- The requests run as converted. What a Postman user sets is set from the run's
  environment (``--environment``), through a wrapper collection around the
  converted items: ``baseUrl``; the bearer token (collection auth, which the items
  inherit: the vendored extract has no security schemes); the path variables
  (``userId`` = ``me``, ``meetingId`` from the create's answer, captured by the
  wrapper's test script, ``newman/capture.js``); and, by the wrapper's pre-request
  script (``newman/fill.js``), the body values a user types in place of the
  converter's: ``body.<field>`` (JSON text for a raw body, text for a form field)
  and ``uncheck`` (form fields unticked). The JSON run sets one: the status item's
  example ``action`` is ``recover``; ``end`` is sent. The form run sets ``topic``,
  ``duration`` = 45, ``pre_schedule`` = true and the ``settings`` JSON (the importer
  writes ``[object Object]`` for an object; ``type`` is its example, 2), and unticks
  ``recurrence`` and ``tracking_fields`` (``[object Object]`` too; a type 2 meeting
  has no recurrence and the demo account no tracking fields).

zoomlive keeps a create's scalar fields and scalar ``settings``; the example body's
``settings`` objects and lists, ``schedule_for``, ``template_id`` and
``tracking_fields`` are accepted and not kept (docs/fidelity.md 12), so only scalars
are held to landing from the JSON run.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import jsonschema
import pytest

from tests.server.routes.test_errors import zoom_error
from tests.spec import answer_schema, load_spec, missing_fields, operation, resolve, spec_path
from tests.support import ROOT, Api, ServerProcess

TOOLS = ROOT / "tests" / "e2e" / "contract" / "newman"
BIN = TOOLS / "node_modules" / ".bin"
#: Where ``npm ci`` notes the lock file it installed (node_modules is git-ignored).
STAMP = TOOLS / "node_modules" / ".zoomlive-package-lock.sha256"
#: The wrapper's scripts: fill.js types in what a user sets, capture.js keeps the id.
FILL_JS = (TOOLS / "fill.js").read_text()
CAPTURE_JS = (TOOLS / "capture.js").read_text()
IMPORT = "parametersResolution=Example,enableOptionalParameters=false"

UM, MO, MS = "/users/{userId}/meetings", "/meetings/{meetingId}", "/meetings/{meetingId}/status"
#: The six items in the order run: (method, spec path, documented status).
STEPS = [
    ("POST", UM, 201), ("GET", MO, 200), ("GET", UM, 200),
    ("PATCH", MO, 204), ("PUT", MS, 204), ("DELETE", MO, 204),
]  # fmt: skip
FORM_STEPS = [("POST", UM, 201), ("GET", MO, 200), ("DELETE", MO, 204)]
#: What the form run types into the create's form fields, and what reads back.
FORM_SETTINGS = {"join_before_host": True, "jbh_time": 5, "host_video": True, "audio": "voip"}
FORM_FILL = {
    "body.topic": "Newman form",
    "body.duration": "45",
    "body.pre_schedule": "true",
    "body.settings": json.dumps(FORM_SETTINGS),
    "uncheck": "recurrence,tracking_fields",
}
#: Fields the 2025 schema lists that it also says are answered only sometimes.
CONDITIONAL = {
    # "Use this object only for a meeting with type `8`": the runs create type 2.
    "recurrence": "only for a meeting with type `8`",
    # "This field is only returned if PMI was used to schedule the meeting".
    "meetings.pmi": "only returned if PMI was used",
}


class Exchange(NamedTuple):
    """One request newman sent and its answer, from newman's JSON report."""

    method: str
    path: str
    body: dict[str, Any]  # the request body as newman sent it (Postman's shape)
    status: int
    answer: Any  # the JSON answer, or None for an empty one


# -- the tooling: npm ci once, cached in the folder ----------------------------------


@pytest.fixture(scope="session")
def tools() -> Path:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        if os.environ.get("ZOOMLIVE_REQUIRE_SERVICES") == "1":
            pytest.fail("node and npm are required here (apt-get install nodejs npm; .ci/run does)")
        pytest.skip("node/npm not installed (apt-get install nodejs npm)")
    digest = hashlib.sha256((TOOLS / "package-lock.json").read_bytes()).hexdigest()
    where = hashlib.sha256(str(TOOLS).encode()).hexdigest()[:12]
    with (Path(tempfile.gettempdir()) / f"zoomlive-npm-ci-{where}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one npm ci at a time in this folder
        if not (STAMP.exists() and STAMP.read_text() == digest):
            r = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=TOOLS, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            assert r.returncode == 0, r.stdout + r.stderr
            STAMP.write_text(digest)
    return BIN


# -- the server, the conversions and the runs ------------------------------------------


class Zoom(NamedTuple):
    api: Api
    token: str
    collection: dict[str, Any]  # the importer's collection of Zoom's spec
    form_collection: dict[str, Any]  # … of the spec whose create also lists form data


@pytest.fixture(scope="module")
def zoom(tools: Path) -> Iterator[Zoom]:
    """A real server on a SQLite file of its own, the demo seeded, a demo token, and
    both conversions (made while the server starts)."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = ServerProcess(str(Path(tmp) / "newman.db"), env={"ZOOMLIVE_RATE_LIMITS": "0"})
        srv.launch()
        try:
            spec = copy.deepcopy(load_spec())
            content = spec["paths"][UM]["post"]["requestBody"]["content"]
            content["multipart/form-data"] = content["application/json"]
            (Path(tmp) / "form-spec.json").write_text(json.dumps(spec))
            collection, form_collection = convert(
                tools,
                [(spec_path(), Path(tmp) / "zoom.postman.json", IMPORT),
                 (Path(tmp) / "form-spec.json", Path(tmp) / "form.postman.json",
                  f"{IMPORT},preferredRequestBodyType=form-data")],
            )  # fmt: skip
            srv.wait_ready()
            with httpx.Client(timeout=10) as http:
                api = Api(srv.base_url, http)
                api.admin("POST", "/reset", {"demo": True})
                yield Zoom(api, api.token(), collection, form_collection)
        finally:
            srv.stop()


def convert(bin_dir: Path, jobs: list[tuple[Path, Path, str]]) -> list[dict[str, Any]]:
    """Postman's importer, from its CLI, on each (spec, output, options) at once: the
    collections it makes."""
    procs = [
        subprocess.Popen(
            [str(bin_dir / "openapi2postmanv2"), "-s", str(spec), "-o", str(out), "-O", options],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for spec, out, options in jobs
    ]
    collections: list[dict[str, Any]] = []
    for proc, (_, out, _) in zip(procs, jobs, strict=True):
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.exists(), output
        collections.append(json.loads(out.read_text()))
    return collections


def items(collection: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The collection's requests by (method, spec path), through its folders."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    todo = list(collection["item"])
    while todo:
        node = todo.pop()
        if "item" in node:
            todo.extend(node["item"])
            continue
        request = node["request"]
        segments = ["{" + s[1:] + "}" if s.startswith(":") else s for s in request["url"]["path"]]
        found[(request["method"], "/" + "/".join(segments))] = node
    return found


def wrapped(collection: dict[str, Any], steps: list[tuple[str, str, int]]) -> dict[str, Any]:
    """The converted items of ``steps``, in that order and untouched, in a collection
    that adds what a user sets: bearer auth, the fill-in script, the id capture."""
    by_key = items(collection)
    script = [
        {"listen": listen, "script": {"type": "text/javascript", "exec": code.splitlines()}}
        for listen, code in [("prerequest", FILL_JS), ("test", CAPTURE_JS)]
    ]
    return {
        "info": {**collection["info"], "name": f"{collection['info']['name']} (newman run)"},
        "variable": collection["variable"],
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{bearerToken}}", "type": "string"}],
        },
        "event": script,
        "item": [copy.deepcopy(by_key[(method, path)]) for method, path, _ in steps],
    }


def newman(bin_dir: Path, collection: dict[str, Any], env: dict[str, str]) -> list[Exchange]:
    """``newman run`` with ``env`` as its environment; each exchange, in order."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "collection.json").write_text(json.dumps(collection))
        values = [{"key": k, "value": v, "enabled": True} for k, v in env.items()]
        (tmp / "environment.json").write_text(json.dumps({"name": "zoomlive", "values": values}))
        report = tmp / "report.json"
        r = subprocess.run(
            [str(bin_dir / "newman"), "run", str(tmp / "collection.json"),
             "--environment", str(tmp / "environment.json"), "--color", "off",
             "--reporters", "cli,json", "--reporter-json-export", str(report)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
        run = json.loads(report.read_text())["run"]
    assert run["failures"] == [] and not run.get("error"), r.stdout[-6000:]
    out = []
    for ex in run["executions"]:
        request, response = ex["request"], ex["response"]
        text = bytes(response.get("stream", {}).get("data", [])).decode()
        out.append(
            Exchange(
                request["method"], "/" + "/".join(request["url"]["path"]),
                request.get("body") or {}, response["code"], json.loads(text) if text else None,
            )
        )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def json_run(tools: Path, zoom: Zoom) -> list[Exchange]:
    """The six items of the importer's collection of Zoom's spec, run by newman."""
    env = {"baseUrl": f"{zoom.api.base_url}/v2", "bearerToken": zoom.token, "userId": "me",
           "body.action": json.dumps("end")}  # fmt: skip
    return newman(tools, wrapped(zoom.collection, STEPS), env)


@pytest.fixture(scope="module")
def form_run(tools: Path, zoom: Zoom) -> list[Exchange]:
    """Create (as form data), get and delete, from the second conversion."""
    env = {"baseUrl": f"{zoom.api.base_url}/v2", "bearerToken": zoom.token, "userId": "me",
           **FORM_FILL}  # fmt: skip
    return newman(tools, wrapped(zoom.form_collection, FORM_STEPS), env)


# -- checks ------------------------------------------------------------------------------


def check_answer(path: str, method: str, status: int, answer: Any) -> list[str]:
    """Validate ``answer`` against the 2025 schema; the fields it lists that
    ``answer`` lacks, less those the schema says are answered only sometimes."""
    full = answer_schema(path, method.lower(), str(status))
    jsonschema.validate(answer, full)
    components = full["components"]
    missing = missing_fields(answer, full, components)
    for name, sub in resolve(full, components).get("properties", {}).items():
        sub = resolve(sub, components)
        if sub.get("type") == "array" and isinstance(answer.get(name), list):
            for entry in answer[name]:
                missing += [f"{name}.{m}" for m in missing_fields(entry, sub["items"], components)]
    return sorted(set(missing) - set(CONDITIONAL))


def test_conditional_fields_are_so_by_zoom_schema() -> None:
    """The fields excused above are excused by the 2025 schema's own words."""
    components = load_spec()["components"]
    for path, method, status in [(UM, "post", "201"), (MO, "get", "200")]:
        answer = resolve(answer_schema(path, method, status), components)
        recurrence = resolve(answer["properties"]["recurrence"], components)
        assert CONDITIONAL["recurrence"] in recurrence["description"]
    listed = resolve(answer_schema(UM, "get", "200"), components)
    entry = resolve(listed["properties"]["meetings"]["items"], components)
    assert CONDITIONAL["meetings.pmi"] in entry["properties"]["pmi"]["description"]


def test_newman_runs_zooms_items_in_order_with_their_documented_statuses(
    json_run: list[Exchange], zoom: Zoom
) -> None:
    run = json_run
    assert [(x.method, x.status) for x in run] == [(m, s) for m, _, s in STEPS]
    created = run[0].answer
    mid = created["id"]
    paths = [p.replace("{userId}", "me").replace("{meetingId}", str(mid)) for _, p, _ in STEPS]
    assert [x.path for x in run] == [f"/v2{p}" for p in paths]
    # Each request is the converter's, as sent: the create's body its example body,
    # the end its body with the typed ``action``.
    converted = items(zoom.collection)
    assert run[0].body["raw"] == converted[("POST", UM)]["request"]["body"]["raw"]
    assert json.loads(run[4].body["raw"]) == {"action": "end"}
    assert json.loads(converted[("PUT", MS)]["request"]["body"]["raw"]) == {"action": "recover"}
    assert mid in [m["id"] for m in run[2].answer["meetings"]]
    r = zoom.api.call("GET", f"/meetings/{mid}", zoom.token)
    zoom_error(r, 404, 3001, f"Meeting does not exist: {mid}.")


def test_every_200_201_body_validates_and_carries_every_field_of_zoom_schema(
    json_run: list[Exchange], form_run: list[Exchange]
) -> None:
    answered = list(zip(json_run, STEPS, strict=True))
    answered += list(zip(form_run, FORM_STEPS, strict=True))
    seen = 0
    for x, (method, path, status) in answered:
        if status not in (200, 201):
            assert x.answer is None, x
            continue
        seen += 1
        if (method, path) == ("GET", UM):
            continue  # test_the_list_carries_every_field_of_zoom_schema
        assert check_answer(path, method, status, x.answer) == [], (method, path)
        assert x.answer["creation_source"] == "open_api"
    assert seen == 5


def test_the_list_carries_every_field_of_zoom_schema(json_run: list[Exchange]) -> None:
    listed = json_run[2]
    assert check_answer(UM, "GET", 200, listed.answer) == []
    assert listed.answer["page_number"] == 1


def test_the_json_create_scalars_land(json_run: list[Exchange]) -> None:
    """Every scalar of the converter's example body, top level and ``settings``,
    that the get schema lists, reads back as sent."""
    sent = json.loads(json_run[0].body["raw"])
    got = json_run[1].answer
    listed = resolve(answer_schema(MO, "get", "200"), load_spec()["components"])["properties"]
    scalar = (str, int, float, bool)
    top = {k: v for k, v in sent.items() if isinstance(v, scalar) and k in listed}
    settings = {k: v for k, v in sent["settings"].items() if isinstance(v, scalar)}
    assert len(top) >= 8 and len(settings) >= 40, (top, settings)
    assert {k: got[k] for k in top} == top
    assert {k: got["settings"].get(k) for k in settings} == settings


def test_the_create_sent_as_form_text_lands(form_run: list[Exchange], zoom: Zoom) -> None:
    run = form_run
    converted = items(zoom.form_collection)[("POST", UM)]["request"]
    assert converted["body"]["mode"] == "formdata"
    create, got, _ = run
    assert [x.status for x in run] == [201, 200, 204]
    assert create.body["mode"] == "formdata"
    sent = {p["key"]: p["value"] for p in create.body["formdata"] if not p.get("disabled")}
    unticked = {p["key"] for p in create.body["formdata"] if p.get("disabled")}
    assert unticked == {"recurrence", "tracking_fields"}
    assert all(p["type"] == "text" for p in create.body["formdata"])
    # The typed values went as text; the others are the converter's examples.
    assert sent["topic"] == "Newman form" and sent["type"] == "2" and sent["duration"] == "45"
    assert sent["pre_schedule"] == "true" and json.loads(sent["settings"]) == FORM_SETTINGS
    # Each field reads back as its schema type says; request-only ones cannot.
    components = load_spec()["components"]
    body_schema = operation(UM, "post")["requestBody"]["content"]["application/json"]["schema"]
    types = {k: resolve(v, components).get("type") for k, v in
             resolve(body_schema, components)["properties"].items()}  # fmt: skip
    listed = resolve(answer_schema(MO, "get", "200"), components)["properties"]
    expect = {k: _typed(v, types[k]) for k, v in sent.items() if k in listed}
    assert set(sent) - set(expect) == {"default_password", "schedule_for", "template_id"}
    assert expect["type"] == 2 and expect["duration"] == 45 and expect["pre_schedule"] is True
    for answer in (create.answer, got.answer):
        assert {k: answer[k] for k in expect if k != "settings"} == {
            k: v for k, v in expect.items() if k != "settings"
        }
        assert {k: answer["settings"][k] for k in FORM_SETTINGS} == FORM_SETTINGS


def _typed(text: str, kind: str | None) -> Any:
    """Form text as the value its schema type names."""
    if kind == "integer":
        return int(text)
    if kind == "boolean":
        return {"true": True, "false": False}[text]
    if kind in ("object", "array"):
        return json.loads(text)
    return text
