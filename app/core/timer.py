"""Timer arithmetic: remaining time, what is due, and the live re-plan of the agenda.

Pure functions of a state and ``now``. A running step stores its absolute deadline, a
paused one its remaining seconds; everything else here is derived from those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from app.core.commands import ExpireStep
from app.core.state import WorkshopState

StepStatus = Literal["done", "skipped", "current", "upcoming"]


def remaining_s(state: WorkshopState, now: datetime) -> float | None:
    """Seconds left on the current step; negative in overtime; None when no step runs."""
    if state.phase == "running" and state.deadline is not None:
        return (state.deadline - now).total_seconds()
    if state.phase == "paused":
        return state.remaining_s
    return None


def next_deadline(state: WorkshopState) -> datetime | None:
    """When the scheduler must next look at this workshop, if ever."""
    if state.phase == "running" and not state.expired:
        return state.deadline
    return None


def due(state: WorkshopState, now: datetime) -> ExpireStep | None:
    """The expiry the scheduler should submit at ``now``, if one is due."""
    deadline = next_deadline(state)
    if deadline is not None and now >= deadline:
        return ExpireStep(index=state.cursor, deadline=deadline)
    return None


@dataclass(frozen=True, kw_only=True)
class StepTiming:
    """Planned, actual and projected times of one step."""

    index: int
    key: str
    planned_s: int
    status: StepStatus
    actual_s: float  # time it really ran so far, pauses excluded, over all its runs
    first_started_at: datetime | None
    projected_start: datetime | None  # for the current and upcoming steps
    projected_end: datetime | None


@dataclass(frozen=True, kw_only=True)
class LivePlan:
    """The agenda as it stands now: every step's times and the projected end."""

    steps: tuple[StepTiming, ...]
    planned_s: int
    projected_end: datetime | None
    drift_s: float  # projected length minus planned length; positive means running late


def live_plan(state: WorkshopState, now: datetime) -> LivePlan:
    """Project every later step from the current one's end, after whatever changed."""
    actual = [0.0] * len(state.plan)
    first: list[datetime | None] = [None] * len(state.plan)
    for run in state.runs:
        active = run.active_s(now)
        if run.ended_at is None and state.paused_at is not None:
            active -= (now - state.paused_at).total_seconds()
        actual[run.index] += max(0.0, active)
        if first[run.index] is None:
            first[run.index] = run.started_at

    cursor_end: datetime | None
    if state.phase == "lobby":
        cursor_end = now
    elif state.phase == "ended":
        cursor_end = None
    elif state.phase == "paused":
        cursor_end = now + timedelta(seconds=state.remaining_s or 0.0)
    else:
        assert state.deadline is not None
        cursor_end = max(state.deadline, now)

    steps: list[StepTiming] = []
    cursor_start: datetime | None = None
    if state.phase in ("running", "paused") and state.runs:
        cursor_start = state.runs[-1].started_at
    running_end = cursor_end
    for index, step in enumerate(state.plan):
        status: StepStatus
        start: datetime | None = None
        end: datetime | None = None
        behind = state.phase == "ended" or (state.phase != "lobby" and index < state.cursor)
        if behind:
            status = "done" if first[index] is not None else "skipped"
        elif state.phase != "lobby" and index == state.cursor:
            status, start, end = "current", cursor_start, cursor_end
        else:
            status = "upcoming"
            assert running_end is not None
            start, end = running_end, running_end + timedelta(seconds=step.seconds)
            running_end = end
        steps.append(
            StepTiming(
                index=index,
                key=step.key,
                planned_s=step.seconds,
                status=status,
                actual_s=actual[index],
                first_started_at=first[index],
                projected_start=start,
                projected_end=end,
            )
        )
    planned = sum(step.seconds for step in state.plan)
    projected_end = state.ended_at if state.phase == "ended" else running_end
    begin = state.started_at or now
    drift = 0.0
    if projected_end is not None:
        drift = (projected_end - begin).total_seconds() - planned
    return LivePlan(
        steps=tuple(steps), planned_s=planned, projected_end=projected_end, drift_s=drift
    )
