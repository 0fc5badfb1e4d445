"""Breakouts through the reducer: opening, roles, moves, late joiners, topics, help, replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from app.core.actors import SYSTEM, Actor
from app.core.breakouts import CloseBreakouts, OpenBreakouts
from app.core.commands import EndWorkshop, NextStep
from app.core.groups import PLENARY
from app.core.people import RemoveParticipant
from app.core.placement import ChooseTopic, FillTopicRooms, MoveParticipant, PlaceLateJoiner
from app.core.plan import GroupConfig, PlanStep, RoleSpec, Text
from app.core.reducer import decide, evolve, fold
from app.core.roles import AssignRole, may_act, role_of
from app.core.state import WorkshopState
from app.core.support import MAX_BROADCASTS_KEPT, AskForHelp, Broadcast, HandleHelp
from tests.factories import (
    OWNER,
    STRANGER,
    act,
    admit,
    refusal,
    running_workshop,
    step,
    workshop,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEXT = Text(de="x", en="x")


def group_step(key: str, kind: str, *, roles: tuple[RoleSpec, ...] = (), **config) -> PlanStep:
    """A five-minute step of the structure named by the key's first part."""
    return replace(
        step(key, 5),
        group=GroupConfig(kind=kind, **config),  # type: ignore[arg-type]
        roles=roles,
    )


def ids(count: int) -> tuple[str, ...]:
    return tuple(f"p-{i}" for i in range(1, count + 1))


def member(pid: str) -> Actor:
    return Actor("participant", pid)


def members_of(state: WorkshopState) -> list[tuple[str, ...]]:
    return [group.members for group in state.breakouts.groups]


def unformed(plan: tuple[PlanStep, ...], count: int) -> WorkshopState:
    """A running first step whose people arrived after the start: they sit in the plenary."""
    state = running_workshop(plan, NOW, ())
    for pid in ids(count):
        state = act(state, admit(pid), SYSTEM, NOW)
    assert not state.breakouts.open
    return state


def test_pairs_open_with_ids_round_and_met_and_replay_exactly():
    """Seven people make two pairs and a trio, with round ids, met pairs, and exact replay."""
    state = unformed((group_step("a/pairs", "pairs"),), 7)
    events = decide(state, OpenBreakouts(), OWNER, NOW)
    assert isinstance(events, list)
    assert decide(state, OpenBreakouts(), OWNER, NOW) == events  # same state, same groups
    opened = events[0]
    assert [g.id for g in opened.groups] == ["r1-g1", "r1-g2", "r1-g3"]
    assert sorted(len(g.members) for g in opened.groups) == [2, 2, 3]
    after = evolve(state, opened)
    assert after.breakouts.open and after.breakouts.round == 1
    assert len(after.breakouts.met) == 1 + 1 + 3
    trio = next(g for g in opened.groups if len(g.members) == 3)
    assert after.breakouts.scope_of(trio.members[0]) == trio.id
    after = act(after, CloseBreakouts(), OWNER, NOW)
    assert after.breakouts.scope_of(trio.members[0]) == PLENARY
    assert after.breakouts.groups == opened.groups  # kept for a later "keep"


def test_opening_is_for_facilitators_in_a_step_that_forms_groups():
    """Participants, strangers, the lobby, the end and whole-room steps are refused."""
    plan = (group_step("a/pairs", "pairs"), group_step("a/all", "all"))
    state = unformed(plan, 4)
    assert refusal(state, OpenBreakouts(), member("p-1"), NOW) == "not_facilitator"
    assert refusal(state, OpenBreakouts(), STRANGER, NOW) == "not_facilitator"
    assert refusal(workshop(plan, NOW), OpenBreakouts(), OWNER, NOW) == "workshop_not_started"
    assert refusal(state, CloseBreakouts(), OWNER, NOW) == "breakouts_closed"
    assert refusal(state, OpenBreakouts(strategy="keep"), OWNER, NOW) == "invalid_argument"
    assert refusal(state, OpenBreakouts(strategy="mix"), OWNER, NOW) == "invalid_argument"
    bad_mix = OpenBreakouts(strategy="mix", mix_by="salary")
    assert refusal(state, bad_mix, OWNER, NOW) == "invalid_argument"
    assert refusal(state, OpenBreakouts(topics=("x",)), OWNER, NOW) == "invalid_argument"
    whole_room = act(state, NextStep(), OWNER, NOW)
    assert refusal(whole_room, OpenBreakouts(), OWNER, NOW) == "step_has_no_groups"
    ended = act(state, EndWorkshop(), OWNER, NOW)
    assert refusal(ended, OpenBreakouts(), OWNER, NOW) == "workshop_ended"
    empty = running_workshop(plan, NOW, ())
    assert refusal(empty, OpenBreakouts(), OWNER, NOW) == "invalid_argument"


