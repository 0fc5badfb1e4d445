"""The facilitator API: create and configure workshops, share and rotate join links, lock the
door, manage participants and co-facilitators, and edit the plan.

Every route needs a logged-in facilitator (401 ``not_logged_in``) of the workshop (404
``no_such_workshop``, then 403 ``not_facilitator``); owner-only routes answer 403
``not_owner`` to co-facilitators. These checks only fail fast: every change is a command
submitted through the hub with the facilitator as actor, and the core decides again. Only
join codes and links are the shell's own (``app.joining``), so rotating them is checked here.
A mutation answers with the facilitators' view of the workshop after the change.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from app.accounts import AccountError, Accounts, normalise_email
from app.core.actors import Actor
from app.core.errors import Rejected, Rejection
from app.core.people import InviteFacilitator, RemoveFacilitator, RemoveParticipant
from app.core.plan import PlanStep, Text
from app.core.planedit import InsertSteps, MoveStep, RemoveStep, RetimeStep
from app.core.reducer import Command
from app.core.setup import MAX_TITLE_CHARS, ConfigureWorkshop, LockJoining, UnlockJoining
from app.core.state import WorkshopState
from app.joining import format_code
from app.live.hub import Hub
from app.settings import Settings
from app.store import JoinLink
from app.web.api import TypedErrorRoute, api_error, error_responses, rejection_error
from app.web.auth import current_facilitator
from app.web.join import join_desk
from app.web.schemas import (
    FacilitationOut,
    LinksOut,
    ParticipantOut,
    WorkshopOut,
    WorkshopSummary,
    describe,
    describe_for_facilitators,
    participant_out,
    summarise,
)
from app.workshops import WorkshopService

router = APIRouter(
    prefix="/api/workshops",
    tags=["facilitation"],
    route_class=TypedErrorRoute,
    responses=error_responses(401, 403, 404, 409, 422),
)

MAX_FIELD_CHARS = 4000  # the core checks the real limits; this only bounds what we parse

StepIndex = Annotated[int, Path(ge=0, le=10_000)]


class NewWorkshop(BaseModel):
    """Which agenda or structure of the library to plan from, and an optional title."""

    source_id: str = Field(max_length=200)
    title: str | None = Field(default=None, max_length=MAX_TITLE_CHARS)


class TextIn(BaseModel):
    """A text in German and English."""

    de: str = Field(max_length=MAX_FIELD_CHARS)
    en: str = Field(max_length=MAX_FIELD_CHARS)


class WorkshopSettings(BaseModel):
    """The settings to change; a field left out stays as it is (``video_url: ""`` clears)."""

    title: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    join_attributes: list[str] | None = Field(default=None, max_length=20)
    agreement: TextIn | None = None
    video_url: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)


class NewFacilitator(BaseModel):
    """The e-mail of an existing facilitator account."""

    email: str = Field(max_length=254)


class NewSteps(BaseModel):
    """Insert the steps of a library agenda or structure before position ``index``."""

    source_id: str = Field(max_length=200)
    index: int = Field(ge=0, le=10_000)


class StepMove(BaseModel):
    """Move the step at ``from_index`` to ``to_index``."""

    from_index: int = Field(ge=0, le=10_000)
    to_index: int = Field(ge=0, le=10_000)


class StepLength(BaseModel):
    """The new planned length of a step."""

    minutes: float = Field(gt=0, le=24 * 60)


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _service(request: Request) -> WorkshopService:
    service: WorkshopService = request.app.state.service
    return service


async def _logged_in(request: Request) -> Actor:
    email = await current_facilitator(request)
    if email is None:
        raise api_error("not_logged_in", "log in as a facilitator first")
    return Actor("user", email)


async def facilitating(
    request: Request, workshop_id: str, owner_only: bool = False
) -> tuple[Actor, WorkshopState]:
    """The logged-in facilitator and the workshop, or the typed error why not; every
    facilitator route of a workshop (this API, exports, the agenda file, deletion) asks here."""
    actor = await _logged_in(request)
    state = await _hub(request).get(workshop_id)
    if state is None:
        raise api_error("no_such_workshop", f"no workshop {workshop_id!r}")
    if not state.is_facilitator(actor):
        raise api_error("not_facilitator", f"{actor.id} does not facilitate {workshop_id!r}")
    if owner_only and actor.id != state.owner:
        raise api_error("not_owner", f"only the owner of {workshop_id!r} may do this")
    return actor, state


async def _view(request: Request, workshop_id: str) -> FacilitationOut:
    state = await _hub(request).get(workshop_id)
    if state is None:  # the workshop cannot vanish, but a type checker cannot know
        raise api_error("no_such_workshop", f"no workshop {workshop_id!r}")
    return describe_for_facilitators(state, _service(request).clock.now())


async def _submit(
    request: Request, workshop_id: str, actor: Actor, command: Command
) -> FacilitationOut:
    """Submit a facilitator's command and answer the view after it, or the typed refusal."""
    outcome = await _hub(request).submit(workshop_id, command, actor)
    if isinstance(outcome, Rejection):
        raise rejection_error(outcome)
    return await _view(request, workshop_id)


