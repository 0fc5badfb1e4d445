"""Helpers for tests over the real websocket gateway: accounts, joining, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import select

from app.accounts import Accounts
from app.client import Joined, LiveClient, View, join, join_code, log_in
from app.protocol import Ack, Error
from app.store import EventRow, Store
from tests.conftest import LiveServer
from tests.services import free_port

PASSWORD = "correct horse battery staple"
OWNER_EMAIL = "facilitator@lernraum.local"  # owner of the demo workshop


def add_account(server: LiveServer, email: str) -> None:
    """A facilitator account in the server's own database."""
    store = Store(server.settings.database_url)
    try:
        Accounts(store.engine).add_facilitator(email, PASSWORD, server.clock.now())
    finally:
        store.close()


async def facilitator_session(server: LiveServer, email: str = OWNER_EMAIL) -> str:
    """A logged-in facilitator's session token (creating the account)."""
    add_account(server, email)
    return await log_in(server.url, email, PASSWORD)


async def demo_workshop(server: LiveServer) -> str:
    """The id of the demo workshop the server seeded."""
    return stored_workshop(server.settings.database_url)


def stored_workshop(database_url: str) -> str:
    """The id of the first workshop in a store (the demo on a fresh server)."""
    store = Store(database_url)
    try:
        return store.workshop_ids()[0]
    finally:
        store.close()


@dataclass
class Room:
    """A workshop with a connected facilitator."""

    server: LiveServer
    workshop: str
    session: str
    code: str
    facilitator: LiveClient

    async def join(self, name: str, **attributes: str) -> tuple[Joined, LiveClient]:
        """A participant who joins by code and connects."""
        joined = await join(self.server.url, self.code, name, attributes=attributes or None)
        client = LiveClient(self.server.url, self.workshop, token=joined.token)
        await client.start()
        return joined, client


@asynccontextmanager
async def room(server: LiveServer) -> AsyncIterator[Room]:
    """The demo workshop with its owner connected."""
    session = await facilitator_session(server)
    workshop = await demo_workshop(server)
    code = await join_code(server.url, workshop, session)
    async with LiveClient(server.url, workshop, session=session) as facilitator:
        yield Room(server, workshop, session, code, facilitator)


async def settle(*clients: LiveClient, seq: int, timeout: float = 10.0) -> None:
    """Wait until every client's view includes everything up to ``seq``."""
    await asyncio.gather(*(client.wait_for_seq(seq, timeout) for client in clients))


# --- helpers for tests with many clients (added for tests/live/test_full_workshop.py) ---


async def ack(client: LiveClient, command: dict[str, object]) -> Ack:
    """Send a command that must be accepted; its ack."""
    answer = await client.command(command)
    assert isinstance(answer, Ack), f"{command['type']} refused: {answer.code}: {answer.message}"
    return answer


async def refusal(client: LiveClient, command: dict[str, object]) -> str:
    """Send a command that must be refused; the error code."""
    answer = await client.command(command)
    assert isinstance(answer, Error), f"{command['type']} was accepted: {answer}"
    return answer.code


async def settle_all(clients: Iterable[LiveClient], timeout: float = 10.0) -> int:
    """Wait until every client's view includes the newest sequence any of them has seen."""
    clients = list(clients)
    seq = max(client.seq or 0 for client in clients)
    await settle(*clients, seq=seq, timeout=timeout)
    return seq


def dump(client: LiveClient) -> str:
    """A client's whole view as one JSON text, to search for what must (not) reach it."""
    return json.dumps(client.view, sort_keys=True)


def seen_by(dumps: Mapping[str, str], text: str) -> set[str]:
    """The viewers (keys of ``dumps``) whose view contains ``text`` anywhere."""
    return {viewer for viewer, whole in dumps.items() if text in whole}


async def fresh_view(
    server: LiveServer,
    workshop: str,
    seq: int,
    *,
    token: str | None = None,
    session: str | None = None,
) -> View:
    """The view a newly connected client of the same identity has at ``seq``."""
    async with LiveClient(server.url, workshop, token=token, session=session) as fresh:
        await fresh.wait_for_seq(seq)
        return fresh.view


