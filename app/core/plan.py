"""The steps a workshop runs through, as plain values.

Structure files and agendas (see ``app/structures.py``) are flattened into a tuple of
``PlanStep`` values; the engine only ever sees those. Every text comes in German and English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Language = Literal["de", "en"]
GroupKind = Literal["alone", "pairs", "trios", "foursomes", "groups", "all", "rounds"]
ExpiryPolicy = Literal["advance", "hold", "ask"]
Action = Literal[
    "notes",  # post, edit and move notes
    "cluster",  # group notes into clusters
    "cards",  # place cards from the step's deck
    "canvas",  # fill the personal canvas
    "poll",  # answer a poll
    "reflection",  # answer the check-out questions
    "wicked_questions",  # pair poles into "How can we ... and at the same time ...?"
    "hand",  # raise a hand in the speaking queue
]


@dataclass(frozen=True, kw_only=True)
class Text:
    """A text in German and English."""

    de: str
    en: str

    def get(self, language: Language) -> str:
        """The text in ``language``."""
        return self.de if language == "de" else self.en


@dataclass(frozen=True, kw_only=True)
class GroupConfig:
    """How the room is split for a step.

    ``alone``, ``pairs``, ``trios``, ``foursomes`` (made of two existing pairs when
    ``keep_partners``), ``groups`` of ``min_size``..``max_size``, ``all`` (the whole room),
    ``rounds`` (the group takes turns, one slot of ``minutes_per_person`` each).
    """

    kind: GroupKind = "all"
    min_size: int = 1
    max_size: int = 1
    keep_partners: bool = False
    mix_by: str | None = None
    avoid_repeats: bool = False
    minutes_per_person: float | None = None


@dataclass(frozen=True, kw_only=True)
class RoleSpec:
    """A role a structure hands out inside each group, and whether it may act in this step."""

    id: str
    name: Text
    instructions: Text
    count: int | None = None  # None: everybody not given another role
    acts: bool = True


@dataclass(frozen=True, kw_only=True)
class Permissions:
    """What participants may do during a step."""

    actions: frozenset[Action] = frozenset()
    dots: int = 0  # dot-voting budget per participant; 0 means no voting
    private_until_reveal: bool = False
    anonymous: bool = False
    # Pre-work: as the plan's first step, open to participants who joined before the start,
    # who may already write into it (what the step allows) while the workshop is in the lobby.
    before_start: bool = False

    def allows(self, action: Action) -> bool:
        """Whether ``action`` is open to participants in this step."""
        return action in self.actions


@dataclass(frozen=True, kw_only=True)
class PlanStep:
    """One timed step of a workshop's plan."""

    key: str  # unique inside one plan, e.g. "3/wicked-questions/generate"
    structure_id: str
    step_id: str
    title: Text  # e.g. "Wicked Questions · Generate tensions"
    seconds: int
    group: GroupConfig = field(default_factory=GroupConfig)
    prompt: Text | None = None
    permissions: Permissions = field(default_factory=Permissions)
    roles: tuple[RoleSpec, ...] = ()
    on_expiry: ExpiryPolicy = "advance"
    board: str | None = None  # board template id of the structure
    deck: str | None = None  # card deck id


def total_seconds(plan: tuple[PlanStep, ...]) -> int:
    """The planned length of a whole plan."""
    return sum(step.seconds for step in plan)
