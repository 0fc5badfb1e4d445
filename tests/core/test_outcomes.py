"""The outcome record: what an export may contain, built on the live visibility function."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.board import PostNote
from app.core.outcomes import exported, outcome_record, pseudonyms
from app.core.reducer import fold
from app.core.views import Viewer, view
from app.core.voting import CastVote, RevealVotes
from tests.factories import OWNER, act, board_step, running_workshop
from tests.recorded import EXPORT_NOW, P1, SECRETS, SHARED, START, record


def _dump(record_: object) -> str:
    return json.dumps(record_, ensure_ascii=False, sort_keys=True)


def test_the_record_holds_the_shared_outcomes_and_none_of_the_secrets():
    """Every secret of the recorded workshop stays out; every shared outcome is in."""
    text = _dump(outcome_record(record().state, EXPORT_NOW))
    assert [secret for secret in SECRETS if secret in text] == []
    assert [shared for shared in SHARED if shared not in text] == []


def test_no_participant_or_account_id_and_no_author_field_reaches_the_record():
    """Participants appear only as pseudonyms: no ids, no author fields, no e-mails."""
    state = record().state
    text = _dump(outcome_record(state, EXPORT_NOW))
    for pid in state.participants:
        assert f'"{pid}"' not in text
    assert '"author' not in text and "@" not in text


def test_exported_items_are_the_facilitators_live_items_without_hidden_or_confidential():
    """The export starts from the live view: the facilitators' items minus moderated ones."""
    state = record().state
    live = view(state, Viewer("facilitator", OWNER.id))
    assert live is not None
    expected = {
        item_id: item["text"]
        for item_id, item in live["items"].items()
        if not item["hidden"] and not item["confidential"]
    }
    steps = outcome_record(state, EXPORT_NOW)["steps"]
    shown = {item["id"]: item["text"] for step in steps for item in step["items"]}
    assert shown == expected
    assert {"n-vertraulich", "n-versteckt", "n-privat"}.isdisjoint(shown)
    assert all(exported(state.board.items[item_id]) for item_id in shown)


def test_exported_votes_and_clusters_are_the_facilitators_live_tallies_and_clusters():
    """Vote counts and clusters come from the same visibility as the live view."""
    state = record().state
    live = view(state, Viewer("facilitator", OWNER.id))
    assert live is not None
    steps = outcome_record(state, EXPORT_NOW)["steps"]
    for step in steps:
        tally = live["tallies"].get(step["key"])
        exported_votes = {i["id"]: i["votes"] for i in step["items"] if i["votes"]}
        live_votes = {
            item_id: dots
            for item_id, dots in (tally["counts"] if tally else {}).items()
            if item_id in {i["id"] for i in step["items"]}
        }
        assert exported_votes == live_votes, step["key"]
    live_clusters = {cid: c["title"] for cid, c in live["clusters"].items()}
    assert {c["id"]: c["title"] for s in steps for c in s["clusters"]} == live_clusters


def test_the_record_is_the_same_for_the_same_log_and_moment():
    """Folding the same log again gives the identical record; a later moment only moves time."""
    run = record()
    first = outcome_record(run.state, EXPORT_NOW)
    assert outcome_record(fold(run.events), EXPORT_NOW) == first
    later = outcome_record(run.state, EXPORT_NOW + timedelta(minutes=5))
    assert later["steps"][:3] == first["steps"][:3]
    assert later["steps"][3]["actual_s"] == first["steps"][3]["actual_s"] + 300


def test_groups_are_numbered_per_step_and_planned_and_actual_time_are_kept():
    """Pairs become groups 1 and 2; actual time excludes the pause, planned is the plan's."""
    state = record().state
    steps = outcome_record(state, EXPORT_NOW)["steps"]
    assert steps[1]["groups"] == [1, 2]
    assert {item["group"] for item in steps[1]["items"]} <= {1, 2}
    assert all(item["group"] is None for item in steps[0]["items"])
    run = next(r for r in state.runs if r.index == 0)
    assert steps[0]["actual_s"] == round(run.active_s(EXPORT_NOW)) and run.paused_s > 0
    assert [s["planned_s"] for s in steps] == [300, 300, 300, 300]
    assert [s["status"] for s in steps] == ["run", "run", "run", "current"]


