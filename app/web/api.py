"""REST routes. They read through the service and never mutate state themselves."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import text

from app import __version__
from app.live.hub import Hub
from app.web.schemas import (
    Health,
    LibraryEntry,
    WorkshopOut,
    WorkshopSummary,
    describe,
    library_entries,
    summarise,
)
from app.workshops import WorkshopService

router = APIRouter()


def _service(request: Request) -> WorkshopService:
    service: WorkshopService = request.app.state.service
    return service


@router.get("/healthz", tags=["ops"])
async def healthz(request: Request) -> Health:
    """Liveness and readiness: the process serves and the store answers a query."""
    service = _service(request)

    def ping() -> None:
        with service.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    await asyncio.to_thread(ping)
    return Health(status="ok", version=__version__, server_time=service.clock.now())


@router.get("/api/library", tags=["library"])
async def list_library(request: Request) -> list[LibraryEntry]:
    """Every agenda and structure the server can plan a workshop from."""
    return library_entries(_service(request).library)


@router.get("/api/workshops", tags=["workshops"])
async def list_workshops(request: Request) -> list[WorkshopSummary]:
    """Every workshop, oldest first."""
    hub: Hub = request.app.state.hub
    return [summarise(state) for state in await hub.all()]


@router.get("/api/workshops/{workshop_id}", tags=["workshops"])
async def get_workshop(workshop_id: str, request: Request) -> WorkshopOut:
    """One workshop with its live plan: planned, actual and projected times of every step."""
    service = _service(request)
    hub: Hub = request.app.state.hub
    state = await hub.get(workshop_id)
    if state is None:
        raise HTTPException(status_code=404, detail=f"no workshop {workshop_id!r}")
    return describe(state, service.clock.now())
