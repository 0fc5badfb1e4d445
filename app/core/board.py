"""Notes on the shared board: post, edit, move, colour, delete.

The rights every board command checks live in ``boardrights.py``; method cards are in
``cards.py``, clusters in ``clusters.py``, moderation and harvest in ``moderation.py``, dot
votes and reveals in ``voting.py``, Wicked Questions in ``wicked.py``.

Only the author edits a note's words; anyone who can reach an item may move or colour it,
since arranging the board is the group's shared work (in a step that allows the item's
kind: ``notes``, ``cards`` or ``wicked_questions``). Each edit sets its fields by last
writer wins per field, so two people moving and recolouring the same note both succeed.
Deleting leaves a tombstone: the content is cleared, dots on it go back to their voters, and
later edits are refused at decide time and ignored at evolve time, so nothing resurrects it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.boardrights import (
    ARRANGING,
    add_item,
    apply_fields,
    board_actor,
    checked_area,
    checked_text,
    clusterable,
    in_reach,
    item_for,
    live_item,
    new_item,
    new_item_id,
    require_action,
    step_flags,
    target_scope,
    with_board,
    with_item,
)
from app.core.boardstate import AuthorKind, BoardState, Dot, Field, Item, VoteRound
from app.core.errors import Rejected
from app.core.state import WorkshopState

MAX_NOTE_CHARS = 500
MAX_COORDINATE = 100_000.0  # board units either side of the origin
COLOUR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}|[a-z][a-z0-9-]{0,23}")  # hex or palette name


@dataclass(frozen=True, kw_only=True)
class PostNote:
    """Post a note; the client picks its id. Facilitators may name a group ``scope``."""

    item_id: str
    text: str
    area: str | None = None
    colour: str | None = None
    scope: str | None = None
    type: Literal["note.post"] = "note.post"


@dataclass(frozen=True, kw_only=True)
class EditNote:
    """Change the text of one's own note."""

    item_id: str
    text: str
    type: Literal["note.edit"] = "note.edit"


@dataclass(frozen=True, kw_only=True)
class MoveNote:
    """Move an item to another area, position or cluster (``unclustered`` takes it out)."""

    item_id: str
    area: str | None = None
    x: float | None = None
    y: float | None = None
    cluster_id: str | None = None
    unclustered: bool = False
    type: Literal["note.move"] = "note.move"


@dataclass(frozen=True, kw_only=True)
class ColourNote:
    """Give an item a colour, or none."""

    item_id: str
    colour: str | None = None
    type: Literal["note.colour"] = "note.colour"


@dataclass(frozen=True, kw_only=True)
class DeleteNote:
    """Delete an item: its author or a facilitator."""

    item_id: str
    type: Literal["note.delete"] = "note.delete"


@dataclass(frozen=True, kw_only=True)
class NotePosted:
    """A note is on the board; ``private`` and ``anonymous`` come from the step."""

    item_id: str
    author: str
    author_kind: AuthorKind
    scope: str
    step_index: int
    text: str
    area: str | None = None
    colour: str | None = None
    private: bool = False
    anonymous: bool = False
    at: datetime
    type: Literal["note.posted"] = "note.posted"


@dataclass(frozen=True, kw_only=True)
class NoteEdited:
    """A note's text changed; ``version`` is this event's sequence (last writer wins)."""

    item_id: str
    text: str
    version: int
    at: datetime
    type: Literal["note.edited"] = "note.edited"


@dataclass(frozen=True, kw_only=True)
class NoteMoved:
    """An item moved; only the fields given change (``position`` is x and y together)."""

    item_id: str
    area: str | None = None
    position: tuple[float, float] | None = None
    cluster_id: str | None = None
    unclustered: bool = False
    version: int
    at: datetime
    type: Literal["note.moved"] = "note.moved"


@dataclass(frozen=True, kw_only=True)
class NoteColoured:
    """An item's colour changed."""

    item_id: str
    colour: str | None
    version: int
    at: datetime
    type: Literal["note.coloured"] = "note.coloured"


@dataclass(frozen=True, kw_only=True)
class NoteDeleted:
    """An item is gone for good; the deleter is not named, so anonymity holds."""

    item_id: str
    by_facilitator: bool
    at: datetime
    type: Literal["note.deleted"] = "note.deleted"


