"""The session's secret scan (``CliRecorder.leaks``) finds what it must, and a short
secret only as a whole word."""

from __future__ import annotations

from tests.support import _shows


def test_a_short_secret_counts_only_as_a_whole_word_a_long_one_anywhere() -> None:
    passcode = "423085"  # a meeting's 6-digit passcode
    assert not _shows(passcode, "meetings 68423085 and 20000423085")  # inside ids
    assert _shows(passcode, '{"password": "423085"}')
    assert _shows(passcode, "https://zoom.us/j/1?pwd=423085")
    assert _shows("my-key", "stream key my-key.")
    token = "cli-secret-stream-key-77"
    assert _shows(token, "xx" + token + "yy")
