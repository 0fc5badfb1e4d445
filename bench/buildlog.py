"""Build an event log for the recovery scenario through the real writer.

Every workshop is created from the reference agenda by ``WorkshopService``; its participants
are admitted, the facilitator starts it and jumps to the impulse talk, and then board
commands (new notes, edits, moves, colours) go through ``Runner.submit`` — decided by the
core, group-committed to the store (with the runner's own snapshots) exactly as the live
server would write them — until the workshop's log holds the asked number of events.
Nothing is written around the runner.

    python bench/buildlog.py --database sqlite:///recovery.db --owner a@b.c --workshops 100 \
        --events 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.clock import SystemClock  # noqa: E402
from app.core.actors import SYSTEM, Actor  # noqa: E402
from app.core.agreement import agreement_fingerprint, agreement_of  # noqa: E402
from app.core.board import ColourNote, EditNote, MoveNote, PostNote  # noqa: E402
from app.core.commands import JumpToStep, StartWorkshop  # noqa: E402
from app.core.errors import Rejection  # noqa: E402
from app.core.people import AdmitParticipant  # noqa: E402
from app.core.reducer import Command  # noqa: E402
from app.runner import Runner  # noqa: E402
from app.structures import SHIPPED_ROOT, load_library  # noqa: E402
from app.workshops import WorkshopService  # noqa: E402

AGENDA = "peer-learning-kickoff"
NOTES_STEP = 3  # the impulse talk: everyone in the plenary, notes allowed
PARTICIPANTS = 30
MAX_NOTES = 600  # the board grows to this many notes, then only edits, moves and colours
BATCH = 200  # commands submitted together: the runner commits them in one transaction
MAX_EVENTS = 50_000  # per workshop, whatever is asked


async def build_one(
    service: WorkshopService, owner: str, events: int, rng: random.Random, number: int
) -> str:
    state = await service.create(AGENDA, owner, title=f"Recovery {number}")
    runner = await Runner.load(service.store, state.id, service.clock)
    assert runner is not None
    runner.start()
    try:
        facilitator = Actor("user", owner)
        fingerprint = agreement_fingerprint(agreement_of(runner.state))
        people = [f"p{number}x{k}" for k in range(PARTICIPANTS)]
        for person in people:
            admitted = AdmitParticipant(
                participant_id=person, name=f"Person {person}", agreement=fingerprint
            )
            await expect(runner.submit(admitted, SYSTEM))
        await expect(runner.submit(StartWorkshop(), facilitator))
        await expect(runner.submit(JumpToStep(index=NOTES_STEP), facilitator))
        notes: list[tuple[str, str]] = []  # (note id, author)
        counter = 0
        while runner.state.version < events:
            batch: list[tuple[Command, Actor]] = []
            for _ in range(min(BATCH, events - runner.state.version)):
                counter += 1
                author = rng.choice(people)
                roll = rng.random()
                if len(notes) < MAX_NOTES and (not notes or roll < 0.15):
                    note = f"r{number}n{counter}"
                    notes.append((note, author))
                    text = f"Idee {counter}: mehr Austausch zwischen den Teams"
                    batch.append((PostNote(item_id=note, text=text), Actor("participant", author)))
                    continue
                note, owner_id = rng.choice(notes)
                actor = Actor("participant", owner_id)
                if roll < 0.45:
                    command: Command = EditNote(item_id=note, text=f"Überarbeitet {counter}")
                elif roll < 0.85:
                    command = MoveNote(item_id=note, x=rng.random(), y=rng.random())
                else:
                    command = ColourNote(item_id=note, colour=rng.choice(("gelb", "blau")))
                batch.append((command, actor))
            outcomes = await asyncio.gather(
                *(
                    runner.submit(command, actor, f"b{number}-{counter}-{n}")
                    for n, (command, actor) in enumerate(batch)
                )
            )
            for outcome in outcomes:
                if isinstance(outcome, Rejection):
                    raise RuntimeError(f"refused: {outcome}")
        return state.id
    finally:
        await runner.stop()


async def expect(pending: asyncio.Future[object] | object) -> None:
    outcome = await pending  # type: ignore[misc]
    if isinstance(outcome, Rejection):
        raise RuntimeError(f"refused: {outcome}")


async def build(database: str, owner: str, workshops: int, events: int, seed: int) -> None:
    service = WorkshopService.open(database, load_library(SHIPPED_ROOT), SystemClock())
    rng = random.Random(seed)
    started = time.monotonic()
    ids = []
    try:
        for number in range(workshops):
            ids.append(await build_one(service, owner, min(events, MAX_EVENTS), rng, number))
    finally:
        service.close()
    print(
        json.dumps(
            {"workshops": ids, "events_per_workshop": events, "build_s": time.monotonic() - started}
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--owner", required=True, help="the facilitator who owns the workshops")
    parser.add_argument("--workshops", type=int, default=100)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(build(args.database, args.owner, args.workshops, args.events, args.seed))


if __name__ == "__main__":
    main()
