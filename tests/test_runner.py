"""The live writer over a real SQLite store: durable acks, exactly-once, group commit, expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.clock import FakeClock, ScaledClock
from app.core.actors import SYSTEM
from app.core.commands import ExtendStep, NextStep, StartWorkshop
from app.core.errors import Rejection
from app.core.reducer import decide, fold
from app.core.runofshow import create_workshop
from app.runner import Accepted, Runner
from app.store import Recorded, Store
from tests.factories import OWNER, PARTICIPANT, plan

WAIT_LIMIT_S = 10


def _new_workshop(store: Store, clock, minutes=(10, 5)) -> str:
    created = create_workshop(
        workshop_id="w-run", title="Run", owner=OWNER.id, plan=plan(*minutes), now=clock.now()
    )
    store.save_workshop(created, clock.now())
    return created.workshop_id


async def test_an_acknowledged_command_is_already_in_the_store(store):
    """When submit returns Accepted, a fresh fold of the store shows the change."""
    clock = FakeClock()
    published: list[list[Recorded]] = []
    runner = await Runner.load(
        store, _new_workshop(store, clock), clock, lambda s, r: published.append(r)
    )
    outcome = await runner.submit(StartWorkshop(), OWNER, "c-1")
    assert outcome == Accepted(2, 3)
    assert store.load_state("w-run", use_snapshot=False) == runner.state
    assert [item.seq for item in published[0]] == [2, 3]


async def test_a_repeated_command_id_gets_the_original_ack_and_no_second_effect(store):
    """Sending the same command id twice extends the step once."""
    clock = FakeClock()
    runner = await Runner.load(store, _new_workshop(store, clock), clock)
    await runner.submit(StartWorkshop(), OWNER, "c-1")
    first = await runner.submit(ExtendStep(seconds=60), OWNER, "c-2")
    again = await runner.submit(ExtendStep(seconds=60), OWNER, "c-2")
    assert isinstance(first, Accepted) and again == Accepted(first.first_seq, first.last_seq, True)
    assert runner.state.deadline == clock.now() + timedelta(minutes=11)
    other_actor = await runner.submit(ExtendStep(seconds=60), SYSTEM, "c-2")
    assert isinstance(other_actor, Rejection)  # keys are per actor; the system may not extend


async def test_exactly_once_holds_across_a_restart(store):
    """After the runner is rebuilt from the store, a repeat is still recognised."""
    clock = FakeClock()
    runner = await Runner.load(store, _new_workshop(store, clock), clock)
    await runner.submit(StartWorkshop(), OWNER, "c-1")
    first = await runner.submit(NextStep(), OWNER, "c-next")
    rebuilt = await Runner.load(store, "w-run", clock)
    assert rebuilt.state == runner.state
    again = await rebuilt.submit(NextStep(), OWNER, "c-next")
    assert again == Accepted(first.first_seq, first.last_seq, True)
    assert rebuilt.state.phase == "running" and rebuilt.state.cursor == 1


async def test_a_repeat_after_a_restart_is_recognised_behind_commands_without_an_id(store):
    """The log's command keys are read when the first command with an id comes, also when
    commands without one came first: a repeat still gets the original ack."""
    clock = FakeClock()
    runner = await Runner.load(store, _new_workshop(store, clock), clock)
    await runner.submit(StartWorkshop(), OWNER, "c-1")
    first = await runner.submit(ExtendStep(seconds=60), OWNER, "c-extend")
    rebuilt = await Runner.load(store, "w-run", clock)
    assert isinstance(await rebuilt.submit(ExtendStep(seconds=30), OWNER), Accepted)
    again = await rebuilt.submit(ExtendStep(seconds=60), OWNER, "c-extend")
    assert again == Accepted(first.first_seq, first.last_seq, True)
    fresh = await rebuilt.submit(ExtendStep(seconds=60), OWNER, "c-new")
    assert isinstance(fresh, Accepted) and not fresh.repeated
    assert rebuilt.state.deadline == clock.now() + timedelta(minutes=12, seconds=30)


async def test_concurrent_commands_are_group_committed_in_order(store):
    """Fifty commands submitted at once are all acknowledged with contiguous sequences."""
    clock = FakeClock()
    runner = await Runner.load(store, _new_workshop(store, clock), clock)
    runner.start()
    try:
        await asyncio.wait_for(runner.submit(StartWorkshop(), OWNER, "start"), WAIT_LIMIT_S)
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(runner.submit(ExtendStep(seconds=1), OWNER, f"x{i}") for i in range(50))
            ),
            WAIT_LIMIT_S,
        )
        seqs = sorted(outcome.first_seq for outcome in outcomes)
        assert seqs == list(range(4, 54))
        assert runner.state.deadline == clock.now() + timedelta(minutes=10, seconds=50)
        assert store.last_seq("w-run") == 53
    finally:
        # stop() right after a burst of commits: the scheduler's wake-up races with the
        # cancellation, which must still end it (wait_for on 3.11 could swallow it).
        await asyncio.wait_for(runner.stop(), WAIT_LIMIT_S)


async def test_rejections_write_nothing(store):
    """A refused command leaves the log as it was."""
    clock = FakeClock()
    runner = await Runner.load(store, _new_workshop(store, clock), clock)
    outcome = await runner.submit(StartWorkshop(), PARTICIPANT, "c-1")
    assert isinstance(outcome, Rejection) and outcome.code == "not_facilitator"
    assert store.last_seq("w-run") == 1


async def test_a_lost_write_race_is_not_acknowledged_and_the_state_reloads(store):
    """If another writer got there first, the command is refused and the runner catches up."""
    clock = FakeClock()
    runner = await Runner.load(store, _new_workshop(store, clock), clock)
    intruder = decide(
        fold(item.event for item in store.load_events("w-run")), StartWorkshop(), OWNER, clock.now()
    )
    store.append_events("w-run", 1, intruder, clock.now())
    outcome = await runner.submit(StartWorkshop(), OWNER, "c-1")
    assert isinstance(outcome, Rejection) and outcome.code == "storage_failed"
    assert runner.state.phase == "running" and runner.state.version == 3


async def test_the_scheduler_expires_steps_by_itself(store):
    """With a clock 600x faster, a one-minute step advances on its own within real time."""
    clock = ScaledClock(600)
    runner = await Runner.load(store, _new_workshop(store, clock, minutes=(1, 1)), clock)
    runner.start()
    try:
        await runner.submit(StartWorkshop(), OWNER)
        async with asyncio.timeout(WAIT_LIMIT_S):
            while runner.state.phase != "ended":
                await asyncio.sleep(0.02)
        events = [item.event.type for item in store.load_events("w-run")]
        assert events.count("step.expired") == 2 and events[-1] == "workshop.ended"
    finally:
        await runner.stop()
