"""Participants in a real Chromium: joining by code, the live room, notes between browsers.

The facilitator drives the demo workshop with the Python client (``app.client.LiveClient``);
each participant is a separate browser context at phone width (360 px). Every request each
page makes is recorded and must stay on the server's own origin; console errors (which
include Content Security Policy violations) fail the test.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from app.client import LiveClient
from app.store import Store
from tests.browser.support import join_by_code, visitor
from tests.conftest import LiveServer
from tests.live.support import ack, dump, fresh_server_now, room, settle_all

pytestmark = pytest.mark.browser

CAPTURE_STEP = 2  # check-in/capture in the reference agenda: alone, plenary, notes allowed
COUNTDOWN_TOLERANCE_S = 1.0
# Adds an inline script to the page (evaluate itself is exempt from the policy; the script
# element it adds is not) and tells whether it ran.
INLINE_SCRIPT_PROBE = """() => {
  const script = document.createElement("script");
  script.textContent = "window.inlineRan = true";
  document.body.append(script);
  return window.inlineRan === true;
}"""


async def start_at_capture(facilitator: LiveClient) -> None:
    """Start the workshop and jump to the step where everyone writes notes in the plenary."""
    await ack(facilitator, {"type": "workshop.start"})
    await ack(facilitator, {"type": "step.jump", "index": CAPTURE_STEP})


def countdown_seconds(text: str) -> int:
    """``m:ss`` as seconds."""
    match = re.fullmatch(r"(\d+):(\d\d)", text.strip())
    assert match, f"not a countdown: {text!r}"
    return int(match[1]) * 60 + int(match[2])


async def assert_countdown_matches_server(page: Page, facilitator: LiveClient) -> None:
    """At a few moments (not only right after a message), the page's countdown is within a
    second of the deadline minus the server's time now."""
    for _ in range(3):
        deadline = datetime.fromisoformat(facilitator.view["workshop"]["main"]["deadline"])
        server_left = (deadline - await fresh_server_now(facilitator)).total_seconds()
        page_left_ms = float(
            await page.locator("#countdown").get_attribute("data-remaining-ms") or "nan"
        )
        shown = countdown_seconds(await page.locator("#countdown").inner_text())
        assert abs(page_left_ms / 1000 - server_left) < COUNTDOWN_TOLERANCE_S
        assert abs(shown - server_left) <= COUNTDOWN_TOLERANCE_S + 0.5  # shown rounded up
        await page.wait_for_timeout(600)


