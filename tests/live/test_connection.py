"""Bounded per-connection queues: a member who stops reading never holds up the others."""

from __future__ import annotations

import asyncio

from app.core.views import Viewer
from app.live.connection import Connection


class Socket:
    """A socket whose reader can stop reading (``blocked``)."""

    def __init__(self, blocked: bool = False) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.gate = asyncio.Event()
        if not blocked:
            self.gate.set()

    async def send(self, frame: str) -> None:
        await self.gate.wait()
        self.sent.append(frame)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def _connection(socket: Socket, name: str, **limits: int) -> Connection:
    return Connection(
        viewer=Viewer("participant", name), send=socket.send, close=socket.close, **limits
    )


async def test_a_stalled_reader_is_closed_and_the_others_get_everything():
    stalled, healthy = Socket(blocked=True), Socket()
    slow = _connection(stalled, "slow", max_frames=10)
    fast = _connection(healthy, "fast", max_frames=10)
    slow.start()
    fast.start()
    accepted = []
    for number in range(100):
        frame = f'{{"n":{number}}}'
        accepted.append(slow.push(frame))
        assert fast.push(frame)
        await asyncio.sleep(0)  # the fast reader keeps up
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(healthy.sent) == 100
    assert accepted.count(False) > 0 and slow.closing
    stalled.gate.set()  # the stalled reader wakes up: it is told to go, not flooded
    for _ in range(10):
        await asyncio.sleep(0)
    assert stalled.closed == (4008, "too_slow")
    assert len(stalled.sent) <= 1  # only the frame it was blocked on
    await slow.stop()
    await fast.stop()


async def test_the_byte_limit_counts_too():
    stalled = Socket(blocked=True)
    connection = _connection(stalled, "slow", max_bytes=1000)
    assert connection.push("x" * 600)
    assert not connection.push("y" * 600)
    assert connection.closing


async def test_ending_sends_the_last_frame_after_the_queue_then_closes():
    socket = Socket()
    connection = _connection(socket, "p")
    connection.start()
    connection.push("one")
    connection.end(4403, "removed", last="bye")
    assert not connection.push("late")
    for _ in range(10):
        await asyncio.sleep(0)
    assert socket.sent == ["one", "bye"]
    assert socket.closed == (4403, "removed")
    await connection.stop()
