"""Moderation and the board's flow between scopes: hide, confidential, reveal, harvest.

Hiding is a facilitator's act and keeps the item (and its log) intact: the author still sees
it, and the facilitators (with the reason, so they can unhide it); other participants do
not. The confidential flag, set by the author or a facilitator, keeps an
item in the room (never exported, never shown to reviewers). Private writing waits in
``BoardState.unrevealed`` until a facilitator reveals it or the step ends
(``voting.on_step_leave``). Harvesting rolls groups' results up to the plenary: the items
keep their group scope and gain ``harvested``, so the plenary may see them from then on.
Reveal and harvest events name the items they touch, fixed at decide time, so items posted
later are never swept along by a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.boardrights import (
    board_actor,
    check_id,
    checked_text,
    item_for,
    require_facilitator,
    with_board,
    with_item,
)
from app.core.boardstate import Item
from app.core.errors import Rejected
from app.core.groups import PLENARY
from app.core.state import WorkshopState

MAX_REASON_CHARS = 200

RevealCause = Literal["facilitator", "step_end"]


@dataclass(frozen=True, kw_only=True)
class HideItem:
    """A facilitator takes an item off everyone's board but its author's."""

    item_id: str
    reason: str | None = None
    type: Literal["item.hide"] = "item.hide"


@dataclass(frozen=True, kw_only=True)
class UnhideItem:
    """A facilitator puts a hidden item back."""

    item_id: str
    type: Literal["item.unhide"] = "item.unhide"


@dataclass(frozen=True, kw_only=True)
class MarkConfidential:
    """The author or a facilitator keeps an item in the room (or lets it out again)."""

    item_id: str
    confidential: bool
    type: Literal["item.mark_confidential"] = "item.mark_confidential"


@dataclass(frozen=True, kw_only=True)
class RevealItems:
    """A facilitator reveals private writing: all of it, or one scope's."""

    scope: str | None = None
    type: Literal["items.reveal"] = "items.reveal"


@dataclass(frozen=True, kw_only=True)
class HarvestGroups:
    """A facilitator rolls groups' results up to the plenary (all groups, or those named)."""

    group_ids: tuple[str, ...] | None = None
    type: Literal["board.harvest"] = "board.harvest"


@dataclass(frozen=True, kw_only=True)
class ItemHidden:
    """An item is hidden by moderation."""

    item_id: str
    reason: str | None
    at: datetime
    type: Literal["item.hidden"] = "item.hidden"


@dataclass(frozen=True, kw_only=True)
class ItemUnhidden:
    """A hidden item is back."""

    item_id: str
    at: datetime
    type: Literal["item.unhidden"] = "item.unhidden"


@dataclass(frozen=True, kw_only=True)
class ConfidentialMarked:
    """An item's confidential flag changed."""

    item_id: str
    confidential: bool
    at: datetime
    type: Literal["item.confidential_marked"] = "item.confidential_marked"


@dataclass(frozen=True, kw_only=True)
class ItemsRevealed:
    """Private writing is visible now, as its scope allows."""

    item_ids: tuple[str, ...]
    cause: RevealCause
    at: datetime
    type: Literal["items.revealed"] = "items.revealed"


@dataclass(frozen=True, kw_only=True)
class BoardHarvested:
    """Groups' items and clusters are open to the plenary now; their scopes stay."""

    group_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    cluster_ids: tuple[str, ...]
    at: datetime
    type: Literal["board.harvested"] = "board.harvested"


ModerationCommand = HideItem | UnhideItem | MarkConfidential | RevealItems | HarvestGroups
ModerationEvent = ItemHidden | ItemUnhidden | ConfidentialMarked | ItemsRevealed | BoardHarvested


def _live(state: WorkshopState, item_id: str, actor: Actor) -> Item:
    """An item a facilitator may moderate: someone else's unrevealed private writing is
    not in the facilitators' view either, so for them it does not exist yet."""
    item = state.board.items.get(item_id)
    if item is None or (not item.revealed and item.author != actor.id):
        raise Rejected("no_such_item", f"no item {item_id!r}")
    if item.deleted:
        raise Rejected("item_deleted", f"item {item_id!r} was deleted")
    return item


def decide_hide(
    state: WorkshopState, command: HideItem, actor: Actor, now: datetime
) -> list[ModerationEvent]:
    """Hide an item from everyone but its author."""
    require_facilitator(state, actor)
    item = _live(state, command.item_id, actor)
    if item.hidden:
        raise Rejected("invalid_argument", f"item {item.id!r} is hidden already")
    reason = command.reason
    if reason is not None:
        reason = checked_text(reason, "reason", MAX_REASON_CHARS, multiline=False)
    return [ItemHidden(item_id=item.id, reason=reason, at=now)]


def decide_unhide(
    state: WorkshopState, command: UnhideItem, actor: Actor, now: datetime
) -> list[ModerationEvent]:
    """Show a hidden item again."""
    require_facilitator(state, actor)
    item = _live(state, command.item_id, actor)
    if not item.hidden:
        raise Rejected("invalid_argument", f"item {item.id!r} is not hidden")
    return [ItemUnhidden(item_id=item.id, at=now)]


