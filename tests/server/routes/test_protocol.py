"""``server/protocol.py`` subclasses uvicorn's httptools protocol and leans on names of
it that uvicorn does not promise to keep. pyproject pins uvicorn to a minor range; this
test is what fails, by name, when a move of that range drops one of them."""

from __future__ import annotations

import inspect
import re

from uvicorn.protocols.http import httptools_impl

from zoomlive.server.protocol import ZoomHttpProtocol

#: uvicorn's private methods ``ZoomHttpProtocol`` calls (from ``data_received``, which it
#: replaces to count a request head's bytes and answer in Zoom's shape).
PRIVATE_METHODS = (
    "_unset_keepalive_if_required",
    "_should_upgrade",
    "_unsupported_upgrade_warning",
)
#: The parser callbacks it extends, through ``super()``.
CALLBACKS = ("connection_made", "connection_lost", "on_message_begin", "on_headers_complete")


def test_the_private_names_the_protocol_relies_on_are_there() -> None:
    base = httptools_impl.HttpToolsProtocol
    missing = [n for n in (*PRIVATE_METHODS, *CALLBACKS, "handle_websocket_upgrade")
               if not callable(getattr(base, n, None))]  # fmt: skip
    assert not missing, f"uvicorn no longer has {missing}: see server/protocol.py"
    assert isinstance(httptools_impl.STATUS_LINE, dict) and 200 in httptools_impl.STATUS_LINE
    for name in PRIVATE_METHODS:
        assert not inspect.signature(getattr(base, name)).parameters.keys() - {"self"}, name


def test_the_protocol_calls_only_the_private_names_listed_here() -> None:
    """A new private call in protocol.py must be added above, so the pin guards it."""
    source = inspect.getsource(ZoomHttpProtocol)
    ours = {n for n, _ in inspect.getmembers(ZoomHttpProtocol) if n in ZoomHttpProtocol.__dict__}
    theirs = set(re.findall(r"self\.(_\w+)\(", source)) - ours
    assert theirs <= set(PRIVATE_METHODS), theirs
