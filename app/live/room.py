"""One live workshop in this process: its runner (the single writer) and its connections."""

from __future__ import annotations

import asyncio
import logging

from app.core.state import WorkshopState
from app.runner import Runner
from app.store import Recorded
from app.workshops import WorkshopService

log = logging.getLogger(__name__)


class Room:
    """The runner of one workshop and everyone connected to it."""

    def __init__(self, service: WorkshopService, runner: Runner) -> None:
        self.service = service
        self.runner = runner
        runner.on_commit = self._committed

    @classmethod
    async def load(cls, service: WorkshopService, workshop_id: str) -> Room | None:
        """The room of a stored workshop, its state rebuilt from the log."""
        runner = await Runner.load(service.store, workshop_id, service.clock)
        return cls(service, runner) if runner is not None else None

    @property
    def state(self) -> WorkshopState:
        """The state after the last durable event."""
        return self.runner.state

    def start(self) -> None:
        """Start the writer and the scheduler."""
        self.runner.start()

    async def stop(self) -> None:
        """Stop the runner."""
        await self.runner.stop()

    def _committed(self, state: WorkshopState, recorded: list[Recorded]) -> None:
        del state, recorded
        asyncio.get_running_loop()
