"""Zoom's error catalogue for the live stream endpoints: HTTP status, code, message.

Each entry is a ``ZoomErrorSpec``; ``spec.format(**values)`` fills the template.
The texts are Zoom's own (see shared/reference/zoom-facts.md, §1.5 and the
Decisions); where Zoom is silent the choice is ours and the README lists it.
"""

from __future__ import annotations

from typing import NamedTuple

from zoomlive.wire.paths import Kind


class ZoomErrorSpec(NamedTuple):
    status: int
    code: int
    message: str

    def format(self, **values: object) -> tuple[int, int, str]:
        return self.status, self.code, self.message.format(**values)


# Request shape
UNSUPPORTED_CONTENT_TYPE = ZoomErrorSpec(415, 300, "Unsupported Content Type")
INVALID_JSON = ZoomErrorSpec(400, 300, "Request Body should be a valid JSON object.")
VALIDATION_FAILED = ZoomErrorSpec(400, 300, "Validation Failed.")
BODY_TOO_LARGE = ZoomErrorSpec(413, 300, "Request Entity Too Large.")
NOT_FOUND_PATH = ZoomErrorSpec(404, 300, "The requested resource was not found.")
METHOD_NOT_ALLOWED = ZoomErrorSpec(405, 300, "Method not allowed.")
INTERNAL = ZoomErrorSpec(500, 500, "Internal server error.")
#: zoomlive's choice (Zoom documents no 503 here): a dependency is down, or a write's
#: outcome is unknown; the request may be retried (README, "When Redis or PostgreSQL
#: fails").
SERVICE_UNAVAILABLE = ZoomErrorSpec(
    503, 503, "Service temporarily unavailable. Please try again later."
)

# Ids
INVALID_MEETING_ID = ZoomErrorSpec(400, 300, "Invalid meeting ID.")
INVALID_WEBINAR_ID = ZoomErrorSpec(400, 300, "Invalid webinar ID.")
MEETING_NOT_FOUND = ZoomErrorSpec(404, 3001, "Meeting does not exist: {id}.")
WEBINAR_NOT_FOUND = ZoomErrorSpec(404, 3001, "Webinar does not exist: {id}.")

# Hosts, licences, account
USER_NOT_EXIST = ZoomErrorSpec(404, 1001, "User {user_id} does not exist.")
WEBINAR_HOST_NOT_EXIST = ZoomErrorSpec(400, 1001, "User does not exist: {user_id}.")
USER_NOT_IN_ACCOUNT = ZoomErrorSpec(
    400, 1010, "User does not belong to this account: {account_id}."
)
PAID_USER_ONLY = ZoomErrorSpec(400, 200, "Only available for Paid user: {user_id}.")
HOSTING_NOT_ALLOWED = ZoomErrorSpec(
    400, 3161, "Meeting hosting and scheduling capabilities are not allowed for your user account."
)
MEETING_STREAMING_DISABLED = ZoomErrorSpec(
    400, 200, "The current user has not enabled the custom live streaming feature of the meeting."
)
WEBINAR_STREAMING_DISABLED = ZoomErrorSpec(
    400, 200, "The current user has not enabled the custom live streaming feature of the webinar."
)
WEBINAR_PLAN_MISSING = ZoomErrorSpec(
    400,
    200,
    "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars "
    "for this user in order to perform this action.",
)

# Meetings and webinars (Zoom's 2025 Meetings API texts; 2023 where 2025 has none)
USER_DOES_NOT_EXIST = ZoomErrorSpec(404, 1001, "User does not exist: {user_id}.")
MEETING_HOST_NOT_EXIST = ZoomErrorSpec(404, 1001, "Meeting host does not exist: {user_id}.")
HOSTING_NOT_ALLOWED_FOR_USER = ZoomErrorSpec(
    400, 3161, "Your user account is not allowed meeting hosting and scheduling capabilities."
)
CANNOT_ACCESS_WEBINAR = ZoomErrorSpec(400, 3000, "Cannot access webinar info.")
CANNOT_ACCESS_WEBINAR_DELETE = ZoomErrorSpec(400, 3000, "Cannot access webinar information.")
NO_PERMISSION = ZoomErrorSpec(400, 200, "No permission.")
INVALID_OCCURRENCE = ZoomErrorSpec(400, 300, "Invalid parameter: `occurrence_id`.")
WEBINAR_OCCURRENCE_NOT_FOUND = ZoomErrorSpec(400, 3000, "Webinar occurrence does not exist.")
PRESCHEDULE_TYPE = ZoomErrorSpec(
    400,
    3000,
    "Prescheduling is only available for scheduled meetings (type 2) and recurring "
    "meetings with no fixed time (type 3).",
)
WEBINAR_PLAN_MISSING_UPDATE = ZoomErrorSpec(
    400,
    200,
    "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars "
    "for this user in order to perform this action: {user_id}.",
)
WEBINAR_PLAN_MISSING_FOR = ZoomErrorSpec(
    400,
    200,
    "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars "
    "for user {user_id} in order to perform this action.",
)
WEBINAR_PLAN_MISSING_GET = ZoomErrorSpec(
    400,
    200,
    "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars "
    "for user {user_id} to perform this action.",
)
#: Zoom's per-host cap on create/update requests (the devforum's quoted 429 body).
DAILY_CREATE_LIMIT = ZoomErrorSpec(
    429,
    429,
    "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00.",
)

