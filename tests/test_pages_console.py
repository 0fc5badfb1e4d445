"""The login page and the facilitator console over real HTTP: who gets the console, where
the login page sends people afterwards, the texts in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import httpx
import pytest

from app.core.groups import Strategy
from app.core.people import JOIN_ATTRIBUTES
from app.core.plan import GroupKind
from app.core.timer import StepStatus
from app.web.console import safe_next
from app.web.i18n import LANGUAGES, Language, catalog
from app.web.security import CONTENT_SECURITY_POLICY
from tests.cast import CO, OTHER, OWNER, Cast, cast

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPTS = sorted((ROOT / "static").glob("console*.js"))
CONSOLE_TEMPLATES = [ROOT / "templates" / "console.html", ROOT / "templates" / "login.html"]


@dataclass
class Desk(Cast):
    """A server with one workshop, its owner, a co-facilitator, an outsider and a participant."""

    @property
    def participant_token(self) -> str:
        token: str = self.joined["participant_token"]
        return token

    @property
    def console(self) -> str:
        """The path of the workshop's console."""
        return f"/console/{self.workshop_id}"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with cast(tmp_path / "c.db") as c:
        yield Desk(**vars(c))


def test_owner_and_co_facilitator_get_the_console_under_the_strict_policy(desk: Desk) -> None:
    """Both facilitators of the workshop get the console shell: one module script, the texts
    as a JSON block, the page's policy, and nothing cached."""
    for client in (desk.owner, desk.co):
        response = client.get(desk.console)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["cache-control"] == "no-store"
        html = response.text
        assert '<script type="module" src="/static/console.js"></script>' in html
        assert html.count("<script") == 2
        assert '<script type="application/json" id="texts">' in html
        assert f'data-workshop="{desk.workshop_id}"' in html
        assert catalog("de")["console.start"] in html


def test_nobody_logged_in_is_sent_to_the_login_page_and_back(desk: Desk) -> None:
    """Without a facilitator session the console redirects to /login with the way back."""
    response = desk.anonymous.get(desk.console)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/console/{desk.workshop_id}"
    login = desk.anonymous.get(response.headers["location"])
    assert login.status_code == 200
    assert f'data-next="/console/{desk.workshop_id}"' in login.text


def test_the_start_page_leads_facilitators_to_the_login(desk: Desk) -> None:
    """Somebody not logged in finds the way to the login page from the start page."""
    page = desk.anonymous.get("/")
    assert page.status_code == 200
    assert '<a id="login-link" href="/login">' in page.text
    assert catalog("de")["login.link"] in page.text


def test_a_participant_token_opens_no_console(desk: Desk) -> None:
    """A participant's token, as session cookie, bearer or query, is no facilitator login."""
    token = desk.participant_token
    with httpx.Client(
        base_url=desk.server.url,
        cookies={"lernraum_session": token},
        headers={"Authorization": f"Bearer {token}"},
    ) as impostor:
        response = impostor.get(desk.console, params={"token": token})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert "console.js" not in response.text


def test_a_facilitator_of_other_workshops_is_refused_with_403(desk: Desk) -> None:
    """An account that does not steer the workshop gets 403 and the login form to switch."""
    response = desk.other.get(desk.console)
    assert response.status_code == 403
    assert "console.js" not in response.text
    assert 'id="login-forbidden"' in response.text
    assert OTHER in response.text
    assert desk.owner.get("/console/no-such-workshop").status_code == 404
    assert desk.anonymous.get("/console/no-such-workshop").status_code == 303


def test_a_removed_co_facilitator_loses_the_console(desk: Desk) -> None:
    """Taking a co-facilitator's rights away closes the console to them at once."""
    removed = desk.owner.delete(f"/api/workshops/{desk.workshop_id}/facilitators/{CO}")
    assert removed.status_code == 200, removed.text
    assert desk.co.get(desk.console).status_code == 403


def test_login_page_shows_who_is_logged_in_and_logs_out(desk: Desk) -> None:
    """Logged in, the login page names the account and offers to go on or log out; after
    logging out the console sends the browser to the login page again."""
    page = desk.owner.get("/login", params={"next": desk.console})
    assert page.status_code == 200
    assert OWNER in page.text
    assert f'href="{desk.console}"' in page.text
    assert 'id="logout-button"' in page.text
    assert desk.owner.post("/api/auth/logout").status_code == 204
    assert desk.owner.get(desk.console).status_code == 303
    assert OWNER not in desk.owner.get("/login").text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/console/abc", "/console/abc"),
        ("/workshops/abc/setup?x=1", "/workshops/abc/setup?x=1"),
        ("//evil.example/path", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 400, "/"),
    ],
)
def test_after_logging_in_only_paths_on_this_server_are_followed(
    target: str | None, expected: str
) -> None:
    """The way back after the login is a path here, never another host or a header break."""
    assert safe_next(target) == expected


def test_login_page_escapes_the_way_back(desk: Desk) -> None:
    """A hostile ``next`` cannot leave the attribute it is shown in."""
    response = desk.anonymous.get("/login", params={"next": '/x"><img src=x onerror=alert(1)>'})
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert 'data-next="/x&#34;&gt;&lt;img' in response.text


def test_login_page_is_german_by_default_and_english_on_request(desk: Desk) -> None:
    """German without a preference, English with ?lang=en or Accept-Language."""
    german = desk.anonymous.get("/login")
    assert '<html lang="de">' in german.text
    assert catalog("de")["login.title"] in german.text
    english = httpx.get(f"{desk.server.url}/login", headers={"Accept-Language": "en-GB"})
    assert '<html lang="en">' in english.text
    assert catalog("en")["login.title"] in english.text
    assert catalog("en")["login.password"] in english.text
    asked = desk.owner.get(desk.console, params={"lang": "en"})
    assert '<html lang="en">' in asked.text
    assert catalog("en")["console.agenda"] in asked.text


