"""Dot voting with hidden tallies, and what happens to a step's board when it ends.

A step with ``dots > 0`` opens one vote round (keyed by the step's plan key): every voter
may place that many dots, several on one item if they like, and take them back while the
round is hidden. Ballots are kept per voter, so a viewer can see their own choices; in an
``anonymous`` step the round is flagged so nobody else ever sees whose dots they are.
Tallies are kept incrementally per scope (the voter's group, or the plenary) and stay
hidden until they are revealed: by a facilitator for the whole step, automatically for one
scope once every acting participant there has used their whole budget (the ``CastVote``
decider emits ``VotesRevealed`` right after the last dot), or when the step ends
(``on_step_leave``). A revealed scope takes no more dots, so nobody votes tactically on a
visible result. Facilitators may vote too; their dots count where the item lives and never
hold back an automatic reveal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.boardrights import (
    BoardActor,
    board_actor,
    item_for,
    require_acting_role,
    require_facilitator,
    with_board,
)
from app.core.boardstate import Dot, VoteRound
from app.core.errors import Rejected
from app.core.groups import PLENARY
from app.core.moderation import ItemsRevealed, pending_reveal
from app.core.plan import PlanStep
from app.core.state import WorkshopState

VoteRevealCause = Literal["facilitator", "all_voted", "step_end"]


@dataclass(frozen=True, kw_only=True)
class CastVote:
    """Place one dot on an item of the current step's vote."""

    item_id: str
    type: Literal["vote.cast"] = "vote.cast"


@dataclass(frozen=True, kw_only=True)
class RetractVote:
    """Take one of one's dots back from an item."""

    item_id: str
    type: Literal["vote.retract"] = "vote.retract"


@dataclass(frozen=True, kw_only=True)
class RevealVotes:
    """A facilitator shows the tallies of a step's vote (the current step's by default)."""

    step_index: int | None = None
    type: Literal["votes.reveal"] = "votes.reveal"


@dataclass(frozen=True, kw_only=True)
class VoteCast:
    """One dot placed; it counts in ``scope``."""

    voter: str
    item_id: str
    step_index: int
    scope: str
    anonymous: bool = False
    at: datetime
    type: Literal["vote.recorded"] = "vote.recorded"


@dataclass(frozen=True, kw_only=True)
class VoteRetracted:
    """One dot taken back from the tally of ``scope``."""

    voter: str
    item_id: str
    step_index: int
    scope: str
    at: datetime
    type: Literal["vote.retracted"] = "vote.retracted"


@dataclass(frozen=True, kw_only=True)
class VotesRevealed:
    """Tallies of a step's vote are visible: of the ``scopes`` named, or all (``None``)."""

    step_index: int
    scopes: tuple[str, ...] | None = None
    cause: VoteRevealCause
    at: datetime
    type: Literal["votes.revealed"] = "votes.revealed"


VoteCommand = CastVote | RetractVote | RevealVotes
VoteEvent = VoteCast | VoteRetracted | VotesRevealed


def _voting_step(state: WorkshopState, who: BoardActor) -> PlanStep:
    step = state.current_step
    if step is None or step.permissions.dots <= 0:
        name = step.key if step else "none"
        raise Rejected("action_not_allowed", f"step {name!r} does not allow 'dots'")
    require_acting_role(state, who)
    return step


def _voters_in(state: WorkshopState, scope: str, step: PlanStep) -> list[str]:
    """Participants whose dots count in ``scope`` now and whose role acts in ``step``."""
    groups = state.breakouts.groups if state.breakouts.open else ()
    if scope == PLENARY:
        grouped = {pid for group in groups for pid in group.members}
        members = [pid for pid in state.participants if pid not in grouped]
        roles: dict[str, str] = {}
    else:
        group = next((g for g in groups if g.id == scope), None)
        members = [pid for pid in group.members if pid in state.participants] if group else []
        roles = dict(group.roles) if group else {}
    listening = {spec.id for spec in step.roles if not spec.acts}
    return [pid for pid in members if roles.get(pid) not in listening]


def decide_cast(
    state: WorkshopState, command: CastVote, actor: Actor, now: datetime
) -> list[VoteEvent]:
    """Place a dot within the budget; the last dot of a scope reveals its tallies."""
    who = board_actor(state, actor)
    step = _voting_step(state, who)
    item = item_for(state, who, command.item_id)
    # a participant's dot counts in their own scope, a facilitator's where the item lives
    scope = (PLENARY if item.harvested else item.scope) if who.facilitator else who.scope
    round_ = state.board.votes.get(step.key)
    if round_ is not None and round_.is_revealed(scope):
        raise Rejected("votes_revealed", f"the vote of step {step.key!r} is revealed already")
    used = round_.used(who.id) if round_ else 0
    budget = step.permissions.dots
    if used >= budget:
        raise Rejected("vote_budget_exhausted", f"all {budget} dots of step {step.key!r} are used")
    cast = VoteCast(
        voter=who.id,
        item_id=item.id,
        step_index=state.cursor,
        scope=scope,
        anonymous=step.permissions.anonymous,
        at=now,
    )
    if who.facilitator or used + 1 < budget:
        return [cast]
    others = [pid for pid in _voters_in(state, scope, step) if pid != who.id]
    if all(round_ is not None and round_.used(pid) >= budget for pid in others):
        reveal = VotesRevealed(step_index=state.cursor, scopes=(scope,), cause="all_voted", at=now)
        return [cast, reveal]
    return [cast]


