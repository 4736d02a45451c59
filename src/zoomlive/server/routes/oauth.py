"""``POST /oauth/token``: the account_credentials grant (Decision 7)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.handlers import HTTPRouteHandler

from zoomlive.server.middleware import request_info
from zoomlive.server.rendering import JSON_TYPE
from zoomlive.server.runtime import Runtime
from zoomlive.wire.paths import TOKEN_PATH


def oauth_handlers(rt: Runtime) -> list[HTTPRouteHandler]:
    @post(TOKEN_PATH, status_code=200, tags=["OAuth"], operation_id="oauthToken")
    async def token(request: Request[Any, Any, Any]) -> Response[bytes]:
        fields: dict[str, Any] = dict(request.query_params)
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            fields.update({k: v for k, v in form.items() if isinstance(v, str)})
        api_url = rt.settings.public_url or str(request.base_url).rstrip("/")
        issued, client_id = await rt.auth.issue_token(
            request.headers.get("authorization"),
            _str(fields.get("grant_type")),
            _str(fields.get("account_id")),
            api_url,
        )
        info = request_info(request.scope)
        info.client_id = client_id
        return Response(
            msgspec.json.encode(issued),
            media_type=JSON_TYPE,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    return [token]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
