"""Joining and leaving, with everything that follows in the same decision.

``people.py`` holds the rules of admission and removal themselves; this module composes
what they bring about elsewhere, so nothing is left for a second command to tidy up:

- someone admitted while breakouts are open takes a seat in the smallest group with room
  (``placement.late_seat``; topic rooms are chosen, not assigned);
- someone removed leaves their open group, their counted role going to another member
  (``placement.leave_group``), their hand goes down in every speaking queue and their
  "I'm done" signals are withdrawn. Their board items stay: the room's work belongs to the
  room, and erasure is a separate matter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.core.actors import Actor
from app.core.people import (
    AdmitParticipant,
    PeopleEvent,
    RemoveParticipant,
    decide_admit,
    decide_remove_participant,
)
from app.core.placement import PlacementEvent, late_seat, leave_group
from app.core.signals import DoneWithdrawn, HandLowered
from app.core.signalstate import parse_done_key
from app.core.state import WorkshopState

RosterEvent = PeopleEvent | PlacementEvent | HandLowered | DoneWithdrawn


def decide_join(
    state: WorkshopState, command: AdmitParticipant, actor: Actor, now: datetime
) -> list[RosterEvent]:
    """Admit a participant and, while breakouts are open, seat them in a group."""
    joined = decide_admit(state, command, actor, now)
    return [*joined, *late_seat(state, command.participant_id, now)]


def decide_leave(
    state: WorkshopState, command: RemoveParticipant, actor: Actor, now: datetime
) -> list[RosterEvent]:
    """Remove a participant from their group, the speaking queues and the done signals too."""
    removed = decide_remove_participant(state, command, actor, now)
    pid = command.participant_id
    hands = [
        HandLowered(participant_id=pid, scope=scope, at=now)
        for scope, queue in sorted(state.signals.queues.items())
        if any(hand.participant_id == pid for hand in queue)
    ]
    done = []
    for key, ids in sorted(state.signals.done.items()):
        if pid in ids:
            step_index, run = parse_done_key(key)
            done.append(DoneWithdrawn(participant_id=pid, step_index=step_index, run=run, at=now))
    return [*leave_group(state, pid, now), *hands, *done, *removed]


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    AdmitParticipant: decide_join,
    RemoveParticipant: decide_leave,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {}
