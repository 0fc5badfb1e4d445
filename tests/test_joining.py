"""Joining by code or link over real HTTP: tokens, rejoining, locks, agreement, throttling."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.accounts import Accounts, hash_token
from app.clock import FakeClock
from app.core.actors import Actor
from app.core.commands import EndWorkshop, StartWorkshop
from app.core.reducer import decide, evolve, fold
from app.core.runofshow import create_workshop
from app.joining import (
    CODE_ALPHABET,
    JoinThrottle,
    format_code,
    new_join_code,
    new_link_token,
    new_participant_token,
    normalise_code,
    resolve_participant_token,
    throttle_key,
)
from app.settings import Settings
from app.store import JoinLink, Store
from tests.conftest import LiveServer, serve_app
from tests.factories import plan

PASSWORD = "correct horse battery"
OWNER = "owner@example.org"


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'join.db'}",
        "demo": False,
        "join_max_attempts": 1000,
        **overrides,
    }
    return Settings(**values)


@contextmanager
def _account(server: LiveServer, email: str) -> Iterator[httpx.Client]:
    """A client logged in as a new facilitator account."""
    store = Store(server.settings.database_url)
    Accounts(store.engine).add_facilitator(email, PASSWORD, server.clock.now())
    store.close()
    with httpx.Client(base_url=server.url) as client:
        response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server without the demo workshop and with a generous join budget."""
    with serve_app(_settings(tmp_path), FakeClock()) as live:
        yield live


@pytest.fixture
def owner(server: LiveServer) -> Iterator[httpx.Client]:
    with _account(server, OWNER) as client:
        yield client


def _workshop(owner: httpx.Client, **settings: Any) -> tuple[str, dict[str, Any]]:
    """A new workshop (configured with ``settings``) and its join links."""
    created = owner.post("/api/workshops", json={"source_id": "check-in"})
    assert created.status_code == 201, created.text
    workshop_id = created.json()["id"]
    if settings:
        response = owner.patch(f"/api/workshops/{workshop_id}", json=settings)
        assert response.status_code == 200, response.text
    return workshop_id, owner.get(f"/api/workshops/{workshop_id}/links").json()


def _join(server: LiveServer, code: str, name: str = "Ada", **extra: Any) -> httpx.Response:
    """Look the code up, accept the agreement shown, and join."""
    info = httpx.get(f"{server.url}/api/join/{code}").json()
    body = {"code": code, "name": name, "agreement": info.get("agreement_fingerprint"), **extra}
    return httpx.post(f"{server.url}/api/join", json=body)


def _join_raw(server: LiveServer, code: str) -> httpx.Response:
    """A join without looking anything up (so without the agreement)."""
    return httpx.post(f"{server.url}/api/join", json={"code": code, "name": "Ada"})


def _people(owner: httpx.Client, workshop_id: str) -> list[dict[str, Any]]:
    response = owner.get(f"/api/workshops/{workshop_id}/participants")
    assert response.status_code == 200, response.text
    people: list[dict[str, Any]] = response.json()
    return people


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["detail"]["code"]


def test_codes_are_ten_unambiguous_symbols_and_typing_is_forgiving():
    """Codes use Crockford base32; case, dashes, spaces and I/L/O typos do not matter."""
    code = new_join_code()
    assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
    assert not set("ILOU") & set(CODE_ALPHABET)
    assert format_code("ABCDE12345") == "ABCDE-12345"
    assert normalise_code(" abcde-12345 ") == "ABCDE12345"
    assert normalise_code("abcde 1234o") == "ABCDE12340"
    assert normalise_code("iLcde-12345") == "11CDE12345"
    assert normalise_code("ABCDE-1234") is None and normalise_code("ABCDE-1234U") is None
    assert len({new_join_code() for _ in range(200)}) == 200


