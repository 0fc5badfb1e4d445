"""Joining and leaving: a late joiner's seat, and everything a removed participant leaves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from app.core.actors import SYSTEM, Actor
from app.core.board import PostNote
from app.core.commands import PauseWorkshop
from app.core.groups import PLENARY, Group, RoleTurn
from app.core.people import RemoveParticipant
from app.core.plan import GroupConfig, RoleSpec, Text
from app.core.reducer import decide
from app.core.roles import role_of
from app.core.signals import RaiseHand, SignalDone, done_by_group, queue_of
from app.core.signalstate import done_key
from app.core.state import WorkshopState
from tests.factories import (
    OWNER,
    act,
    admit,
    refusal,
    running_workshop,
    step_allowing,
    workshop,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEXT = Text(de="x", en="x")
GIVER = RoleSpec(id="giver", name=TEXT, instructions=TEXT, count=1)
MODERATOR = RoleSpec(id="moderator", name=TEXT, instructions=TEXT, count=1)
REST = RoleSpec(id="rest", name=TEXT, instructions=TEXT)
CASE = replace(
    step_allowing("1/kb/case", "notes", "hand", roles=(GIVER, MODERATOR, REST)),
    structure_id="kb",
    group=GroupConfig(kind="groups", min_size=4, max_size=5),
)
PIDS = ("p-1", "p-2", "p-3", "p-4", "p-5")


def member(pid: str) -> Actor:
    return Actor("participant", pid)


def case_room(roles: dict[str, str], turns: tuple[RoleTurn, ...] = ()) -> WorkshopState:
    """Five people in one group of a case step with the roles given."""
    state = running_workshop((CASE,), NOW, PIDS)
    group = Group(id="r1-g1", members=PIDS, roles=roles)
    breakouts = replace(state.breakouts, groups=(group,), role_turns=turns, step_index=0)
    return replace(state, breakouts=breakouts)


def remove(pid: str) -> RemoveParticipant:
    return RemoveParticipant(participant_id=pid)


def test_a_removed_case_giver_hands_the_case_to_the_consultant_with_fewest_turns():
    """The counted role goes to the member holding the role without count who held least."""
    roles = {"p-1": "giver", "p-2": "moderator", "p-3": "rest", "p-4": "rest", "p-5": "rest"}
    earlier = (RoleTurn(structure_id="kb", round=0, participant_id="p-3", role="giver"),)
    state = case_room(roles, earlier)
    events = decide(state, remove("p-1"), OWNER, NOW)
    assert [event.type for event in events] == ["breakouts.left", "participant.removed"]
    state = act(state, remove("p-1"), OWNER, NOW)
    (group,) = state.breakouts.groups
    assert group.members == ("p-2", "p-3", "p-4", "p-5")
    assert group.roles == {"p-2": "moderator", "p-3": "rest", "p-4": "giver", "p-5": "rest"}
    assert role_of(state, "p-4") == "giver"
    assert state.breakouts.role_turns[-1] == RoleTurn(
        structure_id="kb", round=1, participant_id="p-4", role="giver"
    )
    assert "p-1" not in state.participants


def test_a_counted_role_without_an_heir_is_left_empty():
    """When nobody holds the role without a count, the leaver's role stays empty."""
    roles = {"p-1": "giver", "p-2": "moderator", "p-3": "moderator"}
    state = act(case_room(roles), remove("p-1"), OWNER, NOW)
    assert "giver" not in state.breakouts.groups[0].roles.values()
    state = act(state, remove("p-4"), OWNER, NOW)  # held no role: nothing to hand on
    assert state.breakouts.groups[0].members == ("p-2", "p-3", "p-5")


def test_a_removed_participant_leaves_every_queue_and_done_signal_but_not_the_board():
    """Their hand goes down, their done signals go, their notes stay on the board."""
    state = running_workshop((step_allowing("s0/talk", "hand", "notes"),), NOW, PIDS)
    state = act(state, PostNote(item_id="n1", text="keep me"), member("p-2"), NOW)
    for pid in ("p-1", "p-2", "p-3"):
        state = act(state, RaiseHand(), member(pid), NOW)
    state = act(state, SignalDone(), member("p-2"), NOW)
    state = act(state, SignalDone(), member("p-3"), NOW)
    events = decide(state, remove("p-2"), OWNER, NOW)
    assert [event.type for event in events] == [
        "hand.lowered",
        "done.withdrawn",
        "participant.removed",
    ]
    state = act(state, remove("p-2"), OWNER, NOW)
    assert queue_of(state, PLENARY) == ("p-1", "p-3")
    assert state.signals.queues[PLENARY][1].participant_id == "p-3"
    assert state.signals.done[done_key(0, 1)] == {"p-3"}
    assert done_by_group(state) == {PLENARY: (1, 4)}
    assert state.board.items["n1"].author == "p-2" and not state.board.items["n1"].deleted
    assert refusal(state, remove("p-2"), OWNER, NOW) == "no_such_participant"


def test_a_late_joiner_is_seated_while_paused_but_not_in_the_plenary():
    """Admission seats the newcomer whenever groups are open, and only then."""
    state = running_workshop((CASE,), NOW, PIDS)
    assert state.breakouts.open
    paused = act(state, PauseWorkshop(), OWNER, NOW)
    paused = act(paused, admit("late"), SYSTEM, NOW)
    assert paused.breakouts.group_of("late") is not None
    assert role_of(paused, "late") == "rest"
    for plenary in (workshop((CASE,), NOW), running_workshop((CASE,), NOW, ())):
        events = decide(plenary, admit("late"), SYSTEM, NOW)
        assert [event.type for event in events] == ["participant.joined"]
