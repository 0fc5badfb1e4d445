"""A small Python client of the live protocol: for tests, bots and the load generator.

It keeps the viewer's view current by applying the server's changes, correlates commands
with their acks or errors, tracks the offset between the server's clock and its own, and,
when the connection drops (a server restart, a network blip), reconnects by itself with
the last sequence it applied and sends again every command still waiting for an answer,
under the same id, so nothing applies twice.

    async with LiveClient(base_url, workshop_id, token=participant_token) as client:
        answer = await client.command({"type": "note.create", ...})
        await client.wait_until(lambda view: "n1" in view.get("items", {}))
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.codec import COMMAND_ADAPTER
from app.protocol import (
    PATH,
    SERVER_MESSAGE,
    Ack,
    Bye,
    Change,
    CommandMessage,
    Error,
    Event,
    Heartbeat,
    Hello,
    Ping,
    Pong,
    Welcome,
    You,
    encode,
)

log = logging.getLogger(__name__)

View = dict[str, dict[str, Any]]
Answer = Ack | Error
FINAL_CODES = {"not_authenticated", "forbidden", "no_such_workshop", "removed", "logged_out"}


class ClientClosed(Exception):
    """The client was closed, or the server refused it for good (``code``)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


def apply_changes(view: View, changes: list[Change]) -> None:
    """Apply a welcome's or an event's changes to a view in place."""
    for change in changes:
        section = view.setdefault(change.section, {})
        if change.value is None:
            section.pop(change.key, None)
        else:
            section[change.key] = change.value


def websocket_url(base_url: str) -> str:
    """``http://host:port`` -> ``ws://host:port/live``."""
    scheme, rest = base_url.rstrip("/").split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{PATH}"


@dataclass
class Stats:
    """What a client counted, for tests and the load generator."""

    welcomes: int = 0
    resumes: int = 0
    events: int = 0
    reconnects: int = 0
    errors: int = 0


class LiveClient:
    """One live connection to one workshop, as a participant or a facilitator."""

    def __init__(
        self,
        base_url: str,
        workshop: str,
        *,
        token: str | None = None,
        session: str | None = None,
        reconnect: bool = True,
        origin: str | None = None,
        retry_for_s: float = 30.0,
    ) -> None:
        self.url = websocket_url(base_url)
        self.workshop = workshop
        self.token = token
        self.session = session
        self.reconnect = reconnect
        self.origin = origin
        self.retry_for_s = retry_for_s
        self.view: View = {}
        self.seq: int | None = None
        self.you: You | None = None
        self.offset_s = 0.0  # server clock minus local clock, from the latest message
        self.stats = Stats()
        self.connected = asyncio.Event()
        self.closed_for_good: ClientClosed | None = None
        self.unsolicited: list[Error] = []  # errors that answer no command of this client
        self._socket: ClientConnection | None = None
        self._pending: dict[str, tuple[str, asyncio.Future[Answer]]] = {}
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(4)

    async def __aenter__(self) -> LiveClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- lifecycle --------------------------------------------------------------------

    async def start(self, timeout: float = 10.0) -> None:
        """Connect and wait for the welcome; raises ClientClosed when refused."""
        self._task = asyncio.create_task(self._run(), name=f"client:{self.workshop}")
        waiter = asyncio.create_task(self.connected.wait())
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=timeout, return_when="FIRST_COMPLETED"
        )
        if waiter not in done:
            waiter.cancel()
            if self.closed_for_good is not None:
                raise self.closed_for_good
            if self._task.done() and self._task.exception() is not None:
                raise self._task.exception()  # type: ignore[misc]
            raise TimeoutError("no welcome from the server")

    async def close(self) -> None:
        """Close the connection and stop reconnecting."""
        self.reconnect = False
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(ClientClosed("closed"))

    async def _run(self) -> None:
        delay = 0.05
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.retry_for_s
        while True:
            welcomes = self.stats.welcomes
            try:
                await self._session()
                delay = 0.05
                give_up_at = loop.time() + self.retry_for_s
            except ClientClosed as refused:
                self.closed_for_good = refused
                self._fail_pending(refused)
                return
            except (OSError, ConnectionClosed, InvalidStatus, TimeoutError) as error:
                log.debug("connection lost: %s", error)
            if self.stats.welcomes > welcomes:
                # this connection was welcomed: the retry window and the back-off start over
                # when it drops, also when it ends abnormally (a crashed server sends no close)
                delay = 0.05
                give_up_at = loop.time() + self.retry_for_s
            self.connected.clear()
            if not self.reconnect or loop.time() > give_up_at:
                closed = ClientClosed("disconnected")
                self.closed_for_good = closed
                self._fail_pending(closed)
                return
            self.stats.reconnects += 1  # every attempt after a connection ended or failed
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _fail_pending(self, error: ClientClosed) -> None:
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()

    async def _session(self) -> None:
        headers = {"Origin": self.origin} if self.origin else None
        async with connect(
            self.url,
            additional_headers=headers,
            max_size=None,
            compression=None,
            open_timeout=5,
        ) as socket:
            self._socket = socket
            hello = Hello(
                workshop=self.workshop, token=self.token, session=self.session, last_seq=self.seq
            )
            await socket.send(encode(hello))
            async for raw in socket:
                message = await self._receive(raw)
                if isinstance(message, Welcome):
                    # commands that got no answer before the connection dropped go again,
                    # under the same ids: applied ones are answered with their first ack
                    for text, _ in list(self._pending.values()):
                        await socket.send(text)

    async def _receive(self, raw: str | bytes) -> Any:
        message = SERVER_MESSAGE.validate_json(raw)
        self.offset_s = (message.server_time - datetime.now(UTC)).total_seconds()
        if isinstance(message, Welcome):
            self.you = message.you
            if message.resumed:
                apply_changes(self.view, message.changes)
                self.stats.resumes += 1
            else:
                self.view = dict(message.view or {})
            self.seq = message.seq
            self.stats.welcomes += 1
            self.connected.set()
        elif isinstance(message, Event):
            apply_changes(self.view, message.changes)
            self.seq = max(self.seq or 0, message.seq)
            self.stats.events += 1
        elif isinstance(message, Ack | Error):
            self._answer(message)
            if isinstance(message, Ack):  # its events were queued before it
                self.seq = max(self.seq or 0, message.last_seq)
        elif isinstance(message, Heartbeat | Pong):  # everything before it has arrived
            self.seq = max(self.seq or 0, message.seq)
        elif isinstance(message, Bye) and message.code in FINAL_CODES:
            raise ClientClosed(message.code, message.message)
        async with self._changed:
            self._changed.notify_all()
        return message

    def _answer(self, message: Ack | Error) -> None:
        if isinstance(message, Error):
            self.stats.errors += 1
            if message.ref is None:
                if message.code in FINAL_CODES:
                    raise ClientClosed(message.code, message.message)
                self.unsolicited.append(message)
                return
        entry = self._pending.pop(message.ref or "", None)
        if entry is None:
            if isinstance(message, Error):
                self.unsolicited.append(message)
        elif not entry[1].done():
            entry[1].set_result(message)

    # --- using it ---------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh command id, unique for this client."""
        return f"{self._prefix}-{next(self._ids)}"

    async def command(
        self, command: Any, command_id: str | None = None, timeout: float = 20.0
    ) -> Answer:
        """Send a command (a core command value or its JSON dict); its ack or typed error."""
        if self.closed_for_good is not None:
            raise self.closed_for_good
        body = (
            command
            if isinstance(command, dict)
            else COMMAND_ADAPTER.dump_python(command, mode="json")
        )
        command_id = command_id or self.new_id()
        text = encode(CommandMessage(id=command_id, command=body))
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = (text, future)
        if self.connected.is_set() and self._socket is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._socket.send(text)
        return await asyncio.wait_for(asyncio.shield(future), timeout)

    async def send_raw(self, text: str) -> None:
        """Send any text, e.g. to test how the server answers bad input."""
        assert self._socket is not None
        await self._socket.send(text)

    async def ping(self) -> None:
        """Ask for a pong."""
        assert self._socket is not None
        await self._socket.send(encode(Ping(t=datetime.now(UTC).timestamp())))

    def server_now(self) -> datetime:
        """The server's time now, by this client's latest offset."""
        return datetime.now(UTC) + timedelta(seconds=self.offset_s)

    async def wait_until(self, predicate: Callable[[View], bool], timeout: float = 10.0) -> View:
        """Wait until the view satisfies the predicate; returns the view."""

        async def check() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self.view))

        await asyncio.wait_for(check(), timeout)
        return self.view

    async def wait_for_seq(self, seq: int, timeout: float = 10.0) -> None:
        """Wait until this client's view includes everything up to the workshop's ``seq``.

        A viewer is sent only what changes its view, so this pings: the pong comes after
        every frame queued before it and names the sequence it was sent at."""

        async def check() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: (self.seq or 0) >= seq)

        deadline = asyncio.get_running_loop().time() + timeout
        while (self.seq or 0) < seq:
            await self.connected.wait()
            with contextlib.suppress(ConnectionClosed, AssertionError):
                await self.ping()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"still at seq {self.seq}, waiting for {seq}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(check(), min(left, 1.0))