def test_throttle_refuses_a_spent_address_until_the_clock_refills_it():
    """A bucket of 3 per minute refuses the 4th try, says to wait 20 s, then allows one."""
    clock = FakeClock()
    throttle = JoinThrottle(capacity=3, window_s=60)
    assert [throttle.take("a", clock.now()) for _ in range(3)] == [None, None, None]
    assert throttle.take("a", clock.now()) == 20
    assert throttle.take("b", clock.now()) is None  # other addresses have their own bucket
    clock.advance(19)
    assert throttle.take("a", clock.now()) == 1
    clock.advance(1)
    assert throttle.take("a", clock.now()) is None
    throttle.charge("b", clock.now(), 5)  # a penalty empties the bucket, never below zero
    assert throttle.take("b", clock.now()) == 20


def test_throttle_forgets_the_least_recently_seen_address_when_it_tracks_too_many():
    """Memory stays bounded: an address not seen for longest is dropped, a busy one is kept."""
    clock = FakeClock()
    throttle = JoinThrottle(capacity=2, window_s=60, max_addresses=2)
    throttle.take("busy", clock.now(), cost=2)
    throttle.take("idle", clock.now())
    clock.advance(120)
    throttle.take("busy", clock.now(), cost=2)
    throttle.take("new", clock.now())
    assert throttle.take("busy", clock.now()) is not None  # still remembered as spent


def test_an_ipv6_client_spends_the_budget_of_its_whole_64():
    """Addresses of one IPv6 /64 share a bucket; IPv4 (also mapped into IPv6) is per address."""
    assert throttle_key("2001:db8:1:2::1") == throttle_key("2001:db8:1:2:ffff::9")
    assert throttle_key("2001:db8:1:2::1") != throttle_key("2001:db8:1:3::1")
    assert throttle_key("::ffff:192.0.2.7") == throttle_key("192.0.2.7") == "192.0.2.7"
    assert throttle_key("192.0.2.7") != throttle_key("192.0.2.8")
    assert throttle_key("testclient") == "testclient"


def test_look_up_shows_title_status_attributes_and_agreement(
    server: LiveServer, owner: httpx.Client
):
    """A code or link says what it opens: title, open, the asked attributes, the agreement."""
    _, links = _workshop(owner, title="Kick-off", join_attributes=["organisation"])
    by_code = httpx.get(f"{server.url}/api/join/{links['code'].lower()}").json()
    by_link = httpx.get(f"{server.url}/api/join/{links['link_token']}").json()
    assert by_code == by_link
    assert (by_code["title"], by_code["status"], by_code["attributes"]) == (
        "Kick-off",
        "open",
        ["organisation"],
    )
    assert by_code["agreement"]["de"].startswith("Vertraulichkeit")
    assert re.fullmatch(r"[0-9a-f]{16}", by_code["agreement_fingerprint"])
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", links["code"])
    assert links["link_url"] == f"{server.url}/join/{links['link_token']}"


def test_join_by_code_admits_a_participant_facilitators_see(
    server: LiveServer, owner: httpx.Client
):
    """Joining with a typed code gives a token and a participant with the given attributes."""
    workshop_id, links = _workshop(owner, join_attributes=["organisation"])
    typed = links["code"].lower().replace("-", " ")
    response = _join(server, typed, name="  Ada   Lovelace ", attributes={"organisation": "ACME"})
    assert response.status_code == 200, response.text
    joined = response.json()
    assert joined["workshop_id"] == workshop_id and joined["name"] == "Ada Lovelace"
    assert len(joined["participant_token"]) >= 43 and joined["rejoined"] is False
    [person] = _people(owner, workshop_id)
    assert person["id"] == joined["participant_id"]
    assert person["attributes"] == {"organisation": "ACME"}
    assert person["joined_at"].startswith("2026-11-25T09:00:00")


def test_join_by_link_token(server: LiveServer, owner: httpx.Client):
    """The link's token works in place of the code."""
    workshop_id, links = _workshop(owner)
    info = httpx.get(f"{server.url}/api/join/{links['link_token']}").json()
    response = httpx.post(
        f"{server.url}/api/join",
        json={
            "link_token": links["link_token"],
            "name": "Bo",
            "agreement": info["agreement_fingerprint"],
        },
    )
    assert response.status_code == 200, response.text
    assert [p["name"] for p in _people(owner, workshop_id)] == ["Bo"]


