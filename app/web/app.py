"""The app factory. Nothing touches the outside world at import time: the lifespan opens the
store, reads the structures library and seeds the demo workshop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.clock import Clock, SystemClock
from app.live.hub import Hub
from app.settings import Settings
from app.structures import SHIPPED_ROOT, load_library
from app.web.api import router as api_router
from app.web.auth import router as auth_router
from app.web.pages import router as pages_router
from app.workshops import WorkshopService

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """A Lernraum application for ``settings``, reading time from ``clock``."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        library = load_library(SHIPPED_ROOT, *settings.structures_dirs)
        service = WorkshopService.open(settings.database_url, library, clock)
        if settings.demo:
            await service.ensure_demo(settings.demo_owner)
        hub = Hub(service)
        await hub.start()
        app.state.service = service
        app.state.hub = hub
        try:
            yield
        finally:
            await hub.stop()
            service.close()

    app = FastAPI(
        title="Lernraum",
        version=__version__,
        summary="Live online workshops: timed structures, breakouts and a shared board.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.include_router(api_router)
    app.include_router(auth_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
