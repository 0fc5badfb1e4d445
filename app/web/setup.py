"""The workshop setup page: plan a workshop from an agenda, then shape its steps.

Facilitators only: without a session the page sends the browser to the login page, which
brings it back afterwards (``/login?next=...``); a workshop the facilitator does not steer
is a 404, as on the agenda page. The page is a shell: ``static/setup.js`` creates the
workshop and edits its plan through the facilitator API (``POST /api/workshops``,
``/plan/steps``, ``/plan/move``), so the server's rules (steps that ran stay as they were)
are decided there and the page shows the typed error when one is refused.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.setup import MAX_TITLE_CHARS
from app.web.i18n import chosen_language
from app.web.pages import library_items, own_workshops, render_page
from app.workshops import WorkshopService

router = APIRouter(include_in_schema=False)

SCRIPT_TEXTS = ("setup.", "pages.group.", "pages.phase.")


def login_redirect(request: Request) -> RedirectResponse:
    """Send the browser to the login page, which brings it back to this page."""
    target = request.url.path
    if request.url.query:
        target += f"?{request.url.query}"
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


async def _setup_page(request: Request, workshop_id: str | None) -> Response:
    email, states = await own_workshops(request)
    if email is None:
        return login_redirect(request)
    if workshop_id is not None and not any(state.id == workshop_id for state in states):
        raise HTTPException(status_code=404, detail="no such workshop")
    service: WorkshopService = request.app.state.service
    language, _ = chosen_language(request)
    items = library_items(service.library, language)
    context: dict[str, object] = {
        "workshop_id": workshop_id or "",
        "agendas": [item for item in items if item.kind == "agenda"],
        "structures": [item for item in items if item.kind == "structure"],
        "title_max_chars": MAX_TITLE_CHARS,
    }
    return render_page(request, "setup.html", context, texts=SCRIPT_TEXTS)


@router.get("/setup", response_class=HTMLResponse)
async def new_workshop(request: Request) -> Response:
    """Plan a new workshop from one of the library's agendas."""
    return await _setup_page(request, None)


@router.get("/workshops/{workshop_id}/setup", response_class=HTMLResponse)
async def workshop_setup(workshop_id: str, request: Request) -> Response:
    """Reorder, add, remove and retime the steps of a workshop."""
    return await _setup_page(request, workshop_id)
