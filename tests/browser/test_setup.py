"""The workshop setup page and the API reference in a real Chromium.

A facilitator plans a workshop from the shipped agenda at phone width, reorders steps from
the keyboard, retimes one, adds a structure at a chosen place and removes a step; after
each edit the page shows the total and the projected end the server answered with, and at
the end the page's plan is the server's plan. A page left open while the workshop starts
elsewhere shows the server's ``step_in_past`` refusal and locks the steps that ran. /docs
renders Swagger UI from vendored files. No request leaves the server's origin.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from app.client import LiveClient, log_in
from app.structures import SHIPPED_ROOT, load_library
from tests.browser.support import Visitor, visitor
from tests.conftest import LiveServer
from tests.live.support import OWNER_EMAIL, PASSWORD, facilitator_session

pytestmark = pytest.mark.browser

AGENDA = "peer-learning-kickoff"
ADDED = "walt-disney"
PHONE_WIDTH = 360


# Every Content Security Policy violation of a page, recorded from the document itself (the
# init script runs before the page's own scripts and is not subject to the policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


async def violations(page: Page) -> list[str]:
    found: list[str] = await page.evaluate("window.__violations")
    return found


async def logged_in(browser: Browser, server: LiveServer, locale: str = "de-DE") -> Visitor:
    """A phone-sized browser with a facilitator's session cookie."""
    person = await visitor(browser, server.url, locale=locale)
    await person.context.add_init_script(RECORD_VIOLATIONS)
    session = await facilitator_session(server)
    await person.context.add_cookies(
        [{"name": "lernraum_session", "value": session, "url": server.url}]
    )
    return person


async def server_plan(person: Visitor, origin: str, workshop: str) -> dict[str, Any]:
    """The workshop as the server plans it, read with the page's own session."""
    response = await person.context.request.get(f"{origin}/api/workshops/{workshop}")
    assert response.ok, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def page_keys(page: Page) -> list[str]:
    """The steps' keys in the order the page shows them."""
    keys: list[str] = await page.locator("li.setup-step").evaluate_all(
        "items => items.map(item => item.dataset.key)"
    )
    return keys


async def total_seconds(page: Page) -> int:
    value = await page.locator("#total").get_attribute("data-seconds")
    assert value is not None
    return int(value)


async def focused_step(page: Page) -> tuple[str | None, str | None]:
    """The key of the step holding the focus, and the action of the focused control."""
    found: list[str | None] = await page.evaluate(
        "() => [document.activeElement.closest('li.setup-step')?.dataset.key ?? null,"
        " document.activeElement.dataset.action ?? null]"
    )
    return found[0], found[1]


