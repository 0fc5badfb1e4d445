"""A reviewer link in Chromium: the owner makes it on the series page, the reviewer opens the
series at phone width, and every export downloads from the reviewer's page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser

from app.clock import FakeClock
from app.export import build_bundle, render
from app.settings import Settings
from tests.browser.support import PHONE_VIEWPORT, visitor
from tests.conftest import LiveServer, serve_app
from tests.factories import OWNER
from tests.recorded import START
from tests.test_series import (
    ENDED_SECRETS,
    OTHER,
    OTHER_SERIES_TITLE,
    OTHER_WORKSHOP_TITLE,
    PASSWORD,
    PREWORK_SECRET,
    PREWORK_SHARED,
    TITLE_PAYLOAD,
    _ended_record,
    _imported,
    _store_workshops,
    other_workshop,
    prework_workshop,
)

pytestmark = pytest.mark.browser

FORMATS_SHOWN = ("html", "md", "csv", "json")


@pytest.fixture
def review_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Three stored workshops and an import, two series of two facilitators."""
    runs = [_ended_record(), prework_workshop(), other_workshop()]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", demo=False)
    _store_workshops(settings.database_url, runs)
    _imported(settings.database_url)
    with serve_app(settings, FakeClock(START + timedelta(days=30))) as server:
        with httpx.Client(base_url=server.url, timeout=30) as other:
            other.post("/api/auth/login", json={"email": OTHER, "password": PASSWORD})
            made = other.post(
                "/api/series", json={"title": OTHER_SERIES_TITLE, "organisation": "x"}
            )
            other.post(
                f"/api/series/{made.json()['id']}/workshops", json={"workshop_id": "w-fremd"}
            )
        yield server


async def test_a_reviewer_link_opens_the_series_and_every_export_downloads(
    browser: Browser, review_server: LiveServer, artifacts: Path
):
    """The owner creates a link on the series page; in a fresh browser the link shows the
    series (no secret, no other series, nothing from another host, fits 360 px) and each
    workshop's four formats and the series JSON download with the export's exact bytes."""
    origin = review_server.url
    owner = await visitor(browser, origin)
    login = await owner.context.request.post(
        f"{origin}/api/auth/login", data={"email": OWNER.id, "password": PASSWORD}
    )
    assert login.ok
    page = owner.page
    await page.goto(f"{origin}/")  # the series is made on the start page
    await page.get_by_label("Titel").fill(TITLE_PAYLOAD)
    await page.get_by_label("Organisation").fill("Verband")
    await page.get_by_role("button", name="Reihe anlegen").click()
    await page.wait_for_url(f"{origin}/series/*")
    series_id = page.url.rsplit("/", 1)[1]
    assert await page.locator("h1").inner_text() == TITLE_PAYLOAD
    for workshop_id in ("w-vorab", "w-archiv"):
        added = await owner.context.request.post(
            f"{origin}/api/series/{series_id}/workshops", data={"workshop_id": workshop_id}
        )
        assert added.ok, await added.text()
    await page.reload()
    await page.locator("#member-id").fill("w-export")  # offered in the field's list
    await page.locator("#member-form button").click()
    await page.locator(".member-remove[data-workshop='w-export']").wait_for()
    assert await page.locator("h1").inner_text() == TITLE_PAYLOAD
    await page.get_by_label("Gültig für (Tage)").fill("7")
    await page.get_by_role("button", name="Link erstellen").click()
    link = page.locator("#link-url")
    await link.wait_for(state="visible")
    review_url = await link.inner_text()
    assert review_url.startswith(f"{origin}/review/")
    await owner.shot(artifacts, "series-owner")
    owner.guard.check()

    reviewer = await visitor(browser, origin)
    page = reviewer.page
    await page.goto(review_url)
    assert await page.locator("h1").inner_text() == TITLE_PAYLOAD
    assert await page.evaluate("document.scripts.length") == 0
    body = await page.locator("main").inner_text()
    assert [text for text in PREWORK_SHARED if text not in body] == []
    hidden = (*ENDED_SECRETS, PREWORK_SECRET, OTHER_SERIES_TITLE, OTHER_WORKSHOP_TITLE)
    assert [secret for secret in hidden if secret in await page.content()] == []
    assert await page.locator("article.series-workshop").count() == 3
    assert await page.locator("table.timing tbody tr").count() >= 1
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"the page is {width} px wide"
    table = "document.querySelector('.table-scroll')"
    await page.locator("table.timing").screenshot(path=str(artifacts / "timing.png"))
    assert await page.evaluate(f"{table}.scrollWidth <= {table}.clientWidth"), "timing overflows"
    await reviewer.shot(artifacts, "review-phone")

    clock_now = START + timedelta(days=30)
    expected = {
        "w-export": build_bundle(_ended_record().state, clock_now),
        "w-vorab": build_bundle(prework_workshop().state, clock_now),
    }
    downloads = page.locator("a.download")
    assert await downloads.count() == 3 * len(FORMATS_SHOWN) + 1
    for number in range(await downloads.count()):
        # one page load here gave nine downloads and then no more; a fresh load for each avoids that
        await page.goto(review_url)
        anchor = downloads.nth(number)
        href = await anchor.get_attribute("href")
        assert href is not None
        async with page.expect_download() as waiting:
            await anchor.click()
        download = await waiting.value
        saved = artifacts / f"download-{number}-{download.suggested_filename}"
        await download.save_as(saved)
        text = saved.read_bytes().decode()
        assert text, href
        for workshop_id, bundle in expected.items():
            for fmt in FORMATS_SHOWN:
                if href.endswith(f"/workshops/{workshop_id}/export.{fmt}"):
                    assert text == render(bundle, fmt), href  # type: ignore[arg-type]
        if href.endswith("/series.json"):
            assert '"format": "lernraum-series"' in text
    reviewer.guard.check()

    # revoked in the owner's API, the same link now says why it is refused
    listed = await owner.context.request.get(f"{origin}/api/series/{series_id}/review-links")
    link_id = (await listed.json())[0]["id"]
    revoked = await owner.context.request.delete(
        f"{origin}/api/series/{series_id}/review-links/{link_id}"
    )
    assert revoked.ok
    answer = await page.goto(review_url)
    assert answer is not None and answer.status == 410
    assert "widerrufen" in await page.locator("#error").inner_text()
    await owner.context.close()
    await reviewer.context.close()
