"""Zoom's rate-limit labels, plan limits, headers and 429 bodies (Decision 9)."""

from __future__ import annotations

import enum
from typing import NamedTuple

HEADER_CATEGORY = "X-RateLimit-Category"
HEADER_TYPE = "X-RateLimit-Type"
HEADER_LIMIT = "X-RateLimit-Limit"
HEADER_REMAINING = "X-RateLimit-Remaining"
HEADER_RETRY_AFTER = "Retry-After"
HEADER_TRACKING_ID = "x-zm-trackingid"
#: zoomlive's own, not Zoom's: present (value ``local``) when the shared counters
#: (Redis) are unreachable and this process counted the request alone.
HEADER_ZOOMLIVE_SCOPE = "X-Zoomlive-RateLimit"
SCOPE_LOCAL = "local"

TYPE_QPS = "QPS"
TYPE_DAILY = "Daily-limit"


class Plan(enum.StrEnum):
    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"


class Label(enum.StrEnum):
    LIGHT = "Light"
    MEDIUM = "Medium"
    HEAVY = "Heavy"


class PlanLimit(NamedTuple):
    per_second: int
    per_day: int | None


LIMITS: dict[Label, dict[Plan, PlanLimit]] = {
    Label.LIGHT: {
        Plan.FREE: PlanLimit(4, 6000),
        Plan.PRO: PlanLimit(30, None),
        Plan.BUSINESS: PlanLimit(80, None),
    },
    Label.MEDIUM: {
        Plan.FREE: PlanLimit(2, 2000),
        Plan.PRO: PlanLimit(20, None),
        Plan.BUSINESS: PlanLimit(60, None),
    },
    Label.HEAVY: {
        Plan.FREE: PlanLimit(1, 1000),
        Plan.PRO: PlanLimit(10, None),
        Plan.BUSINESS: PlanLimit(40, None),
    },
}

#: All six live stream operations carry the Light label.
LIVESTREAM_LABEL = Label.LIGHT
