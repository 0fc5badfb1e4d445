"""The facilitators' pages over real HTTP: setup, start and agenda pages, and /docs.

Who may open which page, both languages, the library in the page's language, and the API
reference served from vendored files under the strict policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from markupsafe import escape

from app.accounts import Accounts
from app.clock import FakeClock
from app.settings import Settings
from app.store import Store
from app.structures import SHIPPED_ROOT, load_library
from app.web.i18n import LANGUAGE_COOKIE, catalog, read_catalog
from app.web.pages import minutes_label
from app.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import LiveServer, serve_app

PASSWORD = "correct horse battery"
OWNER, OTHER = "owner@example.org", "other@example.org"
ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "app" / "locale"
AGENDA = "peer-learning-kickoff"


@dataclass
class Site:
    """A server with two facilitators; the owner planned one workshop from the agenda."""

    server: LiveServer
    owner: httpx.Client
    other: httpx.Client
    anonymous: httpx.Client
    workshop_id: str


@contextmanager
def _client(server: LiveServer, email: str | None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        if email is not None:
            answer = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
        yield client


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pages.db'}", demo=False)
    clock = FakeClock()
    store = Store(settings.database_url)
    store.create_schema()
    for email in (OWNER, OTHER):
        Accounts(store.engine).add_facilitator(email, PASSWORD, clock.now())
    store.close()
    with (
        serve_app(settings, clock) as server,
        _client(server, OWNER) as owner,
        _client(server, OTHER) as other,
        _client(server, None) as anonymous,
    ):
        created = owner.post("/api/workshops", json={"source_id": AGENDA, "title": "Kick-off"})
        assert created.status_code == 201, created.text
        yield Site(server, owner, other, anonymous, created.json()["id"])


def _texts(html: str) -> dict[str, str]:
    found = re.search(r'<script type="application/json" id="texts">(.*?)</script>', html, re.S)
    assert found is not None, "the page has no texts block"
    texts: dict[str, str] = json.loads(found.group(1))
    return texts


def escaped(text: str) -> str:
    """Text as Jinja2's autoescape writes it."""
    return str(escape(text))


# --- access ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page_and_back(site: Site):
    """Without a session both setup pages redirect to /login with the page as ``next``."""
    for path in ("/setup", f"/workshops/{site.workshop_id}/setup", "/setup?lang=en"):
        response = site.anonymous.get(path)
        assert response.status_code == 303, path
        location = urlsplit(response.headers["location"])
        assert location.path == "/login" and not location.netloc
        assert parse_qs(location.query) == {"next": [path]}


def test_a_forged_session_cookie_is_no_login(site: Site):
    """A made-up session token is treated like no session at all."""
    with httpx.Client(base_url=site.server.url, cookies={"lernraum_session": "x" * 43}) as forged:
        response = forged.get(f"/workshops/{site.workshop_id}/setup")
    assert response.status_code == 303


def test_setup_of_a_workshop_is_for_its_facilitators_only(site: Site):
    """The owner opens the setup page; another facilitator and an unknown id get a 404."""
    own = site.owner.get(f"/workshops/{site.workshop_id}/setup")
    assert own.status_code == 200
    assert f'data-workshop="{site.workshop_id}"' in own.text
    assert own.headers["cache-control"] == "no-store"
    assert site.other.get(f"/workshops/{site.workshop_id}/setup").status_code == 404
    assert site.owner.get("/workshops/nope/setup").status_code == 404
    assert site.other.get("/setup").status_code == 200  # anyone logged in plans their own


def test_setup_page_is_a_shell_under_the_strict_policy(site: Site):
    """One same-origin module, one JSON block, nothing inline, no other host."""
    response = site.owner.get("/setup")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html = response.text
    assert html.count("<script") == 2
    assert '<script type="module" src="/static/setup.js"></script>' in html
    assert "https://" not in html
    assert "http://" not in html.replace(f"{site.server.url}/", "")
    assert 'data-workshop=""' in html


# --- languages ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
def test_setup_page_shows_the_library_in_the_page_language(site: Site, language: str):
    """Agendas and structures show their name and description in the page's language, and
    the script gets the page's texts."""
    library = load_library(SHIPPED_ROOT)
    html = site.owner.get(f"/setup?lang={language}").text
    assert f'<html lang="{language}">' in html
    assert catalog(language)["setup.title"] in html
    for files in (library.agendas, library.structures):
        for found in files.values():
            name, description = getattr(found.name, language), getattr(found.description, language)
            assert escaped(name) in html
            assert escaped(description) in html
    other = "en" if language == "de" else "de"
    check_in = library.structures["check-in"].description
    assert escaped(getattr(check_in, other)) not in html
    texts = _texts(html)
    assert texts["setup.error.step_in_past"] == catalog(language)["setup.error.step_in_past"]
    assert texts["pages.group.pairs"] == catalog(language)["pages.group.pairs"]


