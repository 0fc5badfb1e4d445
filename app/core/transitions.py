"""What a step change does to the room: reveals on leaving, the plan's grouping on entering.

The run of show (``runofshow.py``) builds every decision that changes the current step from
three parts, in this order: what leaving the old step does (``leave``), the step change
itself (``StepStarted``, or ``WorkshopEnded`` with ``finish`` before it), and what entering
the new step does (``enter``). All of it is one decision, so a step change never half-applies
and a replay sees exactly the groups that were formed.

Entering a step follows its ``GroupConfig``:

- ``alone`` and ``all`` send everyone back to the plenary;
- a step of the same *structure run* (the same plan key up to the step's own id, e.g.
  ``3/kollegiale-beratung``) with the same kind keeps the groups as they are: the same ids,
  members, roles and board; groups a facilitator had closed in between open again as they
  were (``keep`` with the roles kept);
- the first step of another run of the same structure with the same kind (the second case
  of a Kollegiale Beratung, the next Troika round) keeps the people together as a new
  round: ``keep``, so the counted roles rotate to whoever held them least;
- ``avoid_repeats`` asks for new partners every step, so such a step always forms new
  groups;
- ``rounds`` take turns inside the open groups of the same structure run (a check-in round
  in the small groups of the step before); anywhere else the round is in the plenary;
- any other grouping step forms new groups as ``OpenBreakouts()`` would: sizes, ``mix_by``,
  ``avoid_repeats``, foursomes of whole pairs with ``keep_partners``, roles assigned and
  rotated over the structure's earlier rounds.

A planned speed-matching rotation (``PlanSpeedMatching``) with rounds left comes first: every
pairs step opens its next round, until the rounds run out.

With fewer than two participants, or when no grouping can be formed, the step starts all
the same with everyone in the plenary; facilitators may open groups by hand later, with any
strategy (``breakouts.py``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from app.core.actors import SYSTEM
from app.core.breakouts import BreakoutsClosed, BreakoutsEvent, OpenBreakouts, open_for
from app.core.errors import Rejected
from app.core.moderation import ItemsRevealed
from app.core.plan import PlanStep
from app.core.polls import PollClosed
from app.core.signals import QueueCleared
from app.core.state import WorkshopState
from app.core.voting import VoteEvent, on_step_leave

MIN_GROUPED = 2  # fewer people than this stay in the plenary

RoomEvent = VoteEvent | ItemsRevealed | BreakoutsEvent | PollClosed | QueueCleared


def structure_run(step: PlanStep) -> str:
    """The run of a structure in the plan that a step belongs to: its key without its id."""
    return step.key.rpartition("/")[0]


def leave(state: WorkshopState, now: datetime) -> list[RoomEvent]:
    """What leaving the current step does: reveal its votes and private writing."""
    return [*on_step_leave(state, now)]


def finish(state: WorkshopState, now: datetime) -> list[RoomEvent]:
    """What the end of the workshop does: recall everyone, close the polls still open, and
    lower the hands still up (nobody will be called any more)."""
    events: list[RoomEvent] = []
    if state.breakouts.open:
        events.append(BreakoutsClosed(round=state.breakouts.round, at=now))
    for poll_id in sorted(state.polls.by_id):
        if state.polls.by_id[poll_id].status == "open":
            events.append(PollClosed(poll_id=poll_id, at=now))
    for scope in sorted(state.signals.queues):
        if state.signals.queues[scope]:
            events.append(QueueCleared(scope=scope, by=SYSTEM.id, at=now))
    return events


def _formed(state: WorkshopState) -> PlanStep | None:
    """The step the present grouping (open or closed) was formed for, if there is one."""
    index = state.breakouts.step_index
    if index is None or not state.breakouts.groups or not 0 <= index < len(state.plan):
        return None
    return state.plan[index]


def _same_run(state: WorkshopState, step: PlanStep) -> bool:
    formed = _formed(state)
    return formed is not None and structure_run(formed) == structure_run(step)


def _command_for(state: WorkshopState, step: PlanStep) -> OpenBreakouts | None:
    """How the groups of a grouping step come about; ``None``: the open groups stay."""
    matching = state.matching
    if step.group.kind == "pairs" and matching.next_round < len(matching.schedule):
        return OpenBreakouts(strategy="rotation")  # a planned rotation drives its rounds
    formed = _formed(state)
    if formed is not None and formed.group.kind == step.group.kind and not step.group.avoid_repeats:
        if structure_run(formed) == structure_run(step):
            return None if state.breakouts.open else OpenBreakouts(strategy="keep", keep_roles=True)
        if formed.structure_id == step.structure_id:
            return OpenBreakouts(strategy="keep")
    return OpenBreakouts()


def enter(state: WorkshopState, index: int, now: datetime) -> list[RoomEvent]:
    """What entering plan step ``index`` does to the groups (``state``: before the change)."""
    step = state.plan[index]
    breakouts = state.breakouts
    recall: list[RoomEvent] = []
    if breakouts.open:
        recall.append(BreakoutsClosed(round=breakouts.round, at=now))
    if step.group.kind in ("alone", "all"):
        return recall
    if step.group.kind == "rounds":
        return [] if breakouts.open and _same_run(state, step) else recall
    command = _command_for(state, step)
    if command is None:
        return []
    if len(state.participants) < MIN_GROUPED:
        return recall
    try:
        opened = open_for(state, command, index, now)
    except Rejected:  # nobody to group (a rotation round of absent people, say)
        return recall
    return [replace(opened, by_plan=True)]
