"""The participant room's working parts in a real Chromium: Wicked Questions with dots and
their ranking, polls, the private canvas and its explicit sharing, check-out reflections,
asking for help, clusters and method cards, video links and the facilitators' broadcasts.

The facilitator is the Python client (``app.client.LiveClient``); participants are separate
browser contexts at phone width (360 px), one German and one English. Every request each
page makes must stay on the server's origin, and console errors fail the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from app.client import LiveClient
from tests.browser.support import Visitor, join_by_code, visitor
from tests.conftest import LiveServer
from tests.live.support import Room, ack, dump, room, settle_all

pytestmark = pytest.mark.browser

# Steps of the reference agenda (peer-learning-kickoff), by what they allow participants.
CAPTURE = 2  # alone, plenary notes
CHALLENGE = 6  # breakout groups, notes
ASSESS = 8  # breakout groups, notes, method cards of a deck, clusters
WICKED_GROUP = 12  # breakout groups, Wicked Questions
WICKED_REFINE = 15  # all together, Wicked Questions, three dots each
CANVAS_IDEA = 16  # alone, canvas
REFLECT = 19  # alone, anonymous, check-out reflections and polls
HOSTILE = '<b id="injected">x</b> & <img src=x onerror=alert(1)>'


@dataclass
class Pair:
    """Ada (German page) and Ben (English page) in one workshop, and its facilitator."""

    room: Room
    ada: Visitor
    ben: Visitor

    @property
    def facilitator(self) -> LiveClient:
        return self.room.facilitator

    def person(self, name: str) -> str:
        """A participant's id, from the facilitator's view."""
        people = self.facilitator.view["people"]
        return next(pid for pid, person in people.items() if person["name"] == name)

    async def jump(self, index: int) -> None:
        """Start the workshop if needed and go to step ``index``; wait for both pages."""
        if self.facilitator.view["workshop"]["main"]["phase"] == "lobby":
            await ack(self.facilitator, {"type": "workshop.start"})
        await ack(self.facilitator, {"type": "step.jump", "index": index})
        title = self.facilitator.view["plan"][str(index)]["title"]
        await expect(self.ada.page.locator("#step-title")).to_have_text(title["de"])
        await expect(self.ben.page.locator("#step-title")).to_have_text(title["en"])


@asynccontextmanager
async def pair(browser: Browser, server: LiveServer) -> AsyncIterator[Pair]:
    """Two people who joined through the join page; their guards are checked at the end."""
    origin = server.url
    ada = await visitor(browser, origin)
    ben = await visitor(browser, origin, locale="en-GB")
    async with room(server) as r:
        await join_by_code(ada, origin, r.code, "Ada", "de")
        await join_by_code(ben, origin, r.code, "Ben", "en")
        yield Pair(r, ada, ben)
    for person in (ada, ben):
        person.guard.check()
        await person.context.close()


def group_of(view: dict[str, dict[str, Any]], pid: str) -> str:
    """The breakout group ``pid`` sits in, by a facilitator's view."""
    return next(gid for gid, group in view["groups"].items() if pid in group.get("members", []))


