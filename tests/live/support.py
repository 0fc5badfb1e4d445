"""Helpers for tests over the real websocket gateway: accounts, joining, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from app.accounts import Accounts
from app.client import Joined, LiveClient, join, join_code, log_in
from app.store import Store
from tests.conftest import LiveServer

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
    import httpx

    async with httpx.AsyncClient(base_url=server.url) as http:
        listed = (await http.get("/api/workshops")).json()
    workshop_id: str = listed[0]["id"]
    return workshop_id


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
