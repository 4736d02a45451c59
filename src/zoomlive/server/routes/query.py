"""Reading the query string as Zoom does: parameters after decoding, not substrings."""

from __future__ import annotations

from urllib.parse import parse_qsl


def has_query_token(query_string: bytes) -> bool:
    """True when the query carries an ``access_token`` parameter (Zoom's 401/124
    "not supported as query parameter string").

    The name counts only as a real parameter, decoded as ``parse_qsl`` decodes it:
    ``?note=no_access_token_here`` carries none, ``?access%5Ftoken=x`` carries one.
    The common query (none, or no ``%`` and no ``access_token`` in it) is decided
    without parsing: on the hot path.
    """
    if not query_string or (b"access_token" not in query_string and b"%" not in query_string):
        return False
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(name == "access_token" for name, _ in pairs)
