"""The load generator: a separate process that plays many people over the live protocol.

It opens one websocket per participant or facilitator (raw `websockets`, the protocol of
docs/protocol.md) and says hello with the plan's token or session. Modes:

- ``load`` (steady, peak, breakout hour, slow member): a command mix at a fixed rate per
  workshop for a fixed time, sent by the observed share of the participants (who parse every
  frame; the others only count bytes): new notes and text edits (each carrying the send
  time, so every delivery's latency is measured), moves and colours as unmeasured load. It records
  acknowledgement latency, delivery latency on the observed share, typed errors, lost
  deliveries (an acknowledged note an observer of its group never received), notes that
  reached someone outside their group (``leaked``), duplicated or out-of-order sequences.
  ``--slow-per-workshop K`` makes K participants per workshop stop reading (4 KB receive
  buffer, reading paused); they are left out of every count.
- ``storm``: a few participants fill the board, then every participant connects at once
  (``--spreads 1,0``: spread evenly over 1 s, then all at the same instant), and the time
  from the start of each connect to its whole welcome is measured.
- ``reshuffle``: everyone connects, one command regroups them, and the time until each
  participant's view names its new group is measured.
- ``fill``: only the board filling of ``storm``.

It prints one JSON line. Loopback only; every loop is bounded in count and time.

    python bench/loadgen.py --plan plan.json --rate 100 --duration 10 --observe-frac 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CONNECT_TIMEOUT_S = 20.0
MAX_CONNECTIONS = 5000
MAX_DURATION_S = 120.0
MAX_WAIT_S = 60.0  # any phase that waits for answers
DRAIN_S = 2.0
WAVE = 100  # connections opened together outside the storm
FILLERS = 100
FILL_PAUSE_S = 0.07  # below the server's 20 commands per second per connection
MAX_FILL_ITEMS = 20_000
MAX_SENDER_RATE = 10.0  # commands/s per connection; the server refuses more than 20 sustained
MARK = "bench:"
NOTE_PADDING = "Erfahrung aus unserer Organisation, bitte aufgreifen"  # ~50 characters


def percentile(values: list[float], share: float) -> float | None:
    """The ``share`` percentile of ``values`` (nearest rank), or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def server_times(pid: int) -> tuple[float, float] | None:
    """The server's CPU seconds (user + system, all threads) and the seconds its main thread
    (the event loop) waited for a CPU while runnable, from /proc; None without a pid."""
    if pid <= 0:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        waited = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None
    return cpu, waited


def messages_of(raw: str | bytes) -> list[dict[str, Any]]:
    """The messages of one frame: a JSON object, or a JSON array of them."""
    parsed = orjson.loads(raw)
    return parsed if isinstance(parsed, list) else [parsed]


