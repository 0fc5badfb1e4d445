"""Log facilitators in and out. The session token lives in an HttpOnly cookie."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from app.accounts import SESSION_LIFETIME, AccountError, Accounts, hash_token
from app.live.hub import Hub
from app.protocol import CLOSE_UNAUTHORISED
from app.workshops import WorkshopService

SESSION_COOKIE = "lernraum_session"

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Credentials(BaseModel):
    """E-mail and password of a facilitator account."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class Me(BaseModel):
    """Who is logged in."""

    email: str


def _accounts(request: Request) -> Accounts:
    service: WorkshopService = request.app.state.service
    return Accounts(service.store.engine)


async def current_facilitator(request: Request) -> str | None:
    """The e-mail of the facilitator whose session cookie came with the request."""
    service: WorkshopService = request.app.state.service
    token = request.cookies.get(SESSION_COOKIE)
    return await asyncio.to_thread(_accounts(request).resolve, token, service.clock.now())


@router.post("/login")
async def log_in(credentials: Credentials, request: Request, response: Response) -> Me:
    """Open a session; 401 with a typed error when e-mail or password is wrong."""
    service: WorkshopService = request.app.state.service
    try:
        session = await asyncio.to_thread(
            _accounts(request).log_in, credentials.email, credentials.password, service.clock.now()
        )
    except AccountError as error:
        raise HTTPException(
            status_code=401, detail={"code": error.code, "message": error.message}
        ) from error
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return Me(email=session.email)


@router.post("/logout", status_code=204)
async def log_out(request: Request, response: Response) -> None:
    """End the session of the cookie that came with the request."""
    token = request.cookies.get(SESSION_COOKIE)
    await asyncio.to_thread(_accounts(request).log_out, token)
    if token:
        revoked = hash_token(token)
        hub: Hub = request.app.state.hub
        hub.disconnect(
            lambda connection: connection.session_hash == revoked,
            CLOSE_UNAUTHORISED,
            "logged_out",
            "the session ended",
        )
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me")
async def me(request: Request) -> Me:
    """The logged-in facilitator; 401 without a live session."""
    email = await current_facilitator(request)
    if email is None:
        raise HTTPException(
            status_code=401, detail={"code": "not_logged_in", "message": "log in first"}
        )
    return Me(email=email)
