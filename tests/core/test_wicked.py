"""Wicked Questions: proposing by poles, refining, answering, voting and ranking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.clock import FakeClock
from app.core.actors import Actor
from app.core.board import DeleteNote, EditNote, PostNote
from app.core.commands import NextStep
from app.core.groups import Group
from app.core.moderation import HarvestGroups, HideItem
from app.core.reducer import evolve
from app.core.state import WorkshopState
from app.core.voting import CastVote, RevealVotes
from app.core.wicked import (
    MAX_ANSWERS_PER_QUESTION,
    MAX_POLE_CHARS,
    AnswerWickedQuestion,
    ProposeWickedQuestion,
    RefineWickedQuestion,
    WickedQuestionRefined,
    question_text,
    ranked_questions,
)
from tests.factories import OWNER, act, board_step, refusal, running_workshop, with_groups

P1, P2, P3, P4 = (Actor("participant", f"p-{n}") for n in range(1, 5))
PIDS = ("p-1", "p-2", "p-3", "p-4")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def wicked_room(clock: FakeClock) -> WorkshopState:
    """Generate in groups, choose with dots in groups, then refine with dots in the plenary."""
    steps = (
        board_step("wq/generate", "notes", "wicked_questions"),
        board_step("wq/choose", "wicked_questions", dots=2),
        board_step("wq/refine", "wicked_questions", "notes", dots=1),
        board_step("wq/share", "hand"),
    )
    return with_groups(running_workshop(steps, clock.now(), PIDS), *GROUPS)


GROUPS = (Group(id="g1", members=("p-1", "p-2")), Group(id="g2", members=("p-3", "p-4")))


def propose(item_id: str, a: str = "be free", b: str = "be reliable") -> ProposeWickedQuestion:
    """A proposal with two poles."""
    return ProposeWickedQuestion(item_id=item_id, pole_a=a, pole_b=b)


def test_a_question_stores_its_poles_and_renders_in_both_languages(clock):
    """Only the poles are stored; the sentence is rendered per language."""
    state = act(wicked_room(clock), propose("q1", " be  voluntary ", "be binding"), P1, clock.now())
    item = state.board.items["q1"]
    assert (item.kind, item.pole_a, item.pole_b, item.text, item.scope) == (
        "wicked_question",
        "be voluntary",
        "be binding",
        "",
        "g1",
    )
    assert question_text(item, "en") == "How can we be voluntary and at the same time be binding?"
    assert question_text(item, "de") == "Wie können wir be voluntary und zugleich be binding?"


def test_proposals_need_the_action_and_two_bounded_poles(clock):
    """Empty or overlong poles are invalid; a step without wicked_questions refuses."""
    state = wicked_room(clock)
    for a, b in (("", "x"), ("x", "  "), ("x" * (MAX_POLE_CHARS + 1), "y")):
        assert refusal(state, propose("q1", a, b), P1, clock.now()) == "invalid_argument"
    state = act(state, propose("q1"), P1, clock.now())
    assert refusal(state, propose("q1"), P2, clock.now()) == "item_exists"
    shared = act(
        act(act(state, NextStep(), OWNER, clock.now()), NextStep(), OWNER, clock.now()),
        NextStep(),
        OWNER,
        clock.now(),
    )
    assert refusal(shared, propose("q2"), P1, clock.now()) == "action_not_allowed"


def test_group_members_refine_and_answer_others_may_not(clock):
    """Members of the question's group refine and answer; another group is not in scope."""
    state = act(wicked_room(clock), propose("q1"), P1, clock.now())
    state = act(state, RefineWickedQuestion(item_id="q1", pole_b="keep promises"), P2, clock.now())
    assert state.board.items["q1"].pole_b == "keep promises"
    assert state.board.items["q1"].pole_a == "be free"
    answer = AnswerWickedQuestion(item_id="q1", answer_id="a1", text="Opt-out days")
    assert refusal(state, answer, P3, clock.now()) == "not_in_scope"
    refine = RefineWickedQuestion(item_id="q1", pole_a="x")
    assert refusal(state, refine, P3, clock.now()) == "not_in_scope"
    assert refusal(state, RefineWickedQuestion(item_id="q1"), P1, clock.now()) == (
        "invalid_argument"
    )
    state = act(state, answer, P2, clock.now())
    state = act(
        state, AnswerWickedQuestion(item_id="q1", answer_id="a2", text="Pairs"), OWNER, clock.now()
    )
    assert [(a.id, a.author, a.scope) for a in state.board.items["q1"].answers] == [
        ("a1", "p-2", "g1"),
        ("a2", OWNER.id, "plenary"),
    ]
    assert refusal(state, answer, P1, clock.now()) == "answer_exists"
    assert refusal(state, EditNote(item_id="q1", text="x"), P1, clock.now()) == ("invalid_argument")


