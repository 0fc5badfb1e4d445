"""The ``lernraum`` command as a user runs it: a real process, real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.services import free_port

STARTUP_TIMEOUT_S = 30


def _lernraum(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_serve_starts_with_sqlite_in_the_working_directory_and_the_demo(tmp_path: Path):
    """`lernraum serve` creates lernraum.db where it runs and serves the demo workshop."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.1)
        start_page = httpx.get(f"http://127.0.0.1:{port}/").text
        assert "Peer Learning: Auftaktworkshop (90 Minuten)" in start_page  # in the library
        assert (tmp_path / "lernraum.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stdout:
            process.stdout.close()
    # uvicorn shuts down gracefully, then re-raises the signal it got
    assert process.returncode in (0, -signal.SIGTERM)


def test_structures_check_passes_on_the_shipped_library(tmp_path: Path):
    """The shipped library checks clean and reports its size and the 90-minute agenda."""
    result = _lernraum("structures", "check", cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
    count = int(result.stdout.split(" structures")[0].split()[-1])
    assert count >= 20
    assert "peer-learning-kickoff: 90 minutes" in result.stdout


def test_structures_check_reports_file_and_line_for_a_broken_file(tmp_path: Path):
    """A broken file makes the check exit 1 with a file:line message."""
    broken = tmp_path / "broken.toml"
    broken.write_text(
        'kind = "structure"\nid = "broken"\nname = { de = "Kaputt" }\n'
        'description = { de = "x", en = "x" }\n'
        '[licence]\nspdx = "CC-BY-4.0"\nattribution = "test"\n'
        '[[steps]]\nid = "only"\ntitle = { de = "a", en = "a" }\nminutes = 5\nbogus = 1\n'
    )
    result = _lernraum("structures", "check", str(broken), cwd=tmp_path)
    assert result.returncode == 1
    assert "broken.toml:3: German text without its English twin" in result.stdout
    assert "broken.toml:12: unknown key 'bogus'" in result.stdout


def test_facilitator_add_creates_an_account_that_can_log_in(tmp_path: Path):
    """`lernraum facilitator add` with a password on stdin creates a working account."""
    from app.accounts import Accounts
    from app.clock import SystemClock
    from app.store import Store

    url = f"sqlite:///{tmp_path / 'f.db'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "facilitator",
            "add",
            "ada@example.org",
            "--password-stdin",
            "--database-url",
            url,
        ],
        input="correct horse battery\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "facilitator",
            "add",
            "ada@example.org",
            "--database-url",
            url,
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 1 and "already has an account" in again.stderr
    store = Store(url)
    session = Accounts(store.engine).log_in(
        "ada@example.org", "correct horse battery", SystemClock().now()
    )
    assert session.email == "ada@example.org"
    store.close()
