"""The participant room before the start and for one's own data, in a real Chromium:
pre-work notes in the lobby with the board's areas, downloading one's takeaway, and erasing
one's contributions (they vanish from the other pages and the facilitators' view)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Dialog, expect

from app.web.auth import SESSION_COOKIE
from tests.browser.test_participant_room_features import CAPTURE, pair
from tests.conftest import LiveServer
from tests.live.support import settle_all

pytestmark = pytest.mark.browser


def accept_dialogs(dialogs: list[str]) -> Callable[[Dialog], Awaitable[None]]:
    """A dialog handler that records each question and confirms it."""

    async def handle(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.accept()

    return handle


async def test_pre_work_notes_are_written_in_the_lobby_into_the_boards_areas(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """With the pre-work structure as the first step, people who joined write into its
    areas before the start; the others see the note with its area, in their language."""
    async with pair(browser, page_server) as p:
        cookies = {SESSION_COOKIE: p.room.session}
        async with httpx.AsyncClient(base_url=page_server.url, cookies=cookies) as http:
            answer = await http.post(
                f"/api/workshops/{p.room.workshop}/plan/steps",
                json={"source_id": "pre-work", "index": 0},
            )
            assert answer.status_code in (200, 201), answer.text
        ada, ben = p.ada.page, p.ben.page
        await expect(ada.locator("#phase")).to_be_visible()  # still the lobby
        await expect(ada.locator("#step-title")).to_contain_text("Mitgebrachtes ansehen")
        await expect(ben.locator("#step-title")).to_contain_text("Look at what was brought")
        area = ada.get_by_label("Bereich")
        await expect(area.locator("option")).to_have_text(["Erfahrungen", "Fragen"])
        await area.select_option(label="Fragen")
        await ada.get_by_label("Notiz").fill("[[prework]] Wie fangen wir klein an?")
        await ada.get_by_role("button", name="Notiz anheften").click()

        note = ben.locator("li.item", has_text="[[prework]]")
        await expect(note).to_be_visible()
        await expect(note.locator(".area")).to_have_text("Questions")
        await settle_all([p.facilitator])
        items = [
            item
            for item in p.facilitator.view["items"].values()
            if "[[prework]]" in str(item.get("text"))
        ]
        assert [(item["step_index"], item["area"]) for item in items] == [(0, "questions")]
        assert p.facilitator.view["workshop"]["main"]["phase"] == "lobby"
        await p.ada.shot(artifacts, "room-prework-de")


async def test_a_participant_downloads_the_takeaway_and_erases_their_contributions(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """Ada's takeaway downloads as Markdown and JSON with her note in it; after she deletes
    her contributions (and confirms), the note is gone from Ben's page and the facilitators'
    view, and Ada is still in the workshop."""
    async with pair(browser, page_server) as p:
        await p.jump(CAPTURE)
        ada, ben = p.ada.page, p.ben.page
        await ada.get_by_label("Notiz").fill("[[mine]] Mentoring über Abteilungen hinweg")
        await ada.get_by_role("button", name="Notiz anheften").click()
        await expect(ben.locator("li.item", has_text="[[mine]]")).to_be_visible()

        async with ada.expect_download() as markdown_download:
            await ada.get_by_role("button", name="Mitnehmen (Markdown)").click()
        markdown = Path(await (await markdown_download.value).path()).read_text("utf-8")
        assert r"- \[\[mine\]\] Mentoring über Abteilungen hinweg" in markdown  # escaped
        async with ada.expect_download() as json_download:
            await ada.get_by_role("button", name="Mitnehmen (JSON)").click()
        bundle = json.loads(Path(await (await json_download.value).path()).read_text("utf-8"))
        assert "[[mine]]" in json.dumps(bundle, ensure_ascii=False)

        dialogs: list[str] = []
        ada.on("dialog", accept_dialogs(dialogs))
        await ada.get_by_role("button", name="Meine Beiträge löschen").click()
        await expect(ada.locator("#my-data-status")).to_have_text("Ihre Beiträge sind gelöscht.")
        assert len(dialogs) == 1 and "endgültig" in dialogs[0]
        await expect(ben.locator("li.item", has_text="[[mine]]")).to_have_count(0)
        await expect(ada.locator("li.item", has_text="[[mine]]")).to_have_count(0)
        await settle_all([p.facilitator])
        assert "[[mine]]" not in json.dumps(p.facilitator.view, ensure_ascii=False)
        ada_id = p.person("Ada")
        assert ada_id in p.facilitator.view["people"]  # she stays in the workshop
        await expect(ada.locator("#connection")).to_have_attribute("data-state", "online")
        await p.ada.shot(artifacts, "room-my-data-de")