def test_rejoining_with_the_token_keeps_the_identity_also_when_locked(
    server: LiveServer, owner: httpx.Client
):
    """The same token gives back the same participant, even behind a locked door."""
    workshop_id, links = _workshop(owner)
    first = _join(server, links["code"]).json()
    again = _join(server, links["code"], name="Other", participant_token=first["participant_token"])
    assert again.json() == {**first, "rejoined": True}
    assert owner.post(f"/api/workshops/{workshop_id}/lock").status_code == 200
    locked = _join(server, links["code"], participant_token=first["participant_token"])
    assert locked.status_code == 200 and locked.json()["participant_id"] == first["participant_id"]
    assert len(_people(owner, workshop_id)) == 1


def test_a_token_of_another_workshop_joins_anew(server: LiveServer, owner: httpx.Client):
    """A token only brings someone back into the workshop it was issued for."""
    _, first_links = _workshop(owner)
    second_id, second_links = _workshop(owner)
    token = _join(server, first_links["code"]).json()["participant_token"]
    joined = _join(server, second_links["code"], participant_token=token).json()
    assert joined["rejoined"] is False and joined["participant_token"] != token
    assert [p["id"] for p in _people(owner, second_id)] == [joined["participant_id"]]


def test_a_removed_participant_cannot_come_back_with_the_token(
    server: LiveServer, owner: httpx.Client
):
    """After removal the old token is refused with participant_removed."""
    workshop_id, links = _workshop(owner)
    joined = _join(server, links["code"]).json()
    removed = owner.delete(f"/api/workshops/{workshop_id}/participants/{joined['participant_id']}")
    assert removed.status_code == 200
    back = _join(server, links["code"], participant_token=joined["participant_token"])
    assert _error(back) == (403, "participant_removed")
    assert _people(owner, workshop_id) == []


def test_wrong_and_rotated_codes_and_links_are_unknown(server: LiveServer, owner: httpx.Client):
    """An unknown code is a 404; after rotation the old code and link stop working."""
    workshop_id, links = _workshop(owner)
    assert _error(httpx.get(f"{server.url}/api/join/ZZZZZ-ZZZZZ")) == (404, "unknown_join_code")
    assert _error(httpx.get(f"{server.url}/api/join/not-a-code")) == (404, "unknown_join_code")
    rotated = owner.post(f"/api/workshops/{workshop_id}/links/rotate").json()
    assert rotated["code"] != links["code"] and rotated["link_token"] != links["link_token"]
    for old in (links["code"], links["link_token"]):
        assert _error(httpx.get(f"{server.url}/api/join/{old}")) == (404, "unknown_join_code")
    refused = httpx.post(
        f"{server.url}/api/join", json={"code": links["code"], "name": "Ada", "agreement": "x"}
    )
    assert _error(refused) == (404, "unknown_join_code")
    assert _join(server, rotated["code"]).status_code == 200
    assert owner.get(f"/api/workshops/{workshop_id}/links").json() == rotated


def test_a_locked_workshop_admits_nobody_new_until_unlocked(
    server: LiveServer, owner: httpx.Client
):
    """Locked: the look-up says so and joining is a 409 joining_locked; unlocking reopens."""
    workshop_id, links = _workshop(owner)
    owner.post(f"/api/workshops/{workshop_id}/lock")
    assert httpx.get(f"{server.url}/api/join/{links['code']}").json()["status"] == "locked"
    assert _error(_join(server, links["code"])) == (409, "joining_locked")
    assert _people(owner, workshop_id) == []
    owner.post(f"/api/workshops/{workshop_id}/unlock")
    assert _join(server, links["code"]).status_code == 200


