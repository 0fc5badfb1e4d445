"""Speed matching: who meets whom in which round, and who teams up afterwards.

Pure functions; ``speedmatching.py`` calls them and carries their results in its events.

Rotation. Without sides, the circle method: one person stays, the others move one seat per
round, so ``n`` people (one more with a bye when odd) meet everyone exactly once in ``n - 1``
rounds. With mentors and mentees, mentors keep their seat and mentees move one seat per
round; the longer side waits in turns when the sides differ in size. No pair ever repeats.

Matching. Ratings run from 1 ("definitely not") to 4 ("definitely yes"). A pair is
acceptable when both rated each other and neither gave a 1 (and nobody switched away from
it before). With mentors, mentees propose (Gale–Shapley), so the result is stable: no
mentor and mentee both prefer each other to whom they got, and it is the best stable result
for the mentees. A person prefers a higher own score, then a higher score from the other,
then the smaller id, so ties break the same way every time. Without sides a stable matching
need not exist (the stable roommates problem), so pairs are taken greedily, the best
mutual rating (the lower of the two scores, then their sum) first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from app.core.matchingstate import Pair

MIN_SCORE = 1
MAX_SCORE = 4
MIN_ACCEPTABLE_SCORE = 2  # a 1 ("definitely not") from either side rules a pair out

Scores = Mapping[str, Mapping[str, int]]  # rater -> partner -> score
Schedule = tuple[tuple[Pair, ...], ...]


def max_rounds(people: int, mentors: int = 0) -> int:
    """How many rounds without a repeated pair there are for these numbers."""
    if mentors:
        mentees = people - mentors
        return max(mentors, mentees) if mentees > 0 else 0
    if people < 2:
        return 0
    return people - 1 if people % 2 == 0 else people


def round_robin(people: Sequence[str], rounds: int) -> Schedule:
    """Rounds of pairs in which everybody meets everybody else at most once (circle method)."""
    ring: list[str | None] = [*people, None] if len(people) % 2 else list(people)
    size = len(ring)
    schedule: list[tuple[Pair, ...]] = []
    for _ in range(min(rounds, max_rounds(len(people)))):
        pairs: list[Pair] = []
        for seat in range(size // 2):
            first, second = ring[seat], ring[size - 1 - seat]
            if first is not None and second is not None:
                pairs.append((first, second))
        schedule.append(tuple(pairs))
        ring = [ring[0], ring[-1], *ring[1:-1]]
    return tuple(schedule)


def two_sided_rotation(mentors: Sequence[str], mentees: Sequence[str], rounds: int) -> Schedule:
    """Rounds of (mentor, mentee) pairs: mentors stay, mentees move one seat per round."""
    size = max(len(mentors), len(mentees))
    schedule: list[tuple[Pair, ...]] = []
    for round_ in range(min(rounds, max_rounds(len(mentors) + len(mentees), len(mentors)))):
        seats = ((seat, (seat + round_) % size) for seat in range(size))
        schedule.append(
            tuple(
                (mentors[mentor], mentees[mentee])
                for mentor, mentee in seats
                if mentor < len(mentors) and mentee < len(mentees)
            )
        )
    return tuple(schedule)


def score(scores: Scores, rater: str, partner: str) -> int:
    """The score ``rater`` gave ``partner``; 0 when they gave none."""
    return scores.get(rater, {}).get(partner, 0)


def acceptable(
    scores: Scores, first: str, second: str, excluded: frozenset[frozenset[str]] = frozenset()
) -> bool:
    """Whether two people rated each other well enough to be matched."""
    return (
        first != second
        and frozenset({first, second}) not in excluded
        and score(scores, first, second) >= MIN_ACCEPTABLE_SCORE
        and score(scores, second, first) >= MIN_ACCEPTABLE_SCORE
    )


def preference(scores: Scores, who: str, other: str) -> tuple[int, int, str]:
    """Sort key of ``other`` in ``who``'s preferences: smaller is preferred."""
    return -score(scores, who, other), -score(scores, other, who), other


def stable_matching(
    proposers: Sequence[str],
    receivers: Sequence[str],
    scores: Scores,
    excluded: frozenset[frozenset[str]] = frozenset(),
) -> dict[str, str]:
    """Gale–Shapley over acceptable pairs: each matched proposer -> their receiver."""
    wishes = {proposer: ranked(proposer, receivers, scores, excluded) for proposer in proposers}
    asked = dict.fromkeys(proposers, 0)
    held: dict[str, str] = {}  # receiver -> proposer they hold on to
    free = deque(proposers)
    while free:
        proposer = free.popleft()
        if asked[proposer] >= len(wishes[proposer]):
            continue  # nobody acceptable is left: stays unmatched
        receiver = wishes[proposer][asked[proposer]]
        asked[proposer] += 1
        current = held.get(receiver)
        if current is None:
            held[receiver] = proposer
        elif preference(scores, receiver, proposer) < preference(scores, receiver, current):
            held[receiver] = proposer
            free.append(current)
        else:
            free.append(proposer)
    return {proposer: receiver for receiver, proposer in held.items()}


def mutual_matching(
    people: Sequence[str], scores: Scores, excluded: frozenset[frozenset[str]] = frozenset()
) -> list[Pair]:
    """Pairs without sides, the best mutual rating first (each pair in id order)."""
    ordered = sorted(people)
    candidates = [
        (first, second)
        for index, first in enumerate(ordered)
        for second in ordered[index + 1 :]
        if acceptable(scores, first, second, excluded)
    ]

    def rank(pair: Pair) -> tuple[int, int, Pair]:
        there, back = score(scores, pair[0], pair[1]), score(scores, pair[1], pair[0])
        return -min(there, back), -(there + back), pair

    taken: set[str] = set()
    pairs: list[Pair] = []
    for first, second in sorted(candidates, key=rank):
        if first not in taken and second not in taken:
            pairs.append((first, second))
            taken |= {first, second}
    return pairs


def ranked(
    who: str,
    candidates: Iterable[str],
    scores: Scores,
    excluded: frozenset[frozenset[str]] = frozenset(),
) -> list[str]:
    """The acceptable candidates for ``who``, the one they prefer most first."""
    options = [c for c in candidates if acceptable(scores, who, c, excluded)]
    return sorted(options, key=lambda c: preference(scores, who, c))


def best_option(
    who: str,
    candidates: Iterable[str],
    scores: Scores,
    excluded: frozenset[frozenset[str]] = frozenset(),
) -> str | None:
    """The candidate ``who`` prefers most among the acceptable ones, if any."""
    options = ranked(who, candidates, scores, excluded)
    return options[0] if options else None