def client_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame (a zero mask key leaves the payload as it is)."""
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    elif size < 1 << 16:
        head = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class Drain(asyncio.Protocol):
    """A member that only reads: after the upgrade it counts bytes and never parses a frame.

    Only observers parse (and send); the others cost the generator almost nothing, so it
    does not become the bottleneck. (A drain answers no websocket ping; runs stay far below
    the server's ping interval plus timeout.)"""

    def __init__(self) -> None:
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.head = b""
        self.received = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        if self.upgraded.done():
            self.received += len(data)
            return
        self.head += data
        if b"\r\n\r\n" in self.head:
            head, _, rest = self.head.partition(b"\r\n\r\n")
            self.received += len(rest)
            if head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_result(None)
            else:
                self.upgraded.set_exception(RuntimeError(head[:200].decode(errors="replace")))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(ConnectionError("closed before the upgrade"))


async def open_drain(url: str, hello: dict[str, Any]) -> Drain:
    """A websocket opened by hand (loopback only), hello sent, then only counted."""
    host_port = url.removeprefix("ws://").split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    path = "/" + url.removeprefix("ws://").split("/", 1)[1]
    transport, drain = await asyncio.get_running_loop().create_connection(Drain, host, int(port))
    drain.transport = transport
    key = base64.b64encode(random.randbytes(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    drain.transport.write(request.encode())
    await asyncio.wait_for(drain.upgraded, CONNECT_TIMEOUT_S)
    drain.transport.write(client_frame(json.dumps({"type": "hello", "v": 1, **hello}).encode()))
    return drain


@dataclass
class Totals:
    """Everything the members counted."""

    sent: int = 0
    acked: int = 0
    ack_ms: list[float] = field(default_factory=list)
    delivery_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    join_ms: list[float] = field(default_factory=list)
    duplicated: int = 0
    out_of_order: int = 0
    disconnected: int = 0
    acked_notes: set[str] = field(default_factory=set)
    note_group: dict[str, tuple[str, str | None]] = field(default_factory=dict)


@dataclass
class Member:
    """One websocket: a participant (or a facilitator, who only observes)."""

    number: int
    workshop: str
    hello: dict[str, Any]
    kind: str
    group: str | None
    totals: Totals
    observe: bool = False
    slow: bool = False
    socket: ClientConnection | None = None
    drain: Drain | None = None
    pending: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    last_seq: int = -1
    seen: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)
    counter: int = 0
    regrouped_ns: int | None = None
    new_group: str | None = None
    closed: bool = False  # the server closed this connection while it was sending

    async def open(self, url: str) -> str:
        """Connect and say hello; the raw welcome."""
        self.socket = await connect(
            url,
            compression=None,
            max_size=None,
            open_timeout=CONNECT_TIMEOUT_S,
            max_queue=1 if self.slow else 16,
        )
        if self.slow:
            raw_socket = self.socket.transport.get_extra_info("socket")
            raw_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await self.socket.send(json.dumps({"type": "hello", "v": 1, **self.hello}))
        raw = await asyncio.wait_for(self.socket.recv(), CONNECT_TIMEOUT_S)
        return str(raw)

    async def join(self, url: str, drain: bool = False) -> None:
        if drain:
            self.drain = await open_drain(url, self.hello)
            return
        started = time.monotonic_ns()
        welcome = orjson.loads(await self.open(url))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"no welcome: {str(welcome)[:300]}")
        self.totals.join_ms.append((time.monotonic_ns() - started) / 1e6)
        self.last_seq = int(welcome["seq"])
        me = ((welcome.get("view") or {}).get("me") or {}).get("main") or {}
        if self.group is None:
            self.group = me.get("scope")

    async def close(self) -> None:
        if self.drain is not None and self.drain.transport is not None:
            self.drain.transport.write(client_frame(b"\x03\xe8", opcode=0x8))
            self.drain.transport.close()
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.socket.close(), 2)

    async def send(self, rng: random.Random) -> None:
        assert self.socket is not None
        self.counter += 1
        command_id = f"b{self.counter}"
        now = time.monotonic_ns()
        roll = rng.random()
        note: str | None = None
        if not self.notes or roll < 0.4:
            note = f"n{self.number}x{self.counter}"
            command: dict[str, Any] = {"type": "note.post", "item_id": note, "text": f"{MARK}{now}"}
            self.totals.note_group[note] = (self.workshop, self.group)
        elif roll < 0.6:
            note = rng.choice(self.notes)
            command = {"type": "note.edit", "item_id": note, "text": f"{MARK}{now}"}
        elif roll < 0.9:
            command = {
                "type": "note.move",
                "item_id": rng.choice(self.notes),
                "x": rng.random(),
                "y": rng.random(),
            }
        else:
            command = {
                "type": "note.colour",
                "item_id": rng.choice(self.notes),
                "colour": rng.choice(("gelb", "blau")),
            }
        await self.command(
            command_id, command, now, note if command["type"] == "note.post" else None
        )

    async def command(
        self, command_id: str, command: dict[str, Any], now: int, note: str | None = None
    ) -> None:
        assert self.socket is not None
        if self.closed:
            return
        self.pending[command_id] = (now, note)
        self.totals.sent += 1
        try:
            await self.socket.send(
                json.dumps({"type": "command", "id": command_id, "command": command})
            )
        except ConnectionClosed as closed:  # e.g. dropped as too slow: counted, not fatal
            self.closed = True
            self.totals.errors[f"closed:{closed.rcvd.code if closed.rcvd else '?'}"] += 1

    def take(self, message: dict[str, Any], arrived: int) -> None:
        """Count one message from the server."""
        totals = self.totals
        kind = message.get("type")
        if kind == "ack":
            sent = self.pending.pop(message["ref"], None)
            if sent is not None:
                totals.acked += 1
                totals.ack_ms.append((arrived - sent[0]) / 1e6)
                if sent[1] is not None:
                    self.notes.append(sent[1])
                    totals.acked_notes.add(sent[1])
        elif kind == "error":
            totals.errors[message.get("code", "?")] += 1
            self.pending.pop(message.get("ref") or "", None)
        elif kind == "event":
            seq = int(message["seq"])
            if seq == self.last_seq:
                totals.duplicated += 1
            elif seq < self.last_seq:
                totals.out_of_order += 1
            self.last_seq = max(self.last_seq, seq)
            for change in message["changes"]:
                value = change.get("value")
                section = change.get("section")
                if section == "me" and isinstance(value, dict) and self.regrouped_ns is None:
                    scope = value.get("scope")
                    if scope is not None and scope != self.group:
                        self.regrouped_ns, self.new_group = arrived, scope
                if section != "items" or not isinstance(value, dict):
                    continue
                text = value.get("text", "")
                key = change["key"]
                if isinstance(text, str) and text.startswith(MARK) and self.texts.get(key) != text:
                    # a new note or a new text: moves and colours resend the old text
                    self.texts[key] = text
                    totals.delivery_ms.append((arrived - int(text[len(MARK) :])) / 1e6)
                    self.seen.add(key)
        elif kind == "bye":
            totals.errors[f"bye:{message.get('code')}"] += 1

    async def read(self, until_ns: int, done: asyncio.Event | None = None) -> None:
        assert self.socket is not None
        try:
            while time.monotonic_ns() < until_ns and not (done and done.is_set()):
                left = (until_ns - time.monotonic_ns()) / 1e9
                try:
                    raw = await asyncio.wait_for(self.socket.recv(), max(min(left, 1.0), 0.001))
                except TimeoutError:
                    continue
                if not self.observe and '"type":"ack"' not in raw and '"type":"error"' not in raw:
                    continue  # capacity mode: only observers parse every frame
                arrived = time.monotonic_ns()
                for message in messages_of(raw):
                    self.take(message, arrived)
        except ConnectionClosed:
            self.totals.disconnected += 1


