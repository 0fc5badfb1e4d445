"""Frames written straight to the socket under uvicorn: the same bytes the websocket library
would frame, in order with what goes through ASGI, and only when nothing is compressed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, WebSocket
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

import app.web.live as live_module
from app.live.wire import KeepSend, TransportWire, text_frame, wire_of
from app.protocol import Ack
from app.web.app import UVICORN_WS_OPTIONS
from tests.conftest import LiveServer
from tests.live.support import room, settle
from tests.services import free_port

LONG = "ä" * 40_000  # 80,000 bytes: a 64-bit length


@pytest.mark.parametrize("text", ["", "x" * 125, "x" * 126, "ü" * 63, "x" * 65_535, LONG])
def test_a_text_frame_is_what_the_websocket_library_sends(text):
    expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
    assert text_frame(text) == expected


def _probe_app() -> FastAPI:
    probe = FastAPI()
    probe.add_middleware(KeepSend)

    @probe.websocket("/probe")
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        wire = wire_of(websocket.scope)
        await websocket.send_text("wire" if isinstance(wire, TransportWire) else "none")
        if wire is not None:
            assert wire.write(text_frame("direct"))
            assert wire.write(text_frame(LONG))
        await websocket.send_text("through asgi")
        await websocket.close()

    return probe


@contextmanager
def _serving(**options: Any) -> Iterator[int]:
    port = free_port()
    config = uvicorn.Config(
        _probe_app(), host="127.0.0.1", port=port, log_level="warning", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


async def _received(port: int, compression: str | None) -> list[str]:
    url = f"ws://127.0.0.1:{port}/probe"
    async with connect(url, compression=compression, max_size=None) as socket:
        return [str(message) async for message in socket]


async def test_under_uvicorn_frames_go_straight_to_the_socket_in_order():
    with _serving(**UVICORN_WS_OPTIONS) as port:
        received = await _received(port, None)
    assert received == ["wire", "direct", LONG, "through asgi"]


async def test_with_compression_negotiated_every_frame_goes_through_asgi():
    options = {**UVICORN_WS_OPTIONS, "ws_per_message_deflate": True}
    with _serving(**options) as port:
        compressed = await _received(port, "deflate")
        plain = await _received(port, None)
    assert compressed == ["none", "through asgi"]
    assert plain == ["wire", "direct", LONG, "through asgi"]


async def test_the_live_endpoint_writes_its_members_frames_directly(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
):
    wires: list[Any] = []

    def spy(scope: Any) -> Any:
        wires.append(wire_of(scope))
        return wires[-1]

    monkeypatch.setattr(live_module, "wire_of", spy)
    async with room(live_server) as workshop:
        _, ada = await workshop.join("Ada")
        _, bea = await workshop.join("Bea")
        try:
            answer = await workshop.facilitator.command({"type": "workshop.start"})
            assert isinstance(answer, Ack)
            await settle(ada, bea, workshop.facilitator, seq=answer.last_seq)
            assert ada.view["workshop"] == bea.view["workshop"]
        finally:
            await ada.close()
            await bea.close()
    assert len(wires) == 3 and all(isinstance(w, TransportWire) for w in wires)
