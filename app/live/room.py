"""One live workshop in this process: its runner (the single writer) and its connections.

After every group commit the runner hands the room the new state. The room computes each
audience's shared view once, diffs it against the view that audience had, encodes ONE event
frame per audience and pushes it to every member's queue; personal sections are diffed per
viewer. A viewer whose audience changed (moved to another group, breakouts opened) gets
the diff between their old and their new view. A viewer who may no longer see the workshop
(removed) is told so and disconnected.

For resuming, the room keeps the states after its most recent commits: a client that comes
back with a ``last_seq`` still in that window gets exactly what changed in its view since
then; otherwise a whole view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime

from app.core.state import WorkshopState
from app.core.views import (
    Audience,
    Change,
    Sections,
    audience_of,
    diff,
    personal_view,
    shared_view,
    view,
)
from app.live.connection import Connection
from app.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_GOING_AWAY,
    HEARTBEAT_S,
    Bye,
    Event,
    Heartbeat,
    Welcome,
    You,
    encode,
    utc,
)
from app.protocol import Change as WireChange
from app.runner import Runner
from app.store import Recorded
from app.workshops import WorkshopService

log = logging.getLogger(__name__)

RESUME_WINDOW = 64  # commits whose states are kept for resuming by sequence


def wire(changes: list[Change]) -> list[WireChange]:
    """The core's view changes as protocol values."""
    return [WireChange(section=c.section, key=c.key, value=c.value) for c in changes]


class Room:
    """The runner of one workshop and everyone connected to it."""

    def __init__(self, service: WorkshopService, runner: Runner) -> None:
        self.service = service
        self.runner = runner
        self.connections: set[Connection] = set()
        self._shared: dict[str, Sections] = {}  # audience key -> the view it was last sent
        self._recent: deque[WorkshopState] = deque([runner.state], maxlen=RESUME_WINDOW)
        self._heartbeat: asyncio.Task[None] | None = None
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

    def now(self) -> datetime:
        """The server's time, as every message states it."""
        return utc(self.service.clock.now())

    def start(self) -> None:
        """Start the writer, the scheduler and the heartbeat."""
        self.runner.start()
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name=f"heartbeat:{self.state.id}")

    async def stop(self) -> None:
        """Tell every connection the server goes away, then stop the tasks."""
        bye = encode(Bye(server_time=self.now(), code="going_away", message="server restarts"))
        for connection in list(self.connections):
            connection.end(CLOSE_GOING_AWAY, "going_away", last=bye)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        await self.runner.stop()

    # --- joining and leaving ---------------------------------------------------------

    def attach(self, connection: Connection, last_seq: int | None) -> bool:
        """Welcome a connection with its view (or what it missed); False if it may not."""
        state = self.state
        audience = audience_of(state, connection.viewer)
        if audience is None:
            return False
        shared = self._shared_of(state, audience)
        personal = personal_view(state, connection.viewer)
        connection.audience = audience
        connection.personal = personal
        you = You(kind=connection.viewer.kind, id=connection.viewer.id)
        welcome = Welcome(server_time=self.now(), workshop=state.id, seq=state.version, you=you)
        before = self._state_at(last_seq)
        old_view = view(before, connection.viewer) if before is not None else None
        if old_view is not None:
            changes = diff(old_view, {**shared, **personal})
            welcome = welcome.model_copy(update={"resumed": True, "changes": wire(changes)})
        else:
            welcome = welcome.model_copy(update={"view": {**shared, **personal}})
        self.connections.add(connection)
        connection.push(encode(welcome))
        connection.start()
        return True

    def detach(self, connection: Connection) -> None:
        """Forget a connection; its audience's cached view goes when nobody is left in it."""
        self.connections.discard(connection)
        live = {c.audience.key for c in self.connections if c.audience is not None}
        for key in [key for key in self._shared if key not in live]:
            del self._shared[key]

    def disconnect(
        self, predicate: Callable[[Connection], bool], code: int, reason: str, message: str
    ) -> int:
        """Close every connection the predicate picks (e.g. a revoked session's)."""
        bye = encode(Bye(server_time=self.now(), code=reason, message=message))
        picked = [c for c in self.connections if predicate(c)]
        for connection in picked:
            connection.end(code, reason, last=bye)
        return len(picked)

    def _state_at(self, seq: int | None) -> WorkshopState | None:
        if seq is None:
            return None
        for state in self._recent:
            if state.version == seq:
                return state
        return None

    def _shared_of(self, state: WorkshopState, audience: Audience) -> Sections:
        cached = self._shared.get(audience.key)
        if cached is None:
            cached = shared_view(state, audience)
            self._shared[audience.key] = cached
        return cached

    # --- fan-out -----------------------------------------------------------------------

    def _committed(self, state: WorkshopState, recorded: list[Recorded]) -> None:
        """Send every connection what the commit changed in its view, in ONE event.

        A client counts an event's ``seq`` as applied when the event arrives, so a commit's
        shared and personal changes must travel together. Most connections have no personal
        change in a commit and get their audience's frame, encoded once; the few that do
        (the sender, people who changed groups) get a frame of their own."""
        del recorded
        self._recent.append(state)
        now = self.now()
        seq = state.version
        fresh: dict[str, Sections] = {}
        shared_changes: dict[str, list[Change]] = {}
        frames: dict[str, str] = {}
        for connection in list(self.connections):
            if connection.closing:
                continue
            audience = audience_of(state, connection.viewer)
            if audience is None:
                bye = Bye(server_time=now, code="removed", message="you are no longer part of it")
                connection.end(CLOSE_FORBIDDEN, "removed", last=encode(bye))
                continue
            if audience.key not in fresh:
                fresh[audience.key] = shared_view(state, audience)
            old_audience = connection.audience
            if old_audience is not None and old_audience.key == audience.key:
                if audience.key not in shared_changes:
                    old = self._shared.get(audience.key, {})
                    shared_changes[audience.key] = diff(old, fresh[audience.key])
                changes = shared_changes[audience.key]
            else:  # moved to another group, or breakouts opened or closed
                old = self._shared.get(old_audience.key, {}) if old_audience else {}
                changes = diff(old, fresh[audience.key])
                connection.audience = audience
            personal = personal_view(state, connection.viewer)
            mine = diff(connection.personal, personal)
            connection.personal = personal
            if mine or changes is not shared_changes.get(audience.key):
                if changes or mine:
                    event = Event(server_time=now, seq=seq, changes=wire(changes + mine))
                    connection.push(encode(event))
            elif changes:
                if audience.key not in frames:
                    event = Event(server_time=now, seq=seq, changes=wire(changes))
                    frames[audience.key] = encode(event)
                connection.push(frames[audience.key])
        self._shared = fresh

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            frame = encode(Heartbeat(server_time=self.now(), seq=self.state.version))
            for connection in list(self.connections):
                connection.push(frame)
