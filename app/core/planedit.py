"""Editing the plan before and during the run: insert, remove, move and retime steps.

The rule that keeps the log honest: **a position the workshop has been at is history.** The
step history (``runs``), board items, clusters, polls, reflections, "done" signals and the
breakouts all name steps by their position in the plan, so no edit may change the position
(or the content) of the current step or of any step that ran. In the lobby nothing ran and
everything may change. During the run, steps after the current one may be inserted,
removed, moved and retimed, as long as no step that ran earlier (the room went back) has to
shift for it; such edits are refused with ``step_in_past``. The current step's time is
changed with ``ExtendStep`` and ``ShortenStep``, never here.

The only references to positions that never ran are vote rounds a facilitator revealed
ahead of their step (``RevealVotes(step_index=…)``); they are keyed by the step's key and
follow it (or go with it when it is removed). ``timer.live_plan`` reads the plan as it is,
so every edit re-projects the later steps and the projected end at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.breakouts import require_facilitator
from app.core.errors import Rejected
from app.core.plan import PlanStep
from app.core.state import WorkshopState

MAX_PLAN_STEPS = 60
MAX_STEP_MINUTES = 240
MAX_KEY_CHARS = 200


@dataclass(frozen=True, kw_only=True)
class InsertSteps:
    """Insert steps before position ``index`` (``len(plan)`` appends them)."""

    index: int
    steps: tuple[PlanStep, ...]
    type: Literal["plan.insert"] = "plan.insert"


@dataclass(frozen=True, kw_only=True)
class RemoveStep:
    """Take a step that has not run out of the plan."""

    index: int
    type: Literal["plan.remove"] = "plan.remove"


@dataclass(frozen=True, kw_only=True)
class MoveStep:
    """Move a later step so that it ends up at position ``to_index``."""

    from_index: int
    to_index: int
    type: Literal["plan.move"] = "plan.move"


@dataclass(frozen=True, kw_only=True)
class RetimeStep:
    """Give a later step another planned length (more than 0, at most 240 minutes)."""

    index: int
    minutes: float
    type: Literal["plan.retime"] = "plan.retime"


@dataclass(frozen=True, kw_only=True)
class PlanStepsInserted:
    """``steps`` now stand at ``index`` onwards; the steps from there moved back."""

    index: int
    steps: tuple[PlanStep, ...]
    at: datetime
    type: Literal["plan.steps_inserted"] = "plan.steps_inserted"


@dataclass(frozen=True, kw_only=True)
class PlanStepRemoved:
    """The step at ``index`` (with ``key``) is gone; the steps after it moved up."""

    index: int
    key: str
    at: datetime
    type: Literal["plan.step_removed"] = "plan.step_removed"


@dataclass(frozen=True, kw_only=True)
class PlanStepMoved:
    """The step at ``from_index`` now stands at ``to_index``."""

    from_index: int
    to_index: int
    at: datetime
    type: Literal["plan.step_moved"] = "plan.step_moved"


@dataclass(frozen=True, kw_only=True)
class PlanStepRetimed:
    """The step at ``index`` is planned for ``seconds`` now."""

    index: int
    seconds: int
    at: datetime
    type: Literal["plan.step_retimed"] = "plan.step_retimed"


PlanEditCommand = InsertSteps | RemoveStep | MoveStep | RetimeStep
PlanEditEvent = PlanStepsInserted | PlanStepRemoved | PlanStepMoved | PlanStepRetimed


# --- checks -----------------------------------------------------------------------------


def history(state: WorkshopState) -> frozenset[int]:
    """Positions the workshop has been at: every step that ran, and the current one."""
    visited = {run.index for run in state.runs}
    if state.phase in ("running", "paused"):
        visited.add(state.cursor)
    return frozenset(visited)


def _require_editable(state: WorkshopState, actor: Actor) -> None:
    require_facilitator(state, actor)  # refuses the end too


def _require_index(state: WorkshopState, index: int, name: str = "index") -> None:
    if not 0 <= index < len(state.plan):
        raise Rejected(
            "no_such_step", f"{name} {index} is outside the plan of {len(state.plan)} steps"
        )


def _require_unvisited(state: WorkshopState, low: int, high: int, doing: str) -> None:
    """No position from ``low`` to ``high`` (inclusive) may be history."""
    touched = sorted(index for index in history(state) if low <= index <= high)
    if not touched:
        return
    if state.cursor in touched:
        reason = f"step {state.cursor} is the current one"
    else:
        reason = f"step {touched[0]} ran already"
    raise Rejected("step_in_past", f"cannot {doing}: {reason}; only later steps change")


def _check_seconds(minutes: float) -> int:
    if not 0 < minutes <= MAX_STEP_MINUTES:
        raise Rejected("invalid_argument", f"minutes: more than 0, at most {MAX_STEP_MINUTES}")
    return max(1, round(minutes * 60))


def _check_steps(state: WorkshopState, steps: tuple[PlanStep, ...]) -> None:
    if not steps:
        raise Rejected("invalid_argument", "steps: insert at least one step")
    if len(state.plan) + len(steps) > MAX_PLAN_STEPS:
        raise Rejected("invalid_argument", f"a plan has at most {MAX_PLAN_STEPS} steps")
    for step in steps:
        if not 1 <= len(step.key) <= MAX_KEY_CHARS or not step.structure_id or not step.step_id:
            raise Rejected("invalid_argument", "steps: every step needs a key, structure and id")
        if not 0 < step.seconds <= MAX_STEP_MINUTES * 60:
            raise Rejected(
                "invalid_argument", f"steps: {step.key!r} needs 1 s to {MAX_STEP_MINUTES} minutes"
            )
    keys = [step.key for step in (*state.plan, *steps)]
    if len(set(keys)) != len(keys):
        raise Rejected("invalid_argument", "steps: step keys must be unique within a plan")


# --- decide -----------------------------------------------------------------------------


def decide_insert(
    state: WorkshopState, command: InsertSteps, actor: Actor, now: datetime
) -> list[PlanEditEvent]:
    """Insert steps before a position that has not been visited (or append them)."""
    _require_editable(state, actor)
    if not 0 <= command.index <= len(state.plan):
        raise Rejected(
            "no_such_step", f"index {command.index}: insert at 0 to {len(state.plan)} (the end)"
        )
    _check_steps(state, command.steps)
    _require_unvisited(state, command.index, len(state.plan), f"insert before {command.index}")
    return [PlanStepsInserted(index=command.index, steps=command.steps, at=now)]


def decide_remove(
    state: WorkshopState, command: RemoveStep, actor: Actor, now: datetime
) -> list[PlanEditEvent]:
    """Remove a later step; the plan keeps at least one step."""
    _require_editable(state, actor)
    _require_index(state, command.index)
    if len(state.plan) == 1:
        raise Rejected("invalid_argument", "a workshop needs at least one step")
    _require_unvisited(state, command.index, len(state.plan), f"remove step {command.index}")
    key = state.plan[command.index].key
    return [PlanStepRemoved(index=command.index, key=key, at=now)]


def decide_move(
    state: WorkshopState, command: MoveStep, actor: Actor, now: datetime
) -> list[PlanEditEvent]:
    """Move a later step among the later steps."""
    _require_editable(state, actor)
    _require_index(state, command.from_index, "from_index")
    _require_index(state, command.to_index, "to_index")
    if command.from_index == command.to_index:
        raise Rejected("invalid_argument", f"step {command.from_index} is at {command.to_index}")
    low, high = sorted((command.from_index, command.to_index))
    _require_unvisited(state, low, high, f"move step {command.from_index}")
    return [PlanStepMoved(from_index=command.from_index, to_index=command.to_index, at=now)]


def decide_retime(
    state: WorkshopState, command: RetimeStep, actor: Actor, now: datetime
) -> list[PlanEditEvent]:
    """Plan another length for a later step."""
    _require_editable(state, actor)
    _require_index(state, command.index)
    seconds = _check_seconds(command.minutes)
    if command.index == state.cursor and state.phase in ("running", "paused"):
        raise Rejected(
            "step_in_past",
            f"step {command.index} is the current one: use step.extend or step.shorten",
        )
    _require_unvisited(state, command.index, command.index, f"retime step {command.index}")
    if seconds == state.plan[command.index].seconds:
        raise Rejected("invalid_argument", f"step {command.index} is planned for {seconds} s")
    return [PlanStepRetimed(index=command.index, seconds=seconds, at=now)]


# --- evolve -----------------------------------------------------------------------------


def _with_plan(state: WorkshopState, plan: tuple[PlanStep, ...]) -> WorkshopState:
    """The new plan, with vote rounds pointing at their step's new position (or dropped)."""
    positions = {step.key: index for index, step in enumerate(plan)}
    votes = {
        key: replace(round_, step_index=positions[key])
        for key, round_ in state.board.votes.items()
        if key in positions
    }
    return replace(state, plan=plan, board=replace(state.board, votes=votes))