def test_answers_are_bounded_in_count_and_length(clock):
    """A question holds a bounded number of answers of bounded length."""
    state = act(wicked_room(clock), propose("q1"), P1, clock.now())
    too_long = AnswerWickedQuestion(item_id="q1", answer_id="a", text="x" * 501)
    assert refusal(state, too_long, P1, clock.now()) == "invalid_argument"
    for n in range(MAX_ANSWERS_PER_QUESTION):
        state = act(
            state, AnswerWickedQuestion(item_id="q1", answer_id=f"a{n}", text="ok"), P1, clock.now()
        )
    more = AnswerWickedQuestion(item_id="q1", answer_id="last", text="ok")
    assert refusal(state, more, P1, clock.now()) == "invalid_argument"
    note = act(state, PostNote(item_id="n1", text="plain"), P1, clock.now())
    on_note = AnswerWickedQuestion(item_id="n1", answer_id="a", text="x")
    assert refusal(note, on_note, P1, clock.now()) == "invalid_argument"


def test_the_whole_lifecycle_ranks_questions_by_revealed_dots(clock):
    """Propose, vote in groups, harvest, vote in the plenary: ranking follows revealed dots."""
    state = wicked_room(clock)
    state = act(state, propose("q1", "a", "b"), P1, clock.now())
    clock.advance(1)
    state = act(state, propose("q2", "c", "d"), P2, clock.now())
    clock.advance(1)
    state = act(state, propose("q3", "e", "f"), P3, clock.now())
    assert [item.id for item, _ in ranked_questions(state, "g1")] == ["q1", "q2"]
    state = act(state, NextStep(), OWNER, clock.now())  # choose: two dots each, in groups
    state = with_groups(state, *GROUPS)  # the plan's "all" step recalled the forged groups
    state = act(state, CastVote(item_id="q2"), P1, clock.now())
    state = act(state, CastVote(item_id="q2"), P2, clock.now())
    assert [dots for _, dots in ranked_questions(state, "g1")] == [0, 0]  # hidden
    state = act(state, CastVote(item_id="q1"), P1, clock.now())
    state = act(state, CastVote(item_id="q2"), P2, clock.now())  # g1 has voted: revealed
    assert [(item.id, dots) for item, dots in ranked_questions(state, "g1")] == [
        ("q2", 3),
        ("q1", 1),
    ]
    state = act(state, HarvestGroups(), OWNER, clock.now())
    state = act(state, NextStep(), OWNER, clock.now())  # refine: one dot each, plenary
    state = with_groups(state)
    assert ranked_questions(state, "plenary")[0][0].id == "q2"
    for actor in (P1, P2, P3):
        state = act(state, CastVote(item_id="q1"), actor, clock.now())
    state = act(state, RevealVotes(), OWNER, clock.now())
    assert [(item.id, dots) for item, dots in ranked_questions(state, "plenary")] == [
        ("q1", 4),
        ("q2", 3),
        ("q3", 0),
    ]
    state = act(state, HideItem(item_id="q1"), OWNER, clock.now())
    state = act(state, DeleteNote(item_id="q3"), P3, clock.now())
    assert [item.id for item, _ in ranked_questions(state, "plenary")] == ["q2"]


@settings(max_examples=40, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["pole_a", "pole_b"]), st.sampled_from(["x", "y", "z"])),
        min_size=1,
        max_size=6,
    ),
    data=st.data(),
)
def test_pole_refinements_commute(edits, data):
    """Refinements of the two poles give the same question in any order."""
    clock = FakeClock()
    base = act(wicked_room(clock), propose("q1"), P1, clock.now())
    events = [
        WickedQuestionRefined(item_id="q1", version=50 + i, at=clock.now(), **{pole: value})
        for i, (pole, value) in enumerate(edits)
    ]
    results = []
    for sequence in (events, data.draw(st.permutations(events))):
        state = base
        for event in sequence:
            state = evolve(state, event)
        results.append(state.board.items["q1"])
    assert results[0] == results[1]
