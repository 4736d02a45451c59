"""API docs that work with no network, and an OpenAPI document that says what the
Zoom routes really do.

Swagger UI's files come from the ``swagger-ui-py`` package on PyPI (Swagger UI 5, which
reads OpenAPI 3.1) and are served
from ``/_zoomlive/ui/static/swagger``: no CDN. Litestar documents the six live stream
operations, the twelve meeting and webinar operations and ``/oauth/token`` from
handlers that take a raw ``Request`` (they read bodies themselves, as Zoom does:
Decision 1), so its generated entries say ``200 string`` with no body.
``zoom_operations`` replaces every one of them, in the document Litestar serves, from
the route tables (``wire.paths``, ``wire.meetings``) with what the server does: 201 for
a create, 204 for the PATCHes, PUTs and DELETEs, JSON and multipart bodies, Zoom's
``{code, message, errors}`` for each error status, OAuth's ``{reason, error}`` on the
token endpoint, and bearer and client-credentials security with each operation's
scopes. The schemas come from the wire models the client and server share
(``msgspec``) and from the generated tables of Zoom's 2025 schema
(``wire.zoom_fields``: every field of the meeting and webinar objects and bodies), so
they cannot drift from the code.
"""

from __future__ import annotations

import copy
import html
import importlib.util
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from zoomlive.server.settings import ServerSettings
from zoomlive.wire import meetings as mt
from zoomlive.wire import models as m
from zoomlive.wire import users as wu
from zoomlive.wire.dist import install_hint, version
from zoomlive.wire.models import (
    ErrorBody,
    LiveStream,
    LiveStreamStatusUpdate,
    LiveStreamUpdate,
    OAuthError,
    TokenResponse,
)
from zoomlive.wire.paths import LIVESTREAM_ROUTES, TOKEN_PATH, Kind, Operation
from zoomlive.wire.ratelimit import LIVESTREAM_LABEL
from zoomlive.wire.scopes import accepted_scopes

STATIC = "/_zoomlive/ui/static"
#: Marks the document once ``zoom_operations`` has run on it.
CORRECTED = "x-zoomlive-corrected"
SWAGGER = f"{STATIC}/swagger"
DOCS = "/_zoomlive/docs"
MANUAL = "/_zoomlive/manual"
#: Where ``mkdocs build`` writes the documentation site in a clone (this file is
#: ``src/zoomlive/server/ui/docs.py``); an installed wheel has none.
CLONE_SITE = Path(__file__).resolve().parents[4] / "site"

#: Statuses each kind of operation answers with Zoom's error body (README, errors).
#: 413 and 415 only come with a body; 500 is a server fault, 503 storage unavailable.
GET_ERRORS = (400, 401, 404, 429, 500, 503)
PATCH_ERRORS = (400, 401, 404, 413, 415, 429, 500, 503)
TOKEN_ERRORS = (400, 401, 429)
#: The meeting operations: those with a body can also answer 413 and 415.
MEETING_ERRORS = {
    mt.Op.CREATE: PATCH_ERRORS, mt.Op.LIST: GET_ERRORS, mt.Op.GET: GET_ERRORS,
    mt.Op.UPDATE: PATCH_ERRORS, mt.Op.DELETE: GET_ERRORS, mt.Op.STATUS: PATCH_ERRORS,
}  # fmt: skip

_SCHEMA_NAMES = {
    LiveStream: "LiveStream",
    LiveStreamUpdate: "LiveStreamUpdate",
    LiveStreamStatusUpdate: "LiveStreamStatusUpdate",
    ErrorBody: "ZoomError",
    TokenResponse: "TokenResponse",
    OAuthError: "OAuthError",
}


