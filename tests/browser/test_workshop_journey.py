"""A whole (shortened) workshop in a real Chromium: a facilitator and four participants.

The facilitator logs in through the login page and drives everything from the console's
buttons (start, next, harvest, reveal votes, end); four people join through the join page
(three by code, one by link), each in a browser context of their own at phone width. The
agenda (``tests/browser/agendas/workshop-journey.toml``, read like any extra structure folder
through ``Settings.structures_dirs`` / ``LERNRAUM_STRUCTURES_DIRS``) runs: a check-in in
pairs, 1-2-4-All (its pairs merge into one foursome, partners kept), Wicked Questions with
dots and the reveal, the personal canvas and the check-out.

What must hold in the pages: a pair's note reaches the partner's page and never the other
pair's (not even in a websocket frame) until the pairs merge into the foursome, which
continues both pairs and sees their notes; the check-in's pairs are never continued; the
countdown matches the server within a second; Wicked Questions rank by the revealed dots; a
canvas and check-out answers stay private until shared and reach the console only as
shared; the room has no horizontal scroll at 360 px. Every request of every
page stays on the server's origin, and no page logs a console error.

Screenshots land in ``artifacts/<test name>/``. With ``LERNRAUM_SCREENSHOTS=docs/screenshots``
(a folder, relative to the project root) the few shown in the documentation are written
there as well, at a modest size.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Expect, FloatRect, Locator, Page, WebSocket

from app.client import LiveClient
from app.clock import ScaledClock
from app.settings import Settings
from tests.browser.conftest import SERVER_START
from tests.browser.support import PHONE_VIEWPORT, Visitor, join_by_code, visitor
from tests.browser.test_console import desk_visitor, log_in_through_the_page
from tests.browser.test_participant_room import assert_countdown_matches_server
from tests.conftest import LiveServer, serve_app
from tests.live.support import facilitator_session

pytestmark = pytest.mark.browser

AGENDAS = Path(__file__).resolve().parent / "agendas"
AGENDA = "workshop-journey"
PROJECT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = os.environ.get("LERNRAUM_SCREENSHOTS")

# The plan of the agenda, by index.
CHECK_IN = 0  # pairs, notes
ALONE, PAIRS, FOURSOMES, ALL = 1, 2, 3, 4  # 1-2-4-All
POSE, VOTE = 5, 6  # Wicked Questions: pose, then three dots each
CANVAS_IDEA = 7  # individual canvas (idea, goal, milestones)
REFLECT = 10  # check-out: anonymous reflections
VOICES = 11
LOCALES = {"de": "de-DE", "en": "en-GB"}
# What people write (plain ASCII, so that it is found as is in the JSON of websocket frames).
OTHER_CHECK_IN = "Mehr Austausch zwischen den Standorten"
ADA_IDEA = "Lerntandems quer durch die Abteilungen"
ADA_EXCITING = "Die Wicked Questions haben Spannungen sichtbar gemacht"

# Five people's pages on a busy two-core machine: wait longer than Playwright's 5 s default,
# with an ``expect`` of this module's own (``expect.set_options`` would change every test's).
expect = Expect()
expect.set_options(timeout=20_000)


@pytest.fixture
def journey_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app on loopback with the test agendas as an extra structure folder, a real-speed
    clock set years ahead of the machine's (so only a server-corrected countdown is right)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lernraum.db'}",
        join_max_attempts=1000,
        structures_dirs=[AGENDAS],
    )
    with serve_app(settings, ScaledClock(1.0, SERVER_START)) as server:
        yield server


@dataclass
class Person:
    """A participant's browser, and every websocket frame their page received."""

    name: str
    lang: str
    visitor: Visitor
    frames: list[str] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.visitor.page

    def heard(self, text: str) -> bool:
        """Whether ``text`` was in any message the server sent this page."""
        return any(text in frame for frame in self.frames)


def record_frames(page: Page, frames: list[str]) -> None:
    """Keep every websocket message the page receives (as text) in ``frames``."""

    def on_socket(socket: WebSocket) -> None:
        socket.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode(errors="replace")
            ),
        )

    page.on("websocket", on_socket)


