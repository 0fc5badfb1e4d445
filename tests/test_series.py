"""Series and reviewer links over real HTTP on real SQLite: the owner's REST API and page,
the reviewer's page and downloads, pre-work, planned against actual time, refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.accounts import Accounts
from app.clock import FakeClock
from app.core.actors import SYSTEM, Actor
from app.core.board import PostNote
from app.core.commands import EndWorkshop, NextStep, StartWorkshop
from app.core.moderation import MarkConfidential
from app.core.plan import Permissions, PlanStep, Text
from app.core.reducer import fold
from app.core.runofshow import create_workshop
from app.export import FORMATS, Bundle, build_bundle, bundle_json, render
from app.export.archive import save_import
from app.series import SeriesError, SeriesStore, make_token, series_record, timing
from app.settings import Settings
from app.store import Store
from tests.conftest import serve_app
from tests.factories import OWNER, admit, board_step
from tests.recorded import P1, P2, SECRETS, SHARED, START, Recorder, record

PASSWORD = "correct horse battery"
OTHER = "other@example.org"
PREWORK_SHARED = ("Erfahrung: Tandems klappen", "Frage: Wie fangen wir an?")
PREWORK_SECRET = "SECRET-CONFIDENTIAL-PREWORK"
OTHER_SERIES_TITLE = "ANDERE-REIHE-GEHEIM"
OTHER_WORKSHOP_TITLE = "ANDERER-WORKSHOP-GEHEIM"
TITLE_PAYLOAD = "<script>alert(1)</script> Reihe"
# Ending the recorded workshop reveals the last step's private writing and closes its open
# poll, so those two may be exported; every other secret of it never may.
ENDED_SECRETS = tuple(s for s in SECRETS if s not in ("SECRET-UNREVEALED-NOTE", "SECRET-OPEN-POLL"))


def _prework_plan() -> tuple[PlanStep, ...]:
    first = replace(
        board_step("0/pre-work/share", "notes"),
        structure_id="pre-work",
        step_id="share",
        permissions=Permissions(actions=frozenset({"notes"}), before_start=True),
    )
    return (first, board_step("1/check-out/notes", "notes"))


def prework_workshop() -> Recorder:
    """A workshop whose first step collected experiences and questions in the lobby."""
    created = create_workshop(
        workshop_id="w-vorab",
        title="Zweiter Termin",
        owner=OWNER.id,
        plan=_prework_plan(),
        now=START + timedelta(days=7),
    )
    run = Recorder([created], fold([created]), START + timedelta(days=7))
    run(admit("p-1", "Alma Namensgeheim"), SYSTEM)
    run(admit("p-2", "Bert Namensgeheim"), SYSTEM)
    run(PostNote(item_id="v-1", text=PREWORK_SHARED[0], area="experiences"), P1)
    run(PostNote(item_id="v-2", text=PREWORK_SHARED[1], area="questions"), P2)
    run(PostNote(item_id="v-3", text=PREWORK_SECRET, area="questions"), P2)
    run(MarkConfidential(item_id="v-3", confidential=True), P2)
    run(StartWorkshop(), OWNER)
    run.now += timedelta(minutes=8)  # the pre-work step ran 8 minutes against 5 planned
    run(NextStep(), OWNER)
    run(PostNote(item_id="n-1", text="Nächstes Mal mehr Zeit"), P1)
    run(EndWorkshop(), OWNER)
    return run


def other_workshop() -> Recorder:
    """A workshop of another facilitator, in another series."""
    created = create_workshop(
        workshop_id="w-fremd",
        title=OTHER_WORKSHOP_TITLE,
        owner=OTHER,
        plan=(board_step("0/collect/notes", "notes"),),
        now=START,
    )
    run = Recorder([created], fold([created]), START)
    run(admit("p-1", "Fremde Person"), SYSTEM)
    run(StartWorkshop(), Actor("user", OTHER))
    run(PostNote(item_id="f-1", text="FREMDE-NOTIZ"), P1)
    return run


def _ended_record() -> Recorder:
    run = record()
    run(EndWorkshop(), OWNER)
    return run


@dataclass
class World:
    """A running server with three stored workshops, an import and the accounts."""

    url: str
    clock: FakeClock
    runs: dict[str, Recorder]
    imported: Bundle
    database_url: str


def _store_workshops(database_url: str, runs: list[Recorder]) -> None:
    store = Store(database_url)
    store.create_schema()
    try:
        for run in runs:
            first, *rest = run.events
            store.save_workshop(first, START)  # type: ignore[arg-type]
            store.append_events(run.state.id, 1, rest, START)
        for email in (OWNER.id, OTHER):
            Accounts(store.engine).add_facilitator(email, PASSWORD, START)
    finally:
        store.close()


def _imported(database_url: str) -> Bundle:
    """An archived workshop from elsewhere, imported read-only under another id."""
    text = bundle_json(build_bundle(prework_workshop().state, START)).replace("w-vorab", "w-archiv")
    store = Store(database_url)
    try:
        return save_import(store, text, START)
    finally:
        store.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    runs = {run.state.id: run for run in (_ended_record(), prework_workshop(), other_workshop())}
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", demo=False)
    _store_workshops(settings.database_url, list(runs.values()))
    imported = _imported(settings.database_url)
    clock = FakeClock(START + timedelta(days=30))
    with serve_app(settings, clock) as server:
        yield World(server.url, clock, runs, imported, settings.database_url)


@contextmanager
def _client(url: str, email: str | None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        if email is not None:
            login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200, login.text
        yield client


def _code(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["detail"]["code"]


def _series(client: httpx.Client, title: str, *workshops: str) -> str:
    made = client.post("/api/series", json={"title": title, "organisation": "Arbeitgeberverband"})
    assert made.status_code == 201, made.text
    series_id: str = made.json()["id"]
    for workshop_id in workshops:
        added = client.post(f"/api/series/{series_id}/workshops", json={"workshop_id": workshop_id})
        assert added.status_code == 200, added.text
    return series_id


def _link(client: httpx.Client, series_id: str, days: int = 30) -> tuple[str, str]:
    made = client.post(f"/api/series/{series_id}/review-links", json={"days": days})
    assert made.status_code == 201, made.text
    url: str = made.json()["url"]
    return made.json()["id"], url.rsplit("/review/", 1)[1]


# --- the owner's REST API --------------------------------------------------------------------


def test_the_owner_creates_a_series_files_and_removes_workshops(world: World):
    """Create, add, list, remove; every refusal is typed."""
    with (
        _client(world.url, OWNER.id) as owner,
        _client(world.url, OTHER) as other,
        _client(world.url, None) as anon,
    ):
        series_id = _series(owner, "Peer Learning 2027", "w-export", "w-vorab")
        listed = owner.get("/api/series").json()
        assert [(s["id"], s["workshop_ids"]) for s in listed] == [
            (series_id, ["w-export", "w-vorab"])
        ]
        assert other.get("/api/series").json() == []
        path = f"/api/series/{series_id}/workshops"
        assert _code(anon.post("/api/series", json={"title": "x", "organisation": "y"})) == (
            401,
            "not_logged_in",
        )
        assert _code(other.get(f"/api/series/{series_id}")) == (403, "not_owner")
        assert _code(other.post(path, json={"workshop_id": "w-fremd"})) == (403, "not_owner")
        assert _code(owner.get("/api/series/nope")) == (404, "no_such_series")
        assert _code(owner.post(path, json={"workshop_id": "w-fremd"})) == (403, "not_facilitator")
        assert _code(owner.post(path, json={"workshop_id": "nope"})) == (404, "no_such_workshop")
        assert _code(owner.post("/api/series", json={"title": " ", "organisation": "y"})) == (
            422,
            "invalid_input",
        )
        second = _series(owner, "Zweite Reihe")
        taken = owner.post(f"/api/series/{second}/workshops", json={"workshop_id": "w-export"})
        assert _code(taken) == (409, "workshop_in_series")
        removed = owner.delete(f"{path}/w-export")
        assert removed.status_code == 200 and removed.json()["workshop_ids"] == ["w-vorab"]
        assert _code(owner.delete(f"{path}/w-export")) == (404, "no_such_member")
        again = owner.post(f"/api/series/{second}/workshops", json={"workshop_id": "w-export"})
        assert again.status_code == 200, again.text
        _, token = _link(owner, second)
        assert _code(other.delete(f"/api/series/{second}")) == (403, "not_owner")
        assert owner.delete(f"/api/series/{second}").status_code == 204
        assert _code(owner.get(f"/api/series/{second}")) == (404, "no_such_series")
        assert _code(anon.get(f"/api/review/{token}")) == (404, "no_such_review_link")
        assert owner.post(path, json={"workshop_id": "w-export"}).status_code == 200


def test_the_series_json_holds_every_export_the_pre_work_and_the_timing(world: World):
    """The series record carries each workshop's bundle as its export, the notes shared
    before the start (not the confidential one) and planned against actual per structure."""
    with _client(world.url, OWNER.id) as owner:
        series_id = _series(owner, "Peer Learning 2027", "w-vorab", "w-export")
        answer = owner.get(f"/api/series/{series_id}/export.json")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    record = answer.json()
    assert (record["format"], record["version"]) == ("lernraum-series", 1)
    now = world.clock.now()
    bundles = [build_bundle(world.runs[wid].state, now) for wid in ("w-export", "w-vorab")]
    # the first workshop started first, whatever order they were filed in
    assert [w["id"] for w in record["workshops"]] == ["w-export", "w-vorab"]
    for entry, bundle in zip(record["workshops"], bundles, strict=True):
        assert entry["export"] == json.loads(bundle_json(bundle))
    prework = record["workshops"][1]["prework"]
    assert [(p["area"], p["text"]) for p in prework] == [
        ("experiences", PREWORK_SHARED[0]),
        ("questions", PREWORK_SHARED[1]),
    ]
    assert record["workshops"][0]["prework"] == []
    assert PREWORK_SECRET not in answer.text
    by_structure = {row["structure_id"]: row for row in record["timing"]}
    pre = by_structure["pre-work"]
    assert (pre["uses"], pre["planned_s"], pre["actual_s"]) == (1, 300, 8 * 60 + 7)
    assert pre["difference_s"] == pre["actual_s"] - pre["planned_s"]
    assert pre["name"]["de"] == "Vorab: Erfahrungen und Fragen"  # from the library
    ran = [s for b in bundles for s in b.steps if s.status != "not_run"]
    assert sum(row["actual_s"] for row in record["timing"]) == sum(s.actual_s for s in ran)
    assert sum(row["planned_s"] for row in record["timing"]) == sum(s.planned_s for s in ran)


def test_timing_counts_each_use_of_a_structure_and_skips_steps_that_did_not_run():
    """Steps of one use add up to one use; a second use and a second workshop add uses;
    steps that did not run are left out."""
    steps = tuple(
        replace(board_step(key, "notes"), structure_id="talk")
        for key in ("0/talk/a", "0/talk/b", "1/talk/a", "2/talk/a")
    )
    created = create_workshop(
        workshop_id="w-t", title="Zeiten", owner=OWNER.id, plan=steps, now=START
    )
    run = Recorder([created], fold([created]), START)
    run(StartWorkshop(), OWNER)
    for minutes, command in ((4, NextStep()), (6, NextStep()), (2, EndWorkshop())):
        run.now += timedelta(minutes=minutes) - timedelta(seconds=7)  # a command takes 7 s
        run(command, OWNER)  # the fourth step never runs
    bundle = build_bundle(run.state, START)
    assert [s.actual_s for s in bundle.steps] == [240, 360, 120, 0]
    again = bundle.model_copy(update={"workshop": bundle.workshop.model_copy(update={"id": "w-u"})})
    rows = timing([bundle, again], {"talk": Text(de="Vortrag", en="Talk")})
    assert len(rows) == 1
    row = rows[0]
    # per workshop: the first use planned 600 s and took 600, the second 300 and took 120
    assert (row["uses"], row["planned_s"], row["actual_s"]) == (4, 1800, 1440)
    assert (row["mean_planned_s"], row["mean_actual_s"], row["difference_s"]) == (450, 360, -360)
    assert row["name"] == {"de": "Vortrag", "en": "Talk"}
    assert [(w["workshop_id"], w["actual_s"]) for w in row["workshops"]] == [
        ("w-t", 600),
        ("w-t", 120),
        ("w-u", 600),
        ("w-u", 120),
    ]
    lobby = build_bundle(fold(run.events[:1]), START)
    assert timing([lobby]) == []
    assert timing([bundle])[0]["name"] == {"de": "talk", "en": "talk"}  # not in the library


def test_the_series_record_names_nobody(world: World):
    """Nothing but the bundles and the series' title and organisation goes in."""
    store = Store(world.database_url)
    try:
        series = SeriesStore(store.engine).create("Reihe", "Verband", OWNER.id, START)
    finally:
        store.close()
    bundles = [build_bundle(run.state, START) for run in world.runs.values()]
    text = json.dumps(series_record(series, bundles, {"pre-work"}))
    assert [secret for secret in (*ENDED_SECRETS, PREWORK_SECRET) if secret in text] == []


