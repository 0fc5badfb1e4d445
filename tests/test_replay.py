"""The log is the truth: replaying stored events rebuilds the live state exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.actors import SYSTEM
from app.core.commands import (
    EndWorkshop,
    ExtendStep,
    JumpToStep,
    NextStep,
    PauseWorkshop,
    PreviousStep,
    ResumeWorkshop,
    ShortenStep,
    StartWorkshop,
)
from app.core.errors import Rejection
from app.core.people import AdmitParticipant, InviteFacilitator, RemoveParticipant
from app.core.reducer import decide, evolve, fold
from app.core.runofshow import create_workshop
from app.core.timer import due
from app.store import SequenceConflict, Store
from tests.factories import OWNER, PARTICIPANT, plan

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

commands = st.one_of(
    st.just(StartWorkshop()),
    st.just(PauseWorkshop()),
    st.just(ResumeWorkshop()),
    st.builds(ExtendStep, seconds=st.integers(min_value=-10, max_value=900)),
    st.builds(ShortenStep, seconds=st.integers(min_value=1, max_value=900)),
    st.builds(NextStep, from_index=st.none() | st.integers(min_value=0, max_value=5)),
    st.builds(PreviousStep),
    st.builds(JumpToStep, index=st.integers(min_value=-1, max_value=6)),
    st.just(EndWorkshop()),
    st.builds(
        AdmitParticipant,
        participant_id=st.sampled_from(["p-1", "p-2", "p-3"]),
        name=st.text(max_size=12),
        attributes=st.fixed_dictionaries({}, optional={"organisation": st.text(max_size=8)}),
    ),
    st.builds(RemoveParticipant, participant_id=st.sampled_from(["p-1", "p-2"])),
    st.builds(InviteFacilitator, user_id=st.sampled_from(["co@example.org", OWNER.id])),
)
script = st.lists(
    st.tuples(
        commands,
        st.sampled_from([OWNER, OWNER, OWNER, PARTICIPANT, SYSTEM]),
        st.floats(min_value=0, max_value=900, allow_nan=False),
    ),
    max_size=40,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("log") / "lernraum.db"
    store = Store(f"sqlite:///{path}")
    store.create_schema()
    yield store
    store.close()


@settings(max_examples=150, deadline=None)
@given(
    steps=script,
    policies=st.sampled_from(["advance", "hold", "ask"]),
    snapshot_at=st.integers(0, 40),
)
def test_replaying_the_stored_log_reproduces_the_live_state(store, steps, policies, snapshot_at):
    """For random command sequences, folding the stored events equals the live state."""
    now = START
    created = create_workshop(
        workshop_id=uuid.uuid4().hex,
        title="Replay",
        owner=OWNER.id,
        plan=plan(3, 1.5, 10, 2, 4, on_expiry=policies),
        now=now,
    )
    store.save_workshop(created, now)
    state = fold([created])
    for index, (command, actor, wait) in enumerate(steps):
        now += timedelta(seconds=wait)
        # the scheduler runs before the facilitator's command, as in the live server
        while (expiry := due(state, now)) is not None:
            result = decide(state, expiry, SYSTEM, now)
            assert not isinstance(result, Rejection)
            store.append_events(state.id, state.version, result, now)
            for event in result:
                state = evolve(state, event)
        result = decide(state, command, actor, now)
        if isinstance(result, Rejection):
            continue
        store.append_events(state.id, state.version, result, now)
        for event in result:
            state = evolve(state, event)
        if index == snapshot_at:
            store.save_snapshot(state, now)
    assert store.last_seq(state.id) == state.version
    assert store.load_state(state.id, use_snapshot=False) == state
    assert store.load_state(state.id) == state


def test_a_second_writer_for_the_same_sequence_fails(store):
    """The (workshop, seq) key refuses a forked log instead of silently merging it."""
    created = create_workshop(
        workshop_id=uuid.uuid4().hex, title="Race", owner=OWNER.id, plan=plan(1), now=START
    )
    store.save_workshop(created, START)
    started = decide(fold([created]), StartWorkshop(), OWNER, START)
    assert not isinstance(started, Rejection)
    store.append_events(created.workshop_id, 1, started, START)
    with pytest.raises(SequenceConflict):
        store.append_events(created.workshop_id, 1, started, START)
    assert store.last_seq(created.workshop_id) == 3


def test_sqlite_connections_use_wal_and_pragmas(store):
    """Every SQLite connection runs in WAL mode with foreign keys and a busy timeout."""
    with store.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }
