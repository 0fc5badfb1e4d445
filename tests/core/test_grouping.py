"""Grouping algorithms: sizes, partners kept, repeats avoided, values mixed, roles rotated."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.grouping import (
    assign_roles,
    form_groups,
    group_sizes,
    join_partners,
    keep_groups,
    seeded_order,
    size_bounds,
    smallest_with_room,
)
from app.core.groups import Group, RoleTurn
from app.core.plan import GroupConfig, RoleSpec, Text

PAIRS = GroupConfig(kind="pairs")
TRIOS = GroupConfig(kind="trios")
FOURSOMES = GroupConfig(kind="foursomes", keep_partners=True)
SIZED_KINDS = [
    PAIRS,
    TRIOS,
    GroupConfig(kind="foursomes"),
    GroupConfig(kind="groups", min_size=4, max_size=6),
    GroupConfig(kind="groups", min_size=5, max_size=9),
    GroupConfig(kind="groups", min_size=3, max_size=3),
    GroupConfig(kind="groups", min_size=1, max_size=2),
    GroupConfig(kind="groups", min_size=5, max_size=7),
]
TEXT = Text(de="x", en="x")


def people(count: int) -> list[str]:
    return [f"p-{i:02d}" for i in range(count)]


def pairs_of(groups) -> set[frozenset[str]]:
    return {frozenset({a, b}) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]}


def feasible(count: int, low: int, high: int) -> bool:
    return any(math.ceil(count / g) <= high and count // g >= low for g in range(1, count + 1))


def test_sizes_follow_the_configuration():
    """Odd pairs make one trio, trios add fours before pairs, ranges pick balanced sizes."""
    assert group_sizes(7, PAIRS) == (3, 2, 2)
    assert group_sizes(3, PAIRS) == (3,)
    assert group_sizes(1, PAIRS) == (1,)
    assert group_sizes(0, PAIRS) == ()
    assert group_sizes(5, TRIOS) == (3, 2)
    assert group_sizes(7, TRIOS) == (4, 3)
    assert group_sizes(8, TRIOS) == (4, 4)
    assert group_sizes(2, TRIOS) == (2,)
    assert group_sizes(6, GroupConfig(kind="foursomes")) == (3, 3)
    assert group_sizes(10, GroupConfig(kind="foursomes")) == (4, 3, 3)
    assert group_sizes(12, GroupConfig(kind="groups", min_size=4, max_size=6)) == (4, 4, 4)
    assert group_sizes(8, GroupConfig(kind="groups", min_size=5, max_size=9)) == (8,)
    assert group_sizes(3, GroupConfig(kind="groups", min_size=5, max_size=9)) == (3,)
    assert group_sizes(4, GroupConfig(kind="alone")) == (1, 1, 1, 1)
    assert group_sizes(4, GroupConfig(kind="all")) == (4,)


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(0, 31),
    config=st.sampled_from(SIZED_KINDS),
    avoid=st.booleans(),
    seed=st.text(max_size=6),
    met_seed=st.integers(0, 50),
)
def test_everyone_is_in_exactly_one_group_of_sensible_size(count, config, avoid, seed, met_seed):
    """Every participant lands in one group; nobody alone unless alone; bounds when feasible."""
    config = GroupConfig(
        kind=config.kind,
        min_size=config.min_size,
        max_size=config.max_size,
        avoid_repeats=avoid,
    )
    everyone = people(count)
    met = frozenset(list(pairs_of([everyone]))[:met_seed])
    groups = form_groups(everyone, config, seed=seed, met=met)
    assert sorted(p for g in groups for p in g) == everyone
    sizes = [len(g) for g in groups]
    assert sorted(sizes, reverse=True) == list(group_sizes(count, config))
    if count >= 2:
        assert min(sizes) >= 2
    if sizes:
        assert max(sizes) - min(sizes) <= 1
    low, high, _ = size_bounds(config)
    if feasible(count, low, high):
        assert all(low <= size <= high for size in sizes)


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 31), seed=st.text(max_size=6))
def test_foursomes_join_whole_pairs(count, seed):
    """Foursomes keep every earlier pair (or odd trio) together, and include everybody."""
    everyone = people(count)
    pairs = form_groups(everyone, PAIRS, seed=seed)
    newcomer = [f"late-{count}"] if count % 3 == 0 else []
    foursomes = join_partners([*everyone, *newcomer], pairs, FOURSOMES, seed=seed)
    assert sorted(p for g in foursomes for p in g) == sorted([*everyone, *newcomer])
    for pair in pairs:
        assert sum(1 for g in foursomes if set(pair) <= set(g)) == 1
    if count + len(newcomer) >= 2:
        assert min(len(g) for g in foursomes) >= 2


def test_foursomes_without_earlier_pairs_are_formed_fresh():
    """With no earlier grouping, or an earlier one of big groups, foursomes are sized afresh."""
    assert sorted(map(len, join_partners(people(8), [], FOURSOMES, seed="s"))) == [4, 4]
    big = [people(8)]
    assert sorted(map(len, join_partners(people(8), big, FOURSOMES, seed="s"))) == [4, 4]


@settings(max_examples=40, deadline=None)
@given(seed=st.text(max_size=8))
def test_avoid_repeats_finds_three_repeat_free_rounds_of_pairs_among_eight(seed):
    """Three rounds of pairs among eight people can be repeat-free, and are."""
    config = GroupConfig(kind="pairs", avoid_repeats=True)
    met: frozenset[frozenset[str]] = frozenset()
    for round_ in range(3):
        groups = form_groups(people(8), config, seed=f"{seed}:{round_}", met=met)
        assert not pairs_of(groups) & met
        met |= pairs_of(groups)
    assert len(met) == 12


def test_avoid_repeats_for_groups_of_four_among_sixteen():
    """Two rounds of four foursomes among sixteen people need not repeat a pair."""
    config = GroupConfig(kind="groups", min_size=4, max_size=4, avoid_repeats=True)
    first = form_groups(people(16), config, seed="a")
    second = form_groups(people(16), config, seed="b", met=frozenset(pairs_of(first)))
    assert not pairs_of(first) & pairs_of(second)


def test_mix_spreads_every_organisation_across_groups():
    """Four people from each of three organisations make four trios of three organisations."""
    everyone = people(12)
    organisations = {p: "ABC"[i % 3] for i, p in enumerate(everyone)}
    groups = form_groups(everyone, TRIOS, seed="mix", attributes=organisations)
    assert len(groups) == 4
    for group in groups:
        assert len({organisations[p] for p in group}) == 3
    fives = GroupConfig(kind="groups", min_size=4, max_size=6)
    uneven = {p: ("A" if i < 7 else "B" if i < 10 else "C") for i, p in enumerate(everyone)}
    groups = form_groups(everyone, fives, seed="mix", attributes=uneven)
    for value, total in Counter(uneven.values()).items():
        for group in groups:
            assert sum(1 for p in group if uneven[p] == value) <= math.ceil(total / len(groups))


def test_same_seed_same_groups_other_seed_other_groups():
    """A grouping depends only on its inputs and seed."""
    config = GroupConfig(kind="groups", min_size=3, max_size=4, avoid_repeats=True)
    first = form_groups(people(20), config, seed="w1:7")
    assert form_groups(people(20), config, seed="w1:7") == first
    assert form_groups(people(20), config, seed="w1:8") != first
    assert seeded_order(["a", "b", "c"], "x") == seeded_order(["c", "b", "a"], "x")


def test_keep_groups_drops_leavers_and_seats_newcomers():
    """Kept groups lose who left, newcomers join the smallest, and nobody stays alone."""
    previous = [("a", "b", "c"), ("d", "e"), ("f", "g")]
    assert keep_groups(["a", "b", "c", "d", "e", "f", "g", "h"], previous) == (
        ("a", "b", "c"),
        ("d", "e", "h"),
        ("f", "g"),
    )
    assert keep_groups(["a", "b", "c", "d", "f", "g"], previous) == (
        ("a", "b", "c"),
        ("f", "g", "d"),
    )


def test_smallest_group_with_room():
    """Late joiners go to the first smallest group that is not at capacity."""
    groups = [
        Group(id="g1", members=("a",), capacity=1),
        Group(id="g2", members=("b", "c")),
        Group(id="g3", members=("d", "e")),
    ]
    assert smallest_with_room(groups) == groups[1]
    assert smallest_with_room([groups[0]]) is None


def test_counted_roles_rotate_to_who_held_fewest():
    """The client goes to who was not client yet; the rest take the role without a count."""
    specs = (
        RoleSpec(id="client", name=TEXT, instructions=TEXT, count=1),
        RoleSpec(id="consultants", name=TEXT, instructions=TEXT),
    )
    trio = ("a", "b", "c")
    turns: list[RoleTurn] = []
    clients = []
    for round_ in (1, 2, 3):
        roles = assign_roles(trio, specs, turns, seed=f"s{round_}")
        assert sorted(roles.values()) == ["client", "consultants", "consultants"]
        client = next(p for p, r in roles.items() if r == "client")
        clients.append(client)
        turns.append(RoleTurn(structure_id="t", round=round_, participant_id=client, role="client"))
    assert sorted(clients) == ["a", "b", "c"]
    mentor_first = assign_roles(trio, specs, turns, seed="s", preferred=frozenset({"c"}))
    assert mentor_first["c"] == "client"


def test_small_groups_fill_roles_in_the_structures_order():
    """When a group is smaller than its counted roles, the first-listed roles come first."""
    specs = tuple(
        RoleSpec(id=role, name=TEXT, instructions=TEXT, count=1)
        for role in ("case-giver", "moderator", "secretary")
    )
    roles = assign_roles(("a", "b"), specs, [], seed="s")
    assert sorted(roles.values()) == ["case-giver", "moderator"]
