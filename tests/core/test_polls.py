"""Polls: opened by facilitators, answered once per participant, tallies always a recount."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import FakeClock
from app.core.actors import Actor
from app.core.commands import EndWorkshop, NextStep
from app.core.errors import Rejection
from app.core.polls import MAX_OPTIONS, AnswerPoll, ClosePoll, OpenPoll, RevealPoll
from app.core.reducer import decide, evolve
from app.core.state import WorkshopState
from tests.factories import OWNER, PARTICIPANT, STRANGER, running_workshop, step_allowing
from tests.factories import act as apply
from tests.factories import refusal as refused

P2 = Actor("participant", "p-2")
VOTERS = ("p-1", "p-2", "p-3", "p-4")
STEPS = (
    step_allowing("s0/talk", "notes"),
    step_allowing("s1/talk", "notes"),
    step_allowing("s2/checkout", "poll", "reflection"),
)
COLOURS = OpenPoll(poll_id="colour", question="Which colour?", options=("red", "green", "blue"))
MOOD = OpenPoll(poll_id="mood", question="How do you leave?")


def recount(answers: dict[str, tuple[int, ...]], values: tuple[int, ...]) -> tuple[int, ...]:
    """Tallies counted from scratch."""
    return tuple(sum(value in chosen for chosen in answers.values()) for value in values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def room(clock: FakeClock) -> WorkshopState:
    return running_workshop(STEPS, clock.now(), VOTERS)


def test_only_facilitators_open_reveal_and_close_polls(room, clock):
    """Participants and strangers are refused; the owner opens a poll with zero tallies."""
    assert refused(room, COLOURS, PARTICIPANT, clock.now()) == "not_facilitator"
    assert refused(room, COLOURS, STRANGER, clock.now()) == "not_facilitator"
    state = apply(room, COLOURS, OWNER, clock.now())
    poll = state.polls.by_id["colour"]
    assert (poll.tallies, poll.status, poll.anonymous, poll.opened_by) == (
        (0, 0, 0),
        "open",
        True,
        OWNER.id,
    )
    for command in (RevealPoll(poll_id="colour"), ClosePoll(poll_id="colour")):
        assert refused(state, command, PARTICIPANT, clock.now()) == "not_facilitator"
    assert refused(state, ClosePoll(poll_id="nope"), OWNER, clock.now()) == "no_such_poll"


@pytest.mark.parametrize(
    "command",
    [
        OpenPoll(poll_id="p", question="Q?", options=("only one",)),
        OpenPoll(
            poll_id="p", question="Q?", options=tuple(f"o{n}" for n in range(MAX_OPTIONS + 1))
        ),
        OpenPoll(poll_id="p", question="Q?", options=("same", " same ")),
        OpenPoll(poll_id="p", question="Q?", options=("a", "\x00")),
        OpenPoll(poll_id="p", question="  "),
        OpenPoll(poll_id="p", question="Q" * 201),
        OpenPoll(poll_id="no spaces", question="Q?"),
        OpenPoll(poll_id="p", question="Q?", multiple=True),  # a mood scale takes one value
        OpenPoll(poll_id="colour", question="Taken id?"),
    ],
)
def test_bad_polls_are_refused(room, clock, command):
    """Option counts, duplicate or empty texts, bad ids, a multiple mood scale: typed errors."""
    state = apply(room, COLOURS, OWNER, clock.now())
    assert refused(state, command, OWNER, clock.now()) == "invalid_argument"


def test_a_mood_poll_takes_one_value_from_one_to_five(room, clock):
    """Mood answers are one value of 1..5; anything else is an invalid choice."""
    state = apply(room, MOOD, OWNER, clock.now())
    for choices in [(0,), (6,), (1, 2), ()]:
        answer = AnswerPoll(poll_id="mood", choices=choices)
        assert refused(state, answer, PARTICIPANT, clock.now()) == "invalid_choice"
    state = apply(state, AnswerPoll(poll_id="mood", choices=(5,)), PARTICIPANT, clock.now())
    state = apply(state, AnswerPoll(poll_id="mood", choices=(2,)), P2, clock.now())
    assert state.polls.by_id["mood"].tallies == (0, 1, 0, 0, 1)


def test_choice_polls_take_option_indexes_single_or_distinct_several(room, clock):
    """A single-choice poll takes one index; a multiple one distinct indexes, stored sorted."""
    state = apply(room, COLOURS, OWNER, clock.now())
    multi = OpenPoll(poll_id="multi", question="Which?", options=("a", "b", "c"), multiple=True)
    state = apply(state, multi, OWNER, clock.now())
    for poll_id, choices in [
        ("colour", (0, 1)),
        ("colour", (3,)),
        ("multi", (1, 1)),
        ("multi", (-1,)),
    ]:
        answer = AnswerPoll(poll_id=poll_id, choices=choices)
        assert refused(state, answer, PARTICIPANT, clock.now()) == "invalid_choice"
    state = apply(state, AnswerPoll(poll_id="multi", choices=(2, 0)), PARTICIPANT, clock.now())
    assert state.polls.by_id["multi"].answers == {"p-1": (0, 2)}
    assert state.polls.by_id["multi"].tallies == (1, 0, 1)


def test_answers_need_a_poll_step_or_the_run_the_poll_was_opened_in(room, clock):
    """An ad-hoc poll takes answers in the step it was opened in, and later only in poll steps."""
    state = apply(room, MOOD, OWNER, clock.now())
    answer = AnswerPoll(poll_id="mood", choices=(4,))
    state = apply(state, answer, PARTICIPANT, clock.now())
    state = apply(state, NextStep(), OWNER, clock.now())
    assert refused(state, answer, P2, clock.now()) == "action_not_allowed"
    state = apply(state, NextStep(), OWNER, clock.now())
    state = apply(state, answer, P2, clock.now())
    assert state.polls.by_id["mood"].voters == {"p-1", "p-2"}


def test_answering_again_replaces_the_earlier_answer(room, clock):
    """One answer per participant: the old choice leaves the tallies, the new one enters."""
    state = apply(room, COLOURS, OWNER, clock.now())
    for choice in (0, 2, 2, 1):
        state = apply(
            state, AnswerPoll(poll_id="colour", choices=(choice,)), PARTICIPANT, clock.now()
        )
    poll = state.polls.by_id["colour"]
    assert (poll.tallies, poll.answers, poll.voters) == ((0, 1, 0), {"p-1": (1,)}, {"p-1"})


def test_results_stay_hidden_until_a_reveal_or_the_close(room, clock):
    """Reveal once while open; close once; a closed poll takes no answers and no reveal."""
    state = apply(room, COLOURS, OWNER, clock.now())
    assert not state.polls.by_id["colour"].results_public
    state = apply(state, RevealPoll(poll_id="colour"), OWNER, clock.now())
    assert state.polls.by_id["colour"].results_public
    assert refused(state, RevealPoll(poll_id="colour"), OWNER, clock.now()) == "invalid_argument"
    state = apply(state, MOOD, OWNER, clock.now())
    state = apply(state, ClosePoll(poll_id="mood"), OWNER, clock.now())
    mood = state.polls.by_id["mood"]
    assert (mood.status, mood.revealed, mood.results_public) == ("closed", False, True)
    answer = AnswerPoll(poll_id="mood", choices=(3,))
    assert refused(state, answer, PARTICIPANT, clock.now()) == "poll_closed"
    assert refused(state, RevealPoll(poll_id="mood"), OWNER, clock.now()) == "poll_closed"
    assert refused(state, ClosePoll(poll_id="mood"), OWNER, clock.now()) == "poll_closed"


def test_closing_an_anonymous_poll_forgets_who_chose_what(room, clock):
    """A closed anonymous poll keeps tallies and voters only; a named one keeps the answers."""
    named = OpenPoll(poll_id="named", question="Lunch?", options=("yes", "no"), anonymous=False)
    state = apply(apply(room, MOOD, OWNER, clock.now()), named, OWNER, clock.now())
    for poll_id, choice in (("mood", 4), ("named", 0)):
        state = apply(state, AnswerPoll(poll_id=poll_id, choices=(choice,)), P2, clock.now())
        state = apply(state, ClosePoll(poll_id=poll_id), OWNER, clock.now())
    mood, lunch = state.polls.by_id["mood"], state.polls.by_id["named"]
    assert (mood.answers, mood.voters, mood.tallies) == ({}, {"p-2"}, (0, 0, 0, 1, 0))
    assert lunch.answers == {"p-2": (0,)}


def test_only_participants_answer_and_nothing_happens_after_the_end(room, clock):
    """Facilitators do not answer; an ended workshop takes no poll commands at all."""
    state = apply(room, MOOD, OWNER, clock.now())
    answer = AnswerPoll(poll_id="mood", choices=(3,))
    assert refused(state, answer, OWNER, clock.now()) == "not_participant"
    assert refused(state, AnswerPoll(poll_id="x", choices=(3,)), P2, clock.now()) == "no_such_poll"
    ended = apply(state, EndWorkshop(), OWNER, clock.now())
    assert refused(ended, answer, PARTICIPANT, clock.now()) == "workshop_ended"
    assert refused(ended, ClosePoll(poll_id="mood"), OWNER, clock.now()) == "workshop_ended"
    later = OpenPoll(poll_id="later", question="Q?")
    assert refused(ended, later, OWNER, clock.now()) == "workshop_ended"


@given(
    multiple=st.booleans(),
    answers=st.lists(
        st.tuples(
            st.sampled_from(VOTERS),
            st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=4),
        ),
        max_size=30,
    ),
)
def test_tallies_equal_a_recount_of_the_final_answers(multiple, answers):
    """For any answer sequence, accepted or refused, the tallies recount the last answers."""
    clock = FakeClock()
    state = running_workshop(STEPS, clock.now(), VOTERS)
    poll = OpenPoll(poll_id="q", question="Q?", options=("a", "b", "c"), multiple=multiple)
    state = apply(state, poll, OWNER, clock.now())
    final: dict[str, tuple[int, ...]] = {}
    for voter, choices in answers:
        result = decide(
            state,
            AnswerPoll(poll_id="q", choices=tuple(choices)),
            Actor("participant", voter),
            clock.now(),
        )
        valid = len(set(choices)) == len(choices) and max(choices) < 3
        assert isinstance(result, Rejection) != (valid and (multiple or len(choices) == 1))
        if not isinstance(result, Rejection):
            for event in result:
                state = evolve(state, event)
            final[voter] = tuple(sorted(choices))
        current = state.polls.by_id["q"]
        assert current.answers == final
        assert current.tallies == recount(final, (0, 1, 2))
