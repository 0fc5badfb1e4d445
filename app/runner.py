"""The live writer of one workshop: inbox -> decide -> persist -> evolve -> publish.

Exactly one runner owns a workshop in a process. Commands queue in its inbox; the runner
takes everything waiting, decides each against the state as it evolves, writes all
resulting events in ONE transaction (group commit), and only then acknowledges them and
hands them to ``on_commit`` for fan-out. If the write fails, nothing is acknowledged and the
state is reloaded from the store, so an acknowledged command always survives a crash.

A command sent with a client id is answered once: a repeat gets the original acknowledgement
and no second effect, also after a restart (the key is stored with the events).

The scheduler task sleeps until the current step's deadline (as the clock scales it) and
submits the expiry as the system actor; the engine rejects it as stale if anything moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.clock import Clock
from app.core.actors import SYSTEM, Actor
from app.core.errors import Rejection
from app.core.reducer import Command, decide, evolve
from app.core.state import WorkshopState
from app.core.timer import due, next_deadline
from app.groupcommit import group_commit
from app.store import Append, Recorded, Store

log = logging.getLogger(__name__)

MAX_BATCH_COMMANDS = 256
MAX_REMEMBERED_COMMANDS = 20_000
SNAPSHOT_EVERY_EVENTS = 500
MIN_SCHEDULER_SLEEP_S = 0.005
MAX_SCHEDULER_SLEEP_S = 30.0
MAX_COMMAND_ID_CHARS = 64


@dataclass(frozen=True)
class Accepted:
    """A command's events are durable: sequences ``first_seq``..``last_seq``."""

    first_seq: int
    last_seq: int
    repeated: bool = False


Outcome = Accepted | Rejection
CommitListener = Callable[[WorkshopState, list[Recorded]], None]


@dataclass
class _Pending:
    command: Command
    actor: Actor
    key: str | None
    reply: asyncio.Future[Outcome]


def _remembered(known: dict[str, tuple[int, int]]) -> OrderedDict[str, Accepted]:
    """Outcomes of commands by key, oldest first, each answering a repeat."""
    return OrderedDict(
        (key, Accepted(first, last, repeated=True))
        for key, (first, last) in sorted(known.items(), key=lambda kv: kv[1])
    )


def command_key(actor: Actor, command_id: str | None) -> str | None:
    """The idempotency key of a client's command: unique per actor."""
    if command_id is None:
        return None
    return f"{actor.kind}:{actor.id}/{command_id}"


