"""The dashboard's signed tokens (``ui.session``): a session cookie and a CSRF token
are signed under salts of their own, so neither stands for the other; a tampered,
foreign-keyed, over-long or garbled token is refused without an exception."""

from __future__ import annotations

import pytest

from zoomlive.server.ui import session as s

KEY = "admin-token-for-tests"


def test_a_session_opens_with_its_key_only() -> None:
    cookie = s.new_session(KEY)
    assert s.session_valid(KEY, cookie)
    assert not s.session_valid("another-admin-token", cookie)
    assert s.revoked_key(KEY, cookie).startswith("ui_logout:")
    assert len(s.revoked_key(KEY, cookie)) == len("ui_logout:") + 32
    assert s.revoked_key(KEY, cookie) != s.revoked_key(KEY, s.new_session(KEY))


@pytest.mark.parametrize(
    "bad",
    ["", "x", "a.b.c", "..", "\x00", "é" * 10, "A" * (s.MAX_TOKEN_CHARS + 1)],
)
def test_garbage_is_no_session(bad: str) -> None:
    assert not s.session_valid(KEY, bad)
    with pytest.raises(s.CsrfRefused):
        s.check_csrf(KEY, bad, bad)


def test_a_tampered_session_is_refused() -> None:
    cookie = s.new_session(KEY)
    # The first character (a payload's high bits): the last one of a base64 signature
    # may carry only padding bits, and changing those changes nothing.
    flipped = ("A" if cookie[0] != "A" else "B") + cookie[1:]
    assert not s.session_valid(KEY, flipped)
    payload, stamp, signature = cookie.split(".")
    resigned = ".".join((payload, stamp, signature[:5] + ("A" if signature[5] != "A" else "B")
                         + signature[6:]))  # fmt: skip
    assert not s.session_valid(KEY, resigned)


def test_the_csrf_token_is_the_sessions_own_and_no_session() -> None:
    one, two = s.new_session(KEY), s.new_session(KEY)
    token = s.csrf_token(KEY, one)
    s.check_csrf(KEY, one, token)  # accepted
    with pytest.raises(s.CsrfRefused):
        s.check_csrf(KEY, two, token)  # another session's
    with pytest.raises(s.CsrfRefused):
        s.check_csrf(KEY, one, one)  # the cookie itself is not a CSRF token
    assert not s.session_valid(KEY, token)  # nor the CSRF token a cookie
    s.check_csrf(KEY, "bearer", "")  # a bearer caller needs none
