"""The shared board: notes, cards and clusters, with every right enforced by the core."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.clock import FakeClock
from app.core.actors import SYSTEM, Actor
from app.core.board import (
    MAX_NOTE_CHARS,
    ColourNote,
    DeleteNote,
    EditNote,
    MoveNote,
    NoteColoured,
    NoteDeleted,
    NoteEdited,
    NoteMoved,
    PostNote,
)
from app.core.boardstate import Item
from app.core.cards import PlaceCard
from app.core.clusters import CreateCluster, DeleteCluster, RenameCluster
from app.core.commands import EndWorkshop, NextStep
from app.core.groups import Group
from app.core.moderation import HarvestGroups
from app.core.plan import RoleSpec, Text
from app.core.reducer import decide, evolve
from app.core.state import WorkshopState
from app.core.voting import CastVote
from tests.factories import (
    OWNER,
    STRANGER,
    act,
    board_step,
    refusal,
    running_workshop,
    with_groups,
    workshop,
)

P1, P2, P3, P4 = (Actor("participant", f"p-{n}") for n in range(1, 5))
PIDS = ("p-1", "p-2", "p-3", "p-4")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def board(clock: FakeClock) -> WorkshopState:
    """A running notes-and-clusters step with four participants, no groups."""
    steps = (board_step("s0/notes", "notes", "cluster", dots=2), board_step("s1/talk", "hand"))
    return running_workshop(steps, clock.now(), PIDS)


def grouped(state: WorkshopState) -> WorkshopState:
    """The same room split into two groups of two."""
    return with_groups(
        state,
        Group(id="r1-g1", members=("p-1", "p-2")),
        Group(id="r1-g2", members=("p-3", "p-4")),
    )


def test_a_posted_note_records_author_scope_step_and_time(board, clock):
    """A note keeps its author, the poster's scope, the step index and when it was made."""
    clock.advance(30)
    state = act(board, PostNote(item_id="n1", text="Idea", area="ideas"), P1, clock.now())
    item = state.board.items["n1"]
    assert (item.author, item.author_kind, item.scope, item.step_index) == (
        "p-1",
        "participant",
        "plenary",
        0,
    )
    assert item.created_at == item.updated_at == clock.now()
    assert (item.text, item.area, item.kind, item.revealed, item.anonymous) == (
        "Idea",
        "ideas",
        "note",
        True,
        False,
    )


def test_text_is_cleaned_and_bounded(board, clock):
    """Control characters go, newlines stay; empty or overlong text is an invalid argument."""
    state = act(board, PostNote(item_id="n1", text=" a\x00b\r\nc\u202e \t"), P1, clock.now())
    assert state.board.items["n1"].text == "ab\nc"
    for text in ("", " \n ", "x" * (MAX_NOTE_CHARS + 1)):
        assert refusal(board, PostNote(item_id="n2", text=text), P1, clock.now()) == (
            "invalid_argument"
        )


def test_ids_are_bounded_slugs_and_unique(board, clock):
    """Client-chosen ids are slugs of at most 64 characters; a second use is item_exists."""
    for bad in ("", "-x", "a b", "x" * 65, "ä"):
        assert refusal(board, PostNote(item_id=bad, text="t"), P1, clock.now()) == (
            "invalid_argument"
        )
    state = act(board, PostNote(item_id="n1", text="t"), P1, clock.now())
    assert refusal(state, PostNote(item_id="n1", text="u"), P2, clock.now()) == "item_exists"
    colour = PostNote(item_id="n2", text="t", colour="Red!")
    assert refusal(state, colour, P1, clock.now()) == "invalid_argument"


def test_who_may_post_and_when(board, clock):
    """Strangers, the lobby, a step without notes and an ended workshop are all refused."""
    post = PostNote(item_id="n1", text="t")
    assert refusal(board, post, STRANGER, clock.now()) == "not_participant"
    assert refusal(board, post, SYSTEM, clock.now()) == "not_participant"
    lobby = workshop(board.plan, clock.now())
    lobby = replace(lobby, participants=board.participants)
    assert refusal(lobby, post, P1, clock.now()) == "workshop_not_started"
    talk = act(board, NextStep(), OWNER, clock.now())
    result = decide(talk, post, P1, clock.now())
    assert result.code == "action_not_allowed" and "'notes'" in result.message
    assert "s1/talk" in result.message
    assert act(talk, post, OWNER, clock.now()).board.items["n1"].author_kind == "user"
    ended = act(board, EndWorkshop(), OWNER, clock.now())
    assert refusal(ended, post, P1, clock.now()) == "workshop_ended"
    assert refusal(ended, post, OWNER, clock.now()) == "workshop_ended"


