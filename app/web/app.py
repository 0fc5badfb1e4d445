"""The app factory. Nothing touches the outside world at import time: the lifespan opens the
store, reads the structures library and seeds the demo workshop."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.clock import Clock, ScaledClock, SystemClock
from app.live.hub import Hub
from app.live.wire import KeepSend
from app.protocol import TRANSPORT_MAX_BYTES
from app.retention import start_sweeps, stop_sweeps
from app.settings import Settings
from app.structures import SHIPPED_ROOT, load_library
from app.web.agenda import router as agenda_router
from app.web.api import router as api_router
from app.web.auth import router as auth_router
from app.web.console import router as console_router
from app.web.exports import router as exports_router
from app.web.facilitate import router as facilitate_router
from app.web.join import router as join_router
from app.web.live import router as live_router
from app.web.pages import router as pages_router
from app.web.privacy import router as privacy_router
from app.web.rooms import router as rooms_router
from app.web.security import SecurityHeaders
from app.web.series import pages as series_pages_router
from app.web.series import review_api as review_api_router
from app.web.series import router as series_router
from app.web.setup import router as setup_router
from app.web.takeaway import router as takeaway_router
from app.workshops import WorkshopService

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"


# permessage-deflate costs ~3x CPU per frame and ~37 KB per connection; board events are
# small, so compression is off. Frames over the transport limit close the connection (1009);
# the gateway answers messages over the protocol's 64 KiB limit with a typed error.
UVICORN_WS_OPTIONS: dict[str, Any] = {
    "ws_per_message_deflate": False,
    "ws_max_size": TRANSPORT_MAX_BYTES,
}


# The cyclic garbage collector, tuned for the server process (docs/benchmarks.md, breakout
# hour). With the defaults (700, 10, 10) the server spent 4.0-4.4 s of a 35-second benchmark
# run in the collector, full collections pausing the event loop for up to 420 ms: every state a
# room keeps for resuming, every view and every module object is walked again and again,
# although almost nothing of it is ever cyclic garbage (the core's values are trees, freed
# by reference counting). A young generation of 50,000 objects makes collections rare; and
# after start-up ``gc.freeze()`` moves what is alive then (modules, the library, every
# loaded workshop) out of the collector's sight for good. The cost: cyclic garbage lives a
# little longer, and what start-up left as cyclic garbage is never collected (a one-time,
# bounded amount). Measured: 0.6 s in the collector, no full collection under load. Tests
# do not tune: freezing in every test's lifespan would keep each test's app alive for good.
GC_THRESHOLDS = (50_000, 20, 20)


def clock_for(settings: Settings) -> Clock:
    """The wall clock, or a scaled one when the settings ask for it (demos and tests)."""
    if settings.clock_scale == 1.0 and settings.clock_epoch is None:
        return SystemClock()
    return ScaledClock(settings.clock_scale, epoch=settings.clock_epoch)


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, *, tune_collector: bool = False
) -> FastAPI:
    """A Lernraum application for ``settings``, reading time from ``clock``.

    ``tune_collector`` (``lernraum serve`` sets it, tests do not) sets the garbage
    collector's thresholds and freezes the heap once every workshop is loaded, see
    ``GC_THRESHOLDS``."""
    settings = settings or Settings()
    clock = clock or clock_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if tune_collector:
            gc.set_threshold(*GC_THRESHOLDS)
        library = load_library(SHIPPED_ROOT, *settings.structures_dirs)
        service = WorkshopService.open(settings.database_url, library, clock)
        if settings.demo:
            await service.ensure_demo(settings.demo_owner)
        hub = Hub(service)
        await hub.start()
        if tune_collector:
            gc.freeze()  # see GC_THRESHOLDS
        app.state.service = service
        app.state.hub = hub
        sweeps = start_sweeps(app.state)
        try:
            yield
        finally:
            await stop_sweeps(sweeps)
            await hub.stop()
            service.close()

    app = FastAPI(
        title="Lernraum",
        version=__version__,
        summary="Live online workshops: timed structures, breakouts and a shared board.",
        lifespan=lifespan,
        docs_url=None,  # /docs is our own page (app.web.pages) with vendored Swagger UI
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.include_router(api_router)
    app.include_router(auth_router)
    app.include_router(join_router)
    app.include_router(facilitate_router)
    app.include_router(exports_router)
    app.include_router(takeaway_router)
    app.include_router(privacy_router)
    app.include_router(agenda_router)
    app.include_router(live_router)
    app.include_router(pages_router)
    app.include_router(rooms_router)
    app.include_router(series_router)
    app.include_router(review_api_router)
    app.include_router(series_pages_router)
    app.include_router(setup_router)
    app.include_router(console_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(KeepSend)  # outermost: sees the server's own websocket send
    return app
