"""The run of show: every command's effect, and every illegal one leaving the state alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.clock import FakeClock
from app.core.actors import SYSTEM, Actor
from app.core.commands import (
    EndWorkshop,
    ExpireStep,
    ExtendStep,
    JumpToStep,
    NextStep,
    PauseWorkshop,
    PreviousStep,
    ResumeWorkshop,
    RunCommand,
    ShortenStep,
    StartWorkshop,
)
from app.core.errors import Rejected, Rejection
from app.core.events import StepExpired, StepStarted, WorkshopEnded
from app.core.reducer import decide, evolve
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState
from app.core.timer import due, live_plan, remaining_s
from tests.factories import OWNER, PARTICIPANT, STRANGER, plan, step, workshop


def apply(state: WorkshopState, command: RunCommand, now, actor: Actor = OWNER) -> WorkshopState:
    """Decide and evolve, failing the test on a rejection."""
    result = decide(state, command, actor, now)
    assert not isinstance(result, Rejection), result
    for event in result:
        state = evolve(state, event)
    return state


def rejected(state: WorkshopState, command: RunCommand, now, actor: Actor = OWNER) -> str:
    """The rejection code of a command that must not apply."""
    result = decide(state, command, actor, now)
    assert isinstance(result, Rejection), result
    return result.code


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lobby(clock: FakeClock) -> WorkshopState:
    return workshop(plan(10, 5, 20), clock.now())


def test_start_runs_first_step_with_its_planned_time(lobby, clock):
    """Starting leaves the lobby and sets the first step's deadline from now."""
    state = apply(lobby, StartWorkshop(), clock.now())
    assert (state.phase, state.cursor) == ("running", 0)
    assert state.deadline == clock.now() + timedelta(minutes=10)
    assert state.version == 3


def test_only_facilitators_steer(lobby, clock):
    """Participants and strangers get not_facilitator for every steering command."""
    started = apply(lobby, StartWorkshop(), clock.now())
    for actor in (PARTICIPANT, STRANGER):
        assert rejected(lobby, StartWorkshop(), clock.now(), actor) == "not_facilitator"
        for command in (PauseWorkshop(), ExtendStep(seconds=60), NextStep(), EndWorkshop()):
            assert rejected(started, command, clock.now(), actor) == "not_facilitator"


def test_pause_keeps_remaining_and_resume_counts_from_now(lobby, clock):
    """A pause freezes the remaining time; resuming sets a new deadline from then."""
    state = apply(lobby, StartWorkshop(), clock.now())
    clock.advance(240)
    state = apply(state, PauseWorkshop(), clock.now())
    assert state.phase == "paused" and state.remaining_s == 360
    clock.advance(1000)
    assert remaining_s(state, clock.now()) == 360
    assert due(state, clock.now()) is None
    state = apply(state, ResumeWorkshop(), clock.now())
    assert state.deadline == clock.now() + timedelta(seconds=360)
    assert state.runs[-1].paused_s == 1000


def test_extend_moves_deadline_and_replans_later_steps(lobby, clock):
    """Extending a running step pushes its deadline and every later step's start."""
    start = clock.now()
    state = apply(lobby, StartWorkshop(), start)
    before = live_plan(state, clock.now())
    state = apply(state, ExtendStep(seconds=300), clock.now())
    after = live_plan(state, clock.now())
    assert state.deadline == start + timedelta(minutes=15)
    assert after.steps[1].projected_start == before.steps[1].projected_start + timedelta(minutes=5)
    assert after.projected_end == start + timedelta(minutes=40)
    assert after.drift_s == 300


def test_extend_while_paused_adds_to_remaining(lobby, clock):
    """Extending a paused step adds to what is left, the clock still stopped."""
    state = apply(apply(lobby, StartWorkshop(), clock.now()), PauseWorkshop(), clock.now())
    state = apply(state, ExtendStep(seconds=60), clock.now())
    assert state.phase == "paused" and state.remaining_s == 660


