"""One live workshop in this process: its runner (the single writer) and its connections.

After every group commit the runner hands the room the new state. The room publishes what
changed at most once per tick (20 ms): a commit to a room that published nothing during
the last tick goes out at once, so a quiet room adds no delay; commits that follow within
the tick wait for its end and go out together. A publication costs about one socket write
per member (some 10 µs each): in a room of 500 that is 5-8 ms of the server's one core, 50
times a second. So a room's tick is at least ``SPREAD`` times its last publication's cost:
a large, busy room sends fewer and fuller frames and leaves the core to everything else,
while small rooms keep the 20 ms tick (docs/benchmarks.md). The stretch stops at
``MAX_TICK_S``, so one huge publication (a reshuffle of hundreds) delays the next only a
little.

Publishing computes each audience's shared view once, from the sections of its previous
view that the commits did not touch, diffs it against that view and encodes ONE event frame
per audience, which goes to every member as the same bytes; personal sections are built
again only for the viewers a commit concerns. Since only the views at the end of a tick are
compared, a value written several times within a tick (a note dragged, a text typed) goes
out once, with its last value. A viewer whose audience changed (moved to another group,
breakouts opened) gets the diff between their old and their new view. A viewer who may no
longer see the workshop (removed) is told so and disconnected.

Acknowledgements, errors and pongs answer after the events published before them: while
commits wait for the tick, they wait too (``reply``), so a client that sees the ack of its
command already sees its effect, and a pong's ``seq`` says that everything up to it has
been queued.

Welcomes are built from the published state. The shared part of a whole view is encoded
once per audience and published sequence and spliced into every welcome of that audience,
so a join storm costs one encoding per audience, not one per join.

For resuming, the room keeps the states after its most recent commits: a client that comes
back with a ``last_seq`` still in that window gets exactly what changed in its view since
then; otherwise a whole view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.core.state import WorkshopState
from app.core.views import (
    Audience,
    Change,
    Sections,
    audience_of,
    diff,
    personal_changes,
    personal_view,
    personal_view_since,
    shared_view,
    shared_view_since,
    touched_sections,
    view,
)
from app.live.connection import Connection
from app.live.wire import text_frame
from app.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_GOING_AWAY,
    HEARTBEAT_S,
    bye_frame,
    change_dict,
    event_frame,
    heartbeat_frame,
    json_members,
    utc,
    welcome_frame,
)
from app.runner import Runner
from app.store import Recorded
from app.workshops import WorkshopService

log = logging.getLogger(__name__)

RESUME_WINDOW = 64  # commits whose states are kept for resuming by sequence
TICK_S = 0.020  # commits within one tick are published together
SPREAD = 5  # a busy room's tick is at least this many times its last publication's cost
MAX_TICK_S = 0.2  # but never longer: one huge publication (a reshuffle) delays the next little

Reply = Callable[[], str]  # builds a frame when it is its turn to be queued


def wire(changes: list[Change]) -> list[dict[str, Any]]:
    """The core's view changes as they go on the wire."""
    return [change_dict(c.section, c.key, c.value) for c in changes]


def _concerned(personal: dict[str, frozenset[str] | None]) -> set[str] | None:
    """The viewers whose personal sections may differ (None: anyone's)."""
    ids: set[str] = set()
    for who in personal.values():
        if who is None:
            return None
        ids.update(who)
    return ids