def test_wicked_questions_are_ranked_by_revealed_votes():
    """The question with the most dots comes first; confidential dots are not counted."""
    steps = outcome_record(record().state, EXPORT_NOW)["steps"]
    assert steps[1]["wicked_questions"] == ["q-neu", "q-teilen"]
    votes = {item["id"]: item["votes"] for item in steps[0]["items"]}
    assert votes == {"n-austausch": 3, "n-formel": 1}


def test_vote_counts_stay_out_until_revealed():
    """Dots cast but not revealed give no counts, not even zeros."""
    state = running_workshop((board_step("s0/vote", "notes", dots=2),), START, ("p-1",))
    state = act(state, PostNote(item_id="n1", text="Idee"), P1, START)
    state = act(state, CastVote(item_id="n1"), P1, START)
    step = outcome_record(state, START)["steps"][0]
    assert step["vote"] is None and step["items"][0]["votes"] is None
    state = act(state, RevealVotes(), OWNER, START)
    step = outcome_record(state, START)["steps"][0]
    assert step["vote"] == {"budget": 2, "revealed_all": True}
    assert step["items"][0]["votes"] == 1


def test_a_canvas_leaves_the_record_when_its_owner_withdraws_the_export_consent():
    """Consent is the owner's: withdrawing it removes the canvas from the next export."""
    run = record()
    assert outcome_record(run.state, EXPORT_NOW)["canvases"][0]["owner"] == "Teilnehmer:in 1"
    canvas = run.state.personal.canvases["p-1"]
    withdrawn = replace(
        run.state,
        personal=replace(
            run.state.personal,
            canvases={**run.state.personal.canvases, "p-1": replace(canvas, consents=frozenset())},
        ),
    )
    assert outcome_record(withdrawn, EXPORT_NOW)["canvases"] == []


def test_pseudonyms_follow_the_order_of_joining():
    """Teilnehmer:in 1 joined first; the numbering never uses names."""
    assert pseudonyms(record().state) == {
        "p-1": "Teilnehmer:in 1",
        "p-2": "Teilnehmer:in 2",
        "p-3": "Teilnehmer:in 3",
        "p-4": "Teilnehmer:in 4",
    }


def test_polls_are_exported_only_when_public_and_only_as_tallies():
    """The closed poll's tallies are in; the open, unrevealed one is not there at all."""
    polls = outcome_record(record().state, EXPORT_NOW)["polls"]
    assert [poll["id"] for poll in polls] == ["poll-mood"]
    assert polls[0]["tallies"] == [0, 0, 0, 2, 1] and polls[0]["answered"] == 3
    assert "answers" not in polls[0]


_BASE = record().state
_FLAGS = st.fixed_dictionaries(
    {
        "hidden": st.booleans(),
        "confidential": st.booleans(),
        "revealed": st.booleans(),
        "deleted": st.booleans(),
        "anonymous": st.booleans(),
        "harvested": st.booleans(),
        "scope": st.sampled_from(["plenary", "r1-g1", "r1-g2"]),
    }
)


@given(st.lists(_FLAGS, min_size=1, max_size=6))
@settings(max_examples=80, deadline=None)
def test_for_any_flags_only_live_unmoderated_items_leave_the_room(flags: list[dict[str, Any]]):
    """Whatever the moderation, privacy and anonymity flags, an item is exported exactly when
    it is live, revealed, not hidden and not confidential, and never with its author."""
    template = _BASE.board.items["n-austausch"]
    items = dict(_BASE.board.items)
    expected = set()
    for number, flag in enumerate(flags):
        item = replace(template, id=f"x-{number}", text=f"Flagged text {number}", **flag)
        items[item.id] = item
        if item.revealed and not (item.deleted or item.hidden or item.confidential):
            expected.add(item.id)
    state = replace(_BASE, board=replace(_BASE.board, items=items))
    record_ = outcome_record(state, EXPORT_NOW)
    shown = {i["id"] for s in record_["steps"] for i in s["items"] if i["id"].startswith("x-")}
    assert shown == expected
    text = _dump(record_)
    for number in range(len(flags)):
        assert (f"Flagged text {number}" in text) == (f"x-{number}" in expected)
    assert '"author' not in text
