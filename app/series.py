"""Series of workshops under an organisation, and read-only reviewer links to a series.

A facilitator groups workshops (live ones they facilitate, or imported read-only records)
into a series they own. The series record is built from the workshops' export bundles only
(``series_record``, pure), so whoever sees a series, a reviewer included, sees exactly what
the exports contain and nothing else. It adds two things computed from the bundles: the
material shared before each workshop (the notes of a first step open before the start, see
``Permissions.before_start``) and planned against actual time per structure.

Reviewer links are signed, expiring and revocable: the link carries a random link id, its
expiry and an HMAC-SHA256 over both and the series id, keyed with a server secret kept in
the store (table ``server_keys``, drawn on first use). The store keeps only the link id, its
series, creator, expiry and revocation time, never the signature; a link checks against the
injected clock. Store calls block; the web layer runs them on a worker thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from app.core.plan import Text
from app.export.bundle import Bundle

SERIES_FORMAT: Final = "lernraum-series"
SERIES_VERSION: Final = 1
SERIES_ID_BYTES = 12
LINK_ID_BYTES = 16
KEY_BYTES = 32
SIGNATURE_BYTES = 32
MAX_LINK_DAYS = 365
MAX_TITLE_CHARS = 200
MAX_ORGANISATION_CHARS = 200
MAX_WORKSHOPS_PER_SERIES = 200
REVIEW_KEY_NAME = "review-links"


class SeriesRow(SQLModel, table=True):
    """A series of workshops under an organisation; its owner manages it."""

    __tablename__ = "series"
    id: str = Field(primary_key=True)
    title: str
    organisation: str
    owner: str = Field(index=True)
    created_at: datetime


class SeriesWorkshopRow(SQLModel, table=True):
    """A workshop (live or imported) in a series; a workshop belongs to one series at most."""

    __tablename__ = "series_workshops"
    workshop_id: str = Field(primary_key=True)
    series_id: str = Field(foreign_key="series.id", index=True)
    added_at: datetime


class ReviewLinkRow(SQLModel, table=True):
    """What revoking and checking a reviewer link needs; never the signature itself."""

    __tablename__ = "review_links"
    id: str = Field(primary_key=True)
    series_id: str = Field(foreign_key="series.id", index=True)
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class ServerKeyRow(SQLModel, table=True):
    """A server secret drawn once, for signing (the reviewer links' HMAC key)."""

    __tablename__ = "server_keys"
    name: str = Field(primary_key=True)
    secret: str  # hex
    created_at: datetime


class SeriesError(Exception):
    """A typed series or review-link problem: ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Series:
    """A series and its workshop ids, in the order they were added."""

    id: str
    title: str
    organisation: str
    owner: str
    created_at: datetime
    workshop_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReviewLink:
    """A reviewer link as stored; ``token`` only right after it was made."""

    id: str
    series_id: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    token: str | None = None

    def status(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


def _utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every time here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign(key: bytes, link_id: str, series_id: str, expires: int) -> str:
    """The link's signature: HMAC-SHA256 over link id, series id and expiry (Unix seconds)."""
    message = f"lernraum-review:v1:{link_id}:{series_id}:{expires}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES])


def make_token(key: bytes, link_id: str, series_id: str, expires_at: datetime) -> str:
    """``LINKID.EXPIRES.SIGNATURE``, safe in a URL path."""
    expires = int(expires_at.timestamp())
    return f"{link_id}.{expires}.{sign(key, link_id, series_id, expires)}"


def _text(value: str, name: str, limit: int) -> str:
    cleaned = " ".join(value.split())
    if not 1 <= len(cleaned) <= limit:
        raise SeriesError("invalid_input", f"{name} has 1 to {limit} characters")
    return cleaned


class SeriesStore:
    """Series, their workshops and reviewer links in the store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- series --------------------------------------------------------------------------

    def create(self, title: str, organisation: str, owner: str, now: datetime) -> Series:
        """A new, empty series owned by ``owner``."""
        series_id = secrets.token_urlsafe(SERIES_ID_BYTES)
        row = SeriesRow(
            id=series_id,
            title=_text(title, "title", MAX_TITLE_CHARS),
            organisation=_text(organisation, "organisation", MAX_ORGANISATION_CHARS),
            owner=owner,
            created_at=now,
        )
        with Session(self.engine) as session:
            session.add(row)
            session.commit()
        return self.get(series_id)

    def get(self, series_id: str) -> Series:
        """The series, or SeriesError ``no_such_series``."""
        with Session(self.engine) as session:
            row = session.get(SeriesRow, series_id)
            if row is None:
                raise SeriesError("no_such_series", f"no series {series_id!r}")
            members = session.execute(
                select(SeriesWorkshopRow.workshop_id)  # type: ignore[call-overload]
                .where(SeriesWorkshopRow.series_id == series_id)
                .order_by(SeriesWorkshopRow.added_at, SeriesWorkshopRow.workshop_id)
            ).all()
            return Series(
                id=row.id,
                title=row.title,
                organisation=row.organisation,
                owner=row.owner,
                created_at=_utc(row.created_at),
                workshop_ids=tuple(member[0] for member in members),
            )

    def owned(self, series_id: str, owner: str) -> Series:
        """The series if ``owner`` owns it; ``no_such_series`` or ``not_owner`` otherwise."""
        series = self.get(series_id)
        if series.owner != owner:
            raise SeriesError("not_owner", f"{owner} does not own series {series_id!r}")
        return series

    def of_owner(self, owner: str) -> list[Series]:
        """The series ``owner`` owns, oldest first."""
        with Session(self.engine) as session:
            ids = session.execute(
                select(SeriesRow.id)  # type: ignore[call-overload]
                .where(SeriesRow.owner == owner)
                .order_by(SeriesRow.created_at, SeriesRow.id)
            ).all()
        return [self.get(row[0]) for row in ids]

    def delete(self, series_id: str) -> None:
        """Delete a series with its reviewer links (they stop working) and memberships; the
        workshops themselves stay."""
        with Session(self.engine) as session:
            if session.get(SeriesRow, series_id) is None:
                raise SeriesError("no_such_series", f"no series {series_id!r}")
            session.execute(delete(ReviewLinkRow).where(col(ReviewLinkRow.series_id) == series_id))
            session.execute(
                delete(SeriesWorkshopRow).where(col(SeriesWorkshopRow.series_id) == series_id)
            )
            session.execute(delete(SeriesRow).where(col(SeriesRow.id) == series_id))
            session.commit()

    def series_of(self, workshop_id: str) -> str | None:
        """The id of the series a workshop belongs to, if any."""
        with Session(self.engine) as session:
            row = session.get(SeriesWorkshopRow, workshop_id)
            return None if row is None else row.series_id

    def add_workshop(self, series_id: str, workshop_id: str, now: datetime) -> None:
        """File a workshop in a series; ``workshop_in_series`` if a series holds it already."""
        series = self.get(series_id)
        if workshop_id in series.workshop_ids:
            return
        if len(series.workshop_ids) >= MAX_WORKSHOPS_PER_SERIES:
            raise SeriesError(
                "series_full", f"a series holds at most {MAX_WORKSHOPS_PER_SERIES} workshops"
            )
        try:
            with Session(self.engine) as session:
                session.add(
                    SeriesWorkshopRow(workshop_id=workshop_id, series_id=series_id, added_at=now)
                )
                session.commit()
        except IntegrityError as error:
            raise SeriesError(
                "workshop_in_series", f"workshop {workshop_id!r} belongs to another series"
            ) from error

    def remove_workshop(self, series_id: str, workshop_id: str) -> None:
        """Take a workshop out of a series; ``no_such_member`` if it is not in it."""
        with Session(self.engine) as session:
            row = session.get(SeriesWorkshopRow, workshop_id)
            if row is None or row.series_id != series_id:
                raise SeriesError(
                    "no_such_member", f"workshop {workshop_id!r} is not in series {series_id!r}"
                )
            session.delete(row)
            session.commit()

    def forget_workshop(self, workshop_id: str) -> None:
        """Drop a workshop from whatever series holds it (when the workshop is deleted)."""
        with Session(self.engine) as session:
            session.execute(
                delete(SeriesWorkshopRow).where(SeriesWorkshopRow.workshop_id == workshop_id)  # type: ignore[arg-type]
            )
            session.commit()

    # --- reviewer links ------------------------------------------------------------------

    def review_key(self, now: datetime) -> bytes:
        """The server secret that signs reviewer links, drawn the first time it is needed."""
        with Session(self.engine) as session:
            row = session.get(ServerKeyRow, REVIEW_KEY_NAME)
            if row is not None:
                return bytes.fromhex(row.secret)
        try:
            with Session(self.engine) as session:
                session.add(
                    ServerKeyRow(
                        name=REVIEW_KEY_NAME,
                        secret=secrets.token_bytes(KEY_BYTES).hex(),
                        created_at=now,
                    )
                )
                session.commit()
        except IntegrityError:
            pass  # a concurrent first use drew it; read theirs
        with Session(self.engine) as session:
            row = session.get(ServerKeyRow, REVIEW_KEY_NAME)
            assert row is not None
            return bytes.fromhex(row.secret)

    def create_link(
        self, series_id: str, created_by: str, valid_for: timedelta, now: datetime
    ) -> ReviewLink:
        """A new reviewer link to a series, valid for ``valid_for`` (1 s to 365 days)."""
        if not timedelta(seconds=1) <= valid_for <= timedelta(days=MAX_LINK_DAYS):
            raise SeriesError("invalid_input", f"a link is valid for 1 to {MAX_LINK_DAYS} days")
        self.get(series_id)
        # whole seconds, so the expiry in the token and in the store are the same moment
        expires_at = now.replace(microsecond=0) + valid_for
        link_id = secrets.token_urlsafe(LINK_ID_BYTES)
        row = ReviewLinkRow(
            id=link_id,
            series_id=series_id,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        with Session(self.engine) as session:
            session.add(row)
            session.commit()
        token = make_token(self.review_key(now), link_id, series_id, expires_at)
        return ReviewLink(link_id, series_id, created_by, now, expires_at, None, token=token)

    def links(self, series_id: str) -> list[ReviewLink]:
        """Every reviewer link of a series, newest first (without tokens)."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(ReviewLinkRow)
                .where(ReviewLinkRow.series_id == series_id)  # type: ignore[arg-type]
                .order_by(ReviewLinkRow.created_at.desc(), ReviewLinkRow.id)  # type: ignore[attr-defined]
            ).scalars()
            return [_link(row) for row in rows]

    def revoke_link(self, series_id: str, link_id: str, now: datetime) -> ReviewLink:
        """Revoke a link at once (revoking twice keeps the first time)."""
        with Session(self.engine) as session:
            row = session.get(ReviewLinkRow, link_id)
            if row is None or row.series_id != series_id:
                raise SeriesError("no_such_review_link", f"no reviewer link {link_id!r}")
            if row.revoked_at is None:
                row.revoked_at = now
                session.add(row)
                session.commit()
                session.refresh(row)
            return _link(row)

    def check_link(self, token: str, now: datetime) -> ReviewLink:
        """The live link a token names; SeriesError ``no_such_review_link`` for a malformed,
        unknown or forged one, ``review_link_revoked`` or ``review_link_expired``."""
        unknown = SeriesError("no_such_review_link", "this reviewer link is not valid")
        parts = token.split(".")
        if len(token) > 200 or len(parts) != 3 or not parts[1].isdigit():
            raise unknown
        link_id, expires_text, signature = parts
        with Session(self.engine) as session:
            row = session.get(ReviewLinkRow, link_id)
            found = None if row is None else _link(row)
        if found is None:
            raise unknown
        expected = sign(self.review_key(now), link_id, found.series_id, int(expires_text))
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise unknown
        if int(expires_text) != int(found.expires_at.timestamp()):
            raise unknown
        if found.revoked_at is not None:
            raise SeriesError("review_link_revoked", "this reviewer link was revoked")
        if now >= found.expires_at:
            raise SeriesError("review_link_expired", "this reviewer link has expired")
        return found