def members_of(
    plan: dict[str, Any], totals: Totals, observe_frac: float, seed: int
) -> list[Member]:
    rng = random.Random(seed)
    people: list[Member] = []
    for workshop in plan["workshops"]:
        for entry in workshop["members"][:MAX_CONNECTIONS]:
            people.append(
                Member(
                    number=len(people),
                    workshop=workshop["id"],
                    hello=entry["hello"],
                    kind=entry.get("kind", "participant"),
                    group=entry.get("group"),
                    totals=totals,
                    observe=entry.get("kind") == "facilitator" or rng.random() < observe_frac,
                )
            )
    if len(people) > MAX_CONNECTIONS:
        raise SystemExit(f"at most {MAX_CONNECTIONS} connections")
    if people and not any(p.observe for p in people):
        people[0].observe = True
    return people


async def connect_all(url: str, people: list[Member], drains: bool = False) -> float:
    """Everyone connects, in waves; with ``drains`` those who do not observe only read."""
    started = time.monotonic()
    for start in range(0, len(people), WAVE):
        wave = people[start : start + WAVE]
        await asyncio.gather(*(p.join(url, drains and not p.observe and not p.slow) for p in wave))
    return time.monotonic() - started


def summary(totals: Totals) -> dict[str, Any]:
    return {
        "sent": totals.sent,
        "acked": totals.acked,
        "ack_p50_ms": rounded(percentile(totals.ack_ms, 0.50)),
        "ack_p99_ms": rounded(percentile(totals.ack_ms, 0.99)),
        "deliveries": len(totals.delivery_ms),
        "delivery_p50_ms": rounded(percentile(totals.delivery_ms, 0.50)),
        "delivery_p99_ms": rounded(percentile(totals.delivery_ms, 0.99)),
        "delivery_max_ms": rounded(max(totals.delivery_ms, default=None)),
        "duplicated": totals.duplicated,
        "out_of_order": totals.out_of_order,
        "errors": dict(totals.errors),
        "disconnected": totals.disconnected,
    }


