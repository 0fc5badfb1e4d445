"""Raised hands and "I'm done": small signals participants give, and who may act on them.

A participant raises a hand in the speaking queue of their scope (their breakout group, or
the plenary) in steps that allow ``hand``, unless their role in this step only listens
(``RoleSpec.acts`` is false, as for the case giver during a consultation). A hand is up in
at most one queue at a time; its owner may lower it in any step. Facilitators call the next
speaker or clear any queue; a group's moderator does the same for their own group only.
Every call is recorded, so a view can show how often each person spoke. A call names the
person the chair saw first in the queue: when two chairs press "next" at once, or one
presses twice, the second call finds someone else first and is refused (``stale_queue``)
instead of giving the floor to a second person.

"I'm done" is per participant and step run: going back to a step starts a fresh run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.errors import Rejected
from app.core.groups import PLENARY
from app.core.signalstate import Hand, SpeakerCall, done_key
from app.core.state import WorkshopState

MODERATOR_ROLE = "moderator"
MAX_SCOPE_CHARS = 60


@dataclass(frozen=True, kw_only=True)
class RaiseHand:
    """Join the speaking queue of one's own scope."""

    type: Literal["hand.raise"] = "hand.raise"


@dataclass(frozen=True, kw_only=True)
class LowerHand:
    """Leave the speaking queue."""

    type: Literal["hand.lower"] = "hand.lower"


@dataclass(frozen=True, kw_only=True)
class CallNext:
    """Give the floor to ``participant_id``, who must be first in the scope's queue."""

    scope: str
    participant_id: str  # the head of the queue as the chair saw it
    type: Literal["speaking.call_next"] = "speaking.call_next"


@dataclass(frozen=True, kw_only=True)
class ClearQueue:
    """Lower every hand in a scope's queue."""

    scope: str
    type: Literal["speaking.clear"] = "speaking.clear"


@dataclass(frozen=True, kw_only=True)
class SignalDone:
    """Tell the facilitators one is done with the current step."""

    type: Literal["done.signal"] = "done.signal"


@dataclass(frozen=True, kw_only=True)
class WithdrawDone:
    """Take an "I'm done" back."""

    type: Literal["done.withdraw"] = "done.withdraw"


@dataclass(frozen=True, kw_only=True)
class HandRaised:
    """A hand went up at the end of ``scope``'s queue."""

    participant_id: str
    scope: str
    at: datetime
    type: Literal["hand.raised"] = "hand.raised"


@dataclass(frozen=True, kw_only=True)
class HandLowered:
    """A participant left ``scope``'s queue."""

    participant_id: str
    scope: str
    at: datetime
    type: Literal["hand.lowered"] = "hand.lowered"


@dataclass(frozen=True, kw_only=True)
class SpeakerCalled:
    """``participant_id`` has the floor in ``scope`` and left its queue."""

    scope: str
    participant_id: str
    by: str
    at: datetime
    type: Literal["speaking.called"] = "speaking.called"


@dataclass(frozen=True, kw_only=True)
class QueueCleared:
    """Every hand in ``scope``'s queue went down."""

    scope: str
    by: str
    at: datetime
    type: Literal["speaking.cleared"] = "speaking.cleared"


@dataclass(frozen=True, kw_only=True)
class DoneSignalled:
    """A participant is done with one run of a step."""

    participant_id: str
    step_index: int
    run: int
    at: datetime
    type: Literal["done.signalled"] = "done.signalled"


@dataclass(frozen=True, kw_only=True)
class DoneWithdrawn:
    """A participant is no longer done with one run of a step."""

    participant_id: str
    step_index: int
    run: int
    at: datetime
    type: Literal["done.withdrawn"] = "done.withdrawn"


SignalCommand = RaiseHand | LowerHand | CallNext | ClearQueue | SignalDone | WithdrawDone
SignalEvent = (
    HandRaised | HandLowered | SpeakerCalled | QueueCleared | DoneSignalled | DoneWithdrawn
)


def _require_participant(state: WorkshopState, actor: Actor) -> str:
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if not state.is_participant(actor):
        raise Rejected("not_participant", "only participants raise hands and signal done")
    if state.current_step is None:
        raise Rejected("workshop_not_started", f"workshop {state.id!r} has not started yet")
    return actor.id


