"""Polls as values: the question, the options, the running tallies, who answered.

Types only; the rules are in ``polls.py``. A poll without options is a mood scale whose
answers are the values 1 to 5; a poll with options is answered with option indexes.
``tallies`` has one count per value, in the order of ``values``, and always equals a recount
of ``answers`` while the poll is open. An anonymous poll forgets ``answers`` when it closes:
they are kept only so a participant can change their mind, and are never shown to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

MOOD_SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)

PollStatus = Literal["open", "closed"]


@dataclass(frozen=True, kw_only=True)
class Poll:
    """One poll a facilitator opened."""

    id: str
    question: str
    options: tuple[str, ...] = ()  # empty: the mood scale
    anonymous: bool = True
    multiple: bool = False
    opened_by: str  # facilitator account
    opened_at: datetime
    step_index: int  # the step it was opened in; -1 in the lobby
    run: int  # the step run it was opened in (``len(state.runs)`` at the time)
    status: PollStatus = "open"
    revealed: bool = False  # results shown to participants before the close
    closed_at: datetime | None = None
    tallies: tuple[int, ...]  # one count per entry of ``values``
    answers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # voter -> values
    voters: frozenset[str] = frozenset()  # everyone who answered, kept after the close

    @property
    def values(self) -> tuple[int, ...]:
        """The values an answer may contain."""
        return tuple(range(len(self.options))) if self.options else MOOD_SCALE

    @property
    def results_public(self) -> bool:
        """Whether participants may see the tallies."""
        return self.revealed or self.status == "closed"


@dataclass(frozen=True, kw_only=True)
class Polls:
    """Every poll of a workshop, by id."""

    by_id: Mapping[str, Poll] = field(default_factory=dict)
