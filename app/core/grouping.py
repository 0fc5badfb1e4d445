"""How a room is split into groups and roles: pure, deterministic functions of a seed.

Nothing here reads the workshop state or a clock. ``breakouts.py`` calls these functions
with a seed derived from the state and carries their RESULT in its event, so a replay never
recomputes a grouping and a later change to these algorithms cannot change an old log.

Randomness is a seeded hash order (sha256 of seed and item) rather than ``random``: the core
may not import ``random`` at all (tests/core/test_purity.py), and a hash order is the same on
every Python version.

Sizes. Fixed kinds have a preferred size and bounds: pairs 2 (2–3: an odd one out makes one
trio), trios 3 (3–4, a pair only for 2 or 5 people), foursomes 4 (3–5); ``groups`` use
their ``min``–``max`` (never below 2). The number of groups is the one whose balanced sizes
(differing by at most 1) stray least outside the bounds, then come closest to the preferred
size, then the larger number. Nobody is ever alone unless there is only one person.

Careful groupings (``avoid_repeats`` or mixing by an attribute) try ``MAX_ATTEMPTS`` seeded
orders, improve each by swapping members between groups while that lowers the penalty (one
point per pair that met before, one per pair sharing the attribute's value), and keep the
cheapest. The work is bounded by ``MAX_SWAP_CHECKS`` swaps looked at per attempt.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from app.core.groups import Group, RoleTurn
from app.core.plan import GroupConfig, RoleSpec

SIZE_RULES: dict[str, tuple[int, int, float]] = {  # kind -> (smallest, largest, preferred)
    "pairs": (2, 3, 2.0),
    "trios": (3, 4, 3.0),
    "foursomes": (3, 5, 4.0),
}
MAX_PARTNER_UNIT = 3  # earlier groups up to this size are kept together in foursomes
MAX_ATTEMPTS = 12  # seeded orders tried for a careful grouping
MAX_SWAP_CHECKS = 20_000  # swaps looked at per attempt, so a huge room stays fast

Groups = tuple[tuple[str, ...], ...]
Penalty = Callable[[str, str], int]


def seeded_order(items: Iterable[str], seed: str) -> list[str]:
    """The items in an order that looks random but depends only on ``seed``."""
    return sorted(items, key=lambda item: hashlib.sha256(f"{seed}\x1f{item}".encode()).digest())


def size_bounds(config: GroupConfig) -> tuple[int, int, float]:
    """Smallest and largest wanted group size and the preferred size for a configuration."""
    if config.kind in SIZE_RULES:
        return SIZE_RULES[config.kind]
    if config.kind == "groups":
        low = max(2, config.min_size)
        high = max(low, config.max_size)
        return low, high, (low + high) / 2
    raise ValueError(f"groups of kind {config.kind!r} have no size bounds")


def _balanced(count: int, groups: int) -> tuple[int, ...]:
    base, extra = divmod(count, groups)
    return (base + 1,) * extra + (base,) * (groups - extra)


def group_sizes(count: int, config: GroupConfig) -> tuple[int, ...]:
    """The sizes of the groups ``count`` people form under ``config``, largest first."""
    if count <= 0:
        return ()
    if config.kind == "alone":
        return (1,) * count
    if config.kind in ("all", "rounds"):
        return (count,)
    low, high, preferred = size_bounds(config)

    def cost(groups: int) -> tuple[int, int, float, int]:
        deviations = [max(0, low - size, size - high) for size in _balanced(count, groups)]
        return max(deviations), sum(deviations), abs(count / groups - preferred), -groups

    # at most count // 2 groups: a group of one is never the answer for two people or more
    return _balanced(count, min(range(1, max(1, count // 2) + 1), key=cost))


def _penalty(met: frozenset[frozenset[str]], attributes: Mapping[str, str] | None) -> Penalty:
    def penalty(first: str, second: str) -> int:
        points = 1 if frozenset({first, second}) in met else 0
        if attributes is not None:
            value = attributes.get(first)
            points += 1 if value and value == attributes.get(second) else 0
        return points

    return penalty


def _cost(groups: Sequence[Sequence[str]], penalty: Penalty) -> int:
    return sum(
        penalty(group[i], group[j])
        for group in groups
        for i in range(len(group))
        for j in range(i + 1, len(group))
    )


def _load(person: str, group: Sequence[str], without: str, penalty: Penalty) -> int:
    return sum(penalty(person, other) for other in group if other not in (person, without))


def _improve(groups: list[list[str]], penalty: Penalty) -> None:
    """Swap members between groups while a swap lowers the penalty (bounded work)."""
    checks = 0
    improved = True
    while improved:
        improved = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                for x in range(len(groups[i])):
                    for y in range(len(groups[j])):
                        checks += 1
                        if checks > MAX_SWAP_CHECKS:
                            return
                        a, b = groups[i][x], groups[j][y]
                        before = _load(a, groups[i], a, penalty) + _load(b, groups[j], b, penalty)
                        after = _load(a, groups[j], b, penalty) + _load(b, groups[i], a, penalty)
                        if after < before:
                            groups[i][x], groups[j][y] = b, a
                            improved = True


def _chunk(order: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    groups: list[list[str]] = []
    start = 0
    for size in sizes:
        groups.append(list(order[start : start + size]))
        start += size
    return groups


def _deal(
    order: Sequence[str], sizes: Sequence[int], attributes: Mapping[str, str], seed: str
) -> list[list[str]]:
    """Deal people out like cards, one value of the attribute after the other."""
    classes: dict[str, list[str]] = {}
    for person in order:
        classes.setdefault(attributes.get(person, ""), []).append(person)
    values = seeded_order(classes, seed)
    values.sort(key=lambda value: (value == "", -len(classes[value])))  # stable: keeps ties
    groups: list[list[str]] = [[] for _ in sizes]
    slot = 0
    for value in values:
        for person in classes[value]:
            while len(groups[slot % len(groups)]) >= sizes[slot % len(groups)]:
                slot += 1
            groups[slot % len(groups)].append(person)
            slot += 1
    return groups


def _no_singletons(groups: list[list[str]]) -> list[list[str]]:
    """A group of one joins the smallest other group (only when others exist)."""
    groups = [group for group in groups if group]
    while len(groups) > 1 and (alone := next((g for g in groups if len(g) == 1), None)):
        groups.remove(alone)
        min(groups, key=len).extend(alone)
    return groups


def _best_of(
    attempts: int, build: Callable[[int], list[list[str]]], penalty: Penalty, improve: bool
) -> Groups:
    best: list[list[str]] = []
    best_cost: int | None = None
    for attempt in range(attempts):
        groups = build(attempt)
        if improve:
            _improve(groups, penalty)
        groups = _no_singletons(groups)
        cost = _cost(groups, penalty)
        if best_cost is None or cost < best_cost:
            best, best_cost = groups, cost
        if cost == 0:
            break
    return tuple(tuple(group) for group in best)


def form_groups(
    people: Sequence[str],
    config: GroupConfig,
    *,
    seed: str,
    met: frozenset[frozenset[str]] = frozenset(),
    attributes: Mapping[str, str] | None = None,
) -> Groups:
    """Split ``people`` for ``config``; mix by ``attributes`` (person -> value) when given."""
    sizes = group_sizes(len(people), config)
    careful = attributes is not None or config.avoid_repeats
    penalty = _penalty(met if config.avoid_repeats else frozenset(), attributes)

    def build(attempt: int) -> list[list[str]]:
        order = seeded_order(people, f"{seed}:{attempt}")
        if attributes is not None:
            return _deal(order, sizes, attributes, f"{seed}:{attempt}")
        return _chunk(order, sizes)

    return _best_of(MAX_ATTEMPTS if careful else 1, build, penalty, improve=careful)


def join_partners(
    people: Sequence[str],
    previous: Sequence[Sequence[str]],
    config: GroupConfig,
    *,
    seed: str,
    met: frozenset[frozenset[str]] = frozenset(),
    attributes: Mapping[str, str] | None = None,
) -> Groups:
    """Foursomes made of whole earlier pairs (a trio or a newcomer joins as it is)."""
    present = set(people)
    units = [tuple(p for p in group if p in present) for group in previous]
    units = [unit for unit in units if unit]
    if not units or max(len(unit) for unit in units) > MAX_PARTNER_UNIT:
        return form_groups(people, config, seed=seed, met=met, attributes=attributes)
    placed = {person for unit in units for person in unit}
    units += [(person,) for person in people if person not in placed]
    count = len(group_sizes(len(people), config))
    by_key = {"\x1f".join(unit): unit for unit in units}
    penalty = _penalty(met if config.avoid_repeats else frozenset(), attributes)

    def build(attempt: int) -> list[list[str]]:
        order = [by_key[key] for key in seeded_order(by_key, f"{seed}:{attempt}")]
        order.sort(key=len, reverse=True)  # stable: big units first, ties stay shuffled
        groups: list[list[str]] = [[] for _ in range(count)]
        for unit in order:
            min(groups, key=len).extend(unit)  # the first of the smallest groups
        return groups

    careful = attributes is not None or config.avoid_repeats
    return _best_of(MAX_ATTEMPTS if careful else 1, build, penalty, improve=False)


def keep_groups(people: Sequence[str], previous: Sequence[Sequence[str]]) -> Groups:
    """The earlier groups again, without people who left; newcomers join the smallest."""
    present = set(people)
    groups = [[p for p in group if p in present] for group in previous]
    groups = [group for group in groups if group]
    placed = {person for group in groups for person in group}
    for person in people:
        if person not in placed:
            if groups:
                min(groups, key=len).append(person)
            else:
                groups.append([person])
    return tuple(tuple(group) for group in _no_singletons(groups))


def smallest_with_room(groups: Sequence[Group]) -> Group | None:
    """The first of the smallest groups that still has room, if any has."""
    open_groups = [g for g in groups if g.capacity is None or len(g.members) < g.capacity]
    return min(open_groups, key=lambda g: len(g.members), default=None)


def carry_roles(
    members: Sequence[str], held: Mapping[str, str], specs: Sequence[RoleSpec]
) -> dict[str, str]:
    """The roles members held before, again; extras and newcomers take the role without count."""
    counts = {spec.id: spec.count for spec in specs}
    filler = next((spec.id for spec in specs if spec.count is None), None)
    taken: Counter[str] = Counter()
    roles: dict[str, str] = {}
    for person in members:
        role = held.get(person)
        if role is not None and role in counts:
            limit = counts[role]
            if limit is None or taken[role] < limit:
                roles[person] = role
                taken[role] += 1
                continue
        if filler is not None:
            roles[person] = filler
    return roles


def assign_roles(
    members: Sequence[str],
    specs: Sequence[RoleSpec],
    turns: Sequence[RoleTurn],
    *,
    seed: str,
    preferred: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """Roles for one group: counted roles rotate to whoever held the fewest so far.

    ``turns`` are the counted roles held earlier in the same structure. Counted roles go, in
    the order the structure lists them, first to ``preferred`` members (mentors in speed
    matching), then to members with the fewest turns, then to members who never held that
    role, then in seeded order; the role without a count goes to everyone left.
    """
    held = Counter(turn.participant_id for turn in turns)
    held_roles = {(turn.participant_id, turn.role) for turn in turns}
    free = seeded_order(members, seed)
    roles: dict[str, str] = {}
    for spec in specs:
        for _ in range(spec.count or 0):
            if not free:
                break
            pick = min(
                free,
                key=lambda p: (
                    p not in preferred,
                    held[p],
                    (p, spec.id) in held_roles,
                    free.index(p),
                ),
            )
            roles[pick] = spec.id
            free.remove(pick)
    filler = next((spec for spec in specs if spec.count is None), None)
    if filler is not None:
        roles.update({person: filler.id for person in free})
    return roles


def hand_on(
    leaver: str,
    members: Sequence[str],
    roles: Mapping[str, str],
    specs: Sequence[RoleSpec],
    turns: Sequence[RoleTurn],
) -> tuple[str, str] | None:
    """Who takes over the counted role of someone leaving a group, and which role it is.

    The heir is a member holding the role without a count (a consultant, say) who held
    counted roles least often so far, then one who never held this role, then the first in
    member order. Nobody inherits a role without a count, and a group where nobody holds
    the role without a count leaves the counted role empty.
    """
    role = roles.get(leaver)
    counted = {spec.id for spec in specs if spec.count is not None}
    filler = next((spec.id for spec in specs if spec.count is None), None)
    if role is None or role not in counted or filler is None:
        return None
    candidates = [m for m in members if m != leaver and roles.get(m) == filler]
    if not candidates:
        return None
    held = Counter(turn.participant_id for turn in turns)
    held_roles = {(turn.participant_id, turn.role) for turn in turns}
    heir = min(candidates, key=lambda m: (held[m], (m, role) in held_roles, candidates.index(m)))
    return heir, role
