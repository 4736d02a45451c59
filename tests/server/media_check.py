"""Reading a recorded FLV back with PyAV: what the media tests assert on."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Recording:
    video_codec: str
    audio_codec: str
    width: int
    height: int
    frames: int
    duration: float
    monotonic: bool
    keyframe_interval: float
    sample_rate: int
    channels: int
    beeps: int
    av_drift: float

    def summary(self) -> str:
        return (
            f"{self.video_codec} {self.width}x{self.height} {self.frames} frames in "
            f"{self.duration:.2f} s ({self.frames / self.duration:.2f} fps), keyframe every "
            f"{self.keyframe_interval:.2f} s, {self.audio_codec} {self.sample_rate} Hz "
            f"x{self.channels}, {self.beeps} beeps, A/V drift {self.av_drift * 1000:.1f} ms"
        )


def analyse(path: Path) -> Recording:
    """Decode everything. The audio's beeps start on whole seconds of the stream's
    timeline, as the video's frames do: the drift is how far the latest beep onset
    sits from its whole second, and how far the streams' ends differ."""
    import av

    with av.open(str(path)) as container:
        vstream = container.streams.video[0]
        astream = container.streams.audio[0]
        dts: dict[str, list[float]] = {"video": [], "audio": []}
        keyframes: list[float] = []
        frames = 0
        samples: list[np.ndarray] = []
        audio_start: float | None = None
        width = height = 0
        for packet in container.demux():
            if packet.dts is None or packet.size == 0:
                continue
            t = float(packet.dts * packet.time_base)
            kind = packet.stream.type
            dts[kind].append(t)
            if kind == "video" and packet.is_keyframe:
                keyframes.append(t)
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    frames += 1
                    width, height = frame.width, frame.height
                elif isinstance(frame, av.AudioFrame):
                    if audio_start is None and frame.pts is not None and frame.time_base:
                        audio_start = float(frame.pts * frame.time_base)
                    samples.append(frame.to_ndarray()[0])
        sample_rate = astream.codec_context.sample_rate
        channels = astream.codec_context.channels
        vcodec, acodec = vstream.codec_context.name, astream.codec_context.name
    audio = np.concatenate(samples) if samples else np.zeros(0)
    onsets = _beep_onsets(audio, sample_rate)
    start = audio_start or 0.0
    onset_times = [start + o / sample_rate for o in onsets]
    drift = max((abs(t - round(t)) for t in onset_times), default=1.0)
    video_end = dts["video"][-1] + 1 / 30 if dts["video"] else 0.0
    audio_end = start + len(audio) / sample_rate
    drift = max(drift, abs(video_end - audio_end))
    gaps = np.diff(keyframes) if len(keyframes) > 1 else np.array([0.0])
    monotonic = all(all(b > a for a, b in itertools.pairwise(ts)) for ts in dts.values())
    duration = video_end - (dts["video"][0] if dts["video"] else 0.0)
    return Recording(
        video_codec=vcodec,
        audio_codec=acodec,
        width=width,
        height=height,
        frames=frames,
        duration=duration,
        monotonic=monotonic,
        keyframe_interval=float(np.median(gaps)),
        sample_rate=sample_rate,
        channels=channels,
        beeps=len(onsets),
        av_drift=drift,
    )


def _beep_onsets(audio: np.ndarray, rate: int) -> list[int]:
    """Sample indexes where a beep (amplitude 0.5, over the 0.1 tone) begins."""
    loud = np.abs(audio) > 0.3
    onsets = []
    i = 0
    while i < len(loud):
        hits = np.flatnonzero(loud[i:])
        if hits.size == 0:
            break
        onset = i + int(hits[0])
        onsets.append(onset)
        i = onset + rate // 2  # one beep a second
    return onsets