async def run_load(
    plan: dict[str, Any],
    rate: float,
    duration: float,
    observe_frac: float,
    slow_per_workshop: int,
    seed: int,
    server_pid: int = 0,
) -> dict[str, Any]:
    duration = min(duration, MAX_DURATION_S)
    rng = random.Random(seed)
    totals = Totals()
    people = members_of(plan, totals, observe_frac, seed)
    by_workshop: dict[str, list[Member]] = {}
    for person in people:
        by_workshop.setdefault(person.workshop, []).append(person)
    if slow_per_workshop > 0:
        for members in by_workshop.values():
            for person in [p for p in members if p.kind == "participant"][-slow_per_workshop:]:
                person.slow, person.observe = True, False
    connect_s = await connect_all(plan["url"], people, drains=True)
    before, load_started = server_times(server_pid), time.monotonic()
    until = time.monotonic_ns() + int((duration + DRAIN_S) * 1e9)
    readers = [asyncio.create_task(p.read(until)) for p in people if p.socket and not p.slow]

    async def drive(members: list[Member]) -> None:
        senders = [p for p in members if p.kind == "participant" and p.observe]
        interval = 1.0 / min(rate, MAX_SENDER_RATE * len(senders))
        next_at = time.monotonic()
        stop_at = next_at + duration
        count = 0
        while time.monotonic() < stop_at and count < int(rate * duration) + 1:
            await rng.choice(senders).send(rng)
            count += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    await asyncio.gather(*(drive(members) for members in by_workshop.values()))
    await asyncio.gather(*readers)
    after, load_wall = server_times(server_pid), time.monotonic() - load_started
    await asyncio.gather(*(p.close() for p in people))
    load_figures: dict[str, Any] = {}
    if before is not None and after is not None:  # the sending and draining only
        load_figures = {
            "load_wall_s": round(load_wall, 2),
            "load_cpu_s": round(after[0] - before[0], 2),
            "load_cpu_pct": round(100 * (after[0] - before[0]) / load_wall, 1),
            "load_cpu_wait_s": round(after[1] - before[1], 2),
        }
    observers = [p for p in people if p.observe and not p.slow]
    lost = leaked = 0
    for person in observers:
        mine = (person.workshop, person.group)
        expected = {
            note
            for note in totals.acked_notes
            if totals.note_group[note][0] == person.workshop
            and (person.kind == "facilitator" or totals.note_group[note] == mine)
        }
        lost += len(expected - person.seen)
        if person.kind == "participant":
            leaked += sum(1 for note in person.seen if totals.note_group.get(note) != mine)
    groups = {(p.workshop, p.group) for p in observers if p.kind == "participant"}
    drained = [p.drain.received for p in people if p.drain is not None]
    return {
        "mode": "load",
        "participants": sum(1 for p in people if p.kind == "participant"),
        "facilitators": sum(1 for p in people if p.kind == "facilitator"),
        "groups": len(groups),
        "slow": sum(1 for p in people if p.slow),
        "workshops": len(by_workshop),
        "observers": len(observers),
        "rate_per_workshop": rate,
        "sent_per_s": round(totals.sent / duration, 1),
        "duration_s": duration,
        "connect_s": round(connect_s, 3),
        "join_p99_ms": rounded(percentile(totals.join_ms, 0.99)),
        **summary(totals),
        "lost": lost,
        "leaked": leaked,
        "drained_kb_min": rounded(min(drained) / 1024 if drained else None, 1),
        **load_figures,
    }


