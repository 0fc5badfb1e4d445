"""Dot votes with hidden tallies, private writing until reveal, anonymity, and step ends."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.clock import FakeClock
from app.core.actors import SYSTEM, Actor
from app.core.board import DeleteNote, EditNote, NoteDeleted, PostNote
from app.core.commands import NextStep
from app.core.groups import Group
from app.core.moderation import ItemsRevealed, RevealItems
from app.core.plan import RoleSpec, Text
from app.core.reducer import decide, evolve
from app.core.state import WorkshopState
from app.core.voting import (
    CastVote,
    RetractVote,
    RevealVotes,
    VotesRevealed,
    on_step_leave,
    revealed_dots,
)
from tests.factories import (
    OWNER,
    STRANGER,
    act,
    board_step,
    refusal,
    running_workshop,
    with_groups,
)

P1, P2, P3, P4 = (Actor("participant", f"p-{n}") for n in range(1, 5))
PIDS = ("p-1", "p-2", "p-3", "p-4")
KEY = "s0/vote"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def voting_room(clock: FakeClock, *, dots: int = 2, anonymous: bool = False) -> WorkshopState:
    """A running vote step with notes n1 and n2 by the facilitator, four participants."""
    steps = (
        board_step(KEY, "notes", dots=dots, anonymous=anonymous),
        board_step("s1/next", "notes"),
    )
    state = running_workshop(steps, clock.now(), PIDS)
    state = act(state, PostNote(item_id="n1", text="one"), OWNER, clock.now())
    return act(state, PostNote(item_id="n2", text="two"), OWNER, clock.now())


def test_dots_are_budgeted_per_participant_and_may_stack(clock):
    """Several dots may go on one item; one more than the budget is refused."""
    state = voting_room(clock, dots=3)
    for item_id in ("n1", "n1", "n2"):
        state = act(state, CastVote(item_id=item_id), P1, clock.now())
    ballot = [dot.item_id for dot in state.board.votes[KEY].ballots["p-1"]]
    assert ballot == ["n1", "n1", "n2"]
    assert refusal(state, CastVote(item_id="n2"), P1, clock.now()) == "vote_budget_exhausted"
    assert state.board.votes[KEY].tallies == {"plenary": {"n1": 2, "n2": 1}}


def test_tallies_stay_hidden_until_a_facilitator_reveals(clock):
    """Nothing counts as revealed before the reveal; afterwards no more dots are taken."""
    state = act(voting_room(clock), CastVote(item_id="n1"), P1, clock.now())
    assert not state.board.votes[KEY].is_revealed("plenary")
    assert revealed_dots(state, "n1") == 0
    assert refusal(state, RevealVotes(), P1, clock.now()) == "not_facilitator"
    state = act(state, RevealVotes(), OWNER, clock.now())
    assert state.board.votes[KEY].revealed_all and revealed_dots(state, "n1") == 1
    assert refusal(state, CastVote(item_id="n2"), P2, clock.now()) == "votes_revealed"
    assert refusal(state, RetractVote(item_id="n1"), P1, clock.now()) == "votes_revealed"
    assert refusal(state, RevealVotes(), OWNER, clock.now()) == "already_revealed"
    assert refusal(state, RevealVotes(step_index=9), OWNER, clock.now()) == "no_such_step"
    assert refusal(state, RevealVotes(step_index=1), OWNER, clock.now()) == "invalid_argument"


def test_the_last_dot_of_the_room_reveals_automatically(clock):
    """When every participant has used their whole budget, the cast also reveals."""
    state = voting_room(clock, dots=1)
    for actor in (P1, P2, P3):
        state = act(state, CastVote(item_id="n1"), actor, clock.now())
        assert not state.board.votes[KEY].is_revealed("plenary")
    events = decide(state, CastVote(item_id="n2"), P4, clock.now())
    assert isinstance(events, list) and len(events) == 2
    assert events[1] == VotesRevealed(
        step_index=0, scopes=("plenary",), cause="all_voted", at=clock.now()
    )
    for event in events:
        state = evolve(state, event)
    assert state.board.votes[KEY].is_revealed("plenary")
    assert (revealed_dots(state, "n1"), revealed_dots(state, "n2")) == (3, 1)


def test_each_group_reveals_on_its_own(clock):
    """In groups, a group's tallies reveal once its own members have voted."""
    state = voting_room(clock, dots=1)
    state = with_groups(
        state, Group(id="g1", members=("p-1", "p-2")), Group(id="g2", members=("p-3", "p-4"))
    )
    state = act(state, CastVote(item_id="n1"), P1, clock.now())
    state = act(state, CastVote(item_id="n2"), P3, clock.now())
    state = act(state, CastVote(item_id="n1"), P2, clock.now())
    round_ = state.board.votes[KEY]
    assert round_.is_revealed("g1") and not round_.is_revealed("g2")
    assert round_.tallies == {"g1": {"n1": 2}, "g2": {"n2": 1}}
    assert revealed_dots(state, "n1") == 2 and revealed_dots(state, "n2") == 0


