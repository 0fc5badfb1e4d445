"""Breakouts: sending the room into groups for the current step, and recalling everyone.

The run of show opens and closes groups by itself as the plan says when the step changes
(``transitions.py``); the commands here are the facilitator's hand on top of that. Who sits
where afterwards (moves, late joiners, topic choices) is in ``placement.py``, roles
in ``roles.py``, help requests and broadcasts in ``support.py``; the guards below are shared
by all of them and by ``speedmatching.py``.

Every grouping is computed here from the state and a seed derived from it
(``"{workshop id}:{version}"``), and the computed groups, ids and roles travel IN the event:
evolving only copies them, so a replay is exact even if ``grouping.py`` changes later.

Strategies of ``OpenBreakouts``:

- ``balanced`` follows the current step: its sizes, its ``mix_by``, ``avoid_repeats`` and,
  for foursomes with ``keep_partners``, whole pairs of the previous grouping;
- ``mix`` spreads the values of a join attribute (the command's ``mix_by`` or the step's);
- ``topics`` opens empty rooms, one per topic, that participants choose (``ChooseTopic``);
- ``keep`` forms the previous groups again, as a new round: counted roles rotate (Troika's
  next client), unless ``keep_roles`` carries them over (groups reopened in mid-case);
- ``rotation`` opens the next round of the speed-matching schedule (``speedmatching.py``).

``alone``, ``all`` and ``rounds`` steps form no groups of their own (``step_has_no_groups``):
working alone happens in the plenary scope, each person by themselves, with the step's
privacy rules; ``rounds`` take turns inside groups that are kept (``keep``). Nobody who is
in a group works alone in one, unless the room holds a single participant.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.errors import Rejected
from app.core.grouping import (
    Groups,
    assign_roles,
    carry_roles,
    form_groups,
    join_partners,
    keep_groups,
)
from app.core.groups import Breakouts, Group, RoleTurn, Strategy
from app.core.people import JOIN_ATTRIBUTES, clean_name
from app.core.plan import PlanStep
from app.core.state import WorkshopState

MAX_TOPICS = 30
MAX_TOPIC_CHARS = 80
MAX_ROOM_CAPACITY = 500  # people per topic room
MAX_ID_CHARS = 64  # participant and group ids named in commands


@dataclass(frozen=True, kw_only=True)
class OpenBreakouts:
    """A facilitator sends the room into groups for the current step (a new round)."""

    strategy: Strategy = "balanced"
    mix_by: str | None = None  # "mix": the join attribute to spread; default: the step's
    topics: tuple[str, ...] = ()  # "topics": one room per topic
    capacity: int | None = None  # "topics": most people per room; None: no limit
    keep_roles: bool = False  # "keep": the same roles again (reopened mid-case), no rotation
    type: Literal["breakouts.open"] = "breakouts.open"


@dataclass(frozen=True, kw_only=True)
class CloseBreakouts:
    """A facilitator recalls everyone to the plenary."""

    type: Literal["breakouts.close"] = "breakouts.close"


@dataclass(frozen=True, kw_only=True)
class BreakoutsOpened:
    """The room is in groups: every group with its members and roles, as computed."""

    round: int
    step_index: int
    strategy: Strategy
    groups: tuple[Group, ...]
    at: datetime
    roles_kept: bool = False  # the roles are the earlier ones: no new turns in the rotation
    by_plan: bool = False  # opened by the run of show as the step says (transitions.py)
    type: Literal["breakouts.opened"] = "breakouts.opened"


@dataclass(frozen=True, kw_only=True)
class BreakoutsClosed:
    """Everyone is back in the plenary; the groups are kept for a later "keep"."""

    round: int
    at: datetime
    type: Literal["breakouts.closed"] = "breakouts.closed"


BreakoutsCommand = OpenBreakouts | CloseBreakouts
BreakoutsEvent = BreakoutsOpened | BreakoutsClosed


# --- guards shared by the breakout, role and matching modules ----------------------------


def require_facilitator(state: WorkshopState, actor: Actor) -> None:
    """Facilitators steer in every phase but the end."""
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if not state.is_facilitator(actor):
        raise Rejected("not_facilitator", f"only facilitators may do this in {state.id!r}")


def require_live_participant(state: WorkshopState, actor: Actor) -> None:
    """Participants act only while the workshop runs or is paused."""
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if not state.is_participant(actor):
        raise Rejected("not_participant", "only participants of this workshop may do this")
    if state.phase == "lobby":
        raise Rejected("workshop_not_started", f"workshop {state.id!r} has not started yet")


def require_open(state: WorkshopState) -> Breakouts:
    """The breakouts, which must be open."""
    if not state.breakouts.open:
        raise Rejected("breakouts_closed", "the room is in the plenary, not in groups")
    return state.breakouts


def require_participant_id(state: WorkshopState, participant_id: str) -> None:
    """A participant named in a command must be in the workshop."""
    if len(participant_id) > MAX_ID_CHARS or participant_id not in state.participants:
        raise Rejected("no_such_participant", f"no participant {participant_id[:MAX_ID_CHARS]!r}")


def seed_of(state: WorkshopState) -> str:
    """The seed of every random choice a command makes in this state."""
    return f"{state.id}:{state.version}"


def filler_role(step: PlanStep | None) -> str | None:
    """The role that everybody not given a counted role takes."""
    if step is None:
        return None
    return next((spec.id for spec in step.roles if spec.count is None), None)


# --- opening -----------------------------------------------------------------------------


def _current_step(state: WorkshopState) -> PlanStep:
    step = state.current_step
    if step is None:
        raise Rejected("workshop_not_started", f"workshop {state.id!r} has no current step")
    return step


def _opened(
    index: int, round_: int, strategy: Strategy, groups: tuple[Group, ...], now: datetime
) -> BreakoutsOpened:
    return BreakoutsOpened(round=round_, step_index=index, strategy=strategy, groups=groups, at=now)


def _kept_rooms(state: WorkshopState, round_: int) -> tuple[Group, ...]:
    """Topic rooms again, with their topics, capacities and the people still here."""
    return tuple(
        replace(
            room,
            id=f"r{round_}-g{n}",
            members=tuple(pid for pid in room.members if pid in state.participants),
            continues=tuple(sorted({room.id, *room.continues})),
        )
        for n, room in enumerate(state.breakouts.groups, start=1)
    )


def _topic_rooms(command: OpenBreakouts, round_: int) -> tuple[Group, ...]:
    topics = [clean_name(topic) for topic in command.topics]
    if not 1 <= len(topics) <= MAX_TOPICS:
        raise Rejected("invalid_argument", f"topics: 1 to {MAX_TOPICS} topic rooms")
    if any(not 1 <= len(topic) <= MAX_TOPIC_CHARS for topic in topics):
        raise Rejected("invalid_argument", f"topics: each has 1 to {MAX_TOPIC_CHARS} characters")
    if len(set(topics)) != len(topics):
        raise Rejected("invalid_argument", "topics: every topic room needs its own topic")
    if command.capacity is not None and not 1 <= command.capacity <= MAX_ROOM_CAPACITY:
        raise Rejected("invalid_argument", f"capacity: 1 to {MAX_ROOM_CAPACITY} people per room")
    return tuple(
        Group(id=f"r{round_}-g{n}", members=(), topic=topic, capacity=command.capacity)
        for n, topic in enumerate(topics, start=1)
    )


def _mix_attribute(command: OpenBreakouts, step: PlanStep) -> str | None:
    attribute = command.mix_by or step.group.mix_by
    if command.strategy == "mix" and attribute is None:
        raise Rejected("invalid_argument", "mix_by: name the join attribute to spread")
    if attribute is not None and attribute not in JOIN_ATTRIBUTES:
        raise Rejected("invalid_argument", f"mix_by: one of {', '.join(JOIN_ATTRIBUTES)}")
    return attribute


def _members(state: WorkshopState, command: OpenBreakouts, step: PlanStep) -> Groups:
    people = sorted(state.participants)
    breakouts, seed = state.breakouts, seed_of(state)
    previous = [group.members for group in breakouts.groups]
    if command.strategy == "keep":
        if not previous:
            raise Rejected("invalid_argument", "strategy: there are no earlier groups to keep")
        return keep_groups(people, previous)
    if command.strategy == "rotation":
        matching = state.matching
        if matching.next_round >= len(matching.schedule):
            raise Rejected("invalid_argument", "strategy: no speed-matching round is left")
        present = set(people)
        pairs = matching.schedule[matching.next_round]
        return tuple(pair for pair in pairs if set(pair) <= present)
    if step.group.kind in ("alone", "all", "rounds"):
        raise Rejected("step_has_no_groups", f"step {step.key!r} works as {step.group.kind!r}")
    attribute = _mix_attribute(command, step)
    attributes = None
    if attribute is not None:
        attributes = {pid: state.participants[pid].attributes.get(attribute, "") for pid in people}
    if step.group.kind == "foursomes" and step.group.keep_partners:
        return join_partners(
            people, previous, step.group, seed=seed, met=breakouts.met, attributes=attributes
        )
    return form_groups(people, step.group, seed=seed, met=breakouts.met, attributes=attributes)


def decide_open(
    state: WorkshopState, command: OpenBreakouts, actor: Actor, now: datetime
) -> list[BreakoutsEvent]:
    """Compute the groups (and their roles) for the current step and open them."""
    require_facilitator(state, actor)
    _current_step(state)
    return [open_for(state, command, state.cursor, now)]


def open_for(
    state: WorkshopState, command: OpenBreakouts, index: int, now: datetime
) -> BreakoutsOpened:
    """The grouping ``command`` forms for plan step ``index``; ``Rejected`` if there is none.

    The run of show calls this for the step it is about to start (``transitions.py``), so
    the seed is the state's before the step changes, just as for a facilitator's command.
    """
    step = state.plan[index]
    round_ = state.breakouts.round + 1
    if command.mix_by is not None and command.strategy not in ("balanced", "mix"):
        raise Rejected("invalid_argument", "mix_by is only for strategies 'balanced' and 'mix'")
    if command.strategy == "topics":
        return _opened(index, round_, "topics", _topic_rooms(command, round_), now)
    if command.strategy == "keep" and state.breakouts.strategy == "topics":
        return _opened(index, round_, "topics", _kept_rooms(state, round_), now)
    if command.topics or command.capacity is not None:
        raise Rejected("invalid_argument", "topics and capacity are only for strategy 'topics'")
    if command.keep_roles and command.strategy != "keep":
        raise Rejected("invalid_argument", "keep_roles is only for strategy 'keep'")
    members = [group for group in _members(state, command, step) if group]
    if not members:
        raise Rejected("invalid_argument", "there is nobody to put into groups")
    turns = [turn for turn in state.breakouts.role_turns if turn.structure_id == step.structure_id]
    preferred = state.matching.mentors if command.strategy == "rotation" else frozenset()
    held = {pid: role for group in state.breakouts.groups for pid, role in group.roles.items()}

    def roles_for(n: int, members: tuple[str, ...]) -> dict[str, str]:
        if command.keep_roles:
            return carry_roles(members, held, step.roles)
        seed = f"{seed_of(state)}:roles:{n}"
        return assign_roles(members, step.roles, turns, seed=seed, preferred=preferred)

    merging = command.strategy == "keep" or (
        command.strategy == "balanced"
        and step.group.kind == "foursomes"
        and step.group.keep_partners
    )
    groups = tuple(
        Group(
            id=f"r{round_}-g{n}",
            members=group,
            roles=roles_for(n, group),
            continues=(
                continued(state.breakouts.groups, group, state.participants) if merging else ()
            ),
        )
        for n, group in enumerate(members, start=1)
    )
    opened = _opened(index, round_, command.strategy, groups, now)
    return replace(opened, roles_kept=command.keep_roles)


def continued(
    previous: Iterable[Group], members: Iterable[str], present: Container[str]
) -> tuple[str, ...]:
    """The earlier groups a group of ``members`` continues: those whose members, as far as
    they are still in the workshop, all sit in it (whole pairs merged into a foursome, a
    group kept), with what those continued in turn."""
    inside = set(members)
    ids: set[str] = set()
    for group in previous:
        staying = {pid for pid in group.members if pid in present}
        if staying and staying <= inside:
            ids.add(group.id)
            ids.update(group.continues)
    return tuple(sorted(ids))


def decide_close(
    state: WorkshopState, command: CloseBreakouts, actor: Actor, now: datetime
) -> list[BreakoutsEvent]:
    """Recall everyone to the plenary."""
    require_facilitator(state, actor)
    breakouts = require_open(state)
    return [BreakoutsClosed(round=breakouts.round, at=now)]


# --- evolve ------------------------------------------------------------------------------


def _pairs(members: Iterable[str]) -> set[frozenset[str]]:
    people = list(members)
    return {frozenset({a, b}) for i, a in enumerate(people) for b in people[i + 1 :]}


def counted_turns(step: PlanStep, round_: int, group: Group) -> list[RoleTurn]:
    """The counted roles a group's members hold, as turns for the rotation history."""
    counted = {spec.id for spec in step.roles if spec.count is not None}
    return [
        RoleTurn(structure_id=step.structure_id, round=round_, participant_id=pid, role=role)
        for pid, role in group.roles.items()
        if role in counted
    ]


