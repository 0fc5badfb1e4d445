"""Fixtures shared by the whole suite: real servers on loopback, never mocks."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from app.clock import Clock, FakeClock
from app.settings import Settings
from app.store import Store
from app.web.app import UVICORN_WS_OPTIONS, create_app
from tests.services import free_port, postgres_server, redis_server

SERVER_START_TIMEOUT_S = 20


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for this test session."""
    # Not under pytest's temp root: that is private to root, and initdb runs as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="lernraum-pg-"))
    try:
        with postgres_server(workdir) as url:
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server for this test session."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@dataclass
class LiveServer:
    """A uvicorn server running the app in a thread on a loopback port."""

    url: str
    settings: Settings
    clock: Clock


@contextmanager
def serve_app(settings: Settings, clock: Clock) -> Iterator[LiveServer]:
    """Run the app under a real uvicorn on a free loopback port until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, clock),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        **UVICORN_WS_OPTIONS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", settings=settings, clock=clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store in a fresh SQLite file (modules may define their own)."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    yield store
    store.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app with a fresh SQLite file, the demo workshop and a fake clock."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lernraum.db'}")
    with serve_app(settings, FakeClock()) as server:
        yield server
