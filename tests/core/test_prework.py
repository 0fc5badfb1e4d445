"""Pre-work: a first step open before the start takes participants' notes in the lobby."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from app.core.actors import SYSTEM, Actor
from app.core.board import DeleteNote, EditNote, MoveNote, PostNote
from app.core.boardrights import acting_step
from app.core.clusters import CreateCluster
from app.core.commands import StartWorkshop
from app.core.moderation import MarkConfidential
from app.core.outcomes import outcome_record
from app.core.plan import Action, Permissions, PlanStep
from app.core.state import WorkshopState
from tests.factories import OWNER, act, admit, board_step, look, refusal, seen, workshop

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
P1, P2 = Actor("participant", "p-1"), Actor("participant", "p-2")


def _prework(*actions: Action, private: bool = False) -> PlanStep:
    first = board_step("pre/share", *actions, private=private)
    return replace(first, permissions=replace(first.permissions, before_start=True))


def _lobby(first: PlanStep) -> WorkshopState:
    state = workshop((first, board_step("collect/notes", "notes")), NOW)
    for pid in ("p-1", "p-2"):
        state = act(state, admit(pid), SYSTEM, NOW)
    return state


def test_participants_post_into_a_pre_work_step_before_the_start():
    """In the lobby a note goes to step 0, in the plenary, seen by the others."""
    state = _lobby(_prework("notes"))
    assert acting_step(state) == (0, state.plan[0])
    state = act(state, PostNote(item_id="n-1", text="Erfahrung", area="experiences"), P1, NOW)
    item = state.board.items["n-1"]
    assert (item.step_index, item.scope, item.author) == (0, "plenary", "p-1")
    assert "n-1" in look(state, seen("p-2"))["items"]
    state = act(state, EditNote(item_id="n-1", text="Erfahrung, genauer"), P1, NOW)
    assert state.board.items["n-1"].text == "Erfahrung, genauer"
    assert refusal(state, EditNote(item_id="n-1", text="fremd"), P2, NOW) == "not_author"
    state = act(state, MoveNote(item_id="n-1", area="questions"), P2, NOW)
    state = act(state, DeleteNote(item_id="n-1"), P1, NOW)
    assert state.board.items["n-1"].deleted


def test_without_pre_work_the_lobby_stays_closed_to_participants():
    """A first step that is not open before the start refuses with workshop_not_started."""
    state = _lobby(board_step("first/notes", "notes"))
    assert acting_step(state) is None
    code = refusal(state, PostNote(item_id="n-1", text="zu früh"), P1, NOW)
    assert code == "workshop_not_started"


def test_only_what_the_pre_work_step_allows_and_only_in_the_lobby():
    """Clusters need the step's 'cluster'; strangers stay out; once running, the plan rules."""
    state = _lobby(_prework("notes"))
    assert refusal(state, CreateCluster(cluster_id="c", title="x"), P1, NOW) == "action_not_allowed"
    stranger = Actor("participant", "p-9")
    assert refusal(state, PostNote(item_id="n-9", text="x"), stranger, NOW) == "not_participant"
    state = act(state, PostNote(item_id="n-1", text="vorab"), P1, NOW)
    state = act(state, StartWorkshop(), OWNER, NOW)
    assert acting_step(state) == (0, state.plan[0])
    state = act(state, PostNote(item_id="n-2", text="live"), P2, NOW)
    assert {i.step_index for i in state.board.items.values()} == {0}


def test_pre_work_notes_are_exported_with_their_step_and_confidential_ones_are_not():
    """The outcome record lists pre-work notes under step 0, never their author, and drops
    notes their author marked confidential."""
    state = _lobby(_prework("notes"))
    state = act(state, PostNote(item_id="n-1", text="Erfahrung A", area="experiences"), P1, NOW)
    state = act(state, PostNote(item_id="n-2", text="Nur im Raum"), P2, NOW)
    state = act(state, MarkConfidential(item_id="n-2", confidential=True), P2, NOW)
    record = outcome_record(state, NOW)
    texts = [item["text"] for item in record["steps"][0]["items"]]
    assert texts == ["Erfahrung A"]
    assert "p-1" not in str(record) and record["steps"][0]["status"] == "not_run"


def test_private_pre_work_stays_with_its_author_before_the_start():
    """A pre-work step that writes privately keeps notes unrevealed, as in the live step."""
    state = _lobby(_prework("notes", private=True))
    state = act(state, PostNote(item_id="n-1", text="geheim"), P1, NOW)
    assert not state.board.items["n-1"].revealed
    assert "n-1" not in look(state, seen("p-2"))["items"]
    assert Permissions().before_start is False
