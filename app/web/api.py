"""REST routes, and the one table that maps typed error codes to HTTP statuses.

Routes read through the service and the hub and never mutate state themselves. Every error
of the join and facilitator API is ``{"detail": {"code": ..., "message": ...}}``; the codes
are the core's rejection codes plus a few of the shell's, and ``ERROR_STATUS`` is the only
place that decides their HTTP status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import text

from app import __version__
from app.core.errors import Rejection
from app.web.schemas import (
    ErrorOut,
    Health,
    LibraryEntry,
    library_entries,
)
from app.workshops import WorkshopService

router = APIRouter()

# Codes not listed: "no_such_*" is 404, anything else the core refuses is a state conflict.
ERROR_STATUS: Mapping[str, int] = {
    "not_logged_in": 401,
    "not_authenticated": 401,
    "not_facilitator": 403,
    "not_owner": 403,
    "not_participant": 403,
    "participant_removed": 403,
    "unknown_join_code": 404,
    "invalid_argument": 422,
    "invalid_input": 422,
    "invalid_email": 422,
    "agreement_required": 422,
    "attribute_not_asked": 422,
    "unknown_command": 422,
    "review_link_expired": 410,
    "review_link_revoked": 410,
    "throttled": 429,
    "internal_error": 500,
    "storage_failed": 503,
}
CONFLICT = 409


def error_status(code: str) -> int:
    """The HTTP status of a typed error code."""
    if code in ERROR_STATUS:
        return ERROR_STATUS[code]
    return 404 if code.startswith("no_such_") else CONFLICT


def api_error(code: str, message: str, headers: Mapping[str, str] | None = None) -> HTTPException:
    """A typed error with the status its code maps to."""
    return HTTPException(
        status_code=error_status(code),
        detail={"code": code, "message": message},
        headers=dict(headers) if headers else None,
    )


def rejection_error(rejection: Rejection) -> HTTPException:
    """The HTTP error for a command the core refused."""
    return api_error(rejection.code, rejection.message)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries saying that these statuses answer with a typed error."""
    return {status: {"model": ErrorOut} for status in statuses}


class TypedErrorRoute(APIRoute):
    """A route whose request-validation errors are typed like every other error (422)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The usual handler, with validation errors turned into ``invalid_input``."""
        handler = super().get_route_handler()

        async def typed(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                first = error.errors()[0] if error.errors() else {}
                where = ".".join(str(part) for part in first.get("loc", ()))
                message = f"{where}: {first.get('msg', 'invalid')}"
                raise api_error("invalid_input", message) from error

        return typed


def _service(request: Request) -> WorkshopService:
    service: WorkshopService = request.app.state.service
    return service


@router.get("/healthz", tags=["ops"])
async def healthz(request: Request) -> Health:
    """Liveness and readiness: the process serves and the store answers a query."""
    service = _service(request)

    def ping() -> None:
        with service.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    await asyncio.to_thread(ping)
    return Health(status="ok", version=__version__, server_time=service.clock.now())


@router.get("/api/library", tags=["library"])
async def list_library(request: Request) -> list[LibraryEntry]:
    """Every agenda and structure the server can plan a workshop from."""
    return library_entries(_service(request).library)


@router.get("/api/library/{source_id}", tags=["library"])
async def library_file(source_id: str, request: Request) -> dict[str, Any]:
    """One structure, deck or agenda as its file describes it: a structure's steps and board
    templates (area ids), a deck's cards (card ids), an agenda's items."""
    library = _service(request).library
    found = (
        library.structures.get(source_id)
        or library.decks.get(source_id)
        or library.agendas.get(source_id)
    )
    if found is None:
        raise api_error("no_such_source", f"nothing called {source_id!r} in the library")
    document: dict[str, Any] = found.model_dump(mode="json")
    return document
