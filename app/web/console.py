"""The facilitators' pages: logging in, and the console that steers a live workshop.

Both are shells rendered by Jinja2 (autoescaped). The login form posts to ``/api/auth/login``
from a script; the console speaks the live protocol over the websocket with the session
cookie, so every button is a protocol command the core checks again. The checks here only
decide who gets the shell: nobody logged in is sent to the login page (and back afterwards),
a facilitator account that does not steer the workshop gets 403.
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.actors import Actor
from app.series import Series, SeriesStore
from app.web.auth import current_facilitator
from app.web.pages import render_page

router = APIRouter(include_in_schema=False)

MAX_NEXT_CHARS = 300
DEFAULT_NEXT = "/"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this server, never another host."""
    if not target or len(target) > MAX_NEXT_CHARS:
        return DEFAULT_NEXT
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    if any(ord(character) < 0x20 for character in target):
        return DEFAULT_NEXT
    return target


def login_url(path: str) -> str:
    """The login page, coming back to ``path`` afterwards."""
    return f"/login?next={quote(path, safe='/')}"


def _render(
    request: Request,
    template: str,
    context: dict[str, object],
    prefixes: tuple[str, ...],
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with its scripts' texts, never cached."""
    return render_page(request, template, context, texts=prefixes, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
) -> HTMLResponse:
    """The facilitators' login form; a logged-in facilitator sees who they are."""
    email = await current_facilitator(request)
    context: dict[str, object] = {
        "next": safe_next(next_path),
        "email": email,
        "forbidden": False,
    }
    return _render(request, "login.html", context, ("login.", "error."))


@router.get("/console/{workshop_id}", response_class=HTMLResponse)
async def console_page(workshop_id: str, request: Request) -> Response:
    """The console of a workshop, for its owner and co-facilitators only."""
    email = await current_facilitator(request)
    if email is None:
        return RedirectResponse(login_url(request.url.path), status_code=303)
    state = await request.app.state.hub.get(workshop_id)
    if state is None:
        raise HTTPException(status_code=404, detail="no such workshop")
    if not state.is_facilitator(Actor("user", email)):
        context: dict[str, object] = {
            "next": request.url.path,
            "email": email,
            "forbidden": True,
        }
        return _render(request, "login.html", context, ("login.", "error."), status_code=403)
    context = {
        "workshop_id": workshop_id,
        "email": email,
        "title": state.title,
        "series": await asyncio.to_thread(_own_series_of, request, workshop_id, email),
        "owner": email == state.owner,
    }
    return _render(request, "console.html", context, ("console.", "error."))


def _own_series_of(request: Request, workshop_id: str, email: str) -> Series | None:
    """The series the workshop is filed in, when ``email`` owns it (only its owner may open
    the series page)."""
    store = SeriesStore(request.app.state.service.store.engine)
    series_id = store.series_of(workshop_id)
    if series_id is None:
        return None
    series = store.get(series_id)
    return series if series.owner == email else None
