"""How the test card is drawn: the card's fields (``spec.Card``) as an RGB image, with
numpy alone (no font files, no FreeType). Runs in the media worker process only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from zoomlive.server.media.font import CELL_H, draw_text, text_width
from zoomlive.server.media.spec import Card

_BG = (24, 32, 48)
_WHITE = (240, 240, 240)
_YELLOW = (250, 210, 40)
_TILES = ((52, 101, 164), (78, 154, 6), (204, 0, 0), (117, 80, 123), (193, 125, 17),
          (46, 52, 54), (0, 128, 128), (160, 90, 60), (90, 90, 160))  # fmt: skip


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
