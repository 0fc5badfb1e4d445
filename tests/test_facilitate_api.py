"""The facilitator API over real HTTP: who may do what, and what each route changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cast import CO, OTHER, OWNER, Cast, cast


@dataclass
class Room(Cast):
    """A live server, one workshop planned from check-in, and everyone around it."""

    impostor: httpx.Client  # sends the participant's token as session cookie and bearer

    @property
    def participant_id(self) -> str:
        pid: str = self.joined["participant_id"]
        return pid

    def view(self) -> dict[str, Any]:
        """The owner's view of the workshop."""
        response = self.owner.get(f"/api/workshops/{self.workshop_id}/facilitation")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def everything(self) -> tuple[Any, ...]:
        """All a facilitator can read about the workshop, to prove a denial changed nothing."""
        view = self.view()
        del view["server_time"]
        prefix = f"/api/workshops/{self.workshop_id}"
        return (
            view,
            self.owner.get(f"{prefix}/participants").json(),
            self.owner.get(f"{prefix}/links").json(),
        )


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    with cast(tmp_path / "f.db") as c:
        token = c.joined["participant_token"]
        with httpx.Client(
            base_url=c.server.url,
            cookies={"lernraum_session": token},
            headers={"Authorization": f"Bearer {token}"},
        ) as impostor:
            yield Room(**vars(c), impostor=impostor)


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["detail"]["code"]


def _routes(room: Room) -> list[tuple[str, str, Any]]:
    """Every facilitator route of the workshop with a request that would change something."""
    pid = room.participant_id
    return [
        ("GET", "/facilitation", None),
        ("PATCH", "", {"title": "Renamed"}),
        ("GET", "/links", None),
        ("POST", "/links/rotate", None),
        ("POST", "/lock", None),
        ("POST", "/unlock", None),
        ("GET", "/participants", None),
        ("DELETE", f"/participants/{pid}", None),
        ("POST", "/facilitators", {"email": OTHER}),
        ("DELETE", f"/facilitators/{CO}", None),
        ("POST", "/plan/steps", {"source_id": "check-out", "index": 0}),
        ("DELETE", "/plan/steps/0", None),
        ("POST", "/plan/move", {"from_index": 0, "to_index": 1}),
        ("PATCH", "/plan/steps/0", {"minutes": 7}),
    ]


