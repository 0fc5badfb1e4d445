"""A participant downloads their own canvas, check-out answers and notes, and nobody else's."""

from __future__ import annotations

import httpx

from app.protocol import Ack
from tests.live.support import room, settle


async def _ok(client, command) -> Ack:
    answer = await client.command(command)
    assert isinstance(answer, Ack), (command, answer)
    return answer


async def test_the_takeaway_holds_my_own_work_only(live_server):
    async with room(live_server) as r:
        ada_joined, ada = await r.join("Ada")
        ben_joined, ben = await r.join("Ben")
        try:
            await _ok(r.facilitator, {"type": "workshop.start"})
            for index in (3, 16, 18, 19):  # notes, canvas idea, milestones, check-out
                moved = await _ok(r.facilitator, {"type": "step.jump", "index": index})
                await settle(ada, ben, seq=moved.last_seq)
                if index == 3:
                    await _ok(ada, {"type": "note.post", "item_id": "n-ada", "text": "Ada *note*"})
                    await _ok(ben, {"type": "note.post", "item_id": "n-ben", "text": "Ben note"})
                if index == 16:
                    idea = {"type": "canvas.update", "idea": "Lernpaten <b>", "goal": "Ada goal"}
                    await _ok(ada, idea)
                    await _ok(ben, {"type": "canvas.update", "idea": "Ben idea"})
                if index == 18:
                    milestone = {
                        "type": "canvas.set_milestone",
                        "milestone_id": "m1",
                        "what": "Erstes Treffen",
                        "by_when": (ada.server_now().date().replace(year=2027)).isoformat(),
                        "how_measured": "Protokoll",
                    }
                    await _ok(ada, milestone)
                if index == 19:
                    answer = {"type": "reflection.submit", "question": "take_away", "text": "Mut"}
                    await _ok(ada, answer)
            async with httpx.AsyncClient(base_url=live_server.url) as http:
                mine = await http.get(
                    "/api/takeaway.json", headers={"Authorization": f"Bearer {ada_joined.token}"}
                )
                assert mine.status_code == 200, mine.text
                body = mine.json()
                assert body["name"] == "Ada"
                assert (body["canvas"]["idea"], body["canvas"]["goal"]) == (
                    "Lernpaten <b>",
                    "Ada goal",
                )
                assert body["canvas"]["milestones"][0]["what"] == "Erstes Treffen"
                assert body["reflections"]["take_away"]["text"] == "Mut"
                assert body["notes"] == ["Ada *note*"]
                assert "Ben" not in mine.text
                markdown = await http.get(
                    "/api/takeaway.md", headers={"Authorization": f"Bearer {ada_joined.token}"}
                )
                assert markdown.status_code == 200
                assert "Lernpaten \\<b\\>" in markdown.text and "Ada \\*note\\*" in markdown.text
                assert "<b>" not in markdown.text and "Ben" not in markdown.text
                theirs = await http.get(
                    "/api/takeaway.json", headers={"Authorization": f"Bearer {ben_joined.token}"}
                )
                assert "Ada" not in theirs.text and "Lernpaten" not in theirs.text
                for headers in ({}, {"Authorization": "Bearer nope"}):
                    refused = await http.get("/api/takeaway.json", headers=headers)
                    assert refused.status_code == 401
                    assert refused.json()["detail"]["code"] == "not_authenticated"
                owner = await http.get(
                    "/api/takeaway.json", headers={"Authorization": f"Bearer {r.session}"}
                )
                assert owner.status_code == 401  # a facilitator session is no participant token
        finally:
            await ada.close()
            await ben.close()
