"""Agenda sharing over REST: a workshop's agenda as a structure file, and a workshop from one.

- ``GET /api/workshops/{id}/agenda.toml``: the workshop's plan as an agenda (or, when the
  library cannot express it, a self-contained structure) file; for its facilitators.
- ``POST /api/agendas/import``: a new workshop in the lobby, owned by the logged-in
  facilitator, planned from such a file (``{"toml": "…", "title": "…"}``); the file is
  checked against the library as ``lernraum structures check`` would, and every problem is
  answered as ``invalid_argument`` (422) with its line.

See ``app/agenda_toml.py`` for what the file holds.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.agenda_toml import MAX_TOML_CHARS, AgendaError, agenda_toml, import_agenda
from app.core.setup import MAX_TITLE_CHARS
from app.live.hub import Hub
from app.web.api import TypedErrorRoute, api_error, error_responses
from app.web.auth import current_facilitator
from app.web.facilitate import facilitating
from app.web.schemas import FacilitationOut, describe_for_facilitators
from app.workshops import WorkshopService

router = APIRouter(
    tags=["agendas"], route_class=TypedErrorRoute, responses=error_responses(401, 403, 404, 422)
)

TOML_MEDIA_TYPE = "application/toml"


class AgendaImport(BaseModel):
    """A structure file of kind ``agenda`` or ``structure``, and an optional title."""

    toml: str = Field(max_length=MAX_TOML_CHARS)
    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)


async def _facilitator(request: Request) -> str:
    email = await current_facilitator(request)
    if email is None:
        raise api_error("not_logged_in", "log in as a facilitator first")
    return email


@router.get(
    "/api/workshops/{workshop_id}/agenda.toml",
    response_class=Response,
    responses={200: {"content": {TOML_MEDIA_TYPE: {}}}},
)
async def export_agenda(
    workshop_id: str,
    request: Request,
    file_id: str | None = Query(default=None, alias="id", max_length=60),
) -> Response:
    """The workshop's agenda as a structure file (TOML), to share and import elsewhere."""
    _, state = await facilitating(request, workshop_id)
    service: WorkshopService = request.app.state.service
    try:
        body = agenda_toml(state, service.library, file_id)
    except AgendaError as error:
        raise api_error("invalid_argument", str(error)) from None
    headers = {
        "Content-Disposition": f'attachment; filename="lernraum-agenda-{workshop_id}.toml"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=f"{TOML_MEDIA_TYPE}; charset=utf-8", headers=headers)


@router.post("/api/agendas/import", status_code=201)
async def import_agenda_file(body: AgendaImport, request: Request) -> FacilitationOut:
    """Create a workshop in the lobby from an agenda or structure file."""
    email = await _facilitator(request)
    service: WorkshopService = request.app.state.service
    try:
        state = await import_agenda(service, body.toml, email, body.title)
    except AgendaError as error:
        raise api_error("invalid_argument", str(error)) from None
    hub: Hub = request.app.state.hub
    live = await hub.get(state.id)
    return describe_for_facilitators(live or state, service.clock.now())
