"""Erasure over REST: a facilitator deletes a workshop, a participant erases their own work.

- ``DELETE /api/workshops/{id}``: the owner deletes a workshop. Everyone connected is
  disconnected (close code 4404, ``workshop_deleted``), the room stops, and every row of the
  workshop leaves the database: log, snapshots, tokens, join link, series membership.
- ``DELETE /api/me/contributions``: a participant (``Authorization: Bearer`` with their
  participant token) erases everything they contributed and stays in the workshop.
- ``DELETE /api/me``: the same, and they leave: their name and join attributes go too and
  their token stops working.

A participant's erasure is a command through the hub like any other, so everybody's live
view loses the erased work at once; its texts are then redacted from the stored log
(``app/erasure.py``) before the answer is sent.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.core.actors import Actor
from app.core.erasure import EraseContributions
from app.core.errors import Rejection
from app.erasure import RedactionRefused, delete_workshop, redact
from app.joining import resolve_participant_token
from app.live.hub import Hub
from app.protocol import CLOSE_NOT_FOUND
from app.web.api import TypedErrorRoute, api_error, error_responses, rejection_error
from app.web.facilitate import facilitating
from app.workshops import WorkshopService

log = logging.getLogger(__name__)

router = APIRouter(
    tags=["privacy"], route_class=TypedErrorRoute, responses=error_responses(401, 403, 404)
)


class WorkshopDeleted(BaseModel):
    """The workshop that is gone, and how many live connections were closed."""

    workshop_id: str
    disconnected: int


class ContributionsErasedOut(BaseModel):
    """Whose contributions were erased, whether they left, and how many stored events the
    redaction rewrote."""

    workshop_id: str
    participant_id: str
    left: bool
    events_redacted: int


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _service(request: Request) -> WorkshopService:
    service: WorkshopService = request.app.state.service
    return service


@router.delete("/api/workshops/{workshop_id}")
async def delete(workshop_id: str, request: Request) -> WorkshopDeleted:
    """Delete a workshop with everything stored about it (owner only); not undoable."""
    await facilitating(request, workshop_id, owner_only=True)
    hub = _hub(request)
    store = _service(request).store
    closed = await hub.remove(
        workshop_id,
        lambda: asyncio.to_thread(delete_workshop, store, workshop_id),
        CLOSE_NOT_FOUND,
        "workshop_deleted",
        "the workshop was deleted",
    )
    return WorkshopDeleted(workshop_id=workshop_id, disconnected=closed)


async def _erase(request: Request, leave: bool) -> ContributionsErasedOut:
    header = request.headers.get("authorization", "")
    token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else None
    service = _service(request)
    identity = await resolve_participant_token(service, token)
    if identity is None:
        raise api_error("not_authenticated", "send your participant token as a Bearer token")
    actor = Actor("participant", identity.participant_id)
    outcome = await _hub(request).submit(
        identity.workshop_id, EraseContributions(leave=leave), actor
    )
    if isinstance(outcome, Rejection):
        raise rejection_error(outcome)
    try:
        rewritten = await asyncio.to_thread(
            redact, service.store, identity.workshop_id, outcome.first_seq, service.clock.now()
        )
    except RedactionRefused:  # the erasure holds; the retention sweep reports it again
        log.exception("redaction after an erasure in %s was refused", identity.workshop_id)
        raise api_error("internal_error", "the erasure holds, its log redaction failed") from None
    return ContributionsErasedOut(
        workshop_id=identity.workshop_id,
        participant_id=identity.participant_id,
        left=leave,
        events_redacted=rewritten,
    )


@router.delete("/api/me/contributions")
async def erase_my_contributions(request: Request) -> ContributionsErasedOut:
    """Erase my notes, cards, questions, answers, canvas, check-out answers, dots and poll
    answers from every view, every export and the stored log; I stay in the workshop."""
    return await _erase(request, leave=False)


@router.delete("/api/me")
async def erase_me(request: Request) -> ContributionsErasedOut:
    """Erase my contributions, my name and my join attributes, and leave the workshop; my
    participant token stops working."""
    return await _erase(request, leave=True)
