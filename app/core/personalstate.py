"""Personal work as values: each participant's canvas and check-out reflections.

Types only (no rules, no import of ``state.py``); the rules are in ``personal.py``. Both are
private to their author by default: ``consents`` holds each audience the author explicitly
agreed to, one by one, and only the author ever changes it. Visibility reads these flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Consent = Literal["group", "plenary", "export"]
Audience = Literal["private", "group", "plenary", "export"]  # "private" withdraws every consent
CONSENTS: tuple[Consent, ...] = ("group", "plenary", "export")
AUDIENCES: tuple[Audience, ...] = ("private", *CONSENTS)

Question = Literal["exciting", "learn_more", "take_away"]
# What did I find exciting? What do I want to learn more about? What do I take away?
QUESTIONS: tuple[Question, ...] = ("exciting", "learn_more", "take_away")


@dataclass(frozen=True, kw_only=True)
class Milestone:
    """One measurable step towards the canvas goal."""

    id: str
    what: str
    by_when: str  # a calendar date, "YYYY-MM-DD"
    how_measured: str


@dataclass(frozen=True, kw_only=True)
class Canvas:
    """One participant's canvas: idea, goal, milestones, and who the author shares it with."""

    owner: str  # participant id
    idea: str = ""
    goal: str = ""
    milestones: tuple[Milestone, ...] = ()  # in the order they were first set
    consents: frozenset[Consent] = frozenset()  # empty: private
    group_id: str | None = None  # the group a "group" consent was given for
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class Reflection:
    """One answer to one check-out question.

    ``anonymous`` is set when the answer was written in an anonymous step and never cleared:
    the author is kept only for their own view and for erasure, and is never shown to others.
    """

    author: str  # participant id
    question: Question
    text: str
    anonymous: bool = False
    step_index: int  # the step it was first written in
    consents: frozenset[Consent] = frozenset()
    group_id: str | None = None
    submitted_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class Personal:
    """Every participant's canvas and reflections."""

    canvases: Mapping[str, Canvas] = field(default_factory=dict)  # participant id -> canvas
    # participant id -> question -> answer
    reflections: Mapping[str, Mapping[str, Reflection]] = field(default_factory=dict)
