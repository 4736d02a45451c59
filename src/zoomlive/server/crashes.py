"""Unexpected errors: one redacted traceback in the log, one Zoom-shaped 500 on the wire.

A crash answers ``{"code": 500, "message": "Internal server error."}`` with the
request's ``x-zm-trackingid``, whichever front door it happened behind, and its
traceback is logged once, with the tracking id so the two can be matched. Secrets
must never reach the log (the README's promise): the request's Authorization value
and query string are removed verbatim, and anything shaped like a credential
(``Bearer …``/``Basic …``, ``access_token=…``, ``stream_key``, ``client_secret``,
SQL parameters) is masked wherever it appears in the text.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable

REDACTED = "[redacted]"

_PATTERNS = (
    # Authorization schemes and their credentials.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s'\",;)}\]]+"), rf"\1\2{REDACTED}"),
    # name=value / "name": "value" for names that hold secrets.
    (
        re.compile(
            r"(?i)((?:access_token|refresh_token|token|stream_key|client_secret|secret|password"
            r"|authorization)['\"]?\s*[:=]\s*['\"]?)"
            r"(?!(?:bearer|basic)\s|\[redacted\])[^'\"\s,&;?)}\]]+"
        ),
        rf"\1{REDACTED}",
    ),
    # SQLAlchemy appends the statement's parameters to its errors: stream keys live there.
    (re.compile(r"\[parameters: .*"), f"[parameters: {REDACTED}]"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secret values and without credential-shaped parts."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def request_secrets(headers: Iterable[tuple[bytes, bytes]], query_string: bytes) -> list[str]:
    """The values of a request that may be secret: Authorization and the query."""
    found = [v.decode("latin-1") for k, v in headers if k == b"authorization"]
    found.extend(part.split(" ", 1)[-1] for part in list(found))  # the token alone
    if query_string:
        found.append(query_string.decode("latin-1"))
        found.extend(p.partition("=")[2] for p in query_string.decode("latin-1").split("&"))
    return found


def log_crash(
    log: logging.Logger,
    method: str,
    path: str,
    tracking_id: str,
    exc: BaseException,
    secrets: Iterable[str] = (),
) -> None:
    """Log ``exc`` with its traceback, once, redacted."""
    text = "".join(traceback.format_exception(exc))
    log.error(
        "unhandled error on %s %s (tracking id %s):\n%s",
        method,
        redact(path, secrets),
        tracking_id,
        redact(text, secrets).rstrip(),
    )
