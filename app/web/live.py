"""The websocket gateway: one connection per browser tab, speaking ``app.protocol``.

Order of a connection's life: the handshake checks Origin; the first message must be a
hello naming the workshop and proving who is connecting (a participant token, or a
facilitator's session from the cookie or the hello); the room answers with a welcome and
from then on pushes events. Commands are decoded into the core's command types and handed
to the workshop's runner; the answer is an ack once the events are durable, or a typed
error. Nothing a client sends can end the connection loop except closing the socket:
oversized, malformed, unknown, too frequent and refused messages each get an ``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from app.accounts import Accounts, hash_token
from app.codec import decode_command
from app.core.errors import Rejection
from app.core.views import Viewer
from app.joining import resolve_participant_token
from app.live.connection import Connection
from app.live.hub import Hub
from app.live.references import check_references
from app.live.room import Room
from app.live.wire import wire_of
from app.protocol import (
    CLIENT_MESSAGE,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_POLICY,
    CLOSE_UNAUTHORISED,
    HELLO_TIMEOUT_S,
    MAX_MESSAGE_BYTES,
    PATH,
    VERSION,
    CommandMessage,
    Hello,
    Ping,
    ack_frame,
    error_frame,
    pong_frame,
    utc,
)
from app.runner import Accepted
from app.web.auth import SESSION_COOKIE
from app.workshops import WorkshopService

log = logging.getLogger(__name__)
router = APIRouter()

COMMANDS_PER_S = 20.0  # sustained rate per connection
COMMAND_BURST = 60  # commands a connection may send at once
MAX_IN_FLIGHT = 64  # commands of one connection waiting for their ack


class Refused(Exception):
    """A hello that cannot be welcomed: the error to send and the close code."""

    def __init__(self, code: str, message: str, close: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close = close


@dataclass
class Bucket:
    """A token bucket: ``rate`` per second, at most ``burst`` saved up."""

    rate: float
    burst: float
    monotonic: Callable[[], float] = time.monotonic
    tokens: float = -1.0
    at: float = 0.0

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self.monotonic()
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """Browsers send Origin: it must be this server's own origin or a configured one.

    Clients that are not browsers send none and authenticate by token alone."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    own = {f"http://{host}", f"https://{host}"}
    return origin in own or origin in allowed