async def fill(url: str, people: list[Member], items: int) -> dict[str, Any]:
    """The first participants post ``items`` notes (paced below the rate limit), acked."""
    items = min(items, MAX_FILL_ITEMS)
    fillers = people[: min(FILLERS, len(people))]
    started = time.monotonic()
    await connect_all(url, fillers)
    deadline = time.monotonic() + MAX_WAIT_S
    failures: Counter[str] = Counter()

    async def post(member: Member, count: int) -> None:
        assert member.socket is not None
        for number in range(count):
            if time.monotonic() > deadline:
                failures["timeout"] += 1
                return
            ref = f"f{number}"
            text = f"{NOTE_PADDING} {member.number}.{number}"
            command = {"type": "note.post", "item_id": f"f{member.number}x{number}", "text": text}
            await member.socket.send(json.dumps({"type": "command", "id": ref, "command": command}))
            while time.monotonic() < deadline:
                raw = str(await asyncio.wait_for(member.socket.recv(), MAX_WAIT_S))
                if f'"ref":"{ref}"' in raw:
                    answer = next(m for m in messages_of(raw) if m.get("ref") == ref)
                    if answer["type"] != "ack":
                        failures[answer.get("code", "?")] += 1
                    break
            await asyncio.sleep(FILL_PAUSE_S)

    share, extra = divmod(items, len(fillers))
    await asyncio.gather(
        *(post(member, share + (1 if n < extra else 0)) for n, member in enumerate(fillers))
    )
    await asyncio.gather(*(member.close() for member in fillers))
    return {
        "items": items,
        "fill_s": round(time.monotonic() - started, 2),
        "fill_errors": dict(failures),
    }


async def storm_once(
    url: str, people: list[Member], spread: float, expected: int
) -> dict[str, Any]:
    """Everyone connects, spread evenly over ``spread`` seconds; connect -> welcome each."""
    latency: list[float] = []
    served_at: list[float] = []
    sizes: list[int] = []
    counts: list[int] = []
    failures: Counter[str] = Counter()
    started = time.monotonic() + 0.2
    count = len(people)

    async def one(n: int, member: Member) -> None:
        start_at = started + spread * n / count
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        begun = time.monotonic()
        try:
            raw = await asyncio.wait_for(member.open(url), MAX_WAIT_S)
        except (OSError, TimeoutError, ConnectionClosed) as error:
            failures[type(error).__name__] += 1
            return
        done = time.monotonic()
        if '"type":"welcome"' not in raw[:200]:
            failures["no_welcome"] += 1
            return
        latency.append((done - begun) * 1000)
        served_at.append(done - started)
        sizes.append(len(raw))
        counts.append(raw.count('"kind":"note"'))  # a string count: no parsing on the clock

    await asyncio.gather(*(one(n, member) for n, member in enumerate(people)))
    await asyncio.gather(*(member.close() for member in people))
    return {
        "spread_s": spread,
        "clients": count,
        "served": len(latency),
        "failures": dict(failures),
        "all_served_s": rounded(max(served_at, default=None), 3),
        "connect_p50_ms": rounded(percentile(latency, 0.50)),
        "connect_p99_ms": rounded(percentile(latency, 0.99)),
        "connect_max_ms": rounded(max(latency, default=None)),
        "snapshot_kb": rounded(percentile(sizes, 0.5) / 1024 if sizes else None, 1),
        "complete_snapshots": sum(1 for c in counts if c >= expected),
    }


async def run_storm(
    plan: dict[str, Any], items: int, spreads: list[float], seed: int
) -> dict[str, Any]:
    totals = Totals()
    people = [p for p in members_of(plan, totals, 0.0, seed) if p.kind == "participant"]
    filled = await fill(plan["url"], people, items)
    rounds = []
    for spread in spreads:
        await asyncio.sleep(1.0)
        fresh = [Member(p.number, p.workshop, p.hello, p.kind, p.group, totals) for p in people]
        rounds.append(await storm_once(plan["url"], fresh, spread, filled["items"]))
    return {"mode": "storm", "participants": len(people), **filled, "storms": rounds}


async def run_fill(plan: dict[str, Any], items: int, seed: int) -> dict[str, Any]:
    people = [p for p in members_of(plan, Totals(), 0.0, seed) if p.kind == "participant"]
    return {"mode": "fill", **(await fill(plan["url"], people, items))}


