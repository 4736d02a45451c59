"""Meeting and webinar ids: positive int64 ("store it as a long")."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_uint(raw: str | bytes, low: int = 0, high: int = MAX_ID) -> int | None:
    """The number ``raw`` spells if it is ASCII digits only and within ``low..high``,
    else ``None``: the one way text from a request (a query parameter, a header, a
    path segment, a token) becomes an integer.

    The length is checked before ``int()`` reads it (a number of thousands of digits
    would otherwise cost time, or raise past Python's digit limit), and ``int()``'s
    other spellings (``"+5"``, ``" 5"``, ``"5_0"``, ``"²"``, Arabic-Indic digits) are
    refused, as Zoom takes none of them for a number.
    """
    if not raw or len(raw) > len(str(high)) or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_id(raw: str | int) -> int | None:
    """Return the id if ``raw`` is a positive integer fitting int64, else ``None``
    (``parse_uint``'s rules)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    return parse_uint(raw, 1, MAX_ID)
