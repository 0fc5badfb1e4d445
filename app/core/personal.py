"""Personal work, and each participant's canvas in particular. Only the owner acts.

A canvas (idea, goal, measurable milestones) is started in a step that allows ``canvas``;
once it exists its owner may keep editing it in any later step while the workshop runs or
is paused, because goals often sharpen during the check-out. The check-out reflections in
``reflections.py`` follow the same ownership and consent rules, defined here.

Canvases and reflections are private. Sharing is one explicit consent per audience
(``group``, ``plenary``, ``export``), granted or withdrawn by the owner alone; ``private``
withdraws them all. Commands never name whose work they touch: it is always the sender's
own, so nobody, facilitators included, can edit or share another person's work.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from app.core.actors import Actor
from app.core.errors import Rejected
from app.core.personalstate import AUDIENCES, Audience, Canvas, Consent, Milestone
from app.core.state import WorkshopState

MAX_IDEA_CHARS = 1000
MAX_GOAL_CHARS = 1000
MAX_MILESTONES = 10
MAX_MILESTONE_CHARS = 300  # for "what" and for "how measured"
MAX_MILESTONE_HORIZON_DAYS = 3660  # ten years ahead
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")  # client-chosen ids
_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True, kw_only=True)
class UpdateCanvas:
    """Change the idea and/or the goal of one's own canvas (``None`` leaves a field as is)."""

    idea: str | None = None
    goal: str | None = None
    type: Literal["canvas.update"] = "canvas.update"


@dataclass(frozen=True, kw_only=True)
class SetMilestone:
    """Add a milestone to one's own canvas, or replace the one with the same id."""

    milestone_id: str
    what: str
    by_when: str  # "YYYY-MM-DD"
    how_measured: str
    type: Literal["canvas.set_milestone"] = "canvas.set_milestone"


@dataclass(frozen=True, kw_only=True)
class RemoveMilestone:
    """Take a milestone off one's own canvas."""

    milestone_id: str
    type: Literal["canvas.remove_milestone"] = "canvas.remove_milestone"


@dataclass(frozen=True, kw_only=True)
class ShareCanvas:
    """Grant (or withdraw) one audience's view of one's own canvas."""

    audience: Audience
    granted: bool = True
    type: Literal["canvas.share"] = "canvas.share"


@dataclass(frozen=True, kw_only=True)
class CanvasUpdated:
    """A canvas's idea and goal now read so (the canvas exists from its first event on)."""

    participant_id: str
    idea: str
    goal: str
    at: datetime
    type: Literal["canvas.updated"] = "canvas.updated"


@dataclass(frozen=True, kw_only=True)
class MilestoneSet:
    """A milestone was added to a canvas or replaced."""

    participant_id: str
    milestone: Milestone
    at: datetime
    type: Literal["canvas.milestone_set"] = "canvas.milestone_set"


@dataclass(frozen=True, kw_only=True)
class MilestoneRemoved:
    """A milestone was taken off a canvas."""

    participant_id: str
    milestone_id: str
    at: datetime
    type: Literal["canvas.milestone_removed"] = "canvas.milestone_removed"


@dataclass(frozen=True, kw_only=True)
class CanvasShared:
    """The owner's consents for a canvas are now exactly ``consents``."""

    participant_id: str
    consents: frozenset[Consent]
    group_id: str | None
    at: datetime
    type: Literal["canvas.shared"] = "canvas.shared"


PersonalCommand = UpdateCanvas | SetMilestone | RemoveMilestone | ShareCanvas
PersonalEvent = CanvasUpdated | MilestoneSet | MilestoneRemoved | CanvasShared


