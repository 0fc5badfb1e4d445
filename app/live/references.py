"""Checks of a command's references to the structures library, before it reaches the core.

The core keeps plans small: a step names its board template and card deck by id, and the
core accepts any well-formed area or card id. Whether ``area`` is one of the board's areas
and ``card_id`` a card of the deck is the library's knowledge, checked here at the edge with
the same typed error the core would give.
"""

from __future__ import annotations

from app.core.board import MoveNote, PostNote
from app.core.boardrights import acting_step
from app.core.cards import PlaceCard
from app.core.errors import Rejection
from app.core.reducer import Command
from app.core.state import WorkshopState
from app.core.wicked import ProposeWickedQuestion
from app.structures import Library


def board_areas(library: Library, state: WorkshopState) -> frozenset[str] | None:
    """The area ids of the board template of the step participants act in (the current
    step, or a pre-work step in the lobby); None when it has none."""
    acting = acting_step(state)
    step = None if acting is None else acting[1]
    if step is None or step.board is None:
        return None
    structure = library.structures.get(step.structure_id)
    if structure is None:
        return None
    for board in structure.boards:
        if board.id == step.board:
            return frozenset(area.id for area in board.areas)
    return None


def check_references(library: Library, state: WorkshopState, command: Command) -> Rejection | None:
    """A rejection when the command names an area or card the library does not have."""
    area = None
    if isinstance(command, PostNote | MoveNote | PlaceCard | ProposeWickedQuestion):
        area = command.area
    if area is not None:
        areas = board_areas(library, state)
        if areas is None or area not in areas:
            known = ", ".join(sorted(areas or ())) or "none"
            return Rejection("invalid_argument", f"no area {area!r} on this board (areas: {known})")
    if isinstance(command, PlaceCard):
        deck = library.decks.get(command.deck_id)
        if deck is None:
            return Rejection("invalid_argument", f"no card deck {command.deck_id!r}")
        if command.card_id not in {card.id for card in deck.cards}:
            return Rejection(
                "invalid_argument", f"deck {command.deck_id!r} has no card {command.card_id!r}"
            )
    return None
