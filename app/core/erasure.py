"""Erasure and anonymisation: personal data leaves the state through an event.

Two commands take personal data out of a workshop's state:

- ``EraseContributions``: a participant erases everything they contributed (notes, cards,
  Wicked Questions and answers, cluster titles they gave, canvas, check-out answers, dots,
  poll answers); with ``leave`` they also leave the workshop, like a removal.
- ``AnonymiseWorkshop``: the server's retention sweep anonymises an ended workshop: names
  become ``Teilnehmer:in N``, join attributes go, and everything the outcome record does not
  contain goes too (private canvases and check-out answers, unrevealed, hidden and
  confidential items, who chose what in anonymous polls and votes).

The evolvers only *remove*: what they leave behind never depends on the texts, names and
attributes they take away. ``app/erasure.py`` relies on that when it redacts those values in
the stored events *before* the erasure event: the fold of the redacted log equals the live
state, so a restarted server rebuilds the same workshop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.board import tombstone, without_dots_on
from app.core.boardrights import with_board
from app.core.boardstate import BoardState, Dot, Item, VoteRound
from app.core.errors import Rejected
from app.core.outcomes import exported, pseudonyms
from app.core.people import RemoveParticipant
from app.core.personalstate import Personal
from app.core.pollstate import Poll, Polls
from app.core.roster import RosterEvent, decide_leave
from app.core.state import Participant, WorkshopState

ANONYMOUS_VOTER = "anonym-{number}"  # voter labels of anonymous polls and vote rounds


@dataclass(frozen=True, kw_only=True)
class EraseContributions:
    """A participant erases their own contributions; ``leave`` also takes them out."""

    leave: bool = False
    type: Literal["contributions.erase"] = "contributions.erase"


@dataclass(frozen=True, kw_only=True)
class AnonymiseWorkshop:
    """The server anonymises an ended workshop whose retention period is over."""

    type: Literal["workshop.anonymise"] = "workshop.anonymise"


@dataclass(frozen=True, kw_only=True)
class ContributionsErased:
    """Everything ``participant_id`` contributed is gone from the state."""

    participant_id: str
    at: datetime
    leave: bool = False  # their removal follows in the same decision
    type: Literal["contributions.erased"] = "contributions.erased"


@dataclass(frozen=True, kw_only=True)
class WorkshopAnonymised:
    """The workshop keeps only its outcome record and pseudonymous people."""

    at: datetime
    type: Literal["workshop.anonymised"] = "workshop.anonymised"


ErasureCommand = EraseContributions | AnonymiseWorkshop
ErasureEvent = ContributionsErased | WorkshopAnonymised


# --- decide ------------------------------------------------------------------------------


def decide_erase(
    state: WorkshopState, command: EraseContributions, actor: Actor, now: datetime
) -> list[ContributionsErased | RosterEvent]:
    """Only the participant themselves erases their contributions, at any phase, also after
    a facilitator removed them (their token still proves who they were)."""
    if actor.kind != "participant":
        raise Rejected("not_participant", "only a participant erases their own contributions")
    leave = command.leave and actor.id in state.participants
    events: list[ContributionsErased | RosterEvent] = [
        ContributionsErased(participant_id=actor.id, at=now, leave=command.leave)
    ]
    if leave:
        # Leaving is a removal with everything that follows it (group, hands, done
        # signals); the rules of removal ask for a facilitator, and the owner always is one.
        steering = Actor("user", state.owner)
        events += decide_leave(state, RemoveParticipant(participant_id=actor.id), steering, now)
    return events


def decide_anonymise(
    state: WorkshopState, command: AnonymiseWorkshop, actor: Actor, now: datetime
) -> list[WorkshopAnonymised]:
    """Only the server, and only once the workshop has ended."""
    if actor.kind != "system":
        raise Rejected("not_facilitator", "workshops are anonymised by the server")
    if state.phase != "ended":
        raise Rejected("workshop_not_ended", f"workshop {state.id!r} has not ended")
    return [WorkshopAnonymised(at=now)]


# --- evolve ------------------------------------------------------------------------------


def _without_items(board: BoardState, gone: set[str]) -> dict[str, Any]:
    """Board changes that turn ``gone`` into tombstones and give the dots on them back."""
    items = dict(board.items)
    votes: Mapping[str, VoteRound] = board.votes
    for item_id in sorted(gone):
        items[item_id] = tombstone(items[item_id])
        votes = without_dots_on(votes, item_id)
    return {"items": items, "votes": dict(votes), "unrevealed": board.unrevealed - gone}


def _without_ballot(round_: VoteRound, voter: str) -> VoteRound:
    """A vote round without one voter's dots."""
    dots = round_.ballots.get(voter, ())
    if not dots:
        return round_
    tallies = {scope: dict(counts) for scope, counts in round_.tallies.items()}
    for dot in dots:
        counts = tallies.setdefault(dot.scope, {})
        counts[dot.item_id] = counts.get(dot.item_id, 0) - 1
        if counts[dot.item_id] <= 0:
            del counts[dot.item_id]
    ballots = {who: ballot for who, ballot in round_.ballots.items() if who != voter}
    return replace(round_, ballots=ballots, tallies=tallies)


