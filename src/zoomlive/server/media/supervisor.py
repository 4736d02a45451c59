"""The API process's side of media: one worker process, and each stream's status.

The livestream service calls ``started``/``stopped`` from its after-commit hook, only
when a compare-and-set actually changed the stream, in commit order; the control API
calls ``meeting_ended``. None of these waits: a start answers 204 at once and the
media state follows (Zoom starts a stream asynchronously, ``zoom-facts-workflow-media.md``
§5.5). What is published follows the database (``reconcile``): a start wakes the
reconcile loop, which publishes the streams live in the database that this process
holds, again after a restart or the worker's death.

Media costs the API process nothing until a stream starts (README, "Real media"):
this module imports neither PyAV nor numpy (``spec`` is plain data), configuring a
stream (``PATCH .../livestream``) does no media work at all, and the worker process
is started by the first ``start``, so servers that never stream pay nothing for it.

Statuses arrive on a reader thread and are applied on the event loop, where the
journal and the status table live.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from typing import Any

import msgspec

from zoomlive.server.media.spec import Card, card_for, publish_url
from zoomlive.server.media.status import MediaStatus
from zoomlive.server.services.journal import Journal
from zoomlive.server.storage.records import Meeting
from zoomlive.wire.dist import install_hint

log = logging.getLogger("zoomlive.media")

HOW_TO_ENABLE = install_hint("media")

#: The worker's environment beyond ours (ours wins). Two malloc arenas: each thread
#: that encodes would otherwise get an arena of its own and keep its peak, so the
#: worker's memory would grow with the streams it has run, not with those it runs.
WORKER_ENV = {"MALLOC_ARENA_MAX": "2"}
#: How long a worker that closed its pipe has to exit before it is killed.
REAP_SECONDS = 2.0


def probe(mode: str) -> tuple[bool, str]:
    """Whether media can run here, and what to tell the operator."""
    if mode == "off":
        return False, "media is off (ZOOMLIVE_MEDIA=off)"
    if not all(_installed(name) for name in ("av", "numpy")):
        return False, f"media is off: PyAV is not installed; {HOW_TO_ENABLE}"
    return True, f"media is on (PyAV {importlib.metadata.version('av')})"


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a finder that refuses it: as good as absent
        return False


class MediaSupervisor:
    def __init__(self, journal: Journal, now: Callable[[], float], mode: str = "auto") -> None:
        self.enabled, self.description = probe(mode)
        self._journal = journal
        self._now = now
        self._statuses: dict[int, MediaStatus] = {}
        self._gens: dict[int, int] = {}
        #: Streams told to stop whose worker has not said so yet.
        self._stopping: set[int] = set()
        self._next_gen = itertools.count(1)
        self._proc: Any = None
        self._conn: Connection | None = None
        self._reader: threading.Thread | None = None
        self._bye = threading.Event()
        self._send_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Told after a commit started or stopped a stream, and when the worker dies
        #: (set by the reconcile loop).
        self.on_change: Callable[[], None] | None = None
        self.on_worker_lost: Callable[[], None] | None = None
        self.starts = 0
        #: Worker processes that exited unasked (each reaped).
        self.worker_exits = 0
        self.failures = 0
        #: The worker has started and encoded the audio.
        self.ready = False
        #: Variants the worker encoded (a start whose variant it kept encodes none).
        self.variants_encoded = 0

    def open(self) -> None:
        """Called on the event loop at server start."""
        self._loop = asyncio.get_running_loop()

    # -- hooks (after commit) ---------------------------------------------------------

    def started(self, meeting: Meeting) -> None:
        """A stream went live: the reconcile loop publishes it (or, without one, at
        once)."""
        if not self.enabled:
            self._apply(meeting.id, 0, {"state": "off", "reason": self.description})
            return
        if self.on_change is not None:
            self.on_change()
            return
        self.publish(meeting)

    def publish(self, meeting: Meeting) -> None:
        """Publish a live stream to its ingest (the worker is started by the first)."""
        gen = next(self._next_gen)
        self._gens[meeting.id] = gen
        self._stopping.discard(meeting.id)
        self.starts += 1
        card = _card_of(meeting)
        spec = {
            "meeting_id": meeting.id,
            "url": publish_url(meeting.stream_url, meeting.stream_key),
            "key": meeting.stream_key,
            "card": card,
        }
        self._apply(
            meeting.id, gen, {"state": "connecting", "width": card.width, "height": card.height}
        )
        try:
            self._command(("start", gen, spec))
        except Exception as exc:  # the worker could not start: say so on the stream
            log.warning("media worker unavailable: %s", type(exc).__name__)
            self._apply(meeting.id, gen, {"state": "failed", "reason": f"media worker: {exc}"})

    def warm(self) -> None:
        """Start the worker ahead of a publish: streams are live in the database (held
        by another process), so this one may have to take them over at short notice."""
        if not self.enabled or self._conn is not None:
            return
        try:
            with self._send_lock:
                if self._conn is None:
                    self._spawn()
        except Exception as exc:  # a publish will say so on its stream
            log.warning("media worker unavailable: %s", type(exc).__name__)

    def stopped(self, meeting_id: int) -> None:
        """A stream stopped: close its RTMP session."""
        if self.on_change is not None:
            self.on_change()
        self.withdraw(meeting_id)

    def withdraw(self, meeting_id: int) -> None:
        """Close the stream's RTMP session, if it has one."""
        if meeting_id not in self._gens or meeting_id in self._stopping:
            return
        self._stopping.add(meeting_id)
        if self._conn is not None:
            try:
                self._command(("stop", meeting_id))
            except Exception:  # the worker is gone, and its streams with it
                self._apply(meeting_id, self._gens[meeting_id], {"state": "stopped"})

    def meeting_ended(self, meeting_id: int) -> None:
        """The meeting ended (its stream stops with it): close the RTMP session.

        The one call the meeting lifecycle needs; safe to call for a meeting that
        never streamed, and more than once."""
        self.stopped(meeting_id)

    def status(self, meeting_id: int) -> MediaStatus:
        found = self._statuses.get(meeting_id)
        if found is not None:
            return found
        return MediaStatus(reason=None if self.enabled else self.description)

    def publishing(self) -> list[int]:
        """The streams this process connects or publishes."""
        return [
            m
            for m in self._gens
            if m not in self._stopping and self.status(m).state in ("connecting", "live")
        ]

    def known_ids(self) -> list[int]:
        """The meetings this process holds a media state for."""
        return list(self._statuses.keys() | self._gens.keys())

    def forget(self, meeting_ids: Iterable[int]) -> None:
        """The meetings are gone (deleted): their media state with them."""
        for meeting_id in meeting_ids:
            self._gens.pop(meeting_id, None)
            self._statuses.pop(meeting_id, None)
            self._stopping.discard(meeting_id)

    def stats(self) -> dict[str, int]:
        states = [s.state for s in self._statuses.values()]
        return {
            "media_worker_ready": int(self.ready),
            "media_variants_encoded": self.variants_encoded,
            "media_starts": self.starts,
            "media_live": states.count("live"),
            "media_connecting": states.count("connecting"),
            "media_failed": self.failures,
            "media_worker_exits": self.worker_exits,
            "media_states": len(self._statuses),
            "media_bytes_sent": sum(s.bytes_sent for s in self._statuses.values()),
            "media_frames_sent": sum(s.frames_sent for s in self._statuses.values()),
        }

    def reset(self) -> None:
        """Every stream closed and forgotten (the records are wiped)."""
        for meeting_id in list(self._gens):
            self.stopped(meeting_id)
        self._gens.clear()
        self._statuses.clear()
        self._stopping.clear()

    async def close(self) -> None:
        """Close every stream and the worker: within 1 s."""
        if self._conn is None:
            return
        try:
            self._command(("shutdown",))
        except Exception:  # already gone
            self._bye.set()
        await asyncio.to_thread(self._bye.wait, 1.0)
        proc = self._proc
        try:
            await asyncio.to_thread(proc.wait, 0.5)
        except subprocess.TimeoutExpired:
            proc.kill()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        self.ready = False

    # -- the worker -------------------------------------------------------------------

    def _command(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            if self._conn is None:
                self._spawn()
            assert self._conn is not None
            self._conn.send(message)

    def _spawn(self) -> None:
        """Start the worker as ``python -m zoomlive.server.media.worker FD``, one end of
        a socket pair its command pipe. A fresh interpreter (not a fork of this
        process, its event loop and threads), and not ``multiprocessing``'s spawn,
        which would import this process's ``__main__`` (the whole CLI) again."""
        ours, theirs = socket.socketpair()
        proc = subprocess.Popen(
            [sys.executable, "-m", "zoomlive.server.media.worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env={**WORKER_ENV, **os.environ},
        )
        theirs.close()
        conn = Connection(ours.detach())
        self._proc, self._conn = proc, conn
        self._bye.clear()
        self._reader = threading.Thread(target=self._read, args=(conn, proc), daemon=True)
        self._reader.start()

    def _read(self, conn: Connection, proc: Any) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message[0] == "status":
                _, meeting_id, gen, status = message
                self._call(self._apply, meeting_id, gen, status)
            elif message[0] == "ready":
                self.ready = True
            elif message[0] == "encoded":
                self.variants_encoded += 1
            elif message[0] == "bye":
                self._bye.set()
                return
        self._bye.set()
        _reap(proc)
        self._call(self._worker_lost, conn)

    def _worker_lost(self, conn: Connection) -> None:
        """The worker exited unasked: its streams failed; the next start spawns another."""
        if self._conn is not conn:
            return
        self._conn = None
        self.ready = False
        self.worker_exits += 1
        log.warning("media worker exited")
        for meeting_id, gen in list(self._gens.items()):
            if self.status(meeting_id).state in ("connecting", "live"):
                self._apply(meeting_id, gen, {"state": "failed", "reason": "media worker exited"})
        if self.on_worker_lost is not None:
            self.on_worker_lost()

    def _call(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop closed meanwhile
            return

    def _apply(self, meeting_id: int, gen: int, status: dict[str, Any]) -> None:
        if gen and self._gens.get(meeting_id) != gen:
            return  # a replaced stream's late word
        before = self._statuses.get(meeting_id, MediaStatus())
        after = msgspec.structs.replace(
            before, **{k: v for k, v in status.items() if k in MediaStatus.__struct_fields__}
        )
        if before.state != after.state:
            if after.state == "connecting" and before.state in ("stopped", "failed", "off"):
                after = MediaStatus(
                    state="connecting", width=after.width, height=after.height
                )  # a new session: counters from zero
            if after.state == "failed":
                self.failures += 1
            self._journal.add_media(self._now(), meeting_id, after.state, after.reason)
        self._statuses[meeting_id] = after


def _reap(proc: Any) -> None:
    """Wait for the worker that closed its pipe, so it leaves no zombie; killed if it
    lingers (it closes its streams within ``SHUTDOWN_SECONDS`` of the pipe closing)."""
    try:
        proc.wait(REAP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _card_of(meeting: Meeting) -> Card:
    return card_for(
        meeting.id, meeting.topic, meeting.resolution, meeting.layout,
        meeting.display_name, meeting.active_speaker_name, meeting.close_caption,
    )  # fmt: skip
