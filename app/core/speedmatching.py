"""Speed matching: plan the rotation, rate partners privately, form and switch the pairs.

A facilitator plans the rotation (``PlanSpeedMatching``), optionally naming the mentors;
every ``OpenBreakouts(strategy="rotation")`` then opens the next round of that plan (see
``breakouts.py``), with anyone who has no partner this round waiting in the plenary. After
meeting someone, a participant rates them 1–4 (``RateMatch``; again to change it). The
ratings are kept per rater and are for the matching only: a viewer may see their own and no
one else's. ``FormMatches`` pairs people from the mutual ratings (``matching.py``), and
``SwitchPartner`` later lets someone leave their pair for their best free option.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.breakouts import (
    require_facilitator,
    require_live_participant,
    require_participant_id,
    seed_of,
)
from app.core.errors import Rejected
from app.core.grouping import seeded_order
from app.core.matching import (
    MAX_SCORE,
    MIN_SCORE,
    Schedule,
    best_option,
    max_rounds,
    mutual_matching,
    round_robin,
    stable_matching,
    two_sided_rotation,
)
from app.core.matchingstate import Pair, SpeedMatching
from app.core.state import WorkshopState


@dataclass(frozen=True, kw_only=True)
class PlanSpeedMatching:
    """A facilitator plans the rounds over everyone here (mentors stay, mentees rotate)."""

    mentors: tuple[str, ...] = ()  # empty: everyone meets everyone
    rounds: int | None = None  # None: as many rounds as there are without repeats
    type: Literal["matching.plan"] = "matching.plan"


@dataclass(frozen=True, kw_only=True)
class RateMatch:
    """A participant privately rates someone they met: 1 definitely not … 4 definitely yes."""

    partner_id: str
    score: int
    type: Literal["matching.rate"] = "matching.rate"


@dataclass(frozen=True, kw_only=True)
class FormMatches:
    """A facilitator pairs people from the mutual ratings."""

    type: Literal["matching.form"] = "matching.form"


@dataclass(frozen=True, kw_only=True)
class SwitchPartner:
    """A participant (or a facilitator for them) leaves their pair for their next best option."""

    participant_id: str
    type: Literal["matching.switch"] = "matching.switch"


@dataclass(frozen=True, kw_only=True)
class SpeedMatchingPlanned:
    """The rounds of a speed-matching run, as computed."""

    mentors: tuple[str, ...]
    schedule: Schedule
    at: datetime
    type: Literal["matching.planned"] = "matching.planned"


@dataclass(frozen=True, kw_only=True)
class MatchRated:
    """A participant's private rating of someone they met (replaces an earlier one)."""

    rater_id: str
    partner_id: str
    score: int
    at: datetime
    type: Literal["matching.rated"] = "matching.rated"


@dataclass(frozen=True, kw_only=True)
class MatchesFormed:
    """The pairs formed from the ratings (mentor first when there are mentors)."""

    pairs: tuple[Pair, ...]
    at: datetime
    type: Literal["matching.formed"] = "matching.formed"


@dataclass(frozen=True, kw_only=True)
class PartnerSwitched:
    """Someone left their pair; ``partner`` is their new one, if anyone was free."""

    participant_id: str
    previous_partner: str
    partner: str | None
    at: datetime
    type: Literal["matching.switched"] = "matching.switched"


MatchingCommand = PlanSpeedMatching | RateMatch | FormMatches | SwitchPartner
MatchingEvent = SpeedMatchingPlanned | MatchRated | MatchesFormed | PartnerSwitched


def _oriented(matching: SpeedMatching, first: str, second: str) -> Pair:
    """A pair with the mentor first, or in id order without mentors."""
    if second in matching.mentors or (not matching.mentors and second < first):
        return second, first
    return first, second


def decide_plan(
    state: WorkshopState, command: PlanSpeedMatching, actor: Actor, now: datetime
) -> list[MatchingEvent]:
    """Compute the rotation over the participants here now."""
    require_facilitator(state, actor)
    for mentor in command.mentors:
        require_participant_id(state, mentor)
    mentors = sorted(set(command.mentors))
    people = sorted(state.participants)
    possible = max_rounds(len(people), len(mentors))
    if possible == 0:
        raise Rejected(
            "invalid_argument", "speed matching needs two people, and mentees besides the mentors"
        )
    rounds = possible if command.rounds is None else command.rounds
    if not 1 <= rounds <= possible:
        raise Rejected("invalid_argument", f"rounds: 1 to {possible} rounds without a repeat")
    seed = seed_of(state)
    if mentors:
        mentees = seeded_order((p for p in people if p not in mentors), seed)
        schedule = two_sided_rotation(seeded_order(mentors, seed), mentees, rounds)
    else:
        schedule = round_robin(seeded_order(people, seed), rounds)
    return [SpeedMatchingPlanned(mentors=tuple(mentors), schedule=schedule, at=now)]


