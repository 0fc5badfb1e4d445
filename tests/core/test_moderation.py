"""Moderation and harvest: hiding, the confidential flag, rolling groups up to the plenary."""

from __future__ import annotations

import pytest

from app.clock import FakeClock
from app.codec import decode_event, encode_event
from app.core.actors import Actor
from app.core.board import ColourNote, EditNote, PostNote
from app.core.clusters import CreateCluster, RenameCluster
from app.core.commands import EndWorkshop
from app.core.groups import Group
from app.core.moderation import (
    MAX_REASON_CHARS,
    BoardHarvested,
    HarvestGroups,
    HideItem,
    MarkConfidential,
    RevealItems,
    UnhideItem,
)
from app.core.reducer import decide
from app.core.state import WorkshopState
from tests.factories import OWNER, act, board_step, refusal, running_workshop, with_groups

P1, P2, P3 = (Actor("participant", f"p-{n}") for n in range(1, 4))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def room(clock: FakeClock) -> WorkshopState:
    """A notes step, p-1 and p-2 in group g1, p-3 in g2, with a note of p-1's."""
    steps = (board_step("s0/n", "notes", "cluster"),)
    state = running_workshop(steps, clock.now(), ("p-1", "p-2", "p-3"))
    state = with_groups(
        state, Group(id="g1", members=("p-1", "p-2")), Group(id="g2", members=("p-3",))
    )
    return act(state, PostNote(item_id="n1", text="rude"), P1, clock.now())


def test_a_hidden_item_is_gone_for_others_but_not_for_its_author(room, clock):
    """Hiding keeps the item; others cannot act on it, its author still can."""
    assert refusal(room, HideItem(item_id="n1"), P2, clock.now()) == "not_facilitator"
    long = HideItem(item_id="n1", reason="x" * (MAX_REASON_CHARS + 1))
    assert refusal(room, long, OWNER, clock.now()) == "invalid_argument"
    state = act(room, HideItem(item_id="n1", reason="off topic"), OWNER, clock.now())
    item = state.board.items["n1"]
    assert item.hidden and item.hidden_reason == "off topic" and item.text == "rude"
    assert refusal(state, ColourNote(item_id="n1", colour="red"), P2, clock.now()) == (
        "no_such_item"
    )
    assert act(state, EditNote(item_id="n1", text="kinder"), P1, clock.now())
    assert refusal(state, HideItem(item_id="n1"), OWNER, clock.now()) == "invalid_argument"
    state = act(state, UnhideItem(item_id="n1"), OWNER, clock.now())
    assert not state.board.items["n1"].hidden and state.board.items["n1"].hidden_reason is None
    assert refusal(state, UnhideItem(item_id="n1"), OWNER, clock.now()) == "invalid_argument"
    assert refusal(state, HideItem(item_id="zz"), OWNER, clock.now()) == "no_such_item"


def test_the_author_or_a_facilitator_marks_an_item_confidential(room, clock):
    """Only the author or a facilitator sets the confidential flag."""
    assert refusal(room, MarkConfidential(item_id="n1", confidential=True), P2, clock.now()) == (
        "not_author"
    )
    state = act(room, MarkConfidential(item_id="n1", confidential=True), P1, clock.now())
    assert state.board.items["n1"].confidential
    again = MarkConfidential(item_id="n1", confidential=True)
    assert refusal(state, again, P1, clock.now()) == "invalid_argument"
    state = act(state, MarkConfidential(item_id="n1", confidential=False), OWNER, clock.now())
    assert not state.board.items["n1"].confidential


def test_harvest_opens_group_results_to_the_plenary_and_keeps_their_scope(room, clock):
    """Harvested items and clusters keep their group scope and gain the harvested flag."""
    state = act(room, CreateCluster(cluster_id="k1", title="T"), P2, clock.now())
    state = act(state, PostNote(item_id="n3", text="other"), P3, clock.now())
    assert refusal(state, RenameCluster(cluster_id="k1", title="x"), P3, clock.now()) == (
        "not_in_scope"
    )
    assert refusal(state, HarvestGroups(), P1, clock.now()) == "not_facilitator"
    events = decide(state, HarvestGroups(group_ids=("g1",)), OWNER, clock.now())
    assert events == [
        BoardHarvested(group_ids=("g1",), item_ids=("n1",), cluster_ids=("k1",), at=clock.now())
    ]
    assert decode_event(encode_event(events[0])) == events[0]  # the log keeps it exactly
    state = act(state, HarvestGroups(group_ids=("g1",)), OWNER, clock.now())
    assert state.board.items["n1"].harvested and state.board.items["n1"].scope == "g1"
    assert not state.board.items["n3"].harvested
    assert act(state, RenameCluster(cluster_id="k1", title="x"), P3, clock.now())
    assert refusal(state, HarvestGroups(group_ids=("g1",)), OWNER, clock.now()) == (
        "invalid_argument"
    )
    state = act(state, HarvestGroups(), OWNER, clock.now())
    assert state.board.items["n3"].harvested
    assert refusal(state, HarvestGroups(group_ids=("bad id",)), OWNER, clock.now()) == (
        "invalid_argument"
    )


def test_nothing_moderates_an_ended_workshop(room, clock):
    """After the end, moderation and harvest are refused as workshop_ended."""
    state = act(room, EndWorkshop(), OWNER, clock.now())
    for command in (HideItem(item_id="n1"), HarvestGroups()):
        assert refusal(state, command, OWNER, clock.now()) == "workshop_ended"


def test_nobody_but_its_author_can_find_unrevealed_private_writing(clock):
    """Facilitators do not see private writing before the reveal, so no command of theirs
    may confirm it exists: every one answers as if the id were unknown."""
    steps = (board_step("s0/p", "notes", private=True),)
    state = running_workshop(steps, clock.now(), ("p-1", "p-2"))
    state = act(state, PostNote(item_id="secret", text="mine"), P1, clock.now())
    for command in (
        HideItem(item_id="secret"),
        MarkConfidential(item_id="secret", confidential=True),
        EditNote(item_id="secret", text="changed"),
        ColourNote(item_id="secret", colour="red"),
    ):
        for actor in (OWNER, P2) if not isinstance(command, HideItem) else (OWNER,):
            assert refusal(state, command, actor, clock.now()) == "no_such_item", command
    assert act(state, ColourNote(item_id="secret", colour="red"), P1, clock.now())
    state = act(state, RevealItems(), OWNER, clock.now())
    assert act(state, HideItem(item_id="secret"), OWNER, clock.now())