def test_a_listening_role_neither_votes_nor_holds_back_the_reveal(clock):
    """Participants whose role only listens cannot vote and are not waited for."""
    listener = RoleSpec(
        id="observer", name=Text(de="B", en="O"), instructions=Text(de="-", en="-"), acts=False
    )
    steps = (board_step(KEY, "notes", dots=1, roles=(listener,)),)
    state = running_workshop(steps, clock.now(), ("p-1", "p-2"))
    state = act(state, PostNote(item_id="n1", text="t"), OWNER, clock.now())
    state = with_groups(state, Group(id="g", members=("p-1", "p-2"), roles={"p-2": "observer"}))
    assert refusal(state, CastVote(item_id="n1"), P2, clock.now()) == "action_not_allowed"
    state = act(state, CastVote(item_id="n1"), P1, clock.now())
    assert state.board.votes[KEY].is_revealed("g")


def test_retracting_gives_a_dot_back(clock):
    """A retraction removes the voter's latest dot on that item from ballot and tally."""
    state = voting_room(clock, dots=2)
    state = act(state, CastVote(item_id="n1"), P1, clock.now())
    state = act(state, CastVote(item_id="n2"), P1, clock.now())
    assert refusal(state, RetractVote(item_id="n1"), P2, clock.now()) == "no_such_vote"
    state = act(state, RetractVote(item_id="n1"), P1, clock.now())
    round_ = state.board.votes[KEY]
    assert [dot.item_id for dot in round_.ballots["p-1"]] == ["n2"]
    assert round_.tallies["plenary"] == {"n2": 1}
    assert refusal(state, RetractVote(item_id="n1"), P1, clock.now()) == "no_such_vote"
    state = act(state, CastVote(item_id="n1"), P1, clock.now())
    assert round_.used("p-1") == 1 and state.board.votes[KEY].used("p-1") == 2


def test_voting_needs_a_step_with_dots(clock):
    """Without dots in the current step, casting is not allowed, even for facilitators."""
    state = act(voting_room(clock), NextStep(), OWNER, clock.now())
    for actor in (P1, OWNER):
        assert refusal(state, CastVote(item_id="n1"), actor, clock.now()) == "action_not_allowed"
    assert refusal(state, CastVote(item_id="n1"), STRANGER, clock.now()) == "not_participant"
    assert refusal(voting_room(clock), CastVote(item_id="zz"), P1, clock.now()) == "no_such_item"


@settings(max_examples=50, deadline=None)
@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from(["cast", "retract"]), st.integers(0, 3), st.sampled_from(["n1", "n2"])
        ),
        max_size=25,
    )
)
def test_tallies_always_equal_the_ballots(moves):
    """For any casts and retractions, every tally is the count of ballot dots, within budget."""
    clock = FakeClock()
    state = voting_room(clock, dots=3)
    actors = (P1, P2, P3, P4)
    for kind, who, item_id in moves:
        command = CastVote(item_id=item_id) if kind == "cast" else RetractVote(item_id=item_id)
        result = decide(state, command, actors[who], clock.now())
        if isinstance(result, list):
            for event in result:
                state = evolve(state, event)
    round_ = state.board.votes.get(KEY)
    if round_ is None:
        return
    counted: dict[str, dict[str, int]] = {}
    for dots in round_.ballots.values():
        assert 1 <= len(dots) <= 3
        for dot in dots:
            scope = counted.setdefault(dot.scope, {})
            scope[dot.item_id] = scope.get(dot.item_id, 0) + 1
    assert {scope: dict(counts) for scope, counts in round_.tallies.items() if counts} == counted


