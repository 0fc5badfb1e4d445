"""The plenary screen in a real Chromium: what a facilitator shares with the whole room.

The facilitator's browser carries the session cookie; participants are Python clients in
two breakout groups. The screen counts down from the server's deadline, shows the prompt
and the harvested board (plenary clusters, then each group's harvested notes), dots only
once revealed, poll results only once shown to the room, and never a person's name, a
facilitator's e-mail, a hidden note or a group's unharvested notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from app.client import LiveClient
from app.web.auth import SESSION_COOKIE
from tests.browser.support import PHONE_VIEWPORT, UI_TIMEOUT_MS, OriginGuard
from tests.browser.test_participant_room import assert_countdown_matches_server
from tests.conftest import LiveServer
from tests.live.support import OWNER_EMAIL, ack, room

pytestmark = pytest.mark.browser

CHALLENGE = 6  # breakout groups write notes (structure breakout-work)
DECIDE = 9  # the same structure: groups give two dots each
SCREEN = {"width": 1280, "height": 800}
NAMES = [f"Zora{chr(ord('A') + n)} Zimmermann" for n in range(8)]


def group_of(view: dict[str, dict[str, Any]], pid: str) -> str:
    """The breakout group ``pid`` sits in, by a facilitator's view."""
    return next(gid for gid, group in view["groups"].items() if pid in group.get("members", []))


async def post(client: LiveClient, item_id: str, text: str) -> None:
    """A participant's note in their group."""
    await ack(client, {"type": "note.post", "item_id": item_id, "text": text})


async def test_plenary_screen_shows_timer_prompt_and_only_the_harvested_board(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    origin = page_server.url
    async with room(page_server) as r:
        people = [await r.join(name) for name in NAMES]
        clients = {joined.participant_id: client for joined, client in people}
        await ack(r.facilitator, {"type": "workshop.start"})
        await ack(r.facilitator, {"type": "step.jump", "index": CHALLENGE})
        view = r.facilitator.view
        groups = sorted({group_of(view, pid) for pid in clients})
        assert len(groups) == 2
        first, second = groups
        in_first = [pid for pid in clients if group_of(view, pid) == first]
        in_second = [pid for pid in clients if group_of(view, pid) == second]
        await post(clients[in_first[0]], "n-harvested", "[[first-group-result]]")
        await post(clients[in_first[1]], "n-clustered", "[[in-a-plenary-cluster]]")
        await post(clients[in_first[2]], "n-hidden", "[[hidden-by-moderation]]")
        await post(clients[in_second[0]], "n-kept", "[[second-group-only]]")
        await ack(r.facilitator, {"type": "item.hide", "item_id": "n-hidden", "reason": "off"})
        await ack(r.facilitator, {"type": "board.harvest", "group_ids": [first]})
        await ack(
            r.facilitator, {"type": "cluster.create", "cluster_id": "k-time", "title": "Zeit"}
        )
        await ack(
            r.facilitator, {"type": "note.move", "item_id": "n-clustered", "cluster_id": "k-time"}
        )

        context = await browser.new_context(viewport=SCREEN, locale="de-DE")  # type: ignore[arg-type]
        context.set_default_timeout(UI_TIMEOUT_MS)
        guard = OriginGuard(origin)
        guard.attach(context)
        await context.add_cookies([{"name": SESSION_COOKIE, "value": r.session, "url": origin}])
        page = await context.new_page()
        await page.goto(f"{origin}/plenary/{r.workshop}")
        await expect(page.locator("#connection")).to_have_attribute("data-state", "online")
        step = r.facilitator.view["plan"][str(CHALLENGE)]
        await expect(page.locator("#step-title")).to_have_text(step["title"]["de"])
        await expect(page.locator("#step-prompt")).to_have_text(step["prompt"]["de"])
        await assert_countdown_matches_server(page, r.facilitator)

        cluster = page.locator('#board section[data-cluster-id="k-time"]')
        await expect(cluster.locator("h3")).to_have_text("Zeit")
        await expect(cluster.locator("li")).to_have_text(["[[in-a-plenary-cluster]]"])
        own = page.locator(f'#board section[data-scope="{first}"]')
        await expect(own.locator("h3")).to_have_text(f"Gruppe {first.rsplit('-g', 1)[1]}")
        await expect(own.locator("li")).to_have_text(["[[first-group-result]]"])
        content = await page.content()
        for secret in ("[[hidden-by-moderation]]", "[[second-group-only]]", OWNER_EMAIL, *NAMES):
            assert secret not in content, secret
        assert await page.locator("#board .dots").count() == 0

        await ack(r.facilitator, {"type": "step.jump", "index": DECIDE})
        await expect(page.locator("#step-title")).to_have_text(
            r.facilitator.view["plan"][str(DECIDE)]["title"]["de"]
        )
        voter = clients[in_second[0]]
        await ack(voter, {"type": "vote.cast", "item_id": "n-harvested"})
        await ack(voter, {"type": "vote.cast", "item_id": "n-harvested"})
        await ack(
            r.facilitator,
            {
                "type": "poll.open",
                "poll_id": "p-next",
                "question": "Weiter so?",
                "options": ["ja", "nein"],
            },
        )
        for client in list(clients.values())[:3]:
            await ack(client, {"type": "poll.answer", "poll_id": "p-next", "choices": [0]})
        await r.facilitator.wait_until(lambda v: v["polls"]["p-next"]["answered"] == 3)
        assert await page.locator("#board .dots").count() == 0  # not before the reveal
        assert await page.locator("#poll-results").is_hidden()

        await ack(r.facilitator, {"type": "votes.reveal"})
        await ack(r.facilitator, {"type": "poll.reveal", "poll_id": "p-next"})
        harvested = page.locator('#board li[data-item-id="n-harvested"] .dots')
        await expect(harvested).to_have_text("2 Punkte")
        await expect(page.locator("#poll-results li")).to_have_text(["ja: 3", "nein: 0"])
        await ack(r.facilitator, {"type": "breakouts.broadcast", "text": "Gleich geht es weiter"})
        await expect(page.locator("#broadcast-text")).to_have_text("Gleich geht es weiter")
        await page.screenshot(path=str(artifacts / "plenary-de.png"), full_page=True)

        await page.goto(f"{origin}/plenary/{r.workshop}?lang=en")
        await expect(page.locator("#step-title")).to_have_text(
            r.facilitator.view["plan"][str(DECIDE)]["title"]["en"]
        )
        await expect(harvested).to_have_text("2 dots")
        await page.set_viewport_size(PHONE_VIEWPORT)  # type: ignore[arg-type]
        await page.screenshot(path=str(artifacts / "plenary-en-360.png"), full_page=True)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_VIEWPORT["width"], "the screen scrolls sideways at 360 px"
        for _, client in people:
            await client.close()
    guard.check()
    await context.close()
