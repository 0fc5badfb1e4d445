"""The run of show: start, pause, resume, retime, move between steps, expire, end.

Everything that changes the agenda cursor or the clock lives here. No I/O, no clock reads:
``now`` arrives as a parameter and every event carries the times it produced.

A decision that leaves the current step (next, back, jump, an expiry that advances, the
end) starts with what leaving does to the room (``transitions.leave``: votes and private
writing revealed) and, when a step starts, ends with what entering does (``transitions.enter``:
the plan's grouping); the end recalls everyone and closes open polls first
(``transitions.finish``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from app.core import transitions
from app.core.actors import Actor
from app.core.commands import (
    MAX_STEP_CHANGE_S,
    EndWorkshop,
    ExpireStep,
    ExtendStep,
    JumpToStep,
    NextStep,
    PauseWorkshop,
    PreviousStep,
    ResumeWorkshop,
    ShortenStep,
    StartWorkshop,
)
from app.core.errors import Rejected
from app.core.events import (
    RunEvent,
    StartCause,
    StepExpired,
    StepRetimed,
    StepStarted,
    WorkshopCreated,
    WorkshopEnded,
    WorkshopPaused,
    WorkshopResumed,
    WorkshopStarted,
)
from app.core.plan import PlanStep
from app.core.state import StepRun, WorkshopState
from app.core.transitions import RoomEvent

StepChange = list[RunEvent | RoomEvent]


def create_workshop(
    *,
    workshop_id: str,
    title: str,
    owner: str,
    plan: tuple[PlanStep, ...],
    now: datetime,
    agenda_id: str | None = None,
) -> WorkshopCreated:
    """The genesis event of a new workshop, after checking its plan."""
    if not plan:
        raise Rejected("invalid_argument", "a workshop needs at least one step")
    if any(step.seconds <= 0 for step in plan):
        raise Rejected("invalid_argument", "every step needs a positive length")
    keys = [step.key for step in plan]
    if len(set(keys)) != len(keys):
        raise Rejected("invalid_argument", "step keys must be unique within a plan")
    if not title.strip():
        raise Rejected("invalid_argument", "a workshop needs a title")
    return WorkshopCreated(
        workshop_id=workshop_id,
        title=title.strip(),
        owner=owner,
        plan=plan,
        at=now,
        agenda_id=agenda_id,
    )


def genesis(event: WorkshopCreated) -> WorkshopState:
    """The state right after the first event."""
    return WorkshopState(
        id=event.workshop_id,
        title=event.title,
        owner=event.owner,
        facilitators=frozenset({event.owner}),
        plan=event.plan,
        created_at=event.at,
        agenda_id=event.agenda_id,
        version=1,
    )


# --- decide -----------------------------------------------------------------------------


def _require_facilitator(state: WorkshopState, actor: Actor) -> None:
    if not state.is_facilitator(actor):
        raise Rejected("not_facilitator", f"only facilitators may steer workshop {state.id!r}")


def _require_live(state: WorkshopState) -> None:
    if state.phase == "lobby":
        raise Rejected("workshop_not_started", f"workshop {state.id!r} has not started yet")
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")


def _check_from(state: WorkshopState, from_index: int | None) -> None:
    if from_index is not None and from_index != state.cursor:
        raise Rejected(
            "stale_step",
            f"step {from_index} is no longer current (the workshop is at step {state.cursor})",
        )


def _start_step(state: WorkshopState, index: int, now: datetime, cause: StartCause) -> StepStarted:
    step = state.plan[index]
    return StepStarted(
        index=index, at=now, deadline=now + timedelta(seconds=step.seconds), cause=cause
    )


def _check_seconds(seconds: int) -> None:
    if not 1 <= seconds <= MAX_STEP_CHANGE_S:
        raise Rejected(
            "invalid_argument", f"seconds must be between 1 and {MAX_STEP_CHANGE_S}, not {seconds}"
        )


def decide_start(
    state: WorkshopState, command: StartWorkshop, actor: Actor, now: datetime
) -> StepChange:
    """Leave the lobby into the first step, in the groups it asks for."""
    _require_facilitator(state, actor)
    if state.phase != "lobby":
        raise Rejected("workshop_already_started", f"workshop {state.id!r} is {state.phase}")
    return [
        WorkshopStarted(at=now),
        _start_step(state, 0, now, "start"),
        *transitions.enter(state, 0, now),
    ]


def decide_pause(
    state: WorkshopState, command: PauseWorkshop, actor: Actor, now: datetime
) -> list[RunEvent]:
    """Stop the clock, keeping what is left of the current step."""
    _require_facilitator(state, actor)
    _require_live(state)
    if state.phase != "running" or state.deadline is None:
        raise Rejected("step_not_running", f"cannot pause: the workshop is {state.phase}")
    remaining = max(0.0, (state.deadline - now).total_seconds())
    return [WorkshopPaused(index=state.cursor, at=now, remaining_s=remaining)]


def decide_resume(
    state: WorkshopState, command: ResumeWorkshop, actor: Actor, now: datetime
) -> list[RunEvent]:
    """Run the clock again with the time that was left."""
    _require_facilitator(state, actor)
    _require_live(state)
    if state.phase != "paused" or state.remaining_s is None:
        raise Rejected("not_paused", f"cannot resume: the workshop is {state.phase}")
    deadline = now + timedelta(seconds=state.remaining_s)
    return [WorkshopResumed(index=state.cursor, at=now, deadline=deadline)]


def decide_extend(
    state: WorkshopState, command: ExtendStep, actor: Actor, now: datetime
) -> list[RunEvent]:
    """More time for the current step; in overtime the new time counts from now."""
    _require_facilitator(state, actor)
    _require_live(state)
    _check_seconds(command.seconds)
    delta = timedelta(seconds=command.seconds)
    if state.phase == "paused" and state.remaining_s is not None:
        remaining = state.remaining_s + command.seconds
        return [
            StepRetimed(index=state.cursor, at=now, delta_s=command.seconds, remaining_s=remaining)
        ]
    assert state.deadline is not None
    base = max(state.deadline, now) if state.expired else state.deadline
    return [StepRetimed(index=state.cursor, at=now, delta_s=command.seconds, deadline=base + delta)]


def decide_shorten(
    state: WorkshopState, command: ShortenStep, actor: Actor, now: datetime
) -> list[RunEvent]:
    """Less time for the current step; it cannot end before now."""
    _require_facilitator(state, actor)
    _require_live(state)
    _check_seconds(command.seconds)
    if state.expired:
        raise Rejected("step_not_running", "cannot shorten a step that is already in overtime")
    if state.phase == "paused" and state.remaining_s is not None:
        remaining = max(0.0, state.remaining_s - command.seconds)
        return [
            StepRetimed(index=state.cursor, at=now, delta_s=-command.seconds, remaining_s=remaining)
        ]
    assert state.deadline is not None
    deadline = max(now, state.deadline - timedelta(seconds=command.seconds))
    return [StepRetimed(index=state.cursor, at=now, delta_s=-command.seconds, deadline=deadline)]


def _end(state: WorkshopState, now: datetime) -> StepChange:
    return [*transitions.leave(state, now), *transitions.finish(state, now), WorkshopEnded(at=now)]


def _move_to(state: WorkshopState, index: int, now: datetime, cause: StartCause) -> StepChange:
    if index >= len(state.plan):
        return _end(state, now)
    return [
        *transitions.leave(state, now),
        _start_step(state, index, now, cause),
        *transitions.enter(state, index, now),
    ]


def decide_next(state: WorkshopState, command: NextStep, actor: Actor, now: datetime) -> StepChange:
    """The next step, or the end after the last one."""
    _require_facilitator(state, actor)
    _require_live(state)
    _check_from(state, command.from_index)
    return _move_to(state, state.cursor + 1, now, "next")


def decide_back(
    state: WorkshopState, command: PreviousStep, actor: Actor, now: datetime
) -> StepChange:
    """The previous step, started again with its planned time."""
    _require_facilitator(state, actor)
    _require_live(state)
    _check_from(state, command.from_index)
    if state.cursor == 0:
        raise Rejected("no_such_step", "the first step has no step before it")
    return _move_to(state, state.cursor - 1, now, "back")


def decide_jump(
    state: WorkshopState, command: JumpToStep, actor: Actor, now: datetime
) -> StepChange:
    """Any step of the plan, started with its planned time."""
    _require_facilitator(state, actor)
    _require_live(state)
    if not 0 <= command.index < len(state.plan):
        raise Rejected(
            "no_such_step", f"step {command.index} is outside the plan of {len(state.plan)} steps"
        )
    return _move_to(state, command.index, now, "jump")


def decide_end(
    state: WorkshopState, command: EndWorkshop, actor: Actor, now: datetime
) -> StepChange:
    """End the workshop from any phase but the end."""
    _require_facilitator(state, actor)
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended already")
    return _end(state, now)


def decide_expire(
    state: WorkshopState, command: ExpireStep, actor: Actor, now: datetime
) -> StepChange:
    """Apply a step's expiry policy once, at or after its current deadline."""
    if actor.kind != "system":
        raise Rejected("not_facilitator", "only the server's scheduler expires steps")
    if (
        state.phase != "running"
        or state.expired
        or command.index != state.cursor
        or command.deadline != state.deadline
    ):
        raise Rejected(
            "stale_expiry", f"step {command.index} has no pending expiry at that deadline"
        )
    if now < command.deadline:
        raise Rejected("stale_expiry", f"step {command.index} is not due before {command.deadline}")
    step = state.plan[state.cursor]
    expired = StepExpired(index=state.cursor, at=now, policy=step.on_expiry)
    if step.on_expiry == "advance":
        return [expired, *_move_to(state, state.cursor + 1, now, "expiry")]
    return [expired]


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    StartWorkshop: decide_start,
    PauseWorkshop: decide_pause,
    ResumeWorkshop: decide_resume,
    ExtendStep: decide_extend,
    ShortenStep: decide_shorten,
    NextStep: decide_next,
    PreviousStep: decide_back,
    JumpToStep: decide_jump,
    EndWorkshop: decide_end,
    ExpireStep: decide_expire,
}

