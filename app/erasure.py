"""Erasure in the store: redacting the event log, deleting a workshop, forgetting tokens.

A participant's erasure and a workshop's anonymisation are events (``app/core/erasure.py``)
that take personal data out of the live state through the normal live path. This module
then takes the same data out of the *stored* log: every event before the erasure event that
holds one of the erased texts, names or attributes is rewritten with that value blanked
(anonymous poll answers and dots get a pseudonymous voter instead). Events are never
dropped, so sequences stay dense and every later event still finds what it refers to; and
since the erasure event only removes what was blanked, folding the redacted log gives
exactly the live state. Before writing, that is checked by folding both logs; a redaction
that would change the state is refused and logged instead of written.

The erasure event is the durable promise, the redaction its follow-up: ``pending`` finds
erasure events whose log has not been redacted yet (a crash in between, or an erasure sent
over the websocket), and the retention sweep completes them.

On SQLite, rewritten and deleted rows are overwritten in the file (``secure_delete``) and
the write-ahead log is checkpointed and truncated, so an erased text is gone from the
database's bytes. On PostgreSQL, old row versions stay on disk until VACUUM reuses them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, and_, delete, select, update
from sqlmodel import Field, SQLModel

from app import joining
from app.codec import decode_event, encode_event
from app.core.board import NoteEdited, NotePosted
from app.core.cards import CardPlaced
from app.core.clusters import ClusterCreated
from app.core.erasure import ContributionsErased, WorkshopAnonymised
from app.core.moderation import ItemHidden
from app.core.outcomes import exported
from app.core.people import ParticipantJoined
from app.core.personal import CanvasUpdated, MilestoneSet
from app.core.personalstate import Milestone
from app.core.polls import PollAnswered, PollOpened
from app.core.reducer import Event, fold
from app.core.reflections import ReflectionSubmitted
from app.core.state import WorkshopState
from app.core.voting import VoteCast, VoteRetracted
from app.core.wicked import WickedQuestionAnswered, WickedQuestionProposed, WickedQuestionRefined
from app.store import EventRow, SnapshotRow, Store, WorkshopRow

log = logging.getLogger(__name__)

ERASURE_TYPES = ("contributions.erased", "workshop.anonymised")
_EVENTS = cast(Table, EventRow.__table__)  # type: ignore[attr-defined]
_SNAPSHOTS = cast(Table, SnapshotRow.__table__)  # type: ignore[attr-defined]


class RedactionRow(SQLModel, table=True):
    """An erasure event whose earlier log has been redacted."""

    __tablename__ = "redactions"
    workshop_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    type: str
    redacted_at: datetime
    events_rewritten: int


_REDACTIONS = cast(Table, RedactionRow.__table__)  # type: ignore[attr-defined]


class RedactionRefused(RuntimeError):
    """The redacted log would not fold to the live state; nothing was written."""


# --- the pure part --------------------------------------------------------------------------


@dataclass
class _Erased:
    """What a participant's erasure blanks while walking the log."""

    pid: str
    leave: bool
    items: set[str] = field(default_factory=set)


def _blank_item_texts(event: Event, items: set[str]) -> Event | None:
    """``event`` with its texts blanked when it writes into one of ``items``."""
    if isinstance(event, NotePosted | NoteEdited) and event.item_id in items:
        return replace(event, text="") if event.text else None
    if isinstance(event, WickedQuestionProposed) and event.item_id in items:
        return replace(event, pole_a="", pole_b="") if event.pole_a or event.pole_b else None
    if isinstance(event, WickedQuestionRefined) and event.item_id in items:
        pole_a = None if event.pole_a is None else ""
        pole_b = None if event.pole_b is None else ""
        if (pole_a, pole_b) == (event.pole_a, event.pole_b):
            return None
        return replace(event, pole_a=pole_a, pole_b=pole_b)
    if isinstance(event, WickedQuestionAnswered) and event.item_id in items:
        return replace(event, text="") if event.text else None
    return None


def _blank_canvas(event: Event, owners: set[str]) -> Event | None:
    if isinstance(event, CanvasUpdated) and event.participant_id in owners:
        return replace(event, idea="", goal="") if event.idea or event.goal else None
    if isinstance(event, MilestoneSet) and event.participant_id in owners:
        blank = Milestone(id=event.milestone.id, what="", by_when="", how_measured="")
        return replace(event, milestone=blank) if event.milestone != blank else None
    return None


