"""What each viewer sees of the board: scopes, private writing, anonymity, moderation, votes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from app.core.actors import Actor
from app.core.board import DeleteNote, MoveNote, PostNote
from app.core.clusters import CreateCluster
from app.core.groups import Group
from app.core.moderation import HarvestGroups, HideItem, MarkConfidential, RevealItems
from app.core.state import WorkshopState
from app.core.views import Viewer, diff
from app.core.voting import CastVote, RevealVotes
from app.core.wicked import AnswerWickedQuestion, ProposeWickedQuestion
from tests.factories import OWNER, act, board_step, look, running_workshop, seen, with_groups

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PIDS = ("p-1", "p-2", "p-3", "p-4", "p-5")
P1, P2, P3, P4, P5 = (Actor("participant", pid) for pid in PIDS)
FACILITATOR = Viewer("facilitator", OWNER.id)
G1, G2 = "r1-g1", "r1-g2"
# sections that name every participant by design; authorship must not leak anywhere else
ROSTER_SECTIONS = ("people", "groups", "me")


def dump(state: WorkshopState, viewer: Viewer, *, without: tuple[str, ...] = ()) -> str:
    """The viewer's view as JSON text, leaving out the sections named."""
    sections = {name: s for name, s in look(state, viewer).items() if name not in without}
    return json.dumps(sections, sort_keys=True)


def everyone() -> list[Viewer]:
    return [FACILITATOR, *(seen(pid) for pid in PIDS)]


def room(*actions: Any, **flags: Any) -> WorkshopState:
    """A running board step; p-1, p-2 in group 1, p-3, p-4 in group 2, p-5 in the plenary."""
    steps = (board_step("s0/board", *actions, **flags), board_step("s1/talk", "hand"))
    state = running_workshop(steps, NOW, PIDS)
    return with_groups(
        state, Group(id=G1, members=("p-1", "p-2")), Group(id=G2, members=("p-3", "p-4"))
    )


def test_a_group_note_reaches_its_group_and_the_facilitators_only():
    """A note posted in a group is in its members' and the facilitators' views, nobody else's."""
    state = act(room("notes"), PostNote(item_id="n1", text="Group one idea"), P1, NOW)
    for viewer in (FACILITATOR, seen("p-1"), seen("p-2")):
        assert look(state, viewer)["items"]["n1"]["text"] == "Group one idea"
    for pid in ("p-3", "p-4", "p-5"):
        assert "n1" not in look(state, seen(pid))["items"]
        assert "Group one idea" not in dump(state, seen(pid))


def test_harvested_group_items_reach_the_plenary_and_other_groups():
    """After a harvest the plenary (and the other groups) see the group's note, flagged."""
    state = act(room("notes"), PostNote(item_id="n1", text="Group one idea"), P1, NOW)
    state = act(state, HarvestGroups(), OWNER, NOW)
    for viewer in everyone():
        item = look(state, viewer)["items"]["n1"]
        assert (item["scope"], item["harvested"]) == (G1, True)


def test_plenary_items_reach_every_group():
    """A facilitator's plenary note is in every view; a facilitator's id only in theirs."""
    state = act(room("notes"), PostNote(item_id="n1", text="For all"), OWNER, NOW)
    for viewer in everyone():
        item = look(state, viewer)["items"]["n1"]
        assert item["author_kind"] == "user"
        assert item["author"] == (OWNER.id if viewer == FACILITATOR else None)
    for pid in PIDS:
        assert OWNER.id not in dump(state, seen(pid))


def test_private_writing_reaches_only_its_author_until_the_reveal():
    """Unrevealed private notes are in the author's ``my_items`` only, facilitators included."""
    state = act(room("notes", private=True), PostNote(item_id="n1", text="Only mine"), P1, NOW)
    mine = look(state, seen("p-1"))
    assert mine["my_items"]["n1"]["text"] == "Only mine"
    assert mine["my_items"]["n1"]["revealed"] is False
    assert "n1" not in mine["items"]
    for viewer in (FACILITATOR, *(seen(pid) for pid in PIDS[1:])):
        assert "Only mine" not in dump(state, viewer)
        assert "n1" not in dump(state, viewer)
    state = act(state, RevealItems(), OWNER, NOW)
    for viewer in (FACILITATOR, seen("p-1"), seen("p-2")):
        assert look(state, viewer)["items"]["n1"]["text"] == "Only mine"
    assert look(state, seen("p-1"))["my_items"]["n1"]["revealed"] is True
    assert "Only mine" not in dump(state, seen("p-3"))  # still group one's


