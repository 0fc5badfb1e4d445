"""Who sits where while breakouts are open: manual moves, late joiners, topic rooms.

Every placement is a ``ParticipantMoved`` event naming the group and the role the person
takes there (the step's role without a count, when the group hands out roles). Late joiners
and participants who chose no topic room go to the first of the smallest groups that still
has room, so placing them is deterministic. A facilitator may move anyone anywhere, past a
topic room's capacity too; participants choosing a room are held to it (``room_full``).

Someone removed from the workshop leaves their group with ``ParticipantLeftGroup``, which
names who inherits their counted role (``grouping.hand_on``), if anyone does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.breakouts import (
    MAX_ID_CHARS,
    filler_role,
    require_facilitator,
    require_live_participant,
    require_open,
    require_participant_id,
)
from app.core.errors import Rejected
from app.core.grouping import hand_on, smallest_with_room
from app.core.groups import Group, RoleTurn
from app.core.plan import PlanStep
from app.core.state import WorkshopState

MoveCause = Literal["move", "late", "topic", "fill"]


@dataclass(frozen=True, kw_only=True)
class MoveParticipant:
    """A facilitator moves a participant into a group, or into a new one (``None``)."""

    participant_id: str
    group_id: str | None = None
    type: Literal["breakouts.move"] = "breakouts.move"


@dataclass(frozen=True, kw_only=True)
class PlaceLateJoiner:
    """The server puts someone who joined during breakouts into the smallest group."""

    participant_id: str
    type: Literal["breakouts.place"] = "breakouts.place"


@dataclass(frozen=True, kw_only=True)
class ChooseTopic:
    """A participant walks into a topic room."""

    group_id: str
    type: Literal["topic.choose"] = "topic.choose"


@dataclass(frozen=True, kw_only=True)
class FillTopicRooms:
    """A facilitator (or the server) places everyone who chose no topic room."""

    type: Literal["topic.fill"] = "topic.fill"


@dataclass(frozen=True, kw_only=True)
class ParticipantMoved:
    """A participant is in another group now (``created``: a new, empty one first)."""

    participant_id: str
    group_id: str
    role: str | None = None  # the role they take there
    created: bool = False
    cause: MoveCause
    at: datetime
    type: Literal["breakouts.moved"] = "breakouts.moved"


@dataclass(frozen=True, kw_only=True)
class ParticipantLeftGroup:
    """A participant is in no group any more; ``heir`` took over their counted ``role``."""

    participant_id: str
    group_id: str
    heir: str | None = None
    role: str | None = None
    at: datetime
    type: Literal["breakouts.left"] = "breakouts.left"


PlacementCommand = MoveParticipant | PlaceLateJoiner | ChooseTopic | FillTopicRooms
PlacementEvent = ParticipantMoved | ParticipantLeftGroup


# --- decide -----------------------------------------------------------------------------


def _grouping_step(state: WorkshopState) -> PlanStep | None:
    index = state.breakouts.step_index
    return state.plan[index] if index is not None and 0 <= index < len(state.plan) else None


def moved(
    state: WorkshopState, pid: str, group: Group, cause: MoveCause, now: datetime
) -> ParticipantMoved:
    """The event of ``pid`` joining ``group``, taking the filler role if the group has roles."""
    role = filler_role(_grouping_step(state)) if group.roles else None
    return ParticipantMoved(participant_id=pid, group_id=group.id, role=role, cause=cause, at=now)


def late_seat(state: WorkshopState, pid: str, now: datetime) -> list[PlacementEvent]:
    """A seat for someone joining while breakouts are open, in the smallest group with room.

    Topic rooms are chosen, not assigned: a late joiner walks in themselves (or is filled in
    with the rest). Groups with members come first, so nobody starts alone in an emptied one.
    """
    breakouts = state.breakouts
    if not breakouts.open or breakouts.strategy == "topics":
        return []
    occupied = [group for group in breakouts.groups if group.members]
    group = smallest_with_room(occupied) or smallest_with_room(breakouts.groups)
    return [] if group is None else [moved(state, pid, group, "late", now)]


def leave_group(state: WorkshopState, pid: str, now: datetime) -> list[PlacementEvent]:
    """Take someone out of their open group, handing a counted role on to a member."""
    group = state.breakouts.group_of(pid)
    if group is None:
        return []
    step = _grouping_step(state)
    turns = state.breakouts.role_turns
    if step is not None:
        turns = tuple(turn for turn in turns if turn.structure_id == step.structure_id)
    heir = hand_on(pid, group.members, group.roles, step.roles if step else (), turns)
    return [
        ParticipantLeftGroup(
            participant_id=pid,
            group_id=group.id,
            heir=heir[0] if heir else None,
            role=heir[1] if heir else None,
            at=now,
        )
    ]


def decide_move(
    state: WorkshopState, command: MoveParticipant, actor: Actor, now: datetime
) -> list[PlacementEvent]:
    """Move a participant into a group, past a topic room's capacity if need be."""
    require_facilitator(state, actor)
    breakouts = require_open(state)
    require_participant_id(state, command.participant_id)
    if command.group_id is None:
        group_id = f"r{breakouts.round}-g{len(breakouts.groups) + 1}"
        return [
            ParticipantMoved(
                participant_id=command.participant_id,
                group_id=group_id,
                created=True,
                cause="move",
                at=now,
            )
        ]
    group = breakouts.group(command.group_id[:MAX_ID_CHARS])
    if group is None:
        raise Rejected("no_such_group", f"no group {command.group_id[:MAX_ID_CHARS]!r}")
    if command.participant_id in group.members:
        raise Rejected("invalid_argument", f"{command.participant_id!r} is in {group.id!r} already")
    return [moved(state, command.participant_id, group, "move", now)]