def _created_item(event: Event) -> tuple[str, str] | None:
    """(item id, author) of an event that puts a new item on the board."""
    if isinstance(event, NotePosted | CardPlaced | WickedQuestionProposed):
        return event.item_id, event.author
    return None


def redact_participant(log: Sequence[Event], participant_id: str, leave: bool) -> dict[int, Event]:
    """Position in ``log`` -> the event with ``participant_id``'s texts blanked.

    ``log`` is the whole log before the erasure event. Blanked: the texts of every item they
    created (also others' edits and answers on it), their answers on others' questions, the
    titles of clusters they made, their canvas and check-out answers, and with ``leave``
    their name and join attributes. Their dots and poll answers carry no text and stay
    under their random id (the erasure event takes them out of the state)."""
    erased = _Erased(participant_id, leave)
    changed: dict[int, Event] = {}
    for position, event in enumerate(log):
        created = _created_item(event)
        if created is not None and created[1] == erased.pid:
            erased.items.add(created[0])
        new = _blank_item_texts(event, erased.items) or _blank_canvas(event, {erased.pid})
        if isinstance(event, WickedQuestionAnswered) and event.author == erased.pid and event.text:
            new = replace(event, text="")
        if isinstance(event, ClusterCreated) and event.author == erased.pid and event.title:
            new = replace(event, title="")
        if isinstance(event, ReflectionSubmitted) and event.participant_id == erased.pid:
            new = replace(event, text="") if event.text else None
        if (
            erased.leave
            and isinstance(event, ParticipantJoined)
            and event.participant_id == erased.pid
        ):
            new = replace(event, name="", attributes={})
        if new is not None:
            changed[position] = new
    return changed


def redact_for_retention(log: Sequence[Event]) -> dict[int, Event]:
    """Position in ``log`` -> the event without what an anonymised workshop no longer keeps.

    ``log`` is the whole log before the anonymisation event. Blanked: every name and join
    attribute, the texts of every item the outcome record does not hold (unrevealed,
    hidden, confidential, deleted) and the reasons for hiding them, canvases and check-out
    answers without export consent. Who answered an anonymous poll or placed dots in an
    anonymous vote is replaced by a pseudonym per poll and per vote round."""
    state = fold(log)
    gone = {item_id for item_id, item in state.board.items.items() if not exported(item)}
    private_canvases = {
        owner for owner, c in state.personal.canvases.items() if "export" not in c.consents
    }
    private_reflections = {
        (owner, question)
        for owner, answers in state.personal.reflections.items()
        for question, answer in answers.items()
        if "export" not in answer.consents
    }
    anonymous_polls: set[str] = set()
    anonymous_rounds: set[int] = set()
    labels: dict[tuple[str, str], str] = {}

    def label(scope: str, who: str) -> str:
        key = (scope, who)
        if key not in labels:
            number = sum(1 for known in labels if known[0] == scope) + 1
            labels[key] = f"{scope}#{number}"
        return labels[key]

    changed: dict[int, Event] = {}
    for position, event in enumerate(log):
        new = _blank_item_texts(event, gone) or _blank_canvas(event, private_canvases)
        if isinstance(event, ParticipantJoined) and (event.name or event.attributes):
            new = replace(event, name="", attributes={})
        if isinstance(event, ItemHidden) and event.item_id in gone and event.reason:
            new = replace(event, reason=None)
        if (
            isinstance(event, ReflectionSubmitted)
            and (event.participant_id, event.question) in private_reflections
            and event.text
        ):
            new = replace(event, text="")
        if isinstance(event, PollOpened) and event.anonymous:
            anonymous_polls.add(event.poll_id)
        if isinstance(event, PollAnswered) and event.poll_id in anonymous_polls:
            new = replace(
                event, participant_id=label(f"poll:{event.poll_id}", event.participant_id)
            )
        if isinstance(event, VoteCast) and event.anonymous:
            anonymous_rounds.add(event.step_index)
        if isinstance(event, VoteCast | VoteRetracted) and event.step_index in anonymous_rounds:
            new = replace(event, voter=label(f"votes:{event.step_index}", event.voter))
        if new is not None:
            changed[position] = new
    return changed


