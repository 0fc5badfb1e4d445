"""The versioned JSON bundle: its schema as pydantic models, writing it and reading it back.

The core's ``outcome_record`` is validated against ``Bundle`` on the way out, so a record
that drifts from the documented schema (``docs/export.md``) fails loudly instead of shipping.
Reading a bundle gives the same frozen ``Bundle``: a read-only workshop record that every
format renders exactly as it renders a live workshop's, and that writes back to the identical
JSON text (``bundle_json(read_bundle(text)) == text``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.core.outcomes import outcome_record
from app.core.state import WorkshopState

FORMAT = "lernraum-export"
VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextOut(_Frozen):
    """A text in German and English."""

    de: str
    en: str


class WorkshopInfo(_Frozen):
    """The workshop itself, without owner or facilitators."""

    id: str
    title: str
    agenda_id: str | None
    phase: Literal["lobby", "running", "paused", "ended"]
    created_at: str
    started_at: str | None
    ended_at: str | None
    planned_s: int
    actual_s: int


class Attendance(_Frozen):
    """Counts only."""

    participants: int
    facilitators: int
    steps_run: int


class Run(_Frozen):
    """One stretch of time a step ran."""

    started_at: str
    ended_at: str | None
    paused_s: int
    retimed_s: int


class ItemOut(_Frozen):
    """A board item that may leave the room, without its author."""

    id: str
    kind: Literal["note", "card", "wicked_question"]
    group: int | None  # the group's number in its step; None: the plenary
    area: str | None
    text: str
    cluster: str | None
    deck_id: str | None
    card_id: str | None
    question: TextOut | None
    answers: list[str]
    harvested: bool
    votes: int | None  # revealed dots; None when the step's vote is not revealed


class ClusterOut(_Frozen):
    """A named cluster; its members name it in ``ItemOut.cluster``."""

    id: str
    title: str
    group: int | None


class VoteOut(_Frozen):
    """A step's dot vote, once at least one group's result is revealed."""

    budget: int
    revealed_all: bool


class StepOut(_Frozen):
    """One plan step and what came out of it."""

    index: int
    key: str
    structure_id: str
    step_id: str
    title: TextOut
    grouping: str
    status: Literal["not_run", "run", "current"]
    planned_s: int
    actual_s: int
    runs: list[Run]
    groups: list[int]
    items: list[ItemOut]
    clusters: list[ClusterOut]
    vote: VoteOut | None
    wicked_questions: list[str]  # item ids, most votes first
    cards: list[str]  # item ids of the method cards chosen


class PollOut(_Frozen):
    """A closed or revealed poll's tallies, one per value."""

    id: str
    step_index: int
    question: str
    options: list[str]
    values: list[int]
    mood: bool
    status: Literal["open", "closed"]
    answered: int
    tallies: list[int]


class MilestoneOut(_Frozen):
    """One milestone of a canvas."""

    what: str
    by_when: str
    how_measured: str


class CanvasOut(_Frozen):
    """A canvas its owner shared for the export, under a pseudonym."""

    owner: str
    idea: str
    goal: str
    milestones: list[MilestoneOut]


class ReflectionOut(_Frozen):
    """An anonymous check-out answer shared for the export."""

    question: Literal["exciting", "learn_more", "take_away"]
    text: str


class Bundle(_Frozen):
    """The whole export, version 1."""

    format: Literal["lernraum-export"]
    version: Literal[1]
    as_of: str
    workshop: WorkshopInfo
    attendance: Attendance
    steps: list[StepOut]
    polls: list[PollOut]
    canvases: list[CanvasOut]
    reflections: list[ReflectionOut]


class BundleError(ValueError):
    """A file that is not a version 1 Lernraum export."""


def build_bundle(state: WorkshopState, now: datetime) -> Bundle:
    """The export of ``state`` as of ``now`` (or its end, once ended)."""
    record = {"format": FORMAT, "version": VERSION, **outcome_record(state, now)}
    return Bundle.model_validate(record)


def bundle_json(bundle: Bundle) -> str:
    """The bundle as JSON text: two-space indents, fields in schema order, UTF-8, newline."""
    return bundle.model_dump_json(indent=2) + "\n"


def read_bundle(text: str | bytes) -> Bundle:
    """A read-only workshop record from a bundle's JSON; BundleError if it is none."""
    try:
        return Bundle.model_validate_json(text)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise BundleError(f"not a {FORMAT} version {VERSION} file: {error}") from error
