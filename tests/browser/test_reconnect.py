"""A participant's page reconnects by itself when the server process is killed and restarted."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from app.client import LiveClient, log_in
from app.store import Store
from tests.browser.support import join_by_code, visitor
from tests.live.support import OWNER_EMAIL, PASSWORD, ack, join_code, server_process

pytestmark = pytest.mark.browser

RECONNECT_TIMEOUT_MS = 20_000  # the page backs off up to 5 s between attempts


def first_workshop(database_url: str) -> str:
    """The demo workshop's id, read from the store."""
    store = Store(database_url)
    try:
        return store.workshop_ids()[0]
    finally:
        store.close()


async def test_room_page_reconnects_after_a_server_restart(
    browser: Browser, tmp_path: Path, artifacts: Path
):
    """After kill -9 and a restart on the same port the page shows that it lost the
    connection, comes back on its own, and shows what happened meanwhile."""
    async with server_process(tmp_path) as server:
        origin = server.url
        session = await log_in(origin, OWNER_EMAIL, PASSWORD)
        workshop = first_workshop(server.database_url)
        code = await join_code(origin, workshop, session)
        ada = await visitor(browser, origin)
        await join_by_code(ada, origin, code, "Ada", "de")
        page = ada.page
        async with LiveClient(origin, workshop, session=session) as facilitator:
            await ack(facilitator, {"type": "workshop.start"})
            first = facilitator.view["plan"]["0"]["title"]["de"]
            await expect(page.locator("#step-title")).to_have_text(first)

            server.kill()
            await expect(page.locator("#connection")).to_have_attribute(
                "data-state", "offline", timeout=RECONNECT_TIMEOUT_MS
            )
            await ada.shot(artifacts, "room-offline-de")
            await server.start()
            await expect(page.locator("#connection")).to_have_attribute(
                "data-state", "online", timeout=RECONNECT_TIMEOUT_MS
            )
            await facilitator.connected.wait()
            await ack(facilitator, {"type": "step.jump", "index": 2})
            third = facilitator.view["plan"]["2"]["title"]["de"]
            await expect(page.locator("#step-title")).to_have_text(third)
    # the page's failed reconnect attempts while the server was down are console errors
    ada.guard.console_errors = [
        error for error in ada.guard.console_errors if "WebSocket connection" not in error
    ]
    ada.guard.check()
    await ada.context.close()