def decide_place_late(
    state: WorkshopState, command: PlaceLateJoiner, actor: Actor, now: datetime
) -> list[PlacementEvent]:
    """Put a participant who is in no group into the first of the smallest groups with room."""
    if actor.kind != "system":
        raise Rejected("not_facilitator", "late joiners are placed by the server")
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    breakouts = require_open(state)
    require_participant_id(state, command.participant_id)
    if breakouts.group_of(command.participant_id) is not None:
        raise Rejected("invalid_argument", f"{command.participant_id!r} is in a group already")
    if not breakouts.groups:
        raise Rejected("no_such_group", "there is no group to join")
    group = smallest_with_room(breakouts.groups)
    if group is None:
        raise Rejected("room_full", "every group is full")
    return [moved(state, command.participant_id, group, "late", now)]


def decide_choose_topic(
    state: WorkshopState, command: ChooseTopic, actor: Actor, now: datetime
) -> list[PlacementEvent]:
    """A participant enters the topic room they chose, if it has room."""
    require_live_participant(state, actor)
    breakouts = require_open(state)
    group = breakouts.group(command.group_id[:MAX_ID_CHARS])
    if group is None or group.topic is None:
        raise Rejected("no_such_group", f"no topic room {command.group_id[:MAX_ID_CHARS]!r}")
    if actor.id in group.members:
        raise Rejected("invalid_argument", f"you are in {group.id!r} already")
    if group.capacity is not None and len(group.members) >= group.capacity:
        raise Rejected("room_full", f"topic room {group.topic!r} is full")
    return [moved(state, actor.id, group, "topic", now)]


def decide_fill(
    state: WorkshopState, command: FillTopicRooms, actor: Actor, now: datetime
) -> list[PlacementEvent]:
    """Everyone without a room joins the first of the smallest rooms with room, in id order."""
    if actor.kind != "system":
        require_facilitator(state, actor)
    elif state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    breakouts = require_open(state)
    if breakouts.strategy != "topics":
        raise Rejected("invalid_argument", "only topic rooms are filled")
    rooms = list(breakouts.groups)
    placed = {person for room in rooms for person in room.members}
    waiting = [pid for pid in sorted(state.participants) if pid not in placed]
    if not waiting:
        raise Rejected("invalid_argument", "everyone is in a topic room already")
    events: list[PlacementEvent] = []
    for pid in waiting:
        room = smallest_with_room(rooms)
        if room is None:
            break
        events.append(moved(state, pid, room, "fill", now))
        rooms = [replace(r, members=(*r.members, pid)) if r.id == room.id else r for r in rooms]
    if not events:
        raise Rejected("room_full", "every topic room is full")
    return events


# --- evolve -----------------------------------------------------------------------------


def evolve_moved(state: WorkshopState, event: ParticipantMoved) -> WorkshopState:
    """A participant leaves their group (and its role) for another one."""
    pid = event.participant_id
    groups = [
        replace(
            group,
            members=tuple(m for m in group.members if m != pid),
            roles={m: r for m, r in group.roles.items() if m != pid},
        )
        for group in state.breakouts.groups
    ]
    if event.created:
        groups.append(Group(id=event.group_id, members=()))
    met = set(state.breakouts.met)
    for index, group in enumerate(groups):
        if group.id == event.group_id:
            met |= {frozenset({pid, other}) for other in group.members}
            roles = {**group.roles, pid: event.role} if event.role else group.roles
            groups[index] = replace(group, members=(*group.members, pid), roles=roles)
    breakouts = replace(state.breakouts, groups=tuple(groups), met=frozenset(met))
    return replace(state, breakouts=breakouts)


def evolve_left(state: WorkshopState, event: ParticipantLeftGroup) -> WorkshopState:
    """The group without the participant; the heir holds the counted role from now on."""
    breakouts = state.breakouts
    pid, heir = event.participant_id, event.heir
    groups = []
    for group in breakouts.groups:
        if group.id == event.group_id:
            roles = {m: r for m, r in group.roles.items() if m != pid}
            if heir is not None and event.role is not None:
                roles[heir] = event.role
            members = tuple(m for m in group.members if m != pid)
            group = replace(group, members=members, roles=roles)
        groups.append(group)
    turns = breakouts.role_turns
    step = _grouping_step(state)
    if heir is not None and event.role is not None and step is not None:
        turn = RoleTurn(
            structure_id=step.structure_id,
            round=breakouts.round,
            participant_id=heir,
            role=event.role,
        )
        turns = (*turns, turn)
    return replace(state, breakouts=replace(breakouts, groups=tuple(groups), role_turns=turns))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    MoveParticipant: decide_move,
    PlaceLateJoiner: decide_place_late,
    ChooseTopic: decide_choose_topic,
    FillTopicRooms: decide_fill,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    ParticipantMoved: evolve_moved,
    ParticipantLeftGroup: evolve_left,
}
