"""Check-out reflections: three questions, answered and shared by their author alone.

What did I find exciting? What do I want to learn more about? What do I take away and put
into practice? Answers are written and rewritten only in steps that allow ``reflection``.
An answer written in an ``anonymous`` step stays flagged anonymous for good, even when it
is rewritten later: its author is kept for their own view and for erasure only. Sharing
follows the canvas rules in ``personal.py``: private until the author grants an audience.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.errors import Rejected
from app.core.personal import checked_text, consents_after, require_owner
from app.core.personalstate import QUESTIONS, Audience, Consent, Question, Reflection
from app.core.state import WorkshopState

MAX_REFLECTION_CHARS = 1500


@dataclass(frozen=True, kw_only=True)
class SubmitReflection:
    """Answer (or re-answer) one of the three check-out questions."""

    question: Question
    text: str
    type: Literal["reflection.submit"] = "reflection.submit"


@dataclass(frozen=True, kw_only=True)
class ShareReflection:
    """Grant (or withdraw) one audience's view of one of one's own reflections."""

    question: Question
    audience: Audience
    granted: bool = True
    type: Literal["reflection.share"] = "reflection.share"


@dataclass(frozen=True, kw_only=True)
class ReflectionSubmitted:
    """A reflection now reads ``text``; ``anonymous`` and ``step_index`` are its final flags."""

    participant_id: str
    question: Question
    text: str
    anonymous: bool
    step_index: int
    at: datetime
    type: Literal["reflection.submitted"] = "reflection.submitted"


@dataclass(frozen=True, kw_only=True)
class ReflectionShared:
    """The owner's consents for one reflection are now exactly ``consents``."""

    participant_id: str
    question: Question
    consents: frozenset[Consent]
    group_id: str | None
    at: datetime
    type: Literal["reflection.shared"] = "reflection.shared"


ReflectionCommand = SubmitReflection | ShareReflection
ReflectionEvent = ReflectionSubmitted | ReflectionShared


def _check_question(question: str) -> None:
    if question not in QUESTIONS:
        raise Rejected("invalid_argument", f"question is one of {', '.join(QUESTIONS)}")


def decide_submit_reflection(
    state: WorkshopState, command: SubmitReflection, actor: Actor, now: datetime
) -> list[ReflectionEvent]:
    """Write or rewrite one's answer to a check-out question, in a reflection step."""
    pid = require_owner(state, actor)
    step = state.current_step
    assert step is not None  # require_owner saw a running or paused step
    if not step.permissions.allows("reflection"):
        raise Rejected("action_not_allowed", f"step {step.key!r} does not ask for reflections")
    _check_question(command.question)
    text = checked_text(command.text, "text", MAX_REFLECTION_CHARS, required=True)
    old = state.personal.reflections.get(pid, {}).get(command.question)
    event = ReflectionSubmitted(
        participant_id=pid,
        question=command.question,
        text=text,
        anonymous=step.permissions.anonymous or (old is not None and old.anonymous),
        step_index=old.step_index if old else state.cursor,
        at=now,
    )
    return [event]


def decide_share_reflection(
    state: WorkshopState, command: ShareReflection, actor: Actor, now: datetime
) -> list[ReflectionEvent]:
    """One explicit sharing choice for one of one's own reflections."""
    pid = require_owner(state, actor)
    _check_question(command.question)
    old = state.personal.reflections.get(pid, {}).get(command.question)
    if old is None:
        raise Rejected("invalid_argument", f"there is no answer to {command.question!r} yet")
    consents, group_id = consents_after(
        state, pid, old.consents, old.group_id, command.audience, command.granted
    )
    if (consents, group_id) == (old.consents, old.group_id):
        return []
    shared = ReflectionShared(
        participant_id=pid,
        question=command.question,
        consents=consents,
        group_id=group_id,
        at=now,
    )
    return [shared]


# --- evolve -----------------------------------------------------------------------------


def _with_reflection(state: WorkshopState, reflection: Reflection) -> WorkshopState:
    mine = {**state.personal.reflections.get(reflection.author, {})}
    mine[reflection.question] = reflection
    reflections = {**state.personal.reflections, reflection.author: mine}
    return replace(state, personal=replace(state.personal, reflections=reflections))


def evolve_reflection_submitted(state: WorkshopState, event: ReflectionSubmitted) -> WorkshopState:
    """A new or rewritten answer; consents survive a rewrite."""
    old = state.personal.reflections.get(event.participant_id, {}).get(event.question)
    if old is not None:
        reflection = replace(
            old,
            text=event.text,
            anonymous=event.anonymous,
            step_index=event.step_index,
            updated_at=event.at,
        )
    else:
        reflection = Reflection(
            author=event.participant_id,
            question=event.question,
            text=event.text,
            anonymous=event.anonymous,
            step_index=event.step_index,
            submitted_at=event.at,
            updated_at=event.at,
        )
    return _with_reflection(state, reflection)


def evolve_reflection_shared(state: WorkshopState, event: ReflectionShared) -> WorkshopState:
    """New consents for one answer."""
    old = state.personal.reflections[event.participant_id][event.question]
    return _with_reflection(state, replace(old, consents=event.consents, group_id=event.group_id))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    SubmitReflection: decide_submit_reflection,
    ShareReflection: decide_share_reflection,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    ReflectionSubmitted: evolve_reflection_submitted,
    ReflectionShared: evolve_reflection_shared,
}