# --- a real server process that a test kills with SIGKILL and starts again ------------------

PROCESS_START_TIMEOUT_S = 30.0  # a cold `lernraum serve` takes ~2.5 s on a busy 2-core box


def add_facilitator_account(database_url: str, email: str = OWNER_EMAIL) -> None:
    """A facilitator account in a database no server has opened yet (schema created)."""
    store = Store(database_url)
    try:
        store.create_schema()
        Accounts(store.engine).add_facilitator(email, PASSWORD, datetime.now(UTC))
    finally:
        store.close()


@dataclass
class ServerProcess:
    """``python -m app serve`` as a child process, always on the same loopback port and
    database, so a test can kill it (SIGKILL, no shutdown at all) and start it again."""

    workdir: Path
    database_url: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where the processes' output goes (all starts appended)."""
        return self.workdir / "server.log"

    async def start(self, timeout: float = PROCESS_START_TIMEOUT_S) -> float:
        """Start a process and wait until /healthz answers; the real seconds it took."""
        assert self.process is None, "the server process runs already"
        loop = asyncio.get_running_loop()
        began = loop.time()
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"],
            cwd=self.workdir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1
        async with httpx.AsyncClient(base_url=self.url, timeout=1.0) as http:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        return loop.time() - began
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited:\n{self.log_tail()}")
                if loop.time() - began > timeout:
                    raise TimeoutError(f"the server did not come up:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no lifespan shutdown, no bye, no flush; then reap the process."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the servers' output, for failure messages."""
        if self._log is not None:
            self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


@asynccontextmanager
async def server_process(
    workdir: Path, *, clock_scale: float = 1.0, clock_epoch: datetime | None = None
) -> AsyncIterator[ServerProcess]:
    """A started server process with a fresh SQLite file, the demo workshop and its owner's
    account; killed when the block ends, whatever happens in it."""
    database_url = f"sqlite:///{workdir / 'lernraum.db'}"
    add_facilitator_account(database_url)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LERNRAUM_")}
    env.update(
        LERNRAUM_DATABASE_URL=database_url,
        LERNRAUM_HOST="127.0.0.1",
        LERNRAUM_PORT=str(port),
        LERNRAUM_DEMO="1",
        LERNRAUM_LOG_LEVEL="warning",
        LERNRAUM_JOIN_MAX_ATTEMPTS="1000",
        LERNRAUM_CLOCK_SCALE=str(clock_scale),
    )
    if clock_epoch is not None:
        env["LERNRAUM_CLOCK_EPOCH"] = clock_epoch.isoformat()
    server = ServerProcess(workdir=workdir, database_url=database_url, port=port, env=env)
    try:
        await server.start()
        yield server
    finally:
        server.kill()


def scaled_now(epoch: datetime, scale: float) -> datetime:
    """What a server's ``ScaledClock(scale, epoch=epoch)`` shows now, computed independently."""
    now = datetime.now(UTC)
    return epoch + (now - epoch) * scale


@dataclass(frozen=True)
class LogRow:
    """One row of the ``events`` table."""

    seq: int
    type: str
    command_key: str | None
    body: dict[str, Any]


def event_log(database_url: str, workshop_id: str) -> list[LogRow]:
    """A workshop's rows in the events table, read straight from the store, in order."""
    columns = EventRow.__table__.c  # type: ignore[attr-defined]
    query = (
        select(columns.seq, columns.type, columns.command_key, columns.body)
        .where(columns.workshop_id == workshop_id)
        .order_by(columns.seq)
    )
    store = Store(database_url)
    try:
        with store.engine.connect() as connection:
            return [
                LogRow(seq, kind, key, json.loads(body))
                for seq, kind, key, body in connection.execute(query)
            ]
    finally:
        store.close()


async def fresh_server_now(client: LiveClient, timeout: float = 15.0) -> datetime:
    """The server's time by a message that arrived just now (a pong to a ping).

    ``client.server_now()`` moves at real speed from the latest message, so against a scaled
    clock it is only exact right after one arrives. Pings again every second (a loaded
    machine may be slow to answer), for at most ``timeout`` seconds."""
    before = client.offset_s  # set from every message's server_time: it changes with each
    for _ in range(max(1, int(timeout))):
        await client.ping()
        with contextlib.suppress(TimeoutError):
            await client.wait_until(lambda _view: client.offset_s != before, 1.0)
            return client.server_now()
    raise TimeoutError(f"no message from the server within {timeout} s of pinging")


# --- helpers for workshops made over REST, and for hellos that must be refused ----------
# (added for tests/live/test_permissions.py)


def rest_client(server: LiveServer) -> httpx.AsyncClient:
    """One HTTP client for many calls (making a client loads CA certificates: ~40 ms)."""
    return httpx.AsyncClient(base_url=server.url)


def as_facilitator(session: str) -> dict[str, str]:
    """Headers of a request made with a facilitator's session."""
    return {"Cookie": f"lernraum_session={session}"}


async def create_workshop(http: httpx.AsyncClient, session: str, source_id: str) -> str:
    """The id of a new workshop planned from the library, owned by the session's facilitator."""
    response = await http.post(
        "/api/workshops", json={"source_id": source_id}, headers=as_facilitator(session)
    )
    assert response.status_code == 201, response.text
    workshop_id: str = response.json()["id"]
    return workshop_id


async def invite_facilitator(
    http: httpx.AsyncClient, session: str, workshop: str, email: str
) -> None:
    """The owner (``session``) makes the facilitator account ``email`` a co-facilitator."""
    response = await http.post(
        f"/api/workshops/{workshop}/facilitators",
        json={"email": email},
        headers=as_facilitator(session),
    )
    assert response.status_code == 200, response.text


async def code_of(http: httpx.AsyncClient, session: str, workshop: str) -> str:
    """The join code of a workshop, as its facilitators look it up."""
    response = await http.get(f"/api/workshops/{workshop}/links", headers=as_facilitator(session))
    assert response.status_code == 200, response.text
    code: str = response.json()["code"]
    return code


async def join_with(http: httpx.AsyncClient, code: str, name: str) -> Joined:
    """Join by code through a shared HTTP client."""
    return await join(str(http.base_url), code, name, http=http)


async def facilitation(http: httpx.AsyncClient, session: str, workshop: str) -> dict[str, Any]:
    """The facilitators' REST view of a workshop: ``version`` is the sequence of its last event."""
    response = await http.get(
        f"/api/workshops/{workshop}/facilitation", headers=as_facilitator(session)
    )
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


async def workshop_version(http: httpx.AsyncClient, session: str, workshop: str) -> int:
    """The workshop's sequence now, as its facilitators' REST view states it."""
    version = (await facilitation(http, session, workshop))["version"]
    assert isinstance(version, int)
    return version


async def hello_refusal(
    server: LiveServer, workshop: str, *, token: str | None = None, session: str | None = None
) -> tuple[str, int | None]:
    """Say hello on a raw socket that must be refused: the error code and the close code."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from app.client import websocket_url
    from app.protocol import SERVER_MESSAGE, Hello, encode

    async with connect(websocket_url(server.url), compression=None, open_timeout=5) as socket:
        await socket.send(encode(Hello(workshop=workshop, token=token, session=session)))
        first = SERVER_MESSAGE.validate_json(await asyncio.wait_for(socket.recv(), 10))
        assert isinstance(first, Error), f"expected a refusal, got {first.type}"
        with contextlib.suppress(ConnectionClosed):
            extra = await asyncio.wait_for(socket.recv(), 10)
            raise AssertionError(f"the refused socket stayed open and sent {extra!r}")
        return first.code, socket.close_code


async def resumed_view(
    server: LiveServer,
    workshop: str,
    token: str,
    view: View,
    last_seq: int,
    seq: int,
) -> tuple[View, bool]:
    """The view of a client that comes back with ``view`` as of ``last_seq``, once it is
    complete up to ``seq``; and whether the server resumed it (sent only the changes)."""
    client = LiveClient(server.url, workshop, token=token)
    client.view, client.seq = copy.deepcopy(view), last_seq
    try:
        await client.start()
        await client.wait_for_seq(seq)
        return client.view, client.stats.resumes > 0
    finally:
        await client.close()