def test_shorten_never_ends_before_now(lobby, clock):
    """Shortening by more than is left ends the step now, and due() reports it."""
    state = apply(lobby, StartWorkshop(), clock.now())
    clock.advance(550)
    state = apply(state, ShortenStep(seconds=120), clock.now())
    assert state.deadline == clock.now()
    assert due(state, clock.now()) == ExpireStep(index=0, deadline=clock.now())


def test_retime_rejects_out_of_range_seconds(lobby, clock):
    """Zero, negative or absurd retiming is an invalid argument."""
    state = apply(lobby, StartWorkshop(), clock.now())
    for seconds in (0, -5, 10**6):
        assert rejected(state, ExtendStep(seconds=seconds), clock.now()) == "invalid_argument"
        assert rejected(state, ShortenStep(seconds=seconds), clock.now()) == "invalid_argument"


def test_expiry_advance_starts_next_step_at_the_deadline(lobby, clock):
    """Under the advance policy an expiry starts the next step."""
    state = apply(lobby, StartWorkshop(), clock.now())
    clock.advance(600)
    command = due(state, clock.now())
    assert command is not None
    result = decide(state, command, SYSTEM, clock.now())
    assert [type(e) for e in result] == [StepExpired, StepStarted]
    state = apply(state, command, clock.now(), SYSTEM)
    assert state.cursor == 1 and not state.expired
    assert state.deadline == clock.now() + timedelta(minutes=5)


def test_expiry_hold_keeps_overtime_until_facilitator_moves(clock):
    """Under the hold policy the step stays current in overtime and nothing more is due."""
    state = apply(workshop(plan(1, 1, on_expiry="hold"), clock.now()), StartWorkshop(), clock.now())
    clock.advance(60)
    state = apply(state, due(state, clock.now()), clock.now(), SYSTEM)
    assert state.expired and not state.awaiting_decision and state.cursor == 0
    clock.advance(30)
    assert remaining_s(state, clock.now()) == -30
    assert due(state, clock.now()) is None
    assert live_plan(state, clock.now()).steps[1].projected_start == clock.now()


def test_expiry_ask_waits_for_a_decision_and_extension_clears_it(clock):
    """Under the ask policy the room waits; extending in overtime counts from now."""
    state = apply(workshop(plan(1, 1, on_expiry="ask"), clock.now()), StartWorkshop(), clock.now())
    clock.advance(90)
    state = apply(state, ExpireStep(index=0, deadline=state.deadline), clock.now(), SYSTEM)
    assert state.awaiting_decision
    state = apply(state, ExtendStep(seconds=120), clock.now())
    assert not state.expired and not state.awaiting_decision
    assert state.deadline == clock.now() + timedelta(seconds=120)


def test_expiry_applies_exactly_once(lobby, clock):
    """A repeated, early, outdated or non-scheduler expiry is stale and changes nothing."""
    state = apply(lobby, StartWorkshop(), clock.now())
    deadline = state.deadline
    early = ExpireStep(index=0, deadline=deadline)
    assert rejected(state, early, clock.now(), SYSTEM) == "stale_expiry"
    clock.advance(600)
    assert rejected(state, early, clock.now(), OWNER) == "not_facilitator"
    extended = apply(state, ExtendStep(seconds=60), clock.now())
    assert rejected(extended, early, clock.now(), SYSTEM) == "stale_expiry"
    moved = apply(state, early, clock.now(), SYSTEM)
    assert rejected(moved, early, clock.now(), SYSTEM) == "stale_expiry"


