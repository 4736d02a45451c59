"""Meeting and webinar ids: positive int64 ("store it as a long")."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(raw: str | int) -> int | None:
    """Return the id if ``raw`` is a positive integer fitting int64, else ``None``.

    Only ASCII digits are accepted: ``int()`` would also take ``"+5"``, ``" 5"``,
    ``"5_0"`` or Arabic-Indic digits, none of which Zoom treats as an id.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None