def swagger_assets() -> Path:
    """Swagger UI 5's files as the ``swagger-ui-py`` package ships them (found, not
    imported: its Python side is for other frameworks)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"swagger-ui-py is not installed; {install_hint('server')}")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def manual_dir(settings: ServerSettings) -> Path | None:
    """The built documentation site to serve offline at ``/_zoomlive/manual``, if any."""
    site = Path(settings.manual_dir) if settings.manual_dir else CLONE_SITE
    return site if (site / "index.html").is_file() else None


def static_routers(settings: ServerSettings) -> list[Router]:
    ours = Path(__file__).parent / "static"
    swagger = swagger_assets()
    manual = manual_dir(settings)
    site = [] if manual is None else [
        create_static_files_router(MANUAL, directories=[manual], html_mode=True,
                                   include_in_schema=False, name="manual"),
    ]  # fmt: skip
    return [
        *site,
        create_static_files_router(SWAGGER, directories=[swagger], include_in_schema=False,
                                   name="swagger-assets"),
        create_static_files_router(STATIC, directories=[ours], include_in_schema=False,
                                   name="ui-assets"),
    ]  # fmt: skip


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="zoomlive",
        version=version(),
        description=(
            "A Zoom-compatible API (the /v2 meeting, webinar and live stream operations and "
            "/oauth/token) plus the /_zoomlive control API for seeding, inspecting and "
            "resetting the emulator. Control routes need `Authorization: Bearer <admin token>`."
        ),
        path=DOCS,
        render_plugins=[
            ZoomSwagger(
                js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                css_url=f"{SWAGGER}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
                path="/swagger",
                favicon=f'<link rel="icon" type="image/png" href="{SWAGGER}/favicon-32x32.png">',
            ),
            ZoomJson(),
        ],
    )


def _schemas() -> dict[str, Any]:
    types = list(_SCHEMA_NAMES)
    _, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    renamed = {}
    names = {t.__name__: n for t, n in _SCHEMA_NAMES.items()}
    for name, schema in components.items():
        renamed[names.get(name, name)] = schema
    text = msgspec.json.encode(renamed).decode()
    for old, new in names.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    result: dict[str, Any] = msgspec.json.decode(text)
    return _refine(result)


def _refine(schemas: dict[str, Any]) -> dict[str, Any]:
    """Add what ``wire.validate`` enforces and the structs do not say: lengths, the URI
    format, string enums; and the webinar status body (``start``/``stop`` only, no
    ``layout``: README, Decision 2)."""
    props = schemas["LiveStreamUpdate"]["properties"]
    props["stream_url"]["maxLength"] = m.STREAM_URL_MAX
    props["stream_key"]["maxLength"] = m.STREAM_KEY_MAX
    props["page_url"].update(maxLength=m.PAGE_URL_MAX, format="uri")
    props["resolution"]["type"] = "string"
    settings = schemas["LiveStreamSettings"]["properties"]
    settings["display_name"].update(minLength=m.DISPLAY_NAME_MIN, maxLength=m.DISPLAY_NAME_MAX)
    settings["layout"]["type"] = settings["close_caption"]["type"] = "string"
    schemas["LiveStreamStatusUpdate"]["properties"]["action"]["type"] = "string"
    webinar_settings = copy.deepcopy(schemas["LiveStreamSettings"])
    del webinar_settings["properties"]["layout"]
    schemas["WebinarLiveStreamSettings"] = webinar_settings
    webinar = copy.deepcopy(schemas["LiveStreamStatusUpdate"])
    webinar["properties"]["action"]["enum"] = list(m.WEBINAR_ACTIONS)
    webinar["properties"]["settings"] = _ref("WebinarLiveStreamSettings")
    schemas["WebinarLiveStreamStatusUpdate"] = webinar
    return schemas


def _of_value(value: Any) -> dict[str, Any]:
    """A JSON Schema for a default value of Zoom's object (``wire.zoom_fields``)."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array", "items": _of_value(value[0]) if value else {}}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: _of_value(v) for k, v in value.items()}}
    return {}


#: The object fields every answer holds (zoomlive's own state of the meeting).
_OBJECT_REQUIRED = ("id", "uuid", "host_id", "topic", "type", "start_time", "duration",
                    "timezone", "created_at", "join_url", "settings")  # fmt: skip