# --- evolve -----------------------------------------------------------------------------


def _close_run(state: WorkshopState, at: datetime) -> tuple[StepRun, ...]:
    if not state.runs or state.runs[-1].ended_at is not None:
        return state.runs
    last = state.runs[-1]
    paused = last.paused_s
    if state.paused_at is not None:
        paused += (at - state.paused_at).total_seconds()
    return (*state.runs[:-1], replace(last, ended_at=at, paused_s=paused))


def _update_run(state: WorkshopState, **changes: Any) -> tuple[StepRun, ...]:
    last = state.runs[-1]
    return (*state.runs[:-1], replace(last, **changes))


def evolve_started(state: WorkshopState, event: WorkshopStarted) -> WorkshopState:
    """The workshop is live."""
    return replace(state, phase="running", started_at=event.at)


def evolve_step_started(state: WorkshopState, event: StepStarted) -> WorkshopState:
    """A new current step with a running clock."""
    runs = _close_run(state, event.at)
    return replace(
        state,
        phase="running",
        cursor=event.index,
        deadline=event.deadline,
        remaining_s=None,
        paused_at=None,
        expired=False,
        awaiting_decision=False,
        runs=(*runs, StepRun(index=event.index, started_at=event.at)),
    )


def evolve_paused(state: WorkshopState, event: WorkshopPaused) -> WorkshopState:
    """Clock stopped."""
    return replace(
        state, phase="paused", deadline=None, remaining_s=event.remaining_s, paused_at=event.at
    )