NoteCommand = PostNote | EditNote | MoveNote | ColourNote | DeleteNote
NoteEvent = NotePosted | NoteEdited | NoteMoved | NoteColoured | NoteDeleted


# --- decide ------------------------------------------------------------------------------


def _checked_colour(colour: str | None) -> str | None:
    if colour is not None and not COLOUR_PATTERN.fullmatch(colour):
        raise Rejected("invalid_argument", "colour is #rrggbb or a palette name of 1 to 24 a-z0-9-")
    return colour


def decide_post(
    state: WorkshopState, command: PostNote, actor: Actor, now: datetime
) -> list[NoteEvent]:
    """Post a note in the actor's scope, flagged private or anonymous as the step says."""
    who = board_actor(state, actor, "notes")
    item_id = new_item_id(state, command.item_id)
    text = checked_text(command.text, "text", MAX_NOTE_CHARS)
    area, colour = checked_area(command.area), _checked_colour(command.colour)
    index, private, anonymous = step_flags(state)
    return [
        NotePosted(
            item_id=item_id,
            author=who.id,
            author_kind=who.kind,
            scope=target_scope(state, who, command.scope),
            step_index=index,
            text=text,
            area=area,
            colour=colour,
            private=private,
            anonymous=anonymous,
            at=now,
        )
    ]


def decide_edit(
    state: WorkshopState, command: EditNote, actor: Actor, now: datetime
) -> list[NoteEvent]:
    """Change the text of one's own note; nobody edits another person's words."""
    who = board_actor(state, actor, "notes")
    item = item_for(state, who, command.item_id)
    if item.author != who.id:
        raise Rejected("not_author", f"only the author edits item {item.id!r}")
    if item.kind != "note":
        raise Rejected("invalid_argument", f"item {item.id!r} is a {item.kind}, not a note")
    text = checked_text(command.text, "text", MAX_NOTE_CHARS)
    return [NoteEdited(item_id=item.id, text=text, version=state.version + 1, at=now)]


def _checked_position(x: float | None, y: float | None) -> tuple[float, float] | None:
    if x is None and y is None:
        return None
    if x is None or y is None:
        raise Rejected("invalid_argument", "x and y are given together")
    if not all(-MAX_COORDINATE <= value <= MAX_COORDINATE for value in (x, y)):
        raise Rejected("invalid_argument", f"x and y lie within ±{MAX_COORDINATE:g}")
    return (float(x), float(y))


def decide_move(
    state: WorkshopState, command: MoveNote, actor: Actor, now: datetime
) -> list[NoteEvent]:
    """Move an item in reach; putting it into or out of a cluster needs ``cluster``."""
    who = board_actor(state, actor)
    item = item_for(state, who, command.item_id)
    require_action(state, who, ARRANGING[item.kind])
    area, position = checked_area(command.area), _checked_position(command.x, command.y)
    if command.cluster_id is not None and command.unclustered:
        raise Rejected("invalid_argument", "give cluster_id or unclustered, not both")
    if command.cluster_id is not None or command.unclustered:
        require_action(state, who, "cluster")
    if command.cluster_id is not None:
        cluster = state.board.clusters.get(command.cluster_id)
        if (
            cluster is None
            or cluster.deleted
            or not in_reach(who, cluster.scope, cluster.harvested)
        ):
            raise Rejected("no_such_cluster", f"no cluster {command.cluster_id!r}")
        if not clusterable(state, item.scope, item.harvested, cluster.scope):
            raise Rejected(
                "not_in_scope", f"item {item.id!r} cannot join a cluster of {cluster.scope!r}"
            )
    if area is None and position is None and command.cluster_id is None and not command.unclustered:
        raise Rejected("invalid_argument", "a move names an area, a position or a cluster")
    return [
        NoteMoved(
            item_id=item.id,
            area=area,
            position=position,
            cluster_id=command.cluster_id,
            unclustered=command.unclustered,
            version=state.version + 1,
            at=now,
        )
    ]


