"""What a crash log may not contain: credentials, stream keys, SQL parameters."""

from __future__ import annotations

from zoomlive.server.crashes import REDACTED, redact, request_secrets


def test_credentials_and_stream_keys_are_masked() -> None:
    text = (
        "Authorization: Bearer abc.def-ghi\n"
        "basic ZGVtbzpzZWNyZXQ=\n"
        '{"stream_key": "live-key-1", "client_secret":"s3cr3t"}\n'
        "GET /v2/x?access_token=tok123&b=2\n"
        "[SQL: UPDATE zl_meetings SET stream_key=?]\n"
        "[parameters: ('rtmp://a', 'live-key-2', 68423085)]\n"
    )
    out = redact(text)
    for secret in (
        "abc.def-ghi",
        "ZGVtbzpzZWNyZXQ=",
        "live-key-1",
        "s3cr3t",
        "tok123",
        "live-key-2",
    ):
        assert secret not in out, secret
    assert out.count(REDACTED) == 6
    assert "UPDATE zl_meetings" in out and "b=2" in out  # what is not secret stays


def test_the_requests_own_values_are_removed_wherever_they_appear() -> None:
    headers = [(b"authorization", b"Bearer opaque-token-value"), (b"accept", b"*/*")]
    secrets = request_secrets(headers, b"key=plain-value-here")
    out = redact("got opaque-token-value and plain-value-here in a message", secrets)
    assert "opaque-token-value" not in out and "plain-value-here" not in out
    assert "*/*" not in secrets