def test_anonymous_steps_flag_items_and_votes_but_keep_the_author(clock):
    """Anonymous notes and vote rounds are flagged; the author id stays for their own rights."""
    state = voting_room(clock, anonymous=True)
    state = act(state, PostNote(item_id="a1", text="honest"), P1, clock.now())
    state = act(state, CastVote(item_id="a1"), P2, clock.now())
    item = state.board.items["a1"]
    assert item.anonymous and item.author == "p-1"
    assert state.board.votes[KEY].anonymous
    assert refusal(state, DeleteNote(item_id="a1"), P2, clock.now()) == "not_author"
    events = decide(state, DeleteNote(item_id="a1"), P1, clock.now())
    assert events == [NoteDeleted(item_id="a1", by_facilitator=False, at=clock.now())]


def test_private_writing_waits_for_the_reveal(clock):
    """Private notes are unrevealed, invisible to others' commands, until a facilitator reveals."""
    steps = (board_step("s0/alone", "notes", dots=1, private=True), board_step("s1/n", "notes"))
    state = running_workshop(steps, clock.now(), PIDS)
    state = act(state, PostNote(item_id="m1", text="mine"), P1, clock.now())
    state = act(state, PostNote(item_id="m2", text="hers"), P2, clock.now())
    assert not state.board.items["m1"].revealed
    assert state.board.unrevealed == {"m1", "m2"}
    assert refusal(state, CastVote(item_id="m1"), P2, clock.now()) == "no_such_item"
    assert act(state, EditNote(item_id="m1", text="still mine"), P1, clock.now())
    assert refusal(state, RevealItems(), P1, clock.now()) == "not_facilitator"
    state = act(state, RevealItems(), OWNER, clock.now())
    assert state.board.items["m1"].revealed and state.board.unrevealed == frozenset()
    assert refusal(state, RevealItems(), OWNER, clock.now()) == "already_revealed"
    assert act(state, CastVote(item_id="m1"), P2, clock.now())


def test_revealing_one_scope_leaves_the_others_private(clock):
    """A scoped reveal shows one group's private writing only."""
    steps = (board_step("s0/alone", "notes", private=True),)
    state = running_workshop(steps, clock.now(), PIDS)
    state = with_groups(state, Group(id="g1", members=("p-1",)), Group(id="g2", members=("p-2",)))
    state = act(state, PostNote(item_id="a", text="a"), P1, clock.now())
    state = act(state, PostNote(item_id="b", text="b"), P2, clock.now())
    state = act(state, RevealItems(scope="g1"), SYSTEM, clock.now())
    assert state.board.items["a"].revealed and not state.board.items["b"].revealed


def test_leaving_a_step_reveals_its_votes_and_private_writing(clock):
    """on_step_leave reveals the current step's vote and private items, then nothing more."""
    steps = (board_step("s0/alone", "notes", dots=1, private=True), board_step("s1/n", "notes"))
    state = running_workshop(steps, clock.now(), PIDS)
    state = act(state, PostNote(item_id="m1", text="mine"), P1, clock.now())
    state = act(state, CastVote(item_id="m1"), P1, clock.now())
    events = on_step_leave(state, clock.now())
    assert events == [
        VotesRevealed(step_index=0, cause="step_end", at=clock.now()),
        ItemsRevealed(item_ids=("m1",), cause="step_end", at=clock.now()),
    ]
    for event in events:
        state = evolve(state, event)
    assert state.board.items["m1"].revealed and state.board.votes["s0/alone"].revealed_all
    assert on_step_leave(state, clock.now()) == []
    assert on_step_leave(act(state, NextStep(), OWNER, clock.now()), clock.now()) == []