def test_an_ended_workshop_admits_nobody(tmp_path: Path):
    """Ended: the look-up says so and joining is a 409 workshop_ended, with or without token."""
    settings = _settings(tmp_path)
    clock = FakeClock()
    store = Store(settings.database_url)
    store.create_schema()
    Accounts(store.engine).add_facilitator(OWNER, PASSWORD, clock.now())
    created = create_workshop(
        workshop_id="w-ended", title="Over", owner=OWNER, plan=plan(5), now=clock.now()
    )
    store.save_workshop(created, clock.now())
    state = fold([created])
    for command in (StartWorkshop(), EndWorkshop()):
        events = decide(state, command, Actor("user", OWNER), clock.now())
        assert isinstance(events, list)
        store.append_events(state.id, state.version, events, clock.now())
        for event in events:
            state = evolve(state, event)
    store.close()
    with serve_app(settings, clock) as server, httpx.Client(base_url=server.url) as owner:
        owner.post("/api/auth/login", json={"email": OWNER, "password": PASSWORD})
        code = owner.get("/api/workshops/w-ended/links").json()["code"]
        assert httpx.get(f"{server.url}/api/join/{code}").json()["status"] == "ended"
        assert _error(_join(server, code)) == (409, "workshop_ended")
        with_token = _join(server, code, participant_token=new_participant_token())
        assert _error(with_token) == (409, "workshop_ended")
        assert _people(owner, "w-ended") == []


def test_the_agreement_must_be_accepted_in_its_current_version(
    server: LiveServer, owner: httpx.Client
):
    """No fingerprint, a wrong one, or that of a replaced agreement is refused."""
    workshop_id, links = _workshop(owner)
    old = httpx.get(f"{server.url}/api/join/{links['code']}").json()["agreement_fingerprint"]
    for agreement in (None, "0" * 16, ""):
        response = httpx.post(
            f"{server.url}/api/join",
            json={"code": links["code"], "name": "Ada", "agreement": agreement},
        )
        assert _error(response) == (422, "agreement_required")
    owner.patch(f"/api/workshops/{workshop_id}", json={"agreement": {"de": "Neu", "en": "New"}})
    stale = httpx.post(
        f"{server.url}/api/join", json={"code": links["code"], "name": "Ada", "agreement": old}
    )
    assert _error(stale) == (422, "agreement_required")
    assert _people(owner, workshop_id) == []
    assert _join(server, links["code"]).status_code == 200


def test_only_asked_attributes_and_valid_names_are_taken(server: LiveServer, owner: httpx.Client):
    """Attributes the workshop does not ask for and empty or long names are refused."""
    workshop_id, links = _workshop(owner, join_attributes=["organisation"])
    not_asked = _join(server, links["code"], attributes={"department": "IT"})
    assert _error(not_asked) == (422, "attribute_not_asked")
    assert _error(_join(server, links["code"], name="   ")) == (422, "invalid_argument")
    assert _error(_join(server, links["code"], name="x" * 61)) == (422, "invalid_argument")
    both = httpx.post(
        f"{server.url}/api/join",
        json={"code": links["code"], "link_token": links["link_token"], "name": "Ada"},
    )
    assert _error(both) == (422, "invalid_input")
    assert _people(owner, workshop_id) == []


def test_throttling_answers_429_with_retry_after_until_the_window_passes(tmp_path: Path):
    """Four tries a minute: the fifth is a 429 with Retry-After; the fake clock lets it through."""
    clock = FakeClock()
    settings = _settings(tmp_path, join_max_attempts=4, join_window_s=60, join_failure_cost=4)
    with serve_app(settings, clock) as server, _account(server, OWNER) as owner:
        _, links = _workshop(owner)
        url = f"{server.url}/api/join/{links['code']}"
        assert [httpx.get(url).status_code for _ in range(3)] == [200, 200, 200]
        assert _join_raw(server, links["code"]).status_code == 422  # a join counts, too
        refused = httpx.get(url)
        assert _error(refused) == (429, "throttled")
        assert refused.headers["retry-after"] == "15"
        clock.advance(14)
        assert httpx.get(url).status_code == 429
        clock.advance(1)
        assert httpx.get(url).status_code == 200