async def log_in(base_url: str, email: str, password: str) -> str:
    """A facilitator's session token (the value of the session cookie)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        token = response.cookies.get("lernraum_session")
        if not token:
            raise ClientClosed("not_authenticated", "the server set no session")
        return token


@dataclass(frozen=True)
class Joined:
    """A participant's identity after joining; keep ``token`` to come back as the same one."""

    workshop_id: str
    participant_id: str
    token: str
    name: str


async def join(
    base_url: str,
    code: str,
    name: str,
    *,
    attributes: dict[str, str] | None = None,
    token: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> Joined:
    """Join a workshop with its code (or link token) as ``name``, accepting its agreement.

    A client that joins accepts the working agreement the server shows; a person using a
    browser reads it first. Pass ``http`` (based at ``base_url``) to reuse a connection pool
    when joining many."""
    if http is None:
        async with httpx.AsyncClient(base_url=base_url) as own:
            return await join(base_url, code, name, attributes=attributes, token=token, http=own)
    info = await http.get(f"/api/join/{code}")
    info.raise_for_status()
    body: dict[str, Any] = {
        "name": name,
        "attributes": attributes or {},
        "agreement": info.json()["agreement_fingerprint"],
        "participant_token": token,
    }
    body["code" if len(code) <= 16 else "link_token"] = code
    response = await http.post("/api/join", json=body)
    response.raise_for_status()
    joined = response.json()
    return Joined(
        workshop_id=joined["workshop_id"],
        participant_id=joined["participant_id"],
        token=joined["participant_token"],
        name=joined["name"],
    )


async def join_code(base_url: str, workshop_id: str, session: str) -> str:
    """A facilitator's look-up of the code people join a workshop with."""
    async with httpx.AsyncClient(base_url=base_url, cookies={"lernraum_session": session}) as http:
        response = await http.get(f"/api/workshops/{workshop_id}/links")
        response.raise_for_status()
        code: str = response.json()["code"]
        return code
