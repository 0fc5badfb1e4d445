"""Erasure over real HTTP and websockets on SQLite: a participant erases their work while the
workshop is live, then leaves; a facilitator deletes a workshop; a server restarts over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from app.client import LiveClient, join, join_code
from app.clock import FakeClock
from app.settings import Settings
from app.store import Store
from tests.conftest import LiveServer, serve_app
from tests.live.support import (
    ack,
    as_facilitator,
    demo_workshop,
    dump,
    facilitator_session,
    settle_all,
    workshop_version,
)

NAME = "Ada Markername"
MARKERS = (
    "ADA-NOTE-7f3e",
    "ADA-POLE-A-19",
    "ADA-POLE-B-20",
    "ADA-CANVAS-5c",
    "ADA-REFLECTION-88",
)
KEPT = "BEN-KEEPS-91c"
WICKED_REFINE, CANVAS_IDEA, REFLECT = 15, 16, 19  # steps of the demo agenda


def _db_bytes(settings: Settings) -> bytes:
    """The database file and its write-ahead log, as stored on disk."""
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    parts = [path, path.with_name(path.name + "-wal")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'lernraum.db'}", **overrides)


async def _contribute(
    server: LiveServer, facilitator: LiveClient, ada: LiveClient, ben: LiveClient
) -> None:
    """Ada writes a note, a Wicked Question, a canvas, a check-out answer, dots and a poll
    answer; Ben writes a note and dots Ada's."""
    await ack(facilitator, {"type": "workshop.start"})
    await ack(facilitator, {"type": "step.jump", "index": WICKED_REFINE})
    await settle_all([facilitator, ada, ben])
    await ack(ada, {"type": "note.post", "item_id": "n-ada", "text": MARKERS[0]})
    await ack(ben, {"type": "note.post", "item_id": "n-ben", "text": KEPT})
    await ack(
        ada,
        {"type": "wicked.propose", "item_id": "q-ada", "pole_a": MARKERS[1], "pole_b": MARKERS[2]},
    )
    await ack(ada, {"type": "vote.cast", "item_id": "n-ben"})
    await ack(ben, {"type": "vote.cast", "item_id": "n-ada"})
    await ack(facilitator, {"type": "step.jump", "index": CANVAS_IDEA})
    await settle_all([facilitator, ada, ben])
    await ack(ada, {"type": "canvas.update", "idea": MARKERS[3]})
    await ack(ada, {"type": "canvas.share", "audience": "plenary"})
    await ack(facilitator, {"type": "step.jump", "index": REFLECT})
    await settle_all([facilitator, ada, ben])
    await ack(ada, {"type": "reflection.submit", "question": "take_away", "text": MARKERS[4]})
    await ack(ada, {"type": "reflection.share", "question": "take_away", "audience": "plenary"})
    await ack(facilitator, {"type": "poll.open", "poll_id": "mood", "question": "Wie geht's?"})
    await settle_all([facilitator, ada, ben])
    await ack(ada, {"type": "poll.answer", "poll_id": "mood", "choices": [5]})
    await ack(facilitator, {"type": "poll.reveal", "poll_id": "mood"})


