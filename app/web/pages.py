"""HTML pages, rendered with Jinja2 (autoescaped: user text is never trusted)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.core.actors import Actor
from app.core.state import WorkshopState
from app.web.auth import current_facilitator
from app.web.i18n import template_context
from app.web.schemas import describe, library_entries
from app.workshops import WorkshopService

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[template_context])

router = APIRouter(include_in_schema=False)


async def _own_workshops(request: Request) -> tuple[str | None, list[WorkshopState]]:
    """The logged-in facilitator (if any) and the workshops they facilitate."""
    email = await current_facilitator(request)
    if email is None:
        return None, []
    states: list[WorkshopState] = await request.app.state.hub.all()
    return email, [state for state in states if state.is_facilitator(Actor("user", email))]


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """The start page: the structures library, and a facilitator's own workshops.

    Workshop titles often name the organisations taking part, so nobody else sees them."""
    service: WorkshopService = request.app.state.service
    email, states = await _own_workshops(request)
    workshops = [describe(state, service.clock.now()) for state in states]
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "workshops": workshops,
            "logged_in": email is not None,
            "library": library_entries(service.library),
        },
    )


@router.get("/workshops/{workshop_id}", response_class=HTMLResponse)
async def workshop_page(workshop_id: str, request: Request) -> HTMLResponse:
    """A workshop's agenda with planned and projected times, for its facilitators."""
    service: WorkshopService = request.app.state.service
    _, states = await _own_workshops(request)
    state = next((state for state in states if state.id == workshop_id), None)
    if state is None:
        raise HTTPException(status_code=404, detail="no such workshop")
    return templates.TemplateResponse(
        request, "workshop.html", {"workshop": describe(state, service.clock.now())}
    )