def test_a_listening_role_may_not_post(clock):
    """A participant whose role only listens in the step is refused."""
    roles = (
        RoleSpec(
            id="case-giver",
            name=Text(de="F", en="C"),
            instructions=Text(de="-", en="-"),
            count=1,
            acts=False,
        ),
    )
    state = running_workshop((board_step("s0/x", "notes", roles=roles),), clock.now(), PIDS)
    state = with_groups(state, Group(id="g", members=PIDS, roles={"p-1": "case-giver"}))
    assert refusal(state, PostNote(item_id="n", text="t"), P1, clock.now()) == (
        "action_not_allowed"
    )
    assert act(state, PostNote(item_id="n", text="t"), P2, clock.now()).board.items["n"]


def test_only_the_author_edits_and_author_or_facilitator_deletes(board, clock):
    """Someone else's note cannot be edited or deleted; a facilitator may delete, not edit."""
    state = act(board, PostNote(item_id="n1", text="mine"), P1, clock.now())
    assert refusal(state, EditNote(item_id="n1", text="yours"), P2, clock.now()) == "not_author"
    assert refusal(state, EditNote(item_id="n1", text="x"), OWNER, clock.now()) == "not_author"
    assert refusal(state, DeleteNote(item_id="n1"), P2, clock.now()) == "not_author"
    assert refusal(state, EditNote(item_id="nope", text="x"), P1, clock.now()) == "no_such_item"
    edited = act(state, EditNote(item_id="n1", text="mine, better"), P1, clock.now())
    assert edited.board.items["n1"].text == "mine, better"
    assert act(state, DeleteNote(item_id="n1"), OWNER, clock.now()).board.items["n1"].deleted
    assert act(state, DeleteNote(item_id="n1"), P1, clock.now()).board.items["n1"].deleted


def test_group_items_stay_in_their_group_until_harvested(board, clock):
    """A participant cannot act on another group's item; after the harvest they can."""
    state = grouped(board)
    state = act(state, PostNote(item_id="g1", text="ours"), P1, clock.now())
    assert state.board.items["g1"].scope == "r1-g1"
    assert act(state, ColourNote(item_id="g1", colour="yellow"), P2, clock.now())
    for command in (ColourNote(item_id="g1", colour="red"), MoveNote(item_id="g1", x=1, y=2)):
        assert refusal(state, command, P3, clock.now()) == "not_in_scope"
    assert refusal(state, CastVote(item_id="g1"), P3, clock.now()) == "not_in_scope"
    other = PostNote(item_id="x", text="t", scope="r1-g1")
    assert refusal(state, other, P3, clock.now()) == "not_in_scope"
    harvested = act(state, HarvestGroups(), OWNER, clock.now())
    assert harvested.board.items["g1"].scope == "r1-g1"
    assert harvested.board.items["g1"].harvested
    assert act(harvested, ColourNote(item_id="g1", colour="red"), P3, clock.now())


def test_facilitators_post_to_the_plenary_or_a_named_group(board, clock):
    """A facilitator's note goes to the plenary by default or to an existing group."""
    state = grouped(board)
    state = act(state, PostNote(item_id="f1", text="seed"), OWNER, clock.now())
    state = act(state, PostNote(item_id="f2", text="seed", scope="r1-g2"), OWNER, clock.now())
    assert state.board.items["f1"].scope == "plenary"
    assert state.board.items["f2"].scope == "r1-g2"
    stray = PostNote(item_id="f3", text="t", scope="r9-g9")
    assert refusal(state, stray, OWNER, clock.now()) == "no_such_group"


def test_moving_and_colouring_by_two_people_both_survive(board, clock):
    """Two edits to different fields of one note both hold (last writer wins per field)."""
    state = act(board, PostNote(item_id="n1", text="t", colour="blue"), P1, clock.now())
    state = act(state, MoveNote(item_id="n1", area="later", x=10, y=-5), P2, clock.now())
    state = act(state, ColourNote(item_id="n1", colour="#ff0000"), P3, clock.now())
    item = state.board.items["n1"]
    assert (item.area, item.position, item.colour) == ("later", (10.0, -5.0), "#ff0000")
    assert refusal(state, MoveNote(item_id="n1"), P2, clock.now()) == "invalid_argument"
    assert refusal(state, MoveNote(item_id="n1", x=1), P2, clock.now()) == "invalid_argument"
    far = MoveNote(item_id="n1", x=1e9, y=0)
    assert refusal(state, far, P2, clock.now()) == "invalid_argument"


