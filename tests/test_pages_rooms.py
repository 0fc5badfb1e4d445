"""The participants' pages and the plenary screen over real HTTP: security headers, join,
room and plenary shells, who may open the plenary screen, languages."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request

from app.store import Store
from app.web.auth import SESSION_COOKIE
from app.web.i18n import LANGUAGE_COOKIE, catalog, chosen_language, json_block
from app.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import LiveServer
from tests.live.support import facilitator_session


def _request(query: str = "", headers: dict[str, str] | None = None) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    return Request({"type": "http", "query_string": query.encode(), "headers": raw})


def _workshop_id(server: LiveServer) -> str:
    store = Store(server.settings.database_url)
    try:
        return store.workshop_ids()[0]
    finally:
        store.close()


def test_every_page_carries_a_strict_content_security_policy(live_server: LiveServer):
    """Our HTML pages allow scripts, styles and connections only from their own origin."""
    for path in ("/", "/join", "/join/some-link-token", f"/room/{_workshop_id(live_server)}"):
        response = httpx.get(f"{live_server.url}{path}")
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert policy == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in policy and "unsafe" not in policy
        assert "frame-ancestors 'none'" in policy and "http" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"


def test_json_and_static_responses_get_the_common_headers(live_server: LiveServer):
    """Every response is nosniff and sends no referrer; the policy is for HTML only."""
    for path in ("/api/library", "/static/room.js", "/healthz"):
        response = httpx.get(f"{live_server.url}{path}")
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "content-security-policy" not in response.headers
    assert (
        httpx.get(f"{live_server.url}/static/room.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )


def test_pages_load_scripts_as_modules_from_static_and_nothing_inline(live_server: LiveServer):
    """The pages' only scripts are same-origin modules and a JSON data block (never run)."""
    for path in ("/join", f"/room/{_workshop_id(live_server)}"):
        html = httpx.get(f"{live_server.url}{path}").text
        assert '<script type="module" src="/static/' in html
        assert html.count("<script") == 2
        assert '<script type="application/json" id="texts">' in html
        assert "https://" not in html
        assert "http://" not in html.replace(f"{live_server.url}/", "")


def test_join_page_is_german_by_default_and_english_on_request(live_server: LiveServer):
    """German without a preference; ?lang=en switches and is remembered in a cookie."""
    german = httpx.get(f"{live_server.url}/join")
    assert '<html lang="de">' in german.text
    assert catalog("de")["join.title"] in german.text
    with httpx.Client(base_url=live_server.url) as http:
        english = http.get("/join?lang=en")
        assert '<html lang="en">' in english.text
        assert catalog("en")["join.title"] in english.text
        assert english.cookies.get(LANGUAGE_COOKIE) == "en"
        again = http.get("/join")
        assert '<html lang="en">' in again.text
    by_header = httpx.get(f"{live_server.url}/join", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in by_header.text


def test_unknown_room_is_a_404(live_server: LiveServer):
    """A room page for a workshop that does not exist is a clear 404."""
    assert httpx.get(f"{live_server.url}/room/nope").status_code == 404


def test_a_link_token_is_escaped_into_the_join_page(live_server: LiveServer):
    """Whatever the link holds lands in an attribute, escaped."""
    response = httpx.get(f"{live_server.url}/join/%22%3E%3Cscript%3Ex")
    assert response.status_code == 200
    assert "<script>x" not in response.text
    assert 'data-link-token="&#34;&gt;&lt;script&gt;x"' in response.text


def test_json_block_cannot_end_its_script_element():
    """Texts for the scripts never contain a tag or an entity the parser would act on."""
    block = str(json_block({"k": "</script><b>&amp;"}))
    assert "<" not in block and ">" not in block and "&" not in block


@pytest.mark.parametrize(
    ("query", "headers", "expected"),
    [
        ("", {}, ("de", False)),
        ("lang=en", {}, ("en", True)),
        ("lang=fr", {}, ("de", False)),
        ("", {"Cookie": f"{LANGUAGE_COOKIE}=en"}, ("en", False)),
        ("lang=de", {"Cookie": f"{LANGUAGE_COOKIE}=en"}, ("de", True)),
        ("", {"Accept-Language": "fr-FR, en;q=0.8, de;q=0.5"}, ("en", False)),
        ("", {"Accept-Language": "de-AT"}, ("de", False)),
        ("", {"Accept-Language": "en;q=0, de;q=0.1"}, ("de", False)),
        ("", {"Accept-Language": "en;q=nonsense"}, ("de", False)),
    ],
)
def test_language_comes_from_query_then_cookie_then_accept_language(query, headers, expected):
    """?lang= wins, then the cookie, then the best Accept-Language match, then German."""
    assert chosen_language(_request(query, headers)) == expected


async def test_plenary_screen_is_for_the_workshops_facilitators_only(live_server: LiveServer):
    """Without a session the screen sends the browser to the login page and back; another
    facilitator's account and an unknown workshop both get a 404, never a hint."""
    workshop = _workshop_id(live_server)
    path = f"/plenary/{workshop}"
    anonymous = httpx.get(f"{live_server.url}{path}", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next=/plenary/{workshop}"
    forged = httpx.get(
        f"{live_server.url}{path}",
        cookies={SESSION_COOKIE: "not-a-session"},
        follow_redirects=False,
    )
    assert forged.status_code == 303

    owner = await facilitator_session(live_server)
    other = await facilitator_session(live_server, "someone-else@lernraum.local")
    mine = httpx.get(f"{live_server.url}{path}", cookies={SESSION_COOKIE: owner})
    assert mine.status_code == 200
    assert mine.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert mine.headers["cache-control"] == "no-store"
    assert '<script type="module" src="/static/plenary.js"></script>' in mine.text
    assert mine.text.count("<script") == 2
    assert f'data-workshop="{workshop}"' in mine.text
    assert catalog("de")["plenary.board"] in mine.text
    assert '"plenary.overtime"' in mine.text and '"room.' not in mine.text

    foreign = httpx.get(f"{live_server.url}{path}", cookies={SESSION_COOKIE: other})
    assert foreign.status_code == 404
    assert workshop not in foreign.text
    unknown = httpx.get(f"{live_server.url}/plenary/nope", cookies={SESSION_COOKIE: owner})
    assert unknown.status_code == 404


async def test_plenary_screen_speaks_english_on_request(live_server: LiveServer):
    """The plenary screen follows ?lang= like every page."""
    owner = await facilitator_session(live_server)
    english = httpx.get(
        f"{live_server.url}/plenary/{_workshop_id(live_server)}?lang=en",
        cookies={SESSION_COOKIE: owner},
    )
    assert english.status_code == 200
    assert '<html lang="en">' in english.text
    assert catalog("en")["plenary.board"] in english.text
