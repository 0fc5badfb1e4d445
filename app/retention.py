"""The retention sweep: ended workshops lose their personal data after the retention period.

A workshop whose end lies ``LERNRAUM_RETENTION_DAYS`` days or more in the past (by the
injected clock) is anonymised: the server submits ``AnonymiseWorkshop`` through the normal
live path (names become pseudonyms, everything the outcome record does not hold leaves the
state), then the stored log before that event is redacted (``app/erasure.py``), and the
workshop's participant tokens and join link are deleted. The workshop itself stays with
its outcome record, so exports and series pages keep working, and it replays as before.

Each sweep also completes redactions that an erasure event still waits for (after a crash
between the event and its redaction, or an erasure sent over the websocket).

The server runs a sweep at startup and then every ``LERNRAUM_RETENTION_SWEEP_S`` seconds;
``lernraum retention run`` runs one from the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, select

from app.core.actors import SYSTEM, Actor
from app.core.erasure import AnonymiseWorkshop
from app.core.errors import Rejection
from app.core.reducer import Command
from app.core.state import WorkshopState
from app.erasure import (
    RedactionRefused,
    forget_join_link,
    forget_tokens,
    pending,
    redact,
)
from app.runner import Outcome
from app.store import EventRow, Store

if TYPE_CHECKING:
    from app.live.hub import Hub
    from app.settings import Settings
    from app.workshops import WorkshopService

log = logging.getLogger(__name__)

Submit = Callable[[str, Command, Actor], Awaitable[Outcome]]
States = Callable[[], Awaitable[Sequence[WorkshopState]]]
_EVENTS: Table = EventRow.__table__  # type: ignore[attr-defined]


@dataclass
class SweepReport:
    """What one sweep did."""

    anonymised: list[str] = field(default_factory=list)  # workshop ids
    redacted: list[tuple[str, int]] = field(default_factory=list)  # (workshop id, event seq)
    failed: list[str] = field(default_factory=list)  # what went wrong, for the log

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{len(self.anonymised)} workshops anonymised, {len(self.redacted)} logs redacted, "
            f"{len(self.failed)} failures"
        )


def retention_due(state: WorkshopState, now: datetime, days: int) -> bool:
    """Whether an ended workshop's retention period is over (never with ``days`` 0)."""
    if days <= 0 or state.phase != "ended" or state.ended_at is None:
        return False
    return state.ended_at + timedelta(days=days) <= now


def was_anonymised(store: Store, workshop_id: str) -> bool:
    """Whether the workshop's log holds an anonymisation already."""
    columns = _EVENTS.c
    query = select(func.count()).where(
        columns.workshop_id == workshop_id, columns.type == "workshop.anonymised"
    )
    with store.engine.connect() as connection:
        return bool(connection.execute(query).scalar())


async def sweep(
    store: Store, states: States, submit: Submit, now: datetime, days: int
) -> SweepReport:
    """Anonymise every ended workshop whose retention is over; finish pending redactions."""
    report = SweepReport()
    for state in await states():
        if not retention_due(state, now, days):
            continue
        if await asyncio.to_thread(was_anonymised, store, state.id):
            continue
        outcome = await submit(state.id, AnonymiseWorkshop(), SYSTEM)
        if isinstance(outcome, Rejection):
            report.failed.append(f"{state.id}: {outcome.code}: {outcome.message}")
            continue
        await asyncio.to_thread(forget_tokens, store, state.id)
        await asyncio.to_thread(forget_join_link, store, state.id)
        report.anonymised.append(state.id)
    for workshop_id, seq in await asyncio.to_thread(pending, store):
        try:
            await asyncio.to_thread(redact, store, workshop_id, seq, now)
        except (RedactionRefused, ValueError) as error:
            log.error("retention: %s", error)
            report.failed.append(f"{workshop_id}@{seq}: {error}")
            continue
        report.redacted.append((workshop_id, seq))
    return report


async def run_once(store: Store, now: datetime, days: int) -> SweepReport:
    """One sweep without a server (``lernraum retention run``): each due workshop is
    anonymised by a runner of its own, through the same decision as in the server.

    A server running on the same store at the same time notices the new event when it next
    writes to the workshop (a sequence conflict makes its runner reload the state)."""
    from app.clock import FakeClock
    from app.runner import Runner

    clock = FakeClock(now)

    async def states() -> list[WorkshopState]:
        found = []
        for workshop_id in await asyncio.to_thread(store.workshop_ids):
            state = await asyncio.to_thread(store.load_state, workshop_id)
            if state is not None:
                found.append(state)
        return found

    async def submit(workshop_id: str, command: Command, actor: Actor) -> Outcome:
        runner = await Runner.load(store, workshop_id, clock)
        if runner is None:
            return Rejection("no_such_workshop", f"no workshop {workshop_id!r}")
        return await runner.submit(command, actor)

    return await sweep(store, states, submit, now, days)


async def run_periodically(
    run_once: Callable[[], Awaitable[SweepReport]], interval_s: float
) -> None:
    """Sweep now and then every ``interval_s`` seconds until cancelled; a failing sweep is
    logged and the next one runs on time."""
    while True:
        try:
            report = await run_once()
            if report.anonymised or report.redacted or report.failed:
                log.info("retention sweep: %s", report.summary())
        except Exception:  # task boundary: keep sweeping
            log.exception("the retention sweep failed")
        await asyncio.sleep(interval_s)


def start_sweeps(app_state: Any) -> asyncio.Task[None]:
    """Start the server's periodic sweep from the app's lifespan, with the ``settings``,
    ``service`` and ``hub`` of the app's state. It runs also with retention switched off
    (``LERNRAUM_RETENTION_DAYS=0``): pending redactions of erasures are always completed."""
    settings: Settings = app_state.settings
    service: WorkshopService = app_state.service
    hub: Hub = app_state.hub

    async def once() -> SweepReport:
        return await sweep(
            service.store, hub.all, hub.submit, service.clock.now(), settings.retention_days
        )

    return asyncio.create_task(
        run_periodically(once, settings.retention_sweep_s), name="retention-sweep"
    )


async def stop_sweeps(task: asyncio.Task[None]) -> None:
    """Cancel the periodic sweep and wait for it."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