async def test_wicked_questions_are_posed_voted_and_ranked_once_revealed(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """A question posed in one page reaches the other in its language; dots are counted
    at once in the voter's page, and the ranking with the dots shows after the reveal."""
    async with pair(browser, page_server) as p:
        await p.jump(WICKED_REFINE)
        ada, ben = p.ada.page, p.ben.page
        await ada.get_by_label("Wie können wir …").fill("schnell entscheiden")
        await ada.get_by_label("… und zugleich …").fill("alle mitnehmen")
        await ada.get_by_role("button", name="Frage stellen").click()
        await ben.get_by_label("How can we …", exact=True).fill(HOSTILE)
        await ben.get_by_label("… and at the same time …").fill("stay calm")
        await ben.get_by_role("button", name="Pose question").click()
        ada_question = "How can we schnell entscheiden and at the same time alle mitnehmen?"
        ben_question = f"Wie können wir {HOSTILE} und zugleich stay calm?"
        await expect(ben.locator("#questions li.item:not(.pending) .question")).to_have_count(2)
        await expect(ben.locator("#questions .question").first).to_have_text(ada_question)
        await expect(ada.locator("#questions .question").nth(1)).to_have_text(ben_question)
        assert await ada.locator("#injected").count() == 0

        await expect(ada.locator("#dots-left")).to_have_text("3 Punkte übrig")
        bens_entry = ada.locator("#questions li.item").nth(1)
        await bens_entry.get_by_role("button", name="Punkt geben (0)").click()
        await expect(ada.locator("#dots-left")).to_have_text("2 Punkte übrig")
        await bens_entry.get_by_role("button", name="Punkt geben (1)").click()
        await expect(bens_entry.get_by_role("button", name="Punkt geben (2)")).to_be_visible()
        await bens_entry.get_by_role("button", name="Punkt zurücknehmen").click()
        await expect(bens_entry.get_by_role("button", name="Punkt geben (1)")).to_be_visible()
        await bens_entry.get_by_role("button", name="Punkt geben (1)").press("Enter")  # keyboard
        await expect(ada.locator("#dots-left")).to_have_text("1 Punkt übrig")
        # the re-rendered button keeps the keyboard focus
        await expect(bens_entry.get_by_role("button", name="Punkt geben (2)")).to_be_focused()
        await (
            ben.locator("#questions li.item")
            .nth(1)
            .get_by_role("button", name="Give a dot (0)")
            .click()
        )
        await expect(ben.locator("#dots-left")).to_have_text("2 dots left")
        await expect(ben.locator("#ranking-note")).to_be_hidden()
        assert await ben.locator("#questions .dots").count() == 0  # no tallies before the reveal

        await ack(p.facilitator, {"type": "votes.reveal"})
        ben_question_en = f"How can we {HOSTILE} and at the same time stay calm?"
        for page, first, note in (
            (ada, ben_question, "Rangfolge"),
            (ben, ben_question_en, "Ranked"),
        ):
            await expect(page.locator("#ranking-note")).to_contain_text(note)
            await expect(page.locator("#questions .question").first).to_have_text(first)
            await expect(page.locator("#dots-left")).to_be_hidden()
        await expect(ben.locator("#questions li.item").first.locator(".dots")).to_have_text(
            "3 dots"
        )
        await expect(ada.locator("#questions li.item").nth(1)).not_to_contain_text("Punkte")
        await p.ada.shot(artifacts, "room-wicked-de")
        await p.ben.shot(artifacts, "room-wicked-en")


async def test_a_poll_is_answered_and_its_results_show_once_revealed(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """An anonymous poll opened by the facilitator is answered from the page by keyboard;
    the page shows no tallies until the facilitator reveals them."""
    async with pair(browser, page_server) as p:
        await p.jump(CAPTURE)
        await ack(
            p.facilitator,
            {
                "type": "poll.open",
                "poll_id": "p-energy",
                "question": "Wie viel Energie haben Sie?",
                "options": ["viel", "wenig", HOSTILE],
            },
        )
        ada, ben = p.ada.page, p.ben.page
        await expect(ada.locator("#polls h3")).to_have_text("Wie viel Energie haben Sie?")
        await expect(ada.locator("#polls .poll .meta").first).to_contain_text("anonym")
        await ada.get_by_label("viel", exact=True).check()
        await ada.get_by_role("button", name="Antworten").click()
        await expect(ada.get_by_text("Ihre Antwort ist gespeichert.")).to_be_visible()
        await ben.get_by_label(HOSTILE).focus()
        await ben.keyboard.press("Space")
        await ben.keyboard.press("Tab")
        await ben.keyboard.press("Enter")
        await expect(ben.get_by_text("Your answer is saved.")).to_be_visible()
        await p.facilitator.wait_until(lambda v: v["polls"]["p-energy"]["answered"] == 2)
        assert await ada.locator("#polls ul.results").count() == 0

        await ada.get_by_label("wenig", exact=True).check()  # a changed answer replaces
        await ada.get_by_role("button", name="Antwort ändern").click()
        await expect(ada.locator('#polls .poll[aria-busy="true"]')).to_have_count(0)  # acked
        await ack(p.facilitator, {"type": "poll.reveal", "poll_id": "p-energy"})
        for page in (ada, ben):
            results = page.locator("#polls ul.results li")
            await expect(results).to_have_text(["viel: 0", "wenig: 1", f"{HOSTILE}: 1"])
            assert await page.locator("#injected").count() == 0
        await expect(ada.locator("#polls form")).to_have_count(0)  # anonymous: no change now
        await p.ada.shot(artifacts, "room-poll-de")


async def test_the_canvas_stays_private_until_its_owner_shares_it(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """Ada fills idea, goal and a milestone; neither her group-mate's page nor the
    facilitator sees it until she ticks "my group", and it leaves again when she unticks."""
    async with pair(browser, page_server) as p:
        await p.jump(CANVAS_IDEA)
        ada, ben = p.ada.page, p.ben.page
        await expect(ada.locator("#canvas-privacy")).to_have_text("Nur Sie sehen Ihren Canvas.")
        idea = "[[adas-idea]] Lernzirkel für Azubis"
        await ada.get_by_label("Idee", exact=True).fill(idea)
        await ada.get_by_label("Ziel", exact=True).fill("Jede Woche eine Stunde")
        await ada.get_by_role("button", name="Idee und Ziel speichern").click()
        await ada.get_by_label("Was", exact=True).fill("Erster Termin")
        await ada.get_by_label("Bis wann").fill("2030-03-31")
        await ada.get_by_label("Woran gemessen").fill("Termin im Kalender")
        await ada.get_by_role("button", name="Meilenstein hinzufügen").click()
        await expect(ada.locator("#milestones li")).to_have_count(1)
        await expect(ada.locator("#milestones li p").first).to_have_text("Erster Termin")
        await expect(ada.get_by_label("Idee", exact=True)).to_have_value(idea)
        await expect(
            ada.locator("#canvas-sharing").get_by_label("meiner Gruppe")
        ).to_be_disabled()  # nobody to share with

        await p.jump(WICKED_GROUP)  # now Ada and Ben sit in one breakout group
        view = p.facilitator.view
        assert group_of(view, p.person("Ada")) == group_of(view, p.person("Ben"))
        await settle_all([p.facilitator])
        assert "adas-idea" not in dump(p.facilitator)
        assert "adas-idea" not in await ben.content()
        await expect(ada.locator("#canvas")).to_be_visible()  # an existing canvas stays editable
        await p.ada.shot(artifacts, "room-canvas-private-de")

        await ada.locator("#canvas-sharing").get_by_label("meiner Gruppe").check()
        await expect(ada.locator("#canvas-privacy")).to_have_text("Geteilt mit: meiner Gruppe")
        shared = ben.locator("#shared-canvases article")
        await expect(shared).to_contain_text(idea)
        await expect(shared).to_contain_text("Erster Termin")
        await expect(shared.locator("h3")).to_have_text("Canvas of Ada")
        await p.ben.shot(artifacts, "room-canvas-shared-en")

        await ada.locator("#canvas-sharing").get_by_label("meiner Gruppe").uncheck()
        await expect(ben.locator("#shared-canvases article")).to_have_count(0)
        await expect(ada.locator("#canvas-privacy")).to_have_text("Nur Sie sehen Ihren Canvas.")
        assert "adas-idea" not in await ben.content()


async def test_check_out_answers_are_private_until_shared_and_anonymous_in_the_room(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """In the anonymous check-out step Ada answers the three questions; shared with the
    plenary, Ben's page shows her answer without her name."""
    async with pair(browser, page_server) as p:
        await p.jump(REFLECT)
        ada, ben = p.ada.page, p.ben.page
        answers = {
            "Was fand ich spannend?": "[[exciting]] die Methodenkarten",
            "Worüber möchte ich mehr erfahren?": "Reverse Mentoring",
            "Was nehme ich mit und setze es um?": "Lernzirkel starten",
        }
        for question, text in answers.items():
            await ada.get_by_label(question).fill(text)
            form = ada.locator("form.reflection", has=ada.get_by_label(question))
            await form.get_by_role("button", name="Antwort speichern").click()
            await expect(form.get_by_label("dem Plenum")).to_be_enabled()  # saved: shareable
        first = ada.locator('form.reflection[data-question="exciting"]')
        await settle_all([p.facilitator])
        assert "[[exciting]]" not in await ben.content()
        assert "[[exciting]]" not in dump(p.facilitator)

        await first.get_by_label("dem Plenum").check()
        shared = ben.locator("#shared-reflections")
        await expect(shared).to_contain_text("[[exciting]] die Methodenkarten")
        await expect(shared.locator("h3")).to_have_text("What did I find exciting?")
        await expect(shared).not_to_contain_text("Ada")  # written in an anonymous step
        assert "Reverse Mentoring" not in await ben.content()  # only the one shared answer
        await p.ada.shot(artifacts, "room-checkout-de")
        await p.ben.shot(artifacts, "room-checkout-en")


async def test_asking_for_help_reaches_the_facilitator_and_the_group(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """In a breakout group, "ask for help" lands in the facilitator's view; both members'
    pages show it, and the button comes back once a facilitator handled it."""
    async with pair(browser, page_server) as p:
        await p.jump(CAPTURE)
        await expect(p.ada.page.locator("#help-button")).to_be_hidden()  # no group: no help
        await p.jump(CHALLENGE)
        ada, ben = p.ada.page, p.ben.page
        group = group_of(p.facilitator.view, p.person("Ada"))
        await ada.get_by_role("button", name="Hilfe anfordern").click()
        await p.facilitator.wait_until(
            lambda v: group in v["breakouts"]["main"].get("help_requests", [])
        )
        assert p.facilitator.view["groups"][group]["help_requested"] is True
        await expect(ada.locator("#help-state")).to_contain_text("Hilfe ist angefordert")
        await expect(ada.get_by_role("button", name="Hilfe anfordern")).to_be_disabled()
        await expect(ben.get_by_role("button", name="Ask for help")).to_be_disabled()
        await expect(ben.locator("#help-state")).to_contain_text("Help is on its way")
        await p.ada.shot(artifacts, "room-help-de")

        await ack(p.facilitator, {"type": "help.handle", "group_id": group})
        await expect(ada.get_by_role("button", name="Hilfe anfordern")).to_be_enabled()
        await expect(ada.locator("#help-state")).to_have_text("")


async def test_video_links_and_broadcasts_show_beside_the_board(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """Video links appear only when the workshop has a video-room template: the plenary's
    in the plenary, the group's too in a breakout. A broadcast shows prominently as text."""
    async with pair(browser, page_server) as p:
        await p.jump(CAPTURE)
        ada = p.ada.page
        await expect(ada.locator("#video")).to_be_hidden()
        template = "https://video.invalid/lernraum-{workshop}-{group}"
        await ack(p.facilitator, {"type": "workshop.configure", "video_url": template})
        workshop = p.room.workshop
        plenary_link = ada.get_by_role("link", name="Videoraum des Plenums öffnen")
        await expect(plenary_link).to_have_attribute(
            "href", f"https://video.invalid/lernraum-{workshop}-plenary"
        )
        await expect(plenary_link).to_have_attribute("rel", "noopener noreferrer")
        await expect(plenary_link).to_have_attribute("target", "_blank")
        await expect(ada.locator("#video-group-entry")).to_be_hidden()

        await p.jump(CHALLENGE)
        group = group_of(p.facilitator.view, p.person("Ada"))
        group_link = ada.get_by_role("link", name="Videoraum der Gruppe öffnen")
        await expect(group_link).to_have_attribute(
            "href", f"https://video.invalid/lernraum-{workshop}-{group}"
        )
        await expect(group_link).to_have_attribute("rel", "noopener noreferrer")
        english = p.ben.page.get_by_role("link", name="Open the group's video room")
        await expect(english).to_be_visible()

        await ack(
            p.facilitator, {"type": "breakouts.broadcast", "text": f"Noch 5 Minuten {HOSTILE}"}
        )
        for page in (ada, p.ben.page):
            await expect(page.locator("#broadcast-text")).to_have_text(f"Noch 5 Minuten {HOSTILE}")
            assert await page.locator("#injected").count() == 0
        await p.ada.shot(artifacts, "room-video-broadcast-de")
        await ada.get_by_role("button", name="Ausblenden").click()
        await expect(ada.locator("#broadcast")).to_be_hidden()
        await expect(p.ben.page.locator("#broadcast")).to_be_visible()  # put away in one page only
        await ack(p.facilitator, {"type": "breakouts.broadcast", "text": "Zurück ins Plenum"})
        await expect(ada.locator("#broadcast-text")).to_have_text("Zurück ins Plenum")
        await ack(p.facilitator, {"type": "workshop.configure", "video_url": ""})
        await expect(ada.locator("#video")).to_be_hidden()


async def test_notes_are_clustered_and_method_cards_placed_in_a_group(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """In a step that allows clusters and the method deck: Ada makes a cluster, files a
    note in it and renames it; Ben places a card by name; each shows in the other's page."""
    async with pair(browser, page_server) as p:
        await p.jump(ASSESS)
        ada, ben = p.ada.page, p.ben.page
        await ada.get_by_label("Notiz").fill("Zeit im Kalender blocken")
        await ada.get_by_role("button", name="Notiz anheften").click()
        await ada.get_by_label("Name des Clusters").fill("Gelingen")
        await ada.get_by_role("button", name="Cluster speichern").click()
        cluster = ben.locator("section.cluster[data-cluster-id] h3")
        await expect(cluster).to_have_text("Gelingen")
        note = ada.locator("#items li.item", has_text="Zeit im Kalender blocken")
        await note.get_by_label("Cluster").select_option(label="Gelingen")
        filed = ben.locator("section.cluster[data-cluster-id]", has_text="Gelingen")
        await expect(filed.locator("li.item p").first).to_have_text("Zeit im Kalender blocken")

        await ada.locator("#cluster-choice").select_option(label="Gelingen")
        await ada.get_by_label("Name des Clusters").fill("Erfolgsfaktoren")
        await ada.get_by_role("button", name="Cluster speichern").click()
        await expect(cluster).to_have_text("Erfolgsfaktoren")

        await ben.get_by_label("Method card").select_option(label="Reverse mentoring")
        await expect(ben.locator("#card-summary")).to_contain_text("Younger or newly hired")
        await ben.get_by_role("button", name="Place card").click()
        await expect(ada.locator("li.kind-card .card-name")).to_have_text("Reverse Mentoring")
        await expect(ben.locator("li.kind-card .card-name")).to_have_text("Reverse mentoring")
        await p.ada.shot(artifacts, "room-clusters-de")
        await p.ben.shot(artifacts, "room-clusters-en")