def test_one_two_four_all_foursomes_keep_the_pairs():
    """The foursomes of 1-2-4-All are made of whole pairs from the step before, by the plan."""
    plan = (group_step("l/pairs", "pairs"), group_step("l/four", "foursomes", keep_partners=True))
    state = running_workshop(plan, NOW, ids(10))
    pairs = members_of(state)
    assert state.breakouts.open and all(len(pair) == 2 for pair in pairs)
    state = act(state, NextStep(), OWNER, NOW)
    assert state.breakouts.round == 2 and state.breakouts.step_index == 1
    assert [g.id[:3] for g in state.breakouts.groups] == ["r2-"] * len(state.breakouts.groups)
    for pair in pairs:
        assert any(set(pair) <= set(group) for group in members_of(state))


def test_mix_by_the_step_spreads_organisations():
    """A step that mixes by organisation puts colleagues of one organisation apart."""
    state = running_workshop((group_step("m/trios", "trios", mix_by="organisation"),), NOW, ())
    for index in range(9):
        organisation = "ABC"[index % 3]
        state = act(state, admit(f"p-{index}", "x", organisation=organisation), SYSTEM, NOW)
    state = act(state, OpenBreakouts(), OWNER, NOW)
    for group in state.breakouts.groups:
        organisations = {state.participants[p].attributes["organisation"] for p in group.members}
        assert len(organisations) == 3


TROIKA_ROLES = (
    RoleSpec(id="client", name=TEXT, instructions=TEXT, count=1),
    RoleSpec(id="consultants", name=TEXT, instructions=TEXT),
)


def troika_plan() -> tuple[PlanStep, ...]:
    """Three runs of a two-step Troika structure, as an agenda using it three times."""
    steps = []
    for round_ in (1, 2, 3):
        for phase in ("ask", "away"):
            roles = tuple(
                replace(spec, acts=not (spec.id == "client" and phase == "away"))
                for spec in TROIKA_ROLES
            )
            step = group_step(f"{round_}/troika/{phase}", "trios", roles=roles)
            steps.append(replace(step, structure_id="troika"))
    return tuple(steps)


def test_troika_rounds_give_every_member_of_a_trio_a_turn_as_client():
    """Three Troika runs keep the trios and give three different clients, turned away in time."""
    state = running_workshop(troika_plan(), NOW, ids(6))
    trios = members_of(state)
    clients: dict[tuple[str, ...], list[str]] = {trio: [] for trio in trios}
    for round_ in (1, 2, 3):
        if round_ > 1:
            state = act(state, NextStep(), OWNER, NOW)  # the next run: same trios, a new round
            assert state.breakouts.round == round_
        assert members_of(state) == trios
        for trio in trios:
            client = [p for p in trio if role_of(state, p) == "client"]
            assert len(client) == 1
            clients[trio] += client
            assert may_act(state, client[0])
        state = act(state, NextStep(), OWNER, NOW)  # the client turns away
        for trio in trios:
            assert not may_act(state, clients[trio][-1])
            assert all(may_act(state, p) for p in trio if p != clients[trio][-1])
    for trio, chosen in clients.items():
        assert sorted(chosen) == sorted(trio)


CASE_ROLES = (
    RoleSpec(id="case-giver", name=TEXT, instructions=TEXT, count=1),
    RoleSpec(id="moderator", name=TEXT, instructions=TEXT, count=1),
    RoleSpec(id="secretary", name=TEXT, instructions=TEXT, count=1),
    RoleSpec(id="consultants", name=TEXT, instructions=TEXT),
)