def evolve_inserted(state: WorkshopState, event: PlanStepsInserted) -> WorkshopState:
    """The steps stand at their place."""
    plan = (*state.plan[: event.index], *event.steps, *state.plan[event.index :])
    return _with_plan(state, plan)


def evolve_removed(state: WorkshopState, event: PlanStepRemoved) -> WorkshopState:
    """The step is gone."""
    return _with_plan(state, state.plan[: event.index] + state.plan[event.index + 1 :])


def evolve_moved(state: WorkshopState, event: PlanStepMoved) -> WorkshopState:
    """The step stands at its new place."""
    steps = list(state.plan)
    steps.insert(event.to_index, steps.pop(event.from_index))
    return _with_plan(state, tuple(steps))


def evolve_retimed(state: WorkshopState, event: PlanStepRetimed) -> WorkshopState:
    """The step has its new planned length."""
    steps = list(state.plan)
    steps[event.index] = replace(steps[event.index], seconds=event.seconds)
    return replace(state, plan=tuple(steps))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    InsertSteps: decide_insert,
    RemoveStep: decide_remove,
    MoveStep: decide_move,
    RetimeStep: decide_retime,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    PlanStepsInserted: evolve_inserted,
    PlanStepRemoved: evolve_removed,
    PlanStepMoved: evolve_moved,
    PlanStepRetimed: evolve_retimed,
}
