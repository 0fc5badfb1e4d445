"""The baseline: a bare `websockets` relay with the same 20 ms tick batching as Lernraum.

It speaks just enough of Lernraum's live protocol (docs/protocol.md) for the load generator:
hello -> welcome with the room's items, commands on notes -> one event frame per room per
tick (encoded once, sent with ``websockets.broadcast``) and an ack per command, and a
regrouping (``step.next``) that tells every member its new group of four in a frame of its
own. It keeps no log, checks no rights and computes no views, so it is the upper bound a
Python server can reach on this machine; every Lernraum figure is reported as a ratio to it.

    python bench/relay.py --port 8100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

TICK_S = 0.020
dumps = functools.partial(json.dumps, separators=(",", ":"))  # compact, like the server
MAX_BUFFER = 1024 * 1024


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Room:
    """One workshop: its members, its items and the changes of the running tick."""

    members: set[ServerConnection] = field(default_factory=set)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    acks: list[tuple[ServerConnection, str, int]] = field(default_factory=list)
    seq: int = 0
    closing: set[asyncio.Task[None]] = field(default_factory=set)

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            if not self.pending:
                continue
            changes, self.pending = self.pending, []
            acks, self.acks = self.acks, []
            slow = [m for m in self.members if m.transport.get_write_buffer_size() > MAX_BUFFER]
            for member in slow:
                self.members.discard(member)
                closing = asyncio.create_task(member.close(4008, "too_slow"))
                self.closing.add(closing)
                closing.add_done_callback(self.closing.discard)
            frame = dumps(
                {"type": "event", "server_time": now_iso(), "seq": self.seq, "changes": changes}
            )
            broadcast(self.members, frame)
            for member, ref, seq in acks:  # broadcast() writes without waiting for anyone
                ack = {"type": "ack", "server_time": now_iso(), "ref": ref}
                broadcast([member], dumps({**ack, "first_seq": seq, "last_seq": seq}))

    def regroup(self, member: ServerConnection, ref: str) -> None:
        """Every member into a group of four, each told in a personal frame at once."""
        self.seq += 1
        for number, other in enumerate(sorted(self.members, key=id)):
            scope = {"kind": "participant", "scope": f"g{self.seq}-{number // 4}"}
            change = {"section": "me", "key": "main", "value": scope}
            event = {"type": "event", "server_time": now_iso(), "seq": self.seq}
            broadcast([other], dumps({**event, "changes": [change]}))
        ack = {"type": "ack", "server_time": now_iso(), "ref": ref}
        broadcast([member], dumps({**ack, "first_seq": self.seq, "last_seq": self.seq}))

    def apply(self, member: ServerConnection, ref: str, command: dict[str, Any]) -> None:
        item_id = str(command.get("item_id", ""))
        item = self.items.setdefault(item_id, {"kind": "note", "text": "", "position": None})
        if "text" in command:
            item["text"] = command["text"]
        if "x" in command and "y" in command:
            item["position"] = [command["x"], command["y"]]
        if "colour" in command:
            item["colour"] = command["colour"]
        self.seq += 1
        self.pending.append({"section": "items", "key": item_id, "value": dict(item)})
        self.acks.append((member, ref, self.seq))


rooms: dict[str, Room] = {}


async def handler(socket: ServerConnection) -> None:
    try:
        hello = json.loads(await socket.recv())
    except (ConnectionClosed, ValueError):
        return
    name = str(hello.get("workshop", ""))
    room = rooms.get(name)
    if room is None:
        room = rooms[name] = Room()
        asyncio.get_running_loop().create_task(room.tick())
    welcome = {
        "type": "welcome",
        "v": 1,
        "server_time": now_iso(),
        "workshop": name,
        "seq": room.seq,
        "you": {"kind": "participant", "id": str(hello.get("token", ""))[:12]},
        "resumed": False,
        "view": {"items": room.items, "me": {"main": {"kind": "participant", "scope": "plenary"}}},
        "changes": [],
    }
    await socket.send(dumps(welcome))
    room.members.add(socket)
    try:
        async for raw in socket:
            message = json.loads(raw)
            if message.get("type") == "command":
                command = message.get("command") or {}
                if command.get("type") == "step.next":
                    room.regroup(socket, str(message.get("id")))
                    continue
                room.apply(socket, str(message.get("id")), command)
            elif message.get("type") == "ping":
                await socket.send(
                    dumps(
                        {
                            "type": "pong",
                            "server_time": now_iso(),
                            "t": message.get("t"),
                            "seq": room.seq,
                        }
                    )
                )
    except ConnectionClosed:
        pass
    finally:
        room.members.discard(socket)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=128 * 1024):
        print(f"relay on 127.0.0.1:{port} {time.time()}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(arguments.port))
