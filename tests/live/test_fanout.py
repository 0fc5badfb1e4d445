"""The room's fan-out: one publication per tick, last values only, coalesced joins, cached
welcomes, answers after the events, and members who fall behind dropped alone.

A real runner writes to a real SQLite store; sockets are in-memory readers. The tick and
the queue ages run on fake clocks the tests move, so nothing here depends on timing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import app.live.room as room_module
from app.clock import FakeClock
from app.codec import decode_command
from app.core.actors import SYSTEM, Actor
from app.core.agreement import agreement_fingerprint, agreement_of
from app.core.people import AdmitParticipant
from app.core.views import Viewer, view
from app.live.connection import Connection
from app.live.room import Room
from app.runner import Accepted, Runner
from app.structures import SHIPPED_ROOT, load_library
from app.workshops import WorkshopService
from tests.factories import OWNER

NOTES_STEP = 3  # the reference agenda's impulse talk: everyone in the plenary, notes allowed


class Ticks:
    """The room's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Socket:
    """An in-memory reader that can stop reading."""

    def __init__(self, reading: bool = True) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.gate = asyncio.Event()
        if reading:
            self.gate.set()

    async def send(self, frame: str) -> None:
        await self.gate.wait()
        self.sent.append(frame)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def messages(self, kind: str | None = None) -> list[dict[str, Any]]:
        parsed = [json.loads(frame) for frame in self.sent]
        return [m for m in parsed if kind is None or m["type"] == kind]


class World:
    def __init__(self, room: Room, ticks: Ticks) -> None:
        self.room = room
        self.ticks = ticks
        self.sockets: dict[str, Socket] = {}
        self.connections: dict[str, Connection] = {}

    async def submit(self, actor: Actor, command: Any) -> Accepted:
        if isinstance(command, dict):
            command = decode_command(command)
        outcome = await self.room.runner.submit(command, actor)
        assert isinstance(outcome, Accepted), outcome
        return outcome

    async def admit(self, pid: str) -> None:
        fingerprint = agreement_fingerprint(agreement_of(self.room.state))
        admit = AdmitParticipant(
            participant_id=pid, name=f"Name {pid}", attributes={}, agreement=fingerprint
        )
        await self.submit(SYSTEM, admit)

    def connect(self, pid: str, socket: Socket | None = None) -> Connection:
        socket = socket or Socket()
        connection = Connection(
            viewer=Viewer("participant", pid), send=socket.send, close=socket.close
        )
        assert self.room.attach(connection, None)
        self.sockets[pid], self.connections[pid] = socket, connection
        return connection

    def quiet(self) -> None:
        """A tick passes without commits: the next commit is published at once."""
        self.room.publish()
        self.ticks.now += 1.0


async def drain() -> None:
    """Let the sender tasks hand every queued frame to their sockets."""
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = FakeClock()
    service = WorkshopService.open(
        f"sqlite:///{tmp_path / 'fanout.db'}", load_library(SHIPPED_ROOT), clock
    )
    created = await service.create("peer-learning-kickoff", OWNER.id)
    runner = await Runner.load(service.store, created.id, clock)
    assert runner is not None
    ticks = Ticks()
    room = Room(service, runner, tick_s=0.02, monotonic=ticks)
    w = World(room, ticks)
    for pid in ("p-a", "p-b"):
        await w.admit(pid)
    await w.submit(OWNER, {"type": "workshop.start"})
    await w.submit(OWNER, {"type": "step.jump", "index": NOTES_STEP})
    w.quiet()
    yield w
    for connection in list(room.connections):
        await connection.stop()
    await room.stop()
    service.close()


