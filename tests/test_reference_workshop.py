"""The 90-minute reference workshop runs end to end on a fake clock, as a facilitator would."""

from __future__ import annotations

from datetime import timedelta

from app.clock import FakeClock
from app.core.actors import SYSTEM
from app.core.commands import (
    ExtendStep,
    NextStep,
    PauseWorkshop,
    ResumeWorkshop,
    StartWorkshop,
)
from app.core.errors import Rejection
from app.core.reducer import decide, evolve, fold
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState
from app.core.timer import due, live_plan
from app.structures import SHIPPED_ROOT, load_library
from tests.factories import OWNER

PAUSE_S = 7 * 60
EXTENSION_S = 5 * 60


def _apply(state: WorkshopState, command, now, actor=OWNER) -> WorkshopState:
    result = decide(state, command, actor, now)
    assert not isinstance(result, Rejection), result
    for event in result:
        state = evolve(state, event)
    return state


def test_reference_workshop_runs_with_pause_two_extensions_and_a_skip():
    """Every step starts when the one before ends; the plan re-projects after each change."""
    plan = load_library(SHIPPED_ROOT).plan_for("peer-learning-kickoff")
    assert sum(step.seconds for step in plan) == 90 * 60
    clock = FakeClock()
    begin = clock.now()
    state = fold(
        [create_workshop(workshop_id="ref", title="Kick-off", owner=OWNER.id, plan=plan, now=begin)]
    )
    state = _apply(state, StartWorkshop(), clock.now())

    pause_at, extend_at, skip_at = 1, len(plan) // 2, len(plan) - 2
    shift = 0.0  # how far the run is behind the original plan
    for index, step in enumerate(plan):
        assert (state.phase, state.cursor) == ("running", index)
        assert state.plan[index].key == step.key
        started = clock.now()
        expected_end = begin + timedelta(seconds=90 * 60 + shift)
        assert live_plan(state, clock.now()).projected_end == expected_end

        planned = step.seconds
        if index == pause_at:
            clock.advance(planned / 2)
            state = _apply(state, PauseWorkshop(), clock.now())
            clock.advance(PAUSE_S)
            assert due(state, clock.now()) is None
            state = _apply(state, ResumeWorkshop(), clock.now())
            shift += PAUSE_S
        if index == extend_at:
            for _ in range(2):
                state = _apply(state, ExtendStep(seconds=EXTENSION_S), clock.now())
            planned += 2 * EXTENSION_S
            shift += 2 * EXTENSION_S
            assert live_plan(state, clock.now()).projected_end == expected_end + timedelta(
                seconds=2 * EXTENSION_S
            )
        if index == skip_at:
            clock.advance(planned / 3)
            state = _apply(state, NextStep(from_index=index), clock.now())
            shift -= planned - planned / 3
            assert state.cursor == index + 1
            continue

        clock.advance((state.deadline - clock.now()).total_seconds())
        expiry = due(state, clock.now())
        assert expiry is not None and expiry.index == index
        state = _apply(state, expiry, clock.now(), SYSTEM)
        if state.cursor == index and state.phase == "running":  # hold or ask: in overtime
            assert state.expired and step.on_expiry in ("hold", "ask")
            state = _apply(state, NextStep(from_index=index), clock.now())
        run = state.runs[index]
        assert run.active_s(clock.now()) == planned
        assert run.started_at == started

    assert state.phase == "ended"
    assert state.ended_at == begin + timedelta(seconds=90 * 60 + shift)
    statuses = {timing.status for timing in live_plan(state, clock.now()).steps}
    assert statuses == {"done"}