def _role_acts(state: WorkshopState, pid: str) -> bool:
    """Whether the participant's role in their group may act in the current step."""
    group = state.breakouts.group_of(pid)
    step = state.current_step
    if group is None or step is None or pid not in group.roles:
        return True
    return all(spec.acts for spec in step.roles if spec.id == group.roles[pid])


def _queued_scope(state: WorkshopState, pid: str) -> str | None:
    for scope, hands in state.signals.queues.items():
        if any(hand.participant_id == pid for hand in hands):
            return scope
    return None


def _require_chair(state: WorkshopState, actor: Actor, scope: str) -> None:
    """A facilitator for every scope, or the acting moderator of this group."""
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if not 1 <= len(scope) <= MAX_SCOPE_CHARS:
        raise Rejected("invalid_argument", f"scope has 1 to {MAX_SCOPE_CHARS} characters")
    if state.is_facilitator(actor):
        return
    if not state.is_participant(actor):
        raise Rejected("not_facilitator", "only facilitators and moderators call speakers")
    group = state.breakouts.group_of(actor.id)
    if (
        group is None
        or group.id != scope
        or group.roles.get(actor.id) != MODERATOR_ROLE
        or not _role_acts(state, actor.id)
    ):
        raise Rejected("not_moderator", f"only this group's moderator chairs {scope!r}")


def decide_raise(
    state: WorkshopState, command: RaiseHand, actor: Actor, now: datetime
) -> list[SignalEvent]:
    """A hand goes up at the end of the queue of the participant's scope."""
    pid = _require_participant(state, actor)
    step = state.current_step
    assert step is not None
    if not step.permissions.allows("hand") or not _role_acts(state, pid):
        raise Rejected("action_not_allowed", f"no raised hands in step {step.key!r}")
    queued = _queued_scope(state, pid)
    if queued is not None:
        raise Rejected("already_queued", f"{pid!r} is already waiting in {queued!r}")
    return [HandRaised(participant_id=pid, scope=state.breakouts.scope_of(pid), at=now)]


def decide_lower(
    state: WorkshopState, command: LowerHand, actor: Actor, now: datetime
) -> list[SignalEvent]:
    """A participant lowers their own hand, in any step."""
    pid = _require_participant(state, actor)
    scope = _queued_scope(state, pid)
    if scope is None:
        raise Rejected("not_queued", f"{pid!r} has no hand up")
    return [HandLowered(participant_id=pid, scope=scope, at=now)]


def decide_call_next(
    state: WorkshopState, command: CallNext, actor: Actor, now: datetime
) -> list[SignalEvent]:
    """The longest-waiting hand of someone still in the workshop gets the floor."""
    _require_chair(state, actor, command.scope)
    waiting = [
        hand
        for hand in state.signals.queues.get(command.scope, ())
        if hand.participant_id in state.participants
    ]
    if not waiting:
        raise Rejected("queue_empty", f"nobody waits to speak in {command.scope!r}")
    first = waiting[0].participant_id
    if command.participant_id != first:
        raise Rejected(
            "stale_queue",
            f"{command.participant_id[:MAX_SCOPE_CHARS]!r} is not first in {command.scope!r}"
            " any more: look at the queue again",
        )
    return [SpeakerCalled(scope=command.scope, participant_id=first, by=actor.id, at=now)]


def decide_clear(
    state: WorkshopState, command: ClearQueue, actor: Actor, now: datetime
) -> list[SignalEvent]:
    """Every hand in the scope's queue goes down."""
    _require_chair(state, actor, command.scope)
    if not state.signals.queues.get(command.scope):
        raise Rejected("queue_empty", f"nobody waits to speak in {command.scope!r}")
    return [QueueCleared(scope=command.scope, by=actor.id, at=now)]


def decide_done(
    state: WorkshopState, command: SignalDone, actor: Actor, now: datetime
) -> list[SignalEvent]:
    """A participant is done with the current step run."""
    pid = _require_participant(state, actor)
    run = len(state.runs)
    if pid in state.signals.done.get(done_key(state.cursor, run), frozenset()):
        raise Rejected("already_done", f"{pid!r} said done already")
    return [DoneSignalled(participant_id=pid, step_index=state.cursor, run=run, at=now)]


def decide_withdraw_done(
    state: WorkshopState, command: WithdrawDone, actor: Actor, now: datetime
) -> list[SignalEvent]:
    """A participant takes their "I'm done" back."""
    pid = _require_participant(state, actor)
    run = len(state.runs)
    if pid not in state.signals.done.get(done_key(state.cursor, run), frozenset()):
        raise Rejected("not_done", f"{pid!r} has not said done in this step")
    return [DoneWithdrawn(participant_id=pid, step_index=state.cursor, run=run, at=now)]


