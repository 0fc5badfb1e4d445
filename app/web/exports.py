"""Export downloads for the facilitators of a workshop: ``/api/workshops/{id}/export.{fmt}``.

The same checks as the facilitator API (401 ``not_logged_in``, 404 ``no_such_workshop``,
403 ``not_facilitator``), then the outcome record of the hub's current state in the format
asked for, as a download. Building and rendering the record is pure and quick, so it runs
on the event loop; only reading the state goes through the hub.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.export import MEDIA_TYPES, Format, build_bundle, render
from app.export.formats import REPORT_CSP
from app.web.api import TypedErrorRoute, error_responses
from app.web.facilitate import facilitating
from app.workshops import WorkshopService

router = APIRouter(
    prefix="/api/workshops",
    tags=["export"],
    route_class=TypedErrorRoute,
    responses=error_responses(401, 403, 404, 422),
)


@router.get(
    "/{workshop_id}/export.{fmt}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
async def export_workshop(workshop_id: str, fmt: Format, request: Request) -> Response:
    """The workshop's outcome record as JSON bundle, CSV, Markdown or printable HTML."""
    _, state = await facilitating(request, workshop_id)
    service: WorkshopService = request.app.state.service
    body = render(build_bundle(state, service.clock.now()), fmt)
    headers = {
        "Content-Disposition": f'attachment; filename="lernraum-{workshop_id}.{fmt}"',
        "Cache-Control": "no-store",
    }
    if fmt == "html":
        headers["Content-Security-Policy"] = REPORT_CSP
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