def decide_rate(
    state: WorkshopState, command: RateMatch, actor: Actor, now: datetime
) -> list[MatchingEvent]:
    """Record a participant's rating of someone they shared a group with."""
    require_live_participant(state, actor)
    require_participant_id(state, command.partner_id)
    if command.partner_id == actor.id:
        raise Rejected("invalid_argument", "partner_id: rate someone else")
    if not MIN_SCORE <= command.score <= MAX_SCORE:
        raise Rejected("invalid_argument", f"score: {MIN_SCORE} to {MAX_SCORE}")
    if not state.breakouts.has_met(actor.id, command.partner_id):
        raise Rejected("not_met", f"you have not met {command.partner_id!r} in a group")
    return [
        MatchRated(rater_id=actor.id, partner_id=command.partner_id, score=command.score, at=now)
    ]


def decide_form(
    state: WorkshopState, command: FormMatches, actor: Actor, now: datetime
) -> list[MatchingEvent]:
    """Pair people: mentees propose to mentors (stable), or greedily without sides."""
    require_facilitator(state, actor)
    matching = state.matching
    people = sorted(state.participants)
    if matching.mentors:
        mentors = [p for p in people if p in matching.mentors]
        mentees = [p for p in people if p not in matching.mentors]
        chosen = stable_matching(mentees, mentors, matching.ratings, matching.dissolved)
        pairs = tuple((mentor, mentee) for mentee, mentor in sorted(chosen.items()))
    else:
        pairs = tuple(mutual_matching(people, matching.ratings, matching.dissolved))
    return [MatchesFormed(pairs=pairs, at=now)]


def decide_switch(
    state: WorkshopState, command: SwitchPartner, actor: Actor, now: datetime
) -> list[MatchingEvent]:
    """Dissolve someone's pair and match them with their best free option, if any."""
    if state.is_facilitator(actor):
        require_facilitator(state, actor)
    else:
        require_live_participant(state, actor)
        if actor.id != command.participant_id:
            raise Rejected("not_facilitator", "participants switch only their own partner")
    require_participant_id(state, command.participant_id)
    matching = state.matching
    pid = command.participant_id
    previous = matching.partner_of(pid)
    if previous is None:
        raise Rejected("invalid_argument", f"{pid!r} has no partner to switch from")
    matched = {person for pair in matching.matches for person in pair}
    if not matching.mentors:
        side = set(state.participants)
    elif pid in matching.mentors:
        side = set(state.participants) - matching.mentors
    else:
        side = set(matching.mentors)
    free = sorted(p for p in side if p not in matched and p != pid)
    excluded = matching.dissolved | {frozenset({pid, previous})}
    partner = best_option(pid, free, matching.ratings, excluded)
    return [PartnerSwitched(participant_id=pid, previous_partner=previous, partner=partner, at=now)]


def evolve_planned(state: WorkshopState, event: SpeedMatchingPlanned) -> WorkshopState:
    """A fresh plan: rounds start over; ratings stay, earlier pairs go."""
    matching = SpeedMatching(
        mentors=frozenset(event.mentors),
        schedule=event.schedule,
        ratings=state.matching.ratings,
    )
    return replace(state, matching=matching)


def evolve_rated(state: WorkshopState, event: MatchRated) -> WorkshopState:
    """The rater's score for that partner."""
    ratings = state.matching.ratings
    own = {**ratings.get(event.rater_id, {}), event.partner_id: event.score}
    matching = replace(state.matching, ratings={**ratings, event.rater_id: own})
    return replace(state, matching=matching)


def evolve_formed(state: WorkshopState, event: MatchesFormed) -> WorkshopState:
    """The pairs as formed."""
    return replace(state, matching=replace(state.matching, matches=event.pairs, formed=True))


def evolve_switched(state: WorkshopState, event: PartnerSwitched) -> WorkshopState:
    """The old pair is dissolved for good; the new one, if any, takes its place."""
    matching = state.matching
    pid = event.participant_id
    pairs = [pair for pair in matching.matches if pid not in pair]
    if event.partner is not None:
        pairs.append(_oriented(matching, pid, event.partner))
    dissolved = matching.dissolved | {frozenset({pid, event.previous_partner})}
    return replace(state, matching=replace(matching, matches=tuple(pairs), dissolved=dissolved))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    PlanSpeedMatching: decide_plan,
    RateMatch: decide_rate,
    FormMatches: decide_form,
    SwitchPartner: decide_switch,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    SpeedMatchingPlanned: evolve_planned,
    MatchRated: evolve_rated,
    MatchesFormed: evolve_formed,
    PartnerSwitched: evolve_switched,
}
