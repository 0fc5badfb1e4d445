"""Response models of the REST API: the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.core.state import WorkshopState
from app.core.timer import live_plan, remaining_s
from app.structures import Library


class TextOut(BaseModel):
    """A text in German and English."""

    de: str
    en: str


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
