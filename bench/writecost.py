"""What one socket write costs on this machine: the floor under every fan-out.

A publication writes one frame to each member's socket; no server can do less. This opens
``--connections`` loopback TCP connections to a reader process pinned to the other CPU,
writes a ``--size``-byte frame to every one of them ``--rounds`` times (a short pause between
rounds, as between ticks) and prints the writer's CPU time per write, for uvloop (what
uvicorn runs) and for plain asyncio (what the relay runs).

    .venv/bin/python bench/writecost.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import selectors
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any, cast

import uvloop

MAX_CONNECTIONS = 2000
MAX_ROUNDS = 1000
PAUSE_S = 0.01


def read_all(port: int, connections: int, expected: int, cpu: int | None) -> None:
    """The reader: drains every socket until ``expected`` bytes arrived (bounded by time)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
    selector = selectors.DefaultSelector()
    for sock in sockets:
        selector.register(sock, selectors.EVENT_READ)
    received, deadline = 0, time.monotonic() + 120
    while received < expected and time.monotonic() < deadline:
        for key, _ in selector.select(1):
            received += len(key.fileobj.recv(1 << 20))  # type: ignore[union-attr]


async def measure(connections: int, rounds: int, size: int, cpu: int | None) -> float:
    """CPU microseconds of the writer per write."""
    transports: list[asyncio.Transport] = []
    everyone = asyncio.Event()

    class Member(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            transports.append(cast(asyncio.Transport, transport))  # uvloop's: not a subclass
            if len(transports) == connections:
                everyone.set()

    loop = asyncio.get_running_loop()
    server = await loop.create_server(Member, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    child = os.fork()
    if child == 0:
        try:
            read_all(port, connections, connections * rounds * size, cpu)
        finally:
            os._exit(0)
    try:
        await asyncio.wait_for(everyone.wait(), 60)
    except TimeoutError:
        os.kill(child, 9)
        raise
    frame = b"x" * size
    started = time.process_time()
    for _ in range(rounds):
        for transport in transports:
            transport.write(frame)
        await asyncio.sleep(PAUSE_S)
    spent = time.process_time() - started  # the pauses sleep: they cost no CPU
    os.waitpid(child, 0)
    server.close()
    return 1e6 * spent / (connections * rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--size", type=int, default=1000, help="bytes per frame")
    args = parser.parse_args()
    connections = min(args.connections, MAX_CONNECTIONS)
    rounds = min(args.rounds, MAX_ROUNDS)
    several = (os.cpu_count() or 1) > 1
    if several:
        os.sched_setaffinity(0, {0})
    reader_cpu = 1 if several else None
    runners: dict[str, Callable[[Coroutine[Any, Any, float]], float]] = {
        "uvloop": uvloop.run,
        "asyncio": asyncio.run,
    }
    result: dict[str, Any] = {"connections": connections, "rounds": rounds, "size": args.size}
    for name, run in runners.items():
        result[f"{name}_us_per_write"] = round(
            run(measure(connections, rounds, args.size, reader_cpu)), 2
        )
    result["load_avg"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
