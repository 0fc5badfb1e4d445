"""Fixtures for tests in a real browser: Debian's Chromium driven by Playwright's async API.

The async API keeps these tests in the same pytest process as the asyncio tests (the sync
API breaks every later async test). Chromium comes from the system (``/usr/bin/chromium``;
Playwright's own download is unreachable here); without it the tests skip, and in CI
(``LERNRAUM_REQUIRE_SERVICES=1``) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from app.clock import ScaledClock
from app.settings import Settings
from tests.conftest import LiveServer, serve_app
from tests.services import unavailable

CHROMIUM = os.environ.get("LERNRAUM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Hours away from the machine's clock, so that a countdown right only with the server-time
# offset applied is told apart from one computed from the browser's own clock.
SERVER_START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def page_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app on loopback with the demo workshop and a real-speed clock set years ahead."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lernraum.db'}", join_max_attempts=1000
    )
    with serve_app(settings, ScaledClock(1.0, SERVER_START)) as server:
        yield server


ARTIFACTS = Path(
    os.environ.get(
        "LERNRAUM_ARTIFACTS", Path(__file__).resolve().parent.parent.parent / "artifacts"
    )
)


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where a test saves its screenshots: ``artifacts/<test name>/`` at the project root
    (git-ignored; CI keeps the folder), or under ``LERNRAUM_ARTIFACTS`` when set."""
    folder = ARTIFACTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