def test_a_failed_look_up_costs_more_than_a_good_one(tmp_path: Path):
    """One unknown code spends the whole budget of four; a good code then waits a full slot."""
    clock = FakeClock()
    settings = _settings(tmp_path, join_max_attempts=4, join_window_s=60, join_failure_cost=4)
    with serve_app(settings, clock) as server, _account(server, OWNER) as owner:
        _, links = _workshop(owner)
        assert httpx.get(f"{server.url}/api/join/00000-00000").status_code == 404
        refused = httpx.get(f"{server.url}/api/join/{links['code']}")
        assert _error(refused) == (429, "throttled") and refused.headers["retry-after"] == "15"
        clock.advance(15)
        assert httpx.get(f"{server.url}/api/join/{links['code']}").status_code == 200


async def test_only_the_hash_of_a_participant_token_is_stored_and_it_resolves(
    server: LiveServer, owner: httpx.Client, tmp_path: Path
):
    """The database holds the SHA-256, never the token; the gateway's resolver finds it."""
    workshop_id, links = _workshop(owner)
    joined = _join(server, links["code"]).json()
    token = joined["participant_token"]
    dump = "\n".join(sqlite3.connect(tmp_path / "join.db").iterdump())
    assert token not in dump and hash_token(token) in dump
    store = Store(server.settings.database_url)
    try:
        identity = await resolve_participant_token(store, token)
        assert identity == (workshop_id, joined["participant_id"])
        assert await resolve_participant_token(store, new_participant_token()) is None
        assert await resolve_participant_token(store, "short") is None
        assert await resolve_participant_token(store, None) is None
    finally:
        store.close()


async def test_resolving_a_token_twice_answers_from_the_cache(tmp_path: Path):
    """After the first look-up the store is not asked again (tokens never change owner)."""
    clock = FakeClock()
    store = Store(f"sqlite:///{tmp_path / 'cache.db'}")
    store.create_schema()
    created = create_workshop(
        workshop_id="w", title="W", owner=OWNER, plan=plan(5), now=clock.now()
    )
    store.save_workshop(created, clock.now())
    token = new_participant_token()
    store.save_participant_token(hash_token(token), "w", "p-1", clock.now())
    assert await resolve_participant_token(store, token) == ("w", "p-1")
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM participant_tokens")
    assert await resolve_participant_token(store, token) == ("w", "p-1")
    store.close()


def _check_join_link_store(store: Store) -> None:
    clock = FakeClock()
    store.create_schema()
    ids = [f"w-{new_join_code()}" for _ in range(2)]
    for workshop_id in ids:
        created = create_workshop(
            workshop_id=workshop_id, title="W", owner=OWNER, plan=plan(5), now=clock.now()
        )
        store.save_workshop(created, clock.now())
    first = JoinLink(ids[0], new_join_code(), new_link_token(), clock.now())
    assert store.save_join_link(first) and store.load_join_link(ids[0]) == first
    taken = JoinLink(ids[1], first.code, new_link_token(), clock.now())
    assert not store.save_join_link(taken) and store.load_join_link(ids[1]) is None
    rotated = JoinLink(ids[0], new_join_code(), new_link_token(), clock.now())
    assert store.save_join_link(rotated)
    assert store.join_link_by_code(first.code) is None
    assert store.join_link_by_token(first.link_token) is None
    assert store.join_link_by_code(rotated.code) == rotated
    assert store.join_link_by_token(rotated.link_token) == rotated
    digest = hash_token(new_participant_token())
    store.save_participant_token(digest, ids[1], "p-1", clock.now())
    assert store.load_participant_token(digest) == (ids[1], "p-1")
    assert store.load_participant_token(hash_token("other")) is None


def test_join_links_and_tokens_in_sqlite(tmp_path: Path):
    """A code belongs to one workshop; rotation replaces it; tokens are found by hash."""
    store = Store(f"sqlite:///{tmp_path / 'links.db'}")
    _check_join_link_store(store)
    store.close()


@pytest.mark.services
def test_join_links_and_tokens_in_postgresql(postgres_url: str):
    """The same rules hold on PostgreSQL."""
    store = Store(postgres_url)
    _check_join_link_store(store)
    store.close()
