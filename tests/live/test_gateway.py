"""The websocket gateway over a real uvicorn server and the websockets client library."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.client import ClientClosed, LiveClient, websocket_url
from app.protocol import Ack, Error
from tests.live.support import demo_workshop, facilitator_session, room, settle


async def test_everyone_is_welcomed_with_their_own_view(live_server):
    async with room(live_server) as r:
        facilitator_view = r.facilitator.view
        assert facilitator_view["workshop"]["main"]["owner"] == "facilitator@lernraum.local"
        asked = {"type": "workshop.configure", "join_attributes": ["organisation"]}
        assert isinstance(await r.facilitator.command(asked), Ack)
        joined, ada = await r.join("Ada", organisation="Bäckerei Nord")
        try:
            await settle(r.facilitator, seq=ada.seq or 0)
            assert ada.you is not None and ada.you.kind == "participant"
            assert ada.view["me"]["main"]["name"] == "Ada"
            assert "owner" not in ada.view["workshop"]["main"]
            assert ada.view["people"][joined.participant_id] == {"name": "Ada"}
            facilitator_people = r.facilitator.view["people"]
            assert facilitator_people[joined.participant_id]["attributes"] == {
                "organisation": "Bäckerei Nord"
            }
        finally:
            await ada.close()


async def test_a_command_is_acknowledged_after_its_effect_reached_the_sender(live_server):
    async with room(live_server) as r:
        _, ada = await r.join("Ada")
        try:
            answer = await r.facilitator.command({"type": "workshop.start"})
            assert isinstance(answer, Ack)
            # the event came before the ack, so the sender's view already shows it
            assert r.facilitator.view["workshop"]["main"]["phase"] == "running"
            await settle(ada, seq=answer.last_seq)
            main = ada.view["workshop"]["main"]
            assert main["phase"] == "running" and main["cursor"] == 0
            assert main["deadline"] is not None
        finally:
            await ada.close()


async def test_a_participant_cannot_steer_and_nothing_changes(live_server):
    async with room(live_server) as r:
        _, ada = await r.join("Ada")
        try:
            before = ada.seq
            answer = await ada.command({"type": "workshop.start"}, command_id="try-1")
            assert isinstance(answer, Error)
            assert (answer.code, answer.ref) == ("not_facilitator", "try-1")
            await ada.wait_for_seq(before or 0)
            assert ada.view["workshop"]["main"]["phase"] == "lobby"
            assert ada.seq == before
        finally:
            await ada.close()


async def test_a_repeated_command_id_gets_the_original_ack(live_server):
    async with room(live_server) as r:
        first = await r.facilitator.command({"type": "workshop.start"}, command_id="start")
        again = await r.facilitator.command({"type": "workshop.start"}, command_id="start")
        assert isinstance(first, Ack) and isinstance(again, Ack)
        assert (again.first_seq, again.last_seq, again.repeated) == (
            first.first_seq,
            first.last_seq,
            True,
        )


async def test_bad_input_gets_typed_errors_and_the_connection_goes_on(live_server):
    async with room(live_server) as r:
        client = r.facilitator
        bad = [
            ("this is not json", "invalid_message", None),
            (json.dumps({"type": "shout"}), "invalid_message", None),
            (
                json.dumps({"type": "command", "id": "u1", "command": {"type": "rm.rf"}}),
                "unknown_command",
                "u1",
            ),
            (
                json.dumps(
                    {
                        "type": "command",
                        "id": "u2",
                        "command": {"type": "step.extend", "seconds": "many"},
                    }
                ),
                "invalid_command",
                "u2",
            ),
            (
                json.dumps({"type": "command", "id": "u3", "command": {}, "extra": 1}),
                "invalid_message",
                "u3",
            ),
            (
                json.dumps({"type": "command", "id": "x" * 65, "command": {}}),
                "invalid_message",
                None,
            ),
            (json.dumps({"type": "hello", "workshop": r.workshop}), "already_welcomed", None),
            ("[" + "1," * 40_000 + "1]", "too_large", None),
        ]
        for text, _, _ in bad:
            await client.send_raw(text)
        await asyncio.wait_for(_until(lambda: len(client.unsolicited) >= len(bad)), 10)
        got = [(error.code, error.ref) for error in client.unsolicited]
        assert got == [(code, ref) for _, code, ref in bad]
        answer = await client.command({"type": "workshop.start"})
        assert isinstance(answer, Ack) and answer.first_seq >= 2


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


async def test_a_hello_without_a_valid_token_is_refused(live_server):
    workshop = await demo_workshop(live_server)
    for token, code in [(None, "not_authenticated"), ("p" * 43, "not_authenticated")]:
        client = LiveClient(live_server.url, workshop, token=token)
        with pytest.raises(ClientClosed) as refused:
            await client.start()
        assert refused.value.code == code
        await client.close()
    session = await facilitator_session(live_server)
    client = LiveClient(live_server.url, "no-such-workshop", session=session)
    with pytest.raises(ClientClosed) as refused:
        await client.start()
    assert refused.value.code == "no_such_workshop"
    await client.close()


async def test_the_handshake_checks_origin(live_server):
    url = websocket_url(live_server.url)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, additional_headers={"Origin": "https://evil.example"}):
            pass
    assert refused.value.response.status_code == 403
    async with connect(url, additional_headers={"Origin": live_server.url}) as socket:
        await socket.send(json.dumps({"type": "ping"}))
        answer = json.loads(await socket.recv())
        assert answer["code"] == "hello_required"


async def test_a_reconnecting_client_gets_what_it_missed(live_server):
    async with room(live_server) as r:
        joined, ada = await r.join("Ada")
        try:
            ada.reconnect = True
            assert ada._socket is not None
            await ada._socket.close()  # the network drops
            answer = await r.facilitator.command({"type": "workshop.start"})
            assert isinstance(answer, Ack)
            await settle(ada, seq=answer.last_seq)
            assert ada.stats.resumes >= 1
            async with LiveClient(live_server.url, r.workshop, token=joined.token) as fresh:
                await settle(fresh, ada, seq=answer.last_seq)
                assert fresh.view == ada.view
        finally:
            await ada.close()


async def test_logging_out_closes_the_facilitators_sockets(live_server):
    async with room(live_server) as r:
        async with httpx.AsyncClient(
            base_url=live_server.url, cookies={"lernraum_session": r.session}
        ) as http:
            assert (await http.post("/api/auth/logout")).status_code == 204
        await asyncio.wait_for(_until(lambda: r.facilitator.closed_for_good is not None), 10)
        assert r.facilitator.closed_for_good.code == "logged_out"


async def test_a_removed_participant_is_disconnected(live_server):
    async with room(live_server) as r:
        joined, ada = await r.join("Ada")
        try:
            async with httpx.AsyncClient(
                base_url=live_server.url, cookies={"lernraum_session": r.session}
            ) as http:
                response = await http.delete(
                    f"/api/workshops/{r.workshop}/participants/{joined.participant_id}"
                )
                assert response.status_code in (200, 204)
            await asyncio.wait_for(_until(lambda: ada.closed_for_good is not None), 10)
            assert ada.closed_for_good.code == "removed"
            again = LiveClient(live_server.url, r.workshop, token=joined.token, reconnect=False)
            with pytest.raises(ClientClosed) as refused:
                await again.start()
            assert refused.value.code == "forbidden"
            await again.close()
        finally:
            await ada.close()


async def test_areas_and_cards_must_exist_in_the_library(live_server):
    async with room(live_server) as r:
        _, ada = await r.join("Ada")
        try:
            await r.facilitator.command({"type": "workshop.start"})
            jumped = await r.facilitator.command({"type": "step.jump", "index": 7})  # formats
            assert isinstance(jumped, Ack)
            await settle(ada, seq=jumped.last_seq)
            card = {"type": "card.place", "deck_id": "peer-learning-methods", "area": "formats"}
            refused = [
                {**card, "item_id": "c-1", "card_id": "no-such-card"},
                {**card, "item_id": "c-2", "card_id": "x", "deck_id": "no-such-deck"},
                {"type": "note.post", "item_id": "n-1", "text": "Hallo", "area": "nowhere"},
            ]
            for command in refused:
                answer = await ada.command(command)
                assert isinstance(answer, Error) and answer.code == "invalid_argument", command
            async with httpx.AsyncClient(base_url=live_server.url) as http:
                deck = (await http.get("/api/library/peer-learning-methods")).json()
            placed = await ada.command(
                {**card, "item_id": "c-3", "card_id": deck["cards"][0]["id"]}
            )
            posted = await ada.command(
                {"type": "note.post", "item_id": "n-2", "text": "Hallo", "area": "hurdles"}
            )
            assert isinstance(placed, Ack) and isinstance(posted, Ack)
            assert set(ada.view["items"]) == {"c-3", "n-2"}
        finally:
            await ada.close()
