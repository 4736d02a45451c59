"""The test card a live stream shows: what it says and how it is drawn.

Zoom streams the meeting's video; zoomlive has no meeting, so it streams a card that
lets a receiver check it got the right stream: the meeting id and topic, a UTC clock,
the layout name, the ``display_name`` lower third (a sample speaker name when
``active_speaker_name`` is on) and, with ``close_caption: "burnt-in"``, a caption
band (Zoom's stream settings, ``zoom-facts.md`` §1.3). Everything but the clock is
fixed for a stream, so the card is one of few *variants* (README, "Real media").
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from zoomlive.server.media.font import CELL_H, draw_text, text_width

#: Frame sizes by the live stream's ``resolution`` (README Decision: 720p by default).
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}

#: The name shown in the lower third when ``active_speaker_name`` is on: a sample,
#: since an emulated meeting has no speaker.
SAMPLE_SPEAKER = "Alex Rivera"

_BG = (24, 32, 48)
_WHITE = (240, 240, 240)
_YELLOW = (250, 210, 40)
_TILES = ((52, 101, 164), (78, 154, 6), (204, 0, 0), (117, 80, 123), (193, 125, 17),
          (46, 52, 54), (0, 128, 128), (160, 90, 60), (90, 90, 160))  # fmt: skip


class Card(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a stream's picture shows except the clock: one variant."""

    meeting_id: int
    topic: str
    layout: str = "follow_host"
    display_name: str | None = None
    speaker_name: str | None = None
    burnt_in_captions: bool = False
    width: int = 1280
    height: int = 720


def card_for(
    meeting_id: int,
    topic: str,
    resolution: str | None,
    layout: str | None,
    display_name: str | None,
    active_speaker_name: bool | None,
    close_caption: str | None,
) -> Card:
    width, height = SIZES.get(resolution or "720p", SIZES["720p"])
    return Card(
        meeting_id=meeting_id,
        topic=topic,
        layout=layout or "follow_host",
        display_name=display_name or None,
        speaker_name=SAMPLE_SPEAKER if active_speaker_name else None,
        burnt_in_captions=close_caption == "burnt-in",
        width=width,
        height=height,
    )


def draw(card: Card, clock: str) -> npt.NDArray[np.uint8]:
    """The card as an RGB image (height x width x 3)."""
    w, h = card.width, card.height
    s = max(1, h // 180)  # font scale: 4 at 720p, 6 at 1080p
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:, :] = _BG
    _draw_layout(img, card.layout, top=h // 4, bottom=h * 3 // 4)
    draw_text(img, f"MEETING {card.meeting_id}", s * 8, s * 6, s, _WHITE)
    draw_text(img, card.topic[:60], s * 8, s * (8 + CELL_H), max(1, s * 2 // 3), _WHITE)
    clock_text = f"UTC {clock}"
    draw_text(img, clock_text, w - text_width(clock_text, s) - s * 8, s * 6, s, _YELLOW)
    layout_text = card.layout.upper()
    draw_text(img, layout_text, w - text_width(layout_text, s) - s * 8, s * (8 + CELL_H), s, _WHITE)
    if card.burnt_in_captions:
        band_top = h - s * 30
        img[band_top : band_top + s * 12, :] = (0, 0, 0)
        caption = "[CC] THIS IS A BURNT-IN CAPTION FROM ZOOMLIVE"
        draw_text(img, caption, (w - text_width(caption, s)) // 2, band_top + s * 2, s, _WHITE)
    name = card.speaker_name or card.display_name
    if name:
        third_top = h - s * 16
        img[third_top : third_top + s * 12, : w // 2] = (20, 20, 20)
        img[third_top : third_top + s * 12, : s * 2] = _YELLOW
        draw_text(img, name[:40], s * 6, third_top + s * 2, s, _WHITE)
    return img


def _draw_layout(img: npt.NDArray[np.uint8], layout: str, top: int, bottom: int) -> None:
    """Coloured tiles in the layout's shape: a 3x3 grid for ``gallery_view``, one large
    tile and a strip of small ones for ``speaker_view`` and ``follow_host``."""
    w = img.shape[1]
    gap = 8
    if layout == "gallery_view":
        cols, rows = 3, 3
        tw = (w // 2) // cols
        th = (bottom - top) // rows
        left = (w - tw * cols) // 2
        for i in range(rows * cols):
            x = left + (i % cols) * tw
            y = top + (i // cols) * th
            img[y + gap : y + th - gap, x + gap : x + tw - gap] = _TILES[i]
        return
    big_w = w // 2
    left = (w - big_w) // 2
    strip = (bottom - top) // 5
    img[top : bottom - strip - gap, left : left + big_w] = _TILES[0]
    tw = big_w // 4
    for i in range(4):
        x = left + i * tw
        img[bottom - strip : bottom, x + gap // 2 : x + tw - gap // 2] = _TILES[i + 1]
