"""A live server with one workshop and everyone around it, over real HTTP: its owner, a
co-facilitator, a facilitator of nothing here, an anonymous client and one participant who
joined by code. Shared by the API and page tests of the facilitator side."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.accounts import Accounts
from app.clock import FakeClock
from app.settings import Settings
from app.store import Store
from tests.conftest import LiveServer, serve_app

PASSWORD = "correct horse battery"
OWNER, CO, OTHER = "owner@example.org", "co@example.org", "other@example.org"


@dataclass
class Cast:
    server: LiveServer
    workshop_id: str
    owner: httpx.Client
    co: httpx.Client
    other: httpx.Client
    anonymous: httpx.Client
    joined: dict[str, Any]  # the participant's join answer (token and id)


@contextmanager
def logged_in(server: LiveServer, email: str | None) -> Iterator[httpx.Client]:
    """A client of the server, logged in as ``email`` unless it is None."""
    with httpx.Client(base_url=server.url) as client:
        if email is not None:
            login = {"email": email, "password": PASSWORD}
            assert client.post("/api/auth/login", json=login).status_code == 200
        yield client


@contextmanager
def cast(database: Path, source_id: str = "check-in") -> Iterator[Cast]:
    """The server on a fresh SQLite file at ``database``, the workshop planned from
    ``source_id`` with ``CO`` invited, and a participant "Pat" joined by code."""
    settings = Settings(database_url=f"sqlite:///{database}", demo=False)
    clock = FakeClock()
    store = Store(settings.database_url)
    store.create_schema()
    for email in (OWNER, CO, OTHER):
        Accounts(store.engine).add_facilitator(email, PASSWORD, clock.now())
    store.close()
    with (
        serve_app(settings, clock) as server,
        logged_in(server, OWNER) as owner,
        logged_in(server, CO) as co,
        logged_in(server, OTHER) as other,
        logged_in(server, None) as anonymous,
    ):
        created = owner.post("/api/workshops", json={"source_id": source_id})
        assert created.status_code == 201, created.text
        workshop_id = created.json()["id"]
        invited = owner.post(f"/api/workshops/{workshop_id}/facilitators", json={"email": CO})
        assert invited.status_code == 200, invited.text
        code = owner.get(f"/api/workshops/{workshop_id}/links").json()["code"]
        info = anonymous.get(f"/api/join/{code}").json()
        joined = anonymous.post(
            "/api/join",
            json={"code": code, "name": "Pat", "agreement": info["agreement_fingerprint"]},
        )
        assert joined.status_code == 200, joined.text
        yield Cast(server, workshop_id, owner, co, other, anonymous, joined.json())
