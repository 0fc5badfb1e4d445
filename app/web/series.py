"""Series of workshops and their reviewers: the owner's REST API and page, the reviewer's page.

Facilitators (401 ``not_logged_in``) manage the series they own (404 ``no_such_series``, 403
``not_owner``): create one, file workshops they facilitate (403 ``not_facilitator``) or
imported records in it, take them out, and make or revoke reviewer links. A reviewer link
(``/review/{token}``) opens the series read-only without an account; a malformed, unknown or
forged link is 404 ``no_such_review_link``, a revoked one 410 ``review_link_revoked``, an
expired one 410 ``review_link_expired``. Everything either page shows, and every download,
comes from ``app.series.series_record`` over the workshops' export bundles, so a reviewer
sees exactly what the exports contain.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from app.core.actors import Actor
from app.core.plan import Text
from app.export import MEDIA_TYPES, Bundle, Format, build_bundle, render
from app.export.archive import load_import
from app.export.formats import REPORT_CSP
from app.live.hub import Hub
from app.series import (
    MAX_LINK_DAYS,
    MAX_ORGANISATION_CHARS,
    MAX_TITLE_CHARS,
    ReviewLink,
    Series,
    SeriesError,
    SeriesStore,
    record_json,
    series_record,
)
from app.settings import Settings
from app.web.api import TypedErrorRoute, api_error, error_responses, error_status
from app.web.auth import current_facilitator
from app.web.i18n import (
    chosen_language,
    remember_language,
    template_context,
    texts_with_prefix,
)
from app.web.pages import own_workshops
from app.workshops import WorkshopService

router = APIRouter(
    prefix="/api/series",
    tags=["series"],
    route_class=TypedErrorRoute,
    responses=error_responses(401, 403, 404, 409, 410, 422),
)
review_api = APIRouter(
    prefix="/api/review",
    tags=["series"],
    route_class=TypedErrorRoute,
    responses=error_responses(404, 410),
)
pages = APIRouter(include_in_schema=False, route_class=TypedErrorRoute)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[template_context])
SERIES_JSON = "application/json"
NO_STORE = {"Cache-Control": "no-store"}


# --- bodies and answers ------------------------------------------------------------------


class NewSeries(BaseModel):
    """A series' title and the organisation it runs under."""

    title: str = Field(max_length=MAX_TITLE_CHARS)
    organisation: str = Field(max_length=MAX_ORGANISATION_CHARS)


class NewMember(BaseModel):
    """A workshop to file in the series: a live one you facilitate, or an imported record."""

    workshop_id: str = Field(max_length=200)


class NewReviewLink(BaseModel):
    """How many days the link stays valid."""

    days: int = Field(default=30, ge=1, le=MAX_LINK_DAYS)


class SeriesOut(BaseModel):
    """A series and the ids of its workshops, in the order they were added."""

    id: str
    title: str
    organisation: str
    workshop_ids: list[str]
    page_url: str


class ReviewLinkOut(BaseModel):
    """A reviewer link; ``url`` only in the answer that made it (it is never stored)."""

    id: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    status: str
    url: str | None = None


# --- helpers -------------------------------------------------------------------------------


def _service(request: Request) -> WorkshopService:
    service: WorkshopService = request.app.state.service
    return service


def _store(request: Request) -> SeriesStore:
    return SeriesStore(_service(request).store.engine)


def _typed(error: SeriesError) -> HTTPException:
    return api_error(error.code, error.message)


def _iso(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))


def _series_out(series: Series) -> SeriesOut:
    return SeriesOut(
        id=series.id,
        title=series.title,
        organisation=series.organisation,
        workshop_ids=list(series.workshop_ids),
        page_url=f"/series/{series.id}",
    )


def _link_out(request: Request, link: ReviewLink) -> ReviewLinkOut:
    now = _service(request).clock.now()
    url = None
    if link.token is not None:
        settings: Settings = request.app.state.settings
        base = (settings.public_url or str(request.base_url)).rstrip("/")
        url = f"{base}/review/{link.token}"
    return ReviewLinkOut(
        id=link.id,
        created_at=_iso(link.created_at),
        expires_at=_iso(link.expires_at),
        revoked_at=None if link.revoked_at is None else _iso(link.revoked_at),
        status=link.status(now),
        url=url,
    )


