"""What each viewer sees of polls, queues, "done", canvases, reflections and speed matching."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.core.actors import Actor
from app.core.breakouts import OpenBreakouts
from app.core.commands import NextStep
from app.core.errors import Rejection
from app.core.groups import Group
from app.core.personal import ShareCanvas, UpdateCanvas
from app.core.polls import AnswerPoll, ClosePoll, OpenPoll, RevealPoll
from app.core.reducer import decide
from app.core.reflections import ShareReflection, SubmitReflection
from app.core.signals import RaiseHand, SignalDone
from app.core.speedmatching import FormMatches, PlanSpeedMatching, RateMatch
from app.core.state import WorkshopState
from app.core.views import Viewer
from tests.factories import OWNER, act, look, running_workshop, seen, step_allowing, with_groups

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PIDS = ("p-1", "p-2", "p-3", "p-4", "p-5")
P1, P2, P3, P4, P5 = (Actor("participant", pid) for pid in PIDS)
FACILITATOR = Viewer("facilitator", OWNER.id)
G1, G2 = "r1-g1", "r1-g2"
STEPS = (
    step_allowing("s0/work", "canvas", "reflection", "poll", "hand"),
    step_allowing("s1/check-out", "reflection", anonymous=True),
)
CANVAS_TEXT = "Reverse mentoring for the night shift"


def dump(state: WorkshopState, viewer: Viewer) -> str:
    return json.dumps(look(state, viewer), sort_keys=True)


def grouped(state: WorkshopState) -> WorkshopState:
    """p-1, p-2 in group 1, p-3, p-4 in group 2, p-5 in the plenary."""
    return with_groups(
        state, Group(id=G1, members=("p-1", "p-2")), Group(id=G2, members=("p-3", "p-4"))
    )


def room(step_index: int = 0) -> WorkshopState:
    state = running_workshop(STEPS, NOW, PIDS)
    for _ in range(step_index):
        state = act(state, NextStep(), OWNER, NOW)
    return grouped(state)


def canvas_room(*shares: Any) -> WorkshopState:
    """p-1 has a canvas, shared as ``shares`` say."""
    state = act(room(), UpdateCanvas(idea=CANVAS_TEXT, goal="Five pairs"), P1, NOW)
    for share in shares:
        state = act(state, share, P1, NOW)
    return state


def canvas_readers(state: WorkshopState) -> set[str]:
    """Who sees p-1's canvas text anywhere in their view."""
    viewers = [FACILITATOR, *(seen(pid) for pid in PIDS)]
    return {viewer.id for viewer in viewers if CANVAS_TEXT in dump(state, viewer)}


def test_a_private_canvas_reaches_only_its_owner():
    """Without consent the canvas is in its owner's ``my_canvas`` and nowhere else."""
    state = canvas_room()
    assert canvas_readers(state) == {"p-1"}
    mine = look(state, seen("p-1"))
    assert mine["my_canvas"]["main"]["idea"] == CANVAS_TEXT
    assert mine["canvases_shared"] == {}


def test_a_canvas_shared_with_the_group_reaches_the_group_and_the_facilitators():
    """A "group" consent shows the canvas to that group's members and the facilitators."""
    state = canvas_room(ShareCanvas(audience="group"))
    assert canvas_readers(state) == {"p-1", "p-2", OWNER.id}
    shared = look(state, seen("p-2"))["canvases_shared"]["p-1"]
    assert (shared["shared_with"], shared["group_id"]) == ("group", G1)


def test_a_canvas_shared_with_the_plenary_reaches_everyone():
    """A "plenary" consent shows the canvas to every viewer."""
    state = canvas_room(ShareCanvas(audience="plenary"))
    assert canvas_readers(state) == {*PIDS, OWNER.id}


