"""Breakout groups as values: who is in which group right now, and who met whom before.

Only types and lookups live here; forming groups is in ``grouping.py`` (the algorithms)
and ``breakouts.py`` (the commands), roles in ``roles.py``. Group ids are unique over the
whole workshop (``r{round}-g{n}``), so content a group made in one round never mixes with
another round's group. A closed grouping keeps its ``groups``: the next step may keep them
("keep") or join its pairs into foursomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

PLENARY = "plenary"  # the scope of everything that belongs to the whole room

Strategy = Literal["balanced", "mix", "topics", "keep", "rotation"]


@dataclass(frozen=True, kw_only=True)
class Group:
    """One breakout group."""

    id: str
    members: tuple[str, ...]  # participant ids, in a stable order
    roles: Mapping[str, str] = field(default_factory=dict)  # participant id -> role id
    topic: str | None = None  # self-selected topic rooms
    capacity: int | None = None  # topic rooms may be capped
    # Earlier groups this group continues: whole groups merged into it (1-2-4-All's pairs
    # in its foursomes) or kept as they were. Their board content stays in its sight.
    continues: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RoleTurn:
    """One participant held a counted role (case giver, client, …) in one grouping round."""

    structure_id: str  # rotation counts across every run of the same structure
    round: int
    participant_id: str
    role: str


@dataclass(frozen=True, kw_only=True)
class BroadcastMessage:
    """A message a facilitator sent into every group."""

    text: str
    author: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Breakouts:
    """The room's current split into groups, and the history that later splits respect."""

    open: bool = False  # participants are in their groups now
    round: int = 0  # how many groupings were formed so far
    step_index: int | None = None  # the plan step the current grouping was formed for
    groups: tuple[Group, ...] = ()
    met: frozenset[frozenset[str]] = frozenset()  # pairs of participants who shared a group
    help_requests: frozenset[str] = frozenset()  # group ids asking a facilitator for help
    strategy: Strategy = "balanced"  # how the current grouping was formed
    role_turns: tuple[RoleTurn, ...] = ()  # counted roles held, for rotating them
    broadcasts: tuple[BroadcastMessage, ...] = ()  # the latest messages to all groups, oldest first

    def sight_of(self, participant_id: str) -> frozenset[str]:
        """The earlier groups whose content a participant's current group continues."""
        group = self.group_of(participant_id)
        return frozenset(group.continues) if group is not None else frozenset()

    def group_of(self, participant_id: str) -> Group | None:
        """The group a participant is in while breakouts are open."""
        if not self.open:
            return None
        for group in self.groups:
            if participant_id in group.members:
                return group
        return None

    def scope_of(self, participant_id: str) -> str:
        """Where a participant's contributions go now: their group's id, or the plenary."""
        group = self.group_of(participant_id)
        return group.id if group else PLENARY

    def group(self, group_id: str) -> Group | None:
        """The group with this id in the current grouping, open or closed."""
        for group in self.groups:
            if group.id == group_id:
                return group
        return None

    def has_met(self, first: str, second: str) -> bool:
        """Whether two participants shared a group in any round so far."""
        return frozenset({first, second}) in self.met
