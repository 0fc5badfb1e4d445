"""Breakout groups as values: who is in which group right now, and who met whom before.

Only types and lookups live here; forming, moving and rotating groups is in
``breakouts.py``. Group ids are unique over the whole workshop (``r{round}-g{n}``), so
content a group made in one round never mixes with another round's group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PLENARY = "plenary"  # the scope of everything that belongs to the whole room


@dataclass(frozen=True, kw_only=True)
class Group:
    """One breakout group."""

    id: str
    members: tuple[str, ...]  # participant ids, in a stable order
    roles: Mapping[str, str] = field(default_factory=dict)  # participant id -> role id
    topic: str | None = None  # self-selected topic rooms
    capacity: int | None = None  # topic rooms may be capped


@dataclass(frozen=True, kw_only=True)
class Breakouts:
    """The room's current split into groups, and the history that later splits respect."""

    open: bool = False  # participants are in their groups now
    round: int = 0  # how many groupings were formed so far
    step_index: int | None = None  # the plan step the current grouping was formed for
    groups: tuple[Group, ...] = ()
    met: frozenset[frozenset[str]] = frozenset()  # pairs of participants who shared a group
    help_requests: frozenset[str] = frozenset()  # group ids asking a facilitator for help

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