# Live stream state
MEETING_NOT_STARTED = ZoomErrorSpec(400, 4927, "Meeting {id} has not started.")
WEBINAR_NOT_STARTED = ZoomErrorSpec(400, 200, "Webinar {id} has not started.")
E2EE_NOT_SUPPORTED = ZoomErrorSpec(
    400, 4400, "End-to-end encrypted meetings currently do not support the livestreaming feature."
)
MEETING_NOT_CONFIGURED = ZoomErrorSpec(
    400, 3000, "The current meeting is not configured with a custom streaming service."
)
WEBINAR_NOT_CONFIGURED = ZoomErrorSpec(
    400, 3000, "The current webinar is not configured with a custom streaming service."
)

# Tokens and scopes
TOKEN_INVALID = ZoomErrorSpec(401, 124, "Invalid access token.")
TOKEN_EXPIRED = ZoomErrorSpec(401, 124, "Access token is expired.")
TOKEN_IN_QUERY = ZoomErrorSpec(
    401, 124, "Invalid access token, this access token is not supported as query parameter string."
)
MISSING_SCOPES = ZoomErrorSpec(
    400, 4711, "Invalid access token, does not contain scopes:[{scopes}]."
)


# The token endpoint answers in OAuth's shape, {"reason": …, "error": …}, as Zoom's does.
class OAuthErrorSpec(NamedTuple):
    status: int
    error: str
    reason: str


OAUTH_INVALID_CLIENT = OAuthErrorSpec(401, "invalid_client", "Invalid client_id or client_secret")
OAUTH_MISSING_GRANT = OAuthErrorSpec(400, "invalid_request", "Missing grant type")
OAUTH_UNSUPPORTED_GRANT = OAuthErrorSpec(400, "unsupported_grant_type", "unsupported grant type")
OAUTH_MISSING_ACCOUNT = OAuthErrorSpec(400, "invalid_request", "Missing account_id")
OAUTH_INVALID_ACCOUNT = OAuthErrorSpec(400, "invalid_request", "Invalid account_id")

# Rate limits
RATE_LIMIT_QPS = ZoomErrorSpec(
    429, 429, "You have reached the maximum per-second rate limit for this API. Try again later."
)
RATE_LIMIT_DAILY = ZoomErrorSpec(
    429,
    429,
    "You have reached the maximum daily rate limit for this API. "
    "Refer to the response header for details on when you can make another request.",
)


def invalid_id(kind: Kind) -> ZoomErrorSpec:
    return INVALID_MEETING_ID if kind is Kind.MEETING else INVALID_WEBINAR_ID


def not_found(kind: Kind) -> ZoomErrorSpec:
    return MEETING_NOT_FOUND if kind is Kind.MEETING else WEBINAR_NOT_FOUND


def not_started(kind: Kind) -> ZoomErrorSpec:
    return MEETING_NOT_STARTED if kind is Kind.MEETING else WEBINAR_NOT_STARTED


def not_configured(kind: Kind) -> ZoomErrorSpec:
    return MEETING_NOT_CONFIGURED if kind is Kind.MEETING else WEBINAR_NOT_CONFIGURED


def streaming_disabled(kind: Kind) -> ZoomErrorSpec:
    return MEETING_STREAMING_DISABLED if kind is Kind.MEETING else WEBINAR_STREAMING_DISABLED


# The control API (/_zoomlive): zoomlive's own routes, in Zoom's shape.
RECORD_NOT_FOUND = ZoomErrorSpec(404, 404, "{what} not found: {key}.")
RECORD_EXISTS = ZoomErrorSpec(409, 409, "{what} already exists: {key}.")
#: A control API body that fails validation, naming the field (README, Decision 2).
INVALID_FIELD = ZoomErrorSpec(400, 300, "Invalid parameter: {field}. {reason}.")
MISSING_FIELD = ZoomErrorSpec(400, 300, "Required field is missing: {field}.")
#: Any other 400 Litestar raises on a control route, in its own words.
BAD_REQUEST = ZoomErrorSpec(400, 300, "{detail}")
#: An app's event subscription (Zoom's event types; an http(s) endpoint URL).
UNKNOWN_EVENTS = ZoomErrorSpec(400, 300, "Unknown events: {events}.")
ENDPOINT_NOT_HTTP = ZoomErrorSpec(400, 300, "The endpoint URL must be http(s).")
