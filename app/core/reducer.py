"""The two pure functions every workshop runs on: ``decide`` and ``evolve``.

Each concept module (run of show, and later board, breakouts, roles) contributes a table of
deciders keyed by command type and evolvers keyed by event type; this module only
dispatches, turns ``Rejected`` into a value, and counts versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from app.core import (
    board,
    breakouts,
    cards,
    clusters,
    erasure,
    moderation,
    people,
    personal,
    placement,
    planedit,
    polls,
    reflections,
    roles,
    roster,
    runofshow,
    setup,
    signals,
    speedmatching,
    support,
    voting,
    wicked,
)
from app.core.actors import Actor
from app.core.board import NoteCommand, NoteEvent
from app.core.breakouts import BreakoutsCommand, BreakoutsEvent
from app.core.cards import CardCommand, CardEvent
from app.core.clusters import ClusterCommand, ClusterEvent
from app.core.commands import RunCommand
from app.core.erasure import ErasureCommand, ErasureEvent
from app.core.errors import Rejected, Rejection
from app.core.events import RunEvent, WorkshopCreated
from app.core.moderation import ModerationCommand, ModerationEvent
from app.core.people import PeopleCommand, PeopleEvent
from app.core.personal import PersonalCommand, PersonalEvent
from app.core.placement import PlacementCommand, PlacementEvent
from app.core.planedit import PlanEditCommand, PlanEditEvent
from app.core.polls import PollCommand, PollEvent
from app.core.reflections import ReflectionCommand, ReflectionEvent
from app.core.roles import RoleCommand, RoleEvent
from app.core.setup import SetupCommand, SetupEvent
from app.core.signals import SignalCommand, SignalEvent
from app.core.speedmatching import MatchingCommand, MatchingEvent
from app.core.state import WorkshopState
from app.core.support import SupportCommand, SupportEvent
from app.core.values import updated
from app.core.voting import VoteCommand, VoteEvent
from app.core.wicked import WickedCommand, WickedEvent

Command = (
    RunCommand
    | PeopleCommand
    | PersonalCommand
    | ReflectionCommand
    | PollCommand
    | SignalCommand
    | NoteCommand
    | CardCommand
    | ClusterCommand
    | ModerationCommand
    | VoteCommand
    | WickedCommand
    | BreakoutsCommand
    | PlacementCommand
    | RoleCommand
    | SupportCommand
    | MatchingCommand
    | SetupCommand
    | PlanEditCommand
    | ErasureCommand
)
Event = (
    RunEvent
    | PeopleEvent
    | PersonalEvent
    | ReflectionEvent
    | PollEvent
    | SignalEvent
    | NoteEvent
    | CardEvent
    | ClusterEvent
    | ModerationEvent
    | VoteEvent
    | WickedEvent
    | BreakoutsEvent
    | PlacementEvent
    | RoleEvent
    | SupportEvent
    | MatchingEvent
    | SetupEvent
    | PlanEditEvent
    | ErasureEvent
)

_DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    **runofshow.DECIDERS,
    **people.DECIDERS,
    **personal.DECIDERS,
    **reflections.DECIDERS,
    **polls.DECIDERS,
    **signals.DECIDERS,
    **board.DECIDERS,
    **cards.DECIDERS,
    **clusters.DECIDERS,
    **moderation.DECIDERS,
    **voting.DECIDERS,
    **wicked.DECIDERS,
    **breakouts.DECIDERS,
    **placement.DECIDERS,
    **roles.DECIDERS,
    **support.DECIDERS,
    **speedmatching.DECIDERS,
    **setup.DECIDERS,
    **planedit.DECIDERS,
    **roster.DECIDERS,  # admission and removal, with what follows them
    **erasure.DECIDERS,
}
_EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    **runofshow.EVOLVERS,
    **people.EVOLVERS,
    **personal.EVOLVERS,
    **reflections.EVOLVERS,
    **polls.EVOLVERS,
    **signals.EVOLVERS,
    **board.EVOLVERS,
    **cards.EVOLVERS,
    **clusters.EVOLVERS,
    **moderation.EVOLVERS,
    **voting.EVOLVERS,
    **wicked.EVOLVERS,
    **breakouts.EVOLVERS,
    **placement.EVOLVERS,
    **roles.EVOLVERS,
    **support.EVOLVERS,
    **speedmatching.EVOLVERS,
    **setup.EVOLVERS,
    **planedit.EVOLVERS,
    **erasure.EVOLVERS,
}


def decide(
    state: WorkshopState, command: Command, actor: Actor, now: datetime
) -> list[Event] | Rejection:
    """The events a command produces, or why it may not happen. Never changes ``state``."""
    handler = _DECIDERS.get(type(command))
    if handler is None:
        return Rejection("unknown_command", f"unknown command {type(command).__name__}")
    try:
        return handler(state, command, actor, now)
    except Rejected as rejected:
        return rejected.as_value()


def evolve(state: WorkshopState, event: Event) -> WorkshopState:
    """The state after one more event."""
    handler = _EVOLVERS.get(type(event))
    if handler is None:
        raise TypeError(f"no evolver for event {type(event).__name__}")
    return updated(handler(state, event), version=state.version + 1)


def fold(events: Iterable[Event], state: WorkshopState | None = None) -> WorkshopState:
    """The state after a log (starting with ``WorkshopCreated``) or after a snapshot's tail."""
    for event in events:
        if state is None:
            if not isinstance(event, WorkshopCreated):
                raise ValueError("a workshop's log must start with workshop.created")
            state = runofshow.genesis(event)
        else:
            state = evolve(state, event)
    if state is None:
        raise ValueError("an empty log has no state")
    return state