class Room:
    """The runner of one workshop and everyone connected to it."""

    def __init__(
        self,
        service: WorkshopService,
        runner: Runner,
        *,
        tick_s: float = TICK_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.runner = runner
        self.tick_s = tick_s
        self.monotonic = monotonic  # seconds, for the tick; tests pass a fake
        self.connections: set[Connection] = set()
        self.published: WorkshopState = runner.state  # the state every connection was sent
        self._shared: dict[str, Sections] = {}  # audience key -> its view of ``published``
        self._welcome: dict[str, tuple[int, str]] = {}  # audience key -> (seq, encoded view)
        self._recent: deque[WorkshopState] = deque([runner.state], maxlen=RESUME_WINDOW)
        self._heartbeat: asyncio.Task[None] | None = None
        self._tick: asyncio.TimerHandle | None = None  # a publication waiting for its tick
        self._last_publish = float("-inf")  # ``monotonic`` time of the last publication
        self._spent = 0.0  # how long the last publication took
        self._replies: list[tuple[Connection, Reply]] = []  # waiting for the publication
        self.publications = 0  # how many times the room published (for tests and stats)
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

    @property
    def seq(self) -> int:
        """The sequence up to which every connection has been sent its changes."""
        return self.published.version

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
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        bye = bye_frame(self.now(), "going_away", "server restarts")
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
        viewer = connection.viewer
        audience = audience_of(self.published, viewer)
        if audience is None and self._tick is not None:
            self.publish()  # admitted by a commit still waiting for its tick
            audience = audience_of(self.published, viewer)
        if audience is None:
            return False
        state = self.published
        shared = self._shared_of(state, audience)
        personal = personal_view(state, viewer)
        connection.sees(audience)
        connection.personal = personal
        you = (viewer.kind, viewer.id)
        before = self._state_at(last_seq)
        old_view = view(before, viewer) if before is not None else None
        if old_view is not None:
            changes = wire(diff(old_view, {**shared, **personal}))
            frame = welcome_frame(self.now(), state.id, state.version, you, changes=changes)
        else:
            members = [self._welcome_of(state, audience, shared), json_members(personal)]
            frame = welcome_frame(self.now(), state.id, state.version, you, view_members=members)
        self.connections.add(connection)
        connection.start()
        connection.push(frame)
        return True

    def detach(self, connection: Connection) -> None:
        """Forget a connection; its audience's cached view goes when nobody is left in it."""
        self.connections.discard(connection)
        live = {c.audience_key for c in self.connections}
        for key in [key for key in self._shared if key not in live]:
            del self._shared[key]
            self._welcome.pop(key, None)

    def disconnect(
        self, predicate: Callable[[Connection], bool], code: int, reason: str, message: str
    ) -> int:
        """Close every connection the predicate picks (e.g. a revoked session's)."""
        bye = bye_frame(self.now(), reason, message)
        picked = [c for c in self.connections if predicate(c)]
        for connection in picked:
            connection.end(code, reason, last=bye)
        return len(picked)

    def reply(self, connection: Connection, frame: Reply) -> None:
        """Queue an answer (ack, error, pong) behind the events published before it: at
        once when nothing waits for the tick, otherwise right after the publication."""
        if self._tick is None:
            connection.push(frame())
        else:
            self._replies.append((connection, frame))

    def _state_at(self, seq: int | None) -> WorkshopState | None:
        if seq is None or seq > self.published.version:
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

    def _welcome_of(self, state: WorkshopState, audience: Audience, shared: Sections) -> str:
        """The audience's shared view as JSON members, encoded once per sequence."""
        cached = self._welcome.get(audience.key)
        if cached is not None and cached[0] == state.version:
            return cached[1]
        encoded = json_members(shared)
        self._welcome[audience.key] = (state.version, encoded)
        return encoded

    # --- fan-out -----------------------------------------------------------------------

    def _committed(self, state: WorkshopState, recorded: list[Recorded]) -> None:
        """Publish at once when the room was quiet for a tick, else at the tick's end."""
        del recorded
        self._recent.append(state)
        if self._tick is not None:
            return
        tick = max(self.tick_s, min(self._spent * SPREAD, MAX_TICK_S))
        wait = self._last_publish + tick - self.monotonic()
        if wait <= 0:
            self._publish()
        else:
            self._tick = asyncio.get_running_loop().call_later(wait, self._publish)

    def publish(self) -> None:
        """Publish what waits for the tick now (what the tick's timer does)."""
        if self._tick is not None:
            self._tick.cancel()
            self._publish()

    def _publish(self) -> None:
        self._tick = None
        started = self._last_publish = self.monotonic()
        self.publications += 1
        try:
            self._send_changes(self.runner.state)
        except Exception:  # a timer callback: log with context, keep the room serving
            log.exception("publishing the changes of workshop %s failed", self.published.id)
        replies, self._replies = self._replies, []
        for connection, frame in replies:
            connection.push(frame())
        self._spent = self.monotonic() - started

    def _send_changes(self, state: WorkshopState) -> None:
        """Send every connection what changed in its view since the last publication, in
        ONE event.

        A client counts an event's ``seq`` as applied when the event arrives, so shared and
        personal changes must travel together. Most connections have no personal change
        and get their audience's frame, encoded once; the few that do (the senders, people
        who changed groups) get a frame of their own."""
        before = self.published
        if state is before:
            return
        self.published = state
        now = self.now()
        seq = state.version
        same_audiences = (
            state.participants is before.participants
            and state.facilitators is before.facilitators
            and state.breakouts is before.breakouts
        )
        personal = personal_changes(before, state)
        concerned = _concerned(personal)
        touched = touched_sections(before, state)
        fresh: dict[str, Sections] = {}
        shared_changes: dict[str, list[Change]] = {}
        frames: dict[str, tuple[str, bytes] | None] = {}  # audience key -> frame, encoded
        for connection in list(self.connections):
            if connection.closing:
                self.connections.discard(connection)
                continue
            audience = connection.audience
            key = connection.audience_key
            if not same_audiences or audience is None:
                old_audience = audience
                audience = audience_of(state, connection.viewer)
                if audience is None:
                    bye = bye_frame(now, "removed", "you are no longer part of it")
                    connection.end(CLOSE_FORBIDDEN, "removed", last=bye)
                    continue
                if old_audience is None or audience.key != key:
                    self._move(connection, audience, before, state, personal, fresh, touched)
                    continue
                connection.audience = audience
            if key not in shared_changes:
                if key not in fresh:
                    fresh[key] = self._fresh_shared(before, state, audience, touched)
                shared_changes[key] = diff(self._shared.get(key, {}), fresh[key])
                frames[key] = None
            if personal and (concerned is None or connection.viewer.id in concerned):
                old_personal = connection.personal
                updated = personal_view_since(
                    old_personal, state, connection.viewer, personal, before
                )
                if updated is not old_personal:
                    connection.personal = updated
                    changes = shared_changes[key] + diff(old_personal, updated)
                    connection.push(event_frame(now, seq, wire(changes)))
                    continue
            shared = frames[key]
            if shared is None:
                if not shared_changes[key]:
                    continue
                text = event_frame(now, seq, wire(shared_changes[key]))
                shared = frames[key] = (text, text_frame(text))
            connection.push(*shared)
        self._shared = fresh
        self._welcome = {k: v for k, v in self._welcome.items() if k in fresh}

    def _fresh_shared(
        self,
        before: WorkshopState,
        state: WorkshopState,
        audience: Audience,
        touched: frozenset[str],
    ) -> Sections:
        old = self._shared.get(audience.key)
        if old is None:
            return shared_view(state, audience)
        return shared_view_since(before, old, state, audience, touched)

    def _move(
        self,
        connection: Connection,
        audience: Audience,
        before: WorkshopState,
        state: WorkshopState,
        personal: dict[str, frozenset[str] | None],
        fresh: dict[str, Sections],
        touched: frozenset[str],
    ) -> None:
        """A viewer who changed audience (another group, breakouts opened or closed) gets
        the difference between their old view and their new one, in a frame of its own."""
        key = audience.key
        if key not in fresh:
            fresh[key] = self._fresh_shared(before, state, audience, touched)
        old = self._shared.get(connection.audience_key, {}) if connection.audience else {}
        changes = diff(old, fresh[key])
        connection.sees(audience)
        if personal:
            old_personal = connection.personal
            updated = personal_view_since(old_personal, state, connection.viewer, personal, before)
            if updated is not old_personal:
                changes += diff(old_personal, updated)
                connection.personal = updated
        if changes:
            connection.push(event_frame(self.now(), state.version, wire(changes)))

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            frame = heartbeat_frame(self.now(), self.seq)
            encoded = text_frame(frame)
            for connection in list(self.connections):
                connection.push(frame, encoded)
