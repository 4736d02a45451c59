"""The client's exceptions. One tree::

ZoomError
 ├── TransportError            the request never got an answer (connect, timeout, …)
 └── ZoomAPIError              Zoom answered with an error (status, code, message,
      │                        tracking_id, headers, errors)
      ├── AuthenticationError  401 (code 124), or the token endpoint refused the app
      ├── PermissionDenied     400/4711 missing scope, 403
      ├── NotFound             404 (code 3001, 1001)
      ├── ValidationError      other 4xx: bad id, bad body, licence and state rules
      ├── RateLimitExceeded    429 (retry_after: seconds to wait, or None)
      └── ServerError          5xx
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from zoomlive.wire.models import FieldError
from zoomlive.wire.ratelimit import HEADER_TYPE


class ZoomError(Exception):
    """Base of every error this library raises."""


class TransportError(ZoomError):
    """No HTTP answer: connection refused, reset, timed out."""


class ZoomAPIError(ZoomError):
    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        *,
        tracking_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(f"HTTP {status}, code {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.tracking_id = tracking_id
        self.headers = dict(headers or {})
        self.errors = list(errors)


class AuthenticationError(ZoomAPIError):
    pass


class PermissionDenied(ZoomAPIError):
    pass


class NotFound(ZoomAPIError):
    pass


class ValidationError(ZoomAPIError):
    pass


class RateLimitExceeded(ZoomAPIError):
    def __init__(self, *args: object, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        #: Seconds until a retry may succeed (for the daily limit: until UTC midnight).
        self.retry_after = retry_after
        self.limit_type = self.headers.get(HEADER_TYPE.lower())


class ServerError(ZoomAPIError):
    pass
