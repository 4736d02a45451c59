"""The test card: each stream setting shows where a receiver's operator looks for it,
and a variant encodes to one 2 s GOP at the stream's frame size."""

from __future__ import annotations

import pytest

pytest.importorskip("av")

import numpy as np

from zoomlive.server.media.card import draw
from zoomlive.server.media.encode import GOP_FRAMES, encode_audio, encode_video
from zoomlive.server.media.font import draw_text
from zoomlive.server.media.spec import SAMPLE_SPEAKER, card_for, publish_url


def card(**settings: object) -> np.ndarray:
    base: dict[str, object] = {
        "meeting_id": 12345678901, "topic": "Quarterly review", "resolution": None,
        "layout": None, "display_name": None, "active_speaker_name": None, "close_caption": None,
    }  # fmt: skip
    return draw(card_for(**{**base, **settings}), "2026-11-26 05:00")  # type: ignore[arg-type]


def text_pixels(text: str, scale: int = 4) -> np.ndarray:
    img = np.zeros((80, 2000, 3), dtype=np.uint8)
    draw_text(img, text, 0, 0, scale, (255, 255, 255))
    return img


def test_the_frame_size_follows_the_resolution() -> None:
    assert card().shape == (720, 1280, 3)
    assert card(resolution="1080p").shape == (1080, 1920, 3)


def test_burnt_in_captions_draw_a_band_and_others_do_not() -> None:
    plain, embedded, burnt = card(), card(close_caption="embedded"), card(close_caption="burnt-in")
    assert np.array_equal(plain, embedded)
    band = slice(720 - 4 * 30, 720 - 4 * 18)
    assert not np.array_equal(plain[band], burnt[band])
    assert (burnt[band] == 0).all(axis=2).mean() > 0.5  # mostly black, with white text


def test_the_lower_third_shows_the_display_name_or_a_sample_speaker() -> None:
    plain = card()
    named = card(display_name="Host Name")
    speaker = card(display_name="Host Name", active_speaker_name=True)
    third = slice(720 - 4 * 16, 720 - 4 * 4)
    assert not np.array_equal(plain[third], named[third])
    assert not np.array_equal(named[third], speaker[third])
    assert SAMPLE_SPEAKER


def test_the_layout_changes_the_picture() -> None:
    shots = {layout: card(layout=layout) for layout in ("follow_host", "gallery_view")}
    assert not np.array_equal(shots["follow_host"], shots["gallery_view"])
    assert not np.array_equal(card(layout="speaker_view")[:80], shots["follow_host"][:80])


def test_the_clock_and_meeting_id_are_drawn() -> None:
    c = card_for(1, "t", None, None, None, None, None)
    assert not np.array_equal(draw(c, "2026-11-26 05:00"), draw(c, "2026-11-26 05:01"))
    assert not np.array_equal(text_pixels("MEETING 1"), text_pixels("MEETING 2"))
    assert np.array_equal(text_pixels("abc"), text_pixels("ABC"))


def test_a_variant_is_one_gop_and_the_audio_loops_whole_seconds() -> None:
    video = encode_video(card_for(1, "t", "720p", None, None, None, None), "00:00")
    assert len(video.packets) == GOP_FRAMES
    assert video.packets[0][1] and not any(key for _, key in video.packets[1:])
    assert (video.template.codec_context.width, video.template.codec_context.height) == (1280, 720)
    audio = encode_audio()
    assert len(audio.packets) == 375  # 8 s of 1024-sample AAC frames at 48 kHz


def test_the_publish_url_is_the_app_url_then_the_key() -> None:
    assert publish_url("rtmp://h:1935/live", "k") == "rtmp://h:1935/live/k"
    assert publish_url("rtmp://h:1935/live/", "k") == "rtmp://h:1935/live/k"