def test_my_items_lists_my_own_items_only():
    """``my_items`` holds the viewer's own items, so a client can mark them as theirs."""
    state = act(room("notes"), PostNote(item_id="n1", text="one"), P1, NOW)
    state = act(state, PostNote(item_id="n2", text="two"), P2, NOW)
    state = act(state, PostNote(item_id="n3", text="three"), OWNER, NOW)
    assert set(look(state, seen("p-1"))["my_items"]) == {"n1"}
    assert set(look(state, seen("p-2"))["my_items"]) == {"n2"}
    assert set(look(state, FACILITATOR)["my_items"]) == {"n3"}


def test_an_anonymous_step_names_no_author_to_anyone_else():
    """Notes, questions, answers and dots of an anonymous step never name their writer."""
    steps = (board_step("s0/anon", "notes", "wicked_questions", dots=2, anonymous=True),)
    state = running_workshop(steps, NOW, ("zed-author", "p-2", "p-3"))
    author = Actor("participant", "zed-author")
    state = act(state, PostNote(item_id="n1", text="Brave words"), author, NOW)
    state = act(state, ProposeWickedQuestion(item_id="q1", pole_a="a", pole_b="b"), P2, NOW)
    state = act(state, AnswerWickedQuestion(item_id="q1", answer_id="a1", text="hm"), author, NOW)
    state = act(state, CastVote(item_id="n1"), author, NOW)
    state = act(state, CastVote(item_id="q1"), author, NOW)
    state = act(state, RevealVotes(), OWNER, NOW)
    for viewer in (FACILITATOR, seen("p-2"), seen("p-3")):
        sections = look(state, viewer)
        item = sections["items"]["n1"]
        assert item["anonymous"] is True
        assert item["author"] is item["author_kind"] is item["created_at"] is None
        assert sections["items"]["q1"]["answers"][0]["author"] is None
        assert sections["tallies"]["s0/anon"]["counts"] == {"n1": 1, "q1": 1}
        assert "zed-author" not in dump(state, viewer, without=ROSTER_SECTIONS)
    facilitator = look(state, FACILITATOR)["tallies"]["s0/anon"]
    assert (facilitator["voters"], facilitator["by_scope"]) == ({}, {})
    own = look(state, Viewer("participant", "zed-author"))
    assert own["my_items"]["n1"]["author"] == "zed-author"
    assert own["my_votes"]["s0/anon"]["dots"] == {"n1": 1, "q1": 1}


def test_hidden_items_reach_the_author_and_the_facilitators_only():
    """A hidden note stays in its author's ``my_items``; facilitators see it with the reason."""
    state = act(room("notes"), PostNote(item_id="n1", text="Rude remark"), P1, NOW)
    state = act(state, HideItem(item_id="n1", reason="off topic"), OWNER, NOW)
    facilitator = look(state, FACILITATOR)["items"]["n1"]
    assert (facilitator["hidden"], facilitator["hidden_reason"]) == (True, "off topic")
    mine = look(state, seen("p-1"))
    assert "n1" not in mine["items"]
    assert mine["my_items"]["n1"]["hidden"] is True
    assert "off topic" not in json.dumps(mine)
    assert "Rude remark" not in dump(state, seen("p-2"))


def test_confidential_items_stay_visible_with_a_flag():
    """A confidential note is shown in the room, marked confidential."""
    state = act(room("notes"), PostNote(item_id="n1", text="Internal"), P1, NOW)
    state = act(state, MarkConfidential(item_id="n1", confidential=True), P1, NOW)
    for viewer in (FACILITATOR, seen("p-1"), seen("p-2")):
        assert look(state, viewer)["items"]["n1"]["confidential"] is True


def test_a_deleted_item_leaves_every_view_as_a_deletion():
    """Deleting a note removes it from views; the diff carries the removal."""
    state = act(room("notes"), PostNote(item_id="n1", text="Oops"), P1, NOW)
    before = look(state, seen("p-2"))
    state = act(state, DeleteNote(item_id="n1"), P1, NOW)
    after = look(state, seen("p-2"))
    assert "n1" not in after["items"]
    assert "n1" not in look(state, seen("p-1"))["my_items"]
    assert [(c.section, c.key, c.value) for c in diff(before, after)] == [("items", "n1", None)]


