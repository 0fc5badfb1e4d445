"""Response models of the REST API: the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from app.core.plan import Text
from app.core.setup import agreement_fingerprint, agreement_of
from app.core.state import Participant, WorkshopState
from app.core.timer import live_plan, remaining_s
from app.structures import Library


class TextOut(BaseModel):
    """A text in German and English."""

    de: str
    en: str


class ErrorDetail(BaseModel):
    """A typed error: ``code`` is stable and documented, ``message`` is for people."""

    code: str
    message: str


class ErrorOut(BaseModel):
    """The body of every error answer of the join and facilitator API."""

    detail: ErrorDetail


class Health(BaseModel):
    """The server is up and its store answers."""

    status: str
    version: str
    server_time: datetime


class LibraryEntry(BaseModel):
    """A structure or agenda of the library."""

    id: str
    kind: str
    name: TextOut
    minutes: float
    steps: int


class StepOut(BaseModel):
    """One step of a workshop's plan with its planned, actual and projected times."""

    index: int
    key: str
    title: TextOut
    group: str
    planned_s: int
    status: str
    actual_s: float
    projected_start: datetime | None
    projected_end: datetime | None


class WorkshopSummary(BaseModel):
    """A workshop in a list."""

    id: str
    title: str
    agenda_id: str | None
    phase: str
    planned_s: int
    created_at: datetime


class WorkshopOut(WorkshopSummary):
    """A workshop with its live plan."""

    cursor: int
    remaining_s: float | None
    expired: bool
    projected_end: datetime | None
    drift_s: float
    server_time: datetime
    steps: list[StepOut]


def library_entries(library: Library) -> list[LibraryEntry]:
    """Every agenda and structure, agendas first."""
    entries = []
    for kind, ids in (("agenda", library.agendas), ("structure", library.structures)):
        for source_id in sorted(ids):
            plan = library.plan_for(source_id)
            name = library.title_of(source_id)
            entries.append(
                LibraryEntry(
                    id=source_id,
                    kind=kind,
                    name=TextOut(de=name.de, en=name.en),
                    minutes=sum(step.seconds for step in plan) / 60,
                    steps=len(plan),
                )
            )
    return entries


def summarise(state: WorkshopState) -> WorkshopSummary:
    """The list view of a workshop."""
    return WorkshopSummary(
        id=state.id,
        title=state.title,
        agenda_id=state.agenda_id,
        phase=state.phase,
        planned_s=sum(step.seconds for step in state.plan),
        created_at=state.created_at,
    )


def describe(state: WorkshopState, now: datetime) -> WorkshopOut:
    """The full view of a workshop at ``now``."""
    projection = live_plan(state, now)
    steps = [
        StepOut(
            index=timing.index,
            key=timing.key,
            title=TextOut(de=step.title.de, en=step.title.en),
            group=step.group.kind,
            planned_s=timing.planned_s,
            status=timing.status,
            actual_s=timing.actual_s,
            projected_start=timing.projected_start,
            projected_end=timing.projected_end,
        )
        for step, timing in zip(state.plan, projection.steps, strict=True)
    ]
    return WorkshopOut(
        **summarise(state).model_dump(),
        cursor=state.cursor,
        remaining_s=remaining_s(state, now),
        expired=state.expired,
        projected_end=projection.projected_end,
        drift_s=projection.drift_s,
        server_time=now,
        steps=steps,
    )


class FacilitationOut(WorkshopOut):
    """A workshop as its facilitators see it: the live plan plus its configuration."""

    version: int  # events folded so far: the sequence of the workshop's last event
    owner: str
    facilitators: list[str]
    locked: bool
    join_attributes: list[str]
    agreement: TextOut
    agreement_fingerprint: str
    video_url: str | None
    participants: int


class ParticipantOut(BaseModel):
    """A participant as facilitators see them."""

    id: str
    name: str
    attributes: dict[str, str]
    joined_at: datetime


class LinksOut(BaseModel):
    """How people join: the code to type, the link to click, and the link's token."""

    workshop_id: str
    code: str
    link_url: str
    link_token: str


class JoinInfo(BaseModel):
    """What a join code or link opens, before joining."""

    title: str
    status: Literal["open", "locked", "ended"]
    attributes: list[str]
    agreement: TextOut
    agreement_fingerprint: str


class JoinedOut(BaseModel):
    """A participant who joined; keep the token, it is shown only once."""

    workshop_id: str
    participant_id: str
    participant_token: str
    name: str
    rejoined: bool


def text_out(text: Text) -> TextOut:
    """A core text for the wire."""
    return TextOut(de=text.de, en=text.en)


def describe_for_facilitators(state: WorkshopState, now: datetime) -> FacilitationOut:
    """The facilitators' view of a workshop at ``now``."""
    agreement = agreement_of(state)
    return FacilitationOut(
        **describe(state, now).model_dump(),
        version=state.version,
        owner=state.owner,
        facilitators=sorted(state.facilitators),
        locked=state.locked,
        join_attributes=list(state.join_attributes),
        agreement=text_out(agreement),
        agreement_fingerprint=agreement_fingerprint(agreement),
        video_url=state.video_url,
        participants=len(state.participants),
    )


def participant_out(participant: Participant) -> ParticipantOut:
    """One participant for the facilitators' list."""
    return ParticipantOut(
        id=participant.id,
        name=participant.name,
        attributes=dict(participant.attributes),
        joined_at=participant.joined_at,
    )
