"""Method cards on the board: cards of the step's deck, laid out like notes.

The core does not know a deck's cards; it takes a bounded slug and the shell checks it
against the library. Participants place cards only in a step that allows ``cards`` and only
from the deck the step names; facilitators may lay out any deck's cards. A placed card is an
item like a note (moved, coloured, clustered, voted on and deleted the same way) without
text of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.boardrights import (
    add_item,
    board_actor,
    check_id,
    checked_area,
    new_item,
    new_item_id,
    step_flags,
    target_scope,
)
from app.core.boardstate import AuthorKind
from app.core.errors import Rejected
from app.core.state import WorkshopState


@dataclass(frozen=True, kw_only=True)
class PlaceCard:
    """Lay a card of the step's deck on the board (the shell checks the card exists)."""

    item_id: str
    deck_id: str
    card_id: str
    area: str | None = None
    scope: str | None = None
    type: Literal["card.place"] = "card.place"


CardCommand = PlaceCard


@dataclass(frozen=True, kw_only=True)
class CardPlaced:
    """A method card is on the board."""

    item_id: str
    author: str
    author_kind: AuthorKind
    scope: str
    step_index: int
    deck_id: str
    card_id: str
    area: str | None = None
    private: bool = False
    anonymous: bool = False
    at: datetime
    type: Literal["card.placed"] = "card.placed"


CardEvent = CardPlaced


def decide_place_card(
    state: WorkshopState, command: PlaceCard, actor: Actor, now: datetime
) -> list[CardEvent]:
    """Place a card of the current step's deck (facilitators: of any deck)."""
    who = board_actor(state, actor, "cards")
    item_id = new_item_id(state, command.item_id)
    deck_id, card_id = check_id(command.deck_id, "deck_id"), check_id(command.card_id, "card_id")
    deck = state.current_step.deck if state.current_step else None
    if not who.facilitator and deck != deck_id:
        raise Rejected("invalid_argument", f"cards in this step come from deck {deck!r}")
    index, private, anonymous = step_flags(state)
    return [
        CardPlaced(
            item_id=item_id,
            author=who.id,
            author_kind=who.kind,
            scope=target_scope(state, who, command.scope),
            step_index=index,
            deck_id=deck_id,
            card_id=card_id,
            area=checked_area(command.area),
            private=private,
            anonymous=anonymous,
            at=now,
        )
    ]


def evolve_card_placed(state: WorkshopState, event: CardPlaced) -> WorkshopState:
    """One more card."""
    item = new_item(event, "card", deck_id=event.deck_id, card_id=event.card_id)
    return add_item(state, item)


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    PlaceCard: decide_place_card,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    CardPlaced: evolve_card_placed,
}
