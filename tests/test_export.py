"""Exports: golden files per format, secrets, CSV and HTML injection, the CLI and the REST route."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app.accounts import Accounts
from app.cli import main
from app.clock import FakeClock
from app.core.actors import SYSTEM
from app.core.board import PostNote
from app.core.commands import EndWorkshop, StartWorkshop
from app.core.people import InviteFacilitator
from app.core.reducer import fold
from app.core.runofshow import create_workshop
from app.export import FORMATS, BundleError, build_bundle, bundle_json, read_bundle, render
from app.export.formats import FORMULA_STARTS, neutralise
from app.settings import Settings
from app.store import Store
from tests.conftest import serve_app
from tests.factories import OWNER, admit, board_step
from tests.recorded import (
    EXPORT_NOW,
    P1,
    PAYLOADS,
    SECRETS,
    SHARED,
    SHARED_ON_BOARD,
    START,
    Recorder,
    injected,
    record,
)

GOLDEN = Path(__file__).parent / "fixtures" / "export"
UPDATE_GOLDEN = os.environ.get("LERNRAUM_UPDATE_GOLDEN") == "1"  # rewrite the golden files
PASSWORD = "correct horse battery"
CO, OTHER = "co@example.org", "other@example.org"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    assert text == path.read_bytes().decode(), f"{name} differs; LERNRAUM_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_matches_its_golden_file(fmt: str):
    """The recorded workshop renders byte for byte as the reviewed golden file."""
    _golden(f"recorded.{fmt}", render(build_bundle(record().state, EXPORT_NOW), fmt))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_shows_a_secret_and_every_format_shows_the_outcomes(fmt: str):
    """Names, moderated, private and unconsented content are in no format; outcomes are."""
    text = render(build_bundle(record().state, EXPORT_NOW), fmt)  # type: ignore[arg-type]
    assert [secret for secret in SECRETS if secret in text] == []
    expected = SHARED_ON_BOARD if fmt == "csv" else SHARED  # CSV: one row per board item
    assert [shared for shared in expected if shared not in text] == []


def test_the_json_bundle_round_trips_identically():
    """JSON → read-only record → JSON gives the same text; other files are refused."""
    text = bundle_json(build_bundle(record().state, EXPORT_NOW))
    bundle = read_bundle(text)
    assert bundle_json(bundle) == text
    assert json.loads(text)["format"] == "lernraum-export" and json.loads(text)["version"] == 1
    for other in (
        text.replace('"version": 1', '"version": 2'),
        text.replace('"lernraum-export"', '"something-else"'),
        text.replace('"as_of"', '"extra": 1, "as_of"'),
        "[]",
        "not json",
    ):
        with pytest.raises(BundleError):
            read_bundle(other)
    assert render(bundle, "md") == render(build_bundle(record().state, EXPORT_NOW), "md")


# --- CSV -----------------------------------------------------------------------------------


def _one_step_workshop(*texts: str) -> Recorder:
    steps = (board_step("collect/notes", "notes"),)
    created = create_workshop(
        workshop_id="w-csv", title="CSV", owner=OWNER.id, plan=steps, now=START
    )
    run = Recorder([created], fold([created]), START)
    run(admit("p-1"), SYSTEM)
    run(StartWorkshop(), OWNER)
    for number, text in enumerate(texts):
        run(PostNote(item_id=f"n-{number}", text=text), P1)
    return run


def test_csv_cells_that_start_a_formula_are_neutralised():
    """Cells starting with = + - @ TAB CR get an apostrophe; the text is otherwise kept."""
    texts = ["=1+1", "+49 30 1234", "-2", "@SUM(A1)", "\tTab", "\rReturn", "harmlos"]
    state = _one_step_workshop(*(f"x{number}" for number in range(len(texts)))).state
    # the core strips leading white space; the CSV must not rely on that, so set it here
    items = {
        item_id: replace(item, text=texts[int(item.text[1:])])
        for item_id, item in state.board.items.items()
    }
    state = replace(state, board=replace(state.board, items=items))
    exported = render(build_bundle(state, START), "csv")
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    cells = sorted(row["text"] for row in rows)
    assert cells == sorted(("'" + t if t[0] in "=+-@\t\r" else t) for t in texts)
    for row in rows:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row.values())
    assert neutralise("=x") == "'=x" and neutralise("a=x") == "a=x"


def test_csv_is_rfc_4180_with_crlf_and_quoted_line_breaks_and_quotes():
    """Records end in CRLF; a field with a line break, comma or quote is quoted and doubled."""
    exported = render(build_bundle(_one_step_workshop('eins, "zwei"\ndrei').state, START), "csv")
    lines = exported.split("\r\n")
    assert lines[0].startswith("step,step_key,step_title,group,area,kind,item_id,text")
    assert '"eins, ""zwei""\ndrei"' in exported and exported.endswith("\r\n")
    assert next(csv.DictReader(io.StringIO(exported, newline="")))["text"] == 'eins, "zwei"\ndrei'


# --- HTML ------------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "section",
    "h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "span", "table", "tr", "th", "td",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_every_user_field_renders_inert_in_the_html_report(payload: str):
    """The report's tags are only the template's: no script, handler, link, frame or base."""
    html = render(build_bundle(injected(payload).state, START), "html")
    parser = _Tags()
    parser.feed(html)
    assert {tag for tag, _ in parser.tags} <= ALLOWED_TAGS
    assert parser.comments == []
    attributes = {name for _, attrs in parser.tags for name, _ in attrs}
    assert attributes <= {"lang", "charset", "http-equiv", "content", "name", "class"}
    assert [t for t, _ in parser.tags].count("style") == 1
    assert html.count(payload) == 0 or ("<" not in payload and "&" not in payload)


# --- the command line and the REST route -------------------------------------------------------


def _ended() -> Recorder:
    run = record()
    run(EndWorkshop(), OWNER)
    return run


def _save(database_url: str, run: Recorder) -> None:
    store = Store(database_url)
    store.create_schema()
    try:
        first, *rest = run.events
        store.save_workshop(first, START)  # type: ignore[arg-type]
        store.append_events(run.state.id, 1, rest, START)
        for email in (OWNER.id, CO, OTHER):
            Accounts(store.engine).add_facilitator(email, PASSWORD, START)
    finally:
        store.close()


def _lernraum(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the command line in this process; its status and standard error."""
    status = main(list(args))
    return status, capsys.readouterr().err


