"""Bounded per-connection queues: a member who stops reading never holds up the others."""

from __future__ import annotations

import asyncio

from app.core.views import Viewer
from app.live.connection import Connection
from app.live.wire import text_frame


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


class Wire:
    """A direct wire that takes frames until it is ``full``."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.full = False

    def write(self, frame: bytes) -> bool:
        if self.full:
            return False
        self.written.append(frame)
        return True


def _payloads(frames: list[bytes]) -> list[str]:
    return [frame[2:].decode() for frame in frames]  # short frames: a two-byte header


async def test_a_wire_takes_frames_at_once_and_a_full_one_queues_them_in_order():
    socket, wire = Socket(), Wire()
    connection = _connection(socket, "p")
    connection.wire = wire
    connection.push("welcome")  # before start: queued, sent through the socket
    connection.start()
    connection.push("one")  # the queue is not empty yet: behind the welcome
    for _ in range(5):
        await asyncio.sleep(0)
    assert socket.sent == ["welcome", "one"] and wire.written == []
    connection.push("two", text_frame("two"))  # queue drained: straight to the wire
    connection.push("three")  # encoded by the connection itself
    assert _payloads(wire.written) == ["two", "three"]
    wire.full = True  # the socket falls behind: frames queue, in order
    connection.push("four")
    wire.full = False
    connection.push("five")  # the wire would take it, but "four" waits: queued behind it
    assert _payloads(wire.written) == ["two", "three"] and connection.queued == 2
    for _ in range(5):
        await asyncio.sleep(0)
    assert socket.sent == ["welcome", "one", "four", "five"]
    connection.push("six")  # drained: the wire again
    assert _payloads(wire.written) == ["two", "three", "six"]
    connection.end(4403, "removed", last="bye")  # the goodbye goes through the socket
    for _ in range(5):
        await asyncio.sleep(0)
    assert socket.sent[-1] == "bye" and socket.closed == (4403, "removed")
    await connection.stop()


async def test_a_full_wire_still_drops_a_member_who_falls_too_far_behind():
    socket, wire = Socket(blocked=True), Wire()
    connection = _connection(socket, "slow", max_frames=3)
    connection.wire = wire
    connection.start()
    wire.full = True
    assert all(connection.push(f"f{n}") for n in range(3))
    assert not connection.push("f3") and connection.closing
    await connection.stop()