def evolve_resumed(state: WorkshopState, event: WorkshopResumed) -> WorkshopState:
    """Clock running again."""
    paused_for = (event.at - state.paused_at).total_seconds() if state.paused_at else 0.0
    runs = _update_run(state, paused_s=state.runs[-1].paused_s + paused_for)
    return replace(
        state, phase="running", deadline=event.deadline, remaining_s=None, paused_at=None, runs=runs
    )


def evolve_retimed(state: WorkshopState, event: StepRetimed) -> WorkshopState:
    """New deadline or remaining time; an extension ends the overtime."""
    runs = _update_run(state, retimed_s=state.runs[-1].retimed_s + event.delta_s)
    still_expired = state.expired and event.delta_s < 0
    changes: dict[str, Any] = {
        "expired": still_expired,
        "awaiting_decision": state.awaiting_decision and still_expired,
        "runs": runs,
    }
    if event.remaining_s is not None:
        return replace(state, remaining_s=event.remaining_s, **changes)
    return replace(state, deadline=event.deadline, **changes)


def evolve_expired(state: WorkshopState, event: StepExpired) -> WorkshopState:
    """Time is up for the current step."""
    return replace(state, expired=True, awaiting_decision=event.policy == "ask")


def evolve_ended(state: WorkshopState, event: WorkshopEnded) -> WorkshopState:
    """Nothing runs any more."""
    return replace(
        state,
        phase="ended",
        runs=_close_run(state, event.at),
        deadline=None,
        remaining_s=None,
        paused_at=None,
        expired=False,
        awaiting_decision=False,
        ended_at=event.at,
    )


EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    WorkshopStarted: evolve_started,
    StepStarted: evolve_step_started,
    WorkshopPaused: evolve_paused,
    WorkshopResumed: evolve_resumed,
    StepRetimed: evolve_retimed,
    StepExpired: evolve_expired,
    WorkshopEnded: evolve_ended,
}