async def test_a_quiet_room_publishes_at_once_and_a_busy_tick_sends_only_last_values(world):
    author = Actor("participant", "p-a")
    world.connect("p-b")
    world.connect("p-a")
    await drain()
    before = world.room.publications
    posted = await world.submit(author, {"type": "note.post", "item_id": "n-1", "text": "Idee"})
    await drain()
    assert world.room.publications == before + 1  # quiet room: out at once
    events = world.sockets["p-b"].messages("event")
    assert [e["seq"] for e in events] == [posted.last_seq]
    assert [c["key"] for c in events[0]["changes"]] == ["n-1"]

    for x in (0.1, 0.2, 0.3):  # the same tick: nothing goes out until it ends
        await world.submit(author, {"type": "note.move", "item_id": "n-1", "x": x, "y": x})
    await world.submit(author, {"type": "note.edit", "item_id": "n-1", "text": "Idee 2"})
    await drain()
    assert len(world.sockets["p-b"].messages("event")) == 1
    world.room.publish()
    await drain()
    events = world.sockets["p-b"].messages("event")
    assert len(events) == 2
    changes = events[1]["changes"]
    assert [(c["section"], c["key"]) for c in changes] == [("items", "n-1")]
    assert changes[0]["value"]["position"] == [0.3, 0.3]
    assert changes[0]["value"]["text"] == "Idee 2"
    assert events[1]["seq"] == world.room.state.version
    # the author's own frame carries the shared and the personal change together
    mine = world.sockets["p-a"].messages("event")[-1]["changes"]
    assert {(c["section"], c["key"]) for c in mine} == {("items", "n-1"), ("my_items", "n-1")}


async def test_answers_wait_for_the_events_published_before_them(world):
    author = Actor("participant", "p-a")
    connection = world.connect("p-a")
    world.connect("p-b")
    await world.submit(author, {"type": "note.post", "item_id": "n-1", "text": "eins"})
    second = await world.submit(author, {"type": "note.edit", "item_id": "n-1", "text": "zwei"})
    world.room.reply(connection, lambda: '{"type":"ack","marker":1}')
    await drain()
    assert '{"type":"ack","marker":1}' not in world.sockets["p-a"].sent
    world.room.publish()
    await drain()
    kinds = [m["type"] for m in world.sockets["p-a"].messages()]
    assert kinds[-2:] == ["event", "ack"]
    assert world.sockets["p-a"].messages("event")[-1]["seq"] == second.last_seq
    world.room.reply(connection, lambda: '{"type":"pong"}')  # nothing waits: at once
    await drain()
    assert world.sockets["p-a"].sent[-1] == '{"type":"pong"}'


async def test_joins_within_a_tick_reach_the_room_as_one_delta(world):
    world.connect("p-a")
    await drain()
    world.ticks.now += 1.0
    await world.admit("p-c")  # published at once
    for pid in ("p-d", "p-e", "p-f"):
        await world.admit(pid)
    world.room.publish()
    await drain()
    events = world.sockets["p-a"].messages("event")
    people = [[c["key"] for c in e["changes"] if c["section"] == "people"] for e in events]
    assert people == [["p-c"], ["p-d", "p-e", "p-f"]]


async def test_a_welcome_shares_one_encoding_per_audience_and_sequence(world, monkeypatch):
    encoded: list[str] = []
    original = room_module.json_members

    def counting(value: dict[str, Any]) -> str:
        if "items" in value:  # the shared part of a view
            encoded.append(str(world.room.seq))
        return original(value)

    monkeypatch.setattr(room_module, "json_members", counting)
    for pid in ("p-a", "p-b"):
        world.connect(pid)
    await drain()
    assert len(encoded) == 1
    facilitator_socket = Socket()
    facilitator = Connection(
        viewer=Viewer("facilitator", OWNER.id),
        send=facilitator_socket.send,
        close=facilitator_socket.close,
    )
    assert world.room.attach(facilitator, None)
    assert len(encoded) == 2  # another audience, its own encoding
    world.ticks.now += 1.0
    await world.submit(
        Actor("participant", "p-a"), {"type": "note.post", "item_id": "n", "text": "x"}
    )
    await world.admit("p-c")
    world.room.publish()
    world.connect("p-c")
    await world.admit("p-d")
    world.room.publish()
    world.connect("p-d")
    await drain()
    assert len(encoded) == 4  # once per new sequence, not per join
    welcome = world.sockets["p-d"].messages("welcome")[0]
    assert welcome["seq"] == world.room.state.version
    assert welcome["view"] == view(world.room.state, Viewer("participant", "p-d"))
    await facilitator.stop()