class Gateway:
    """Serves one websocket from hello to close."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        app = websocket.app
        self.hub: Hub = app.state.hub
        self.service: WorkshopService = app.state.service
        self.clock = self.service.clock
        self.bucket = Bucket(COMMANDS_PER_S, COMMAND_BURST)
        self.in_flight: set[asyncio.Task[None]] = set()

    def now_utc(self) -> Any:
        return utc(self.clock.now())

    def error(self, code: str, message: str, ref: str | None = None) -> str:
        return error_frame(self.now_utc(), code, message, ref)

    def pong(self, room: Room, t: float | None) -> str:
        """The answer to a ping, stamped when it is sent."""
        return pong_frame(self.now_utc(), t, room.seq)

    async def serve(self) -> None:
        settings = self.websocket.app.state.settings
        if not origin_allowed(self.websocket, list(getattr(settings, "allowed_origins", []))):
            await self.websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
            return
        await self.websocket.accept()
        try:
            hello = await self.read_hello()
            room, connection = await self.identify(hello)
        except Refused as refused:
            with contextlib.suppress(Exception):
                await self.websocket.send_text(self.error(refused.code, refused.message))
                await self.websocket.close(code=refused.close, reason=refused.code)
            return
        except WebSocketDisconnect:
            return
        if not room.attach(connection, hello.last_seq):
            with contextlib.suppress(Exception):
                await self.websocket.send_text(self.error("forbidden", "not part of this workshop"))
                await self.websocket.close(code=CLOSE_FORBIDDEN, reason="forbidden")
            return
        try:
            await self.receive_loop(room, connection)
        finally:
            room.detach(connection)
            for task in list(self.in_flight):
                task.cancel()
            await connection.stop()

    async def read_hello(self) -> Hello:
        try:
            text = await asyncio.wait_for(self.websocket.receive_text(), HELLO_TIMEOUT_S)
        except TimeoutError as error:
            raise Refused("hello_required", "send a hello first", CLOSE_POLICY) from error
        if len(text.encode()) > MAX_MESSAGE_BYTES:
            raise Refused("too_large", "the hello is too large", CLOSE_POLICY)
        try:
            message = CLIENT_MESSAGE.validate_json(text)
        except ValidationError as error:
            raise Refused("invalid_message", _summary(error), CLOSE_POLICY) from error
        if not isinstance(message, Hello):
            raise Refused("hello_required", "the first message must be a hello", CLOSE_POLICY)
        if message.v != VERSION:
            raise Refused("unsupported_version", f"this server speaks v{VERSION}", CLOSE_POLICY)
        return message

    async def identify(self, hello: Hello) -> tuple[Room, Connection]:
        room = await self.hub.room(hello.workshop)
        if room is None:
            raise Refused("no_such_workshop", f"no workshop {hello.workshop!r}", CLOSE_NOT_FOUND)
        viewer: Viewer | None = None
        session_hash: str | None = None
        if hello.token:
            participant = await _resolve_participant(self.websocket, hello.token)
            if participant is not None and participant[0] != hello.workshop:
                raise Refused("forbidden", "that token is for another workshop", CLOSE_FORBIDDEN)
            if participant is not None:
                viewer = Viewer("participant", participant[1])
        else:
            session = hello.session or self.websocket.cookies.get(SESSION_COOKIE)
            if session:
                accounts = Accounts(self.service.store.engine)
                email = await asyncio.to_thread(accounts.resolve, session, self.clock.now())
                if email is not None:
                    viewer = Viewer("facilitator", email)
                    session_hash = hash_token(session)
        if viewer is None:
            raise Refused("not_authenticated", "unknown or expired token", CLOSE_UNAUTHORISED)
        connection = Connection(
            viewer=viewer,
            send=self.websocket.send_text,
            close=self._close,
            session_hash=session_hash,
            wire=wire_of(self.websocket.scope),
        )
        return room, connection

    async def _close(self, code: int, reason: str) -> None:
        await self.websocket.close(code=code, reason=reason)

    async def receive_loop(self, room: Room, connection: Connection) -> None:
        while True:
            try:
                text = await self.websocket.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                return
            if connection.closing:
                continue
            if len(text.encode()) > MAX_MESSAGE_BYTES:
                connection.push(
                    self.error("too_large", f"messages are at most {MAX_MESSAGE_BYTES} bytes")
                )
                continue
            try:
                message = CLIENT_MESSAGE.validate_json(text)
            except ValidationError as error:
                connection.push(self.error("invalid_message", _summary(error), _ref_of(text)))
                continue
            if isinstance(message, Ping):
                room.reply(connection, partial(self.pong, room, message.t))
            elif isinstance(message, Hello):
                connection.push(self.error("already_welcomed", "hello is only the first message"))
            else:
                self.accept_command(room, connection, message)

    def accept_command(self, room: Room, connection: Connection, message: CommandMessage) -> None:
        if not self.bucket.take():
            connection.push(self.error("rate_limited", "too many commands; slow down", message.id))
            return
        if len(self.in_flight) >= MAX_IN_FLIGHT:
            connection.push(self.error("rate_limited", "too many commands waiting", message.id))
            return
        try:
            command = decode_command(message.command)
        except ValidationError as error:
            code = "unknown_command" if _unknown_type(error) else "invalid_command"
            connection.push(self.error(code, _summary(error), message.id))
            return
        refused = check_references(self.service.library, room.state, command)
        if refused is not None:
            connection.push(self.error(refused.code, refused.message, message.id))
            return
        # submit() queues the command synchronously, so one connection's commands keep
        # their order in the runner's inbox even though their acks are awaited in tasks.
        submitted = asyncio.ensure_future(room.runner.submit(command, connection.actor, message.id))
        task = asyncio.create_task(self.answer(room, connection, message.id, submitted))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def answer(
        self, room: Room, connection: Connection, ref: str, submitted: asyncio.Future[Any]
    ) -> None:
        """Answer once the command's events are published: its ack comes after them."""
        outcome = await submitted
        if isinstance(outcome, Rejection):
            code, text = outcome.code, outcome.message
            room.reply(connection, lambda: self.error(code, text, ref))
        elif isinstance(outcome, Accepted):
            first, last, repeated = outcome.first_seq, outcome.last_seq, outcome.repeated
            room.reply(
                connection,
                lambda: ack_frame(self.now_utc(), ref, first, last, repeated),
            )


async def _resolve_participant(websocket: WebSocket, token: str) -> tuple[str, str] | None:
    identity = await resolve_participant_token(websocket.app.state.service, token)
    return (identity.workshop_id, identity.participant_id) if identity else None


def _summary(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))


def _unknown_type(error: ValidationError) -> bool:
    return any(e.get("type") == "union_tag_invalid" for e in error.errors())


def _ref_of(text: str) -> str | None:
    """The command id of a message that failed validation, if it has one."""
    with contextlib.suppress(ValueError, AttributeError):
        data = json.loads(text)
        ref = data.get("id")
        if isinstance(ref, str) and len(ref) <= 64:
            return ref
    return None


@router.websocket(PATH)
async def live(websocket: WebSocket) -> None:
    """The live protocol (see docs/protocol.md)."""
    await Gateway(websocket).serve()
