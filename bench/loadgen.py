"""The load generator: a separate process that plays many participants over the live protocol.

It opens one websocket per participant (raw `websockets`, the protocol of docs/protocol.md),
says hello with the participant's token, and then sends a command mix at a fixed rate per
workshop for a fixed time: new notes and text edits (each carrying the send time, so every
delivery's latency can be measured), and moves and colours as unmeasured load. It records
acknowledgement latency, delivery latency on the observed share of the participants, typed
errors, lost deliveries (an acknowledged note that never reached an observer) and duplicated
or out-of-order sequences, and prints one JSON line. Loopback only; every loop is bounded
in count and time.

    python bench/loadgen.py --plan plan.json --rate 100 --duration 10 --observe-frac 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CONNECT_TIMEOUT_S = 20.0
MAX_CONNECTIONS = 5000
MAX_DURATION_S = 120.0
MARK = "bench:"


def percentile(values: list[float], share: float) -> float | None:
    """The ``share`` percentile of ``values`` (nearest rank), or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Totals:
    """Everything the participants counted."""

    sent: int = 0
    acked: int = 0
    ack_ms: list[float] = field(default_factory=list)
    delivery_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    join_ms: list[float] = field(default_factory=list)
    duplicated: int = 0
    out_of_order: int = 0
    disconnected: int = 0
    acked_notes: dict[str, set[str]] = field(default_factory=dict)  # workshop -> note ids
    seen_notes: dict[str, list[set[str]]] = field(default_factory=dict)  # per observer


@dataclass
class Participant:
    workshop: str
    token: str
    observe: bool
    totals: Totals
    socket: ClientConnection | None = None
    pending: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # id -> ns, note
    notes: list[str] = field(default_factory=list)
    last_seq: int = -1
    seen: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    async def join(self, url: str) -> None:
        started = time.monotonic_ns()
        self.socket = await connect(
            url, compression=None, max_size=None, open_timeout=CONNECT_TIMEOUT_S
        )
        await self.socket.send(
            json.dumps({"type": "hello", "v": 1, "workshop": self.workshop, "token": self.token})
        )
        welcome = json.loads(await self.socket.recv())
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"no welcome: {welcome}")
        self.totals.join_ms.append((time.monotonic_ns() - started) / 1e6)
        self.last_seq = int(welcome["seq"])

    async def send(self, rng: random.Random) -> None:
        assert self.socket is not None
        self.counter += 1
        command_id = f"b{self.counter}"
        now = time.monotonic_ns()
        roll = rng.random()
        note: str | None = None
        if not self.notes or roll < 0.4:
            note = f"n{self.token[:10]}{self.counter}"
            command: dict[str, Any] = {"type": "note.post", "item_id": note, "text": f"{MARK}{now}"}
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
        self.pending[command_id] = (now, note if command["type"] == "note.post" else None)
        self.totals.sent += 1
        await self.socket.send(
            json.dumps({"type": "command", "id": command_id, "command": command})
        )

    async def read(self, until_ns: int) -> None:
        assert self.socket is not None
        totals = self.totals
        try:
            while time.monotonic_ns() < until_ns:
                left = (until_ns - time.monotonic_ns()) / 1e9
                try:
                    raw = await asyncio.wait_for(self.socket.recv(), max(left, 0.001))
                except TimeoutError:
                    return
                if not self.observe and '"type":"ack"' not in raw and '"type":"error"' not in raw:
                    continue  # capacity mode: only observers parse every frame
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ack":
                    sent = self.pending.pop(message["ref"], None)
                    if sent is not None:
                        totals.acked += 1
                        totals.ack_ms.append((time.monotonic_ns() - sent[0]) / 1e6)
                        if sent[1] is not None:
                            self.notes.append(sent[1])
                            totals.acked_notes.setdefault(self.workshop, set()).add(sent[1])
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
                    arrived = time.monotonic_ns()
                    for change in message["changes"]:
                        value = change.get("value")
                        if change.get("section") != "items" or not isinstance(value, dict):
                            continue
                        text = value.get("text", "")
                        key = change["key"]
                        if (
                            isinstance(text, str)
                            and text.startswith(MARK)
                            and self.texts.get(key) != text
                        ):
                            # a new note or a new text: moves and colours resend the old text
                            self.texts[key] = text
                            totals.delivery_ms.append((arrived - int(text[len(MARK) :])) / 1e6)
                            self.seen.add(key)
                elif kind == "bye":
                    totals.errors[f"bye:{message.get('code')}"] += 1
        except ConnectionClosed:
            totals.disconnected += 1


