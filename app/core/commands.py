"""Commands: what someone asks the workshop to do. Imperative names, dotted wire names.

A command is only a wish; ``decide`` checks it against the state and the actor's rights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

MAX_STEP_CHANGE_S = 4 * 3600


@dataclass(frozen=True, kw_only=True)
class StartWorkshop:
    """Leave the lobby and start the first step."""

    type: Literal["workshop.start"] = "workshop.start"


@dataclass(frozen=True, kw_only=True)
class PauseWorkshop:
    """Stop the clock; the current step keeps its remaining time."""

    type: Literal["workshop.pause"] = "workshop.pause"


@dataclass(frozen=True, kw_only=True)
class ResumeWorkshop:
    """Restart the clock with the remaining time of the current step."""

    type: Literal["workshop.resume"] = "workshop.resume"


@dataclass(frozen=True, kw_only=True)
class ExtendStep:
    """Give the current step more time; later steps are re-planned."""

    seconds: int
    type: Literal["step.extend"] = "step.extend"


@dataclass(frozen=True, kw_only=True)
class ShortenStep:
    """Take time away from the current step (never below zero)."""

    seconds: int
    type: Literal["step.shorten"] = "step.shorten"


@dataclass(frozen=True, kw_only=True)
class NextStep:
    """Move on to the next step, or end the workshop after the last one.

    ``from_index`` guards against two facilitators pressing "next" at once: when given, the
    command only applies while that step is the current one.
    """

    from_index: int | None = None
    type: Literal["step.next"] = "step.next"


@dataclass(frozen=True, kw_only=True)
class PreviousStep:
    """Go back one step; it starts again with its planned time and keeps its content."""

    from_index: int | None = None
    type: Literal["step.back"] = "step.back"


@dataclass(frozen=True, kw_only=True)
class JumpToStep:
    """Make any step of the plan the current one, started with its planned time."""

    index: int
    type: Literal["step.jump"] = "step.jump"


@dataclass(frozen=True, kw_only=True)
class EndWorkshop:
    """End the workshop now, from any phase."""

    type: Literal["workshop.end"] = "workshop.end"


@dataclass(frozen=True, kw_only=True)
class ExpireStep:
    """Submitted by the scheduler when a running step reaches its deadline.

    It names the step and the deadline it saw, so a late or repeated submission after the
    facilitator moved on or extended is rejected as stale and never applies twice.
    """

    index: int
    deadline: datetime
    type: Literal["step.expire"] = "step.expire"


RunCommand = (
    StartWorkshop
    | PauseWorkshop
    | ResumeWorkshop
    | ExtendStep
    | ShortenStep
    | NextStep
    | PreviousStep
    | JumpToStep
    | EndWorkshop
    | ExpireStep
)
