"""Step changes carry the room along: reveals on leaving, the plan's groups on entering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.core.actors import SYSTEM, Actor
from app.core.board import PostNote
from app.core.breakouts import BreakoutsOpened, CloseBreakouts, OpenBreakouts
from app.core.commands import (
    EndWorkshop,
    ExpireStep,
    JumpToStep,
    NextStep,
    PauseWorkshop,
    PreviousStep,
    StartWorkshop,
)
from app.core.groups import PLENARY
from app.core.plan import GroupConfig, PlanStep, RoleSpec, Text
from app.core.polls import ClosePoll, OpenPoll
from app.core.reducer import decide
from app.core.roles import role_of
from app.core.speedmatching import PlanSpeedMatching
from app.core.state import WorkshopState
from app.core.transitions import structure_run
from app.core.voting import CastVote
from tests.factories import OWNER, act, admit, board_step, running_workshop, step, workshop

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEXT = Text(de="x", en="x")
P1 = Actor("participant", "p-1")


def ids(count: int) -> tuple[str, ...]:
    return tuple(f"p-{i}" for i in range(1, count + 1))


def grouped(key: str, kind: str, *, roles: tuple[RoleSpec, ...] = (), **config) -> PlanStep:
    """A five-minute step of the structure named by the key's part before the step id."""
    return replace(
        step(key, 5),
        structure_id=key.split("/")[-2],
        group=GroupConfig(kind=kind, **config),  # type: ignore[arg-type]
        roles=roles,
    )


def types(state: WorkshopState, command, actor: Actor = OWNER, now: datetime = NOW) -> list[str]:
    """The wire types of the events a command must produce, in order."""
    events = decide(state, command, actor, now)
    assert isinstance(events, list), events
    return [event.type for event in events]


def pairs_of(state: WorkshopState) -> set[frozenset[str]]:
    return {frozenset(group.members) for group in state.breakouts.groups}


# --- leaving a step ---------------------------------------------------------------------

VOTE_PLAN = (
    board_step("v/alone", "notes", dots=1, private=True),
    board_step("v/talk", "notes"),
    board_step("v/more", "notes"),
)
REVEALS = ["votes.revealed", "items.revealed"]


def voted_room() -> WorkshopState:
    """A room in step 0 where p-1 wrote a private note and voted for it."""
    state = running_workshop(VOTE_PLAN, NOW, ids(2))
    state = act(state, PostNote(item_id="m1", text="mine"), P1, NOW)
    return act(state, CastVote(item_id="m1"), P1, NOW)


@pytest.mark.parametrize(
    ("command", "after"),
    [
        (NextStep(), ["step.started"]),
        (NextStep(from_index=0), ["step.started"]),
        (JumpToStep(index=2), ["step.started"]),
        (EndWorkshop(), ["workshop.ended"]),
    ],
)
def test_leaving_reveals_votes_and_private_writing_before_the_step_changes(command, after):
    """Next, jump and the end reveal the step's votes and private notes in the same decision."""
    state = voted_room()
    assert types(state, command) == [*REVEALS, *after]
    left = act(state, command, OWNER, NOW)
    assert left.board.items["m1"].revealed and left.board.votes["v/alone"].revealed_all


def test_going_back_reveals_what_was_written_in_the_step_left():
    """Back from a private step reveals its writing before the earlier step starts again."""
    plan = (board_step("b/talk", "notes"), board_step("b/alone", "notes", private=True))
    state = act(running_workshop(plan, NOW, ids(2)), NextStep(), OWNER, NOW)
    state = act(state, PostNote(item_id="m2", text="late thought"), P1, NOW)
    assert not state.board.items["m2"].revealed
    assert types(state, PreviousStep()) == ["items.revealed", "step.started"]
    state = act(state, PreviousStep(), OWNER, NOW)
    assert state.cursor == 0 and state.board.items["m2"].revealed


def test_an_expiry_that_advances_reveals_between_expiry_and_the_next_step():
    """The scheduler's expiry with "advance" reveals after step.expired, before step.started."""
    state = voted_room()
    deadline = state.deadline
    expiry = ExpireStep(index=0, deadline=deadline)
    assert types(state, expiry, SYSTEM, deadline) == ["step.expired", *REVEALS, "step.started"]


def test_a_paused_step_reveals_when_it_is_left():
    """Leaving a paused step reveals as well."""
    state = act(voted_room(), PauseWorkshop(), OWNER, NOW)
    assert types(state, NextStep()) == [*REVEALS, "step.started"]


# --- entering a step --------------------------------------------------------------------

ONE_TWO_FOUR = (
    grouped("1/l/alone", "alone"),
    grouped("1/l/pairs", "pairs"),
    grouped("1/l/four", "foursomes", keep_partners=True),
    grouped("1/l/all", "all"),
)