def decide_confidential(
    state: WorkshopState, command: MarkConfidential, actor: Actor, now: datetime
) -> list[ModerationEvent]:
    """Set or clear the confidential flag: the item's author or a facilitator."""
    who = board_actor(state, actor)
    item = item_for(state, who, command.item_id)
    if not who.facilitator and item.author != who.id:
        raise Rejected("not_author", f"only the author or a facilitator marks {item.id!r}")
    if item.confidential == command.confidential:
        raise Rejected("invalid_argument", f"item {item.id!r} is that already")
    return [ConfidentialMarked(item_id=item.id, confidential=command.confidential, at=now)]


def pending_reveal(
    state: WorkshopState, *, scope: str | None = None, step_index: int | None = None
) -> tuple[str, ...]:
    """Ids of private items still waiting, of one scope or step if given, in a stable order."""
    items = state.board.items
    return tuple(
        sorted(
            item_id
            for item_id in state.board.unrevealed
            if (scope is None or items[item_id].scope == scope)
            and (step_index is None or items[item_id].step_index == step_index)
        )
    )


def decide_reveal_items(
    state: WorkshopState, command: RevealItems, actor: Actor, now: datetime
) -> list[ModerationEvent]:
    """Reveal private writing (the server may do it too, at a step's end)."""
    require_facilitator(state, actor, system=True)
    if command.scope is not None and command.scope != PLENARY:
        check_id(command.scope, "scope")
    item_ids = pending_reveal(state, scope=command.scope)
    if not item_ids:
        raise Rejected("already_revealed", "no private writing waits for a reveal")
    return [ItemsRevealed(item_ids=item_ids, cause="facilitator", at=now)]


def decide_harvest(
    state: WorkshopState, command: HarvestGroups, actor: Actor, now: datetime
) -> list[ModerationEvent]:
    """Open groups' items and clusters to the plenary."""
    require_facilitator(state, actor)
    wanted = None if command.group_ids is None else frozenset(command.group_ids)
    for group_id in wanted or ():
        check_id(group_id, "group_ids")

    def picked(scope: str, harvested: bool, deleted: bool) -> bool:
        fresh = scope != PLENARY and not harvested and not deleted
        return fresh and (wanted is None or scope in wanted)

    board = state.board
    items = sorted(i.id for i in board.items.values() if picked(i.scope, i.harvested, i.deleted))
    clusters = sorted(
        c.id for c in board.clusters.values() if picked(c.scope, c.harvested, c.deleted)
    )
    if not items and not clusters:
        raise Rejected("invalid_argument", "the groups have nothing left to harvest")
    scopes = {board.items[i].scope for i in items} | {board.clusters[c].scope for c in clusters}
    return [
        BoardHarvested(
            group_ids=tuple(sorted(scopes)),
            item_ids=tuple(items),
            cluster_ids=tuple(clusters),
            at=now,
        )
    ]


def _set(state: WorkshopState, item_id: str, **changes: Any) -> WorkshopState:
    item = state.board.items[item_id]
    if item.deleted:
        return state
    return with_item(state, replace(item, **changes))


def evolve_hidden(state: WorkshopState, event: ItemHidden) -> WorkshopState:
    """Hidden, with the reason kept for facilitators."""
    return _set(state, event.item_id, hidden=True, hidden_reason=event.reason)


def evolve_unhidden(state: WorkshopState, event: ItemUnhidden) -> WorkshopState:
    """Visible again."""
    return _set(state, event.item_id, hidden=False, hidden_reason=None)


def evolve_confidential(state: WorkshopState, event: ConfidentialMarked) -> WorkshopState:
    """Confidential or not."""
    return _set(state, event.item_id, confidential=event.confidential)


def evolve_items_revealed(state: WorkshopState, event: ItemsRevealed) -> WorkshopState:
    """The named items are revealed and no longer wait."""
    board = state.board
    items = dict(board.items)
    for item_id in event.item_ids:
        items[item_id] = replace(items[item_id], revealed=True)
    return with_board(state, items=items, unrevealed=board.unrevealed - set(event.item_ids))


def evolve_harvested(state: WorkshopState, event: BoardHarvested) -> WorkshopState:
    """The named items and clusters are open to the plenary."""
    board = state.board
    items = dict(board.items)
    for item_id in event.item_ids:
        items[item_id] = replace(items[item_id], harvested=True)
    clusters = dict(board.clusters)
    for cluster_id in event.cluster_ids:
        clusters[cluster_id] = replace(clusters[cluster_id], harvested=True)
    return with_board(state, items=items, clusters=clusters)


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    HideItem: decide_hide,
    UnhideItem: decide_unhide,
    MarkConfidential: decide_confidential,
    RevealItems: decide_reveal_items,
    HarvestGroups: decide_harvest,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    ItemHidden: evolve_hidden,
    ItemUnhidden: evolve_unhidden,
    ConfidentialMarked: evolve_confidential,
    ItemsRevealed: evolve_items_revealed,
    BoardHarvested: evolve_harvested,
}