def test_next_after_last_step_ends_the_workshop(clock):
    """Moving past the last step ends the workshop; then nothing steers it any more."""
    state = apply(workshop(plan(1), clock.now()), StartWorkshop(), clock.now())
    result = decide(state, NextStep(), OWNER, clock.now())
    assert [type(e) for e in result] == [WorkshopEnded]
    state = apply(state, NextStep(), clock.now())
    assert state.phase == "ended" and state.runs[-1].ended_at == clock.now()
    for command in (NextStep(), PauseWorkshop(), ExtendStep(seconds=5), EndWorkshop()):
        assert rejected(state, command, clock.now()) == "workshop_ended"


def test_back_restarts_the_previous_step_and_keeps_history(lobby, clock):
    """Back starts the previous step again with its full time; the first has none before it."""
    state = apply(lobby, StartWorkshop(), clock.now())
    assert rejected(state, PreviousStep(), clock.now()) == "no_such_step"
    clock.advance(100)
    state = apply(state, NextStep(), clock.now())
    clock.advance(50)
    state = apply(state, PreviousStep(), clock.now())
    assert state.cursor == 0 and state.deadline == clock.now() + timedelta(minutes=10)
    assert [run.index for run in state.runs] == [0, 1, 0]
    assert live_plan(state, clock.now()).steps[0].actual_s == 100


def test_jump_skips_steps_and_marks_them_skipped(lobby, clock):
    """Jumping ahead makes the jumped-over steps 'skipped' in the live plan."""
    state = apply(lobby, StartWorkshop(), clock.now())
    assert rejected(state, JumpToStep(index=3), clock.now()) == "no_such_step"
    assert rejected(state, JumpToStep(index=-1), clock.now()) == "no_such_step"
    state = apply(state, JumpToStep(index=2), clock.now())
    statuses = [timing.status for timing in live_plan(state, clock.now()).steps]
    assert statuses == ["done", "skipped", "current"]


def test_stale_from_index_is_rejected(lobby, clock):
    """Two facilitators pressing next for the same step advance only once."""
    state = apply(lobby, StartWorkshop(), clock.now())
    state = apply(state, NextStep(from_index=0), clock.now())
    assert rejected(state, NextStep(from_index=0), clock.now()) == "stale_step"
    assert rejected(state, PreviousStep(from_index=0), clock.now()) == "stale_step"


def test_commands_before_start_are_typed(lobby, clock):
    """In the lobby only start and end apply."""
    for command in (PauseWorkshop(), ResumeWorkshop(), ExtendStep(seconds=60), NextStep()):
        assert rejected(lobby, command, clock.now()) == "workshop_not_started"
    assert apply(lobby, EndWorkshop(), clock.now()).phase == "ended"
    started = apply(lobby, StartWorkshop(), clock.now())
    assert rejected(started, StartWorkshop(), clock.now()) == "workshop_already_started"
    assert rejected(started, ResumeWorkshop(), clock.now()) == "not_paused"
    paused = apply(started, PauseWorkshop(), clock.now())
    assert rejected(paused, PauseWorkshop(), clock.now()) == "step_not_running"


def test_unknown_command_is_typed(lobby, clock):
    """A value that is no command gets unknown_command."""
    assert rejected(lobby, object(), clock.now()) == "unknown_command"  # type: ignore[arg-type]


def test_create_workshop_checks_the_plan(clock):
    """An empty plan, a zero-length step or duplicate keys are refused."""
    bad = [(), (step("a/x", 0),), (step("a/x", 1), step("a/x", 2))]
    for steps in bad:
        with pytest.raises(Rejected):
            create_workshop(workshop_id="w", title="t", owner="o", plan=steps, now=clock.now())
    with pytest.raises(Rejected):
        create_workshop(workshop_id="w", title=" ", owner="o", plan=plan(1), now=clock.now())


def test_lobby_plan_projects_from_now(lobby, clock):
    """Before the start the plan is projected from the present moment."""
    projection = live_plan(lobby, clock.now())
    assert projection.steps[0].projected_start == clock.now()
    assert projection.projected_end == clock.now() + timedelta(minutes=35)
    assert projection.planned_s == 35 * 60