async def _owner(request: Request) -> str:
    email = await current_facilitator(request)
    if email is None:
        raise api_error("not_logged_in", "log in as a facilitator first")
    return email


async def _owned(request: Request, series_id: str) -> tuple[str, Series]:
    email = await _owner(request)
    try:
        series = await asyncio.to_thread(_store(request).owned, series_id, email)
    except SeriesError as error:
        raise _typed(error) from error
    return email, series


async def _bundle(request: Request, workshop_id: str) -> Bundle | None:
    """The export of a live workshop, or the imported record with that id."""
    hub: Hub = request.app.state.hub
    state = await hub.get(workshop_id)
    if state is not None:
        return build_bundle(state, _service(request).clock.now())
    return await asyncio.to_thread(load_import, _service(request).store, workshop_id)


async def _bundles(request: Request, series: Series) -> list[Bundle]:
    found = [await _bundle(request, workshop_id) for workshop_id in series.workshop_ids]
    return [bundle for bundle in found if bundle is not None]


def _prework_structures(request: Request) -> set[str]:
    library = _service(request).library
    return {
        structure_id
        for structure_id, structure in library.structures.items()
        if structure.steps and structure.steps[0].before_start
    }


def _names(request: Request) -> dict[str, Text]:
    library = _service(request).library
    return {sid: structure.name.text() for sid, structure in library.structures.items()}


def _area_titles(request: Request) -> dict[str, dict[str, Text]]:
    """Structure id -> area id -> its title, from the structures' board templates."""
    library = _service(request).library
    return {
        sid: {area.id: area.title.text() for board in structure.boards for area in board.areas}
        for sid, structure in library.structures.items()
    }


async def _record(request: Request, series: Series) -> tuple[dict[str, Any], list[Bundle]]:
    bundles = await _bundles(request, series)
    record = series_record(series, bundles, _prework_structures(request), _names(request))
    return record, bundles


def _download(body: str, fmt: Format, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE}
    if fmt == "html":
        headers["Content-Security-Policy"] = REPORT_CSP
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


def _record_download(record: dict[str, Any], series_id: str) -> Response:
    return _download(record_json(record), "json", f"lernraum-series-{series_id}.json")


async def _member_export(
    request: Request, series: Series, workshop_id: str, fmt: Format
) -> Response:
    if workshop_id not in series.workshop_ids:
        raise api_error("no_such_member", f"workshop {workshop_id!r} is not in this series")
    bundle = await _bundle(request, workshop_id)
    if bundle is None:
        raise api_error("no_such_workshop", f"no workshop {workshop_id!r}")
    return _download(render(bundle, fmt), fmt, f"lernraum-{workshop_id}.{fmt}")


async def _review_series(request: Request, token: str) -> Series:
    """The series a reviewer token opens; SeriesError when the link does not open one."""
    store = _store(request)
    now = _service(request).clock.now()
    link = await asyncio.to_thread(store.check_link, token, now)
    return await asyncio.to_thread(store.get, link.series_id)


async def _reviewed(request: Request, token: str) -> Series:
    """The series a reviewer token opens, or the typed refusal."""
    try:
        return await _review_series(request, token)
    except SeriesError as error:
        raise _typed(error) from error


# --- the owner's REST API --------------------------------------------------------------------


@router.post("", status_code=201)
async def create_series(body: NewSeries, request: Request) -> SeriesOut:
    """A new, empty series; the logged-in facilitator owns it."""
    email = await _owner(request)
    now = _service(request).clock.now()
    try:
        series = await asyncio.to_thread(
            _store(request).create, body.title, body.organisation, email, now
        )
    except SeriesError as error:
        raise _typed(error) from error
    return _series_out(series)