async def test_a_participant_erases_their_work_live_and_then_leaves(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with serve_app(settings, FakeClock()) as server:
        session = await facilitator_session(server)
        workshop = await demo_workshop(server)
        code = await join_code(server.url, workshop, session)
        ada_joined = await join(server.url, code, NAME)
        ben_joined = await join(server.url, code, "Ben")
        facilitator = LiveClient(server.url, workshop, session=session)
        ada = LiveClient(server.url, workshop, token=ada_joined.token, reconnect=False)
        ben = LiveClient(server.url, workshop, token=ben_joined.token)
        for client in (facilitator, ada, ben):
            await client.start()
        async with httpx.AsyncClient(base_url=server.url) as http:
            try:
                await _contribute(server, facilitator, ada, ben)
                await settle_all([facilitator, ada, ben])
                for client in (facilitator, ben):  # the plenary sees Ada's shared work
                    assert MARKERS[0] in dump(client) and MARKERS[3] in dump(client)
                assert all(marker.encode() in _db_bytes(settings) for marker in MARKERS)
                mood = ben.view["polls"]["mood"]
                assert sum(mood["tallies"]) == 1

                erased = await http.delete(
                    "/api/me/contributions",
                    headers={"Authorization": f"Bearer {ada_joined.token}"},
                )
                assert erased.status_code == 200, erased.text
                assert erased.json()["left"] is False and erased.json()["events_redacted"] == 4
                seq = await workshop_version(http, session, workshop)
                for client in (facilitator, ada, ben):
                    await client.wait_for_seq(seq)
                    whole = dump(client)
                    for marker in MARKERS:
                        assert marker not in whole
                    assert KEPT in whole
                assert sum(ben.view["polls"]["mood"]["tallies"]) == 0  # her answer is gone
                stored = _db_bytes(settings)
                for marker in MARKERS:
                    assert marker.encode() not in stored, marker
                assert KEPT.encode() in stored and NAME.encode() in stored
                export = await http.get(
                    f"/api/workshops/{workshop}/export.json", headers=as_facilitator(session)
                )
                assert export.status_code == 200
                assert not any(marker in export.text for marker in MARKERS)

                left = await http.delete(
                    "/api/me", headers={"Authorization": f"Bearer {ada_joined.token}"}
                )
                assert left.status_code == 200, left.text
                assert left.json()["left"] is True
                seq = await workshop_version(http, session, workshop)
                for client in (facilitator, ben):
                    await client.wait_for_seq(seq)
                    assert NAME not in dump(client)
                await ada.wait_until(lambda _: ada.closed_for_good is not None)
                assert NAME.encode() not in _db_bytes(settings)
                again = await http.get(
                    "/api/takeaway.json", headers={"Authorization": f"Bearer {ada_joined.token}"}
                )
                assert again.status_code == 401  # the token is forgotten
                before_restart = export_text = (
                    await http.get(
                        f"/api/workshops/{workshop}/export.json", headers=as_facilitator(session)
                    )
                ).text
                assert KEPT in export_text
            finally:
                for client in (facilitator, ada, ben):
                    await client.close()

    with serve_app(settings, FakeClock()) as server:  # the hub rebuilds every room from the log
        session = await facilitator_session(server, "other@example.org")
        store = Store(settings.database_url)
        try:
            owner_session = await _session_of_owner(server)
        finally:
            store.close()
        async with httpx.AsyncClient(base_url=server.url) as http:
            export = await http.get(
                f"/api/workshops/{workshop}/export.json", headers=as_facilitator(owner_session)
            )
            assert export.status_code == 200, export.text
            assert export.text == before_restart
            people = await http.get(
                f"/api/workshops/{workshop}/participants", headers=as_facilitator(owner_session)
            )
            assert [p["name"] for p in people.json()] == ["Ben"]
        del session


async def _session_of_owner(server: LiveServer) -> str:
    """A session of the demo workshop's owner (the account exists already)."""
    from app.client import log_in
    from tests.live.support import OWNER_EMAIL, PASSWORD

    return await log_in(server.url, OWNER_EMAIL, PASSWORD)


async def test_a_participant_token_cannot_erase_anyone_else(live_server: LiveServer) -> None:
    session = await facilitator_session(live_server)
    workshop = await demo_workshop(live_server)
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        for headers in ({}, {"Authorization": "Bearer nope"}, as_facilitator(session)):
            refused = await http.delete("/api/me/contributions", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["detail"]["code"] == "not_authenticated"
        assert (await workshop_version(http, session, workshop)) == 1


async def test_the_owner_deletes_a_workshop_and_everything_about_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with serve_app(settings, FakeClock()) as server:
        session = await facilitator_session(server)
        co = await facilitator_session(server, "co@example.org")
        workshop = await demo_workshop(server)
        code = await join_code(server.url, workshop, session)
        joined = await join(server.url, code, NAME)
        participant = LiveClient(server.url, workshop, token=joined.token, reconnect=False)
        await participant.start()
        async with httpx.AsyncClient(base_url=server.url) as http:
            try:
                invited = await http.post(
                    f"/api/workshops/{workshop}/facilitators",
                    json={"email": "co@example.org"},
                    headers=as_facilitator(session),
                )
                assert invited.status_code == 200
                async with LiveClient(server.url, workshop, session=session) as steer:
                    await ack(steer, {"type": "workshop.start"})
                    moved = await ack(steer, {"type": "step.jump", "index": WICKED_REFINE})
                await participant.wait_for_seq(moved.last_seq)
                await ack(participant, {"type": "note.post", "item_id": "n", "text": MARKERS[0]})
                for who, status, code_ in ((co, 403, "not_owner"), ("nobody", 401, None)):
                    refused = await http.delete(
                        f"/api/workshops/{workshop}", headers=as_facilitator(who)
                    )
                    assert refused.status_code == status
                    if code_:
                        assert refused.json()["detail"]["code"] == code_
                deleted = await http.delete(
                    f"/api/workshops/{workshop}", headers=as_facilitator(session)
                )
                assert deleted.status_code == 200, deleted.text
                assert deleted.json()["disconnected"] == 1
                await participant.wait_until(lambda _: participant.closed_for_good is not None)
                gone = await http.get(f"/api/workshops/{workshop}", headers=as_facilitator(session))
                assert gone.status_code == 404
                again = await http.delete(
                    f"/api/workshops/{workshop}", headers=as_facilitator(session)
                )
                assert again.status_code == 404
            finally:
                await participant.close()
        store = Store(settings.database_url)
        try:
            with store.engine.connect() as connection:
                tables = [
                    row[0]
                    for row in connection.execute(
                        text("SELECT name FROM sqlite_master WHERE type = 'table'")
                    )
                ]
                for table in tables:
                    columns = [
                        r[1] for r in connection.execute(text(f"PRAGMA table_info({table})"))
                    ]
                    for column in ("workshop_id", "id"):
                        if column in columns:
                            found = connection.execute(
                                text(f"SELECT COUNT(*) FROM {table} WHERE {column} = :w"),
                                {"w": workshop},
                            ).scalar()
                            assert found == 0, table
        finally:
            store.close()
        stored = _db_bytes(settings)
        assert MARKERS[0].encode() not in stored and NAME.encode() not in stored
    with serve_app(settings, FakeClock()) as server:  # restarts over the deleted workshop
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/healthz")).status_code == 200