def decide_retract(
    state: WorkshopState, command: RetractVote, actor: Actor, now: datetime
) -> list[VoteEvent]:
    """Take back the latest of one's dots on an item, while its scope is hidden."""
    who = board_actor(state, actor)
    step = _voting_step(state, who)
    round_ = state.board.votes.get(step.key)
    ballot = round_.ballots.get(who.id, ()) if round_ else ()
    dot = next((dot for dot in reversed(ballot) if dot.item_id == command.item_id), None)
    if round_ is None or dot is None:
        raise Rejected("no_such_vote", f"no dot of yours on {command.item_id!r} in this step")
    if round_.is_revealed(dot.scope):
        raise Rejected("votes_revealed", f"the vote of step {step.key!r} is revealed already")
    return [
        VoteRetracted(
            voter=who.id, item_id=dot.item_id, step_index=state.cursor, scope=dot.scope, at=now
        )
    ]


def decide_reveal_votes(
    state: WorkshopState, command: RevealVotes, actor: Actor, now: datetime
) -> list[VoteEvent]:
    """Reveal every scope's tallies of a step's vote."""
    require_facilitator(state, actor, system=True)
    index = state.cursor if command.step_index is None else command.step_index
    if not 0 <= index < len(state.plan):
        raise Rejected("no_such_step", f"step {index} is outside the plan")
    step = state.plan[index]
    if step.permissions.dots <= 0:
        raise Rejected("invalid_argument", f"step {step.key!r} has no dot vote")
    round_ = state.board.votes.get(step.key)
    if round_ is not None and round_.revealed_all:
        raise Rejected("already_revealed", f"the vote of step {step.key!r} is revealed already")
    return [VotesRevealed(step_index=index, scopes=None, cause="facilitator", at=now)]


def on_step_leave(state: WorkshopState, now: datetime) -> list[VoteEvent | ItemsRevealed]:
    """What the board does when the current step ends: reveal its votes and private writing."""
    step = state.current_step
    if step is None:
        return []
    events: list[VoteEvent | ItemsRevealed] = []
    round_ = state.board.votes.get(step.key)
    if round_ is not None and not round_.revealed_all:
        events.append(VotesRevealed(step_index=state.cursor, cause="step_end", at=now))
    pending = pending_reveal(state, step_index=state.cursor)
    if pending:
        events.append(ItemsRevealed(item_ids=pending, cause="step_end", at=now))
    return events


def revealed_dots(state: WorkshopState, item_id: str) -> int:
    """Dots on an item over every vote round, counting only revealed tallies."""
    return sum(
        counts.get(item_id, 0)
        for round_ in state.board.votes.values()
        for scope, counts in round_.tallies.items()
        if round_.is_revealed(scope)
    )


def _round(state: WorkshopState, index: int, anonymous: bool = False) -> VoteRound:
    step = state.plan[index]
    existing = state.board.votes.get(step.key)
    if existing is not None:
        return existing
    return VoteRound(step_index=index, budget=step.permissions.dots, anonymous=anonymous)


def _with_round(state: WorkshopState, round_: VoteRound) -> WorkshopState:
    key = state.plan[round_.step_index].key
    return with_board(state, votes={**state.board.votes, key: round_})


def _count(round_: VoteRound, scope: str, item_id: str, delta: int) -> dict[str, Any]:
    counts = dict(round_.tallies.get(scope, {}))
    counts[item_id] = counts.get(item_id, 0) + delta
    if counts[item_id] <= 0:
        del counts[item_id]
    return {**round_.tallies, scope: counts}


def evolve_cast(state: WorkshopState, event: VoteCast) -> WorkshopState:
    """One more dot on the voter's ballot and in the scope's tally."""
    round_ = _round(state, event.step_index, event.anonymous)
    ballot = (*round_.ballots.get(event.voter, ()), Dot(item_id=event.item_id, scope=event.scope))
    return _with_round(
        state,
        replace(
            round_,
            ballots={**round_.ballots, event.voter: ballot},
            tallies=_count(round_, event.scope, event.item_id, 1),
        ),
    )


def evolve_retracted(state: WorkshopState, event: VoteRetracted) -> WorkshopState:
    """The voter's latest dot on the item is gone."""
    round_ = _round(state, event.step_index)
    ballot = list(round_.ballots.get(event.voter, ()))
    for position in range(len(ballot) - 1, -1, -1):
        if ballot[position].item_id == event.item_id:
            del ballot[position]
            break
    ballots = {voter: dots for voter, dots in round_.ballots.items() if voter != event.voter}
    if ballot:
        ballots[event.voter] = tuple(ballot)
    tallies = _count(round_, event.scope, event.item_id, -1)
    return _with_round(state, replace(round_, ballots=ballots, tallies=tallies))


def evolve_revealed(state: WorkshopState, event: VotesRevealed) -> WorkshopState:
    """Tallies of the named scopes, or of all, may be shown."""
    step = state.plan[event.step_index]
    round_ = _round(state, event.step_index, step.permissions.anonymous)
    if event.scopes is None:
        return _with_round(state, replace(round_, revealed_all=True))
    scopes = round_.revealed_scopes | set(event.scopes)
    return _with_round(state, replace(round_, revealed_scopes=scopes))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    CastVote: decide_cast,
    RetractVote: decide_retract,
    RevealVotes: decide_reveal_votes,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    VoteCast: evolve_cast,
    VoteRetracted: evolve_retracted,
    VotesRevealed: evolve_revealed,
}