async def test_participant_joins_by_code_and_sees_the_step_with_a_server_countdown(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """Joining through the page leads to the room, which follows the facilitator's steps
    and counts down from the server's deadline within a second of the server's clock."""
    origin = page_server.url
    ada = await visitor(browser, origin)
    async with room(page_server) as r:
        await ada.page.goto(f"{origin}/join?lang=de")
        await ada.shot(artifacts, "join-code-de")
        room_path = await join_by_code(ada, origin, r.code, "Ada", "de", artifacts)
        assert room_path == f"/room/{r.workshop}"
        page = ada.page
        await expect(page.locator("#phase")).to_have_text("Der Workshop hat noch nicht begonnen.")
        await ada.shot(artifacts, "room-lobby-de")
        reloaded = await page.reload()  # the token stays in localStorage
        assert reloaded is not None
        assert "script-src 'self'" in reloaded.headers["content-security-policy"]
        await expect(page.locator("#connection")).to_have_attribute("data-state", "online")
        inline_ran = await page.evaluate(INLINE_SCRIPT_PROBE)
        assert inline_ran is False, "the policy let an inline script run"
        csp_reports = [e for e in ada.guard.console_errors if "Content Security Policy" in e]
        assert csp_reports, "the blocked inline script was not reported"
        ada.guard.console_errors = [e for e in ada.guard.console_errors if e not in csp_reports]

        await start_at_capture(r.facilitator)
        step = r.facilitator.view["plan"][str(CAPTURE_STEP)]
        await expect(page.locator("#step-title")).to_have_text(step["title"]["de"])
        await expect(page.locator("#step-prompt")).to_have_text(step["prompt"]["de"])
        await expect(page.locator("#connection")).to_have_attribute("data-state", "online")

        await assert_countdown_matches_server(page, r.facilitator)
        await ack(r.facilitator, {"type": "step.extend", "seconds": 300})
        await expect(page.locator("#countdown")).to_have_text(re.compile(r"^[67]:\d\d$"))
        await assert_countdown_matches_server(page, r.facilitator)
        await ada.shot(artifacts, "room-step-de")
    ada.guard.check()
    await ada.context.close()


async def test_a_note_from_one_browser_appears_in_the_other_as_plain_text(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """Two people in separate browsers (one German, one English) share the plenary board:
    a note posted in one page appears in the other, its markup shown as text."""
    origin = page_server.url
    ada = await visitor(browser, origin, locale="en-GB")
    ben = await visitor(browser, origin)
    async with room(page_server) as r:
        await ack(
            r.facilitator, {"type": "workshop.configure", "join_attributes": ["organisation"]}
        )
        await join_by_code(ada, origin, r.code, "Ada", "en", artifacts, {"organisation": "ACME"})
        await expect(ada.page.locator("#items")).to_be_attached()
        await join_by_code(ben, origin, r.code, "Ben", "de")
        await start_at_capture(r.facilitator)
        attributes = {p["name"]: p["attributes"] for p in r.facilitator.view["people"].values()}
        assert attributes == {"Ada": {"organisation": "ACME"}, "Ben": {}}
        step = r.facilitator.view["plan"][str(CAPTURE_STEP)]
        await expect(ada.page.locator("#step-title")).to_have_text(step["title"]["en"])
        await expect(ben.page.locator("#step-title")).to_have_text(step["title"]["de"])

        hostile = '<b id="injected">bold</b> & <img src=x onerror=alert(1)>'
        await ada.page.get_by_label("Note").fill(hostile)
        await ada.page.get_by_role("button", name="Post note").click()
        for person in (ada, ben):
            items = person.page.locator("#items li.item:not(.pending) p").first
            await expect(items).to_have_text(hostile)
            assert await person.page.locator("#injected").count() == 0
            assert await person.page.locator("#items img").count() == 0
        await expect(ben.page.locator("#items li.item .meta")).to_have_text("Ada")
        assert any(hostile == item["text"] for item in r.facilitator.view["items"].values())

        await ben.page.get_by_label("Notiz").fill("Mehr Pausen")
        await ben.page.keyboard.press("Tab")  # the button is reachable by keyboard
        await ben.page.keyboard.press("Enter")
        await expect(ada.page.locator("#items li.item:not(.pending)")).to_have_count(2)
        await ada.shot(artifacts, "room-board-en")
        await ben.shot(artifacts, "room-board-de")
    for person in (ada, ben):
        person.guard.check()
        await person.context.close()


async def test_join_page_renders_in_german_and_english(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """The join page speaks the browser's language by default and switches with its link."""
    origin = page_server.url
    person = await visitor(browser, origin, locale="en-US")
    page = person.page
    await page.goto(f"{origin}/join")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_have_text("Join a workshop")
    await person.shot(artifacts, "join-en")
    await page.get_by_role("link", name="Deutsch").click()
    await expect(page.locator("h1")).to_have_text("Workshop beitreten")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await page.goto(f"{origin}/join")  # remembered in a cookie
    await expect(page.locator("h1")).to_have_text("Workshop beitreten")
    await person.shot(artifacts, "join-de")
    await page.get_by_label("Beitrittscode").fill("AAAAA-AAAAA")
    await page.keyboard.press("Enter")
    await expect(page.locator("#join-error")).to_have_text(
        "Diesen Code oder Link kennen wir nicht."
    )
    workshop = Store(page_server.settings.database_url)
    try:
        workshop_id = workshop.workshop_ids()[0]
    finally:
        workshop.close()
    await page.goto(f"{origin}/room/{workshop_id}")  # never joined in this browser
    await expect(page.locator("#no-token")).to_be_visible()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "closed")
    await expect(page.get_by_role("link", name="Zum Beitritt")).to_have_attribute("href", "/join")
    # a refused look-up is logged by Chromium as a failed resource load: expected here
    person.guard.console_errors = [
        error for error in person.guard.console_errors if "404" not in error
    ]
    person.guard.check()
    await person.context.close()


def person_id(view: dict[str, dict[str, Any]], name: str) -> str:
    """The participant id of ``name`` in a facilitator's view."""
    return next(pid for pid, person in view["people"].items() if person["name"] == name)


def group_of(view: dict[str, dict[str, Any]], pid: str) -> str:
    """The id of the group ``pid`` is in, by a facilitator's view."""
    return next(gid for gid, group in view["groups"].items() if pid in group.get("members", []))


async def test_a_group_note_reaches_group_mates_and_never_another_groups_page(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """In a breakout step, a note posted in Ada's page reaches her group-mates and not Ben's
    page in the other group, even after Ben's page has seen a later event."""
    origin = page_server.url
    ada = await visitor(browser, origin)
    ben = await visitor(browser, origin, locale="en-GB")
    async with room(page_server) as r:
        await join_by_code(ada, origin, r.code, "Ada", "de")
        await join_by_code(ben, origin, r.code, "Ben", "en")
        others = [await r.join(f"P{i}") for i in range(6)]  # eight people: two groups of four
        plan = r.facilitator.view["plan"]
        step = next(
            int(index)
            for index, entry in plan.items()
            if (entry["structure_id"], entry["step_id"]) == ("breakout-work", "challenge")
        )
        await ack(r.facilitator, {"type": "workshop.start"})
        await ack(r.facilitator, {"type": "step.jump", "index": step})
        view = r.facilitator.view
        ada_id, ben_id = person_id(view, "Ada"), person_id(view, "Ben")
        ada_group = group_of(view, ada_id)
        if group_of(view, ben_id) == ada_group:
            other = next(gid for gid in view["groups"] if gid != ada_group)
            await ack(
                r.facilitator,
                {"type": "breakouts.move", "participant_id": ben_id, "group_id": other},
            )
        await expect(ada.page.locator("#step-title")).to_have_text(plan[str(step)]["title"]["de"])
        await expect(ben.page.locator("#step-title")).to_have_text(plan[str(step)]["title"]["en"])

        secret = "[[only-for-adas-group]]"
        await ada.page.get_by_label("Notiz").fill(secret)
        await ada.page.get_by_role("button", name="Notiz anheften").click()
        await expect(ada.page.locator("#items li.item:not(.pending) p").first).to_have_text(secret)
        later = "[[bens-group]]"
        await ben.page.get_by_label("Note").fill(later)
        await ben.page.get_by_role("button", name="Post note").click()
        await expect(ben.page.locator("#items li.item:not(.pending) p").first).to_have_text(later)
        await ben.shot(artifacts, "room-group-en")
        await ada.shot(artifacts, "room-group-de")
        assert secret not in await ben.page.content()
        assert later not in await ada.page.content()

        seq = await settle_all([r.facilitator, *(client for _, client in others)])
        mates = set(r.facilitator.view["groups"][ada_group]["members"])
        for joined, client in others:
            assert (secret in dump(client)) == (joined.participant_id in mates), joined.name
        for _, client in others:
            await client.close()
        assert seq > 0
    for person in (ada, ben):
        person.guard.check()
        await person.context.close()
