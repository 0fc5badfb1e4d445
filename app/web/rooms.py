"""The participants' pages: joining by link or code, and the live room.

The pages are shells rendered by Jinja2 (autoescaped); what is live comes from ES modules
in ``static/`` that talk to the REST join routes and the websocket gateway, so the server
never renders a participant's view twice. The texts a script needs travel in a JSON data
block (``<script type="application/json">``), which the Content Security Policy allows
because the browser never executes it.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from app.web.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_MAX_AGE_S,
    chosen_language,
    texts_with_prefix,
)
from app.web.pages import templates

router = APIRouter(include_in_schema=False)

LINK_TOKEN_MAX_CHARS = 64


def _json_block(value: object) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    # safe: every character that could end the element or start markup is escaped above
    return Markup(escaped)


def _render(request: Request, template: str, context: dict[str, object]) -> HTMLResponse:
    """Render a page; remember a language asked for with ``?lang=`` in a cookie."""
    language, asked = chosen_language(request)
    texts = texts_with_prefix(language, "join.", "error.", "room.")
    response = templates.TemplateResponse(
        request, template, {**context, "texts_json": _json_block(texts)}
    )
    if asked:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_MAX_AGE_S,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    response.headers["Cache-Control"] = "no-store"
    return response


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