def test_start_page_speaks_german_then_english_and_remembers_the_choice(site: Site):
    """The start page is German by default; ?lang=en switches and is remembered."""
    german = site.anonymous.get("/")
    assert '<html lang="de">' in german.text
    assert catalog("de")["pages.library"] in german.text
    assert 'href="/?lang=en"' in german.text  # the language switch
    english = site.anonymous.get("/?lang=en")
    assert '<html lang="en">' in english.text
    assert catalog("en")["pages.library"] in english.text
    assert english.cookies.get(LANGUAGE_COOKIE) == "en"
    assert '<html lang="en">' in site.anonymous.get("/").text
    library = load_library(SHIPPED_ROOT)
    description = library.structures["walt-disney"].description
    assert escaped(description.en) in english.text
    assert escaped(description.de) not in english.text


def test_start_page_links_each_workshop_to_setup_and_console(site: Site):
    """A facilitator's workshops link to their agenda, setup and console; nobody else's."""
    page = site.owner.get("/?lang=en").text
    wid = site.workshop_id
    for href in (f"/workshops/{wid}", f"/workshops/{wid}/setup", f"/console/{wid}", "/setup"):
        assert f'href="{href}"' in page
    assert "Kick-off" in page
    others = site.other.get("/").text
    assert wid not in others and "Kick-off" not in others
    assert 'href="/setup"' in others
    anonymous = site.anonymous.get("/").text
    assert 'href="/setup"' not in anonymous and 'href="/join"' in anonymous


@pytest.mark.parametrize("language", ["de", "en"])
def test_agenda_page_shows_step_titles_in_the_page_language(site: Site, language: str):
    """Every step's title in the chosen language, group kinds translated, links onwards."""
    view = site.owner.get(f"/api/workshops/{site.workshop_id}").json()
    html = site.owner.get(f"/workshops/{site.workshop_id}?lang={language}").text
    other = "en" if language == "de" else "de"
    for step in view["steps"]:
        assert escaped(step["title"][language]) in html
    assert escaped(view["steps"][0]["title"][other]) not in html
    assert catalog(language)["pages.group.groups"] in html
    assert catalog(language)["pages.phase.lobby"] in html
    assert f'href="/workshops/{site.workshop_id}/setup"' in html
    assert f'href="/console/{site.workshop_id}"' in html


def test_page_catalogs_have_the_same_keys_in_both_languages():
    """pages.po and setup.po define the same keys in German and English."""
    for area in ("pages", "setup"):
        german = read_catalog("de", [LOCALE / "de" / "LC_MESSAGES" / f"{area}.po"])
        english = read_catalog("en", [LOCALE / "en" / "LC_MESSAGES" / f"{area}.po"])
        assert set(german) == set(english), area
        assert all(key.startswith(f"{area}.") for key in german), area


def test_every_text_the_setup_script_and_templates_use_exists():
    """Keys the script and the templates name (literal or by prefix) are in both catalogs."""
    script = (ROOT / "static" / "setup.js").read_text()
    literal = set(re.findall(r'\bt\("([a-z_.]+)"\)', script))
    templates = "".join(
        (ROOT / "templates" / name).read_text()
        for name in ("setup.html", "index.html", "workshop.html")
    )
    literal |= set(re.findall(r"_\('([a-z_.]+)'\)", templates))
    assert literal
    kinds = {
        "pages.group.": ("alone", "pairs", "trios", "foursomes", "groups", "all", "rounds"),
        "pages.phase.": ("lobby", "running", "paused", "ended"),
        "pages.kind.": ("agenda", "structure"),
        "setup.status.": ("done", "skipped", "current", "upcoming"),
        "setup.error.": ("step_in_past", "no_such_step", "workshop_ended", "invalid_argument"),
    }
    built = {prefix + value for prefix, values in kinds.items() for value in values}
    built |= {f"setup.step.{action}.label" for action in ("up", "down", "remove")}
    for language in ("de", "en"):
        missing = sorted((literal | built) - set(catalog(language)))
        assert missing == [], (language, missing)


def test_minutes_are_written_as_people_write_them():
    """Whole minutes without decimals, fractions with a comma in German."""
    assert minutes_label(90.0, "de") == "90"
    assert minutes_label(7.5, "de") == "7,5"
    assert minutes_label(7.5, "en") == "7.5"
    assert minutes_label(10 / 3, "en") == "3.3"


# --- API reference --------------------------------------------------------------------


def test_docs_are_served_from_vendored_files_under_the_strict_policy(site: Site):
    """/docs loads Swagger UI from static/vendor with no inline script, under the same
    policy as every page; FastAPI's own CDN pages are gone."""
    response = site.anonymous.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html = response.text
    sources = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert len(sources) == 2
    for attributes, body in sources:
        assert 'src="/static/' in attributes and body.strip() == ""
    assert "http://" not in html and "https://" not in html
    assert 'data-openapi="/openapi.json"' in html
    for path in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/vendor/swagger-ui/LICENSE",
        "/static/api-docs.js",
    ):
        assert site.anonymous.get(path).status_code == 200, path
    for gone in ("/redoc", "/docs/oauth2-redirect"):
        assert site.anonymous.get(gone).status_code == 404, gone


def test_vendored_swagger_ui_keeps_its_licence_and_nothing_else():
    """Only the files the page needs, with the Apache licence and its notice."""
    folder = ROOT / "static" / "vendor" / "swagger-ui"
    assert sorted(path.name for path in folder.iterdir()) == [
        "LICENSE",
        "NOTICE",
        "README.md",
        "swagger-ui-bundle.js",
        "swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui.css",
    ]
    assert "Apache License" in (folder / "LICENSE").read_text()
