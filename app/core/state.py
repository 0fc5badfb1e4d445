"""The state of one workshop: a frozen value that only ``evolve`` produces.

The run of show lives here (phase, cursor, clock, history). The board, breakouts and roles
add their own fields with defaults, so a fold of an older log stays valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.core.actors import Actor
from app.core.boardstate import BoardState
from app.core.groups import Breakouts
from app.core.matchingstate import SpeedMatching
from app.core.personalstate import Personal
from app.core.plan import PlanStep, Text
from app.core.pollstate import Polls
from app.core.signalstate import Signals

Phase = Literal["lobby", "running", "paused", "ended"]


@dataclass(frozen=True, kw_only=True)
class StepRun:
    """One stretch of time a step was the current one (a step runs again after "back")."""

    index: int
    started_at: datetime
    ended_at: datetime | None = None
    paused_s: float = 0.0
    retimed_s: int = 0

    def active_s(self, now: datetime) -> float:
        """Seconds the step actually ran in this stretch, pauses excluded."""
        end = self.ended_at or now
        return max(0.0, (end - self.started_at).total_seconds() - self.paused_s)


@dataclass(frozen=True, kw_only=True)
class Participant:
    """Someone who joined with a link or code and a display name; no account."""

    id: str
    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)  # organisation, department, …
    joined_at: datetime
    agreement: str = ""  # fingerprint of the working agreement they accepted (setup.py)


@dataclass(frozen=True, kw_only=True)
class WorkshopState:
    """Everything the engine knows about one workshop after ``version`` events."""

    id: str
    title: str
    owner: str
    facilitators: frozenset[str]
    plan: tuple[PlanStep, ...]
    created_at: datetime
    agenda_id: str | None = None
    version: int = 0  # number of events folded; equals the sequence of the last one
    phase: Phase = "lobby"
    cursor: int = -1  # index of the current step; -1 before the start
    deadline: datetime | None = None  # while running
    remaining_s: float | None = None  # while paused
    paused_at: datetime | None = None
    expired: bool = False  # the current step's time ran out (overtime)
    awaiting_decision: bool = False  # expired under the "ask" policy
    started_at: datetime | None = None
    ended_at: datetime | None = None
    runs: tuple[StepRun, ...] = ()
    participants: Mapping[str, Participant] = field(default_factory=dict)
    breakouts: Breakouts = field(default_factory=Breakouts)
    matching: SpeedMatching = field(default_factory=SpeedMatching)  # speed-matching runs
    board: BoardState = field(default_factory=BoardState)  # notes, clusters, votes
    personal: Personal = field(default_factory=Personal)  # canvases, reflections
    polls: Polls = field(default_factory=Polls)
    signals: Signals = field(default_factory=Signals)  # speaking queues, "I'm done"
    join_attributes: tuple[str, ...] = ()  # what the join form asks for (setup.py)
    agreement: Text | None = None  # the working agreement; None: setup.DEFAULT_AGREEMENT
    video_url: str | None = None  # video-room URL template with {workshop} and {group}
    locked: bool = False  # joining is locked: nobody new is admitted

    @property
    def current_step(self) -> PlanStep | None:
        """The step the room is in, if any."""
        if 0 <= self.cursor < len(self.plan) and self.phase in ("running", "paused"):
            return self.plan[self.cursor]
        return None

    def is_facilitator(self, actor: Actor) -> bool:
        """Whether ``actor`` may steer this workshop."""
        return actor.kind == "user" and actor.id in self.facilitators

    def is_participant(self, actor: Actor) -> bool:
        """Whether ``actor`` joined this workshop as a participant."""
        return actor.kind == "participant" and actor.id in self.participants
