"""Crash recovery: ``lernraum serve`` killed with SIGKILL mid-workshop and started again.

Each test runs the real server as a child process on one loopback port and one SQLite file
and kills it without any shutdown (no bye, no lifespan, no flush). What must hold after the
restart (docs/protocol.md, "Commands" and "Closing and resuming"):

- nothing acknowledged is lost, no command applies twice, a command in flight at the kill
  applies exactly once when the client sends it again under the same id;
- every ``LiveClient`` comes back by itself, and its view equals a fresh client's view;
- every room is rebuilt from the log: the running step keeps its absolute deadline, the
  countdown a client shows from ``deadline`` and ``server_now()`` is right within ±1 s, and a
  step whose deadline passed while the server was down expires once, right after the start.

The server runs a scaled clock (``SCALE`` times real time) with a fixed epoch, so both
processes show the same workshop time and a restart does not set the clock back.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from app.client import LiveClient, join, join_code, log_in
from app.protocol import Ack, Error
from tests.conftest import LiveServer
from tests.live.support import (
    OWNER_EMAIL,
    PASSWORD,
    LogRow,
    ServerProcess,
    event_log,
    fresh_server_now,
    room,
    scaled_now,
    server_process,
    settle,
    stored_workshop,
)

SCALE = 4.0  # workshop seconds per real second; ±1 s of workshop time is 250 ms of real time
TOLERANCE_S = 1.0  # of workshop time
RETRY_S = 20.0  # how long a client keeps trying to reconnect
COMMAND_TIMEOUT_S = 30.0  # longer than the server is down

NOTES_STEP = 3  # 2/impulse/talk: 480 s, everyone in the plenary, notes allowed, on_expiry hold
ADVANCING_STEP = 5  # 3/breakout-work/intro: 120 s, on_expiry advance
ADVANCING_STEP_LEFT_S = 8  # workshop seconds left on it when the server is killed

PARTICIPANTS = 5
WORKERS = 2  # note posters per participant, each waiting for its ack before the next note
MAX_NOTES_PER_WORKER = 40
POST_PAUSE_S = 0.12  # keeps each connection well under the 20 commands/s rate limit
ACKS_BEFORE_KILL = 40
ACKS_AFTER_RESTART = 20


async def _ok(client: LiveClient, command: dict[str, object]) -> Ack:
    answer = await client.command(command)
    assert isinstance(answer, Ack), f"{command} refused: {answer}"
    return answer


async def _until(predicate, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not predicate():
        assert loop.time() < give_up, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _by_key(log: list[LogRow]) -> dict[str, list[int]]:
    keys: dict[str, list[int]] = {}
    for row in log:
        if row.command_key is not None:
            keys.setdefault(row.command_key, []).append(row.seq)
    return keys


def _assert_resumed_by_itself(client: LiveClient) -> None:
    assert client.closed_for_good is None
    assert client.connected.is_set()
    assert client.stats.reconnects >= 1, client.stats
    assert client.stats.welcomes >= 2, client.stats


@dataclass
class Sent:
    """One note a participant posted, and how it was answered."""

    actor: str  # "participant:<id>", the first half of the command key
    command_id: str
    item_id: str
    text: str
    answer: Ack | Error | None = None

    @property
    def key(self) -> str:
        return f"{self.actor}/{self.command_id}"

    @property
    def ack(self) -> Ack:
        assert isinstance(self.answer, Ack), (self.key, self.answer)
        return self.answer


async def _post(client: LiveClient, record: Sent, sent: list[Sent]) -> None:
    sent.append(record)
    command = {"type": "note.post", "item_id": record.item_id, "text": record.text}
    record.answer = await client.command(command, record.command_id, COMMAND_TIMEOUT_S)


async def _keep_posting(
    client: LiveClient, actor: str, worker: int, sent: list[Sent], stop: asyncio.Event
) -> None:
    for number in range(MAX_NOTES_PER_WORKER):
        if stop.is_set():
            return
        command_id = f"w{worker}-{number}"
        record = Sent(actor, command_id, secrets.token_hex(8), f"{actor} {command_id}")
        await _post(client, record, sent)
        await asyncio.sleep(POST_PAUSE_S)


def _burst(
    clients: list[LiveClient],
    actors: list[str],
    name: str,
    sent: list[Sent],
    tasks: list[asyncio.Task[None]],
) -> list[Sent]:
    """One note per participant, sent by tasks nobody waits for yet."""
    burst = []
    for client, actor in zip(clients, actors, strict=True):
        record = Sent(actor, f"burst-{name}", secrets.token_hex(8), f"{actor} burst {name}")
        tasks.append(asyncio.create_task(_post(client, record, sent)))
        burst.append(record)
    return burst


def _wait_in_log_blocking(database_url: str, workshop: str, keys: set[str]) -> None:
    """Wait until the keys are in the log, blocking the event loop on purpose."""
    give_up = time.monotonic() + 10
    while not keys <= set(_by_key(event_log(database_url, workshop))):
        assert time.monotonic() < give_up, "the burst never reached the log"
        time.sleep(0.005)


async def test_a_killed_server_loses_no_acknowledged_note_and_applies_none_twice(
    tmp_path: Path,
):
    """Five participants post notes without pause; the server is killed with notes in flight
    and started again. Every acknowledged note survives, every note is in the log once, the
    notes in flight apply exactly once, and every client resumes by itself with the same view
    a freshly connected client of the same identity gets."""
    epoch = datetime.now(UTC)
    clients: list[LiveClient] = []
    tasks: list[asyncio.Task[None]] = []
    async with server_process(tmp_path, clock_scale=SCALE, clock_epoch=epoch) as server:
        try:
            session = await log_in(server.url, OWNER_EMAIL, PASSWORD)
            workshop = stored_workshop(server.database_url)
            code = await join_code(server.url, workshop, session)
            facilitator = LiveClient(server.url, workshop, session=session, retry_for_s=RETRY_S)
            clients.append(facilitator)
            await facilitator.start()
            people = [await join(server.url, code, f"Person {n}") for n in range(PARTICIPANTS)]
            for person in people:
                client = LiveClient(server.url, workshop, token=person.token, retry_for_s=RETRY_S)
                clients.append(client)
                await client.start()
            participants = clients[1:]
            await _ok(facilitator, {"type": "workshop.start"})
            jumped = await _ok(facilitator, {"type": "step.jump", "index": NOTES_STEP})
            await settle(*clients, seq=jumped.last_seq)
            deadline = facilitator.view["workshop"]["main"]["deadline"]

            sent: list[Sent] = []
            stop = asyncio.Event()
            actors = [f"participant:{person.participant_id}" for person in people]
            tasks = [
                asyncio.create_task(_keep_posting(client, actor, worker, sent, stop))
                for client, actor in zip(participants, actors, strict=True)
                for worker in range(WORKERS)
            ]
            await _until(
                lambda: sum(isinstance(r.answer, Ack) for r in sent) >= ACKS_BEFORE_KILL,
                20,
                "notes acknowledged before the kill",
            )
            # Notes surely in flight at the kill. Burst A: the server made them durable, but
            # the clients have not read their acks (the loop is blocked while we wait for the
            # log). Burst B: on the sockets, not read by the server; the kill follows at once.
            burst_a = _burst(participants, actors, "a", sent, tasks)
            await asyncio.sleep(0)  # burst A goes out on the sockets
            _wait_in_log_blocking(server.database_url, workshop, {r.key for r in burst_a})
            burst_b = _burst(participants, actors, "b", sent, tasks)
            await asyncio.sleep(0)  # burst B goes out; nothing else runs before the kill
            in_flight = [r for r in sent if r.answer is None]
            acked_before = [r for r in sent if isinstance(r.answer, Ack)]
            # The crash takes half the participants' connections down with it: what the
            # server wrote to them and they have not read yet (burst A's acks) is lost, so
            # only the re-send can tell them their notes were applied. The other half read
            # those acks after the kill, before they notice the connection is gone.
            lost_acks = participants[::2]
            for client in lost_acks:
                assert client._socket is not None
                client._socket.transport.abort()
            server.kill()
            at_kill = event_log(server.database_url, workshop)
            kill_seq = at_kill[-1].seq
            keys_at_kill = _by_key(at_kill)
            assert {r.key for r in burst_a + burst_b} <= {r.key for r in in_flight}
            # acknowledged means durable: every acked note is in the log the kill left
            assert all(r.key in keys_at_kill for r in acked_before)
            assert all(r.ack.last_seq <= kill_seq for r in acked_before)

            await asyncio.sleep(0.3)  # the clients find nobody and keep trying
            restarted_at = scaled_now(epoch, SCALE)
            await server.start()
            await _until(
                lambda: (
                    sum(isinstance(r.answer, Ack) and r.answer.first_seq > kill_seq for r in sent)
                    >= ACKS_AFTER_RESTART
                ),
                30,
                "notes acknowledged after the restart",
            )
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), COMMAND_TIMEOUT_S + 10)

            refused = [(r.key, r.answer) for r in sent if not isinstance(r.answer, Ack)]
            assert not refused
            log = event_log(server.database_url, workshop)
            final_seq = log[-1].seq
            keys = _by_key(log)
            # the log: every command key once, its events in one contiguous run
            for key, seqs in keys.items():
                assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), (key, seqs)
            # every note: one event, the one its ack names
            for record in sent:
                assert keys[record.key] == [record.ack.first_seq] == [record.ack.last_seq]
            posted = [row.body["item_id"] for row in log if row.type == "note.posted"]
            assert sorted(posted) == sorted(r.item_id for r in sent)
            assert len(set(posted)) == len(posted)
            # in flight at the kill: applied before it, and the re-send was answered with the
            # original ack; or not applied, and applied once after the restart
            applied_before, applied_after = [], []
            for record in in_flight:
                if record.key in keys_at_kill:
                    assert [record.ack.first_seq] == keys_at_kill[record.key]
                    # repeated, unless the first server's ack was still on its way at the kill
                    assert record.ack.repeated or record.ack.server_time < restarted_at
                    applied_before.append(record)
                else:
                    assert not record.ack.repeated
                    assert record.ack.first_seq > kill_seq
                    applied_after.append(record)
            assert {r.key for r in burst_a} <= {r.key for r in applied_before}
            lost = {
                actor
                for client, actor in zip(participants, actors, strict=True)
                if client in lost_acks
            }
            assert all(r.ack.repeated for r in burst_a if r.actor in lost)
            assert applied_after, "every note in flight had been applied before the kill"

            await settle(*clients, seq=final_seq, timeout=20)
            for client in clients:
                _assert_resumed_by_itself(client)
            # every acknowledged note is in every view once, with its text
            for client in clients:
                items = client.view["items"]
                for record in sent:
                    assert items[record.item_id]["text"] == record.text
                notes = Counter(item["text"] for item in items.values() if item["kind"] == "note")
                assert set(notes.values()) == {1}
            assert facilitator.view["workshop"]["main"]["deadline"] == deadline
            # every client's view is the one a fresh client of the same identity gets
            identities = [{"session": session}] + [{"token": p.token} for p in people]
            for client, identity in zip(clients, identities, strict=True):
                async with LiveClient(server.url, workshop, reconnect=False, **identity) as fresh:
                    await settle(fresh, client, seq=final_seq)
                    assert fresh.view == client.view
            print(
                f"\n{len(sent)} notes, {len(in_flight)} in flight at the kill: "
                f"{len(applied_before)} applied before it "
                f"({sum(r.ack.repeated for r in applied_before)} answered on re-send), "
                f"{len(applied_after)} after the "
                f"restart; resumes {[c.stats.resumes for c in clients]}"
            )
        finally:
            for task in tasks:
                task.cancel()
            for client in clients:
                await client.close()


async def _room_with_one_participant(
    server: ServerProcess, retry_for_s: float
) -> tuple[str, LiveClient, LiveClient]:
    session = await log_in(server.url, OWNER_EMAIL, PASSWORD)
    workshop = stored_workshop(server.database_url)
    code = await join_code(server.url, workshop, session)
    person = await join(server.url, code, "Ada")
    facilitator = LiveClient(server.url, workshop, session=session, retry_for_s=retry_for_s)
    participant = LiveClient(server.url, workshop, token=person.token, retry_for_s=retry_for_s)
    return workshop, facilitator, participant


async def _welcomed_again(*clients: LiveClient, timeout: float = 20.0) -> None:
    def back() -> bool:
        gave_up = [c.closed_for_good for c in clients if c.closed_for_good is not None]
        assert not gave_up, f"a client stopped reconnecting: {gave_up}"
        return all(c.stats.welcomes >= 2 and c.connected.is_set() for c in clients)

    await _until(back, timeout, "the clients to reconnect")


async def test_after_a_restart_the_running_step_keeps_its_deadline_and_countdown(
    tmp_path: Path,
):
    """The step that runs at the kill keeps its absolute deadline, and the countdown a
    client computes from ``deadline`` and ``server_now()`` is right within ±1 s of workshop
    time after the restart."""
    epoch = datetime.now(UTC)
    async with server_process(tmp_path, clock_scale=SCALE, clock_epoch=epoch) as server:
        workshop, facilitator, participant = await _room_with_one_participant(server, RETRY_S)
        clients = [facilitator, participant]
        try:
            for client in clients:
                await client.start()
            await _ok(facilitator, {"type": "workshop.start"})
            jumped = await _ok(facilitator, {"type": "step.jump", "index": NOTES_STEP})
            await settle(*clients, seq=jumped.last_seq)
            shown = facilitator.view["workshop"]["main"]["deadline"]
            deadline = datetime.fromisoformat(shown)
            planned = facilitator.view["plan"][str(NOTES_STEP)]["seconds"]

            await asyncio.sleep(2.0)  # the step runs on for a while (8 workshop seconds)
            left_before = (deadline - await fresh_server_now(participant)).total_seconds()
            read_before = time.monotonic()
            server.kill()
            await asyncio.sleep(0.5)
            await server.start()
            await _welcomed_again(*clients)

            for client in clients:
                _assert_resumed_by_itself(client)
                assert client.view["workshop"]["main"]["deadline"] == shown
                assert client.view["workshop"]["main"]["cursor"] == NOTES_STEP
            # The countdown each client shows, against the workshop time the test computes
            # itself, and against the reading before the kill minus the time that passed.
            # Three readings each, right after a pong (server_now() runs on at real speed,
            # the scaled clock faster), the median within the tolerance.
            for client in clients:
                errors, drifts = [], []
                for _ in range(3):
                    shown_left = (deadline - await fresh_server_now(client)).total_seconds()
                    expected = (deadline - scaled_now(epoch, SCALE)).total_seconds()
                    passed = (time.monotonic() - read_before) * SCALE
                    errors.append(shown_left - expected)
                    drifts.append(shown_left - (left_before - passed))
                errors.sort()
                drifts.sort()
                assert abs(errors[1]) <= TOLERANCE_S, errors
                assert abs(drifts[1]) <= TOLERANCE_S, drifts
                # time went on while the server was down: the step was not restarted
                assert 0 < shown_left < left_before - SCALE * 0.5 < planned
                print(f"\ncountdown error after the restart (workshop s): {errors[1]:+.3f}")
            log = event_log(server.database_url, workshop)
            assert not [row for row in log if row.type == "step.expired"]
        finally:
            for client in clients:
                await client.close()


async def _run_out_soon(facilitator: LiveClient) -> tuple[int, datetime]:
    """Start the workshop at the advancing step with little time left; (seq, deadline)."""
    await _ok(facilitator, {"type": "workshop.start"})
    await _ok(facilitator, {"type": "step.jump", "index": ADVANCING_STEP})
    step = facilitator.view["plan"][str(ADVANCING_STEP)]
    assert step["on_expiry"] == "advance"
    left = {"type": "step.shorten", "seconds": step["seconds"] - ADVANCING_STEP_LEFT_S}
    shortened = await _ok(facilitator, left)
    return shortened.last_seq, datetime.fromisoformat(
        facilitator.view["workshop"]["main"]["deadline"]
    )


def _expired_once_on_restart(log: list[LogRow], kill_seq: int, restarted_at: datetime) -> None:
    """The log after the restart: one expiry of the advancing step, by the scheduler, then
    the next step, started by that expiry; nothing else expired."""
    expired = [row for row in log if row.type == "step.expired"]
    assert [(row.body["index"], row.body["policy"]) for row in expired] == [
        (ADVANCING_STEP, "advance")
    ]
    assert expired[0].seq > kill_seq and expired[0].command_key is None
    assert datetime.fromisoformat(expired[0].body["at"]) >= restarted_at
    started = [row.body for row in log if row.type == "step.started" and row.seq > kill_seq]
    assert [(body["index"], body["cause"]) for body in started] == [(ADVANCING_STEP + 1, "expiry")]


async def test_a_step_that_ran_out_while_the_server_was_down_expires_once_after_the_restart(
    tmp_path: Path,
):
    """A step with ``on_expiry = advance`` whose deadline passes while the server is down
    expires exactly once right after the restart, and the next step starts. Every room is
    rebuilt at startup: a second workshop that nobody connects to after the restart expires
    as well. The clients of the first come back by themselves and see the new step."""
    epoch = datetime.now(UTC)
    async with server_process(tmp_path, clock_scale=SCALE, clock_epoch=epoch) as server:
        workshop, facilitator, participant = await _room_with_one_participant(server, RETRY_S)
        clients = [facilitator, participant]
        try:
            for client in clients:
                await client.start()
            # a second workshop, left alone once its step is set to run out
            async with httpx.AsyncClient(
                base_url=server.url, cookies={"lernraum_session": facilitator.session or ""}
            ) as http:
                created = await http.post(
                    "/api/workshops", json={"source_id": "peer-learning-kickoff"}
                )
                assert created.status_code == 201, created.text
                unattended = created.json()["id"]
            async with LiveClient(
                server.url, unattended, session=facilitator.session, reconnect=False
            ) as other:
                _, other_deadline = await _run_out_soon(other)
            seq, deadline = await _run_out_soon(facilitator)
            await settle(*clients, seq=seq)
            server.kill()
            at_kill = {w: event_log(server.database_url, w) for w in (workshop, unattended)}
            for log in at_kill.values():
                assert not [row for row in log if row.type == "step.expired"]

            # stay down until both deadlines have surely passed
            await _until(
                lambda: scaled_now(epoch, SCALE) > deadline + timedelta(seconds=2),
                ADVANCING_STEP_LEFT_S,
                "the deadline to pass",
            )
            assert other_deadline < deadline
            restarted_at = scaled_now(epoch, SCALE)
            await server.start()
            await _until(
                lambda: any(
                    row.type == "step.expired" for row in event_log(server.database_url, unattended)
                ),
                10,
                "the unattended workshop's expiry",
            )
            await _welcomed_again(*clients)
            for client in clients:
                await client.wait_until(
                    lambda view: view["workshop"]["main"]["cursor"] == ADVANCING_STEP + 1
                )
                _assert_resumed_by_itself(client)
            await asyncio.sleep(0.5)  # time for a second expiry, were there one

            for w in (workshop, unattended):
                _expired_once_on_restart(
                    event_log(server.database_url, w), at_kill[w][-1].seq, restarted_at
                )
            log = event_log(server.database_url, workshop)
            await settle(*clients, seq=log[-1].seq)
            main = facilitator.view["workshop"]["main"]
            assert main["cursor"] == ADVANCING_STEP + 1 and main["phase"] == "running"
            assert datetime.fromisoformat(main["deadline"]) > deadline
            assert participant.view["workshop"]["main"]["cursor"] == ADVANCING_STEP + 1
            # planned versus actual: the step ran once and ended after its deadline
            runs = [run for _, run in sorted(facilitator.view["history"].items(), key=_number)]
            assert [run["index"] for run in runs][-2:] == [ADVANCING_STEP, ADVANCING_STEP + 1]
            assert [run["index"] for run in runs].count(ADVANCING_STEP) == 1
            assert datetime.fromisoformat(runs[-2]["ended_at"]) >= deadline
            assert runs[-1]["ended_at"] is None
            for client, identity in (
                (facilitator, {"session": facilitator.session}),
                (participant, {"token": participant.token}),
            ):
                async with LiveClient(server.url, workshop, reconnect=False, **identity) as fresh:
                    await settle(fresh, client, seq=log[-1].seq)
                    assert fresh.view == client.view
        finally:
            for client in clients:
                await client.close()


def _number(entry: tuple[str, object]) -> int:
    return int(entry[0])


async def test_a_client_connected_longer_than_its_retry_window_comes_back_after_a_drop(
    live_server: LiveServer,
):
    """The retry window counts from the moment a connection drops, also when it ends without
    a close frame, as when the server process is killed: a client that had been connected
    longer than the window still reconnects (it used to give up at once)."""
    async with room(live_server) as r:
        client = LiveClient(live_server.url, r.workshop, session=r.session, retry_for_s=0.5)
        try:
            await client.start()
            await asyncio.sleep(0.7)  # connected longer than the window
            assert client._socket is not None
            client._socket.transport.abort()  # the connection ends abnormally (code 1006)
            await _welcomed_again(client, timeout=10)
            _assert_resumed_by_itself(client)
            assert client.stats.resumes == 1
        finally:
            await client.close()