async def run(
    plan: dict[str, Any], rate: float, duration: float, observe_frac: float, seed: int
) -> dict[str, Any]:
    duration = min(duration, MAX_DURATION_S)
    rng = random.Random(seed)
    totals = Totals()
    people: list[Participant] = []
    for workshop in plan["workshops"]:
        for token in workshop["tokens"][:MAX_CONNECTIONS]:
            people.append(Participant(workshop["id"], token, rng.random() < observe_frac, totals))
    if not any(p.observe for p in people) and people:
        people[0].observe = True
    started = time.monotonic()
    for start in range(0, len(people), 100):  # connect in waves of 100
        await asyncio.gather(*(p.join(plan["url"]) for p in people[start : start + 100]))
    connect_s = time.monotonic() - started
    until = time.monotonic_ns() + int((duration + 2.0) * 1e9)  # 2 s to drain after sending
    readers = [asyncio.create_task(p.read(until)) for p in people]
    by_workshop: dict[str, list[Participant]] = {}
    for person in people:
        by_workshop.setdefault(person.workshop, []).append(person)

    async def drive(members: list[Participant]) -> None:
        interval = 1.0 / rate
        next_at = time.monotonic()
        stop_at = next_at + duration
        count = 0
        while time.monotonic() < stop_at and count < int(rate * duration) + 1:
            await rng.choice(members).send(rng)
            count += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    await asyncio.gather(*(drive(members) for members in by_workshop.values()))
    await asyncio.gather(*readers)
    for person in people:
        if person.socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(person.socket.close(), 2)
    observers = [p for p in people if p.observe]
    lost = 0
    for person in observers:
        expected = totals.acked_notes.get(person.workshop, set())
        lost += len(expected - person.seen)
    return {
        "participants": len(people),
        "workshops": len(by_workshop),
        "observers": len(observers),
        "rate_per_workshop": rate,
        "duration_s": duration,
        "connect_s": round(connect_s, 3),
        "join_p99_ms": percentile(totals.join_ms, 0.99),
        "sent": totals.sent,
        "acked": totals.acked,
        "ack_p50_ms": percentile(totals.ack_ms, 0.50),
        "ack_p99_ms": percentile(totals.ack_ms, 0.99),
        "deliveries": len(totals.delivery_ms),
        "delivery_p50_ms": percentile(totals.delivery_ms, 0.50),
        "delivery_p99_ms": percentile(totals.delivery_ms, 0.99),
        "lost": lost,
        "duplicated": totals.duplicated,
        "out_of_order": totals.out_of_order,
        "errors": dict(totals.errors),
        "disconnected": totals.disconnected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plan", required=True, help="JSON: {url, workshops: [{id, tokens}]}")
    parser.add_argument(
        "--rate", type=float, default=100.0, help="commands per second per workshop"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    parser.add_argument(
        "--observe-frac", type=float, default=0.2, help="share of participants that parse"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as file:
        plan = json.load(file)
    if not plan["url"].startswith("ws://127.0.0.1:"):
        sys.exit("the load generator only targets loopback (ws://127.0.0.1:PORT)")
    result = asyncio.run(run(plan, args.rate, args.duration, args.observe_frac, args.seed))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