# --- reviewers -------------------------------------------------------------------------------


def test_a_reviewer_sees_exactly_the_exports_and_downloads_every_format(world: World):
    """The reviewer's page and JSON show what the exports hold and no secret, no other
    series; every format downloads, identical to the facilitators' export."""
    with (
        _client(world.url, OWNER.id) as owner,
        _client(world.url, OTHER) as other,
        _client(world.url, None) as reviewer,
    ):
        series_id = _series(owner, TITLE_PAYLOAD, "w-export", "w-vorab", "w-archiv")
        _series(other, OTHER_SERIES_TITLE, "w-fremd")
        _, token = _link(owner, series_id)
        page = reviewer.get(f"/review/{token}")
        assert page.status_code == 200, page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
        hidden = (*ENDED_SECRETS, PREWORK_SECRET, OTHER_SERIES_TITLE, OTHER_WORKSHOP_TITLE, OTHER)
        hidden += ("FREMDE-NOTIZ",)
        for body in (page.text, reviewer.get(f"/api/review/{token}").text):
            assert [secret for secret in hidden if secret in body] == []
        assert [shared for shared in (*SHARED, *PREWORK_SHARED) if shared not in page.text] == []
        assert "Erfahrungen" in page.text  # the pre-work area's title from the library
        assert page.text.count("Importierter Bericht (nur lesen)") == 1  # w-archiv
        record = reviewer.get(f"/review/{token}/series.json")
        assert record.headers["content-disposition"].startswith("attachment;")
        assert record.json() == owner.get(f"/api/series/{series_id}/export.json").json()
        assert record.json() == reviewer.get(f"/api/review/{token}").json()
        now = world.clock.now()
        expected = {
            "w-export": build_bundle(world.runs["w-export"].state, now),
            "w-vorab": build_bundle(world.runs["w-vorab"].state, now),
            "w-archiv": world.imported,
        }
        for workshop_id, bundle in expected.items():
            for fmt in FORMATS:
                path = f"/review/{token}/workshops/{workshop_id}/export.{fmt}"
                got = reviewer.get(path)
                assert got.status_code == 200, (path, got.text)
                assert got.text == render(bundle, fmt)
                assert got.headers["content-disposition"].startswith("attachment;")
                assert f'href="{path}"' in page.text
        foreign = reviewer.get(f"/review/{token}/workshops/w-fremd/export.json")
        assert _code(foreign) == (404, "no_such_member")
        assert _code(reviewer.get(f"/review/{token}/workshops/w-export/export.pdf")) == (
            422,
            "invalid_input",
        )
        # the link opens nothing a facilitator's session would
        assert _code(reviewer.get(f"/api/series/{series_id}")) == (401, "not_logged_in")
        assert _code(reviewer.get("/api/workshops/w-export/export.json")) == (
            401,
            "not_logged_in",
        )