def case_plan() -> tuple[PlanStep, ...]:
    listening = tuple(replace(s, acts=s.id != "case-giver") for s in CASE_ROLES)
    return (
        group_step("kb/casting", "groups", min_size=5, max_size=9, roles=CASE_ROLES),
        group_step("kb/beratung", "groups", min_size=5, max_size=9, roles=listening),
        group_step("next/all", "all"),
    )


def test_case_giver_only_listens_in_the_advice_step_and_roles_end_with_the_structure():
    """The case giver may not act while advised; another structure's step drops the roles."""
    state = running_workshop(case_plan(), NOW, ids(6))
    (group,) = state.breakouts.groups
    assert sorted(group.roles.values()) == [
        "case-giver",
        "consultants",
        "consultants",
        "consultants",
        "moderator",
        "secretary",
    ]
    giver = next(p for p, r in group.roles.items() if r == "case-giver")
    assert may_act(state, giver)
    state = act(state, NextStep(), OWNER, NOW)
    assert role_of(state, giver) == "case-giver"
    assert not may_act(state, giver)
    state = act(state, NextStep(), OWNER, NOW)
    assert role_of(state, giver) is None
    assert may_act(state, giver)


def test_a_facilitator_reassigns_a_role_by_swapping():
    """Giving the case to someone else swaps roles, and rotation follows the real holder."""
    state = running_workshop(case_plan(), NOW, ids(6))
    (group,) = state.breakouts.groups
    giver = next(p for p, r in group.roles.items() if r == "case-giver")
    moderator = next(p for p, r in group.roles.items() if r == "moderator")
    state = act(state, AssignRole(participant_id=moderator, role="case-giver"), OWNER, NOW)
    assert role_of(state, moderator) == "case-giver"
    assert role_of(state, giver) == "moderator"
    held = {(t.participant_id, t.role) for t in state.breakouts.role_turns}
    assert (moderator, "case-giver") in held and (giver, "moderator") in held
    assert (giver, "case-giver") not in held
    wrong = AssignRole(participant_id=giver, role="dreamer")
    assert refusal(state, wrong, OWNER, NOW) == "invalid_argument"
    assert refusal(state, AssignRole(participant_id=giver, role="x"), member(giver), NOW) == (
        "not_facilitator"
    )
    again = AssignRole(participant_id=moderator, role="case-giver")
    assert refusal(state, again, OWNER, NOW) == "invalid_argument"
    closed = act(state, CloseBreakouts(), OWNER, NOW)
    assert refusal(closed, again, OWNER, NOW) == "breakouts_closed"


def test_reopening_mid_case_can_keep_the_roles():
    """Closing and reopening with keep_roles keeps the case giver and adds no rotation turn."""
    state = running_workshop(case_plan(), NOW, ids(6))
    roles = dict(state.breakouts.groups[0].roles)
    turns = state.breakouts.role_turns
    state = act(state, CloseBreakouts(), OWNER, NOW)
    state = act(state, OpenBreakouts(strategy="keep", keep_roles=True), OWNER, NOW)
    assert state.breakouts.groups[0].roles == roles
    assert state.breakouts.role_turns == turns
    state = act(state, OpenBreakouts(strategy="keep"), OWNER, NOW)
    assert state.breakouts.groups[0].roles != roles  # a new case: the roles rotate
    assert refusal(state, OpenBreakouts(keep_roles=True), OWNER, NOW) == "invalid_argument"


def test_facilitators_move_people_between_and_into_new_groups():
    """A move takes the role without a count; a new group gets the next id of the round."""
    state = running_workshop(troika_plan(), NOW, ids(6))
    first, second = state.breakouts.groups
    mover = first.members[0]
    state = act(state, MoveParticipant(participant_id=mover, group_id=second.id), OWNER, NOW)
    assert mover in state.breakouts.groups[1].members
    assert mover not in state.breakouts.groups[0].members
    assert role_of(state, mover) == "consultants"
    state = act(state, MoveParticipant(participant_id=mover), OWNER, NOW)
    assert state.breakouts.group_of(mover).id == "r1-g3"
    assert frozenset({mover, second.members[0]}) in state.breakouts.met
    unknown = MoveParticipant(participant_id=mover, group_id="r9-g9")
    assert refusal(state, unknown, OWNER, NOW) == "no_such_group"
    nobody = MoveParticipant(participant_id="p-99", group_id=second.id)
    assert refusal(state, nobody, OWNER, NOW) == "no_such_participant"
    same = MoveParticipant(participant_id=mover, group_id="r1-g3")
    assert refusal(state, same, OWNER, NOW) == "invalid_argument"
    assert refusal(state, nobody, member("p-1"), NOW) == "not_facilitator"