def test_an_export_consent_alone_shows_nothing_live():
    """Consenting to the export does not put the canvas in anybody else's live view."""
    state = canvas_room(ShareCanvas(audience="export"))
    assert canvas_readers(state) == {"p-1"}
    assert look(state, seen("p-1"))["my_canvas"]["main"]["consents"] == ["export"]


def test_withdrawing_consent_takes_the_canvas_back():
    """Sharing and then choosing "private" removes the canvas from other views."""
    state = canvas_room(ShareCanvas(audience="plenary"), ShareCanvas(audience="private"))
    assert canvas_readers(state) == {"p-1"}


def test_anonymous_reflections_are_shared_without_their_author():
    """A check-out answer from an anonymous step is shown without author, group or time."""
    state = act(room(1), SubmitReflection(question="take_away", text="Ask more"), P1, NOW)
    assert "Ask more" not in dump(state, seen("p-2"))
    state = act(state, ShareReflection(question="take_away", audience="plenary"), P1, NOW)
    for viewer in (FACILITATOR, seen("p-2"), seen("p-5")):
        entries = look(state, viewer)["reflections_shared"]["take_away"]
        assert entries == [
            {
                "text": "Ask more",
                "author": None,
                "shared_with": "plenary",
                "group_id": None,
                "at": None,
            }
        ]
    assert look(state, seen("p-1"))["my_reflections"]["take_away"]["anonymous"] is True


def test_named_reflections_shared_with_the_group_name_their_author_there():
    """A named answer shared with the group is seen, with its author, by that group only."""
    state = act(room(), SubmitReflection(question="exciting", text="The fishbowl"), P3, NOW)
    state = act(state, ShareReflection(question="exciting", audience="group"), P3, NOW)
    assert look(state, seen("p-4"))["reflections_shared"]["exciting"][0]["author"] == "p-3"
    assert "The fishbowl" in dump(state, FACILITATOR)
    assert "The fishbowl" not in dump(state, seen("p-1"))
    assert "The fishbowl" not in dump(state, seen("p-5"))


def test_anonymous_poll_results_wait_for_the_reveal_and_never_name_anyone():
    """Participants see tallies once revealed; nobody ever sees who chose what."""
    state = act(room(), OpenPoll(poll_id="mood", question="How are you?"), OWNER, NOW)
    state = act(state, AnswerPoll(poll_id="mood", choices=(4,)), P1, NOW)
    state = act(state, AnswerPoll(poll_id="mood", choices=(2,)), P2, NOW)
    assert look(state, seen("p-3"))["polls"]["mood"]["tallies"] is None
    assert look(state, seen("p-3"))["polls"]["mood"]["answered"] == 2
    facilitator = look(state, FACILITATOR)["polls"]["mood"]
    # not even the facilitators watch an anonymous poll's tallies move: next to named
    # "done" signals the timing of each change would tell who chose what
    assert (facilitator["tallies"], facilitator["answers"]) == (None, {})
    assert look(state, seen("p-1"))["my_poll_answers"] == {"mood": {"choices": [4]}}
    assert look(state, seen("p-3"))["my_poll_answers"] == {}
    state = act(state, RevealPoll(poll_id="mood"), OWNER, NOW)
    assert look(state, seen("p-3"))["polls"]["mood"]["tallies"] == [0, 1, 0, 1, 0]
    assert look(state, FACILITATOR)["polls"]["mood"]["tallies"] == [0, 1, 0, 1, 0]
    late = decide(state, AnswerPoll(poll_id="mood", choices=(1,)), P2, NOW)
    assert isinstance(late, Rejection) and late.code == "poll_revealed"
    state = act(state, ClosePoll(poll_id="mood"), OWNER, NOW)
    assert look(state, seen("p-1"))["my_poll_answers"] == {"mood": {"choices": None}}
    for viewer in (FACILITATOR, seen("p-2"), seen("p-3")):
        assert "p-1" not in json.dumps(look(state, viewer)["polls"])