def _area_keys(language: Language, prefix: str) -> set[str]:
    return {key for key in catalog(language) if key.startswith(prefix)}


def test_console_and_login_texts_exist_in_both_languages() -> None:
    """German and English define the same console and login keys."""
    for prefix in ("console.", "login."):
        assert _area_keys("de", prefix) == _area_keys("en", prefix), prefix
        assert _area_keys("de", prefix), prefix


def _used_keys() -> set[str]:
    """Every console and login text the scripts and templates ask for, the keys built from
    parts filled in with every value the parts can take."""
    keys: set[str] = set()
    for path in [*CONSOLE_SCRIPTS, *CONSOLE_TEMPLATES]:
        source = path.read_text(encoding="utf-8")
        found = re.findall(r"""["'`]((?:console|login)\.[a-z0-9_.]*[a-z0-9_])["'`]""", source)
        keys |= {key for key in found if not key.endswith((".css", ".js", ".html"))}
    built = {
        "console.phase.": ("lobby", "running", "paused", "ended"),
        "console.state.": ("connecting", "online", "offline", "closed"),
        "console.strategy.": get_args(Strategy),
        "console.group_kind.": get_args(GroupKind),
        "console.status.": get_args(StepStatus),
        "console.attribute.": JOIN_ATTRIBUTES,
    }
    for prefix, values in built.items():
        keys |= {prefix + value for value in values}
    return keys


def test_every_text_the_console_uses_is_in_the_catalogs() -> None:
    """No key shows up raw: whatever the console and login page look up is translated."""
    used = _used_keys()
    assert "console.start" in used and "console.strategy.rotation" in used
    for language in LANGUAGES:
        missing = sorted(key for key in used if key not in catalog(language))
        assert missing == [], (language, missing)


def test_the_console_links_every_export_and_they_download_for_its_facilitators(
    desk: Desk,
) -> None:
    """The console's outcome links (report, Markdown, CSV, JSON, agenda TOML) answer its
    facilitators with the export itself, and nobody else."""
    html = desk.owner.get(desk.console).text
    links = re.findall(r'href="(/api/workshops/[^"]+)"', html)
    prefix = f"/api/workshops/{desk.workshop_id}"
    assert links == [
        f"{prefix}/export.html",
        f"{prefix}/export.md",
        f"{prefix}/export.csv",
        f"{prefix}/export.json",
        f"{prefix}/agenda.toml",
    ]
    kinds = ["text/html", "text/markdown", "text/csv", "application/json", "application/toml"]
    for link, kind in zip(links, kinds, strict=True):
        for client in (desk.owner, desk.co):
            response = client.get(link)
            assert response.status_code == 200, (link, response.text)
            assert response.headers["content-type"].startswith(kind), link
        assert desk.other.get(link).status_code in (403, 404)
        assert desk.anonymous.get(link).status_code == 401
    assert desk.owner.get(f"{prefix}/export.json").json()["workshop"]["id"] == desk.workshop_id


def test_the_console_names_the_series_only_to_the_series_owner(desk: Desk) -> None:
    """A workshop filed in the owner's series links it from the owner's console; the
    co-facilitator, who cannot open that series, sees no link."""
    assert 'id="series-link"' not in desk.owner.get(desk.console).text
    made = desk.owner.post("/api/series", json={"title": "Reihe <b>A</b>", "organisation": "VBM"})
    assert made.status_code == 201, made.text
    series_id = made.json()["id"]
    filed = desk.owner.post(
        f"/api/series/{series_id}/workshops", json={"workshop_id": desk.workshop_id}
    )
    assert filed.status_code == 200, filed.text
    owner_page = desk.owner.get(desk.console).text
    assert f'<a id="series-link" href="/series/{series_id}">' in owner_page
    assert "Reihe &lt;b&gt;A&lt;/b&gt;" in owner_page
    assert 'id="series-link"' not in desk.co.get(desk.console).text


def test_the_start_page_lists_a_facilitators_own_series_only(desk: Desk) -> None:
    """The owner's start page lists their series with a form for a new one; another
    facilitator's and an anonymous start page show neither the series nor its title."""
    made = desk.owner.post("/api/series", json={"title": "Lernzirkel 2027", "organisation": "VBM"})
    series_id = made.json()["id"]
    page = desk.owner.get("/").text
    assert f'<a href="/series/{series_id}">Lernzirkel 2027</a>' in page
    assert 'id="series-form"' in page and '<script type="module" src="/static/index.js">' in page
    for client in (desk.other, desk.anonymous):
        assert "Lernzirkel 2027" not in client.get("/").text
    assert 'id="series-form"' in desk.other.get("/").text
    assert 'id="series-form"' not in desk.anonymous.get("/").text
    members = desk.owner.get(f"/series/{series_id}").text
    assert f'<option value="{desk.workshop_id}">' in members  # offered to file in the series


def test_only_the_owner_gets_the_delete_button(desk: Desk) -> None:
    """Deleting is the owner's alone (the API refuses others): only the owner's console
    offers it."""
    assert 'id="delete-workshop"' in desk.owner.get(desk.console).text
    assert 'id="delete-workshop"' not in desk.co.get(desk.console).text
    refused = desk.co.delete(f"/api/workshops/{desk.workshop_id}")
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "not_owner"