def _meeting_schemas() -> dict[str, Any]:
    """The meeting and webinar objects, bodies and lists: every field of Zoom's 2025
    schema, typed from its defaults and its body types (generated tables)."""
    out: dict[str, Any] = {}
    for kind in Kind:
        name = kind.value.capitalize()
        obj = _of_value(mt.OBJECT_DEFAULTS[kind])
        obj["required"] = list(_OBJECT_REQUIRED)
        obj["description"] = f"A {kind.value} as Zoom's create and get answer it."
        out[name] = obj
        body = {"type": "object", "properties": {
            k: {"type": t} for k, t in mt.BODY_TYPES[kind].items()}}  # fmt: skip
        body["description"] = (
            f"A {kind.value}'s fields (create and update); a form sends each as text, "
            "read by its type, and ``settings`` as JSON text."
        )
        out[f"{name}Body"] = body
        actions = list(mt.STATUS_ACTIONS[kind])
        out[f"{name}Status"] = {
            "type": "object",
            "properties": {
                "action": {"type": "string", "enum": actions},
                "status": {"type": "string", "enum": actions,
                           "description": "Zoom's earlier name for action (Decision 17)."},
            },
        }  # fmt: skip
    _, lists = msgspec.json.schema_components(
        [mt.MeetingList, wu.UserObject, wu.UserList], ref_template="#/components/schemas/{name}"
    )
    out.update(lists)
    return out


def _user_operation(route: wu.UserRoute) -> dict[str, Any]:
    get = route.op is wu.UserOp.GET
    schema = "UserObject" if get else "UserList"
    found: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": "Get a user" if get else "List users",
        "tags": ["Zoom users API"],
        "security": [{"bearer": []}, {"oauth": sorted(route.accepted_scopes())}],
        "parameters": [_path_param("userId")] if get else [
            {"name": "page_size", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "default": mt.PAGE_SIZE_DEFAULT}},
            {"name": "next_page_token", "in": "query", "required": False,
             "schema": {"type": "string"}},
        ],
        "responses": {
            "200": {"description": "The user" if get else "A page of the account's users",
                    "content": {"application/json": {"schema": _ref(schema)}}},
            **_errors(GET_ERRORS),
        },
        "x-zoom-rate-limit-label": route.label.value,
    }  # fmt: skip
    return found


def _meeting_operation(route: mt.MeetingRoute) -> dict[str, Any]:
    name = route.kind.value.capitalize()
    op = route.op
    responses: dict[str, Any]
    if op is mt.Op.CREATE:
        responses = {
            "201": {
                "description": f"The {route.kind.value} created",
                "content": {"application/json": {"schema": _ref(name)}},
            }
        }
    elif op is mt.Op.GET:
        responses = {
            "200": {
                "description": f"The {route.kind.value}",
                "content": {"application/json": {"schema": _ref(name)}},
            }
        }
    elif op is mt.Op.LIST:
        responses = {
            "200": {
                "description": "A page of the user's " + route.kind.collection,
                "content": {"application/json": {"schema": _ref("MeetingList")}},
            }
        }
    else:
        responses = {"204": {"description": "Done (no content)"}}
    found: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": MEETING_SUMMARIES[op].format(kind=route.kind.value),
        "tags": ["Zoom meetings and webinars API"],
        "security": [{"bearer": []}, {"oauth": sorted(route.accepted_scopes())}],
        "parameters": [_path_param("userId" if op.on_user else route.kind.id_param)],
        "responses": {**responses, **_errors(MEETING_ERRORS[op])},
        "x-zoom-rate-limit-label": route.label.value,
    }
    if op is mt.Op.LIST:
        found["parameters"] += [
            {"name": "page_size", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "default": mt.PAGE_SIZE_DEFAULT},
             "description": f"At most {mt.PAGE_SIZE_MAX} (more is taken as {mt.PAGE_SIZE_MAX})."},
            {"name": "next_page_token", "in": "query", "required": False,
             "schema": {"type": "string"}},
        ]  # fmt: skip
    if op in (mt.Op.CREATE, mt.Op.UPDATE):
        found["requestBody"] = _body(f"{name}Body")
    elif op is mt.Op.STATUS:
        found["requestBody"] = _body(f"{name}Status")
    return found


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(statuses: tuple[int, ...], schema: str = "ZoomError") -> dict[str, Any]:
    return {
        str(s): {
            "description": f"{s}: an error in {schema}'s shape (the `code` names the rule)",
            "content": {"application/json": {"schema": _ref(schema)}},
        }
        for s in statuses
    }


