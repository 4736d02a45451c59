"""The one exception the server's services raise; a single handler renders it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from zoomlive.wire import errors as E
from zoomlive.wire.errors import OAuthErrorSpec, ZoomErrorSpec
from zoomlive.wire.models import FieldError


class ZoomProblem(Exception):
    """An error answer, in Zoom's terms: HTTP status, Zoom code and message."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        oauth_error: str | None = None,
    ) -> None:
        super().__init__(f"{status}/{code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors) if errors else None
        self.headers = dict(headers) if headers else {}
        #: Set for the token endpoint, which answers in OAuth's shape
        #: ``{"reason": message, "error": oauth_error}`` as Zoom's does.
        self.oauth_error = oauth_error

    @classmethod
    def of(
        cls,
        spec: ZoomErrorSpec,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        **values: object,
    ) -> ZoomProblem:
        status, code, message = spec.format(**values)
        return cls(status, code, message, errors=errors, headers=headers)

    @classmethod
    def oauth(cls, spec: OAuthErrorSpec) -> ZoomProblem:
        """A token-endpoint error, rendered in OAuth's shape."""
        return cls(spec.status, spec.status, spec.reason, oauth_error=spec.error)


def unavailable() -> ZoomProblem:
    """The answer when storage is unavailable (``StorageUnavailable``): Zoom's shape,
    503, retry after a second."""
    return ZoomProblem.of(E.SERVICE_UNAVAILABLE, headers={"Retry-After": "1"})
