"""Roles inside breakout groups: who holds which role, who may act, manual reassignment.

Roles are handed out when groups open (``breakouts.py`` with ``grouping.assign_roles``) and
live on the groups. A role belongs to its structure: while the current step does not list a
participant's role (the room moved on to another structure with the same groups), that
participant has no role. Whether a role may act comes from the current step's
``RoleSpec.acts``: the case giver only listens during the consultation, a Troika client is
turned away while the consultants talk.

A facilitator may give anyone in a group any role of the current step. When a counted role
is full, its first holder (in member order) swaps roles with the newcomer, so a group never
has two case givers; a displaced holder without a role to swap takes the role without a
count, if the step has one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.breakouts import (
    MAX_ID_CHARS,
    counted_turns,
    filler_role,
    require_facilitator,
    require_open,
    require_participant_id,
)
from app.core.errors import Rejected
from app.core.plan import RoleSpec
from app.core.state import WorkshopState


@dataclass(frozen=True, kw_only=True)
class AssignRole:
    """A facilitator gives a participant in a group one of the current step's roles."""

    participant_id: str
    role: str
    type: Literal["role.assign"] = "role.assign"


@dataclass(frozen=True, kw_only=True)
class RoleAssigned:
    """A group's roles after a facilitator reassigned one."""

    group_id: str
    roles: Mapping[str, str]  # participant id -> role id, the whole group
    round: int
    at: datetime
    type: Literal["role.assigned"] = "role.assigned"


RoleCommand = AssignRole
RoleEvent = RoleAssigned


def role_spec(state: WorkshopState, participant_id: str) -> RoleSpec | None:
    """The current step's description of the role a participant holds, if any."""
    step = state.current_step
    group = state.breakouts.group_of(participant_id)
    if step is None or group is None:
        return None
    role = group.roles.get(participant_id)
    return next((spec for spec in step.roles if spec.id == role), None)


def role_of(state: WorkshopState, participant_id: str) -> str | None:
    """The role a participant holds in the current step, if any."""
    spec = role_spec(state, participant_id)
    return spec.id if spec else None


def may_act(state: WorkshopState, participant_id: str) -> bool:
    """Whether the participant's role lets them act (post, vote, speak) in the current step."""
    spec = role_spec(state, participant_id)
    return spec is None or spec.acts


def decide_assign(
    state: WorkshopState, command: AssignRole, actor: Actor, now: datetime
) -> list[RoleEvent]:
    """Give a participant a role in their group, swapping with a full role's holder."""
    require_facilitator(state, actor)
    breakouts = require_open(state)
    require_participant_id(state, command.participant_id)
    pid = command.participant_id
    group = breakouts.group_of(pid)
    if group is None:
        raise Rejected("no_such_group", f"participant {pid!r} is in no group")
    step = state.current_step
    specs = {spec.id: spec for spec in step.roles} if step else {}
    spec = specs.get(command.role[:MAX_ID_CHARS])
    if spec is None:
        known = ", ".join(specs) or "none"
        raise Rejected("invalid_argument", f"role: one of the step's roles ({known})")
    roles = dict(group.roles)
    previous = roles.get(pid)
    if previous == spec.id:
        raise Rejected("invalid_argument", f"{pid!r} holds the role {spec.id!r} already")
    holders = [member for member in group.members if roles.get(member) == spec.id]
    if spec.count is not None and len(holders) >= spec.count:
        swap = previous or filler_role(step)
        if swap is None:
            del roles[holders[0]]
        else:
            roles[holders[0]] = swap
    roles[pid] = spec.id
    return [RoleAssigned(group_id=group.id, roles=roles, round=breakouts.round, at=now)]


def evolve_assigned(state: WorkshopState, event: RoleAssigned) -> WorkshopState:
    """The group's new roles; the rotation history of this round follows them."""
    breakouts = state.breakouts
    group = breakouts.group(event.group_id)
    if group is None:  # cannot happen for a decided event; keeps evolve total
        return state
    group = replace(group, roles=event.roles)
    members = set(group.members)
    turns = [
        turn
        for turn in breakouts.role_turns
        if not (turn.round == event.round and turn.participant_id in members)
    ]
    turns += counted_turns(state.plan[state.cursor], event.round, group)
    groups = tuple(group if g.id == group.id else g for g in breakouts.groups)
    return replace(state, breakouts=replace(breakouts, groups=groups, role_turns=tuple(turns)))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    AssignRole: decide_assign,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    RoleAssigned: evolve_assigned,
}
