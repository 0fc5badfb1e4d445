"""The HTML export report in Chromium: injected markup stays text, nothing runs or loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Request

from app.export import build_bundle, render
from tests.recorded import PAYLOADS, START, injected

pytestmark = pytest.mark.browser


async def test_no_payload_runs_a_script_or_loads_anything_in_chromium(
    browser: Browser, tmp_path: Path
):
    """Opened from disk, as a downloaded report is, no payload opens a dialog, sets a
    global or makes a request, and each payload's text is shown as written."""
    page = await browser.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    def seen(request: Request) -> None:
        if not request.url.startswith("file://"):
            requests.append(request.url)

    page.on("request", seen)
    for number, payload in enumerate(PAYLOADS):
        report = tmp_path / f"report-{number}.html"
        report.write_text(render(build_bundle(injected(payload).state, START), "html"))
        await page.goto(report.as_uri())
        await page.wait_for_load_state("load")
        assert await page.evaluate("document.scripts.length") == 0
        assert await page.evaluate("document.querySelectorAll('img, svg, iframe, a').length") == 0
        body = await page.inner_text("main")
        assert payload.strip() in body or payload.replace("\n", " ").strip() in body, payload
    await page.close()
    assert dialogs == [] and requests == []