@router.get("")
async def list_series(request: Request) -> list[SeriesOut]:
    """The series the logged-in facilitator owns, oldest first."""
    email = await _owner(request)
    return [_series_out(s) for s in await asyncio.to_thread(_store(request).of_owner, email)]


@router.get("/{series_id}")
async def get_series(series_id: str, request: Request) -> SeriesOut:
    """One series the facilitator owns."""
    _, series = await _owned(request, series_id)
    return _series_out(series)


@router.delete("/{series_id}", status_code=204)
async def delete_series(series_id: str, request: Request) -> None:
    """Delete the series and its reviewer links (they stop working at once); its workshops
    stay as they are."""
    _, series = await _owned(request, series_id)
    try:
        await asyncio.to_thread(_store(request).delete, series.id)
    except SeriesError as error:
        raise _typed(error) from error


@router.post("/{series_id}/workshops")
async def add_workshop(series_id: str, body: NewMember, request: Request) -> SeriesOut:
    """File a workshop in the series: one you facilitate, or an imported record."""
    email, series = await _owned(request, series_id)
    hub: Hub = request.app.state.hub
    state = await hub.get(body.workshop_id)
    if state is not None:
        if not state.is_facilitator(Actor("user", email)):
            raise api_error("not_facilitator", f"{email} does not facilitate {body.workshop_id!r}")
    elif await asyncio.to_thread(load_import, _service(request).store, body.workshop_id) is None:
        raise api_error("no_such_workshop", f"no workshop {body.workshop_id!r}")
    store = _store(request)
    try:
        now = _service(request).clock.now()
        await asyncio.to_thread(store.add_workshop, series.id, body.workshop_id, now)
        return _series_out(await asyncio.to_thread(store.get, series.id))
    except SeriesError as error:
        raise _typed(error) from error


@router.delete("/{series_id}/workshops/{workshop_id}")
async def remove_workshop(series_id: str, workshop_id: str, request: Request) -> SeriesOut:
    """Take a workshop out of the series (the workshop itself stays)."""
    _, series = await _owned(request, series_id)
    store = _store(request)
    try:
        await asyncio.to_thread(store.remove_workshop, series.id, workshop_id)
        return _series_out(await asyncio.to_thread(store.get, series.id))
    except SeriesError as error:
        raise _typed(error) from error


@router.get(
    "/{series_id}/export.json",
    response_class=Response,
    responses={200: {"content": {SERIES_JSON: {}}}},
)
async def export_series(series_id: str, request: Request) -> Response:
    """The series record: every workshop's export, pre-work, planned against actual time."""
    _, series = await _owned(request, series_id)
    record, _ = await _record(request, series)
    return _record_download(record, series.id)