def test_expired_revoked_and_forged_links_are_refused_with_typed_errors(world: World):
    """Expiry follows the server's clock; revoking works at once; a link altered in any
    part is unknown; the page says why in the reader's language."""
    with _client(world.url, OWNER.id) as owner, _client(world.url, None) as reviewer:
        series_id = _series(owner, "Reihe", "w-export")
        short_id, short = _link(owner, series_id, days=1)
        long_id, long = _link(owner, series_id, days=10)
        assert reviewer.get(f"/api/review/{short}").status_code == 200
        world.clock.advance(timedelta(days=1).total_seconds())
        assert _code(reviewer.get(f"/api/review/{short}")) == (410, "review_link_expired")
        page = reviewer.get(f"/review/{short}?lang=en")
        assert page.status_code == 410 and 'data-code="review_link_expired"' in page.text
        assert "This link has expired" in page.text
        assert _code(reviewer.get(f"/review/{short}/series.json")) == (410, "review_link_expired")
        assert reviewer.get(f"/api/review/{long}").status_code == 200
        revoked = owner.delete(f"/api/series/{series_id}/review-links/{long_id}")
        assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
        assert _code(reviewer.get(f"/api/review/{long}")) == (410, "review_link_revoked")
        denied = reviewer.get(f"/review/{long}/workshops/w-export/export.csv")
        assert _code(denied) == (410, "review_link_revoked")
        german = reviewer.get(f"/review/{long}?lang=de")
        assert german.status_code == 410 and "widerrufen" in german.text
        statuses = {
            link["id"]: link["status"]
            for link in owner.get(f"/api/series/{series_id}/review-links").json()
        }
        assert statuses == {short_id: "expired", long_id: "revoked"}
        assert all(
            link["url"] is None
            for link in owner.get(f"/api/series/{series_id}/review-links").json()
        )
        _, fresh = _link(owner, series_id)
        link_id, expires, signature = fresh.split(".")
        forged = [
            f"{link_id}.{int(expires) + 86400}.{signature}",  # a later expiry
            f"{link_id}.{expires}.{signature[:-2]}AA",  # another signature
            f"{long_id}.{expires}.{signature}",  # another link's id
            "not-a-link",
            f"{link_id}.{expires}",
        ]
        for token in forged:
            assert _code(reviewer.get(f"/api/review/{token}")) == (404, "no_such_review_link")
        page = reviewer.get(f"/review/{forged[0]}")
        assert page.status_code == 404 and 'data-code="no_such_review_link"' in page.text
        with _client(world.url, OTHER) as other:
            path = f"/api/series/{series_id}/review-links"
            assert _code(other.post(path, json={"days": 5})) == (403, "not_owner")
            assert _code(owner.post(path, json={"days": 0})) == (422, "invalid_input")
            assert _code(owner.post(path, json={"days": 366})) == (422, "invalid_input")


