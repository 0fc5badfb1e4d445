"""The retention sweep on a real SQLite store, through ``lernraum retention run``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.cli import main
from app.core.commands import EndWorkshop
from app.core.erasure import EraseContributions
from app.export import build_bundle
from app.retention import retention_due
from app.store import JoinLink, Store
from tests.factories import OWNER
from tests.recorded import ANONYMISED, EXPORT_NOW, NAMES, P2, Recorder, record


def _stored(tmp_path: Path, run: Recorder) -> str:
    """The recorded workshop's log in a fresh SQLite store, with tokens and a join link."""
    url = f"sqlite:///{tmp_path / 'lernraum.db'}"
    store = Store(url)
    try:
        store.create_schema()
        store.save_workshop(run.events[0], run.now)  # type: ignore[arg-type]
        store.append_events(run.state.id, 1, run.events[1:], run.now)
        for number, pid in enumerate(NAMES, start=1):
            store.save_participant_token(f"hash-{number}", run.state.id, pid, run.now)
        store.save_join_link(JoinLink(run.state.id, "ABCDEFGHJK", "link-token", run.now))
        store.save_snapshot(run.state, run.now)
    finally:
        store.close()
    return url


def _bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _ended() -> Recorder:
    run = record()
    run(EndWorkshop(), OWNER)
    return run


def _sweep(url: str, as_of: str, days: int = 30) -> int:
    return main(["retention", "run", "--database-url", url, "--days", str(days), "--as-of", as_of])


def test_retention_is_due_only_for_ended_workshops_after_the_period() -> None:
    running = record().state
    ended = _ended().state
    assert ended.ended_at is not None
    later = ended.ended_at + timedelta(days=30)
    assert not retention_due(running, later + timedelta(days=999), 30)
    assert not retention_due(ended, later - timedelta(seconds=1), 30)
    assert retention_due(ended, later, 30)
    assert not retention_due(ended, later + timedelta(days=999), 0)  # 0: kept for ever


def test_the_sweep_anonymises_an_ended_workshop_once_its_time_is_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _ended()
    assert run.state.ended_at is not None
    url = _stored(tmp_path, run)
    before = build_bundle(run.state, EXPORT_NOW)
    stored = _bytes(url)
    assert all(secret.encode() in stored for secret in ANONYMISED)

    early = (run.state.ended_at + timedelta(days=29)).isoformat()
    assert _sweep(url, early) == 0
    assert "0 workshops anonymised" in capsys.readouterr().out

    due = (run.state.ended_at + timedelta(days=30)).isoformat()
    assert _sweep(url, due) == 0
    out = capsys.readouterr().out
    assert f"anonymised {run.state.id}" in out and "1 logs redacted" in out

    stored = _bytes(url)
    for secret in ANONYMISED:
        assert secret.encode() not in stored, secret
    assert b"Mehr Zeit f" in stored  # a check-out answer shared for the export stays
    store = Store(url)
    try:
        state = store.load_state(run.state.id)
        assert state is not None
        assert build_bundle(state, EXPORT_NOW) == before  # the outcome record stays
        assert store.load_state(run.state.id, use_snapshot=False) == state
        assert sorted(p.name for p in state.participants.values()) == [
            f"Teilnehmer:in {n}" for n in range(1, 5)
        ]
        assert store.load_participant_token("hash-1") is None
        assert store.load_join_link(run.state.id) is None
        with store.engine.connect() as connection:
            snapshots = connection.execute(text("SELECT COUNT(*) FROM snapshots")).scalar()
        assert snapshots == 0  # it held the names
    finally:
        store.close()

    assert _sweep(url, due) == 0  # once is enough
    assert "0 workshops anonymised, 0 logs redacted" in capsys.readouterr().out


def test_the_sweep_completes_an_erasure_whose_redaction_is_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = record()
    run(EraseContributions(leave=True), P2)  # as if sent over the websocket: only the event
    url = _stored(tmp_path, run)
    assert b"SECRET-PRIVATE-CANVAS" in _bytes(url)
    assert _sweep(url, EXPORT_NOW.isoformat()) == 0
    assert "0 workshops anonymised, 1 logs redacted" in capsys.readouterr().out
    stored = _bytes(url)
    assert b"SECRET-PRIVATE-CANVAS" not in stored
    assert NAMES["p-2"].encode() not in stored and NAMES["p-1"].encode() in stored
    store = Store(url)
    try:
        assert store.load_state(run.state.id) == run.state
        assert store.load_participant_token("hash-2") is None  # p-2 left: token forgotten
        assert store.load_participant_token("hash-1") is not None
    finally:
        store.close()
