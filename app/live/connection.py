"""One websocket as the room sees it: who is looking, and a bounded queue of frames.

The room never awaits a socket. It pushes pre-encoded frames to each connection. With a
direct wire (:mod:`app.live.wire`) and nothing queued, a frame goes to the socket at once,
its bytes encoded once for every member who gets it. Otherwise (no wire, or the socket is
not keeping up) the frame waits in the connection's queue, which a sender task drains
through ASGI; the task exists only while something waits. A connection that falls behind
(its oldest queued frame waited more than two seconds, or the queue holds more than 1 MiB
or 2,048 frames) is marked too slow and closed, and the client resumes by sequence. So one
member who stops reading never slows the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.core.actors import Actor
from app.core.views import Audience, Sections, Viewer
from app.live.wire import Wire, text_frame
from app.protocol import CLOSE_TOO_SLOW

log = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 2048
MAX_QUEUED_BYTES = 1024 * 1024
MAX_QUEUED_AGE_S = 2.0  # the oldest queued frame may wait this long, then: too slow

Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


@dataclass(eq=False)
class Connection:
    """A viewer's socket with the last view the server sent it."""

    viewer: Viewer
    send: Send
    close: Close
    session_hash: str | None = None  # facilitators: the session that authenticated them
    audience: Audience | None = None
    audience_key: str = ""  # ``audience.key``, kept: the fan-out reads it for every member
    personal: Sections = field(default_factory=dict)
    max_frames: int = MAX_QUEUED_FRAMES
    max_bytes: int = MAX_QUEUED_BYTES
    max_age_s: float = MAX_QUEUED_AGE_S
    monotonic: Callable[[], float] = time.monotonic  # seconds; tests pass a fake
    wire: Wire | None = None  # writes encoded frames to the socket directly, when it can
    _frames: deque[tuple[str, float]] = field(default_factory=deque)
    _bytes: int = 0
    _closing: tuple[int, str] | None = None
    _started: bool = False
    _task: asyncio.Task[None] | None = None  # drains the queue; only while it holds frames

    @property
    def actor(self) -> Actor:
        """The actor this connection's commands run as."""
        if self.viewer.kind == "facilitator":
            return Actor("user", self.viewer.id)
        return Actor("participant", self.viewer.id)

    def sees(self, audience: Audience) -> None:
        """The connection's audience from now on."""
        self.audience = audience
        self.audience_key = audience.key

    @property
    def closing(self) -> bool:
        """Whether the connection is on its way out and takes no more frames."""
        return self._closing is not None

    def push(self, frame: str, encoded: bytes | None = None) -> bool:
        """Send or queue a frame (``encoded``: its websocket bytes, when the caller shares
        them among members); False (and the connection closes) when it is too far behind."""
        if self._closing is not None:
            return False
        frames = self._frames
        wire = self.wire
        if (
            wire is not None
            and self._started
            and self._task is None  # nothing queued
            and wire.write(encoded if encoded is not None else text_frame(frame))
        ):
            return True
        now = self.monotonic()
        if (
            len(frames) >= self.max_frames
            or self._bytes + len(frame) > self.max_bytes
            or (frames and now - frames[0][1] > self.max_age_s)
        ):
            log.info("closing a connection of %s: too far behind", self.viewer.id)
            self.end(CLOSE_TOO_SLOW, "too_slow", drop_queued=True)
            return False
        frames.append((frame, now))
        self._bytes += len(frame)
        self._drain()
        return True

    @property
    def queued(self) -> int:
        """How many frames wait to be sent."""
        return len(self._frames)

    def end(
        self, code: int, reason: str, *, last: str | None = None, drop_queued: bool = False
    ) -> None:
        """Close after the queued frames (and ``last``) are sent; drop them if asked."""
        if self._closing is not None:
            return
        if drop_queued:
            self._frames.clear()
            self._bytes = 0
        if last is not None:
            self._frames.append((last, self.monotonic()))
            self._bytes += len(last)
        self._closing = (code, reason)
        self._drain()

    def start(self) -> None:
        """Start sending: what was pushed before goes out now, what comes later at once."""
        self._started = True
        self._drain()

    def _drain(self) -> None:
        if self._started and self._task is None and (self._frames or self._closing):
            self._task = asyncio.create_task(self._send_loop(), name=f"send:{self.viewer.id}")

    async def stop(self) -> None:
        """Stop the sender task (the socket is closed by its handler)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _send_loop(self) -> None:
        """Send the queued frames through ASGI (it waits while the socket is backed up);
        close when asked; end once the queue is empty, so the next frame may go direct."""
        try:
            frames = self._frames
            while frames:
                frame = frames.popleft()[0]
                self._bytes -= len(frame)
                await self.send(frame)
            if self._closing is not None:
                code, reason = self._closing
                await self.close(code, reason)
                return  # keeps _task set: nothing is sent after the close
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket is gone: the handler's receive loop notices
            log.debug("sending to %s failed", self.viewer.id, exc_info=True)
            return
        self._task = None