def _link(row: ReviewLinkRow) -> ReviewLink:
    return ReviewLink(
        id=row.id,
        series_id=row.series_id,
        created_by=row.created_by,
        created_at=_utc(row.created_at),
        expires_at=_utc(row.expires_at),
        revoked_at=None if row.revoked_at is None else _utc(row.revoked_at),
    )


# --- the series record: pure, from export bundles only ------------------------------------


def _occurrence(key: str) -> str:
    """The part of a step key naming one use of a structure in a plan (its steps share it)."""
    return key.rsplit("/", 1)[0]


def _started(bundle: Bundle) -> tuple[str, str, str]:
    work = bundle.workshop
    return (work.started_at or work.created_at, work.created_at, work.id)


def prework_items(bundle: Bundle, prework_structures: Iterable[str]) -> list[dict[str, Any]]:
    """The notes shared before the start: the exported items of a first step whose
    structure opens it before the start."""
    structures = set(prework_structures)
    if not bundle.steps or bundle.steps[0].structure_id not in structures:
        return []
    first = bundle.steps[0]
    return [
        {"step_index": first.index, "area": item.area, "text": item.text}
        for item in first.items
        if item.kind == "note"
    ]


def timing(
    bundles: Sequence[Bundle], names: Mapping[str, Text] | None = None
) -> list[dict[str, Any]]:
    """Planned against actual time per structure across the bundles, counting only steps
    that ran (``run`` or ``current``); a structure used twice in a workshop counts twice."""
    names = names or {}
    rows: dict[str, dict[str, Any]] = {}
    for bundle in sorted(bundles, key=_started):
        uses: dict[tuple[str, str], dict[str, int]] = {}
        for step in bundle.steps:
            if step.status == "not_run":
                continue
            use = uses.setdefault(
                (step.structure_id, _occurrence(step.key)), {"planned_s": 0, "actual_s": 0}
            )
            use["planned_s"] += step.planned_s
            use["actual_s"] += step.actual_s
        for (structure_id, _), use in uses.items():
            name = names.get(structure_id, Text(de=structure_id, en=structure_id))
            row = rows.setdefault(
                structure_id,
                {
                    "structure_id": structure_id,
                    "name": {"de": name.de, "en": name.en},
                    "uses": 0,
                    "planned_s": 0,
                    "actual_s": 0,
                    "difference_s": 0,
                    "mean_planned_s": 0,
                    "mean_actual_s": 0,
                    "workshops": [],
                },
            )
            row["uses"] += 1
            row["planned_s"] += use["planned_s"]
            row["actual_s"] += use["actual_s"]
            row["workshops"].append({"workshop_id": bundle.workshop.id, **use})
    for row in rows.values():
        row["difference_s"] = row["actual_s"] - row["planned_s"]
        row["mean_planned_s"] = round(row["planned_s"] / row["uses"])
        row["mean_actual_s"] = round(row["actual_s"] / row["uses"])
    return sorted(rows.values(), key=lambda row: (row["name"]["de"], row["structure_id"]))


def series_record(
    series: Series,
    bundles: Sequence[Bundle],
    prework_structures: Iterable[str] = (),
    names: Mapping[str, Text] | None = None,
) -> dict[str, Any]:
    """The whole series as plain JSON: its title and organisation, every workshop's export
    bundle (started first, first), what was shared before each, and the timing per
    structure. Nothing in it comes from anywhere but the bundles and the series' own
    title and organisation; the owner, the links and the reviewers are not in it."""
    ordered = sorted(bundles, key=_started)
    prework = list(prework_structures)
    return {
        "format": SERIES_FORMAT,
        "version": SERIES_VERSION,
        "series": {"id": series.id, "title": series.title, "organisation": series.organisation},
        "workshops": [
            {
                "id": bundle.workshop.id,
                "prework": prework_items(bundle, prework),
                "export": bundle.model_dump(mode="json"),
            }
            for bundle in ordered
        ],
        "timing": timing(ordered, names),
    }


def record_json(record: Mapping[str, Any]) -> str:
    """The series record as JSON text: two-space indents, UTF-8, a final newline."""
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