def _links_out(request: Request, link: JoinLink) -> LinksOut:
    settings: Settings = request.app.state.settings
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    return LinksOut(
        workshop_id=link.workshop_id,
        code=format_code(link.code),
        link_url=f"{base}/join/{link.link_token}",
        link_token=link.link_token,
    )


def _library_steps(request: Request, source_id: str) -> tuple[PlanStep, ...]:
    try:
        return _service(request).library.plan_for(source_id)
    except KeyError:
        raise api_error("no_such_source", f"the library has no {source_id!r}") from None


def unique_keys(plan: tuple[PlanStep, ...], steps: tuple[PlanStep, ...]) -> tuple[PlanStep, ...]:
    """``steps`` with ``#2``, ``#3``… added to their keys when the plan has those keys."""
    taken = {step.key for step in plan}
    suffix, renamed = "", steps
    number = 1
    while any(step.key in taken for step in renamed):
        number += 1
        suffix = f"#{number}"
        renamed = tuple(replace(step, key=step.key + suffix) for step in steps)
    return renamed


@router.get("")
async def list_workshops(request: Request) -> list[WorkshopSummary]:
    """The workshops the logged-in facilitator owns or co-facilitates, oldest first."""
    actor = await _logged_in(request)
    return [summarise(state) for state in await _hub(request).all() if state.is_facilitator(actor)]


@router.get("/{workshop_id}")
async def get_workshop(workshop_id: str, request: Request) -> WorkshopOut:
    """One workshop with its live plan: planned, actual and projected times of every step."""
    _, state = await facilitating(request, workshop_id)
    return describe(state, _service(request).clock.now())


@router.post("", status_code=201)
async def create_workshop(body: NewWorkshop, request: Request) -> FacilitationOut:
    """Plan a new workshop from the library; the logged-in facilitator owns it."""
    actor = await _logged_in(request)
    _library_steps(request, body.source_id)
    try:
        state = await _hub(request).create(body.source_id, actor.id, body.title)
    except Rejected as rejected:
        raise rejection_error(rejected.as_value()) from rejected
    return describe_for_facilitators(state, _service(request).clock.now())


@router.get("/{workshop_id}/facilitation")
async def facilitation_view(workshop_id: str, request: Request) -> FacilitationOut:
    """The workshop as its facilitators see it: live plan, settings, who steers it."""
    await facilitating(request, workshop_id)
    return await _view(request, workshop_id)


@router.patch("/{workshop_id}")
async def configure(workshop_id: str, body: WorkshopSettings, request: Request) -> FacilitationOut:
    """Change title, join form, working agreement or video room."""
    agreement = Text(de=body.agreement.de, en=body.agreement.en) if body.agreement else None
    attributes = tuple(body.join_attributes) if body.join_attributes is not None else None
    command = ConfigureWorkshop(
        title=body.title, join_attributes=attributes, agreement=agreement, video_url=body.video_url
    )
    actor, _ = await facilitating(request, workshop_id)
    return await _submit(request, workshop_id, actor, command)


@router.get("/{workshop_id}/links")
async def get_links(workshop_id: str, request: Request) -> LinksOut:
    """The join code and link to share (drawn the first time they are asked for)."""
    await facilitating(request, workshop_id)
    return _links_out(request, await join_desk(request).links(workshop_id))


@router.post("/{workshop_id}/links/rotate")
async def rotate_links(workshop_id: str, request: Request) -> LinksOut:
    """Draw a new code and link; the old ones stop working at once."""
    await facilitating(request, workshop_id)
    return _links_out(request, await join_desk(request).rotate(workshop_id))