def clean_text(text: str) -> str:
    """Multi-line user text without control characters; line breaks kept, ends trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    kept = "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] != "C")
    return "\n".join(line.rstrip() for line in kept.split("\n")).strip()


def checked_text(value: str, name: str, limit: int, *, required: bool) -> str:
    """``value`` cleaned, or a rejection naming the field and its limit."""
    text = clean_text(value)
    if len(text) > limit or (required and not text):
        least = 1 if required else 0
        raise Rejected("invalid_argument", f"{name} has {least} to {limit} characters")
    return text


def require_owner(state: WorkshopState, actor: Actor) -> str:
    """The sender's participant id, once the workshop runs and the sender is a participant."""
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if actor.kind != "participant":
        raise Rejected("not_owner", "canvases and reflections are changed only by their owner")
    if not state.is_participant(actor):
        raise Rejected("not_participant", f"{actor.id!r} is not a participant of {state.id!r}")
    if state.current_step is None:
        raise Rejected("workshop_not_started", f"workshop {state.id!r} has not started yet")
    return actor.id


def _require_canvas_action(state: WorkshopState, actor: Actor) -> str:
    pid = require_owner(state, actor)
    step = state.current_step
    if pid not in state.personal.canvases and not (step and step.permissions.allows("canvas")):
        raise Rejected("action_not_allowed", "a canvas is started in a canvas step")
    return pid


def _canvas(state: WorkshopState, pid: str) -> Canvas | None:
    return state.personal.canvases.get(pid)


def _check_date(by_when: str, now: datetime) -> str:
    try:
        if not _DATE_PATTERN.fullmatch(by_when):
            raise ValueError(by_when)
        day = date.fromisoformat(by_when)
    except ValueError:
        raise Rejected("invalid_argument", "by_when is a date written YYYY-MM-DD") from None
    # one day of slack behind UTC: a participant far east may already live "tomorrow"
    earliest = now.date() - timedelta(days=1)
    latest = now.date() + timedelta(days=MAX_MILESTONE_HORIZON_DAYS)
    if not earliest <= day <= latest:
        raise Rejected("invalid_argument", f"by_when lies between {earliest} and {latest}")
    return by_when


def consents_after(
    state: WorkshopState,
    pid: str,
    consents: frozenset[Consent],
    group_id: str | None,
    audience: Audience,
    granted: bool,
) -> tuple[frozenset[Consent], str | None]:
    """The consents (and the group a "group" consent names) after one choice of the owner."""
    if audience not in AUDIENCES:
        raise Rejected("invalid_argument", f"audience is one of {', '.join(AUDIENCES)}")
    if audience == "private":
        if not granted:
            raise Rejected("invalid_argument", "withdraw a single audience, not 'private'")
        return frozenset(), None
    if not granted:
        return consents - {audience}, None if audience == "group" else group_id
    if audience == "group":
        group = state.breakouts.group_of(pid)
        if group is None:
            raise Rejected("invalid_argument", "sharing with the group needs a breakout group")
        return consents | {"group"}, group.id
    return consents | {audience}, group_id


def decide_update_canvas(
    state: WorkshopState, command: UpdateCanvas, actor: Actor, now: datetime
) -> list[PersonalEvent]:
    """Write the idea and goal of one's own canvas."""
    pid = _require_canvas_action(state, actor)
    if command.idea is None and command.goal is None:
        raise Rejected("invalid_argument", "give an idea, a goal or both")
    canvas = _canvas(state, pid)
    idea, goal = (canvas.idea, canvas.goal) if canvas else ("", "")
    if command.idea is not None:
        idea = checked_text(command.idea, "idea", MAX_IDEA_CHARS, required=False)
    if command.goal is not None:
        goal = checked_text(command.goal, "goal", MAX_GOAL_CHARS, required=False)
    return [CanvasUpdated(participant_id=pid, idea=idea, goal=goal, at=now)]


def decide_set_milestone(
    state: WorkshopState, command: SetMilestone, actor: Actor, now: datetime
) -> list[PersonalEvent]:
    """Add or replace a milestone on one's own canvas."""
    pid = _require_canvas_action(state, actor)
    if not ID_PATTERN.fullmatch(command.milestone_id):
        raise Rejected("invalid_argument", "milestone_id has 1 to 40 letters, digits, - or _")
    canvas = _canvas(state, pid)
    existing = {m.id for m in canvas.milestones} if canvas else set()
    if command.milestone_id not in existing and len(existing) >= MAX_MILESTONES:
        raise Rejected("invalid_argument", f"a canvas has at most {MAX_MILESTONES} milestones")
    milestone = Milestone(
        id=command.milestone_id,
        what=checked_text(command.what, "what", MAX_MILESTONE_CHARS, required=True),
        by_when=_check_date(command.by_when, now),
        how_measured=checked_text(
            command.how_measured, "how_measured", MAX_MILESTONE_CHARS, required=True
        ),
    )
    return [MilestoneSet(participant_id=pid, milestone=milestone, at=now)]


