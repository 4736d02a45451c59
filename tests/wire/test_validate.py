"""The body validators: every bad field reported at once, valid bodies decoded.

Nested ``settings`` errors are checked by field path (``settings.layout``) only: the
path is the stable part of those entries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import UNSET

from zoomlive.wire import models as m
from zoomlive.wire.models import FieldError, LiveStreamSettings, LiveStreamUpdate
from zoomlive.wire.paths import Kind
from zoomlive.wire.validate import is_stream_url, is_uri, validate_status, validate_update

GOOD = {"stream_url": "rtmp://a/b", "stream_key": "k", "page_url": "https://p/q"}


def fields(result: object) -> list[str]:
    assert isinstance(result, list), result
    return [e.field for e in result]


def test_a_valid_update_is_decoded() -> None:
    assert validate_update(GOOD) == LiveStreamUpdate("rtmp://a/b", "k", "https://p/q")
    got = validate_update({**GOOD, "resolution": "1080p", "unknown": [1]})
    assert got == LiveStreamUpdate("rtmp://a/b", "k", "https://p/q", "1080p")
    assert validate_update({**GOOD, "resolution": None}) == validate_update(GOOD)


def test_every_bad_update_field_is_reported_at_once() -> None:
    got = validate_update({"stream_key": 5, "page_url": "not a uri", "resolution": "720P"})
    assert got == [
        FieldError("stream_url", "Required field is missing: stream_url."),
        FieldError("stream_key", "Invalid parameter: stream_key."),
        FieldError("page_url", "Invalid parameter: page_url."),
        FieldError("resolution", "Invalid parameter: resolution."),
    ]
    assert validate_update({}) == [
        FieldError(f, f"Required field is missing: {f}.")
        for f in ("stream_url", "stream_key", "page_url")
    ]
    assert fields(validate_update({**GOOD, "stream_url": None})) == ["stream_url"]


@pytest.mark.parametrize(
    ("name", "limit"),
    [("stream_url", m.STREAM_URL_MAX), ("stream_key", m.STREAM_KEY_MAX),
     ("page_url", m.PAGE_URL_MAX)],
)  # fmt: skip
def test_length_limits_are_inclusive(name: str, limit: int) -> None:
    prefix = {"page_url": "https://e/", "stream_url": "rtmp://e/"}.get(name, "")
    at = prefix + "x" * (limit - len(prefix))
    assert not isinstance(validate_update({**GOOD, name: at}), list)
    assert validate_update({**GOOD, name: at + "x"}) == [
        FieldError(name, f"Length of {name} must be at most {limit}.")
    ]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("rtmp://live.example.com/app", True), ("rtmps://h:443/a/b", True),
        ("RTMP://h/a", True), ("rtmp://h", True), ("http://h/a", False),
        ("https://h/a", False), ("tcp://h:1", False), ("udp://h:1", False),
        ("ftp://h/a", False), ("icecast://h/a", False), ("rtmpt://h/a", False),
        ("file:///etc/passwd", False), ("aute", False), ("rtmp://", False),
        ("rtmp:///a", False), ("rtmp://h:x/a", False), ("rtmp://h:99999/a", False),
        (" rtmp://h/a", False), ("rtmp://h/a b", False),
    ],
)  # fmt: skip
def test_a_stream_url_is_an_rtmp_ingest_url(value: str, ok: bool) -> None:
    assert is_stream_url(value) is ok
    got = validate_update({**GOOD, "stream_url": value})
    assert isinstance(got, list) is not ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://example.com/a?b=c#d", True), ("rtmp://x", True), ("mailto:a@b", True),
        ("urn:isbn:0451450523", True), ("https://e.x/%41", True), ("a+b-c.d:x", True),
        ("https://e.x/%4", False), ("https://e.x/a b", False), ("no scheme", False),
        ("1http://x", False), ("https:", False), ("", False), ("https://e.x/\n", False),
        ("https://e.x/é", False), ("://x", False),
    ],
)  # fmt: skip
def test_page_url_must_be_an_rfc3986_uri(value: str, ok: bool) -> None:
    assert is_uri(value) is ok
    assert isinstance(validate_update({**GOOD, "page_url": value}), list) is not ok


@pytest.mark.parametrize("kind", list(Kind))
def test_status_actions_by_kind(kind: Kind) -> None:
    allowed = m.MEETING_ACTIONS if kind is Kind.MEETING else m.WEBINAR_ACTIONS
    for action in ("start", "stop", "mode", "Start", "STOP", "", "pause"):
        got = validate_status(kind, {"action": action})
        if action in allowed:
            assert not isinstance(got, list) and got.action == action and got.settings is UNSET
        else:
            assert got == [FieldError("action", "Invalid parameter: action.")]
    assert validate_status(kind, {}) == [FieldError("action", "Required field is missing: action.")]


def test_settings_are_decoded_and_checked_by_kind() -> None:
    settings = {"active_speaker_name": False, "display_name": "x" * 50,
                "layout": "gallery_view", "close_caption": "burnt-in"}  # fmt: skip
    got = validate_status(Kind.MEETING, {"action": "start", "settings": settings})
    assert not isinstance(got, list)
    assert got.settings == LiveStreamSettings(
        active_speaker_name=False, display_name="x" * 50, layout="gallery_view",
        close_caption="burnt-in",
    )  # fmt: skip
    # Webinars have no layout: it is ignored, not refused.
    webinar = validate_status(Kind.WEBINAR, {"action": "start", "settings": settings})
    assert not isinstance(webinar, list)
    assert webinar.settings == LiveStreamSettings(
        active_speaker_name=False, display_name="x" * 50, close_caption="burnt-in"
    )


BAD_SETTINGS: list[tuple[dict[str, Any], list[str]]] = [
    ({"display_name": ""}, ["settings.display_name"]),
    ({"display_name": "x" * 51}, ["settings.display_name"]),
    ({"display_name": 5}, ["settings.display_name"]),
    ({"active_speaker_name": "true"}, ["settings.active_speaker_name"]),
    ({"active_speaker_name": 1}, ["settings.active_speaker_name"]),
    ({"layout": "Gallery_View"}, ["settings.layout"]),
    ({"close_caption": "on"}, ["settings.close_caption"]),
    ({"display_name": "", "layout": "x", "close_caption": "x", "active_speaker_name": 0},
     ["settings.active_speaker_name", "settings.display_name", "settings.close_caption",
      "settings.layout"]),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "bad"), BAD_SETTINGS)
def test_bad_settings_are_reported_by_path(settings: dict[str, Any], bad: list[str]) -> None:
    got = validate_status(Kind.MEETING, {"action": "start", "settings": settings})
    assert fields(got) == bad
    assert all(e.message.startswith("Invalid parameter: ") for e in got)  # type: ignore[union-attr]


def test_settings_that_are_not_an_object_and_errors_together() -> None:
    raw: object
    for raw in ([], "x", 5, True):
        got = validate_status(Kind.MEETING, {"action": "start", "settings": raw})
        assert got == [FieldError("settings", "Invalid parameter: settings.")]
    got = validate_status(Kind.MEETING, {"action": "go", "settings": {"layout": "x"}})
    assert fields(got) == ["action", "settings.layout"]
    assert not isinstance(validate_status(Kind.MEETING, {"action": "stop", "settings": None}), list)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
KEYS = st.sampled_from(["stream_url", "stream_key", "page_url", "resolution", "action",
                        "settings", "layout", "display_name"])  # fmt: skip


@settings(max_examples=60)
@given(st.dictionaries(KEYS, JSONISH, max_size=5), st.sampled_from(list(Kind)))
def test_any_body_is_decoded_or_refused_with_known_fields(body: dict[str, Any], kind: Kind) -> None:
    for got in (validate_update(body), validate_status(kind, body)):
        if isinstance(got, list):
            assert got, "a refusal names at least one field"
            for e in got:
                assert e.field.split(".")[0] in {"stream_url", "stream_key", "page_url",
                                                 "resolution", "action", "settings"}  # fmt: skip
                assert e.message.endswith(".")
