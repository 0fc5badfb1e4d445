"""Groups that continue earlier groups: 1-2-4-All's foursomes are made of whole pairs and
see what those pairs wrote; a group kept as it was keeps its board. A grouping drawn anew
inherits nothing, even where it happens to hold a whole earlier group."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from app.core.actors import Actor
from app.core.board import MoveNote, PostNote
from app.core.breakouts import CloseBreakouts, OpenBreakouts, continued
from app.core.clusters import CreateCluster
from app.core.commands import NextStep
from app.core.groups import Group
from app.core.people import RemoveParticipant
from app.core.plan import GroupConfig, Permissions, PlanStep
from app.core.state import WorkshopState
from app.core.views import Viewer
from tests.factories import OWNER, act, look, refusal, running_workshop, seen, step

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
PEOPLE = tuple(f"p-{i}" for i in range(1, 9))
FACILITATOR = Viewer("facilitator", OWNER.id)


def grouped(key: str, kind: str, **config: object) -> PlanStep:
    """A five-minute step that forms groups of ``kind`` and lets participants write notes."""
    return replace(
        step(key, 5),
        group=GroupConfig(kind=kind, **config),  # type: ignore[arg-type]
        permissions=Permissions(actions=frozenset({"notes", "cluster"})),
    )


ONE_TWO_FOUR = (
    grouped("124/pairs", "pairs"),
    grouped("124/four", "foursomes", keep_partners=True),
    grouped("124/trios", "trios"),
)


def notes_seen(state: WorkshopState, pid: str) -> set[str]:
    return {item["text"] for item in look(state, seen(pid))["items"].values()}


def pair_notes() -> tuple[WorkshopState, dict[str, str]]:
    """Eight people in pairs, each pair with one note; the note of each person's pair."""
    state = running_workshop(ONE_TWO_FOUR, NOW, PEOPLE)
    note_of: dict[str, str] = {}
    for n, group in enumerate(state.breakouts.groups):
        text = f"idea of {group.id}"
        state = act(
            state,
            PostNote(item_id=f"n-{n}", text=text),
            Actor("participant", group.members[0]),
            NOW,
        )
        for pid in group.members:
            note_of[pid] = text
    return state, note_of


def test_pairs_merged_into_foursomes_see_their_pairs_notes_and_no_others():
    state, note_of = pair_notes()
    pairs = state.breakouts.groups
    state = act(state, NextStep(), OWNER, NOW)
    for four in state.breakouts.groups:
        inside = {p.id for p in pairs if set(p.members) <= set(four.members)}
        assert set(four.continues) == inside and len(inside) == 2
        expected = {note_of[pid] for pid in four.members}
        for pid in four.members:
            assert notes_seen(state, pid) == expected
    assert len(look(state, FACILITATOR)["items"]) == 4


def test_a_foursome_may_work_on_its_pairs_notes_but_not_on_other_pairs_notes():
    state, _ = pair_notes()
    state = act(state, NextStep(), OWNER, NOW)
    items = look(state, FACILITATOR)["items"]
    for four in state.breakouts.groups:
        someone = Actor("participant", four.members[-1])
        for item_id, item in items.items():
            move = MoveNote(item_id=item_id, x=10.0, y=20.0)
            if item["scope"] in four.continues:
                act(state, move, someone, NOW)
            else:
                assert refusal(state, move, someone, NOW) == "not_in_scope"


def test_a_foursome_clusters_its_pairs_notes_in_its_own_clusters():
    state, _ = pair_notes()
    state = act(state, NextStep(), OWNER, NOW)
    four = state.breakouts.groups[0]
    someone = Actor("participant", four.members[0])
    state = act(state, CreateCluster(cluster_id="k-1", title="Gemeinsam"), someone, NOW)
    items = look(state, FACILITATOR)["items"]
    for item_id, item in items.items():
        move = MoveNote(item_id=item_id, cluster_id="k-1")
        if item["scope"] in four.continues:
            state = act(state, move, someone, NOW)
        else:
            assert refusal(state, move, OWNER, NOW) == "not_in_scope"
    clustered = [i for i in look(state, seen(someone.id))["items"].values() if i["cluster_id"]]
    assert len(clustered) == 2


def test_a_grouping_drawn_anew_inherits_nothing():
    """The third step draws trios: no group continues any earlier one, even a trio that
    holds a whole pair, so the pairs' notes stay with the pairs."""
    state, _ = pair_notes()
    state = act(state, NextStep(), OWNER, NOW)
    state = act(state, NextStep(), OWNER, NOW)
    assert all(group.continues == () for group in state.breakouts.groups)
    for pid in PEOPLE:
        assert notes_seen(state, pid) == set()


def test_groups_kept_continue_the_earlier_groups_and_what_those_continued():
    state, note_of = pair_notes()
    state = act(state, NextStep(), OWNER, NOW)  # foursomes of pairs
    fours = state.breakouts.groups
    state = act(state, CloseBreakouts(), OWNER, NOW)
    state = act(state, OpenBreakouts(strategy="keep"), OWNER, NOW)
    for again, before in zip(state.breakouts.groups, fours, strict=True):
        assert set(again.continues) == {before.id, *before.continues}
        for pid in again.members:
            assert notes_seen(state, pid) == {note_of[p] for p in again.members}


def test_a_pair_whose_partner_left_is_still_continued_by_the_remaining_partners_group():
    state, note_of = pair_notes()
    first = state.breakouts.groups[0]
    state = act(state, RemoveParticipant(participant_id=first.members[1]), OWNER, NOW)
    state = act(state, NextStep(), OWNER, NOW)
    stayer = first.members[0]
    assert note_of[stayer] in notes_seen(state, stayer)


def test_continued_is_computed_from_members_still_present():
    pair = Group(id="r1-g1", members=("a", "b"), continues=("r0-g9",))
    other = Group(id="r1-g2", members=("c", "d"))
    assert continued((pair, other), ("a", "b", "e"), {"a", "b", "c", "d", "e"}) == (
        "r0-g9",
        "r1-g1",
    )
    assert continued((pair, other), ("a", "e"), {"a", "b", "c", "d", "e"}) == ()
    assert continued((pair, other), ("a", "e"), {"a", "c", "d", "e"}) == ("r0-g9", "r1-g1")
    assert continued((pair,), ("e",), {"e"}) == ()  # nobody of the pair is left