def test_named_poll_answers_reach_the_facilitators_only():
    """In a named poll the facilitators see who chose what; participants only the tallies."""
    poll = OpenPoll(
        poll_id="who", question="Who takes notes?", options=("me", "not me"), anonymous=False
    )
    state = act(room(), poll, OWNER, NOW)
    state = act(state, AnswerPoll(poll_id="who", choices=(0,)), P1, NOW)
    state = act(state, ClosePoll(poll_id="who"), OWNER, NOW)
    assert look(state, FACILITATOR)["polls"]["who"]["answers"] == {"p-1": [0]}
    shown = look(state, seen("p-2"))["polls"]["who"]
    assert shown["tallies"] == [1, 0]
    assert "answers" not in shown


def test_speaking_queues_reach_their_scope_and_the_facilitators():
    """A hand raised in a group is in that group's and the facilitators' queues only."""
    state = act(room(), RaiseHand(), P1, NOW)
    state = act(state, RaiseHand(), P5, NOW)
    facilitator = look(state, FACILITATOR)["queues"]
    assert [h["participant_id"] for h in facilitator[G1]["hands"]] == ["p-1"]
    assert set(facilitator) == {G1, G2, "plenary"}
    assert set(look(state, seen("p-2"))["queues"]) == {G1, "plenary"}
    assert set(look(state, seen("p-3"))["queues"]) == {G2, "plenary"}
    assert set(look(state, seen("p-5"))["queues"]) == {"plenary"}
    for pid in PIDS[1:]:
        queues = look(state, seen(pid))["queues"]
        assert [h["participant_id"] for h in queues["plenary"]["hands"]] == ["p-5"]


def test_done_names_reach_the_facilitators_and_the_room_sees_numbers():
    """Facilitators see who is done per scope; a participant their own scope's count only."""
    state = act(room(), SignalDone(), P1, NOW)
    facilitator = look(state, FACILITATOR)["done"]
    assert facilitator[G1] == {"count": 1, "total": 2, "done": ["p-1"]}
    assert facilitator["plenary"] == {"count": 0, "total": 1, "done": []}
    assert look(state, seen("p-2"))["done"] == {G1: {"count": 1, "total": 2}}
    assert look(state, seen("p-3"))["done"] == {G2: {"count": 0, "total": 2}}


def test_speed_matching_ratings_reach_only_the_rater_and_pairs_only_when_formed():
    """Ratings stay with their rater; the facilitators see the round; pairs show once formed."""
    steps = (step_allowing("speed/round", "notes"),)
    state = running_workshop(steps, NOW, ("p-1", "p-2", "p-3", "p-4"))
    state = act(state, PlanSpeedMatching(), OWNER, NOW)
    state = act(state, OpenBreakouts(strategy="rotation"), OWNER, NOW)
    group = state.breakouts.group_of("p-1")
    assert group is not None
    partner = next(pid for pid in group.members if pid != "p-1")
    state = act(state, RateMatch(partner_id=partner, score=3), P1, NOW)
    assert look(state, seen("p-1"))["my_ratings"] == {partner: 3}
    for viewer in (FACILITATOR, *(seen(pid) for pid in ("p-2", "p-3", "p-4"))):
        sections = look(state, viewer)
        assert sections["my_ratings"] == {}
        assert set(sections["matching"]) == {"main", "round"}
        assert sections["matching"]["main"]["formed"] is False
    assert len(look(state, FACILITATOR)["matching"]["round"]["pairs"]) == 2
    assert look(state, seen("p-1"))["matching"]["round"]["pairs"] == [list(group.members)]
    state = act(state, RateMatch(partner_id="p-1", score=4), Actor("participant", partner), NOW)
    state = act(state, FormMatches(), OWNER, NOW)
    pair = sorted(["p-1", partner])
    for viewer in (FACILITATOR, seen("p-3")):
        assert look(state, viewer)["matching"]["matches"] == {"pairs": [pair]}
