"""A participant's personal takeaway: their own canvas, check-out answers and notes.

Authenticated by the participant token (``Authorization: Bearer …``), and built from the
participant's own view (``app/core/views.py``), so it holds exactly what the live room
shows them of their own work, private canvas included, and nothing of anybody else's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.state import WorkshopState
from app.core.views import Viewer, personal_view
from app.export.formats import md
from app.joining import resolve_participant_token
from app.live.hub import Hub
from app.web.api import TypedErrorRoute, api_error, error_responses
from app.workshops import WorkshopService

router = APIRouter(
    prefix="/api/takeaway",
    tags=["takeaway"],
    route_class=TypedErrorRoute,
    responses=error_responses(401, 403),
)

QUESTIONS = {
    "exciting": ("Was hat mich begeistert?", "What excited me?"),
    "learn_more": ("Worüber möchte ich mehr lernen?", "What do I want to learn more about?"),
    "take_away": ("Was nehme ich mit?", "What do I take away?"),
}


async def _mine(request: Request) -> tuple[WorkshopState, dict[str, Any]]:
    header = request.headers.get("authorization", "")
    token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else None
    service: WorkshopService = request.app.state.service
    identity = await resolve_participant_token(service, token)
    if identity is None:
        raise api_error("not_authenticated", "send your participant token as a Bearer token")
    hub: Hub = request.app.state.hub
    state = await hub.get(identity.workshop_id)
    if state is None or identity.participant_id not in state.participants:
        raise api_error("participant_removed", "you are no longer part of this workshop")
    view = personal_view(state, Viewer("participant", identity.participant_id))
    canvas = view.get("my_canvas", {}).get("main")
    return state, {
        "workshop": {"id": state.id, "title": state.title, "started_at": _iso(state)},
        "name": state.participants[identity.participant_id].name,
        "canvas": canvas,
        "reflections": view.get("my_reflections", {}),
        "notes": [
            item["text"]
            for item in view.get("my_items", {}).values()
            if item.get("kind") == "note" and item.get("text")
        ],
    }


def _iso(state: WorkshopState) -> str | None:
    return state.started_at.isoformat() if state.started_at else None


@router.get(".json")
async def takeaway_json(request: Request) -> dict[str, Any]:
    """My canvas, my check-out answers and my notes, as JSON."""
    _, mine = await _mine(request)
    return mine


@router.get(".md")
async def takeaway_markdown(request: Request) -> Response:
    """The same as Markdown, to keep or print; every text is escaped."""
    _, mine = await _mine(request)
    lines = [f"# {md(mine['workshop']['title'])}", "", f"*{md(mine['name'])}*", ""]
    canvas = mine["canvas"]
    if canvas:
        lines += ["## Mein Canvas / My canvas", ""]
        lines += [
            f"- **Idee / Idea:** {md(canvas['idea'])}",
            f"- **Ziel / Goal:** {md(canvas['goal'])}",
        ]
        for milestone in canvas["milestones"]:
            lines.append(
                f"- **{md(milestone['by_when'])}:** {md(milestone['what'])}"
                f" — {md(milestone['how_measured'])}"
            )
        lines.append("")
    if mine["reflections"]:
        lines += ["## Check-out", ""]
        for question, answer in mine["reflections"].items():
            german, english = QUESTIONS.get(question, (question, question))
            lines.append(f"- **{german} / {english}** {md(answer['text'])}")
        lines.append("")
    if mine["notes"]:
        lines += ["## Meine Notizen / My notes", ""]
        lines += [f"- {md(text)}" for text in mine["notes"]]
        lines.append("")
    body = "\n".join(lines)
    headers = {"Content-Disposition": 'attachment; filename="lernraum-takeaway.md"'}
    return Response(body, media_type="text/markdown; charset=utf-8", headers=headers)
