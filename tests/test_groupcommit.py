"""Appends of many workshops that arrive together share one transaction; a conflict fails
only its own append; a failing store fails the appends of that transaction and no more."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from app.clock import FakeClock
from app.core.commands import StartWorkshop
from app.core.reducer import decide
from app.core.runofshow import create_workshop
from app.groupcommit import GroupCommit, group_commit
from app.runner import Accepted, Runner
from app.store import Append, SequenceConflict, Store
from tests.factories import OWNER, plan

CLOCK = FakeClock()


def _workshops(store: Store, count: int) -> list[str]:
    ids = []
    for number in range(count):
        created = create_workshop(
            workshop_id=f"w-{number}", title="W", owner=OWNER.id, plan=plan(10), now=CLOCK.now()
        )
        store.save_workshop(created, CLOCK.now())
        ids.append(created.workshop_id)
    return ids


def _start(store: Store, workshop_id: str):
    state = store.load_state(workshop_id)
    assert state is not None
    decision = decide(state, StartWorkshop(), OWNER, CLOCK.now())
    assert isinstance(decision, list)
    return decision


async def test_a_lone_append_is_written_at_once(store):
    commits = GroupCommit(store)
    (workshop,) = _workshops(store, 1)
    recorded = await commits.append(
        Append(workshop, 1, _start(store, workshop), CLOCK.now(), ["k", "k"])
    )
    assert [item.seq for item in recorded] == [2, 3]
    assert commits.transactions == 1
    assert store.command_outcomes(workshop) == {"k": (2, 3)}


async def test_appends_that_arrive_together_share_one_transaction(store):
    commits = GroupCommit(store)
    ids = _workshops(store, 12)
    appends = [commits.append(Append(w, 1, _start(store, w), CLOCK.now())) for w in ids]
    results = await asyncio.gather(*appends)
    assert all([item.seq for item in recorded] == [2, 3] for recorded in results)
    # all twelve were waiting when the first transaction began
    assert commits.transactions == 1
    for workshop in ids:
        state = store.load_state(workshop, use_snapshot=False)
        assert state is not None and state.version == 3 and state.phase == "running"


async def test_a_conflict_fails_only_its_own_append(store):
    commits = GroupCommit(store)
    ids = _workshops(store, 3)
    decisions = {w: _start(store, w) for w in ids}
    first, taken, third = ids
    store.append_events(taken, 1, decisions[taken], CLOCK.now())  # another writer won
    outcomes = await asyncio.gather(
        *(commits.append(Append(w, 1, decisions[w], CLOCK.now())) for w in ids),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], SequenceConflict)
    assert not isinstance(outcomes[0], BaseException) and not isinstance(outcomes[2], BaseException)
    assert store.last_seq(first) == store.last_seq(third) == store.last_seq(taken) == 3


async def test_a_failing_store_fails_that_transaction_and_the_next_one_writes(store, monkeypatch):
    commits = GroupCommit(store)
    one, two = _workshops(store, 2)
    original = store.append_many

    def broken(appends):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(store, "append_many", broken)
    with pytest.raises(OperationalError):
        await commits.append(Append(one, 1, _start(store, one), CLOCK.now()))
    monkeypatch.setattr(store, "append_many", original)
    recorded = await commits.append(Append(two, 1, _start(store, two), CLOCK.now()))
    assert [item.seq for item in recorded] == [2, 3] and store.last_seq(one) == 1


async def test_runners_of_one_store_commit_together(store):
    ids = _workshops(store, 5)
    runners = [await Runner.load(store, w, CLOCK) for w in ids]
    shared = group_commit(store)
    before = shared.transactions
    outcomes = await asyncio.gather(
        *(runner.submit(StartWorkshop(), OWNER, f"c-{n}") for n, runner in enumerate(runners))
    )
    assert outcomes == [Accepted(2, 3)] * 5
    assert shared.transactions - before < len(runners)
    assert all(store.last_seq(w) == 3 for w in ids)