def test_the_start_opens_the_first_steps_groups_in_the_same_decision():
    """Starting into a pairs step opens the pairs after the step starts, marked as the plan's."""
    lobby = workshop((grouped("1/a/pairs", "pairs"),), NOW)
    for pid in ids(4):
        lobby = act(lobby, admit(pid), SYSTEM, NOW)
    assert types(lobby, StartWorkshop()) == [
        "workshop.started",
        "step.started",
        "breakouts.opened",
    ]
    state = act(lobby, StartWorkshop(), OWNER, NOW)
    assert state.breakouts.open and state.breakouts.step_index == 0
    assert sorted(len(group.members) for group in state.breakouts.groups) == [2, 2]
    opened = decide(lobby, StartWorkshop(), OWNER, NOW)
    assert isinstance(opened, list) and isinstance(opened[-1], BreakoutsOpened)
    assert opened[-1].by_plan


def test_one_two_four_all_runs_through_its_groupings_by_itself():
    """Alone in the plenary, then pairs, foursomes of whole pairs, and back to the plenary."""
    state = running_workshop(ONE_TWO_FOUR, NOW, ids(8))
    assert not state.breakouts.open and state.breakouts.scope_of("p-1") == PLENARY
    state = act(state, NextStep(), OWNER, NOW)
    pairs = pairs_of(state)
    assert len(pairs) == 4 and all(len(pair) == 2 for pair in pairs)
    state = act(state, NextStep(), OWNER, NOW)
    fours = pairs_of(state)
    assert len(fours) == 2 and all(any(p <= four for four in fours) for p in pairs)
    assert types(state, NextStep()) == ["step.started", "breakouts.closed"]
    state = act(state, NextStep(), OWNER, NOW)
    assert not state.breakouts.open


def test_a_step_of_the_same_run_and_kind_keeps_ids_members_and_roles():
    """Within one structure run the groups stay as they are: no event, no new round."""
    roles = (
        RoleSpec(id="giver", name=TEXT, instructions=TEXT, count=1),
        RoleSpec(id="rest", name=TEXT, instructions=TEXT),
    )
    plan = (
        grouped("1/kb/casting", "groups", min_size=3, max_size=4, roles=roles),
        grouped("1/kb/advice", "groups", min_size=3, max_size=4, roles=roles),
        grouped("1/kb/close", "groups", min_size=3, max_size=4, roles=roles),
    )
    state = running_workshop(plan, NOW, ids(7))
    before = state.breakouts.groups
    assert types(state, NextStep()) == ["step.started"]
    state = act(state, NextStep(), OWNER, NOW)
    assert state.breakouts.groups == before and state.breakouts.round == 1
    giver = next(p for p, r in before[0].roles.items() if r == "giver")
    assert role_of(state, giver) == "giver"
    state = act(state, CloseBreakouts(), OWNER, NOW)  # the facilitator recalls everyone
    state = act(state, NextStep(), OWNER, NOW)  # the case goes on in the same groups
    assert state.breakouts.open and state.breakouts.round == 2
    assert [g.members for g in state.breakouts.groups] == [g.members for g in before]
    assert role_of(state, giver) == "giver"


def test_a_new_run_of_the_same_structure_keeps_the_people_and_rotates_the_roles():
    """The second case of the same structure keeps the groups and hands the case on."""
    roles = (
        RoleSpec(id="giver", name=TEXT, instructions=TEXT, count=1),
        RoleSpec(id="rest", name=TEXT, instructions=TEXT),
    )
    plan = (
        grouped("1/kb/case", "groups", min_size=3, max_size=3, roles=roles),
        grouped("2/pause/all", "all"),
        grouped("3/kb/case", "groups", min_size=3, max_size=3, roles=roles),
    )
    state = running_workshop(plan, NOW, ids(6))
    first = {
        g.members: next(p for p, r in g.roles.items() if r == "giver")
        for g in state.breakouts.groups
    }
    state = act(act(state, NextStep(), OWNER, NOW), NextStep(), OWNER, NOW)
    assert state.breakouts.open and state.breakouts.strategy == "keep"
    second = {
        g.members: next(p for p, r in g.roles.items() if r == "giver")
        for g in state.breakouts.groups
    }
    assert set(second) == set(first)
    assert all(second[members] != first[members] for members in first)


def test_rounds_take_turns_in_the_groups_of_the_same_run_and_the_plenary_otherwise():
    """A check-in round keeps the small groups; a round of another structure is in the plenary."""
    plan = (
        grouped("1/in/arrive", "groups", min_size=2, max_size=3),
        grouped("1/in/round", "rounds", minutes_per_person=1),
        grouped("2/out/round", "rounds", minutes_per_person=1),
    )
    state = running_workshop(plan, NOW, ids(6))
    groups = state.breakouts.groups
    assert types(state, NextStep()) == ["step.started"]
    state = act(state, NextStep(), OWNER, NOW)
    assert state.breakouts.open and state.breakouts.groups == groups
    assert types(state, NextStep()) == ["step.started", "breakouts.closed"]