class Runner:
    """The single writer of one workshop."""

    def __init__(
        self,
        state: WorkshopState,
        store: Store,
        clock: Clock,
        on_commit: CommitListener | None = None,
        known_commands: dict[str, tuple[int, int]] | None = None,
        *,
        keys_in_log: bool = False,
    ) -> None:
        self.state = state
        self.store = store
        self.clock = clock
        self.on_commit = on_commit
        self._outcomes = _remembered(known_commands or {})
        # The log may hold command keys not in ``known_commands``: they are read before the
        # first command with a key is decided, not at load, so a restart serves every
        # workshop without reading every key of every log first.
        self._keys_unread = keys_in_log
        self._inbox: asyncio.Queue[_Pending] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._events_since_snapshot = 0

    @classmethod
    async def load(
        cls, store: Store, workshop_id: str, clock: Clock, on_commit: CommitListener | None = None
    ) -> Runner | None:
        """A runner for a stored workshop, its state rebuilt from snapshot and log."""
        state = await asyncio.to_thread(store.load_state, workshop_id)
        if state is None:
            return None
        return cls(state, store, clock, on_commit, keys_in_log=True)

    def start(self) -> None:
        """Start the writer and the scheduler tasks."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._write_loop(), name=f"runner:{self.state.id}"),
                asyncio.create_task(self._schedule_loop(), name=f"scheduler:{self.state.id}"),
            ]

    async def stop(self) -> None:
        """Stop both tasks; queued commands are not applied."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def submit(
        self, command: Command, actor: Actor, command_id: str | None = None
    ) -> Outcome:
        """Apply a command; returns once its events are durable, or why it was refused."""
        if command_id is not None and not 1 <= len(command_id) <= MAX_COMMAND_ID_CHARS:
            return Rejection(
                "invalid_argument", f"a command id has 1 to {MAX_COMMAND_ID_CHARS} characters"
            )
        reply: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(_Pending(command, actor, command_key(actor, command_id), reply))
        if not self._tasks:
            await self._apply([self._inbox.get_nowait()])
        return await reply

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._inbox.get()]
            while not self._inbox.empty() and len(batch) < MAX_BATCH_COMMANDS:
                batch.append(self._inbox.get_nowait())
            try:
                await self._apply(batch)
            except Exception:  # task boundary: log with context and keep serving
                log.exception("runner of workshop %s failed on a batch", self.state.id)
                for item in batch:
                    if not item.reply.done():
                        item.reply.set_result(Rejection("internal_error", "the server failed"))

    async def _apply(self, batch: list[_Pending]) -> None:
        if self._keys_unread and any(item.key is not None for item in batch):
            await self._read_keys()
        now = self.clock.now()
        state = self.state
        events: list[Any] = []
        keys: list[str | None] = []
        results: list[Outcome] = []
        seen: dict[str, Accepted] = {}
        for item in batch:
            if item.key is not None and (item.key in self._outcomes or item.key in seen):
                original = self._outcomes.get(item.key) or seen[item.key]
                results.append(Accepted(original.first_seq, original.last_seq, repeated=True))
                continue
            decision = decide(state, item.command, item.actor, now)
            if isinstance(decision, Rejection):
                results.append(decision)
                continue
            candidate = state
            try:
                for event in decision:
                    candidate = evolve(candidate, event)
            except Exception:
                log.exception("evolve failed in workshop %s for %r", state.id, item.command)
                results.append(Rejection("internal_error", "the server could not apply that"))
                continue
            accepted = Accepted(state.version + 1, candidate.version)
            state = candidate
            events.extend(decision)
            keys.extend([item.key] * len(decision))
            results.append(accepted)
            if item.key is not None:
                seen[item.key] = accepted
        recorded: list[Recorded] = []
        if events:
            try:
                recorded = await group_commit(self.store).append(
                    Append(self.state.id, self.state.version, events, now, keys)
                )
            except Exception:
                log.exception("could not persist %d events of workshop %s", len(events), state.id)
                failed = Rejection("storage_failed", "the change could not be saved; try again")
                results = [
                    failed if isinstance(r, Accepted) and not r.repeated else r for r in results
                ]
                reloaded = await asyncio.to_thread(self.store.load_state, self.state.id)
                if reloaded is not None:
                    self.state = reloaded
                events = []
            else:
                self.state = state
                for key, accepted in seen.items():
                    self._remember(
                        key, Accepted(accepted.first_seq, accepted.last_seq, repeated=True)
                    )
        for item, result in zip(batch, results, strict=True):
            if not item.reply.done():
                item.reply.set_result(result)
        if recorded:
            self._wake.set()
            if self.on_commit is not None:
                try:
                    self.on_commit(self.state, recorded)
                except Exception:
                    log.exception("publishing events of workshop %s failed", self.state.id)
            self._events_since_snapshot += len(recorded)
            if self._events_since_snapshot >= SNAPSHOT_EVERY_EVENTS:
                self._events_since_snapshot = 0
                await asyncio.to_thread(self.store.save_snapshot, self.state, now)

    async def _read_keys(self) -> None:
        """Remember the outcome of every keyed command in the log (its newest ones last)."""

        def read() -> OrderedDict[str, Accepted]:
            return _remembered(self.store.command_outcomes(self.state.id))

        logged = await asyncio.to_thread(read)
        logged.update(self._outcomes)  # none yet, unless given to the constructor
        self._outcomes = logged
        self._keys_unread = False

    def _remember(self, key: str, accepted: Accepted) -> None:
        self._outcomes[key] = accepted
        while len(self._outcomes) > MAX_REMEMBERED_COMMANDS:
            self._outcomes.popitem(last=False)

    async def expire_due(self) -> Outcome | None:
        """Submit the expiry that is due now, if any (the scheduler's one move)."""
        command = due(self.state, self.clock.now())
        if command is None:
            return None
        return await self.submit(command, SYSTEM)

    async def _schedule_loop(self) -> None:
        while True:
            self._wake.clear()
            deadline = next_deadline(self.state)
            if deadline is None:
                await self._wake.wait()
                continue
            remaining = (deadline - self.clock.now()).total_seconds()
            if remaining > 0:
                delay = min(
                    max(self.clock.real_seconds(remaining), MIN_SCHEDULER_SLEEP_S),
                    MAX_SCHEDULER_SLEEP_S,
                )
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
                # cancellation that races with the wake-up, and stop() would hang.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                continue
            try:
                await self.expire_due()
            except Exception:  # task boundary
                log.exception("scheduler of workshop %s failed", self.state.id)
                await asyncio.sleep(MIN_SCHEDULER_SLEEP_S)