def test_the_cli_exports_from_a_sqlite_file_without_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """`lernraum export` folds the stored log and writes each format; unknown ids exit 1."""
    run = _ended()
    url = f"sqlite:///{tmp_path / 'lernraum.db'}"
    _save(url, run)
    expected = build_bundle(run.state, EXPORT_NOW + timedelta(days=30))  # ended: time fixed
    shown = _lernraum("export", "w-export", "--format", "md", "--database-url", url, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == render(expected, "md")
    for fmt in FORMATS:
        target = tmp_path / f"out.{fmt}"
        args = ("export", "w-export", "--format", fmt, "--output", str(target))
        assert _cli(capsys, *args, "--database-url", url)[0] == 0
        assert target.read_bytes() == render(expected, fmt).encode()
    status, error = _cli(capsys, "export", "nope", "--database-url", url)
    assert status == 1 and "no workshop 'nope'" in error


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Recorder]]:
    run = _ended()
    run(InviteFacilitator(user_id=CO), OWNER)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}", demo=False)
    _save(settings.database_url, run)
    with serve_app(settings, FakeClock(run.now)) as server:
        yield server.url, run


@contextmanager
def _client(url: str, email: str | None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url) as client:
        if email is not None:
            login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200, login.text
        yield client


def test_the_rest_route_serves_every_format_to_the_workshop_s_facilitators(
    served: tuple[str, Recorder],
):
    """Owner and co-facilitator download each format; others get typed 401, 403, 404, 422."""
    url, run = served
    expected = build_bundle(run.state, run.now)
    with (
        _client(url, OWNER.id) as owner,
        _client(url, CO) as co,
        _client(url, OTHER) as other,
        _client(url, None) as anon,
    ):
        for fmt in FORMATS:
            path = f"/api/workshops/w-export/export.{fmt}"
            answer = owner.get(path)
            assert answer.status_code == 200, answer.text
            assert answer.text == render(expected, fmt)
            assert answer.headers["content-disposition"].startswith("attachment;")
            assert co.get(path).text == answer.text
            denied = [
                (c.get(path).status_code, c.get(path).json()["detail"]["code"])
                for c in (anon, other)
            ]
            assert denied == [(401, "not_logged_in"), (403, "not_facilitator")]
        unknown = owner.get("/api/workshops/nope/export.json")
        assert (unknown.status_code, unknown.json()["detail"]["code"]) == (404, "no_such_workshop")
        assert owner.get("/api/workshops/w-export/export.pdf").status_code == 422
        report = owner.get("/api/workshops/w-export/export.html")
        policies = report.headers.get_list("content-security-policy")
        assert len(policies) == 1 and "style-src 'unsafe-inline'" in policies[0]
        assert (
            owner.get("/api/workshops/w-export/export.csv")
            .headers["content-type"]
            .startswith("text/csv")
        )


def test_an_imported_bundle_exports_again_identically_and_read_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """`lernraum import` keeps a bundle; `lernraum export` gives back the same JSON and renders
    it in every format; a second import or a live workshop's id is refused."""
    bundle = build_bundle(record().state, EXPORT_NOW)
    source = tmp_path / "bundle.json"
    source.write_text(bundle_json(bundle), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    done = _lernraum("import", str(source), "--database-url", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Imported w-export" in done.stdout
    for fmt in ("json", "csv"):  # byte for byte, CRLF included
        target = tmp_path / f"again.{fmt}"
        args = ("export", "w-export", "--format", fmt, "--output", str(target))
        assert _cli(capsys, *args, "--database-url", url)[0] == 0
        assert target.read_bytes() == render(bundle, fmt).encode()
    assert (tmp_path / "again.json").read_bytes() == source.read_bytes()
    status, error = _cli(capsys, "import", str(source), "--database-url", url)
    assert status == 1 and "imported before" in error
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "lernraum-export", "version": 2}', encoding="utf-8")
    status, error = _cli(capsys, "import", str(broken), "--database-url", url)
    assert status == 1 and "not a lernraum-export version 1 file" in error
    live = f"sqlite:///{tmp_path / 'live.db'}"
    _save(live, _ended())
    status, error = _cli(capsys, "import", str(source), "--database-url", live)
    assert status == 1 and "live workshop 'w-export'" in error


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_in_every_user_field_stays_literal_text_in_markdown(payload: str):
    """No unescaped angle bracket, link bracket or ampersand reaches the Markdown."""
    text = render(build_bundle(injected(payload).state, START), "md")
    assert re.search(r"(?<!\\)[<>\[\]&]", text) is None
    assert text.count("\\<") >= payload.count("<")