def evolve_opened(state: WorkshopState, event: BreakoutsOpened) -> WorkshopState:
    """The computed groups are the room's groups now."""
    met = set(state.breakouts.met)
    turns: list[RoleTurn] = []
    for group in event.groups:
        met |= _pairs(group.members)
        if not event.roles_kept:
            turns += counted_turns(state.plan[event.step_index], event.round, group)
    breakouts = replace(
        state.breakouts,
        open=True,
        round=event.round,
        step_index=event.step_index,
        strategy=event.strategy,
        groups=event.groups,
        met=frozenset(met),
        help_requests=frozenset(),
        role_turns=(*state.breakouts.role_turns, *turns),
    )
    matching = state.matching
    if event.strategy == "rotation":
        matching = replace(matching, next_round=matching.next_round + 1)
    return replace(state, breakouts=breakouts, matching=matching)


def evolve_closed(state: WorkshopState, event: BreakoutsClosed) -> WorkshopState:
    """Everyone is in the plenary."""
    breakouts = replace(state.breakouts, open=False, help_requests=frozenset())
    return replace(state, breakouts=breakouts)


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    OpenBreakouts: decide_open,
    CloseBreakouts: decide_close,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    BreakoutsOpened: evolve_opened,
    BreakoutsClosed: evolve_closed,
}
