"""Joining over REST: look up a code or link, then join with a name and the agreement.

Both routes are open to anybody and therefore throttled per client address (see
``app.joining.JoinThrottle``): every call spends one attempt, an unknown code or link spends
``join_failure_cost`` in all. The client address is the peer of the TCP connection (for
IPv6 its /64, which one subscriber usually holds whole); behind a reverse proxy, run uvicorn
with ``--proxy-headers`` and ``--forwarded-allow-ips`` so that it is the visitor's address
and not the proxy's (otherwise all visitors share one budget).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator

from app.clock import Clock
from app.core.setup import agreement_fingerprint, agreement_of
from app.joining import JoinDesk, JoinError, JoinThrottle, join_status, throttle_key
from app.live.hub import Hub
from app.settings import Settings
from app.web.api import TypedErrorRoute, api_error, error_responses
from app.web.schemas import JoinedOut, JoinInfo, text_out
from app.workshops import WorkshopService

router = APIRouter(
    prefix="/api/join",
    tags=["join"],
    route_class=TypedErrorRoute,
    responses=error_responses(403, 404, 409, 422, 429),
)

MAX_INPUT_CHARS = 200  # the core checks the real limits; this only bounds what we parse
MAX_ATTRIBUTES = 10

Attribute = Annotated[str, Field(max_length=MAX_INPUT_CHARS)]


class JoinIn(BaseModel):
    """Who joins, through which code or link, having read which working agreement."""

    code: str | None = Field(default=None, max_length=64, description="the typed join code")
    link_token: str | None = Field(default=None, max_length=64, description="the link's token")
    name: str = Field(default="", max_length=MAX_INPUT_CHARS)
    attributes: dict[Attribute, Attribute] = Field(default_factory=dict, max_length=MAX_ATTRIBUTES)
    agreement: str | None = Field(
        default=None,
        max_length=MAX_INPUT_CHARS,
        description="fingerprint of the working agreement the person accepted",
    )
    participant_token: str | None = Field(
        default=None,
        max_length=MAX_INPUT_CHARS,
        description="the token of an earlier join: coming back keeps the same participant",
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> JoinIn:
        if (self.code is None) == (self.link_token is None):
            raise ValueError("give either code or link_token")
        return self


def join_desk(request: Request) -> JoinDesk:
    """The app's join desk, made on first use."""
    state = request.app.state
    desk: JoinDesk | None = getattr(state, "join_desk", None)
    if desk is None:
        settings: Settings = state.settings
        service: WorkshopService = state.service
        hub: Hub = state.hub
        throttle = JoinThrottle(settings.join_max_attempts, settings.join_window_s)
        desk = JoinDesk(hub=hub, store=service.store, clock=service.clock, throttle=throttle)
        state.join_desk = desk
    return desk


def _address(request: Request) -> str:
    return throttle_key(request.client.host) if request.client is not None else "unknown"


def _spend(request: Request, desk: JoinDesk) -> None:
    clock: Clock = request.app.state.clock
    wait_s = desk.throttle.take(_address(request), clock.now())
    if wait_s is not None:
        raise api_error(
            "throttled",
            f"too many join attempts from this address; try again in {wait_s:.0f} s",
            headers={"Retry-After": f"{wait_s:.0f}"},
        )


def _failed(request: Request, desk: JoinDesk, error: JoinError) -> None:
    if error.code == "unknown_join_code":
        settings: Settings = request.app.state.settings
        clock: Clock = request.app.state.clock
        desk.throttle.charge(_address(request), clock.now(), settings.join_failure_cost - 1)


@router.get("/{code_or_token}")
async def look_up(code_or_token: str, request: Request) -> JoinInfo:
    """What a join code or link token opens: title, whether joining is open, what is asked."""
    desk = join_desk(request)
    _spend(request, desk)
    try:
        state = await desk.find(code_or_token[:64])
    except JoinError as error:
        _failed(request, desk, error)
        raise api_error(error.code, error.message) from error
    agreement = agreement_of(state)
    return JoinInfo(
        title=state.title,
        status=join_status(state),
        attributes=list(state.join_attributes),
        agreement=text_out(agreement),
        agreement_fingerprint=agreement_fingerprint(agreement),
    )


@router.post("")
async def join(body: JoinIn, request: Request) -> JoinedOut:
    """Join a workshop, or come back as the same participant with an earlier token."""
    desk = join_desk(request)
    _spend(request, desk)
    try:
        joined = await desk.join(
            body.code or body.link_token or "",
            name=body.name,
            attributes=body.attributes,
            agreement=body.agreement,
            participant_token=body.participant_token,
        )
    except JoinError as error:
        _failed(request, desk, error)
        raise api_error(error.code, error.message) from error
    return JoinedOut(
        workshop_id=joined.workshop_id,
        participant_id=joined.participant_id,
        participant_token=joined.participant_token,
        name=joined.name,
        rejoined=joined.rejoined,
    )