def _without_answer(poll: Poll, voter: str) -> Poll:
    """A poll without one voter's answer; a closed anonymous poll's tallies stay as they are
    (they no longer say who chose what)."""
    choices = poll.answers.get(voter, ())
    tallies = list(poll.tallies)
    slot = {value: index for index, value in enumerate(poll.values)}
    for value in choices:
        tallies[slot[value]] -= 1
    answers = {who: chosen for who, chosen in poll.answers.items() if who != voter}
    return replace(poll, tallies=tuple(tallies), answers=answers, voters=poll.voters - {voter})


def evolve_erased(state: WorkshopState, event: ContributionsErased) -> WorkshopState:
    """The participant's items become tombstones, and their answers, canvas, reflections,
    dots and poll answers go; clusters they made keep their notes but lose their title."""
    pid = event.participant_id
    board = state.board
    own = {item.id for item in board.items.values() if item.author == pid}
    changes = _without_items(board, own)
    items: dict[str, Item] = changes["items"]
    for item_id, item in list(items.items()):
        if any(answer.author == pid for answer in item.answers):
            kept = tuple(answer for answer in item.answers if answer.author != pid)
            items[item_id] = replace(item, answers=kept)
    clusters = {
        key: replace(cluster, title="") if cluster.author == pid else cluster
        for key, cluster in board.clusters.items()
    }
    votes = {key: _without_ballot(round_, pid) for key, round_ in changes["votes"].items()}
    personal = Personal(
        canvases={owner: c for owner, c in state.personal.canvases.items() if owner != pid},
        reflections={owner: r for owner, r in state.personal.reflections.items() if owner != pid},
    )
    polls = Polls(
        by_id={poll_id: _without_answer(p, pid) for poll_id, p in state.polls.by_id.items()}
    )
    erased = with_board(state, items=items, votes=votes, clusters=clusters)
    erased = with_board(erased, unrevealed=changes["unrevealed"])
    return replace(erased, personal=personal, polls=polls)


def _labelled(ballots: Mapping[str, tuple[Dot, ...]]) -> dict[str, tuple[Dot, ...]]:
    """Ballots under labels that depend only on what was chosen, never on who chose."""
    ordered = sorted(ballots.values(), key=lambda dots: [(d.item_id, d.scope) for d in dots])
    return {ANONYMOUS_VOTER.format(number=n): dots for n, dots in enumerate(ordered, start=1)}


def anonymous_poll(poll: Poll) -> Poll:
    """An anonymous poll that keeps its tallies and how many answered, nothing else."""
    voters = frozenset(ANONYMOUS_VOTER.format(number=n) for n in range(1, len(poll.voters) + 1))
    return replace(poll, answers={}, voters=voters)


def evolve_anonymised(state: WorkshopState, event: WorkshopAnonymised) -> WorkshopState:
    """Pseudonyms for names; only what the outcome record holds stays."""
    names = pseudonyms(state)
    participants = {
        pid: Participant(id=pid, name=names[pid], joined_at=p.joined_at, agreement=p.agreement)
        for pid, p in state.participants.items()
    }
    board = state.board
    gone = {item.id for item in board.items.values() if not item.deleted and not exported(item)}
    changes = _without_items(board, gone)
    changes["votes"] = {
        key: replace(round_, ballots=_labelled(round_.ballots)) if round_.anonymous else round_
        for key, round_ in changes["votes"].items()
    }
    personal = Personal(
        canvases={o: c for o, c in state.personal.canvases.items() if "export" in c.consents},
        reflections={
            owner: {q: r for q, r in answers.items() if "export" in r.consents}
            for owner, answers in state.personal.reflections.items()
            if any("export" in r.consents for r in answers.values())
        },
    )
    polls = Polls(
        by_id={
            poll_id: anonymous_poll(poll) if poll.anonymous else poll
            for poll_id, poll in state.polls.by_id.items()
        }
    )
    anonymised = with_board(state, **changes)
    return replace(anonymised, participants=participants, personal=personal, polls=polls)


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    EraseContributions: decide_erase,
    AnonymiseWorkshop: decide_anonymise,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    ContributionsErased: evolve_erased,
    WorkshopAnonymised: evolve_anonymised,
}
