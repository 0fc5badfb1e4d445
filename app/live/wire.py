"""Frames written straight to a member's socket, encoded once for everyone who gets them.

Through ASGI every member-frame costs a send coroutine, two of Starlette's wrappers, the
server's UTF-8 encoding and framing of the same text again, and only then the write: at a
room of 500 that is most of the server's time. When Lernraum runs under uvicorn's
websockets (sans-I/O) protocol without compression, a :class:`TransportWire` writes a frame
encoded once per publication (:func:`text_frame`) to the member's transport directly. It
does so only while the transport takes data without back-pressure; otherwise the caller
queues the frame and sends it through ASGI as before, so order and the slow-member rules
stay the same. Under any other server, or with an extension negotiated, there is no wire
and every frame goes through ASGI.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

SCOPE_KEY = "lernraum.send"  # the server's own ASGI send, kept for :func:`wire_of`

_TEXT = 0x81  # FIN and opcode 1 (text); a server never masks (RFC 6455, 5.1)
_HEAD16 = struct.Struct("!BBH")
_HEAD64 = struct.Struct("!BBQ")


def text_frame(text: str) -> bytes:
    """``text`` as one unfragmented, unmasked websocket text frame."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return bytes((_TEXT, size)) + payload
    if size < 65536:
        return _HEAD16.pack(_TEXT, 126, size) + payload
    return _HEAD64.pack(_TEXT, 127, size) + payload


class Wire(Protocol):
    """Writes a whole encoded frame now, or says the caller must queue it."""

    def write(self, frame: bytes) -> bool: ...


class TransportWire:
    """The transport under one uvicorn websocket, while it is open and keeps up."""

    __slots__ = ("_open", "_protocol")

    def __init__(self, protocol: Any, open_state: Any) -> None:
        self._protocol = protocol
        self._open = open_state

    def write(self, frame: bytes) -> bool:
        protocol = self._protocol
        transport = protocol.transport
        # A closing transport (the peer's close, a lost connection) or our own close sent:
        # no more data frames. Over the high-water mark: the caller queues instead.
        if protocol.close_sent or transport.is_closing() or not protocol.writable.is_set():
            return False
        if protocol.conn.state is not self._open:
            return False
        transport.write(frame)
        return True


def wire_of(scope: Scope) -> Wire | None:
    """A direct wire for this websocket, if its server offers one safely."""
    send = scope.get(SCOPE_KEY)
    protocol = getattr(send, "__self__", None)
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
        from websockets.protocol import State
    except ImportError:  # pragma: no cover - uvicorn and websockets are dependencies
        return None
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    if protocol.conn.extensions:  # compression would change every frame's bytes
        return None
    return TransportWire(protocol, State.OPEN)


class KeepSend:
    """ASGI middleware: remembers the server's send of a websocket in its scope, before
    any wrapper replaces it, so :func:`wire_of` can find the socket below."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SCOPE_KEY] = send
        await self.app(scope, receive, send)