async def shot(
    person: Visitor, artifacts: Path, name: str, *, doc: str | None = None, until: str = ""
) -> None:
    """A full-page screenshot in the artifacts. With ``doc`` and ``LERNRAUM_SCREENSHOTS`` set,
    one for the documentation too: the page from its top down to the end of the element
    ``until`` (the first screen when none is named)."""
    await person.shot(artifacts, name)
    if not (SCREENSHOTS and doc):
        return
    folder = Path(SCREENSHOTS)
    folder = folder if folder.is_absolute() else PROJECT / folder
    folder.mkdir(parents=True, exist_ok=True)
    path = str(folder / f"{doc}.png")
    if not until:
        await person.page.screenshot(path=path)
        return
    box = await person.page.locator(until).bounding_box()
    assert box is not None, f"{until} is not shown"
    scrolled = await person.page.evaluate("window.scrollY")
    bottom = box["y"] + scrolled + box["height"] + 16
    width = await person.page.evaluate("document.documentElement.clientWidth")
    clip: FloatRect = {"x": 0, "y": 0, "width": width, "height": bottom}
    await person.page.screenshot(path=path, full_page=True, clip=clip)


def group_of(view: dict[str, Any], pid: str) -> str:
    """The open breakout group ``pid`` sits in, by a facilitator's view."""
    groups: dict[str, dict[str, Any]] = view["groups"]
    return next(gid for gid, group in groups.items() if pid in group.get("members", []))


def members_of(view: dict[str, Any], gid: str) -> set[str]:
    return set(view["groups"][gid]["members"])


async def no_side_scroll(page: Page) -> None:
    """The page is no wider than the phone's viewport."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"the room scrolls sideways at 360 px: {width}"


async def post_note(person: Person, text: str) -> None:
    """Post a note from the room page and wait for the server's ack."""
    page = person.page
    await page.locator("#note-text").fill(text)
    await page.locator("#note-form button[type=submit]").click()
    await expect(page.locator("#items li.item:not(.pending)", has_text=text)).to_have_count(1)


def shows_note(person: Person, text: str) -> Locator:
    """The acknowledged note with ``text`` on the person's board (a list of none or one)."""
    return person.page.locator("#items li.item:not(.pending)", has_text=text)


