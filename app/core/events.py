"""Events: what happened. Past-tense names, dotted wire names, every value evolve needs.

Events carry the absolute times and deadlines that resulted from the command, so folding
them never needs a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.core.plan import ExpiryPolicy, PlanStep

StartCause = Literal["start", "next", "back", "jump", "expiry"]


@dataclass(frozen=True, kw_only=True)
class WorkshopCreated:
    """The first event of every workshop: its plan and who steers it."""

    workshop_id: str
    title: str
    owner: str
    plan: tuple[PlanStep, ...]
    at: datetime
    agenda_id: str | None = None
    type: Literal["workshop.created"] = "workshop.created"


@dataclass(frozen=True, kw_only=True)
class WorkshopStarted:
    """The workshop left the lobby."""

    at: datetime
    type: Literal["workshop.started"] = "workshop.started"


@dataclass(frozen=True, kw_only=True)
class StepStarted:
    """A step became the current one and its clock runs until ``deadline``."""

    index: int
    at: datetime
    deadline: datetime
    cause: StartCause
    type: Literal["step.started"] = "step.started"


@dataclass(frozen=True, kw_only=True)
class WorkshopPaused:
    """The clock stopped with ``remaining_s`` left on the current step."""

    index: int
    at: datetime
    remaining_s: float
    type: Literal["workshop.paused"] = "workshop.paused"


@dataclass(frozen=True, kw_only=True)
class WorkshopResumed:
    """The clock runs again towards ``deadline``."""

    index: int
    at: datetime
    deadline: datetime
    type: Literal["workshop.resumed"] = "workshop.resumed"


@dataclass(frozen=True, kw_only=True)
class StepRetimed:
    """The current step was extended (positive) or shortened (negative) by ``delta_s``.

    Exactly one of ``deadline`` (running) and ``remaining_s`` (paused) is set: the result.
    """

    index: int
    at: datetime
    delta_s: int
    deadline: datetime | None = None
    remaining_s: float | None = None
    type: Literal["step.retimed"] = "step.retimed"


@dataclass(frozen=True, kw_only=True)
class StepExpired:
    """The current step's time ran out; ``policy`` says what the room does now."""

    index: int
    at: datetime
    policy: ExpiryPolicy
    type: Literal["step.expired"] = "step.expired"


@dataclass(frozen=True, kw_only=True)
class WorkshopEnded:
    """The workshop is over; nothing runs any more."""

    at: datetime
    type: Literal["workshop.ended"] = "workshop.ended"


RunEvent = (
    WorkshopCreated
    | WorkshopStarted
    | StepStarted
    | WorkshopPaused
    | WorkshopResumed
    | StepRetimed
    | StepExpired
    | WorkshopEnded
)