def decide_remove_milestone(
    state: WorkshopState, command: RemoveMilestone, actor: Actor, now: datetime
) -> list[PersonalEvent]:
    """Take a milestone off one's own canvas."""
    pid = _require_canvas_action(state, actor)
    canvas = _canvas(state, pid)
    if canvas is None or all(m.id != command.milestone_id for m in canvas.milestones):
        raise Rejected("no_such_milestone", f"no milestone {command.milestone_id!r} on the canvas")
    return [MilestoneRemoved(participant_id=pid, milestone_id=command.milestone_id, at=now)]


def decide_share_canvas(
    state: WorkshopState, command: ShareCanvas, actor: Actor, now: datetime
) -> list[PersonalEvent]:
    """One explicit sharing choice for one's own canvas; repeating a choice changes nothing."""
    pid = require_owner(state, actor)
    canvas = _canvas(state, pid)
    if canvas is None:
        raise Rejected("invalid_argument", "there is no canvas to share yet")
    consents, group_id = consents_after(
        state, pid, canvas.consents, canvas.group_id, command.audience, command.granted
    )
    if (consents, group_id) == (canvas.consents, canvas.group_id):
        return []
    return [CanvasShared(participant_id=pid, consents=consents, group_id=group_id, at=now)]


# --- evolve -----------------------------------------------------------------------------


def _with_canvas(state: WorkshopState, pid: str, at: datetime, **changes: Any) -> WorkshopState:
    old = state.personal.canvases.get(pid) or Canvas(owner=pid, created_at=at, updated_at=at)
    canvas = replace(old, updated_at=at, **changes)
    personal = replace(state.personal, canvases={**state.personal.canvases, pid: canvas})
    return replace(state, personal=personal)


def evolve_canvas_updated(state: WorkshopState, event: CanvasUpdated) -> WorkshopState:
    """New idea and goal."""
    return _with_canvas(state, event.participant_id, event.at, idea=event.idea, goal=event.goal)


def evolve_milestone_set(state: WorkshopState, event: MilestoneSet) -> WorkshopState:
    """A milestone replaced in place, or appended."""
    canvas = state.personal.canvases.get(event.participant_id)
    old = canvas.milestones if canvas else ()
    new = event.milestone
    if any(m.id == new.id for m in old):
        milestones = tuple(new if m.id == new.id else m for m in old)
    else:
        milestones = (*old, new)
    return _with_canvas(state, event.participant_id, event.at, milestones=milestones)


def evolve_milestone_removed(state: WorkshopState, event: MilestoneRemoved) -> WorkshopState:
    """One milestone fewer."""
    canvas = state.personal.canvases[event.participant_id]
    milestones = tuple(m for m in canvas.milestones if m.id != event.milestone_id)
    return _with_canvas(state, event.participant_id, event.at, milestones=milestones)


def evolve_canvas_shared(state: WorkshopState, event: CanvasShared) -> WorkshopState:
    """New consents (sharing is not an edit: ``updated_at`` stays)."""
    canvas = state.personal.canvases[event.participant_id]
    shared = replace(canvas, consents=event.consents, group_id=event.group_id)
    canvases = {**state.personal.canvases, event.participant_id: shared}
    return replace(state, personal=replace(state.personal, canvases=canvases))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    UpdateCanvas: decide_update_canvas,
    SetMilestone: decide_set_milestone,
    RemoveMilestone: decide_remove_milestone,
    ShareCanvas: decide_share_canvas,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    CanvasUpdated: evolve_canvas_updated,
    MilestoneSet: evolve_milestone_set,
    MilestoneRemoved: evolve_milestone_removed,
    CanvasShared: evolve_canvas_shared,
}