def redaction_for(log: Sequence[Event], erasure: Event) -> dict[int, Event]:
    """The redaction that ``erasure`` (the event right after ``log``) calls for."""
    if isinstance(erasure, ContributionsErased):
        return redact_participant(log, erasure.participant_id, erasure.leave)
    if isinstance(erasure, WorkshopAnonymised):
        return redact_for_retention(log)
    raise TypeError(f"{type(erasure).__name__} is not an erasure event")


def folds_alike(log: Sequence[Event], redacted: Sequence[Event], rest: Sequence[Event]) -> bool:
    """Whether the original and the redacted log, each followed by ``rest`` (the erasure
    event and everything after it), fold to the same state."""
    original: WorkshopState = fold(rest, fold(log))
    rebuilt: WorkshopState = fold(rest, fold(redacted))
    return original == rebuilt


# --- the store ------------------------------------------------------------------------------


def _is_sqlite(store: Store) -> bool:
    return store.engine.dialect.name == "sqlite"


def _secure(connection: Connection, store: Store) -> None:
    if _is_sqlite(store):
        connection.exec_driver_sql("PRAGMA secure_delete=ON")


def checkpoint(store: Store) -> None:
    """On SQLite, move every page into the database file and empty the write-ahead log, so
    overwritten content is not left behind in it."""
    if _is_sqlite(store):
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def ensure_schema(store: Store) -> None:
    """Create the table of redactions (idempotent)."""
    SQLModel.metadata.create_all(store.engine, tables=[_REDACTIONS])


def _log(store: Store, workshop_id: str) -> list[tuple[int, str, Event]]:
    columns = _EVENTS.c
    query = (
        select(columns.seq, columns.body)
        .where(columns.workshop_id == workshop_id)
        .order_by(columns.seq)
    )
    with store.engine.connect() as connection:
        return [(seq, body, decode_event(body)) for seq, body in connection.execute(query)]


def redact(store: Store, workshop_id: str, erasure_seq: int, now: datetime) -> int:
    """Redact the log before the erasure event at ``erasure_seq``; how many events changed.

    Idempotent: redacting twice changes nothing more. Drops the workshop's snapshots older
    than the erasure (they hold the old texts). Raises ``RedactionRefused`` when the
    redacted log would fold to another state (then nothing is written)."""
    ensure_schema(store)
    rows = _log(store, workshop_id)
    index = next((n for n, row in enumerate(rows) if row[0] == erasure_seq), None)
    if index is None:
        raise ValueError(f"workshop {workshop_id!r} has no event {erasure_seq}")
    erasure = rows[index][2]
    before = [event for _, _, event in rows[:index]]
    changes = redaction_for(before, erasure)
    redacted = [changes.get(position, event) for position, event in enumerate(before)]
    if not folds_alike(before, redacted, [event for _, _, event in rows[index:]]):
        raise RedactionRefused(
            f"redacting workshop {workshop_id!r} before event {erasure_seq} would change it"
        )
    bodies = {
        rows[position][0]: encode_event(event)
        for position, event in changes.items()
        if encode_event(event) != rows[position][1]
    }
    with store.engine.begin() as connection:
        _secure(connection, store)
        for seq, body in bodies.items():
            connection.execute(
                update(_EVENTS)
                .where(_EVENTS.c.workshop_id == workshop_id, _EVENTS.c.seq == seq)
                .values(body=body)
            )
        connection.execute(
            delete(_SNAPSHOTS).where(
                _SNAPSHOTS.c.workshop_id == workshop_id, _SNAPSHOTS.c.seq < erasure_seq
            )
        )
        connection.execute(
            delete(_REDACTIONS).where(
                _REDACTIONS.c.workshop_id == workshop_id, _REDACTIONS.c.seq == erasure_seq
            )
        )
        connection.execute(
            _REDACTIONS.insert().values(
                workshop_id=workshop_id,
                seq=erasure_seq,
                type=erasure.type,
                redacted_at=now,
                events_rewritten=len(bodies),
            )
        )
    if isinstance(erasure, ContributionsErased) and erasure.leave:
        forget_tokens(store, workshop_id, erasure.participant_id)
    checkpoint(store)
    return len(bodies)


