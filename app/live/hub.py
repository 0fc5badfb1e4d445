"""Every live workshop of this process, each in its own room.

At startup the hub rebuilds every stored workshop's room from the log, so deadlines hold
across a restart: a step whose time ran out while the server was down expires as soon as
its scheduler starts. The web layer reaches workshops only through the hub.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.core.actors import Actor
from app.core.errors import Rejection
from app.core.reducer import Command
from app.core.state import WorkshopState
from app.live.connection import Connection
from app.live.room import Room
from app.runner import Outcome
from app.workshops import WorkshopService

log = logging.getLogger(__name__)


class Hub:
    """The rooms of one server process."""

    def __init__(self, service: WorkshopService) -> None:
        self.service = service
        self.rooms: dict[str, Room] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Rebuild and start the room of every stored workshop."""
        ids = await asyncio.to_thread(self.service.store.workshop_ids)
        for workshop_id in ids:
            await self.room(workshop_id)
        log.info("rebuilt %d workshop rooms", len(self.rooms))

    async def stop(self) -> None:
        """Close every connection and stop every runner."""
        rooms, self.rooms = list(self.rooms.values()), {}
        for room in rooms:
            await room.stop()

    async def room(self, workshop_id: str) -> Room | None:
        """The started room of a stored workshop, or None when there is no such workshop."""
        room = self.rooms.get(workshop_id)
        if room is not None:
            return room
        async with self._lock:
            room = self.rooms.get(workshop_id)
            if room is None:
                room = await Room.load(self.service, workshop_id)
                if room is None:
                    return None
                room.start()
                self.rooms[workshop_id] = room
            return room

    async def get(self, workshop_id: str) -> WorkshopState | None:
        """The live state of a workshop, loading its room when needed."""
        room = await self.room(workshop_id)
        return room.state if room is not None else None

    async def all(self) -> list[WorkshopState]:
        """Every workshop, oldest first."""
        ids = await asyncio.to_thread(self.service.store.workshop_ids)
        states = [await self.get(workshop_id) for workshop_id in ids]
        return [state for state in states if state is not None]

    async def create(self, source_id: str, owner: str, title: str | None = None) -> WorkshopState:
        """A new workshop planned from an agenda or structure, with its room started."""
        state = await self.service.create(source_id, owner, title)
        room = await self.room(state.id)
        assert room is not None
        return room.state

    async def remove(
        self,
        workshop_id: str,
        delete: Callable[[], Awaitable[object]],
        code: int,
        reason: str,
        message: str,
    ) -> int:
        """Close and stop a workshop's room and run ``delete`` (its stored data) while no
        room of it can be loaded again; how many connections were closed."""
        async with self._lock:
            room = self.rooms.pop(workshop_id, None)
            closed = 0
            if room is not None:
                closed = room.disconnect(lambda _: True, code, reason, message)
                await room.stop()
            await delete()
        return closed

    def disconnect(
        self, predicate: Callable[[Connection], bool], code: int, reason: str, message: str
    ) -> int:
        """Close the connections the predicate picks in every room; how many there were."""
        return sum(
            room.disconnect(predicate, code, reason, message) for room in self.rooms.values()
        )

    async def submit(
        self, workshop_id: str, command: Command, actor: Actor, command_id: str | None = None
    ) -> Outcome:
        """Apply a command to a workshop; a typed rejection when there is no such workshop."""
        room = await self.room(workshop_id)
        if room is None:
            return Rejection("no_such_workshop", f"no workshop {workshop_id!r}")
        return await room.runner.submit(command, actor, command_id)