def _call(client: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    return client.request(method, path, json=body)


def test_denied_callers_get_typed_errors_and_change_nothing(room: Room):
    """Anonymous and participant-token callers get 401, strangers 403, unknown ids 404."""
    before = room.everything()
    for method, suffix, body in _routes(room):
        path = f"/api/workshops/{room.workshop_id}{suffix}"
        assert _error(_call(room.anonymous, method, path, body)) == (401, "not_logged_in"), path
        assert _error(_call(room.impostor, method, path, body)) == (401, "not_logged_in"), path
        assert _error(_call(room.other, method, path, body)) == (403, "not_facilitator"), path
        unknown = f"/api/workshops/nope{suffix}"
        assert _error(_call(room.owner, method, unknown, body)) == (404, "no_such_workshop"), path
    assert room.everything() == before


def test_creating_a_workshop_needs_a_login_and_a_library_source(room: Room):
    """Any logged-in facilitator creates and owns a workshop; others get 401, bad ids 404."""
    body = {"source_id": "wicked-questions", "title": "Spannungen"}
    assert _error(room.anonymous.post("/api/workshops", json=body)) == (401, "not_logged_in")
    assert _error(room.impostor.post("/api/workshops", json=body)) == (401, "not_logged_in")
    unknown = room.other.post("/api/workshops", json={"source_id": "nope"})
    assert _error(unknown) == (404, "no_such_source")
    blank = room.other.post("/api/workshops", json={"source_id": "check-in", "title": "  "})
    assert _error(blank) == (422, "invalid_argument")
    assert len(room.owner.get("/api/workshops").json()) == 1
    assert room.other.get("/api/workshops").json() == []  # facilitates nothing yet
    created = room.other.post("/api/workshops", json=body)
    assert created.status_code == 201
    view = created.json()
    assert (view["title"], view["owner"], view["facilitators"]) == ("Spannungen", OTHER, [OTHER])
    assert view["agenda_id"] == "wicked-questions" and view["phase"] == "lobby"
    assert view["locked"] is False and view["participants"] == 0


def test_owner_and_co_facilitator_configure_the_workshop(room: Room):
    """Title, join form, agreement and video room change; bad values are 422 and change nothing."""
    prefix = f"/api/workshops/{room.workshop_id}"
    settings = {
        "title": "Kick-off",
        "join_attributes": ["generation", "organisation"],
        "agreement": {"de": "Wir hören zu.", "en": "We listen."},
        "video_url": "https://video.example.org/{workshop}/{group}",
    }
    view = room.co.patch(prefix, json=settings).json()
    assert view["title"] == "Kick-off"
    assert view["join_attributes"] == ["organisation", "generation"]
    assert view["agreement"] == {"de": "Wir hören zu.", "en": "We listen."}
    assert view["video_url"] == settings["video_url"]
    before = room.everything()
    for bad in (
        {"video_url": "javascript:alert(1)"},
        {"join_attributes": ["shoe_size"]},
        {"title": "x" * 121},
        {},
    ):
        assert room.owner.patch(prefix, json=bad).status_code == 422, bad
    assert room.everything() == before
    assert room.owner.patch(prefix, json={"video_url": ""}).json()["video_url"] is None


def test_links_are_stable_until_rotated(room: Room):
    """Asking twice shows the same code and link; a co-facilitator's rotation replaces both."""
    prefix = f"/api/workshops/{room.workshop_id}"
    first = room.owner.get(f"{prefix}/links").json()
    assert room.co.get(f"{prefix}/links").json() == first
    assert first["link_url"] == f"{room.server.url}/join/{first['link_token']}"
    assert len(first["link_token"]) == 22
    rotated = room.co.post(f"{prefix}/links/rotate").json()
    assert rotated["code"] != first["code"] and rotated["link_token"] != first["link_token"]
    assert room.owner.get(f"{prefix}/links").json() == rotated
    assert room.anonymous.get(f"/api/join/{first['code']}").status_code == 404
    assert room.anonymous.get(f"/api/join/{rotated['code']}").status_code == 200


def test_lock_and_unlock_are_idempotent(room: Room):
    """Locking records one change; locking again is fine and records nothing."""
    prefix = f"/api/workshops/{room.workshop_id}"
    version = room.view()["version"]
    locked = room.co.post(f"{prefix}/lock").json()
    assert locked["locked"] is True and locked["version"] == version + 1
    again = room.owner.post(f"{prefix}/lock").json()
    assert again["locked"] is True and again["version"] == version + 1
    unlocked = room.owner.post(f"{prefix}/unlock").json()
    assert unlocked["locked"] is False and unlocked["version"] == version + 2
    assert room.owner.post(f"{prefix}/unlock").json()["version"] == version + 2


def test_facilitators_list_and_remove_participants(room: Room):
    """The list shows attributes to facilitators; removing twice is a 404 the second time."""
    prefix = f"/api/workshops/{room.workshop_id}"
    people = room.co.get(f"{prefix}/participants").json()
    assert [(p["id"], p["name"], p["attributes"]) for p in people] == [
        (room.participant_id, "Pat", {})
    ]
    assert people[0]["joined_at"].startswith("2026-11-25T09:00:00")
    removed = room.co.delete(f"{prefix}/participants/{room.participant_id}")
    assert removed.status_code == 200 and removed.json()["participants"] == 0
    again = room.owner.delete(f"{prefix}/participants/{room.participant_id}")
    assert _error(again) == (404, "no_such_participant")
    assert room.owner.get(f"{prefix}/participants").json() == []


def test_only_the_owner_manages_co_facilitators(room: Room):
    """Owner invites existing accounts only and removes co-facilitators; co gets not_owner."""
    prefix = f"/api/workshops/{room.workshop_id}"
    before = room.everything()
    assert _error(room.co.post(f"{prefix}/facilitators", json={"email": OTHER})) == (
        403,
        "not_owner",
    )
    assert _error(room.co.delete(f"{prefix}/facilitators/{OWNER}")) == (403, "not_owner")
    missing = room.owner.post(f"{prefix}/facilitators", json={"email": "ghost@example.org"})
    assert _error(missing) == (404, "no_such_account")
    invalid = room.owner.post(f"{prefix}/facilitators", json={"email": "no address"})
    assert _error(invalid) == (422, "invalid_email")
    twice = room.owner.post(f"{prefix}/facilitators", json={"email": CO.upper()})
    assert _error(twice) == (409, "already_facilitator")
    assert _error(room.owner.delete(f"{prefix}/facilitators/{OWNER}")) == (422, "invalid_argument")
    assert room.everything() == before
    invited = room.owner.post(f"{prefix}/facilitators", json={"email": OTHER}).json()
    assert invited["facilitators"] == sorted([OWNER, CO, OTHER])
    assert room.other.get(f"{prefix}/participants").status_code == 200
    removed = room.owner.delete(f"{prefix}/facilitators/{CO}").json()
    assert removed["facilitators"] == sorted([OWNER, OTHER])
    assert _error(room.co.get(f"{prefix}/participants")) == (403, "not_facilitator")
    gone = room.owner.delete(f"{prefix}/facilitators/{CO}")
    assert _error(gone) == (404, "no_such_facilitator")


def test_facilitators_edit_the_plan(room: Room):
    """Insert library steps with unique keys, remove, move, retime; bad edits change nothing."""
    prefix = f"/api/workshops/{room.workshop_id}"
    original = [step["key"] for step in room.view()["steps"]]
    inserted = room.co.post(f"{prefix}/plan/steps", json={"source_id": "check-in", "index": 1})
    keys = [step["key"] for step in inserted.json()["steps"]]
    assert keys == [original[0], *(f"{key}#2" for key in original), *original[1:]]
    assert len(set(keys)) == len(keys)
    moved = room.owner.post(f"{prefix}/plan/move", json={"from_index": 0, "to_index": 2}).json()
    assert [step["key"] for step in moved["steps"]][:3] == [keys[1], keys[2], keys[0]]
    retimed = room.owner.patch(f"{prefix}/plan/steps/1", json={"minutes": 7}).json()
    assert retimed["steps"][1]["planned_s"] == 420
    removed = room.co.delete(f"{prefix}/plan/steps/0").json()
    assert len(removed["steps"]) == len(keys) - 1
    before = room.everything()
    refusals = [
        (room.owner.post(f"{prefix}/plan/steps", json={"source_id": "nope", "index": 0}), 404),
        (room.owner.post(f"{prefix}/plan/steps", json={"source_id": "check-in", "index": 99}), 404),
        (room.owner.delete(f"{prefix}/plan/steps/99"), 404),
        (room.owner.post(f"{prefix}/plan/move", json={"from_index": 0, "to_index": 99}), 404),
        (room.owner.patch(f"{prefix}/plan/steps/0", json={"minutes": 0}), 422),
        (room.owner.patch(f"{prefix}/plan/steps/0", json={"minutes": "long"}), 422),
        (room.owner.delete(f"{prefix}/plan/steps/-1"), 422),
    ]
    for response, status in refusals:
        assert response.status_code == status, response.text
        assert set(response.json()["detail"]) == {"code", "message"}
    assert room.everything() == before


def test_openapi_documents_the_facilitator_and_join_routes(room: Room):
    """Every new route is in the OpenAPI document with a tag and typed error answers."""
    paths = room.anonymous.get("/openapi.json").json()["paths"]
    assert {
        "/api/join",
        "/api/join/{code_or_token}",
        "/api/workshops/{workshop_id}/links/rotate",
        "/api/workshops/{workshop_id}/plan/steps/{index}",
        "/api/workshops/{workshop_id}/facilitators/{email}",
    } <= set(paths)
    patch = paths["/api/workshops/{workshop_id}"]["patch"]
    assert patch["tags"] == ["facilitation"]
    assert patch["responses"]["403"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorOut"
    )