async def test_a_facilitator_and_four_participants_run_a_workshop_end_to_end(
    browser: Browser, journey_server: LiveServer, artifacts: Path
) -> None:
    origin = journey_server.url
    session = await facilitator_session(journey_server)
    async with httpx.AsyncClient(base_url=origin, cookies={"lernraum_session": session}) as http:
        created = await http.post(
            "/api/workshops", json={"source_id": AGENDA, "title": "Peer Learning kompakt"}
        )
        assert created.status_code == 201, created.text
        workshop = created.json()["id"]
        links = (await http.get(f"/api/workshops/{workshop}/links")).json()

    # The facilitator logs in through the login page and lands in the console.
    desk = await desk_visitor(browser, origin)
    console_frames: list[str] = []
    record_frames(desk.page, console_frames)
    console = await log_in_through_the_page(desk, origin, workshop)
    await expect(console.locator("#phase")).to_have_text("Noch nicht gestartet")
    agenda_rows = console.locator("#agenda li")
    await expect(agenda_rows).to_have_count(VOICES + 1)

    # Four people join: three by code, one by the link.
    people: dict[str, Person] = {}
    for name, lang in (("Ada", "de"), ("Ben", "en"), ("Cem", "de"), ("Dora", "en")):
        person = Person(name, lang, await visitor(browser, origin, locale=LOCALES[lang]))
        record_frames(person.page, person.frames)
        people[name] = person
    ada, ben, cem, dora = people.values()
    everyone = list(people.values())

    await ada.page.goto(f"{origin}/join?lang=de")
    await shot(ada.visitor, artifacts, "join-code-de")
    await ada.page.get_by_label("Beitrittscode").fill(links["code"])
    await ada.page.get_by_role("button", name="Weiter").click()
    await expect(ada.page.locator("#workshop-title")).to_have_text("Peer Learning kompakt")
    await ada.page.get_by_label("Ihr Name").fill("Ada")
    await ada.page.locator("#accept").check()
    await shot(ada.visitor, artifacts, "join-form-de", doc="join", until="#join")
    await ada.page.locator("#join-submit").click()
    await ada.page.wait_for_url(f"**/room/{workshop}")
    await expect(ada.page.locator("#connection")).to_have_attribute("data-state", "online")
    await ben.page.goto(f"{origin}/join/{links['link_token']}?lang=en")
    await expect(ben.page.locator("#workshop-title")).to_have_text("Peer Learning kompakt")
    await ben.page.get_by_label("Your name").fill("Ben")
    await ben.page.locator("#accept").check()
    await ben.page.locator("#join-submit").click()
    await ben.page.wait_for_url(f"**/room/{workshop}")
    await expect(ben.page.locator("#connection")).to_have_attribute("data-state", "online")
    await join_by_code(cem.visitor, origin, links["code"], "Cem", "de")
    await join_by_code(dora.visitor, origin, links["code"], "Dora", "en")
    await expect(console.locator("#people li")).to_have_count(4)
    await expect(console.locator("#people-count")).to_have_text("4 Teilnehmende")

    async with LiveClient(origin, workshop, session=session) as observer:
        # The observer only reads: the server's clock and who sits in which group.
        ids = {p["name"]: pid for pid, p in observer.view["people"].items()}

        async def title_everywhere(index: int) -> None:
            await observer.wait_until(lambda v: v["workshop"]["main"]["cursor"] == index)
            for person in everyone:
                await expect(person.page.locator("#step-title")).to_have_text(
                    observer.view["plan"][str(index)]["title"][person.lang]
                )
            await expect(agenda_rows.nth(index)).to_have_attribute("aria-current", "step")

        async def next_step(index: int) -> None:
            await console.locator("#next-button").click()
            await title_everywhere(index)

        # --- check-in in pairs ------------------------------------------------------------
        await console.get_by_role("button", name="Workshop starten").click()
        await expect(console.locator("#phase")).to_have_text("Läuft")
        await title_everywhere(CHECK_IN)
        await observer.wait_until(lambda v: len(v["groups"]) == 2)
        view = observer.view
        pair_a = members_of(view, group_of(view, ids["Ada"]))
        by_id = {ids[name]: person for name, person in people.items()}
        mate = next(by_id[pid] for pid in pair_a if pid != ids["Ada"])
        others = [person for person in everyone if ids[person.name] not in pair_a]
        assert len(pair_a) == 2 and len(others) == 2
        for person in everyone:
            await expect(person.page.locator("#members li")).to_have_count(2)
        await expect(mate.page.locator("#members")).to_contain_text("Ada")

        await assert_countdown_matches_server(ada.page, observer)

        check_in_note = "Ich erwarte Ideen, wie neue Kolleginnen schneller ankommen"
        await post_note(ada, check_in_note)
        await expect(shows_note(mate, check_in_note)).to_have_count(1)
        await post_note(others[0], OTHER_CHECK_IN)
        await expect(shows_note(others[1], OTHER_CHECK_IN)).to_have_count(1)
        await expect(shows_note(ada, OTHER_CHECK_IN)).to_have_count(0)
        for person in others:  # they have seen a later event, so they would have seen it
            assert check_in_note not in await person.page.content()
        check_in_others = others
        await shot(
            ada.visitor, artifacts, "room-pair-check-in-de", doc="room-breakout", until="#board"
        )
        await expect(console.locator("article.board", has_text=check_in_note)).to_have_count(1)

        # --- 1-2-4-All: alone, then pairs that merge into a foursome -----------------------
        await next_step(ALONE)
        private = "Lernen im Tandem statt Schulung von oben"
        await post_note(cem, private)  # private until the step ends: only Cem sees it
        await post_note(dora, "Zeit zum Lernen im Kalender blocken")
        for person in (ada, ben, dora):
            assert not person.heard(private), person.name
        assert not any(private in frame for frame in console_frames)  # facilitators neither
        await next_step(PAIRS)
        for person in everyone:  # revealed when the step was left: the plenary's now
            await expect(shows_note(person, private)).to_have_count(1)

        await observer.wait_until(lambda v: v["breakouts"]["main"]["step_index"] == PAIRS)
        view = observer.view
        pairs = {frozenset(members_of(view, group_of(view, ids[name]))) for name in people}
        assert len(pairs) == 2 and all(len(pair) == 2 for pair in pairs)
        pair_a = set(next(pair for pair in pairs if ids["Ada"] in pair))
        mate = next(by_id[pid] for pid in pair_a if pid != ids["Ada"])
        others = [person for person in everyone if ids[person.name] not in pair_a]
        for person in everyone:
            await expect(person.page.locator("#members li")).to_have_count(2)

        pair_note = "Kollegiale Beratung einmal im Monat"
        other_note = "Mentoring quer durch die Generationen"
        await post_note(ada, pair_note)
        await expect(shows_note(mate, pair_note)).to_have_count(1)
        await post_note(others[0], other_note)
        await expect(shows_note(others[1], other_note)).to_have_count(1)
        await expect(shows_note(ada, other_note)).to_have_count(0)
        await expect(shows_note(mate, other_note)).to_have_count(0)

        await next_step(FOURSOMES)
        await observer.wait_until(lambda v: v["breakouts"]["main"]["step_index"] == FOURSOMES)
        view = observer.view
        foursome = members_of(view, group_of(view, ids["Ada"]))
        assert foursome == set(ids.values()), "the two pairs did not merge"
        for person in everyone:
            await expect(person.page.locator("#members li")).to_have_count(4)
            await no_side_scroll(person.page)
        # The foursome continues both pairs: each pair's note reaches the other pair now.
        for person in everyone:
            await expect(shows_note(person, pair_note)).to_have_count(1)
            await expect(shows_note(person, other_note)).to_have_count(1)
        for person in check_in_others:  # the check-in's pairs are not continued
            assert not person.heard(check_in_note), person.name

        # The facilitator rolls the groups' results up into the plenary.
        await console.get_by_role("button", name="Ergebnisse ins Plenum holen").click()
        for person in everyone:
            await expect(shows_note(person, pair_note)).to_have_count(1)
            await expect(shows_note(person, other_note)).to_have_count(1)
        await expect(console.locator("article.board")).to_have_count(2)  # plenary, foursome
        await shot(ben.visitor, artifacts, "room-foursome-en")
        await shot(desk, artifacts, "console-foursome-de")

        # --- Wicked Questions: pose, dot, reveal, ranking ---------------------------------
        await next_step(ALL)
        await next_step(POSE)
        poles = {
            "Ada": ("freiwillig lernen", "alle erreichen"),
            "Ben": ("share openly", "keep things confidential"),
            "Cem": ("selbst organisieren", "verbindlich bleiben"),
        }
        for name, (pole_a, pole_b) in poles.items():
            page = people[name].page
            await page.locator("#pole-a").fill(pole_a)
            await page.locator("#pole-b").fill(pole_b)
            await page.locator("#wicked-form button[type=submit]").click()
        for person in everyone:
            await expect(person.page.locator("#questions li.item:not(.pending)")).to_have_count(3)

        await next_step(VOTE)
        question_of = {name: observer_question_id(observer.view, ids[name]) for name in poles}
        ballots = {  # Cem's question gets 5 dots, Ben's 2, Ada's 1: the reverse of posing
            "Ada": ["Cem", "Cem", "Ben"],
            "Ben": ["Cem", "Cem", "Ada"],
            "Cem": ["Cem", "Ben"],  # one dot left: the round is not revealed by itself
        }
        for voter, choices in ballots.items():
            page = people[voter].page
            for target in choices:
                entry = page.locator(f'#questions li[data-item-id="{question_of[target]}"]')
                await entry.locator("button.dot:not(.secondary)").click()
            left = 3 - len(choices)
            await expect(page.locator("#dots-left")).to_contain_text(f"{left} ")
        await expect(console.locator("#votes-status")).to_have_text(
            "8 Punkte vergeben · noch verdeckt"
        )
        for person in everyone:
            assert await person.page.locator("#questions .dots").count() == 0
            await expect(person.page.locator("#ranking-note")).to_be_hidden()

        await console.get_by_role("button", name="Punkte aufdecken").click()
        await expect(console.locator("#votes-status")).to_have_text(
            "8 Punkte vergeben · aufgedeckt"
        )
        ranked = [question_of["Cem"], question_of["Ben"], question_of["Ada"]]
        # the console's board holds the questions posed in the step before, with their dots
        for question, dots in zip(ranked, (5, 2, 1), strict=True):
            entry = console.locator(f'#boards li.item[data-item-id="{question}"]')
            await expect(entry.locator(".about")).to_contain_text(
                f"{dots} Punkt" if dots == 1 else f"{dots} Punkte"
            )
        word = {"de": ("Punkt", "Punkte"), "en": ("dot", "dots")}
        for person in everyone:
            entries = person.page.locator("#questions li.item")
            await expect(person.page.locator("#ranking-note")).to_be_visible()
            await expect(entries.first).to_have_attribute("data-item-id", ranked[0])
            got = [await entries.nth(i).get_attribute("data-item-id") for i in range(3)]
            assert got == ranked, person.name
            await expect(entries.locator(".dots")).to_have_text(
                [f"{n} {word[person.lang][n != 1]}" for n in (5, 2, 1)]
            )
        await expect(ada.page.locator("#questions li.item .question").first).to_have_text(
            "Wie können wir selbst organisieren und zugleich verbindlich bleiben?"
        )
        await no_side_scroll(ada.page)
        await shot(
            ada.visitor,
            artifacts,
            "room-wicked-de",
            doc="room-wicked-questions",
            until="#questions-box",
        )

        # The plenary screen, opened from the facilitator's browser, ranks them too.
        plenary = await desk.context.new_page()
        await plenary.goto(f"{origin}/plenary/{workshop}")
        await expect(plenary.locator("#connection")).to_have_attribute("data-state", "online")
        questions = plenary.locator('#board section[data-kind="questions"] li')
        await expect(questions).to_have_count(3)
        await expect(questions.first).to_have_attribute("data-item-id", ranked[0])
        await expect(questions.last).to_have_attribute("data-item-id", ranked[2])
        screen = Visitor(desk.context, plenary, desk.guard)
        await shot(screen, artifacts, "plenary-de", doc="plenary", until="#harvest")
        await plenary.close()
        await shot(desk, artifacts, "console-wicked-de", doc="console", until="#boards-section")

        # --- the personal canvas: private until shared -------------------------------------
        await next_step(CANVAS_IDEA)
        idea = ADA_IDEA
        page = ada.page
        await expect(page.locator("#canvas-privacy")).to_have_text("Nur Sie sehen Ihren Canvas.")
        await page.locator("#canvas-idea").fill(idea)
        await page.locator("#canvas-goal").fill("Zehn Tandems bis zum Sommer")
        await page.get_by_role("button", name="Idee und Ziel speichern").click()
        await page.locator("#milestone-what").fill("Erste fünf Tandems gebildet")
        await page.locator("#milestone-when").fill("2030-03-31")
        await page.locator("#milestone-how").fill("Liste der Tandems")
        await page.get_by_role("button", name="Meilenstein hinzufügen").click()
        await expect(page.locator("#milestones li")).to_have_count(1)
        cems_idea = "Eine Lernreise mit den Azubis planen"
        await cem.page.locator("#canvas-idea").fill(cems_idea)
        await cem.page.get_by_role("button", name="Idee und Ziel speichern").click()
        await cem.page.locator("#canvas-sharing").get_by_label("im Ergebnisbericht").check()
        for_report = cem.page.locator('#canvas-sharing input[data-audience="export"]')
        await expect(for_report).not_to_have_attribute("data-pending", "1")  # answered
        await expect(for_report).to_be_checked()
        # the report is no live audience: the page still says nobody sees the canvas
        await expect(cem.page.locator("#canvas-privacy")).to_have_text(
            "Nur Sie sehen Ihren Canvas."
        )
        await no_side_scroll(page)
        await shot(
            ada.visitor, artifacts, "room-canvas-private-de", doc="room-canvas", until="#canvas"
        )
        await expect(ben.page.locator("#shared-canvases article")).to_have_count(0)
        for person in (ben, cem, dora):
            assert not person.heard(ADA_IDEA), person.name
        assert not any(ADA_IDEA in frame for frame in console_frames)

        await page.locator("#canvas-sharing").get_by_label("dem Plenum").check()
        await expect(page.locator("#canvas-privacy")).to_have_text("Geteilt mit: dem Plenum")
        for person in (ben, cem, dora):
            shared = person.page.locator("#shared-canvases article")
            await expect(shared).to_contain_text(idea)
            await expect(shared).to_contain_text("Erste fünf Tandems gebildet")
        await expect(ben.page.locator("#shared-canvases h3")).to_have_text("Canvas of Ada")
        await observer.wait_until(lambda v: ids["Ada"] in v.get("canvases_shared", {}))
        assert any(ADA_IDEA in frame for frame in console_frames)
        await shot(ben.visitor, artifacts, "room-canvas-shared-en")

        # --- check-out: answers reach others and the console only as shared ---------------
        jump = agenda_rows.nth(REFLECT).get_by_role("button", name=re.compile("^Springen zu"))
        await jump.click()
        await title_everywhere(REFLECT)
        answers = {
            "exciting": (ADA_EXCITING, "dem Plenum"),
            "learn_more": ("Mehr zu Working Out Loud erfahren", "im Ergebnisbericht"),
            "take_away": ("Ein Tandem mit Jana starten", None),
        }
        for question, (text, audience) in answers.items():
            form = page.locator(f'form.reflection[data-question="{question}"]')
            await form.locator("textarea").fill(text)
            await form.get_by_role("button", name="Antwort speichern").click()
            await expect(form.get_by_label("dem Plenum")).to_be_enabled()
            if audience:
                await form.get_by_label(audience).check()
                await expect(form.get_by_label(audience)).to_be_checked()
        dora_answer = "Start a peer group in my own team"
        form = dora.page.locator('form.reflection[data-question="take_away"]')
        await form.locator("textarea").fill(dora_answer)
        await form.get_by_role("button", name="Save answer").click()
        await expect(form.get_by_label("the plenary")).to_be_enabled()

        shared = ben.page.locator("#shared-reflections")
        await expect(shared).to_contain_text(ADA_EXCITING)
        await expect(shared).not_to_contain_text("Ada")  # the check-out step is anonymous
        await observer.wait_until(lambda v: bool(v.get("reflections_shared", {}).get("exciting")))
        assert [entry["author"] for entry in observer.view["reflections_shared"]["exciting"]] == [
            None
        ]
        for person in everyone:
            await no_side_scroll(person.page)
        await shot(ada.visitor, artifacts, "room-checkout-de")
        await shot(ben.visitor, artifacts, "room-checkout-shared-en")

        await next_step(VOICES)
        heard_by_console = "\n".join(console_frames)
        assert ADA_EXCITING in heard_by_console
        for secret in (
            "Mehr zu Working Out Loud erfahren",
            "Ein Tandem mit Jana starten",
            dora_answer,
            cems_idea,
        ):
            assert secret not in heard_by_console, secret
            for person in everyone:
                if person not in (ada, dora, cem):
                    assert not person.heard(secret), (person.name, secret)
        assert not ben.heard(dora_answer) and not ada.heard(dora_answer)
        assert not ada.heard(cems_idea) and not ben.heard(cems_idea)

        # --- the end ----------------------------------------------------------------------
        async def confirm(dialog: Dialog) -> None:
            await dialog.accept()

        console.once("dialog", confirm)
        await console.get_by_role("button", name="Workshop beenden").click()
        await expect(console.locator("#phase")).to_have_text("Beendet")
        await expect(ada.page.locator("#phase")).to_have_text("Der Workshop ist beendet. Danke!")
        await expect(ben.page.locator("#phase")).to_have_text("The workshop has ended. Thank you!")

    for browser_context in (desk, *(p.visitor for p in everyone)):
        browser_context.guard.check()
        await browser_context.context.close()


def observer_question_id(view: dict[str, Any], author: str) -> str:
    """The id of the one Wicked Question ``author`` posed, by a facilitator's view."""
    items: dict[str, dict[str, Any]] = view["items"]
    found = [
        item_id
        for item_id, item in items.items()
        if item["kind"] == "wicked_question" and item["author"] == author
    ]
    assert len(found) == 1, json.dumps(view["items"])[:2000]
    return found[0]
