"""The shared board as values: items, clusters and dot votes. Types and lookups only.

Everything a per-viewer visibility function needs sits on the values themselves: who wrote
an item (kept even when it is anonymous, for "delete my own", consent and erasure), where it
belongs (a breakout group's id or ``"plenary"``), whether it waits for a reveal, whether it
is anonymous, hidden, confidential or harvested into the plenary. The rules that change
these values live in ``board.py``, ``moderation.py``, ``voting.py`` and ``wicked.py``.

Concurrent edits resolve as last writer wins *per field*: every editable field (``FIELDS``)
remembers the log sequence of the event that set it (``Item.versions``), and an edit is
applied only when it is newer than that; two edits to different fields both survive, and a
set of edits gives the same item in whatever order it is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ItemKind = Literal["note", "card", "wicked_question"]
AuthorKind = Literal["participant", "user"]  # a facilitator account writes as "user"
Field = Literal["text", "area", "position", "colour", "cluster", "pole_a", "pole_b"]
FIELDS: tuple[Field, ...] = ("text", "area", "position", "colour", "cluster", "pole_a", "pole_b")


@dataclass(frozen=True, kw_only=True)
class Answer:
    """One first answer to a Wicked Question."""

    id: str
    author: str
    scope: str  # where the author was when answering
    text: str
    anonymous: bool = False  # written in an anonymous step: never show the author
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Item:
    """A note, a placed method card or a Wicked Question on the board.

    Deleted items stay as tombstones (content cleared, flags kept) so a late edit can never
    bring them back and a reused id is refused.
    """

    id: str
    kind: ItemKind
    author: str  # participant id or facilitator user id; hidden from views when anonymous
    author_kind: AuthorKind
    scope: str  # a breakout group id or "plenary", fixed when posted
    step_index: int  # the plan step it was made in (-1: before the start)
    created_at: datetime
    updated_at: datetime
    text: str = ""
    area: str | None = None  # an area id of the step's board template
    position: tuple[float, float] | None = None
    colour: str | None = None
    cluster_id: str | None = None
    deck_id: str | None = None  # cards only
    card_id: str | None = None  # cards only
    pole_a: str = ""  # Wicked Questions only: "How can we {pole_a} …
    pole_b: str = ""  # … and at the same time {pole_b}?"
    answers: tuple[Answer, ...] = ()
    versions: Mapping[str, int] = field(default_factory=dict)  # field -> sequence that set it
    revealed: bool = True  # False: written privately, seen only by its author until revealed
    anonymous: bool = False  # the author is never shown, not even to facilitators
    hidden: bool = False  # moderated away by a facilitator; the author still sees it
    hidden_reason: str | None = None
    confidential: bool = False  # stays in the room: never exported or shown to reviewers
    harvested: bool = False  # a group's result rolled up to the plenary (scope unchanged)
    deleted: bool = False

    def version_of(self, name: Field) -> int:
        """The sequence of the event that last set ``name`` (0: set when posted or never)."""
        return self.versions.get(name, 0)


@dataclass(frozen=True, kw_only=True)
class Cluster:
    """A named group of items within one scope."""

    id: str
    title: str
    scope: str
    author: str
    step_index: int
    created_at: datetime
    title_version: int = 0  # last writer wins on the title, as for item fields
    harvested: bool = False
    deleted: bool = False


@dataclass(frozen=True, kw_only=True)
class Dot:
    """One dot of a voter's ballot, and the scope it counts in (the voter's at casting)."""

    item_id: str
    scope: str


@dataclass(frozen=True, kw_only=True)
class VoteRound:
    """The dot vote of one plan step: every ballot, running tallies, what is revealed.

    Tallies are kept per scope (the voter's group or the plenary), so each group's result
    can be revealed on its own when all its members have used their dots.
    """

    step_index: int
    budget: int  # dots per voter in this step
    anonymous: bool = False  # vote choices in this round are never shown to others
    ballots: Mapping[str, tuple[Dot, ...]] = field(default_factory=dict)  # voter -> dots
    tallies: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # scope -> item -> n
    revealed_scopes: frozenset[str] = frozenset()
    revealed_all: bool = False

    def is_revealed(self, scope: str) -> bool:
        """Whether the tallies counted in ``scope`` may be shown."""
        return self.revealed_all or scope in self.revealed_scopes

    def used(self, voter: str) -> int:
        """How many dots ``voter`` has placed in this round."""
        return len(self.ballots.get(voter, ()))


@dataclass(frozen=True, kw_only=True)
class BoardState:
    """All items, clusters and vote rounds of one workshop."""

    items: Mapping[str, Item] = field(default_factory=dict)
    clusters: Mapping[str, Cluster] = field(default_factory=dict)
    votes: Mapping[str, VoteRound] = field(default_factory=dict)  # plan step key -> round
    unrevealed: frozenset[str] = frozenset()  # ids of items waiting for a reveal
