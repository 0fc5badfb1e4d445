"""The app over real HTTP: health, OpenAPI, the demo workshop, the start page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from app.accounts import Accounts
from app.store import Store
from tests.conftest import LiveServer

OWNER = "facilitator@lernraum.local"
PASSWORD = "correct horse battery staple"


def test_healthz_answers_with_version_and_server_time(live_server: LiveServer):
    """/healthz says ok once the store answers, and carries the server's time."""
    response = httpx.get(f"{live_server.url}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["server_time"].startswith("2026-11-25T09:00:00")


def test_openapi_documents_the_api(live_server: LiveServer):
    """/docs serves the interactive docs and /openapi.json lists the routes."""
    assert httpx.get(f"{live_server.url}/docs").status_code == 200
    paths = httpx.get(f"{live_server.url}/openapi.json").json()["paths"]
    assert {"/healthz", "/api/library", "/api/workshops", "/api/workshops/{workshop_id}"} <= set(
        paths
    )


@contextmanager
def _owner(live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client logged in as the demo workshop's owner."""
    store = Store(live_server.settings.database_url)
    try:
        Accounts(store.engine).add_facilitator(OWNER, PASSWORD, live_server.clock.now())
    finally:
        store.close()
    with httpx.Client(base_url=live_server.url) as client:
        client.post("/api/auth/login", json={"email": OWNER, "password": PASSWORD})
        yield client


def test_a_fresh_server_has_the_90_minute_demo_workshop(live_server: LiveServer):
    """On an empty store the reference workshop is created, in the lobby, 90 minutes long."""
    with _owner(live_server) as owner:
        workshops = owner.get("/api/workshops").json()
        assert [(w["agenda_id"], w["phase"], w["planned_s"]) for w in workshops] == [
            ("peer-learning-kickoff", "lobby", 90 * 60)
        ]
        detail = owner.get(f"/api/workshops/{workshops[0]['id']}").json()
    assert detail["steps"][0]["projected_start"].startswith("2026-11-25T09:00:00")
    assert detail["projected_end"].startswith("2026-11-25T10:30:00")


def test_workshops_are_listed_for_their_facilitators_only(live_server: LiveServer):
    """Without a session there is no list and no workshop; an unknown id is a typed 404."""
    assert httpx.get(f"{live_server.url}/api/workshops").status_code == 401
    with _owner(live_server) as owner:
        workshop_id = owner.get("/api/workshops").json()[0]["id"]
        missing = owner.get("/api/workshops/nope")
    assert (missing.status_code, missing.json()["detail"]["code"]) == (404, "no_such_workshop")
    anonymous = httpx.get(f"{live_server.url}/api/workshops/{workshop_id}")
    assert (anonymous.status_code, anonymous.json()["detail"]["code"]) == (401, "not_logged_in")


def test_start_page_lists_the_demo_and_escapes_titles(live_server: LiveServer):
    """The start page shows the workshops and the library, with user text escaped."""
    from app.core.runofshow import create_workshop
    from app.store import Store
    from tests.factories import plan

    hostile = '<script>alert("x")</script> & <b>bold</b>'
    store = Store(live_server.settings.database_url)
    created = create_workshop(
        workshop_id="hostile",
        title=hostile,
        owner="a@example.org",
        plan=plan(5),
        now=live_server.clock.now(),
    )
    store.save_workshop(created, live_server.clock.now())
    Accounts(store.engine).add_facilitator("a@example.org", PASSWORD, live_server.clock.now())
    store.close()
    anonymous = httpx.get(f"{live_server.url}/").text
    assert "Wicked Questions" in anonymous and "bold" not in anonymous  # no titles for anyone
    assert httpx.get(f"{live_server.url}/workshops/hostile").status_code == 404
    with httpx.Client(base_url=live_server.url) as owner:
        owner.post("/api/auth/login", json={"email": "a@example.org", "password": PASSWORD})
        page = owner.get("/")
        detail = owner.get("/workshops/hostile")
    assert page.status_code == 200
    assert "Wicked Questions" in page.text
    assert "<script>alert" not in page.text and "<b>bold" not in page.text
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page.text
    )
    assert detail.status_code == 200 and "<script>alert" not in detail.text


def test_login_sets_a_session_cookie_and_logout_revokes_it(live_server: LiveServer):
    """A facilitator logs in over HTTP, is recognised, logs out, and the old cookie is dead."""
    from app.accounts import Accounts
    from app.store import Store

    store = Store(live_server.settings.database_url)
    Accounts(store.engine).add_facilitator(
        "ada@example.org", "correct horse battery", live_server.clock.now()
    )
    store.close()
    with httpx.Client(base_url=live_server.url) as client:
        bad = client.post(
            "/api/auth/login", json={"email": "ada@example.org", "password": "nope nope nope"}
        )
        assert bad.status_code == 401 and bad.json()["detail"]["code"] == "bad_credentials"
        assert client.get("/api/auth/me").status_code == 401
        good = client.post(
            "/api/auth/login",
            json={"email": "ada@example.org", "password": "correct horse battery"},
        )
        assert good.status_code == 200
        cookie = client.cookies.get("lernraum_session")
        assert cookie and "httponly" in good.headers["set-cookie"].lower()
        assert client.get("/api/auth/me").json() == {"email": "ada@example.org"}
        assert client.post("/api/auth/logout").status_code == 204
    stale = httpx.get(f"{live_server.url}/api/auth/me", cookies={"lernraum_session": cookie})
    assert stale.status_code == 401
