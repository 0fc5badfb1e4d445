"""Who may do what on the board, and the value checks every board command shares.

Participants act while the workshop runs or is paused, or in the lobby in a first step
open before the start (pre-work, ``Permissions.before_start``), only in steps whose permissions
allow the action, only when their role acts in the step, and only on items they can reach:
the plenary's, their own group's, groups' results harvested into the plenary, and always
their own. Hidden and not yet revealed items of others do not exist for them
(``no_such_item``), so a rejection never confirms what they may not see. Facilitators may
do everything participants may in any phase but the end, plus moderation.

Edits follow last writer wins per field (see ``boardstate.py``): an edit event carries the
sequence it will have in the log (``state.version + 1`` at decide time) and
``apply_fields`` sets a field only if that is newer than the field's own version.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.core.actors import Actor
from app.core.boardstate import AuthorKind, Field, Item, ItemKind
from app.core.errors import Rejected
from app.core.groups import PLENARY
from app.core.people import clean_name
from app.core.plan import Action, PlanStep
from app.core.state import WorkshopState
from app.core.values import updated

MAX_ID_CHARS = 64
MAX_BOARD_ITEMS = 20_000  # per workshop; the benchmark boards hold up to 5,000
ID_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_ID_CHARS - 1}}}")
_KEPT_CONTROLS = frozenset("\n\u200c\u200d")  # newlines; joiners that hold emoji together
_ATTRIBUTES: Mapping[str, str] = {"cluster": "cluster_id"}  # field name -> Item attribute
# the action a step must allow for a participant to move or colour an item of each kind
ARRANGING: Mapping[ItemKind, Action] = {
    "note": "notes",
    "card": "cards",
    "wicked_question": "wicked_questions",
}


@dataclass(frozen=True)
class BoardActor:
    """Who acts on the board, and the scope their contributions go to."""

    id: str
    kind: AuthorKind
    facilitator: bool
    scope: str
    continued: frozenset[str] = frozenset()  # earlier groups the own group continues


def acting_step(state: WorkshopState) -> tuple[int, PlanStep] | None:
    """The step participants act in, with its index: the current step, or in the lobby the
    plan's first step when it is open before the start (pre-work); else None."""
    step = state.current_step
    if step is not None:
        return state.cursor, step
    if state.phase == "lobby" and state.plan and state.plan[0].permissions.before_start:
        return 0, state.plan[0]
    return None


def board_actor(state: WorkshopState, actor: Actor, action: Action | None = None) -> BoardActor:
    """The acting person, after checking phase, membership, the step's action and the role."""
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if state.is_facilitator(actor):
        return BoardActor(actor.id, "user", True, PLENARY)
    if not state.is_participant(actor):
        raise Rejected("not_participant", f"{actor.id!r} is not a participant of {state.id!r}")
    if acting_step(state) is None:
        raise Rejected("workshop_not_started", f"workshop {state.id!r} has not started yet")
    breakouts = state.breakouts
    who = BoardActor(
        actor.id,
        "participant",
        False,
        breakouts.scope_of(actor.id),
        breakouts.sight_of(actor.id),
    )
    if action is not None:
        require_action(state, who, action)
    return who


def require_action(state: WorkshopState, who: BoardActor, action: Action) -> None:
    """Refuse a participant what the current step does not allow, or their role may not do."""
    acting = acting_step(state)
    if who.facilitator or acting is None:
        return
    step = acting[1]
    if not step.permissions.allows(action):
        raise Rejected("action_not_allowed", f"step {step.key!r} does not allow {action!r}")
    require_acting_role(state, who)


def require_acting_role(state: WorkshopState, who: BoardActor) -> None:
    """Refuse a participant whose role in their group only listens in the current step."""
    step = state.current_step
    if who.facilitator or step is None:
        return
    group = state.breakouts.group_of(who.id)
    role = group.roles.get(who.id) if group else None
    if any(spec.id == role and not spec.acts for spec in step.roles):
        raise Rejected("action_not_allowed", f"role {role!r} only listens in step {step.key!r}")


def require_facilitator(state: WorkshopState, actor: Actor, *, system: bool = False) -> None:
    """Refuse anyone but a facilitator (and the server, when ``system``)."""
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if not (state.is_facilitator(actor) or (system and actor.kind == "system")):
        raise Rejected("not_facilitator", f"only facilitators may do this in {state.id!r}")


def check_id(value: str, name: str) -> str:
    """A client-chosen id: a bounded slug."""
    if not ID_PATTERN.fullmatch(value):
        raise Rejected(
            "invalid_argument",
            f"{name} has 1 to {MAX_ID_CHARS} letters, digits, - or _ and starts with a letter "
            "or digit",
        )
    return value


