"""Imported exports: read-only workshop records kept in the store beside the live workshops.

``lernraum import FILE`` validates a JSON bundle and keeps it verbatim in the ``imported``
table under its workshop id; ``lernraum export ID`` renders it again in any format when no
live workshop has that id, and its JSON comes back byte for byte. An imported record has no
event log, no owner and no facilitators, so it cannot be run, changed or served by the
REST API; it is a document, not a workshop. All calls block (SQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from app.export.bundle import Bundle, bundle_json, read_bundle
from app.store import Store, WorkshopRow


class ImportedRow(SQLModel, table=True):
    """One imported export bundle, stored as the JSON text it was read from."""

    __tablename__ = "imported"
    workshop_id: str = Field(primary_key=True)
    body: str
    imported_at: datetime


_IMPORTED = cast(Table, ImportedRow.__table__)  # type: ignore[attr-defined]


class ImportRefused(ValueError):
    """The bundle cannot be imported: its id is taken."""


def save_import(store: Store, text: str, now: datetime) -> Bundle:
    """Validate a bundle and keep it read-only; refuses an id a workshop or import holds."""
    bundle = read_bundle(text)
    workshop_id = bundle.workshop.id
    SQLModel.metadata.create_all(store.engine, tables=[_IMPORTED])
    try:
        with Session(store.engine) as session:
            if session.get(WorkshopRow, workshop_id) is not None:
                raise ImportRefused(f"a live workshop {workshop_id!r} already exists")
            # the canonical text, so a later export is byte for byte the bundle's JSON
            session.add(
                ImportedRow(workshop_id=workshop_id, body=bundle_json(bundle), imported_at=now)
            )
            session.commit()
    except IntegrityError as error:
        raise ImportRefused(f"{workshop_id!r} was imported before") from error
    return bundle


def load_import(store: Store, workshop_id: str) -> Bundle | None:
    """The imported record with this id, or None."""
    SQLModel.metadata.create_all(store.engine, tables=[_IMPORTED])
    with Session(store.engine) as session:
        row = session.get(ImportedRow, workshop_id)
    return None if row is None else read_bundle(row.body)