async def test_a_member_two_seconds_behind_is_dropped_and_the_others_get_everything(world):
    stalled = world.connect("p-a", Socket(reading=False))
    healthy = world.connect("p-b")
    clock = Ticks()
    stalled.monotonic = healthy.monotonic = clock
    await drain()
    author = Actor("participant", "p-b")
    for number in range(6):  # one publication every half second
        clock.now += 0.5
        world.ticks.now += 0.5
        await world.submit(author, {"type": "note.post", "item_id": f"n-{number}", "text": "t"})
        await drain()
        assert stalled.closing == (number == 5), number  # 2.5 s behind at the sixth
    assert stalled.queued == 0  # its frames are dropped, memory is freed
    world.ticks.now += 0.5
    await world.submit(author, {"type": "note.post", "item_id": "n-6", "text": "t"})
    await drain()
    assert stalled not in world.room.connections and healthy in world.room.connections
    notes = {
        c["key"]
        for e in world.sockets["p-b"].messages("event")
        for c in e["changes"]
        if c["section"] == "items"
    }
    assert notes == {f"n-{number}" for number in range(7)}
    world.sockets["p-a"].gate.set()  # the stalled reader wakes up: it is told to resync
    await drain()
    assert world.sockets["p-a"].closed == (4008, "too_slow")
    assert len(world.sockets["p-a"].sent) <= 1  # only the frame it was blocked on


class SlowWire:
    """A direct wire each write of which takes ``cost`` seconds of the room's clock."""

    def __init__(self, ticks: Ticks, cost: float) -> None:
        self.ticks, self.cost = ticks, cost
        self.frames: list[bytes] = []

    def write(self, frame: bytes) -> bool:
        self.frames.append(frame)
        self.ticks.now += self.cost
        return True


async def test_a_costly_publication_stretches_the_rooms_next_tick(world):
    """Fan-out to many members costs the server's one core: a room whose last publication
    took ``t`` publishes again after ``SPREAD * t`` at the earliest (never before the tick),
    so a busy, large room gets fewer, fuller frames instead of starving everything else."""
    wires = []
    for pid in ("p-a", "p-b"):
        connection = world.connect(pid)
        wires.append(SlowWire(world.ticks, 0.005))
        connection.wire = wires[-1]
    await drain()
    world.ticks.now += 1.0
    author = Actor("participant", "p-a")
    before = world.room.publications
    await world.submit(author, {"type": "note.post", "item_id": "n-1", "text": "eins"})
    assert world.room.publications == before + 1  # quiet room: at once, taking 10 ms
    world.ticks.now += 0.03  # past the 20 ms tick, within 5 x 10 ms
    await world.submit(author, {"type": "note.post", "item_id": "n-2", "text": "zwei"})
    assert world.room.publications == before + 1  # waits for the stretched tick
    world.room.publish()
    assert world.room.publications == before + 2
    for wire in wires:
        wire.cost = 0.0  # cheap publications: the plain tick again
    world.ticks.now += 0.051
    await world.submit(author, {"type": "note.post", "item_id": "n-3", "text": "drei"})
    assert world.room.publications == before + 3
    world.ticks.now += 0.021
    await world.submit(author, {"type": "note.post", "item_id": "n-4", "text": "vier"})
    assert world.room.publications == before + 4
    texts = [frame.decode(errors="replace") for frame in wires[1].frames]
    assert [sum(f'"{n}"' in text for text in texts) for n in ("n-1", "n-2", "n-3", "n-4")] == [
        1,
        1,
        1,
        1,
    ]


async def test_one_huge_publication_delays_the_next_by_a_bounded_tick(world):
    connection = world.connect("p-b")
    wire = SlowWire(world.ticks, 1.0)  # a publication of a whole second
    connection.wire = wire
    await drain()
    world.ticks.now += 1.0
    author = Actor("participant", "p-a")
    before = world.room.publications
    await world.submit(author, {"type": "note.post", "item_id": "n-1", "text": "eins"})
    assert world.room.publications == before + 1
    wire.cost = 0.0
    world.ticks.now += 0.001  # due: the ceiling has passed, though 5 x its cost (5 s) has not
    await world.submit(author, {"type": "note.post", "item_id": "n-2", "text": "zwei"})
    assert world.room.publications == before + 2