async def fits_the_width(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide"


async def test_plan_a_workshop_from_an_agenda_and_shape_it(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """Create from the agenda, move a step down and back by keyboard, retime one, add a
    structure before step 3, remove one; the totals follow and the server agrees."""
    origin = page_server.url
    library = load_library(SHIPPED_ROOT)
    person = await logged_in(browser, page_server)
    page = person.page
    await page.goto(f"{origin}/setup")
    await expect(page.get_by_role("heading", name="Workshop planen")).to_be_visible()
    agenda = page.get_by_role("radio", name=re.compile(re.escape(library.agendas[AGENDA].name.de)))
    await expect(agenda).to_be_checked()
    await page.get_by_label("Titel (optional)").fill("Auftakt <Verbände> & Co")
    await person.shot(artifacts, "setup-new-de")
    await page.get_by_role("button", name="Workshop anlegen").click()

    await expect(page).to_have_url(re.compile(r"/workshops/[^/]+/setup$"))
    workshop = page.url.rsplit("/", 2)[-2]
    await expect(page.locator("#plan-title")).to_have_text("Auftakt <Verbände> & Co")
    await expect(page.locator("#plan-title")).to_be_focused()
    planned = await server_plan(person, origin, workshop)
    assert planned["planned_s"] == 90 * 60
    await expect(page.locator("#total")).to_have_attribute("data-seconds", str(90 * 60))
    await expect(page.locator("#total")).to_contain_text("90 Min.")
    await expect(page.locator("#projected-end")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    steps = page.locator("li.setup-step")
    await expect(steps).to_have_count(len(planned["steps"]))
    assert await page_keys(page) == [step["key"] for step in planned["steps"]]
    first_title = planned["steps"][0]["title"]["de"]
    await expect(steps.nth(0).locator(".step-title")).to_have_text(first_title)

    # reorder from the keyboard: the move button, then Alt+↑ on the moved step
    first, second = planned["steps"][0]["key"], planned["steps"][1]["key"]
    await steps.nth(0).get_by_role("button", name=f"Nach unten verschieben: {first_title}").focus()
    await page.keyboard.press("Enter")
    await expect(steps.nth(1)).to_have_attribute("data-key", first)
    assert await focused_step(page) == (first, "down")  # the focus stays with the step
    assert (await page_keys(page))[:2] == [second, first]
    await expect(page.locator("#setup-status")).to_contain_text(first_title)
    await page.keyboard.press("Alt+ArrowUp")
    await expect(steps.nth(0)).to_have_attribute("data-key", first)
    assert (await focused_step(page))[0] == first

    # two quick clicks, the second before the first is answered, move the same step twice
    row = page.locator(f'li.setup-step[data-key="{first}"]')
    await row.locator('[data-action="down"]').evaluate(
        "button => { button.click(); button.click(); }"
    )
    await expect(steps.nth(2)).to_have_attribute("data-key", first)
    await row.locator('[data-action="up"]').evaluate(
        "button => { button.click(); button.click(); }"
    )
    await expect(steps.nth(0)).to_have_attribute("data-key", first)
    assert await page_keys(page) == [step["key"] for step in planned["steps"]]

    # retime the third step to 7 minutes: the total follows
    third = planned["steps"][2]
    minutes = steps.nth(2).get_by_label(f"Minuten: {third['title']['de']}")
    await minutes.fill("7")
    await minutes.press("Enter")
    expected = 90 * 60 - third["planned_s"] + 7 * 60
    await expect(page.locator("#total")).to_have_attribute("data-seconds", str(expected))
    await expect(minutes).to_be_focused()

    # add a structure before step 3, described in the page's language
    structure = library.structures[ADDED]
    card = page.locator(f'li.structure[data-structure="{ADDED}"]')
    await expect(card.locator("h3")).to_have_text(structure.name.de)
    await expect(card.locator(".description")).to_have_text(structure.description.de)
    await page.get_by_label("Einfügen").select_option("2")
    await card.get_by_role("button", name=f"Hinzufügen: {structure.name.de}").click()
    added = library.plan_for(ADDED)
    expected += sum(step.seconds for step in added)
    await expect(page.locator("#total")).to_have_attribute("data-seconds", str(expected))
    await expect(steps).to_have_count(len(planned["steps"]) + len(added))
    await expect(steps.nth(2)).to_have_attribute("data-key", re.compile(f"^{ADDED}/"))

    # remove the last step
    last = steps.last
    last_step = planned["steps"][-1]
    await last.get_by_role("button", name=f"Entfernen: {last_step['title']['de']}").click()
    expected -= last_step["planned_s"]
    await expect(page.locator("#total")).to_have_attribute("data-seconds", str(expected))
    await expect(page.locator("#setup-error")).to_have_text("")
    await fits_the_width(page)
    await person.shot(artifacts, "setup-plan-de")

    # the page shows exactly the server's plan, and its projection
    final = await server_plan(person, origin, workshop)
    assert final["planned_s"] == expected == await total_seconds(page)
    assert await page_keys(page) == [step["key"] for step in final["steps"]]
    assert final["steps"][2]["key"].startswith(f"{ADDED}/")
    assert last_step["key"] not in [step["key"] for step in final["steps"]]
    values = await page.locator("input.minutes").evaluate_all("inputs => inputs.map(i => i.value)")
    assert [float(value) for value in values] == [
        round(step["planned_s"] / 60, 2) for step in final["steps"]
    ]
    end = await page.locator("#projected-end").get_attribute("data-at")
    served = await page.locator("#projected-end").get_attribute("data-server-time")
    assert end and served
    # in the lobby the projection is the answer's server time plus the planned total
    span = datetime.fromisoformat(end) - datetime.fromisoformat(served)
    assert span.total_seconds() == expected
    assert await violations(page) == []
    person.guard.check()
    await person.context.close()


async def test_a_stale_page_shows_the_servers_step_in_past_refusal(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """The page was opened in the lobby; the workshop starts elsewhere; removing the first
    step is refused with step_in_past, shown as such, and the plan reloads locked."""
    origin = page_server.url
    person = await logged_in(browser, page_server, locale="en-GB")
    page = person.page
    created = await person.context.request.post(
        f"{origin}/api/workshops", data={"source_id": AGENDA}
    )
    assert created.status == 201
    workshop = (await created.json())["id"]
    await page.goto(f"{origin}/workshops/{workshop}/setup?lang=en")
    steps = page.locator("li.setup-step")
    await expect(steps.first).to_have_attribute("data-locked", "false")
    first = await server_plan(person, origin, workshop)
    first_title = first["steps"][0]["title"]["en"]

    session = await log_in(origin, OWNER_EMAIL, PASSWORD)
    async with LiveClient(origin, workshop, session=session, reconnect=False) as desk:
        answer = await desk.command({"type": "workshop.start"})
        assert answer.type == "ack", answer

    await steps.first.get_by_role("button", name=f"Remove: {first_title}").click()
    error = page.locator("#setup-error")
    await expect(error).to_have_attribute("data-code", "step_in_past")
    await expect(error).to_contain_text("ran already or is running now")
    await expect(steps.first).to_have_attribute("data-locked", "true")
    await expect(steps.first.get_by_role("button", name=f"Remove: {first_title}")).to_be_disabled()
    await expect(steps.first).to_contain_text("running now")
    await expect(page.locator("#plan-phase")).to_have_text("running")
    after = await server_plan(person, origin, workshop)
    assert [s["key"] for s in after["steps"]] == [s["key"] for s in first["steps"]]
    await fits_the_width(page)
    await person.shot(artifacts, "setup-step-in-past-en")
    # the refused edit is logged by Chromium as a failed resource load: expected here
    person.guard.console_errors = [e for e in person.guard.console_errors if "409" not in e]
    person.guard.check()
    await person.context.close()


async def test_start_and_agenda_pages_in_english(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """The start page and the agenda page switch to English and link to the setup page."""
    origin = page_server.url
    person = await logged_in(browser, page_server)
    page = person.page
    await page.goto(f"{origin}/")
    await expect(page.get_by_role("heading", name="Bibliothek")).to_be_visible()
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Library")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await fits_the_width(page)
    await person.shot(artifacts, "start-en")
    await page.get_by_role("link", name=re.compile(r"^Set up")).first.click()
    await expect(page).to_have_url(re.compile(r"/workshops/[^/]+/setup$"))
    await expect(page.get_by_role("heading", name="Workshop setup")).to_be_visible()
    await expect(page.locator("li.setup-step").first).to_be_visible()
    await page.get_by_role("link", name="View agenda").click()
    await expect(page.locator("ol.agenda li").first).to_contain_text("Check-in in small groups")
    await fits_the_width(page)
    await person.shot(artifacts, "agenda-en")
    person.guard.check()
    await person.context.close()


async def test_api_docs_render_from_vendored_files_without_policy_errors(
    browser: Browser, page_server: LiveServer, artifacts: Path
):
    """Swagger UI at /docs lists the routes and runs a request, all on the own origin,
    with no console error (a CSP violation would be one)."""
    origin = page_server.url
    person = await visitor(browser, origin, locale="en-GB")
    await person.context.add_init_script(RECORD_VIOLATIONS)
    await person.page.set_viewport_size({"width": 1280, "height": 900})
    page = person.page
    await page.goto(f"{origin}/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Lernraum")
    health = page.locator(".opblock", has_text="/healthz")
    await health.locator(".opblock-summary").click()
    await health.get_by_role("button", name="Try it out").click()
    await health.get_by_role("button", name="Execute").click()
    status = health.locator(".live-responses-table tbody .response-col_status").first
    await expect(status).to_have_text("200")
    await expect(
        page.locator(".opblock", has_text="/api/workshops/{workshop_id}/plan/move")
    ).to_be_visible()
    await person.shot(artifacts, "api-docs")
    assert any(
        url.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js")
        for url in person.guard.requests
    )
    assert any(url.endswith("/openapi.json") for url in person.guard.requests)
    assert await violations(page) == []
    person.guard.check()
    await person.context.close()
