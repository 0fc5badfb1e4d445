"""Speed matching: rotation without repeats, private ratings, stable pairs, switching partner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.actors import SYSTEM, Actor
from app.core.breakouts import CloseBreakouts, OpenBreakouts
from app.core.commands import EndWorkshop
from app.core.matching import (
    MIN_ACCEPTABLE_SCORE,
    acceptable,
    max_rounds,
    mutual_matching,
    round_robin,
    score,
    stable_matching,
    two_sided_rotation,
)
from app.core.plan import GroupConfig, RoleSpec, Text
from app.core.roles import role_of
from app.core.speedmatching import FormMatches, PlanSpeedMatching, RateMatch, SwitchPartner
from app.core.state import WorkshopState
from tests.factories import OWNER, act, refusal, running_workshop, step

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEXT = Text(de="x", en="x")
MENTOR_ROLES = (
    RoleSpec(id="mentor", name=TEXT, instructions=TEXT, count=1),
    RoleSpec(id="mentee", name=TEXT, instructions=TEXT),
)


def names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(count)]


def all_pairs(schedule) -> list[frozenset[str]]:
    return [frozenset(pair) for round_ in schedule for pair in round_]


@settings(max_examples=100, deadline=None)
@given(count=st.integers(0, 31), rounds=st.integers(0, 40))
def test_round_robin_never_repeats_a_pair(count, rounds):
    """The circle method meets nobody twice and seats everyone at most once per round."""
    people = names("p", count)
    schedule = round_robin(people, rounds)
    assert len(schedule) == min(rounds, max_rounds(count))
    pairs = all_pairs(schedule)
    assert len(pairs) == len(set(pairs))
    for round_ in schedule:
        seated = [p for pair in round_ for p in pair]
        assert len(seated) == len(set(seated)) >= count - 1
    if rounds >= max_rounds(count):
        assert len(pairs) == count * (count - 1) // 2  # everyone met everyone


@settings(max_examples=100, deadline=None)
@given(mentors=st.integers(1, 12), mentees=st.integers(1, 12), rounds=st.integers(1, 15))
def test_mentors_stay_and_mentees_rotate_without_repeats(mentors, mentees, rounds):
    """Every pair is a mentor and a mentee, never repeated, everyone at most once a round."""
    left, right = names("m", mentors), names("e", mentees)
    schedule = two_sided_rotation(left, right, rounds)
    assert len(schedule) == min(rounds, max(mentors, mentees))
    pairs = all_pairs(schedule)
    assert len(pairs) == len(set(pairs))
    for round_ in schedule:
        assert len(round_) == min(mentors, mentees)
        assert all(a in left and b in right for a, b in round_)
        seated = [p for pair in round_ for p in pair]
        assert len(seated) == len(set(seated))


ratings = st.dictionaries(
    st.sampled_from(names("m", 5) + names("e", 6)),
    st.dictionaries(st.sampled_from(names("m", 5) + names("e", 6)), st.integers(1, 4)),
)


@settings(max_examples=200, deadline=None)
@given(scores=ratings)
def test_mentee_proposing_matching_is_stable(scores):
    """No mentor and mentee who both find each other acceptable prefer each other to theirs."""
    mentors, mentees = names("m", 5), names("e", 6)
    chosen = stable_matching(mentees, mentors, scores)
    assert len(set(chosen.values())) == len(chosen)
    for mentee, mentor in chosen.items():
        assert acceptable(scores, mentee, mentor)
    partner_of_mentor = {mentor: mentee for mentee, mentor in chosen.items()}
    for mentee in mentees:
        for mentor in mentors:
            if not acceptable(scores, mentee, mentor) or chosen.get(mentee) == mentor:
                continue
            mentee_wants = mentee not in chosen or score(scores, mentee, mentor) > score(
                scores, mentee, chosen[mentee]
            )
            current = partner_of_mentor.get(mentor)
            mentor_wants = current is None or score(scores, mentor, mentee) > score(
                scores, mentor, current
            )
            assert not (mentee_wants and mentor_wants), (mentee, mentor)


@settings(max_examples=100, deadline=None)
@given(scores=ratings)
def test_matching_without_sides_takes_disjoint_acceptable_pairs(scores):
    """Greedy pairs are acceptable, disjoint and leave no acceptable pair of two free people."""
    people = names("m", 5) + names("e", 6)
    pairs = mutual_matching(people, scores)
    taken = [p for pair in pairs for p in pair]
    assert len(taken) == len(set(taken))
    assert all(acceptable(scores, a, b) for a, b in pairs)
    free = [p for p in people if p not in taken]
    assert not any(acceptable(scores, a, b) for a in free for b in free)


def matching_room(count: int = 6) -> WorkshopState:
    pairs = replace(step("speed/round", 5), group=GroupConfig(kind="pairs"), roles=MENTOR_ROLES)
    rating = replace(step("speed/rating", 5), group=GroupConfig(kind="alone"))
    return running_workshop((pairs, rating), NOW, tuple(names("p", count)))


def member(pid: str) -> Actor:
    return Actor("participant", pid)


def test_rotation_rounds_follow_the_plan_with_mentors_as_mentors():
    """Each rotation round opens the planned pairs; mentors hold the mentor role every time."""
    state = matching_room(6)
    plan = PlanSpeedMatching(mentors=("p00", "p01", "p02"))
    state = act(state, plan, OWNER, NOW)
    assert len(state.matching.schedule) == 3
    met: set[frozenset[str]] = set()
    for round_ in state.matching.schedule:
        state = act(state, OpenBreakouts(strategy="rotation"), OWNER, NOW)
        groups = {frozenset(g.members) for g in state.breakouts.groups}
        assert groups == {frozenset(pair) for pair in round_}
        assert not groups & met
        met |= groups
        for mentor in ("p00", "p01", "p02"):
            assert role_of(state, mentor) == "mentor"
    assert refusal(state, OpenBreakouts(strategy="rotation"), OWNER, NOW) == "invalid_argument"
    assert refusal(state, PlanSpeedMatching(rounds=9), OWNER, NOW) == "invalid_argument"
    assert refusal(state, PlanSpeedMatching(mentors=("p99",)), OWNER, NOW) == (
        "no_such_participant"
    )
    assert refusal(state, PlanSpeedMatching(), member("p00"), NOW) == "not_facilitator"


def test_odd_rooms_let_one_person_wait_each_round():
    """With five people, each round seats two pairs and one person waits in the plenary."""
    state = act(matching_room(5), PlanSpeedMatching(), OWNER, NOW)
    assert len(state.matching.schedule) == 5
    waiting = set()
    for _ in range(5):
        state = act(state, OpenBreakouts(strategy="rotation"), OWNER, NOW)
        assert sorted(len(g.members) for g in state.breakouts.groups) == [2, 2]
        (idle,) = [p for p in names("p", 5) if state.breakouts.group_of(p) is None]
        waiting.add(idle)
    assert waiting == set(names("p", 5))
    assert len(state.breakouts.met) == 10


def test_ratings_are_private_per_rater_and_only_for_people_met():
    """A rating needs a meeting, stays under its rater, and a new one overwrites the old."""
    state = act(matching_room(4), PlanSpeedMatching(mentors=("p00", "p01")), OWNER, NOW)
    state = act(state, OpenBreakouts(strategy="rotation"), OWNER, NOW)
    partner = next(p for p in state.breakouts.group_of("p00").members if p != "p00")
    stranger = next(p for p in ("p02", "p03") if p != partner)
    assert refusal(state, RateMatch(partner_id=stranger, score=4), member("p00"), NOW) == (
        "not_met"
    )
    assert refusal(state, RateMatch(partner_id=partner, score=5), member("p00"), NOW) == (
        "invalid_argument"
    )
    assert refusal(state, RateMatch(partner_id="p00", score=3), member("p00"), NOW) == (
        "invalid_argument"
    )
    assert refusal(state, RateMatch(partner_id="p99", score=3), member("p00"), NOW) == (
        "no_such_participant"
    )
    assert refusal(state, RateMatch(partner_id=partner, score=3), OWNER, NOW) == "not_participant"
    state = act(state, RateMatch(partner_id=partner, score=2), member("p00"), NOW)
    state = act(state, RateMatch(partner_id=partner, score=4), member("p00"), NOW)
    assert state.matching.ratings == {"p00": {partner: 4}}
    ended = act(state, EndWorkshop(), OWNER, NOW)
    assert refusal(ended, RateMatch(partner_id=partner, score=1), member("p00"), NOW) == (
        "workshop_ended"
    )


def rate_everyone(state: WorkshopState, scores: dict[str, dict[str, int]]) -> WorkshopState:
    for rater, own in scores.items():
        for partner, value in own.items():
            state = act(state, RateMatch(partner_id=partner, score=value), member(rater), NOW)
    return state


def test_matches_form_stably_and_a_partner_can_be_switched():
    """Mentees get their favourite mentors where mutual; a switch moves to the next best."""
    state = act(matching_room(4), PlanSpeedMatching(mentors=("p00", "p01")), OWNER, NOW)
    for _ in range(2):
        state = act(state, OpenBreakouts(strategy="rotation"), OWNER, NOW)
    state = act(state, CloseBreakouts(), OWNER, NOW)
    state = rate_everyone(
        state,
        {
            "p00": {"p02": 4, "p03": 3},
            "p01": {"p02": 3, "p03": 3},
            "p02": {"p00": 4, "p01": 3},
            "p03": {"p00": 4, "p01": 4},
        },
    )
    state = act(state, FormMatches(), OWNER, NOW)
    assert state.matching.matches == (("p00", "p02"), ("p01", "p03"))
    assert refusal(state, SwitchPartner(participant_id="p03"), member("p02"), NOW) == (
        "not_facilitator"
    )
    state = act(state, SwitchPartner(participant_id="p02"), member("p02"), NOW)
    assert state.matching.partner_of("p02") is None  # p01 is taken, p00 was left
    assert state.matching.partner_of("p00") is None
    state = act(state, SwitchPartner(participant_id="p03"), OWNER, NOW)
    assert state.matching.matches == (("p00", "p03"),)
    assert refusal(state, SwitchPartner(participant_id="p02"), OWNER, NOW) == "invalid_argument"
    state = act(state, FormMatches(), OWNER, NOW)  # dissolved pairs are never formed again
    assert ("p00", "p02") not in state.matching.matches


def test_a_definite_no_rules_a_pair_out():
    """A score of 1 from either side means the pair is never formed."""
    scores = {"a": {"b": 4}, "b": {"a": MIN_ACCEPTABLE_SCORE - 1}}
    assert not acceptable(scores, "a", "b")
    assert stable_matching(["a"], ["b"], scores) == {}
    assert mutual_matching(["a", "b"], scores) == []


def test_planning_needs_people_on_both_sides():
    """A plan without two people, or with only mentors, is refused."""
    state = matching_room(2)
    assert refusal(state, PlanSpeedMatching(mentors=("p00", "p01")), OWNER, NOW) == (
        "invalid_argument"
    )
    lonely = running_workshop((step("s/x", 5),), NOW, ("p00",))
    assert refusal(lonely, PlanSpeedMatching(), OWNER, NOW) == "invalid_argument"
    assert refusal(state, FormMatches(), SYSTEM, NOW) == "not_facilitator"
