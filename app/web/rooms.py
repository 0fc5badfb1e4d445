"""The participants' pages (joining by link or code, the live room) and the plenary screen.

The pages are shells rendered by Jinja2 (autoescaped); what is live comes from ES modules
in ``static/`` that talk to the REST join routes and the websocket gateway, so the server
never renders a participant's view twice. The texts a script needs travel in a JSON data
block (``<script type="application/json">``), which the Content Security Policy allows
because the browser never executes it.

The plenary screen is what a facilitator shares with the whole room: it connects with the
facilitator's session cookie, so only the workshop's facilitators may open it, and it shows
only what every participant in the plenary may see anyway.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.actors import Actor
from app.web.auth import current_facilitator
from app.web.pages import render_page

router = APIRouter(include_in_schema=False)

LINK_TOKEN_MAX_CHARS = 64
WORKSHOP_ID_MAX_CHARS = 64


PARTICIPANT_TEXTS = ("join.", "error.", "room.")
PLENARY_TEXTS = ("error.", "plenary.")


def _render(
    request: Request,
    template: str,
    context: dict[str, object],
    prefixes: tuple[str, ...] = PARTICIPANT_TEXTS,
) -> HTMLResponse:
    """Render a page with its scripts' texts, never cached."""
    return render_page(request, template, context, texts=prefixes)


@router.get("/join", response_class=HTMLResponse)
async def join_by_code(request: Request) -> HTMLResponse:
    """Type a join code, then name, attributes and the working agreement."""
    return _render(request, "join.html", {"link_token": ""})


@router.get("/join/{link_token}", response_class=HTMLResponse)
async def join_by_link(link_token: str, request: Request) -> HTMLResponse:
    """A join link: the page looks the workshop up at once."""
    return _render(request, "join.html", {"link_token": link_token[:LINK_TOKEN_MAX_CHARS]})


@router.get("/room/{workshop_id}", response_class=HTMLResponse)
async def participant_room(workshop_id: str, request: Request) -> HTMLResponse:
    """A participant's live room; the script connects with the token stored at joining."""
    state = await request.app.state.hub.get(workshop_id)
    if state is None:
        raise HTTPException(status_code=404, detail="no such workshop")
    return _render(request, "room.html", {"workshop_id": workshop_id})


@router.get("/plenary/{workshop_id}", response_class=HTMLResponse)
async def plenary_screen(workshop_id: str, request: Request) -> Response:
    """The screen a facilitator shares: big timer, prompt and the harvested board.

    Without a facilitator session the browser goes to the login page and comes back here;
    a workshop the account does not facilitate is as unknown as one that does not exist
    (404), so the page never tells which workshops there are."""
    email = await current_facilitator(request)
    if email is None:
        target = quote(f"/plenary/{workshop_id[:WORKSHOP_ID_MAX_CHARS]}", safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    state = await request.app.state.hub.get(workshop_id)
    if state is None or not state.is_facilitator(Actor("user", email)):
        raise HTTPException(status_code=404, detail="no such workshop")
    return _render(request, "plenary.html", {"workshop_id": workshop_id}, PLENARY_TEXTS)
