"""Workshops as the shell sees them: created from the library, stored, listed, read back.

Blocking store calls run on a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from app.clock import Clock
from app.core.reducer import fold
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState
from app.store import Store
from app.structures import Library

DEMO_AGENDA_ID = "peer-learning-kickoff"
WORKSHOP_ID_BYTES = 12  # 96 bits, url-safe: ids appear in links and must not be guessable


def new_workshop_id() -> str:
    """A fresh, unguessable workshop id."""
    return secrets.token_urlsafe(WORKSHOP_ID_BYTES)


@dataclass
class WorkshopService:
    """The store, the library and the clock, with the operations the web layer needs."""

    store: Store
    library: Library
    clock: Clock

    @classmethod
    def open(cls, database_url: str, library: Library, clock: Clock) -> WorkshopService:
        """Connect to the store and create missing tables."""
        store = Store(database_url)
        store.create_schema()
        return cls(store=store, library=library, clock=clock)

    def close(self) -> None:
        """Release the store."""
        self.store.close()

    async def create(self, source_id: str, owner: str, title: str | None = None) -> WorkshopState:
        """A new workshop in the lobby, planned from an agenda or a single structure."""
        plan = self.library.plan_for(source_id)
        now = self.clock.now()
        created = create_workshop(
            workshop_id=new_workshop_id(),
            title=title or self.library.title_of(source_id).de,
            owner=owner,
            plan=plan,
            now=now,
            agenda_id=source_id,
        )
        await asyncio.to_thread(self.store.save_workshop, created, now)
        return fold([created])

    async def get(self, workshop_id: str) -> WorkshopState | None:
        """The current state of a workshop, rebuilt from the store."""
        return await asyncio.to_thread(self.store.load_state, workshop_id)

    async def all(self) -> list[WorkshopState]:
        """Every workshop, oldest first."""
        ids = await asyncio.to_thread(self.store.workshop_ids)
        states = [await self.get(workshop_id) for workshop_id in ids]
        return [state for state in states if state is not None]

    async def ensure_demo(self, owner: str) -> WorkshopState | None:
        """Create the reference workshop when the store has none at all."""
        if await asyncio.to_thread(self.store.workshop_ids):
            return None
        return await self.create(DEMO_AGENDA_ID, owner)
