"""Polls: facilitators open, reveal and close them; participants answer once and may change.

A participant answers an open poll while the current step allows ``poll``, or while the
step run the poll was opened in is still the current one: a facilitator's ad-hoc mood poll
("how are you right now?") works in any step, and stops taking answers when the room
moves on unless the next step allows polls as well. One answer per participant; a new
answer replaces the old one and the tallies follow. Results stay hidden from participants
until a facilitator reveals or closes the poll. Anonymous is the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.errors import Rejected
from app.core.people import clean_name
from app.core.personal import ID_PATTERN
from app.core.pollstate import MOOD_SCALE, Poll
from app.core.state import WorkshopState

MAX_POLLS = 100
MAX_QUESTION_CHARS = 200
MAX_OPTION_CHARS = 80
MIN_OPTIONS = 2
MAX_OPTIONS = 10


@dataclass(frozen=True, kw_only=True)
class OpenPoll:
    """Ask the room a question; no options means a 1-5 mood scale."""

    poll_id: str
    question: str
    options: tuple[str, ...] = ()
    anonymous: bool = True
    multiple: bool = False
    type: Literal["poll.open"] = "poll.open"


@dataclass(frozen=True, kw_only=True)
class AnswerPoll:
    """Answer a poll (option indexes, or one mood value 1-5); answering again replaces."""

    poll_id: str
    choices: tuple[int, ...]
    type: Literal["poll.answer"] = "poll.answer"


@dataclass(frozen=True, kw_only=True)
class RevealPoll:
    """Show the tallies of an open poll to the participants."""

    poll_id: str
    type: Literal["poll.reveal"] = "poll.reveal"


@dataclass(frozen=True, kw_only=True)
class ClosePoll:
    """Stop taking answers; the tallies become visible."""

    poll_id: str
    type: Literal["poll.close"] = "poll.close"


@dataclass(frozen=True, kw_only=True)
class PollOpened:
    """A poll takes answers."""

    poll_id: str
    question: str
    options: tuple[str, ...]
    anonymous: bool
    multiple: bool
    opened_by: str
    step_index: int
    run: int
    at: datetime
    type: Literal["poll.opened"] = "poll.opened"


@dataclass(frozen=True, kw_only=True)
class PollAnswered:
    """A participant's answer is now ``choices`` (sorted, distinct)."""

    poll_id: str
    participant_id: str
    choices: tuple[int, ...]
    at: datetime
    type: Literal["poll.answered"] = "poll.answered"


@dataclass(frozen=True, kw_only=True)
class PollRevealed:
    """Participants may see the tallies."""

    poll_id: str
    at: datetime
    type: Literal["poll.revealed"] = "poll.revealed"


@dataclass(frozen=True, kw_only=True)
class PollClosed:
    """The poll takes no more answers."""

    poll_id: str
    at: datetime
    type: Literal["poll.closed"] = "poll.closed"


PollCommand = OpenPoll | AnswerPoll | RevealPoll | ClosePoll
PollEvent = PollOpened | PollAnswered | PollRevealed | PollClosed


def _require_facilitator(state: WorkshopState, actor: Actor) -> None:
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if not state.is_facilitator(actor):
        raise Rejected("not_facilitator", "only facilitators open, reveal and close polls")


def _poll(state: WorkshopState, poll_id: str) -> Poll:
    poll = state.polls.by_id.get(poll_id)
    if poll is None:
        raise Rejected("no_such_poll", f"no poll {poll_id!r}")
    return poll


def _open_poll(state: WorkshopState, poll_id: str) -> Poll:
    poll = _poll(state, poll_id)
    if poll.status == "closed":
        raise Rejected("poll_closed", f"poll {poll_id!r} is closed")
    return poll


def _checked_line(value: str, name: str, limit: int) -> str:
    text = clean_name(value)
    if not 1 <= len(text) <= limit:
        raise Rejected("invalid_argument", f"{name} has 1 to {limit} characters")
    return text


def decide_open(
    state: WorkshopState, command: OpenPoll, actor: Actor, now: datetime
) -> list[PollEvent]:
    """A facilitator opens a poll (in the lobby too, to have it ready)."""
    _require_facilitator(state, actor)
    if not ID_PATTERN.fullmatch(command.poll_id):
        raise Rejected("invalid_argument", "poll_id has 1 to 40 letters, digits, - or _")
    if command.poll_id in state.polls.by_id:
        raise Rejected("invalid_argument", f"poll {command.poll_id!r} exists already")
    if len(state.polls.by_id) >= MAX_POLLS:
        raise Rejected("invalid_argument", f"a workshop has at most {MAX_POLLS} polls")
    question = _checked_line(command.question, "question", MAX_QUESTION_CHARS)
    options = tuple(_checked_line(o, "an option", MAX_OPTION_CHARS) for o in command.options)
    if options and not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise Rejected(
            "invalid_argument",
            f"a poll has {MIN_OPTIONS} to {MAX_OPTIONS} options, or none for a mood scale",
        )
    if len(set(options)) != len(options):
        raise Rejected("invalid_argument", "the options of a poll differ from each other")
    if command.multiple and not options:
        raise Rejected("invalid_argument", "a mood scale takes a single answer")
    opened = PollOpened(
        poll_id=command.poll_id,
        question=question,
        options=options,
        anonymous=command.anonymous,
        multiple=command.multiple,
        opened_by=actor.id,
        step_index=state.cursor,
        run=len(state.runs),
        at=now,
    )
    return [opened]