def test_avoid_repeats_forms_new_pairs_every_step():
    """Consecutive pairs steps that avoid repeats never pair two people twice when they can."""
    plan = tuple(grouped(f"1/sm/round-{n}", "pairs", avoid_repeats=True) for n in range(3))
    state = running_workshop(plan, NOW, ids(4))
    seen = pairs_of(state)
    for _ in range(2):
        state = act(state, NextStep(), OWNER, NOW)
        assert not pairs_of(state) & seen
        seen |= pairs_of(state)
    assert len(seen) == 6  # everyone met everyone


def test_the_plans_mix_by_spreads_an_attribute_across_groups():
    """A trios step that mixes by organisation puts no two colleagues together."""
    lobby = workshop((grouped("1/m/trios", "trios", mix_by="organisation"),), NOW)
    for index in range(9):
        lobby = act(lobby, admit(f"p-{index}", organisation="ABC"[index % 3]), SYSTEM, NOW)
    state = act(lobby, StartWorkshop(), OWNER, NOW)
    for group in state.breakouts.groups:
        organisations = {state.participants[p].attributes["organisation"] for p in group.members}
        assert len(organisations) == 3


def test_a_planned_rotation_supplies_the_pairs_of_pairs_steps():
    """With a speed-matching plan, each pairs step opens its next round."""
    plan = (grouped("1/sm/intro", "all"), *(grouped(f"1/sm/r{n}", "pairs") for n in (1, 2)))
    state = running_workshop(plan, NOW, ids(4))
    state = act(state, PlanSpeedMatching(rounds=2), OWNER, NOW)
    for round_ in (0, 1):
        state = act(state, NextStep(), OWNER, NOW)
        assert state.breakouts.strategy == "rotation"
        assert pairs_of(state) == {frozenset(pair) for pair in state.matching.schedule[round_]}


@pytest.mark.parametrize("people", [0, 1])
def test_too_few_people_start_the_step_in_the_plenary(people):
    """With fewer than two people a pairs step starts all the same, without groups."""
    plan = (grouped("1/a/all", "all"), grouped("1/a/pairs", "pairs"))
    state = running_workshop(plan, NOW, ids(people))
    assert types(state, NextStep()) == ["step.started"]
    state = act(state, NextStep(), OWNER, NOW)
    assert state.cursor == 1 and not state.breakouts.open
    state = act(state, admit("p-9"), SYSTEM, NOW)
    state = act(state, OpenBreakouts(), OWNER, NOW)  # facilitators open groups later
    assert state.breakouts.open


def test_an_expiry_that_advances_opens_the_next_steps_groups():
    """The scheduler moving on into a pairs step forms its pairs in the same decision."""
    plan = (grouped("1/a/all", "all"), grouped("1/a/pairs", "pairs"))
    state = running_workshop(plan, NOW, ids(4))
    deadline = state.deadline
    expiry = ExpireStep(index=0, deadline=deadline)
    assert types(state, expiry, SYSTEM, deadline) == [
        "step.expired",
        "step.started",
        "breakouts.opened",
    ]


def test_facilitators_still_regroup_by_hand_and_the_next_step_follows_the_plan_again():
    """A manual topic split holds in its step; the next all-room step recalls everyone."""
    plan = (grouped("1/a/pairs", "pairs"), grouped("1/a/all", "all"))
    state = running_workshop(plan, NOW, ids(4))
    topics = OpenBreakouts(strategy="topics", topics=("A", "B"))
    state = act(state, topics, OWNER, NOW)
    assert state.breakouts.strategy == "topics"
    state = act(state, NextStep(), OWNER, NOW)
    assert not state.breakouts.open


def test_the_end_recalls_everyone_and_closes_the_open_polls():
    """Ending closes open breakouts and every poll still open, in the same decision."""
    plan = (grouped("1/a/pairs", "pairs"),)
    state = running_workshop(plan, NOW, ids(4))
    state = act(state, OpenPoll(poll_id="q1", question="Mood?"), OWNER, NOW)
    state = act(state, OpenPoll(poll_id="q2", question="Again?"), OWNER, NOW)
    state = act(state, ClosePoll(poll_id="q1"), OWNER, NOW)
    assert types(state, EndWorkshop()) == ["breakouts.closed", "poll.closed", "workshop.ended"]
    for command in (EndWorkshop(), NextStep()):
        ended = act(state, command, OWNER, NOW + timedelta(seconds=1))
        assert ended.phase == "ended" and not ended.breakouts.open
        assert {poll.status for poll in ended.polls.by_id.values()} == {"closed"}


def test_a_structure_run_is_the_key_without_the_steps_own_id():
    """Nested and standalone keys both name their run by everything before the step id."""
    assert structure_run(step("3/kollegiale-beratung/casting", 1)) == "3/kollegiale-beratung"
    assert structure_run(step("1/triz/list/one-two-four-all/pairs", 1)) == (
        "1/triz/list/one-two-four-all"
    )
    assert structure_run(step("solo", 1)) == ""
