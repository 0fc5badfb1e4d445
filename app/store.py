"""The event log and its side tables, in SQLite (default) or PostgreSQL, through SQLModel.

The ``events`` table is append-only with ``(workshop_id, seq)`` unique: a second writer for
the same sequence fails instead of forking the log. A workshop's state is the fold of its
events, optionally starting from its latest snapshot. All calls here block; the live server
runs them on a worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, UniqueConstraint, event, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, SQLModel, create_engine

from app.codec import decode_event, decode_state, encode_event, encode_state
from app.core.events import WorkshopCreated
from app.core.reducer import Event, fold
from app.core.state import WorkshopState

SQLITE_BUSY_TIMEOUT_MS = 5000


class WorkshopRow(SQLModel, table=True):
    """One workshop; its live state is the fold of its events."""

    __tablename__ = "workshops"
    id: str = Field(primary_key=True)
    title: str
    owner: str = Field(index=True)
    agenda_id: str | None = None
    created_at: datetime


class AgendaRow(SQLModel, table=True):
    """An agenda a facilitator saved (the shipped ones live in structures/)."""

    __tablename__ = "agendas"
    id: str = Field(primary_key=True)
    title: str
    owner: str = Field(index=True)
    body: str  # the agenda in the structure file format, as JSON
    created_at: datetime
    updated_at: datetime


class ParticipantRow(SQLModel, table=True):
    """Who joined a workshop; the token lets a browser keep its identity across reloads."""

    __tablename__ = "participants"
    id: str = Field(primary_key=True)
    workshop_id: str = Field(foreign_key="workshops.id", index=True)
    display_name: str
    token_hash: str = Field(unique=True)
    attributes: str = "{}"  # JSON of the optional join attributes
    joined_at: datetime


class JoinLinkRow(SQLModel, table=True):
    """A workshop's join code and link token; rotating replaces both, so old ones stop working.

    Both are kept in clear: facilitators need to see them again to share them, and they only
    open the door to a workshop that is not locked (see app/joining.py for their entropy).
    """

    __tablename__ = "join_links"
    workshop_id: str = Field(foreign_key="workshops.id", primary_key=True)
    code: str = Field(unique=True)  # normalised: 10 symbols of Crockford base32, no dash
    link_token: str = Field(unique=True)
    created_at: datetime


class ParticipantTokenRow(SQLModel, table=True):
    """The SHA-256 of a participant token and whom it identifies; the token is never stored."""

    __tablename__ = "participant_tokens"
    token_hash: str = Field(primary_key=True)
    workshop_id: str = Field(foreign_key="workshops.id", index=True)
    participant_id: str
    created_at: datetime


class EventRow(SQLModel, table=True):
    """One event of one workshop's log; never updated, never deleted while the workshop lives."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("workshop_id", "seq", name="uq_events_workshop_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    workshop_id: str = Field(foreign_key="workshops.id", index=True)
    seq: int
    type: str
    body: str
    recorded_at: datetime
    # "actor-id/client-command-id" of the command that caused the event; a repeat of the
    # command is answered from here, also after a restart.
    command_key: str | None = Field(default=None, index=True)


class SnapshotRow(SQLModel, table=True):
    """The state of a workshop after ``seq`` events, so a rebuild folds only the tail."""

    __tablename__ = "snapshots"
    workshop_id: str = Field(foreign_key="workshops.id", primary_key=True)
    seq: int
    body: str
    saved_at: datetime