def test_late_joiners_go_to_the_smallest_group():
    """Admission during breakouts seats the newcomer in the first smallest group at once."""
    state = running_workshop((group_step("a/pairs", "pairs"),), NOW, ids(5))
    smallest = min(state.breakouts.groups, key=lambda g: len(g.members))
    events = decide(state, admit("late", "Late"), SYSTEM, NOW)
    assert [event.type for event in events] == ["participant.joined", "breakouts.moved"]
    state = act(state, admit("late", "Late"), SYSTEM, NOW)
    assert state.breakouts.group_of("late").id == smallest.id
    place = PlaceLateJoiner(participant_id="late")
    assert refusal(state, place, OWNER, NOW) == "not_facilitator"
    assert refusal(state, place, SYSTEM, NOW) == "invalid_argument"  # seated already
    closed = act(state, CloseBreakouts(), OWNER, NOW)
    assert refusal(closed, PlaceLateJoiner(participant_id="p-1"), SYSTEM, NOW) == (
        "breakouts_closed"
    )


def test_late_joiners_choose_a_topic_room_or_are_placed_by_the_server():
    """Topic rooms are chosen: a newcomer waits in the plenary until they or the server act."""
    state = running_workshop((group_step("a/all", "all"),), NOW, ids(2))
    topics = OpenBreakouts(strategy="topics", topics=("Hybrid", "Onboarding"))
    state = act(act(state, topics, OWNER, NOW), FillTopicRooms(), OWNER, NOW)
    state = act(state, admit("late"), SYSTEM, NOW)
    assert state.breakouts.scope_of("late") == PLENARY
    state = act(state, PlaceLateJoiner(participant_id="late"), SYSTEM, NOW)
    assert state.breakouts.group_of("late") is not None


def test_topic_rooms_are_chosen_up_to_capacity_and_filled():
    """Participants pick rooms until full; the rest are placed; keep keeps the topics."""
    state = running_workshop((group_step("a/all", "all"),), NOW, ids(5))
    topics = OpenBreakouts(strategy="topics", topics=(" Hybrid work ", "Onboarding"), capacity=2)
    state = act(state, topics, OWNER, NOW)
    hybrid, _ = state.breakouts.groups
    assert (hybrid.topic, hybrid.members, hybrid.capacity) == ("Hybrid work", (), 2)
    state = act(state, ChooseTopic(group_id=hybrid.id), member("p-1"), NOW)
    state = act(state, ChooseTopic(group_id=hybrid.id), member("p-2"), NOW)
    full = ChooseTopic(group_id=hybrid.id)
    assert refusal(state, full, member("p-3"), NOW) == "room_full"
    assert refusal(state, full, OWNER, NOW) == "not_participant"
    assert refusal(state, ChooseTopic(group_id="nope"), member("p-3"), NOW) == "no_such_group"
    assert state.breakouts.scope_of("p-3") == PLENARY
    events = decide(state, FillTopicRooms(), SYSTEM, NOW)
    assert isinstance(events, list) and len(events) == 2  # one seat left for three people
    state = act(state, FillTopicRooms(), OWNER, NOW)
    assert [len(g.members) for g in state.breakouts.groups] == [2, 2]
    assert refusal(state, FillTopicRooms(), OWNER, NOW) == "room_full"
    state = act(state, OpenBreakouts(strategy="keep"), OWNER, NOW)
    assert [g.topic for g in state.breakouts.groups] == ["Hybrid work", "Onboarding"]
    assert [g.id for g in state.breakouts.groups] == ["r2-g1", "r2-g2"]
    bad = OpenBreakouts(strategy="topics", topics=("Same", "Same"))
    assert refusal(state, bad, OWNER, NOW) == "invalid_argument"
    assert refusal(state, OpenBreakouts(strategy="topics"), OWNER, NOW) == "invalid_argument"