def test_a_link_signed_with_another_key_or_for_another_series_is_unknown(tmp_path: Path):
    """The signature binds the link id, the series and the expiry to this server's key."""
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    store.create_schema()
    try:
        series = SeriesStore(store.engine)
        first = series.create("Eins", "Verband", OWNER.id, START)
        second = series.create("Zwei", "Verband", OWNER.id, START)
        link = series.create_link(first.id, OWNER.id, timedelta(days=2), START)
        assert link.token is not None
        assert series.check_link(link.token, START).series_id == first.id
        key = series.review_key(START)
        assert len(key) == 32 and series.review_key(START + timedelta(days=9)) == key
        for token in (
            make_token(b"x" * 32, link.id, first.id, link.expires_at),
            make_token(key, link.id, second.id, link.expires_at),
        ):
            with pytest.raises(SeriesError) as refused:
                series.check_link(token, START)
            assert refused.value.code == "no_such_review_link"
        with pytest.raises(SeriesError) as refused:
            series.check_link(link.token, link.expires_at)
        assert refused.value.code == "review_link_expired"
        assert series.check_link(link.token, link.expires_at - timedelta(seconds=1))
    finally:
        store.close()


# --- pages -----------------------------------------------------------------------------------


def test_the_owner_s_series_page_in_both_languages_and_nobody_else_s(world: World):
    """The owner sees outcomes, pre-work, timing and the link controls, in German or English;
    another facilitator and a visitor get no page."""
    with (
        _client(world.url, OWNER.id) as owner,
        _client(world.url, OTHER) as other,
        _client(world.url, None) as anon,
    ):
        series_id = _series(owner, "Peer Learning 2027", "w-export", "w-vorab")
        _link(owner, series_id)
        german = owner.get(f"/series/{series_id}?lang=de")
        assert german.status_code == 200, german.text
        for text in ("Vorab geteilt", "Geplant und tatsächlich", "Links für Reviewer:innen"):
            assert text in german.text
        assert '/static/series.js"' in german.text and "<script>" not in german.text
        english = owner.get(f"/series/{series_id}?lang=en")
        for text in ("Shared ahead", "Planned and actual, per structure", "Links for reviewers"):
            assert text in english.text
        assert [shared for shared in (*SHARED, *PREWORK_SHARED) if shared not in german.text] == []
        assert [s for s in (*ENDED_SECRETS, PREWORK_SECRET) if s in german.text] == []
        assert other.get(f"/series/{series_id}").status_code == 404
        assert anon.get(f"/series/{series_id}").status_code == 401
        assert anon.get("/static/series.js").status_code == 200