_EVENTS = cast(Table, EventRow.__table__)  # type: ignore[attr-defined]
_WORKSHOPS = cast(Table, WorkshopRow.__table__)  # type: ignore[attr-defined]
_JOIN_LINKS = cast(Table, JoinLinkRow.__table__)  # type: ignore[attr-defined]
_PARTICIPANT_TOKENS = cast(Table, ParticipantTokenRow.__table__)  # type: ignore[attr-defined]
_SNAPSHOTS = cast(Table, SnapshotRow.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Recorded:
    """An event with its place in the log."""

    seq: int
    event: Event


@dataclass(frozen=True)
class JoinLink:
    """A workshop's current join code (normalised) and link token."""

    workshop_id: str
    code: str
    link_token: str
    created_at: datetime


@dataclass(frozen=True)
class Append:
    """Events to append to a workshop's log right after ``after_seq``; ``command_keys``,
    when given, has one entry per event: the key of its command."""

    workshop_id: str
    after_seq: int
    events: Sequence[Event]
    recorded_at: datetime
    command_keys: Sequence[str | None] | None = None


def _rows(append: Append) -> list[dict[str, Any]]:
    events = append.events
    keys = list(append.command_keys) if append.command_keys is not None else [None] * len(events)
    return [
        {
            "workshop_id": append.workshop_id,
            "seq": append.after_seq + offset,
            "type": item.type,
            "body": encode_event(item),
            "recorded_at": append.recorded_at,
            "command_key": key,
        }
        for offset, (item, key) in enumerate(zip(events, keys, strict=True), start=1)
    ]


def _recorded(append: Append) -> list[Recorded]:
    return [
        Recorded(append.after_seq + offset, item) for offset, item in enumerate(append.events, 1)
    ]


def _conflict(append: Append, error: Exception) -> SequenceConflict:
    conflict = SequenceConflict(
        f"workshop {append.workshop_id!r} already has events after seq {append.after_seq}"
    )
    conflict.__cause__ = error
    return conflict


class SequenceConflict(Exception):
    """Another writer appended to the same workshop first; the caller must reload."""


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while the writer commits; NORMAL keeps every committed
    # transaction across a process crash (not a power loss) at a fraction of FULL's cost.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def make_engine(database_url: str) -> Engine:
    """An engine for the URL, with SQLite's pragmas set on every connection."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        memory = url.database in (None, "", ":memory:")
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False},
            poolclass=StaticPool if memory else None,
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True)


class Store:
    """Workshops and their event logs."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)

    def create_schema(self) -> None:
        """Create missing tables (idempotent), the account, import and series tables included."""
        # importing these registers their tables: accounts and sessions, imported records
        from app import accounts, series  # noqa: F401
        from app.export import archive  # noqa: F401

        SQLModel.metadata.create_all(self.engine)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success."""
        with Session(self.engine) as session:
            yield session
            session.commit()

    def save_workshop(self, created: WorkshopCreated, recorded_at: datetime) -> Recorded:
        """Register a new workshop and write its first event in one transaction."""
        with self.session() as session:
            session.add(
                WorkshopRow(
                    id=created.workshop_id,
                    title=created.title,
                    owner=created.owner,
                    agenda_id=created.agenda_id,
                    created_at=created.at,
                )
            )
            session.flush()
            session.add(
                EventRow(
                    workshop_id=created.workshop_id,
                    seq=1,
                    type=created.type,
                    body=encode_event(created),
                    recorded_at=recorded_at,
                )
            )
        return Recorded(1, created)

    def append_events(
        self,
        workshop_id: str,
        after_seq: int,
        events: Sequence[Event],
        recorded_at: datetime,
        command_keys: Sequence[str | None] | None = None,
    ) -> list[Recorded]:
        """Append events right after ``after_seq`` in one transaction; durable on return.

        ``command_keys``, when given, has one entry per event: the key of its command.
        """
        outcome = self.append_many(
            [Append(workshop_id, after_seq, events, recorded_at, command_keys)]
        )
        if isinstance(outcome[0], SequenceConflict):
            raise outcome[0]
        return outcome[0]

    def append_many(self, appends: Sequence[Append]) -> list[list[Recorded] | SequenceConflict]:
        """Several appends, of one workshop or many, in ONE transaction: durable on return.

        When any of them conflicts with the log, the transaction is undone and each append
        is tried in a transaction of its own, so one conflict fails only its own append."""
        rows = [row for one in appends for row in _rows(one)]
        if rows:
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(_EVENTS), rows)
            except IntegrityError as error:
                if len(appends) == 1:
                    one = appends[0]
                    return [_conflict(one, error)]
                return [self.append_many([one])[0] for one in appends]
        return [_recorded(one) for one in appends]

    def load_events(self, workshop_id: str, after_seq: int = 0) -> list[Recorded]:
        """The log of a workshop after ``after_seq``, in order."""
        columns = _EVENTS.c
        query = (
            select(columns.seq, columns.body)
            .where(columns.workshop_id == workshop_id, columns.seq > after_seq)
            .order_by(columns.seq)
        )
        with self.engine.connect() as connection:
            return [Recorded(seq, decode_event(body)) for seq, body in connection.execute(query)]

    def command_outcomes(self, workshop_id: str, after_seq: int = 0) -> dict[str, tuple[int, int]]:
        """For every command key in the log after ``after_seq``: its first and last sequence."""
        columns = _EVENTS.c
        query = (
            select(columns.command_key, func.min(columns.seq), func.max(columns.seq))
            .where(
                columns.workshop_id == workshop_id,
                columns.seq > after_seq,
                columns.command_key.is_not(None),
            )
            .group_by(columns.command_key)
        )
        with self.engine.connect() as connection:
            return {key: (first, last) for key, first, last in connection.execute(query)}

    def last_seq(self, workshop_id: str) -> int:
        """The sequence number of the newest event, 0 for none."""
        query = select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.workshop_id == workshop_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)

    def save_snapshot(self, state: WorkshopState, saved_at: datetime) -> None:
        """Keep ``state`` as the workshop's snapshot, replacing an older one."""
        with self.session() as session:
            row = session.get(SnapshotRow, state.id)
            if row is None:
                row = SnapshotRow(
                    workshop_id=state.id, seq=state.version, body="", saved_at=saved_at
                )
            if state.version < row.seq:
                return
            row.seq, row.body, row.saved_at = state.version, encode_state(state), saved_at
            session.add(row)

    def load_state(self, workshop_id: str, use_snapshot: bool = True) -> WorkshopState | None:
        """The workshop's state: its snapshot (if any) folded with the rest of the log."""
        base: WorkshopState | None = None
        if use_snapshot:
            query = select(_SNAPSHOTS.c.body).where(_SNAPSHOTS.c.workshop_id == workshop_id)
            with self.engine.connect() as connection:
                body = connection.execute(query).scalar()
            if body is not None:
                base = decode_state(body)
        tail = self.load_events(workshop_id, after_seq=base.version if base else 0)
        if base is None and not tail:
            return None
        return fold((item.event for item in tail), base)

    def workshop_ids(self) -> list[str]:
        """Every workshop's id, oldest first."""
        query = select(_WORKSHOPS.c.id).order_by(_WORKSHOPS.c.created_at)
        with self.engine.connect() as connection:
            return [row[0] for row in connection.execute(query)]

    def load_join_link(self, workshop_id: str) -> JoinLink | None:
        """The current join code and link token of a workshop, if it has any yet."""
        return self._one_join_link(_JOIN_LINKS.c.workshop_id == workshop_id)

    def join_link_by_code(self, code: str) -> JoinLink | None:
        """The join link whose normalised code is ``code``."""
        return self._one_join_link(_JOIN_LINKS.c.code == code)

    def join_link_by_token(self, link_token: str) -> JoinLink | None:
        """The join link whose link token is ``link_token``."""
        return self._one_join_link(_JOIN_LINKS.c.link_token == link_token)

    def _one_join_link(self, condition: Any) -> JoinLink | None:
        columns = _JOIN_LINKS.c
        query = select(
            columns.workshop_id, columns.code, columns.link_token, columns.created_at
        ).where(condition)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return JoinLink(*row) if row is not None else None

    def save_join_link(self, link: JoinLink) -> bool:
        """Give a workshop this code and token, replacing older ones.

        False when another workshop holds the same code or token (the caller draws again)
        or, for a first link, when a concurrent writer created one first.
        """
        values = {
            "code": link.code,
            "link_token": link.link_token,
            "created_at": link.created_at,
        }
        try:
            with self.engine.begin() as connection:
                changed = connection.execute(
                    update(_JOIN_LINKS)
                    .where(_JOIN_LINKS.c.workshop_id == link.workshop_id)
                    .values(**values)
                ).rowcount
                if not changed:
                    connection.execute(
                        insert(_JOIN_LINKS).values(workshop_id=link.workshop_id, **values)
                    )
        except IntegrityError:
            return False
        return True

    def save_participant_token(
        self, token_hash: str, workshop_id: str, participant_id: str, created_at: datetime
    ) -> None:
        """Remember whom a participant token (by its hash) identifies."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(_PARTICIPANT_TOKENS).values(
                    token_hash=token_hash,
                    workshop_id=workshop_id,
                    participant_id=participant_id,
                    created_at=created_at,
                )
            )

    def load_participant_token(self, token_hash: str) -> tuple[str, str] | None:
        """The workshop and participant id a token hash identifies, or None."""
        columns = _PARTICIPANT_TOKENS.c
        query = select(columns.workshop_id, columns.participant_id).where(
            columns.token_hash == token_hash
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return (row[0], row[1]) if row is not None else None