def test_groups_ask_for_help_and_facilitators_handle_it():
    """A member raises the group's hand once; a facilitator clears it; closing clears all."""
    state = running_workshop((group_step("a/pairs", "pairs"),), NOW, ids(4))
    group = state.breakouts.group_of("p-1")
    state = act(state, AskForHelp(), member("p-1"), NOW)
    assert state.breakouts.help_requests == {group.id}
    assert refusal(state, AskForHelp(), member(group.members[-1]), NOW) == "invalid_argument"
    assert refusal(state, AskForHelp(), OWNER, NOW) == "not_participant"
    assert refusal(state, HandleHelp(group_id=group.id), member("p-1"), NOW) == "not_facilitator"
    assert refusal(state, HandleHelp(group_id="r7-g1"), OWNER, NOW) == "no_such_group"
    state = act(state, HandleHelp(group_id=group.id), OWNER, NOW)
    assert state.breakouts.help_requests == frozenset()
    assert refusal(state, HandleHelp(group_id=group.id), OWNER, NOW) == "invalid_argument"
    state = act(state, AskForHelp(), member("p-1"), NOW)
    state = act(state, CloseBreakouts(), OWNER, NOW)
    assert state.breakouts.help_requests == frozenset()
    assert refusal(state, AskForHelp(), member("p-1"), NOW) == "breakouts_closed"


def test_broadcasts_are_cleaned_bounded_and_only_the_latest_kept():
    """A broadcast loses control characters, keeps line breaks, and is at most 500 characters."""
    state = running_workshop((group_step("a/pairs", "pairs"),), NOW, ids(4))
    state = act(
        state, Broadcast(text="  Five minutes\x07 left\r\nPlease wrap up \x1b "), OWNER, NOW
    )
    assert state.breakouts.broadcasts[-1].text == "Five minutes left\nPlease wrap up"
    assert refusal(state, Broadcast(text="x" * 501), OWNER, NOW) == "invalid_argument"
    assert refusal(state, Broadcast(text=" \x00 "), OWNER, NOW) == "invalid_argument"
    assert refusal(state, Broadcast(text="hi"), member("p-1"), NOW) == "not_facilitator"
    for index in range(MAX_BROADCASTS_KEPT + 3):
        state = act(state, Broadcast(text=f"note {index}"), OWNER, NOW)
    assert len(state.breakouts.broadcasts) == MAX_BROADCASTS_KEPT
    assert state.breakouts.broadcasts[-1].text == f"note {MAX_BROADCASTS_KEPT + 2}"


def test_departed_participants_are_not_regrouped():
    """Keeping groups after someone left leaves them out; nobody is left alone."""
    state = running_workshop((group_step("a/pairs", "pairs"),), NOW, ids(4))
    partner_of_1 = next(p for p in state.breakouts.group_of("p-1").members if p != "p-1")
    state = act(state, RemoveParticipant(participant_id=partner_of_1), OWNER, NOW)
    state = act(state, OpenBreakouts(strategy="keep"), OWNER, NOW)
    assert sorted(p for g in members_of(state) for p in g) == sorted(set(ids(4)) - {partner_of_1})
    assert [len(g) for g in members_of(state)] == [3]


def test_the_log_folds_to_the_same_breakouts():
    """Replaying every event from genesis rebuilds groups, roles, met and history exactly."""
    state = running_workshop(troika_plan(), NOW, ids(7))
    log = []
    script = [
        (OpenBreakouts(), OWNER),
        (AskForHelp(), member("p-1")),
        (NextStep(), OWNER),
        (NextStep(), OWNER),
        (OpenBreakouts(strategy="keep"), OWNER),
        (MoveParticipant(participant_id="p-2"), OWNER),
        (Broadcast(text="Time!"), OWNER),
        (CloseBreakouts(), OWNER),
    ]
    for command, actor in script:
        events = decide(state, command, actor, NOW)
        assert isinstance(events, list), events
        log += events
        for event in events:
            state = evolve(state, event)
    rebuilt = running_workshop(troika_plan(), NOW, ids(7))
    assert fold(log, rebuilt) == state