def _body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {"schema": _ref(schema)},
            "multipart/form-data": {"schema": _ref(schema)},
        },
    }


#: Zoom's own summaries for the operations (its API reference).
SUMMARIES = {
    Operation.GET: "Get {kind} livestream details",
    Operation.UPDATE: "Update a {kind} livestream",
    Operation.STATUS: "Update a {kind} livestream's status",
}

#: Zoom's own summaries for the meeting and webinar operations (its API reference).
MEETING_SUMMARIES = {
    mt.Op.CREATE: "Create a {kind}", mt.Op.LIST: "List {kind}s", mt.Op.GET: "Get a {kind}",
    mt.Op.UPDATE: "Update a {kind}", mt.Op.DELETE: "Delete a {kind}",
    mt.Op.STATUS: "Update {kind} status",
}  # fmt: skip

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "An access token from POST /oauth/token."},
    "oauth": {"type": "oauth2", "flows": {"clientCredentials": {
        "tokenUrl": TOKEN_PATH, "scopes": {}}}},
    "basic": {"type": "http", "scheme": "basic",
              "description": "The app's client id and client secret (token endpoint)."},
}  # fmt: skip


def zoom_operations(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite, in place, the Zoom routes' entries of Litestar's document."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(_schemas())
    components["schemas"].update(_meeting_schemas())
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    paths = document.setdefault("paths", {})
    for meeting_route in mt.MEETING_ROUTES:
        item = paths.setdefault(meeting_route.template(), {})
        item[meeting_route.method.lower()] = _meeting_operation(meeting_route)
    for user_route in wu.USER_ROUTES:
        item = paths.setdefault(user_route.template(), {})
        item[user_route.method.lower()] = _user_operation(user_route)
    for route in LIVESTREAM_ROUTES:
        item = paths.setdefault(route.template(), {})
        op = item.setdefault(route.method.lower(), {})
        op["operationId"] = route.operation_id
        op["tags"] = ["Zoom live stream API"]
        op["parameters"] = [_path_param(route.kind.id_param)]
        op["x-zoom-rate-limit-label"] = LIVESTREAM_LABEL.value
        scopes = sorted(accepted_scopes(route.kind, route.op))
        op["security"] = [{"bearer": []}, {"oauth": scopes}]
        op["summary"] = SUMMARIES[route.op].format(kind=route.kind.value)
        op.pop("requestBody", None)
        if route.op is Operation.GET:
            op["responses"] = {
                "200": {"description": "The live stream's configuration",
                        "content": {"application/json": {"schema": _ref("LiveStream")}}},
                **_errors(GET_ERRORS),
            }  # fmt: skip
        else:
            name = "LiveStreamUpdate" if route.op is Operation.UPDATE else "LiveStreamStatusUpdate"
            if route.op is Operation.STATUS and route.kind is Kind.WEBINAR:
                name = "WebinarLiveStreamStatusUpdate"
            op["requestBody"] = _body(name)
            op["responses"] = {"204": {"description": "Updated (no content)"},
                               **_errors(PATCH_ERRORS)}  # fmt: skip
    token = paths.get(TOKEN_PATH, {}).get("post")
    if token is not None:
        token["security"] = [{"basic": []}]
        token["summary"] = "Get an access token (Server-to-Server OAuth, account credentials)"
        token["parameters"] = []
        form = {
            "type": "object",
            "required": ["grant_type", "account_id"],
            "properties": {
                "grant_type": {"type": "string", "enum": ["account_credentials"]},
                "account_id": {"type": "string"},
            },
        }
        token["requestBody"] = {
            "required": True,
            "content": {
                ctype: {"schema": form}
                for ctype in ("application/x-www-form-urlencoded", "multipart/form-data")
            },
        }
        token["responses"] = {
            "200": {"description": "An access token",
                    "content": {"application/json": {"schema": _ref("TokenResponse")}}},
            **_errors(TOKEN_ERRORS, "OAuthError"),
        }  # fmt: skip
    return document


CONTROL = "/_zoomlive/"
#: What the control API answers besides its success: a bad value (400, naming the
#: field), no or a wrong admin token (401), no such record (404), one that exists
#: (409, a create), a body past its bound (413).
CONTROL_ERRORS = {
    "400": "A bad value: `errors` names the field (Decision 2)",
    "401": "No admin token, or a wrong one (`Authorization: Bearer <admin token>`)",
    "404": "No such record",
    "409": "A record with this id exists; nothing was changed",
    "413": "The body is larger than this route takes",
}


def control_operations(document: dict[str, Any]) -> dict[str, Any]:
    """The control API's entries say what it answers for errors: Zoom's shape,
    ``{code, message, errors}``, not Litestar's ``{status_code, detail, extra}``."""
    for path, item in document.get("paths", {}).items():
        if not path.startswith(CONTROL) or path.startswith((DOCS, MANUAL, STATIC)):
            continue
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            statuses = {"400", "401"} if path != f"{CONTROL}health" else set()
            if "{" in path:
                statuses.add("404")
            if method == "post" and op["responses"].keys() & {"201"}:
                statuses.add("409")
            if method in ("post", "put", "patch"):
                statuses.add("413")
            for status in sorted(statuses | {k for k in op["responses"] if k.startswith("4")}):
                op["responses"][status] = {
                    "description": CONTROL_ERRORS.get(status, "An error"),
                    "content": {"application/json": {"schema": _ref("ZoomError")}},
                }
    return document


def corrected(schema: dict[str, Any]) -> dict[str, Any]:
    """Litestar's document with the Zoom routes and the control API's errors corrected
    (in place, once)."""
    if not schema.get(CORRECTED):
        zoom_operations(schema)
        control_operations(schema)
        schema[CORRECTED] = True
    return schema


class ZoomSwagger(SwaggerRenderPlugin):
    """Swagger UI over the corrected document (``ZoomJson`` serves it; Litestar builds
    it on first use and keeps it, so building an app costs nothing more).

    The page holds no inline script or style, unlike Litestar's (which inlines the
    document and its start-up): ``ui/static/docs.js`` starts Swagger UI on
    ``openapi.json``, so the page runs under the server's Content-Security-Policy
    (``middleware.CONTENT_SECURITY_POLICY``, ``script-src 'self'``)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        return (
            f"<!DOCTYPE html><html><head><title>{title}</title>{self.favicon}"
            '<meta charset="utf-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link href="{self.css_url}" rel="stylesheet">'
            f'<script src="{self.js_url}"></script>'
            f'<script src="{self.standalone_preset_js_url}"></script>'
            f'<script src="{STATIC}/docs.js" defer></script></head>'
            f'<body><div id="swagger-container" data-spec="{DOCS}/openapi.json"></div>'
            "</body></html>"
        ).encode()


class ZoomJson(JsonRenderPlugin):
    """``openapi.json``: the corrected document."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, corrected(openapi_schema))


def document(app: Litestar) -> dict[str, Any]:
    """The OpenAPI document the server serves."""
    return corrected(app.plugins.get(OpenAPIPlugin).provide_openapi_schema())