def clean_text(text: str) -> str:
    """Multi-line user text without control characters; newlines kept, ends trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = "".join(
        " " if char == "\t" else char
        for char in text
        if char in _KEPT_CONTROLS or char == "\t" or unicodedata.category(char)[0] != "C"
    )
    return "\n".join(line.rstrip() for line in kept.split("\n")).strip()


def checked_text(value: str, name: str, limit: int, *, multiline: bool = True) -> str:
    """Cleaned user text of 1 to ``limit`` characters."""
    text = clean_text(value) if multiline else clean_name(value)
    if not 1 <= len(text) <= limit:
        raise Rejected("invalid_argument", f"{name} has 1 to {limit} characters")
    return text


def checked_area(area: str | None) -> str | None:
    """An area id of the board template, or none (the shell knows the template's areas)."""
    return None if area is None else check_id(area, "area")


def new_item_id(state: WorkshopState, item_id: str) -> str:
    """A fresh item id, refusing duplicates and a full board."""
    check_id(item_id, "item_id")
    if item_id in state.board.items:
        raise Rejected("item_exists", f"item {item_id!r} exists already")
    if len(state.board.items) >= MAX_BOARD_ITEMS:
        raise Rejected("board_full", f"a board holds at most {MAX_BOARD_ITEMS} items")
    return item_id


def target_scope(state: WorkshopState, who: BoardActor, scope: str | None) -> str:
    """Where a new item or cluster goes: the participant's own scope, or the one named."""
    if not who.facilitator:
        if scope not in (None, who.scope):
            raise Rejected("not_in_scope", f"{who.id!r} contributes to {who.scope!r} only")
        return who.scope
    if scope is None or scope == PLENARY:
        return PLENARY
    if not any(group.id == scope for group in state.breakouts.groups):
        raise Rejected("no_such_group", f"no breakout group {scope!r}")
    return scope


def clusterable(state: WorkshopState, scope: str, harvested: bool, cluster_scope: str) -> bool:
    """Whether content of ``scope`` may join a cluster of ``cluster_scope``: its own scope's,
    the plenary's once harvested, or a group's that continues ``scope`` (pairs' notes in
    their foursome's clusters)."""
    if cluster_scope == scope or (cluster_scope == PLENARY and harvested):
        return True
    group = next((g for g in state.breakouts.groups if g.id == cluster_scope), None)
    return group is not None and scope in group.continues


def in_reach(who: BoardActor, scope: str, harvested: bool) -> bool:
    """Whether content of ``scope`` is open to ``who``: plenary, own group and the groups
    it continues, or harvested."""
    return who.facilitator or scope in (PLENARY, who.scope) or harvested or scope in who.continued


def item_for(state: WorkshopState, who: BoardActor, item_id: str) -> Item:
    """The live item ``who`` may act on; hidden or unrevealed ones of others do not exist."""
    item = state.board.items.get(item_id)
    if item is None:
        raise Rejected("no_such_item", f"no item {item_id!r}")
    if item.deleted:
        raise Rejected("item_deleted", f"item {item_id!r} was deleted")
    if item.author == who.id:
        return item
    if not item.revealed:  # private writing: only its author knows it exists until revealed
        raise Rejected("no_such_item", f"no item {item_id!r}")
    if who.facilitator:
        return item
    if item.hidden:
        raise Rejected("no_such_item", f"no item {item_id!r}")
    if not in_reach(who, item.scope, item.harvested):
        raise Rejected("not_in_scope", f"item {item_id!r} belongs to another group")
    return item


def step_flags(state: WorkshopState) -> tuple[int, bool, bool]:
    """The index of the step written into (the current one, or a pre-work step before the
    start) and whether it writes privately and anonymously."""
    acting = acting_step(state)
    if acting is None:
        return state.cursor, False, False
    index, step = acting
    return index, step.permissions.private_until_reveal, step.permissions.anonymous


def apply_fields(item: Item, version: int, at: datetime, changes: Mapping[Field, Any]) -> Item:
    """``item`` with every field of ``changes`` set where ``version`` is newer than its own.

    Equal versions (never two in a real log) are settled by the values, so a set of edits
    gives the same item in any order.
    """
    updates: dict[str, Any] = {}
    versions = dict(item.versions)
    for name, value in changes.items():
        attribute = _ATTRIBUTES.get(name, name)
        current = item.version_of(name)
        if version > current or (
            version == current and repr(value) > repr(getattr(item, attribute))
        ):
            updates[attribute] = value
            versions[name] = version
    return updated(item, **updates, versions=versions, updated_at=max(item.updated_at, at))


def with_board(state: WorkshopState, **changes: Any) -> WorkshopState:
    """``state`` with its board changed."""
    return updated(state, board=updated(state.board, **changes))


def with_item(state: WorkshopState, item: Item) -> WorkshopState:
    """``state`` with one item replaced or added."""
    return with_board(state, items={**state.board.items, item.id: item})


def live_item(state: WorkshopState, item_id: str) -> Item | None:
    """The item an edit event applies to; None for a tombstone, which nothing changes."""
    item = state.board.items.get(item_id)
    return None if item is None or item.deleted else item


class ItemCreated(Protocol):
    """The fields every event that creates a board item carries."""

    @property
    def item_id(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def author_kind(self) -> AuthorKind: ...
    @property
    def scope(self) -> str: ...
    @property
    def step_index(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def area(self) -> str | None: ...
    @property
    def private(self) -> bool: ...
    @property
    def anonymous(self) -> bool: ...


def new_item(event: ItemCreated, kind: ItemKind, **fields: Any) -> Item:
    """The item a creating event describes, with the fields of its own kind."""
    return Item(
        id=event.item_id,
        kind=kind,
        author=event.author,
        author_kind=event.author_kind,
        scope=event.scope,
        step_index=event.step_index,
        created_at=event.at,
        updated_at=event.at,
        area=event.area,
        revealed=not event.private,
        anonymous=event.anonymous,
        **fields,
    )


def add_item(state: WorkshopState, item: Item) -> WorkshopState:
    """``state`` with a new item, queued for a reveal when it was written privately."""
    board = state.board
    unrevealed = board.unrevealed if item.revealed else board.unrevealed | {item.id}
    return with_board(state, items={**board.items, item.id: item}, unrevealed=unrevealed)
