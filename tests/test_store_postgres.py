"""The same event log on a real PostgreSQL server (the scale-out store)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.core.actors import SYSTEM
from app.core.commands import ExtendStep, NextStep, StartWorkshop
from app.core.errors import Rejection
from app.core.people import AdmitParticipant
from app.core.reducer import decide, evolve, fold
from app.core.runofshow import create_workshop
from app.store import SequenceConflict, Store
from tests.factories import AGREED, OWNER, plan

pytestmark = pytest.mark.services


def test_event_log_round_trips_on_postgresql(postgres_url: str):
    """Appending, snapshotting and rebuilding give the live state, and forks are refused."""
    store = Store(postgres_url)
    store.create_schema()
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    created = create_workshop(
        workshop_id=uuid.uuid4().hex, title="PG", owner=OWNER.id, plan=plan(5, 5), now=now
    )
    store.save_workshop(created, now)
    state = fold([created])
    script = [
        (StartWorkshop(), OWNER),
        (AdmitParticipant(participant_id="p-1", name="Zoë \x00 Ünal", agreement=AGREED), SYSTEM),
        (ExtendStep(seconds=120), OWNER),
        (NextStep(), OWNER),
    ]
    for index, (command, actor) in enumerate(script):
        now += timedelta(seconds=30)
        events = decide(state, command, actor, now)
        assert not isinstance(events, Rejection), events
        store.append_events(state.id, state.version, events, now)
        for event in events:
            state = evolve(state, event)
        if index == 1:
            store.save_snapshot(state, now)
    assert state.participants["p-1"].name == "Zoë Ünal"
    assert store.load_state(state.id) == state
    assert store.load_state(state.id, use_snapshot=False) == state
    with pytest.raises(SequenceConflict):
        store.append_events(state.id, 2, [events[0]], now)
    store.close()
