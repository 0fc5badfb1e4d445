"""HTML pages, rendered with Jinja2 (autoescaped: user text is never trusted)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.web.i18n import template_context
from app.web.schemas import describe, library_entries
from app.workshops import WorkshopService

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[template_context])

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """The start page: workshops on this server and the structures library."""
    service: WorkshopService = request.app.state.service
    states = await request.app.state.hub.all()
    workshops = [describe(state, service.clock.now()) for state in states]
    return templates.TemplateResponse(
        request,
        "index.html",
        {"workshops": workshops, "library": library_entries(service.library)},
    )


@router.get("/workshops/{workshop_id}", response_class=HTMLResponse)
async def workshop_page(workshop_id: str, request: Request) -> HTMLResponse:
    """A workshop's agenda with planned and projected times."""
    service: WorkshopService = request.app.state.service
    state = await request.app.state.hub.get(workshop_id)
    if state is None:
        raise HTTPException(status_code=404, detail="no such workshop")
    return templates.TemplateResponse(
        request, "workshop.html", {"workshop": describe(state, service.clock.now())}
    )