@router.post("/{workshop_id}/lock")
async def lock(workshop_id: str, request: Request) -> FacilitationOut:
    """Close the door: nobody new joins; people already in come back with their token."""
    actor, state = await facilitating(request, workshop_id)
    if state.locked:  # locking twice changes nothing and is no error
        return await _view(request, workshop_id)
    return await _submit(request, workshop_id, actor, LockJoining())


@router.post("/{workshop_id}/unlock")
async def unlock(workshop_id: str, request: Request) -> FacilitationOut:
    """Open the door again."""
    actor, state = await facilitating(request, workshop_id)
    if not state.locked:
        return await _view(request, workshop_id)
    return await _submit(request, workshop_id, actor, UnlockJoining())


@router.get("/{workshop_id}/participants")
async def list_participants(workshop_id: str, request: Request) -> list[ParticipantOut]:
    """Everyone in the workshop, with the join attributes they gave, in order of joining."""
    _, state = await facilitating(request, workshop_id)
    people = sorted(state.participants.values(), key=lambda p: (p.joined_at, p.id))
    return [participant_out(participant) for participant in people]


@router.delete("/{workshop_id}/participants/{participant_id}")
async def remove_participant(
    workshop_id: str, participant_id: str, request: Request
) -> FacilitationOut:
    """Take a participant out; their token no longer brings them back."""
    actor, _ = await facilitating(request, workshop_id)
    command = RemoveParticipant(participant_id=participant_id)
    return await _submit(request, workshop_id, actor, command)


@router.post("/{workshop_id}/facilitators")
async def invite_facilitator(
    workshop_id: str, body: NewFacilitator, request: Request
) -> FacilitationOut:
    """Make an existing facilitator account a co-facilitator (owner only)."""
    actor, _ = await facilitating(request, workshop_id, owner_only=True)
    try:
        email = normalise_email(body.email)
    except AccountError as error:
        raise api_error(error.code, error.message) from error
    accounts = Accounts(_service(request).store.engine)
    if not await asyncio.to_thread(accounts.exists, email):
        raise api_error("no_such_account", f"{email} has no facilitator account")
    return await _submit(request, workshop_id, actor, InviteFacilitator(user_id=email))


@router.delete("/{workshop_id}/facilitators/{email}")
async def remove_facilitator(workshop_id: str, email: str, request: Request) -> FacilitationOut:
    """Take a co-facilitator's rights away (owner only)."""
    actor, _ = await facilitating(request, workshop_id, owner_only=True)
    try:
        user_id = normalise_email(email)
    except AccountError as error:
        raise api_error(error.code, error.message) from error
    return await _submit(request, workshop_id, actor, RemoveFacilitator(user_id=user_id))


@router.post("/{workshop_id}/plan/steps")
async def insert_steps(workshop_id: str, body: NewSteps, request: Request) -> FacilitationOut:
    """Insert the steps of a library agenda or structure before position ``index``."""
    actor, state = await facilitating(request, workshop_id)
    steps = unique_keys(state.plan, _library_steps(request, body.source_id))
    return await _submit(request, workshop_id, actor, InsertSteps(index=body.index, steps=steps))


@router.delete("/{workshop_id}/plan/steps/{index}")
async def remove_step(workshop_id: str, index: StepIndex, request: Request) -> FacilitationOut:
    """Take a step that has not run out of the plan."""
    actor, _ = await facilitating(request, workshop_id)
    return await _submit(request, workshop_id, actor, RemoveStep(index=index))


@router.post("/{workshop_id}/plan/move")
async def move_step(workshop_id: str, body: StepMove, request: Request) -> FacilitationOut:
    """Move a later step to another later position."""
    actor, _ = await facilitating(request, workshop_id)
    command = MoveStep(from_index=body.from_index, to_index=body.to_index)
    return await _submit(request, workshop_id, actor, command)


@router.patch("/{workshop_id}/plan/steps/{index}")
async def retime_step(
    workshop_id: str, index: StepIndex, body: StepLength, request: Request
) -> FacilitationOut:
    """Plan another length for a step that has not run yet."""
    actor, _ = await facilitating(request, workshop_id)
    return await _submit(request, workshop_id, actor, RetimeStep(index=index, minutes=body.minutes))
