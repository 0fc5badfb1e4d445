"""Editing the plan: later steps change freely, the current step and history never move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.clock import FakeClock
from app.core.actors import SYSTEM
from app.core.commands import EndWorkshop, JumpToStep, NextStep, PauseWorkshop, PreviousStep
from app.core.errors import Rejection
from app.core.planedit import (
    MAX_PLAN_STEPS,
    InsertSteps,
    MoveStep,
    RemoveStep,
    RetimeStep,
)
from app.core.reducer import decide, evolve
from app.core.state import WorkshopState
from app.core.timer import live_plan
from app.core.voting import RevealVotes
from tests.factories import (
    OWNER,
    PARTICIPANT,
    act,
    board_step,
    plan,
    refusal,
    running_workshop,
    step,
    workshop,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def keys(state: WorkshopState) -> list[str]:
    return [s.key for s in state.plan]


def new(name: str, minutes: float = 5) -> tuple:
    return (step(f"{name}/step", minutes),)


def test_the_lobby_may_change_everything(clock):
    """Before the start every position may be inserted at, removed, moved and retimed."""
    state = workshop(plan(10, 5, 20), clock.now())
    state = act(state, InsertSteps(index=0, steps=new("a")), OWNER, clock.now())
    state = act(state, InsertSteps(index=4, steps=new("z")), OWNER, clock.now())
    assert keys(state) == ["a/step", "s0/step", "s1/step", "s2/step", "z/step"]
    state = act(state, RemoveStep(index=1), OWNER, clock.now())
    state = act(state, MoveStep(from_index=3, to_index=0), OWNER, clock.now())
    assert keys(state) == ["z/step", "a/step", "s1/step", "s2/step"]
    state = act(state, RetimeStep(index=0, minutes=7.5), OWNER, clock.now())
    assert state.plan[0].seconds == 450
    timing = live_plan(state, clock.now())
    assert timing.planned_s == 450 + 300 + 300 + 1200
    assert timing.projected_end == clock.now() + timedelta(seconds=timing.planned_s)


def test_during_the_run_only_steps_after_the_current_one_change(clock):
    """Edits at or before the cursor are step_in_past; later ones apply."""
    state = act(
        running_workshop(plan(10, 5, 20, 15), clock.now(), ()), NextStep(), OWNER, clock.now()
    )
    assert state.cursor == 1
    for command in (
        InsertSteps(index=1, steps=new("x")),
        InsertSteps(index=0, steps=new("x")),
        RemoveStep(index=1),
        RemoveStep(index=0),
        MoveStep(from_index=3, to_index=1),
        MoveStep(from_index=0, to_index=2),
        RetimeStep(index=0, minutes=3),
    ):
        assert refusal(state, command, OWNER, clock.now()) == "step_in_past", command
    state = act(state, InsertSteps(index=2, steps=new("x")), OWNER, clock.now())
    state = act(state, MoveStep(from_index=4, to_index=2), OWNER, clock.now())
    state = act(state, RemoveStep(index=3), OWNER, clock.now())
    assert keys(state) == ["s0/step", "s1/step", "s3/step", "s2/step"]
    assert state.cursor == 1 and [run.index for run in state.runs] == [0, 1]
    state = act(state, NextStep(), OWNER, clock.now())
    assert state.plan[state.cursor].key == "s3/step"


def test_the_current_step_is_retimed_with_extend_or_shorten(clock):
    """Retiming the current step is refused with a pointer to extend and shorten."""
    state = running_workshop(plan(10, 5), clock.now(), ())
    result = decide(state, RetimeStep(index=0, minutes=12), OWNER, clock.now())
    assert isinstance(result, Rejection) and result.code == "step_in_past"
    assert "step.extend" in result.message and "step.shorten" in result.message
    paused = act(state, PauseWorkshop(), OWNER, clock.now())
    assert refusal(paused, RetimeStep(index=0, minutes=12), OWNER, clock.now()) == "step_in_past"


def test_retiming_a_later_step_replans_the_projected_end(clock):
    """The live plan projects every later step and the end from the edited plan."""
    state = running_workshop(plan(10, 5, 20), clock.now(), ())
    before = live_plan(state, clock.now()).projected_end
    state = act(state, RetimeStep(index=2, minutes=30), OWNER, clock.now())
    after = live_plan(state, clock.now())
    assert after.projected_end == before + timedelta(minutes=10)
    assert after.steps[2].planned_s == 1800 and after.planned_s == (10 + 5 + 30) * 60
    state = act(state, InsertSteps(index=1, steps=new("x", 4)), OWNER, clock.now())
    state = act(state, RemoveStep(index=2), OWNER, clock.now())  # the 5-minute step
    assert live_plan(state, clock.now()).projected_end == before + timedelta(minutes=9)
    assert [s.status for s in live_plan(state, clock.now()).steps] == [
        "current",
        "upcoming",
        "upcoming",
    ]


def test_steps_that_ran_after_a_jump_back_keep_their_place(clock):
    """After going back, a later step that ran may not shift; edits beyond it still apply."""
    state = running_workshop(plan(10, 5, 20, 15), clock.now(), ())
    state = act(state, JumpToStep(index=2), OWNER, clock.now())
    state = act(state, PreviousStep(), OWNER, clock.now())
    assert state.cursor == 1
    for command in (
        InsertSteps(index=2, steps=new("x")),
        RemoveStep(index=2),
        MoveStep(from_index=3, to_index=2),
        RetimeStep(index=2, minutes=1),
    ):
        assert refusal(state, command, OWNER, clock.now()) == "step_in_past", command
    state = act(state, InsertSteps(index=3, steps=new("x")), OWNER, clock.now())
    state = act(state, MoveStep(from_index=4, to_index=3), OWNER, clock.now())
    assert keys(state) == ["s0/step", "s1/step", "s2/step", "s3/step", "x/step"]


def test_bad_edits_are_refused_with_typed_codes(clock):
    """Rights, the end, ranges, empty and oversized plans and duplicate keys are refused."""
    state = running_workshop(plan(10, 5), clock.now(), ("p-1",))
    add = InsertSteps(index=2, steps=new("x"))
    assert refusal(state, add, PARTICIPANT, clock.now()) == "not_facilitator"
    assert refusal(state, add, SYSTEM, clock.now()) == "not_facilitator"
    assert refusal(state, InsertSteps(index=3, steps=new("x")), OWNER, clock.now()) == (
        "no_such_step"
    )
    assert refusal(state, InsertSteps(index=2, steps=()), OWNER, clock.now()) == "invalid_argument"
    duplicate = InsertSteps(index=2, steps=(step("s1/step", 5),))
    assert refusal(state, duplicate, OWNER, clock.now()) == "invalid_argument"
    twice = InsertSteps(index=2, steps=(*new("y"), *new("y")))
    assert refusal(state, twice, OWNER, clock.now()) == "invalid_argument"
    many = tuple(step(f"m{n}/step", 1) for n in range(MAX_PLAN_STEPS - 1))
    assert refusal(state, InsertSteps(index=2, steps=many), OWNER, clock.now()) == (
        "invalid_argument"
    )
    assert act(state, InsertSteps(index=2, steps=many[:-1]), OWNER, clock.now())
    for minutes in (0, -1, 240.5, float("nan"), float("inf")):
        retime = RetimeStep(index=1, minutes=minutes)
        assert refusal(state, retime, OWNER, clock.now()) == "invalid_argument", minutes
    assert refusal(state, RetimeStep(index=1, minutes=5), OWNER, clock.now()) == (
        "invalid_argument"  # unchanged
    )
    assert refusal(state, RemoveStep(index=2), OWNER, clock.now()) == "no_such_step"
    assert refusal(state, MoveStep(from_index=1, to_index=1), OWNER, clock.now()) == (
        "invalid_argument"
    )
    assert refusal(state, MoveStep(from_index=1, to_index=-1), OWNER, clock.now()) == (
        "no_such_step"
    )
    lobby = workshop(plan(10), clock.now())
    assert refusal(lobby, RemoveStep(index=0), OWNER, clock.now()) == "invalid_argument"
    ended = act(state, EndWorkshop(), OWNER, clock.now())
    assert refusal(ended, RetimeStep(index=1, minutes=3), OWNER, clock.now()) == "workshop_ended"


def test_a_vote_revealed_ahead_of_its_step_follows_the_step(clock):
    """A vote round of a later step points at the step wherever it moves, and goes with it."""
    steps = (
        board_step("a/talk", "notes"),
        board_step("b/vote", "notes", dots=2),
        board_step("c/more", "notes"),
    )
    state = running_workshop(steps, clock.now(), ())
    state = act(state, RevealVotes(step_index=1), OWNER, clock.now())
    state = act(state, MoveStep(from_index=1, to_index=2), OWNER, clock.now())
    assert state.board.votes["b/vote"].step_index == 2
    state = act(state, RemoveStep(index=2), OWNER, clock.now())
    assert "b/vote" not in state.board.votes


EDITS = st.one_of(
    st.builds(
        InsertSteps,
        index=st.integers(0, 8),
        steps=st.sampled_from([new("x"), new("y"), (*new("p"), *new("q"))]),
    ),
    st.builds(RemoveStep, index=st.integers(0, 8)),
    st.builds(MoveStep, from_index=st.integers(0, 8), to_index=st.integers(0, 8)),
    st.builds(RetimeStep, index=st.integers(0, 8), minutes=st.sampled_from([1, 2.5, 30])),
    st.sampled_from([NextStep(), PreviousStep()]),
    st.builds(JumpToStep, index=st.integers(0, 8)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(EDITS, max_size=30))
def test_edits_never_change_what_the_history_points_at(script):
    """For any edits and moves, every run and the cursor name the same step as when it ran."""
    clock = FakeClock()
    state = running_workshop(plan(10, 5, 20, 15), clock.now(), ())
    ran: list[str] = [state.plan[0].key]
    for command in script:
        clock.advance(60)
        result = decide(state, command, OWNER, clock.now())
        if isinstance(result, Rejection):
            continue
        for event in result:
            state = evolve(state, event)
        if state.phase == "ended":
            break
        if isinstance(command, NextStep | PreviousStep | JumpToStep):
            ran.append(state.plan[state.cursor].key)
        assert [state.plan[run.index].key for run in state.runs] == ran
        assert len(set(keys(state))) == len(state.plan) >= 1