# --- evolve -----------------------------------------------------------------------------


def _with_queue(state: WorkshopState, scope: str, hands: tuple[Hand, ...]) -> WorkshopState:
    queues = {key: value for key, value in state.signals.queues.items() if key != scope}
    if hands:
        queues[scope] = hands
    return replace(state, signals=replace(state.signals, queues=queues))


def evolve_raised(state: WorkshopState, event: HandRaised) -> WorkshopState:
    """One more hand at the end of the queue."""
    hands = state.signals.queues.get(event.scope, ())
    hand = Hand(participant_id=event.participant_id, raised_at=event.at)
    return _with_queue(state, event.scope, (*hands, hand))


def _without(state: WorkshopState, scope: str, pid: str) -> WorkshopState:
    hands = state.signals.queues.get(scope, ())
    return _with_queue(state, scope, tuple(h for h in hands if h.participant_id != pid))


def evolve_lowered(state: WorkshopState, event: HandLowered) -> WorkshopState:
    """One hand fewer."""
    return _without(state, event.scope, event.participant_id)


def evolve_called(state: WorkshopState, event: SpeakerCalled) -> WorkshopState:
    """The speaker leaves the queue and the call is recorded."""
    state = _without(state, event.scope, event.participant_id)
    call = SpeakerCall(
        participant_id=event.participant_id, scope=event.scope, by=event.by, at=event.at
    )
    return replace(state, signals=replace(state.signals, calls=(*state.signals.calls, call)))


def evolve_cleared(state: WorkshopState, event: QueueCleared) -> WorkshopState:
    """An empty queue."""
    return _with_queue(state, event.scope, ())


def _with_done(state: WorkshopState, key: str, ids: frozenset[str]) -> WorkshopState:
    done = {**state.signals.done, key: ids}
    return replace(state, signals=replace(state.signals, done=done))


def evolve_done(state: WorkshopState, event: DoneSignalled) -> WorkshopState:
    """One more participant done."""
    key = done_key(event.step_index, event.run)
    return _with_done(state, key, state.signals.done.get(key, frozenset()) | {event.participant_id})


def evolve_done_withdrawn(state: WorkshopState, event: DoneWithdrawn) -> WorkshopState:
    """One participant fewer done."""
    key = done_key(event.step_index, event.run)
    return _with_done(state, key, state.signals.done.get(key, frozenset()) - {event.participant_id})


# --- views ------------------------------------------------------------------------------


def queue_of(state: WorkshopState, scope: str) -> tuple[str, ...]:
    """The participant ids waiting to speak in ``scope``, longest-waiting first."""
    hands = state.signals.queues.get(scope, ())
    return tuple(h.participant_id for h in hands if h.participant_id in state.participants)


def speaking_counts(state: WorkshopState, scope: str | None = None) -> Mapping[str, int]:
    """How often each participant was given the floor (in ``scope``, or anywhere)."""
    counts: dict[str, int] = {}
    for call in state.signals.calls:
        if scope is None or call.scope == scope:
            counts[call.participant_id] = counts.get(call.participant_id, 0) + 1
    return counts


def done_by_group(state: WorkshopState) -> Mapping[str, tuple[int, int]]:
    """(done, total) per open breakout group, and for the plenary of everyone else."""
    if state.current_step is None:
        return {}
    done = state.signals.done.get(done_key(state.cursor, len(state.runs)), frozenset())
    present = set(state.participants)
    result: dict[str, tuple[int, int]] = {}
    grouped: set[str] = set()
    if state.breakouts.open:
        for group in state.breakouts.groups:
            members = present.intersection(group.members)
            result[group.id] = (len(members & done), len(members))
            grouped |= members
    rest = present - grouped
    if rest or not result:
        result[PLENARY] = (len(rest & done), len(rest))
    return result


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    RaiseHand: decide_raise,
    LowerHand: decide_lower,
    CallNext: decide_call_next,
    ClearQueue: decide_clear,
    SignalDone: decide_done,
    WithdrawDone: decide_withdraw_done,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    HandRaised: evolve_raised,
    HandLowered: evolve_lowered,
    SpeakerCalled: evolve_called,
    QueueCleared: evolve_cleared,
    DoneSignalled: evolve_done,
    DoneWithdrawn: evolve_done_withdrawn,
}