def decide_answer(
    state: WorkshopState, command: AnswerPoll, actor: Actor, now: datetime
) -> list[PollEvent]:
    """A participant answers an open poll, replacing an earlier answer."""
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if not state.is_participant(actor):
        raise Rejected("not_participant", "only participants answer polls")
    step = state.current_step
    if step is None:
        raise Rejected("workshop_not_started", f"workshop {state.id!r} has not started yet")
    poll = _open_poll(state, command.poll_id)
    if not (step.permissions.allows("poll") or poll.run == len(state.runs)):
        raise Rejected("action_not_allowed", f"step {step.key!r} takes no poll answers")
    if poll.anonymous and poll.revealed:
        # with the tallies on screen, a change after the reveal would show who chose what
        raise Rejected("poll_revealed", f"anonymous poll {poll.id!r} shows its results already")
    choices = tuple(sorted(set(command.choices)))
    if (
        not choices
        or len(choices) != len(command.choices)
        or any(choice not in poll.values for choice in choices)
        or (len(choices) > 1 and not poll.multiple)
    ):
        raise Rejected(
            "invalid_choice",
            f"poll {poll.id!r} takes {'distinct values' if poll.multiple else 'one value'}"
            f" from {list(poll.values)}",
        )
    return [PollAnswered(poll_id=poll.id, participant_id=actor.id, choices=choices, at=now)]


def decide_reveal(
    state: WorkshopState, command: RevealPoll, actor: Actor, now: datetime
) -> list[PollEvent]:
    """A facilitator shows an open poll's tallies to the room."""
    _require_facilitator(state, actor)
    poll = _open_poll(state, command.poll_id)
    if poll.revealed:
        raise Rejected("invalid_argument", f"poll {poll.id!r} is revealed already")
    return [PollRevealed(poll_id=poll.id, at=now)]


def decide_close(
    state: WorkshopState, command: ClosePoll, actor: Actor, now: datetime
) -> list[PollEvent]:
    """A facilitator closes a poll for good."""
    _require_facilitator(state, actor)
    poll = _open_poll(state, command.poll_id)
    return [PollClosed(poll_id=poll.id, at=now)]


# --- evolve -----------------------------------------------------------------------------


def _with_poll(state: WorkshopState, poll: Poll) -> WorkshopState:
    polls = replace(state.polls, by_id={**state.polls.by_id, poll.id: poll})
    return replace(state, polls=polls)


def evolve_opened(state: WorkshopState, event: PollOpened) -> WorkshopState:
    """A new open poll with zero tallies."""
    poll = Poll(
        id=event.poll_id,
        question=event.question,
        options=event.options,
        anonymous=event.anonymous,
        multiple=event.multiple,
        opened_by=event.opened_by,
        opened_at=event.at,
        step_index=event.step_index,
        run=event.run,
        tallies=(0,) * (len(event.options) or len(MOOD_SCALE)),
    )
    return _with_poll(state, poll)


def evolve_answered(state: WorkshopState, event: PollAnswered) -> WorkshopState:
    """The voter's old choices leave the tallies, the new ones enter."""
    poll = state.polls.by_id[event.poll_id]
    slot = {value: index for index, value in enumerate(poll.values)}
    tallies = list(poll.tallies)
    for value in poll.answers.get(event.participant_id, ()):
        tallies[slot[value]] -= 1
    for value in event.choices:
        tallies[slot[value]] += 1
    answered = replace(
        poll,
        tallies=tuple(tallies),
        answers={**poll.answers, event.participant_id: event.choices},
        voters=poll.voters | {event.participant_id},
    )
    return _with_poll(state, answered)


def evolve_revealed(state: WorkshopState, event: PollRevealed) -> WorkshopState:
    """Tallies public."""
    return _with_poll(state, replace(state.polls.by_id[event.poll_id], revealed=True))


def evolve_closed(state: WorkshopState, event: PollClosed) -> WorkshopState:
    """No more answers; an anonymous poll keeps only its tallies and voters."""
    poll = state.polls.by_id[event.poll_id]
    answers = {} if poll.anonymous else poll.answers
    closed = replace(poll, status="closed", closed_at=event.at, answers=answers)
    return _with_poll(state, closed)


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    OpenPoll: decide_open,
    AnswerPoll: decide_answer,
    RevealPoll: decide_reveal,
    ClosePoll: decide_close,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    PollOpened: evolve_opened,
    PollAnswered: evolve_answered,
    PollRevealed: evolve_revealed,
    PollClosed: evolve_closed,
}
