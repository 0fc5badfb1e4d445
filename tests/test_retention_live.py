"""The server's own retention sweep, on an injected clock, over real HTTP and websockets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from app.client import LiveClient, join, join_code, log_in
from app.clock import FakeClock
from app.settings import Settings
from tests.conftest import serve_app
from tests.live.support import (
    OWNER_EMAIL,
    PASSWORD,
    ack,
    as_facilitator,
    demo_workshop,
    dump,
    facilitator_session,
    settle_all,
    workshop_version,
)

NAME, ORGANISATION = "Ada Markername", "Geheimfirma Süd AG"
OUTCOME, PRIVATE = "OUTCOME-NOTE-11", "PRIVATE-CANVAS-22"
NOTES, CANVAS_IDEA = 3, 16  # steps of the demo agenda
DAY_S = 24 * 60 * 60
WAIT_S = 30.0  # bound of waiting for the sweep, which runs every 50 ms


def _bytes(settings: Settings) -> bytes:
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def _names(http: httpx.AsyncClient, session: str, workshop: str) -> list[str]:
    people = await http.get(
        f"/api/workshops/{workshop}/participants", headers=as_facilitator(session)
    )
    assert people.status_code == 200, people.text
    return [person["name"] for person in people.json()]


async def test_an_ended_workshop_is_anonymised_after_the_retention_period(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lernraum.db'}",
        retention_days=1,
        retention_sweep_s=0.05,
    )
    clock = FakeClock()
    with serve_app(settings, clock) as server:
        session = await facilitator_session(server)
        workshop = await demo_workshop(server)
        async with httpx.AsyncClient(base_url=server.url) as http:
            asked = await http.patch(
                f"/api/workshops/{workshop}",
                json={"join_attributes": ["organisation"]},
                headers=as_facilitator(session),
            )
            assert asked.status_code == 200, asked.text
            code = await join_code(server.url, workshop, session)
            joined = await join(server.url, code, NAME, attributes={"organisation": ORGANISATION})
            facilitator = LiveClient(server.url, workshop, session=session)
            ada = LiveClient(server.url, workshop, token=joined.token, reconnect=False)
            await facilitator.start()
            await ada.start()
            try:
                await ack(facilitator, {"type": "workshop.start"})
                await ack(facilitator, {"type": "step.jump", "index": NOTES})
                await settle_all([facilitator, ada])
                await ack(ada, {"type": "note.post", "item_id": "n-1", "text": OUTCOME})
                await ack(facilitator, {"type": "step.jump", "index": CANVAS_IDEA})
                await settle_all([facilitator, ada])
                await ack(ada, {"type": "canvas.update", "idea": PRIVATE})
                await ack(facilitator, {"type": "workshop.end"})
                await settle_all([facilitator, ada])
                url = f"/api/workshops/{workshop}/export.json"
                before = (await http.get(url, headers=as_facilitator(session))).text
                assert OUTCOME in before and NAME not in before
                assert await _names(http, session, workshop) == [NAME]
                stored = _bytes(settings)
                for secret in (NAME, ORGANISATION, PRIVATE):
                    assert secret.encode() in stored

                clock.advance(DAY_S - 60)  # not yet
                seq = await workshop_version(http, session, workshop)
                clock.advance(60)
                async with asyncio.timeout(WAIT_S):
                    while await _names(http, session, workshop) != ["Teilnehmer:in 1"]:
                        await asyncio.sleep(0.05)
                await facilitator.wait_for_seq(seq + 1)
                assert NAME not in dump(facilitator) and "Teilnehmer:in 1" in dump(facilitator)
                async with asyncio.timeout(WAIT_S):  # the redaction follows the event
                    while NAME.encode() in _bytes(settings):
                        await asyncio.sleep(0.05)
                stored = _bytes(settings)
                for secret in (NAME, ORGANISATION, PRIVATE):
                    assert secret.encode() not in stored, secret
                assert OUTCOME.encode() in stored
                assert (await http.get(url, headers=as_facilitator(session))).text == before
                takeaway = await http.get(
                    "/api/takeaway.json", headers={"Authorization": f"Bearer {joined.token}"}
                )
                assert takeaway.status_code == 401  # participant tokens are gone
            finally:
                await facilitator.close()
                await ada.close()

    with serve_app(settings, clock) as server:  # a restart rebuilds the anonymised workshop
        session = await log_in(server.url, OWNER_EMAIL, PASSWORD)
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert await _names(http, session, workshop) == ["Teilnehmer:in 1"]
            again = await http.get(
                f"/api/workshops/{workshop}/export.json", headers=as_facilitator(session)
            )
            assert again.text == before