@router.get(
    "/{series_id}/workshops/{workshop_id}/export.{fmt}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
async def export_member(
    series_id: str, workshop_id: str, fmt: Format, request: Request
) -> Response:
    """One workshop of the series in any export format (imported records too)."""
    _, series = await _owned(request, series_id)
    return await _member_export(request, series, workshop_id, fmt)


@router.post("/{series_id}/review-links", status_code=201)
async def create_review_link(
    series_id: str, body: NewReviewLink, request: Request
) -> ReviewLinkOut:
    """A new reviewer link; its URL is in this answer only."""
    email, series = await _owned(request, series_id)
    now = _service(request).clock.now()
    try:
        link = await asyncio.to_thread(
            _store(request).create_link, series.id, email, timedelta(days=body.days), now
        )
    except SeriesError as error:
        raise _typed(error) from error
    return _link_out(request, link)


@router.get("/{series_id}/review-links")
async def list_review_links(series_id: str, request: Request) -> list[ReviewLinkOut]:
    """The series' reviewer links, newest first, without their URLs."""
    _, series = await _owned(request, series_id)
    links = await asyncio.to_thread(_store(request).links, series.id)
    return [_link_out(request, link) for link in links]


@router.delete("/{series_id}/review-links/{link_id}")
async def revoke_review_link(series_id: str, link_id: str, request: Request) -> ReviewLinkOut:
    """Revoke a reviewer link at once."""
    _, series = await _owned(request, series_id)
    now = _service(request).clock.now()
    try:
        link = await asyncio.to_thread(_store(request).revoke_link, series.id, link_id, now)
    except SeriesError as error:
        raise _typed(error) from error
    return _link_out(request, link)


# --- the reviewer's REST API -----------------------------------------------------------------


@review_api.get(
    "/{token}",
    response_class=Response,
    responses={200: {"content": {SERIES_JSON: {}}}},
)
async def review_record(token: str, request: Request) -> Response:
    """The series record the link opens (the same as its ``series.json`` download)."""
    series = await _reviewed(request, token)
    record, _ = await _record(request, series)
    return Response(record_json(record), media_type=SERIES_JSON, headers=NO_STORE)


# --- pages -------------------------------------------------------------------------------------


async def _page_context(
    request: Request, record: dict[str, Any], bundles: list[Bundle], base: str
) -> dict[str, Any]:
    by_id = {bundle.workshop.id: bundle for bundle in bundles}
    hub: Hub = request.app.state.hub
    workshops = []
    for entry in record["workshops"]:
        imported = await hub.get(entry["id"]) is None
        workshops.append(
            {"bundle": by_id[entry["id"]], "prework": entry["prework"], "imported": imported}
        )
    return {
        "series": record["series"],
        "workshops": workshops,
        "timing": record["timing"],
        "areas": _area_titles(request),
        "base": base,
        "formats": ("html", "md", "csv", "json"),
    }


def _page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page, never cached; remember a language asked for with ``?lang=``."""
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(NO_STORE)
    remember_language(request, response)
    return response


def _error_page(request: Request, code: str) -> HTMLResponse:
    return _page(request, "review_error.html", {"code": code}, error_status(code))


@pages.get("/series/{series_id}", response_class=HTMLResponse)
async def series_page(series_id: str, request: Request) -> HTMLResponse:
    """The owner's page of a series: outcomes, pre-work, timing, downloads, reviewer links."""
    email = await current_facilitator(request)
    if email is None:
        return _error_page(request, "not_logged_in")
    store = _store(request)
    try:
        series = await asyncio.to_thread(store.owned, series_id, email)
    except SeriesError:
        # one answer for "no such series" and "not yours": ids are not confirmed to others
        return _error_page(request, "no_such_series")
    record, bundles = await _record(request, series)
    links = await asyncio.to_thread(store.links, series.id)
    context = await _page_context(request, record, bundles, f"/api/series/{series.id}")
    context["links"] = [_link_out(request, link) for link in links]
    _, mine = await own_workshops(request)
    context["choices"] = [
        {"id": state.id, "title": state.title}
        for state in mine
        if state.id not in series.workshop_ids
    ]
    context["series_json"] = f"/api/series/{series.id}/export.json"
    context["texts"] = texts_with_prefix(chosen_language(request)[0], "series.")
    return _page(request, "series.html", context)


@pages.get("/review/{token}", response_class=HTMLResponse)
async def review_page(token: str, request: Request) -> HTMLResponse:
    """The reviewer's read-only page of a series, with every download."""
    try:
        series = await _review_series(request, token)
    except SeriesError as error:
        return _error_page(request, error.code)
    record, bundles = await _record(request, series)
    context = await _page_context(request, record, bundles, f"/review/{token}")
    context["series_json"] = f"/review/{token}/series.json"
    return _page(request, "review.html", context)


@pages.get("/review/{token}/series.json")
async def review_series_json(token: str, request: Request) -> Response:
    """The series record as a download, for a reviewer."""
    series = await _reviewed(request, token)
    record, _ = await _record(request, series)
    return _record_download(record, series.id)


@pages.get("/review/{token}/workshops/{workshop_id}/export.{fmt}")
async def review_export(token: str, workshop_id: str, fmt: Format, request: Request) -> Response:
    """One workshop of the series in any export format, for a reviewer."""
    series = await _reviewed(request, token)
    return await _member_export(request, series, workshop_id, fmt)