def test_an_older_edit_arriving_late_does_not_overwrite_a_newer_one(board, clock):
    """An edit with a lower version than the field's own is ignored; other fields still apply."""
    state = act(board, PostNote(item_id="n1", text="t"), P1, clock.now())
    at = clock.now()
    newer = NoteColoured(item_id="n1", colour="red", version=20, at=at)
    older = NoteMoved(item_id="n1", area="a", cluster_id=None, version=10, at=at)
    stale = NoteColoured(item_id="n1", colour="blue", version=15, at=at)
    for event in (newer, older, stale):
        state = evolve(state, event)
    item = state.board.items["n1"]
    assert (item.colour, item.area) == ("red", "a")
    assert item.versions == {"colour": 20, "area": 10}


EDITS = st.lists(
    st.one_of(
        st.builds(lambda t: ("text", t), st.sampled_from(["a", "b", "c"])),
        st.builds(lambda c: ("colour", c), st.sampled_from(["red", "blue", None])),
        st.builds(lambda a: ("area", a), st.sampled_from(["x", "y"])),
        st.builds(lambda p: ("position", p), st.tuples(st.integers(0, 9), st.integers(0, 9))),
        st.builds(lambda c: ("cluster", c), st.sampled_from(["c1", None])),
    ),
    min_size=1,
    max_size=7,
)


def _edit_event(kind: str, value, version: int, at):
    if kind == "text":
        return NoteEdited(item_id="n1", text=value, version=version, at=at)
    if kind == "colour":
        return NoteColoured(item_id="n1", colour=value, version=version, at=at)
    if kind == "area":
        return NoteMoved(item_id="n1", area=value, version=version, at=at)
    if kind == "position":
        return NoteMoved(
            item_id="n1", position=(float(value[0]), float(value[1])), version=version, at=at
        )
    return NoteMoved(
        item_id="n1", cluster_id=value, unclustered=value is None, version=version, at=at
    )


@settings(max_examples=60, deadline=None)
@given(edits=EDITS, data=st.data())
def test_field_edits_give_the_same_item_in_any_order(edits, data):
    """Applying a set of field edits in any order yields the same final item."""
    clock = FakeClock()
    base = running_workshop((board_step("s0/n", "notes", "cluster"),), clock.now(), ("p-1",))
    base = act(base, PostNote(item_id="n1", text="t"), P1, clock.now())
    events = [
        _edit_event(kind, value, version=100 + i, at=clock.now() + timedelta(seconds=i))
        for i, (kind, value) in enumerate(edits)
    ]
    order = data.draw(st.permutations(events))
    results: list[Item] = []
    for sequence in (events, order, list(reversed(events))):
        state = base
        for event in sequence:
            state = evolve(state, event)
        results.append(state.board.items["n1"])
    assert results[0] == results[1] == results[2]
    last = {kind: value for kind, value in edits}
    if "text" in last:
        assert results[0].text == last["text"]


def test_deleted_items_stay_deleted(board, clock):
    """A tombstone refuses edits, ignores late edit events and keeps its id taken."""
    state = act(board, PostNote(item_id="n1", text="secret"), P1, clock.now())
    state = act(state, CastVote(item_id="n1"), P2, clock.now())
    state = act(state, DeleteNote(item_id="n1"), P1, clock.now())
    tomb = state.board.items["n1"]
    assert tomb.deleted and tomb.text == "" and tomb.author == "p-1"
    assert state.board.votes["s0/notes"].used("p-2") == 0  # the dot went back
    for command in (
        EditNote(item_id="n1", text="back"),
        ColourNote(item_id="n1"),
        DeleteNote(item_id="n1"),
        CastVote(item_id="n1"),
    ):
        assert refusal(state, command, P1, clock.now()) == "item_deleted"
    assert refusal(state, PostNote(item_id="n1", text="again"), P1, clock.now()) == "item_exists"
    late = NoteEdited(item_id="n1", text="resurrected", version=10**6, at=clock.now())
    assert evolve(state, late).board.items["n1"] == tomb


def test_deleting_does_not_name_the_deleter(board, clock):
    """The deletion event carries no author id, so an anonymous note stays anonymous."""
    state = act(board, PostNote(item_id="n1", text="t"), P1, clock.now())
    events = decide(state, DeleteNote(item_id="n1"), P1, clock.now())
    assert events == [NoteDeleted(item_id="n1", by_facilitator=False, at=clock.now())]


