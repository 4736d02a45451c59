"""Encoding a variant once: a 2 s H.264 GOP of the card and an 8 s AAC loop.

Encoding per stream would not scale on two cores, and a card does not move: each
variant (frame size x card) is encoded once into 60 frames (one GOP: a keyframe every
2 s at 30 fps), which every stream of that variant loops with running timestamps. The
clock is redrawn by re-encoding the GOP when the minute changes (README, "Real
media"). The audio is the same for every stream: a 440 Hz tone with a 1 kHz beep in
the first 50 ms of each second, 48 kHz stereo, encoded once per process.

Packets go through an in-memory FLV container and are read back from it, so they are
in the form FLV carries (AVCC, raw AAC) and the container's streams serve as templates
(codec parameters, extradata) for each RTMP output. Reading a container back opens
its decoder (FFmpeg probes the stream), which holds megabytes of frame buffers for
as long as the container is open, so only one container is kept open per distinct
codec setup (the same frame size and encoder settings give the same parameters,
whatever the card shows): every variant of it shares that template and keeps just
its packets, and the worker's memory does not grow with the variants it has seen.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np

from zoomlive.server.media.card import draw
from zoomlive.server.media.spec import Card

FPS = 30
GOP_FRAMES = 60
SAMPLE_RATE = 48000
AAC_FRAME = 1024
#: 8 s is the shortest loop that is both whole seconds and whole AAC frames (375).
AUDIO_LOOP_FRAMES = 375
VIDEO_BITRATE = {720: 2_500_000, 1080: 4_500_000}
AUDIO_BITRATE = 128_000
X264_OPTIONS = {
    "preset": "ultrafast",
    "tune": "zerolatency",
    "g": str(GOP_FRAMES),
    "keyint_min": str(GOP_FRAMES),
    "sc_threshold": "0",
    "bf": "0",
    "threads": "1",
}

#: Open template containers by codec setup (``_shared``): a few at most, one per frame
#: size in practice. Past the bound a variant keeps its own (correct, just heavier).
_TEMPLATES: dict[tuple[str, bytes], tuple[Any, Any]] = {}
_TEMPLATES_MAX = 8
_TEMPLATES_LOCK = threading.Lock()


@dataclass
class Encoded:
    """Packets of one stream type, read back from their in-memory FLV container
    (kept open: its stream is the template for every output)."""

    container: Any
    template: Any
    packets: list[tuple[bytes, bool]]


def encode_video(card: Card, clock: str) -> Encoded:
    buf = io.BytesIO()
    with av.open(buf, "w", format="flv") as out:
        stream = out.add_stream("libx264", rate=FPS, options=dict(X264_OPTIONS))
        stream.width, stream.height, stream.pix_fmt = card.width, card.height, "yuv420p"
        stream.bit_rate = VIDEO_BITRATE.get(card.height, VIDEO_BITRATE[720])
        image = av.VideoFrame.from_ndarray(draw(card, clock), format="rgb24")
        frame = image.reformat(format="yuv420p")
        for i in range(GOP_FRAMES):
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return _shared(_read_back(buf, "video", GOP_FRAMES, skip=0))


def _shared(encoded: Encoded) -> Encoded:
    """The variant with the template of its codec setup, its own container closed
    (see the module's docstring)."""
    ctx = encoded.template.codec_context
    key = (f"{ctx.name} {ctx.width}x{ctx.height} {ctx.pix_fmt} {ctx.profile}",
           bytes(ctx.extradata or b""))  # fmt: skip
    with _TEMPLATES_LOCK:
        found = _TEMPLATES.get(key)
        if found is None:
            if len(_TEMPLATES) >= _TEMPLATES_MAX:
                return encoded
            found = _TEMPLATES[key] = (encoded.container, encoded.template)
            return encoded
    encoded.container.close()
    return Encoded(found[0], found[1], encoded.packets)


def audio_signal(seconds: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The tone with a beep at each whole second, stereo planar, ``seconds`` long."""
    t = np.arange(seconds * SAMPLE_RATE) / SAMPLE_RATE
    mono = 0.1 * np.sin(2 * np.pi * 440 * t)
    beep = (t % 1.0) < 0.05
    mono[beep] = 0.5 * np.sin(2 * np.pi * 1000 * t[beep])
    return np.stack([mono, mono]).astype(np.float32)


def encode_audio() -> Encoded:
    """375 AAC packets that loop without a seam, the beeps on whole seconds.

    AAC frames overlap their neighbours and the encoder delays its output by one
    frame, so the loop is encoded with its last frames before it and its first after
    it, and the packets that decode to exactly the loop are kept.
    """
    period = AUDIO_LOOP_FRAMES * AAC_FRAME
    loop = audio_signal(period // SAMPLE_RATE)
    pad = 4 * AAC_FRAME
    signal = np.concatenate([loop[:, -pad:], loop, loop[:, :pad]], axis=1)
    buf = io.BytesIO()
    with av.open(buf, "w", format="flv") as out:
        stream = out.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        stream.bit_rate = AUDIO_BITRATE
        for offset in range(0, signal.shape[1] - AAC_FRAME + 1, AAC_FRAME):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(signal[:, offset : offset + AAC_FRAME]),
                format="fltp",
                layout="stereo",
            )
            frame.sample_rate = SAMPLE_RATE
            frame.pts = offset
            frame.time_base = Fraction(1, SAMPLE_RATE)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    # packet i decodes input frame i - 1; the loop's frame 0 is input frame 4
    return _read_back(buf, "audio", AUDIO_LOOP_FRAMES, skip=pad // AAC_FRAME + 1)


def _read_back(buf: io.BytesIO, kind: str, count: int, skip: int) -> Encoded:
    buf.seek(0)
    container = av.open(buf, "r", format="flv")
    stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
    packets = [(bytes(p), bool(p.is_keyframe)) for p in container.demux(stream) if p.size]
    kept = packets[skip : skip + count]
    if len(kept) != count or (kind == "video" and not kept[0][1]):
        raise RuntimeError(f"{kind} encoding gave {len(packets)} packets, expected {count}")
    return Encoded(container, stream, kept)