def test_clusters_follow_the_scope_of_their_group():
    """A group's cluster is seen by that group and the facilitators until it is harvested."""
    state = act(room("notes", "cluster"), CreateCluster(cluster_id="k1", title="Money"), P3, NOW)
    state = act(state, PostNote(item_id="n1", text="Budget"), P3, NOW)
    state = act(state, MoveNote(item_id="n1", cluster_id="k1"), P4, NOW)
    assert look(state, seen("p-4"))["clusters"]["k1"]["title"] == "Money"
    assert look(state, seen("p-4"))["items"]["n1"]["cluster_id"] == "k1"
    assert "k1" in look(state, FACILITATOR)["clusters"]
    assert "Money" not in dump(state, seen("p-1"))
    assert "Money" not in dump(state, seen("p-5"))
    state = act(state, HarvestGroups(group_ids=(G2,)), OWNER, NOW)
    assert look(state, seen("p-5"))["clusters"]["k1"]["harvested"] is True


def test_tallies_stay_hidden_until_revealed():
    """Before the reveal nobody sees counts; the voter sees their own dots; then all see."""
    state = act(room("notes", dots=2), PostNote(item_id="n1", text="Plenary"), OWNER, NOW)
    state = act(state, CastVote(item_id="n1"), P1, NOW)
    for pid in PIDS:
        assert look(state, seen(pid))["tallies"] == {}
    facilitator = look(state, FACILITATOR)["tallies"]["s0/board"]
    assert facilitator["counts"] == {}
    assert (facilitator["dots_used"], facilitator["voters"]) == ({G1: 1}, {"p-1": 1})
    mine = look(state, seen("p-1"))["my_votes"]["s0/board"]
    assert (mine["used"], mine["left"], mine["dots"]) == (1, 1, {"n1": 1})
    other = look(state, seen("p-2"))["my_votes"]["s0/board"]
    assert (other["used"], other["dots"]) == (0, {})
    state = act(state, RevealVotes(), OWNER, NOW)
    for viewer in everyone():
        assert look(state, viewer)["tallies"]["s0/board"]["counts"] == {"n1": 1}


def test_a_scope_that_has_voted_sees_its_own_tallies_first():
    """When group one has used every dot, its members see its counts; nobody else yet."""
    state = act(room("notes", dots=1), PostNote(item_id="n1", text="Plenary"), OWNER, NOW)
    state = act(state, CastVote(item_id="n1"), P1, NOW)
    state = act(state, CastVote(item_id="n1"), P2, NOW)  # the last dot of group one
    state = act(state, CastVote(item_id="n1"), P3, NOW)
    for pid in ("p-1", "p-2"):
        shown = look(state, seen(pid))["tallies"]["s0/board"]
        assert (shown["revealed"], shown["counts"]) == (True, {"n1": 2})
    for pid in ("p-3", "p-4", "p-5"):
        assert look(state, seen(pid))["tallies"] == {}
    facilitator = look(state, FACILITATOR)["tallies"]["s0/board"]
    assert facilitator["revealed_scopes"] == [G1]
    assert facilitator["counts"] == {"n1": 2}
    assert facilitator["by_scope"] == {G1: {"n1": 2}}


def test_dots_on_items_a_viewer_cannot_see_are_not_counted_for_them():
    """Revealed tallies never mention an item the audience does not see."""
    state = act(room("notes", dots=1), PostNote(item_id="n1", text="Group two"), P3, NOW)
    state = act(state, CastVote(item_id="n1"), P3, NOW)
    state = act(state, RevealVotes(), OWNER, NOW)
    assert look(state, seen("p-3"))["tallies"]["s0/board"]["counts"] == {"n1": 1}
    assert look(state, seen("p-1"))["tallies"]["s0/board"]["counts"] == {}
    assert look(state, seen("p-5"))["tallies"]["s0/board"]["counts"] == {}


@pytest.mark.parametrize("viewer", everyone(), ids=lambda v: v.id)
def test_board_sections_are_plain_json_and_stable(viewer):
    """Board sections survive a JSON round trip and come out the same twice."""
    state = act(
        room("notes", "wicked_questions", dots=2), PostNote(item_id="n1", text="x"), P1, NOW
    )
    state = act(state, ProposeWickedQuestion(item_id="q1", pole_a="a", pole_b="b"), OWNER, NOW)
    state = act(state, MoveNote(item_id="n1", x=1.5, y=2), P2, NOW)
    first = look(state, viewer)
    assert json.loads(json.dumps(first)) == first
    assert json.dumps(look(state, viewer)) == json.dumps(first)