def test_cards_come_from_the_step_deck(clock):
    """Cards are placed only in a cards step and only from its deck (facilitators: any)."""
    steps = (board_step("s0/cards", "cards", deck="methods"), board_step("s1/n", "notes"))
    state = running_workshop(steps, clock.now(), PIDS)
    card = PlaceCard(item_id="c1", deck_id="methods", card_id="fishbowl", area="pool")
    placed = act(state, card, P1, clock.now())
    item = placed.board.items["c1"]
    assert (item.kind, item.deck_id, item.card_id, item.area) == (
        "card",
        "methods",
        "fishbowl",
        "pool",
    )
    moved = act(placed, MoveNote(item_id="c1", x=5, y=5), P2, clock.now())  # a cards step
    assert moved.board.items["c1"].position == (5.0, 5.0)
    wrong = replace(card, deck_id="other")
    assert refusal(state, wrong, P1, clock.now()) == "invalid_argument"
    assert act(state, wrong, OWNER, clock.now()).board.items["c1"].deck_id == "other"
    assert refusal(placed, card, P2, clock.now()) == "item_exists"
    assert refusal(state, replace(card, card_id="Bad Id"), P1, clock.now()) == "invalid_argument"
    notes = act(state, NextStep(), OWNER, clock.now())
    assert refusal(notes, card, P1, clock.now()) == "action_not_allowed"
    later = act(placed, NextStep(), OWNER, clock.now())
    assert refusal(later, EditNote(item_id="c1", text="x"), P1, clock.now()) == ("invalid_argument")


def test_clusters_group_items_and_deleting_one_unclusters_them(board, clock):
    """Items join clusters of their scope; a deleted cluster leaves them unclustered."""
    state = act(board, PostNote(item_id="n1", text="a"), P1, clock.now())
    state = act(state, PostNote(item_id="n2", text="b"), P2, clock.now())
    state = act(state, CreateCluster(cluster_id="k1", title=" Themes\x07 "), P3, clock.now())
    assert state.board.clusters["k1"].title == "Themes"
    assert refusal(state, CreateCluster(cluster_id="k1"), P1, clock.now()) == "cluster_exists"
    state = act(state, MoveNote(item_id="n1", cluster_id="k1"), P4, clock.now())
    state = act(state, MoveNote(item_id="n2", cluster_id="k1"), P4, clock.now())
    state = act(state, MoveNote(item_id="n2", unclustered=True), P4, clock.now())
    state = act(state, RenameCluster(cluster_id="k1", title="Topics"), P1, clock.now())
    assert state.board.clusters["k1"].title == "Topics"
    assert (state.board.items["n1"].cluster_id, state.board.items["n2"].cluster_id) == ("k1", None)
    both = MoveNote(item_id="n1", cluster_id="k1", unclustered=True)
    assert refusal(state, both, P1, clock.now()) == "invalid_argument"
    state = act(state, DeleteCluster(cluster_id="k1"), P2, clock.now())
    assert state.board.items["n1"].cluster_id is None and state.board.clusters["k1"].deleted
    for command in (
        MoveNote(item_id="n1", cluster_id="k1"),
        RenameCluster(cluster_id="k1", title="x"),
    ):
        assert refusal(state, command, P1, clock.now()) == "no_such_cluster"


def test_clustering_needs_the_cluster_permission_and_one_scope(clock):
    """Without 'cluster' a participant may move but not cluster; scopes never mix."""
    steps = (board_step("s0/n", "notes"),)
    state = grouped(running_workshop(steps, clock.now(), PIDS))
    state = act(state, PostNote(item_id="n1", text="a"), P1, clock.now())
    assert refusal(state, CreateCluster(cluster_id="k"), P1, clock.now()) == "action_not_allowed"
    state = act(state, CreateCluster(cluster_id="k", scope="r1-g2"), OWNER, clock.now())
    assert refusal(state, MoveNote(item_id="n1", cluster_id="k"), P1, clock.now()) == (
        "action_not_allowed"
    )
    assert refusal(state, MoveNote(item_id="n1", cluster_id="k"), OWNER, clock.now()) == (
        "not_in_scope"
    )
    assert refusal(state, RenameCluster(cluster_id="k", title="t"), P1, clock.now()) == (
        "action_not_allowed"
    )
    assert act(state, MoveNote(item_id="n1", x=3, y=4), P2, clock.now())


def test_rejected_commands_leave_every_state_alone(board, clock):
    """Every refusal above is typed; the helper also checks that nothing changed."""
    state = act(board, PostNote(item_id="n1", text="t"), P1, clock.now())
    codes = {
        refusal(state, command, actor, clock.now())
        for command, actor in itertools.product(
            (EditNote(item_id="n1", text="x"), DeleteNote(item_id="n1")), (P2, STRANGER)
        )
    }
    assert codes == {"not_author", "not_participant"}