def decide_colour(
    state: WorkshopState, command: ColourNote, actor: Actor, now: datetime
) -> list[NoteEvent]:
    """Colour an item in reach."""
    who = board_actor(state, actor)
    item = item_for(state, who, command.item_id)
    require_action(state, who, ARRANGING[item.kind])
    colour = _checked_colour(command.colour)
    return [NoteColoured(item_id=item.id, colour=colour, version=state.version + 1, at=now)]


def decide_delete(
    state: WorkshopState, command: DeleteNote, actor: Actor, now: datetime
) -> list[NoteEvent]:
    """Delete an item: its author in any step, or a facilitator."""
    who = board_actor(state, actor)
    item = item_for(state, who, command.item_id)
    if not who.facilitator and item.author != who.id:
        raise Rejected("not_author", f"only the author or a facilitator deletes {item.id!r}")
    return [NoteDeleted(item_id=item.id, by_facilitator=who.facilitator, at=now)]


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    PostNote: decide_post,
    EditNote: decide_edit,
    MoveNote: decide_move,
    ColourNote: decide_colour,
    DeleteNote: decide_delete,
}

# --- evolve ------------------------------------------------------------------------------


def evolve_posted(state: WorkshopState, event: NotePosted) -> WorkshopState:
    """One more note."""
    item = new_item(event, "note", text=event.text, colour=event.colour)
    return add_item(state, item)


def evolve_edited(state: WorkshopState, event: NoteEdited) -> WorkshopState:
    """New text, if no newer text is there."""
    item = live_item(state, event.item_id)
    if item is None:
        return state
    return with_item(state, apply_fields(item, event.version, event.at, {"text": event.text}))


def evolve_moved(state: WorkshopState, event: NoteMoved) -> WorkshopState:
    """New area, position or cluster, each if no newer value is there."""
    item = live_item(state, event.item_id)
    if item is None:
        return state
    changes: dict[Field, Any] = {}
    if event.area is not None:
        changes["area"] = event.area
    if event.position is not None:
        changes["position"] = event.position
    if event.cluster_id is not None or event.unclustered:
        changes["cluster"] = event.cluster_id
    return with_item(state, apply_fields(item, event.version, event.at, changes))


def evolve_coloured(state: WorkshopState, event: NoteColoured) -> WorkshopState:
    """New colour, if no newer colour is there."""
    item = live_item(state, event.item_id)
    if item is None:
        return state
    return with_item(state, apply_fields(item, event.version, event.at, {"colour": event.colour}))


def without_dots_on(votes: Mapping[str, VoteRound], item_id: str) -> dict[str, VoteRound]:
    """Vote rounds with every dot on ``item_id`` given back to its voter."""
    rounds = dict(votes)
    for key, round_ in votes.items():
        if not any(item_id in counts for counts in round_.tallies.values()):
            continue
        ballots: dict[str, tuple[Dot, ...]] = {}
        for voter, dots in round_.ballots.items():
            kept = tuple(dot for dot in dots if dot.item_id != item_id)
            if kept:
                ballots[voter] = kept
        tallies = {
            scope: {item: n for item, n in counts.items() if item != item_id}
            for scope, counts in round_.tallies.items()
        }
        rounds[key] = replace(round_, ballots=ballots, tallies=tallies)
    return rounds


def tombstone(item: Item) -> Item:
    """An item with its content cleared and its flags kept, as a deletion leaves it."""
    return replace(
        item,
        deleted=True,
        text="",
        pole_a="",
        pole_b="",
        answers=(),
        hidden_reason=None,
        cluster_id=None,
    )


def evolve_deleted(state: WorkshopState, event: NoteDeleted) -> WorkshopState:
    """A tombstone: content cleared, flags kept, dots on it given back."""
    item = state.board.items[event.item_id]
    cleared = replace(tombstone(item), updated_at=max(item.updated_at, event.at))
    board: BoardState = state.board
    return with_board(
        state,
        items={**board.items, item.id: cleared},
        unrevealed=board.unrevealed - {item.id},
        votes=without_dots_on(board.votes, item.id),
    )


EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    NotePosted: evolve_posted,
    NoteEdited: evolve_edited,
    NoteMoved: evolve_moved,
    NoteColoured: evolve_coloured,
    NoteDeleted: evolve_deleted,
}