def pending(store: Store) -> list[tuple[str, int]]:
    """(workshop id, sequence) of every erasure event whose log is not redacted yet."""
    ensure_schema(store)
    events, done = _EVENTS.c, _REDACTIONS.c
    query = (
        select(events.workshop_id, events.seq)
        .select_from(
            _EVENTS.outerjoin(
                _REDACTIONS,
                and_(done.workshop_id == events.workshop_id, done.seq == events.seq),
            )
        )
        .where(events.type.in_(ERASURE_TYPES), done.seq.is_(None))
        .order_by(events.workshop_id, events.seq)
    )
    with store.engine.connect() as connection:
        return [(workshop_id, seq) for workshop_id, seq in connection.execute(query)]


def anonymised_at(store: Store, workshop_id: str) -> datetime | None:
    """When the workshop's anonymisation was redacted into its log, if it was."""
    ensure_schema(store)
    columns = _REDACTIONS.c
    query = select(columns.redacted_at).where(
        columns.workshop_id == workshop_id, columns.type == "workshop.anonymised"
    )
    with store.engine.connect() as connection:
        found: datetime | None = connection.execute(query).scalar()
    return found


def _tables_with_workshop_id(store: Store) -> list[Table]:
    """Every table of the schema with a ``workshop_id`` column, except ``workshops``."""
    store.create_schema()  # registers the tables of every part
    return [
        table
        for table in SQLModel.metadata.sorted_tables
        if "workshop_id" in table.c and table.name != WorkshopRow.__tablename__
    ]


def forget_tokens(store: Store, workshop_id: str, participant_id: str | None = None) -> int:
    """Delete the participant tokens of a workshop (or of one participant); how many."""
    from app.store import ParticipantRow, ParticipantTokenRow

    tokens = cast(Table, ParticipantTokenRow.__table__)  # type: ignore[attr-defined]
    people = cast(Table, ParticipantRow.__table__)  # type: ignore[attr-defined]
    with store.engine.begin() as connection:
        _secure(connection, store)
        condition = tokens.c.workshop_id == workshop_id
        people_condition = people.c.workshop_id == workshop_id
        if participant_id is not None:
            condition = and_(condition, tokens.c.participant_id == participant_id)
            people_condition = and_(people_condition, people.c.id == participant_id)
        count = connection.execute(delete(tokens).where(condition)).rowcount
        connection.execute(delete(people).where(people_condition))
    _forget_cached(store, workshop_id, participant_id)
    return int(count or 0)


def _forget_cached(store: Store, workshop_id: str, participant_id: str | None) -> None:
    """Drop cached token look-ups of the workshop (or participant) in this process."""
    cache = joining._TOKEN_CACHE.get(store)
    if cache is None:
        return
    for digest, identity in list(cache.items()):
        if identity.workshop_id == workshop_id and participant_id in (
            None,
            identity.participant_id,
        ):
            del cache[digest]


def forget_join_link(store: Store, workshop_id: str) -> None:
    """Delete a workshop's join code and link."""
    from app.store import JoinLinkRow

    links = cast(Table, JoinLinkRow.__table__)  # type: ignore[attr-defined]
    with store.engine.begin() as connection:
        _secure(connection, store)
        connection.execute(delete(links).where(links.c.workshop_id == workshop_id))


def delete_workshop(store: Store, workshop_id: str) -> bool:
    """Delete a workshop and every row that belongs to it; False when there was none."""
    workshops = cast(Table, WorkshopRow.__table__)  # type: ignore[attr-defined]
    tables = _tables_with_workshop_id(store)
    with store.engine.begin() as connection:
        _secure(connection, store)
        exists = connection.execute(
            select(workshops.c.id).where(workshops.c.id == workshop_id)
        ).first()
        if exists is None:
            return False
        for table in reversed(tables):  # children before what they refer to
            connection.execute(delete(table).where(table.c.workshop_id == workshop_id))
        connection.execute(delete(workshops).where(workshops.c.id == workshop_id))
    _forget_cached(store, workshop_id, None)
    checkpoint(store)
    return True
