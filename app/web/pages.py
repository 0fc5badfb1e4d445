"""HTML pages, rendered with Jinja2 (autoescaped: user text is never trusted).

The start page, a workshop's agenda page and the API reference (``/docs``). Pages speak the
request's language (``app.web.i18n``); a language asked for with ``?lang=`` is remembered
in a cookie. Library texts (names and descriptions of agendas and structures) are shown in
the page's language.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.core.actors import Actor
from app.core.state import WorkshopState
from app.series import SeriesStore
from app.structures import Library
from app.web.auth import current_facilitator
from app.web.i18n import (
    Language,
    chosen_language,
    json_block,
    remember_language,
    template_context,
    texts_with_prefix,
)
from app.web.schemas import describe
from app.workshops import WorkshopService

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[template_context])

router = APIRouter(include_in_schema=False)


def minutes_label(minutes: float, language: Language = "de") -> str:
    """Minutes as people write them: ``90``, ``7.5`` in English and ``7,5`` in German."""
    text = f"{round(minutes, 1):g}"
    return text.replace(".", ",") if language == "de" else text


templates.env.filters["minutes"] = minutes_label


@dataclass(frozen=True)
class LibraryItem:
    """An agenda or structure of the library, in one language."""

    id: str
    kind: str
    name: str
    description: str
    minutes: float
    steps: int


def library_items(library: Library, language: Language) -> list[LibraryItem]:
    """Every agenda and structure with its name and description in ``language``."""
    items = []
    sources = (("agenda", library.agendas), ("structure", library.structures))
    for kind, files in sources:
        for source_id in sorted(files):
            found = files[source_id]
            plan = library.plan_for(source_id)
            items.append(
                LibraryItem(
                    id=source_id,
                    kind=kind,
                    name=getattr(found.name, language),
                    description=getattr(found.description, language),
                    minutes=sum(step.seconds for step in plan) / 60,
                    steps=len(plan),
                )
            )
    return items


def render_page(
    request: Request,
    template: str,
    context: dict[str, object],
    *,
    private: bool = True,
    texts: tuple[str, ...] = (),
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page; remember a language asked for with ``?lang=`` in a cookie. Private
    pages (what a facilitator sees) are never stored by caches. ``texts`` names the key
    prefixes whose texts the page's scripts get as a JSON data block (``texts_json``)."""
    if texts:
        language, _ = chosen_language(request)
        context = {**context, "texts_json": json_block(texts_with_prefix(language, *texts))}
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    remember_language(request, response)
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


async def own_workshops(request: Request) -> tuple[str | None, list[WorkshopState]]:
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
    language, _ = chosen_language(request)
    email, states = await own_workshops(request)
    workshops = [describe(state, service.clock.now()) for state in states]
    series = (
        []
        if email is None
        else await asyncio.to_thread(SeriesStore(service.store.engine).of_owner, email)
    )
    return render_page(
        request,
        "index.html",
        {
            "workshops": workshops,
            "series": series,
            "logged_in": email is not None,
            "library": library_items(service.library, language),
        },
    )


@router.get("/workshops/{workshop_id}", response_class=HTMLResponse)
async def workshop_page(workshop_id: str, request: Request) -> HTMLResponse:
    """A workshop's agenda with planned and projected times, for its facilitators."""
    service: WorkshopService = request.app.state.service
    _, states = await own_workshops(request)
    state = next((state for state in states if state.id == workshop_id), None)
    if state is None:
        raise HTTPException(status_code=404, detail="no such workshop")
    return render_page(request, "workshop.html", {"workshop": describe(state, service.clock.now())})


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """The API reference: Swagger UI from ``static/vendor/swagger-ui`` over ``/openapi.json``,
    under the same strict policy as every page (Swagger UI sets styles through the DOM,
    which ``style-src 'self'`` allows; it has no inline script)."""
    context = {"openapi_url": request.app.openapi_url}
    return templates.TemplateResponse(request, "api-docs.html", context)
