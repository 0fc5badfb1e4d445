"""Speed matching as values: the rotation plan, the private ratings, the pairs formed.

Types only; the algorithms are in ``matching.py`` and the commands in ``speedmatching.py``.
Ratings are keyed by the rater so a visibility function can show each rater only their own
and nobody else anything; the pairs formed from them are not secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Pair = tuple[str, str]  # mentor first when mentors were named, else in id order


@dataclass(frozen=True, kw_only=True)
class SpeedMatching:
    """A speed-matching run: who rotates with whom, who rated whom, who teamed up."""

    mentors: frozenset[str] = frozenset()  # empty: everyone may meet and match everyone
    schedule: tuple[tuple[Pair, ...], ...] = ()  # one tuple of pairs per round
    next_round: int = 0  # the schedule round the next "rotation" grouping opens
    ratings: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # rater -> partner
    matches: tuple[Pair, ...] = ()
    formed: bool = False  # a facilitator formed the matches
    dissolved: frozenset[frozenset[str]] = frozenset()  # pairs someone switched away from

    def partner_of(self, participant_id: str) -> str | None:
        """Whom a participant was matched with, if anyone."""
        for first, second in self.matches:
            if participant_id == first:
                return second
            if participant_id == second:
                return first
        return None
