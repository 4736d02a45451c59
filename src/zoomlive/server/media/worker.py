"""The media worker process: every stream's encoder and RTMP publisher.

Media runs outside the API's process and event loop, so the API's throughput and
memory do not depend on how many streams are live (README, "Real media"). The API
process starts the worker at the first stream's ``start`` and sends commands over a
pipe (``start``, ``stop``, ``shutdown``); the worker answers with each stream's
status. A stream's messages carry the generation its ``start`` gave, so a late status
from a stream that was replaced is ignored.

Encoded variants are kept (``KEEP_UNUSED`` of them beyond those in use), so a stream
started again, or another stream with the same card, starts without encoding. On a
cold worker the audio and the first variant are encoded at once, on two threads
(PyAV's encoders release the GIL), so the first start waits for the longer of the
two, not for both.

If the API process dies, the pipe closes: the worker closes every stream and exits.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import logging
import threading
from multiprocessing.connection import Connection
from typing import Any

from zoomlive.server.media.encode import Encoded, encode_audio, encode_video
from zoomlive.server.media.sender import Sender, Slot, VideoLoop
from zoomlive.server.media.spec import Card

log = logging.getLogger("zoomlive.media")

#: Variants kept encoded while no stream uses them.
KEEP_UNUSED = 16

#: How long shutdown waits for the streams to close, in all.
SHUTDOWN_SECONDS = 0.8


def clock_text(now: dt.datetime | None = None) -> str:
    """The card's clock: UTC to the minute (the GOP is re-encoded when it changes)."""
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%d %H:%M")


def main(conn: Connection) -> None:
    """The worker process's entry point."""
    Worker(conn).run()


class Worker:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        #: The audio's own lock: encoding it must not hold up the first variant's.
        self._audio_lock = threading.Lock()
        self._senders: dict[int, tuple[int, Slot]] = {}
        self._loops: dict[Card, VideoLoop] = {}
        self._audio: Encoded | None = None
        self._closing = threading.Event()

    def _send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            try:
                self._conn.send(message)
            except (OSError, ValueError):  # the API process is gone
                self._closing.set()

    def run(self) -> None:
        threading.Thread(target=self._refresh_clocks, name="media-clock", daemon=True).start()
        threading.Thread(target=self._encode_audio, name="media-audio", daemon=True).start()
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                message = ("shutdown",)
            if message[0] == "start":
                self._start(message[1], message[2])
            elif message[0] == "stop":
                self._stop(message[1])
            elif message[0] == "shutdown":
                self._shutdown()
                return

    def _start(self, gen: int, spec: dict[str, Any]) -> None:
        meeting_id = int(spec["meeting_id"])
        self._stop(meeting_id)
        card: Card = spec["card"]
        slot = Slot()
        with self._lock:
            self._senders[meeting_id] = (gen, slot)

        def report(mid: int, status: dict[str, Any]) -> None:
            self._send(("status", mid, gen, status))

        report(meeting_id, {"state": "connecting", "width": card.width, "height": card.height})

        def prepare_and_run() -> None:
            try:
                try:
                    loop = self._loop_for(card)
                    audio = self._audio_loop()
                except Exception as exc:
                    report(meeting_id, {"state": "failed", "reason": f"encoding failed: {exc}"})
                    return
                try:
                    if slot.stop_event.is_set():
                        report(meeting_id, {"state": "stopped", "reason": "stopped"})
                        return
                    size = (card.width, card.height)
                    Sender(
                        meeting_id, spec["url"], spec["key"], loop, audio, report, size, slot
                    ).run()
                finally:
                    self._release(card)
            finally:
                slot.finished.set()
                with self._lock:
                    if self._senders.get(meeting_id, (None,))[0] == gen:
                        del self._senders[meeting_id]
                _collect()

        name = f"media-{meeting_id}"
        threading.Thread(target=prepare_and_run, name=name, daemon=True).start()

    def _stop(self, meeting_id: int) -> None:
        with self._lock:
            entry = self._senders.pop(meeting_id, None)
        if entry is not None:
            entry[1].stop_event.set()

    def _shutdown(self) -> None:
        self._closing.set()
        with self._lock:
            senders = [s for _, s in self._senders.values()]
        for sender in senders:
            sender.stop_event.set()
        deadline = threading.Event()
        timer = threading.Timer(SHUTDOWN_SECONDS, deadline.set)
        timer.start()
        for sender in senders:
            while not sender.finished.is_set() and not deadline.is_set():
                sender.finished.wait(0.02)
        timer.cancel()
        self._send(("bye",))

    def _encode_audio(self) -> None:
        """Encode the audio (the same for every stream) as soon as the worker runs,
        alongside the first stream's variant."""
        try:
            self._audio_loop()
        except Exception:  # the start that needs it reports the failure
            log.exception("media: encoding the audio failed")
        finally:
            self._send(("ready",))

    def _audio_loop(self) -> Encoded:
        with self._audio_lock:
            if self._audio is None:
                self._audio = encode_audio()
            return self._audio

    def _loop_for(self, card: Card) -> VideoLoop:
        with self._lock:
            loop = self._loops.get(card)
            if loop is None:
                loop = self._loops[card] = VideoLoop(current=None)  # type: ignore[arg-type]
            loop.users += 1
        with loop.lock:  # the first user encodes; later ones wait for it
            if loop.current is None:
                loop.clock = clock_text()
                loop.current = encode_video(card, loop.clock)
                self._send(("encoded",))
        return loop

    def _release(self, card: Card) -> None:
        """One user less. Unused variants are kept, the most recently used
        ``KEEP_UNUSED``, so a stream started again finds its variant."""
        with self._lock:
            loop = self._loops.pop(card, None)
            if loop is None:
                return
            loop.users -= 1
            self._loops[card] = loop  # most recently used last
            unused = [c for c, v in self._loops.items() if v.users <= 0]
            for stale in unused[: max(0, len(unused) - KEEP_UNUSED)]:
                del self._loops[stale]

    def _refresh_clocks(self) -> None:
        """Re-encode a variant's GOP when its clock's minute changes (one variant at a
        time, only variants in use); senders pick it up at their next keyframe."""
        while not self._closing.wait(1.0):
            text = clock_text()
            with self._lock:
                due = [
                    (c, v)
                    for c, v in self._loops.items()
                    if v.users > 0 and v.current is not None and v.clock != text
                ]
            for card, loop in due:
                try:
                    fresh = encode_video(card, text)
                except Exception:  # keep the old clock rather than stop the stream
                    log.exception("media: re-encoding the clock failed")
                    loop.clock = text
                else:
                    with loop.lock:
                        loop.current, loop.clock = fresh, text
            if due:
                _collect()


def _collect() -> None:
    """Free what a finished stream or encode left in reference cycles. PyAV's
    containers and streams refer to each other, and hold megabytes of FFmpeg's memory
    that Python does not count: the worker allocates few Python objects, so its garbage
    collector would seldom run and its memory would grow with every stream it ran.
    Then glibc gives the freed heap back (``malloc_trim``): an encoder's peak would
    otherwise stay resident, the more so the more streams started at once."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


_TRIM = _malloc_trim()


if __name__ == "__main__":  # python -m zoomlive.server.media.worker FD
    import sys

    main(Connection(int(sys.argv[1])))
