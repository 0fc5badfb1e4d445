"""Helpers for browser tests: a guard on every request a page makes, joining through the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, WebSocket
from playwright.async_api import Request as PageRequest
from playwright.async_api import Response as PageResponse

PHONE_VIEWPORT = {"width": 360, "height": 740}
UI_TIMEOUT_MS = 10_000


@dataclass
class OriginGuard:
    """Records every request and websocket of a browser context, and console errors."""

    origin: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # responses with status 400 or more
    console_errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        """Watch ``context`` and every page it opens."""
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        """Watch one page's websockets and console."""
        page.on("websocket", self._on_websocket)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _on_request(self, request: PageRequest) -> None:
        self.requests.append(request.url)

    def _on_response(self, response: PageResponse) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def _on_websocket(self, socket: WebSocket) -> None:
        self.requests.append(socket.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def foreign(self) -> list[str]:
        """Requested URLs whose host and port are not the server's own."""
        own = urlsplit(self.origin).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in {"data", "blob", "about"} and urlsplit(url).netloc != own
        ]

    def check(self) -> None:
        """Fail on any request to another host and on any console error (CSP violations
        are console errors too)."""
        assert self.requests, "the guard saw no request at all"
        assert self.foreign() == [], f"requests left the origin: {self.foreign()}"
        assert self.console_errors == [], f"console errors: {self.console_errors} {self.failed}"


@dataclass
class Visitor:
    """One person's browser context and page, and the guard on it."""

    context: BrowserContext
    page: Page
    guard: OriginGuard

    async def shot(self, folder: Path, name: str) -> Path:
        """Save a full-page screenshot as ``name``.png in ``folder``."""
        path = folder / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


async def visitor(browser: Browser, origin: str, *, locale: str = "de-DE") -> Visitor:
    """A fresh context (own storage, like another person's browser) at phone width."""
    context = await browser.new_context(viewport=PHONE_VIEWPORT, locale=locale)  # type: ignore[arg-type]
    context.set_default_timeout(UI_TIMEOUT_MS)
    guard = OriginGuard(origin)
    guard.attach(context)
    page = await context.new_page()
    return Visitor(context, page, guard)


async def join_by_code(
    person: Visitor,
    origin: str,
    code: str,
    name: str,
    lang: str,
    shots: Path | None = None,
    attributes: dict[str, str] | None = None,
) -> str:
    """Type the code on /join, accept the agreement, join as ``name``; the room's path.
    With ``shots``, the filled-in form is saved there as ``join-form-{lang}.png``."""
    page = person.page
    await page.goto(f"{origin}/join?lang={lang}")
    await page.get_by_label("Beitrittscode" if lang == "de" else "Join code").fill(code)
    await page.keyboard.press("Enter")  # the form works from the keyboard
    await page.locator("#workshop-title").wait_for(state="visible")
    await page.get_by_label("Ihr Name" if lang == "de" else "Your name").fill(name)
    for attribute, value in (attributes or {}).items():
        await page.locator(f"#attribute-{attribute}").fill(value)
    await page.locator("#accept").check()
    if shots is not None:
        await person.shot(shots, f"join-form-{lang}")
    await page.locator("#join-submit").click()
    await page.wait_for_url("**/room/*")
    await page.locator('#connection[data-state="online"]').wait_for()
    return urlsplit(page.url).path