async def run_reshuffle(plan: dict[str, Any], seed: int) -> dict[str, Any]:
    totals = Totals()
    people = members_of(plan, totals, 1.0, seed)
    commander = next(p for p in people if p.kind == "facilitator")
    participants = [p for p in people if p.kind == "participant"]
    connect_s = await connect_all(plan["url"], people)
    done = asyncio.Event()
    until = time.monotonic_ns() + int(MAX_WAIT_S * 1e9)
    readers = [asyncio.create_task(p.read(until, done)) for p in people]
    await asyncio.sleep(1.0)  # everyone reading, the room quiet
    sent = time.monotonic_ns()
    await commander.command("reshuffle", plan["command"], sent)
    while time.monotonic_ns() < until:
        if all(p.regrouped_ns is not None for p in participants) and not commander.pending:
            break
        await asyncio.sleep(0.01)
    done.set()
    await asyncio.gather(*readers)
    await asyncio.gather(*(p.close() for p in people))
    latency = [(p.regrouped_ns - sent) / 1e6 for p in participants if p.regrouped_ns is not None]
    sizes = Counter(Counter(p.new_group for p in participants if p.new_group).values())
    return {
        "mode": "reshuffle",
        "participants": len(participants),
        "connect_s": round(connect_s, 3),
        "regrouped": len(latency),
        "group_sizes": {str(size): n for size, n in sorted(sizes.items())},
        "regroup_p50_ms": rounded(percentile(latency, 0.5)),
        "regroup_p99_ms": rounded(percentile(latency, 0.99)),
        "all_regrouped_ms": rounded(max(latency, default=None)),
        "ack_ms": rounded(totals.ack_ms[0] if totals.ack_ms else None),
        "errors": dict(totals.errors),
        "duplicated": totals.duplicated,
        "out_of_order": totals.out_of_order,
    }


async def run_idle(plan: dict[str, Any], hold: float, ready: str, seed: int) -> dict[str, Any]:
    """Everyone connects and is welcomed, then stays idle for ``hold`` seconds (reading only
    heartbeats) while the driver reads the server's memory; ``ready`` is created once all
    are in."""
    totals = Totals()
    people = members_of(plan, totals, 0.0, seed)
    connect_s = await connect_all(plan["url"], people, drains=True)
    with open(ready, "w", encoding="utf-8") as marker:
        marker.write(str(len(people)))
    done = asyncio.Event()
    until = time.monotonic_ns() + int(min(hold, MAX_WAIT_S) * 1e9)
    readers = [asyncio.create_task(p.read(until, done)) for p in people if p.observe]
    await asyncio.sleep(min(hold, MAX_WAIT_S))
    done.set()
    await asyncio.gather(*readers)
    await asyncio.gather(*(p.close() for p in people))
    return {
        "mode": "idle",
        "connected": len(people),
        "connect_s": round(connect_s, 3),
        "errors": dict(totals.errors),
        "disconnected": totals.disconnected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plan", required=True, help="JSON: {url, workshops: [{id, members}]}")
    parser.add_argument(
        "--mode", choices=("load", "storm", "reshuffle", "fill", "idle"), default="load"
    )
    parser.add_argument("--hold", type=float, default=8.0, help="idle: seconds to stay")
    parser.add_argument("--ready-file", help="idle: created once everyone is connected")
    parser.add_argument(
        "--rate", type=float, default=100.0, help="commands per second per workshop"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument(
        "--observe-frac", type=float, default=0.2, help="share of participants that parse"
    )
    parser.add_argument("--slow-per-workshop", type=int, default=0)
    parser.add_argument("--items", type=int, default=2000, help="notes on the board (storm, fill)")
    parser.add_argument("--spreads", default="1,0", help="storm: seconds the connects spread over")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--server-pid", type=int, default=0, help="load: the server's CPU over the sending"
    )
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as file:
        plan = json.load(file)
    if not plan["url"].startswith("ws://127.0.0.1:"):
        sys.exit("the load generator only targets loopback (ws://127.0.0.1:PORT)")
    cpu_before, wall_before = time.process_time(), time.monotonic()
    if args.mode == "load":
        result = uvloop.run(
            run_load(
                plan,
                args.rate,
                args.duration,
                args.observe_frac,
                args.slow_per_workshop,
                args.seed,
                args.server_pid,
            )
        )
    elif args.mode == "storm":
        spreads = [float(value) for value in args.spreads.split(",")]
        result = uvloop.run(run_storm(plan, args.items, spreads, args.seed))
    elif args.mode == "reshuffle":
        result = uvloop.run(run_reshuffle(plan, args.seed))
    elif args.mode == "idle":
        result = uvloop.run(run_idle(plan, args.hold, args.ready_file, args.seed))
    else:
        result = uvloop.run(run_fill(plan, args.items, args.seed))
    wall = time.monotonic() - wall_before
    result["gen_cpu_pct"] = round(100 * (time.process_time() - cpu_before) / wall, 1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
