"""Agenda sharing: a workshop's plan as a structure file and back, pure, over REST and CLI."""

from __future__ import annotations

import io
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.agenda_toml import (
    AgendaError,
    agenda_document,
    agenda_toml,
    comparable,
    plan_from_toml,
    toml_string,
)
from app.cli import main
from app.core.reducer import fold
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState
from app.store import Store
from app.structures import Library, load_library, run_check
from tests.conftest import LiveServer
from tests.live.support import as_facilitator, demo_workshop, facilitator_session

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LIBRARY = load_library()


def _workshop(
    source_id: str, library: Library = LIBRARY, title: str = "Unser Workshop"
) -> WorkshopState:
    created = create_workshop(
        workshop_id="w-1",
        title=title,
        owner="owner@example.org",
        plan=library.plan_for(source_id),
        now=NOW,
        agenda_id=source_id,
    )
    return fold([created])


@given(st.text(max_size=200))
def test_every_text_survives_as_a_toml_string(value: str) -> None:
    assert tomllib.loads(f"x = {toml_string(value)}")["x"] == value


SOURCES = sorted(LIBRARY.agendas) + sorted(LIBRARY.structures)


@pytest.mark.parametrize("source_id", SOURCES)
def test_export_then_import_gives_the_same_agenda(source_id: str) -> None:
    state = _workshop(source_id)
    text = agenda_toml(state, LIBRARY)
    assert tomllib.loads(text)["kind"] == "agenda"
    file_id, _, plan = plan_from_toml(text, LIBRARY)
    assert file_id == "unser-workshop"
    assert comparable(plan) == comparable(state.plan)
    again = fold(
        [create_workshop(workshop_id="w-2", title="x", owner="o@example.org", plan=plan, now=NOW)]
    )
    assert agenda_toml(replace(again, title=state.title), LIBRARY) == text  # a fixed point


def test_the_exported_file_passes_structures_check(tmp_path: Path) -> None:
    state = _workshop("peer-learning-kickoff", title='Auftakt <b>"Süd"</b>\n\\ zweite Zeile')
    path = tmp_path / "shared.toml"
    path.write_text(agenda_toml(state, LIBRARY, "unser-auftakt"), encoding="utf-8")
    out = io.StringIO()
    assert run_check(path, out) == 0, out.getvalue()
    assert "unser-auftakt: 90 minutes" in out.getvalue()
    name = tomllib.loads(path.read_text(encoding="utf-8"))["name"]["de"]
    assert name == state.title


def test_item_titles_minutes_and_prompts_are_kept() -> None:
    state = _workshop("peer-learning-kickoff")
    document = agenda_document(state, LIBRARY)
    shipped = LIBRARY.agendas["peer-learning-kickoff"]
    assert [item["use"] for item in document["items"]] == [item.use for item in shipped.items]
    assert [item["minutes"] for item in document["items"]] == [i.minutes for i in shipped.items]
    assert document["items"][0]["title"]["de"] == "Check-in in Kleingruppen"
    assert "round" in document["items"][0]["prompts"]


def test_an_edited_plan_becomes_a_self_contained_structure() -> None:
    state = _workshop("peer-learning-kickoff")
    plan = list(state.plan)
    plan[3] = replace(plan[3], seconds=plan[3].seconds + 45)  # one step of an item retimed
    plan[5], plan[6] = plan[6], plan[5]
    edited = replace(state, plan=tuple(plan))
    text = agenda_toml(edited, LIBRARY)
    assert tomllib.loads(text)["kind"] == "structure"
    _, name, imported = plan_from_toml(text, LIBRARY)
    assert name.de == state.title
    assert len(imported) == len(plan)
    for mine, original in zip(imported, plan, strict=True):
        assert mine.seconds == original.seconds
        assert mine.group == original.group
        assert mine.prompt == original.prompt
        assert mine.permissions == original.permissions
        assert (mine.on_expiry, mine.deck) == (original.on_expiry, original.deck)
        assert mine.title.de == f"{state.title} · {original.title.de}"
        acting = {role.id for role in original.roles if role.acts}
        assert {role.id for role in mine.roles if role.acts} >= acting
    assert [s.board is None for s in imported] == [s.board is None for s in plan]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind = ", "line 1"),
        ('kind = "deck"\nid = "x"', "'kind' must be"),
        (
            'kind = "agenda"\nid = "x"\nname = { de = "A", en = "A" }\n'
            'description = { de = "A", en = "A" }\ntotal_minutes = 5\n'
            '[licence]\nspdx = "CC-BY-4.0"\nattribution = "A"\n'
            '[[items]]\nuse = "no-such-structure"\nminutes = 5\n',
            "unknown structure 'no-such-structure'",
        ),
        (
            'kind = "agenda"\nid = "x"\nname = { de = "A" }\n',
            "German text without its English twin",
        ),
    ],
)
def test_a_broken_file_is_refused_with_its_line(text: str, expected: str) -> None:
    with pytest.raises(AgendaError) as refused:
        plan_from_toml(text, LIBRARY)
    assert expected in str(refused.value)


def test_an_id_of_the_library_is_no_clash_on_import() -> None:
    state = _workshop("check-in")
    text = agenda_toml(state, LIBRARY, "peer-learning-kickoff")
    file_id, _, plan = plan_from_toml(text, LIBRARY)
    assert file_id == "peer-learning-kickoff"
    assert comparable(plan) == comparable(state.plan)


async def test_export_and_import_over_rest(live_server: LiveServer) -> None:
    session = await facilitator_session(live_server)
    other = await facilitator_session(live_server, "other@example.org")
    workshop = await demo_workshop(live_server)
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        exported = await http.get(
            f"/api/workshops/{workshop}/agenda.toml", headers=as_facilitator(session)
        )
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"].startswith("application/toml")
        for who, status in ((other, 403), ("nobody", 401)):
            refused = await http.get(
                f"/api/workshops/{workshop}/agenda.toml", headers=as_facilitator(who)
            )
            assert refused.status_code == status
        created = await http.post(
            "/api/agendas/import",
            json={"toml": exported.text, "title": "Importiert"},
            headers=as_facilitator(other),
        )
        assert created.status_code == 201, created.text
        copy = created.json()
        assert copy["title"] == "Importiert" and copy["phase"] == "lobby"
        original = await http.get(f"/api/workshops/{workshop}", headers=as_facilitator(session))
        steps = [(s["title"], s["planned_s"]) for s in original.json()["steps"]]
        assert [(s["title"], s["planned_s"]) for s in copy["steps"]] == steps
        broken = await http.post(
            "/api/agendas/import", json={"toml": "kind = 1"}, headers=as_facilitator(other)
        )
        assert broken.status_code == 422
        assert broken.json()["detail"]["code"] == "invalid_argument"
        anonymous = await http.post("/api/agendas/import", json={"toml": exported.text})
        assert anonymous.status_code == 401


def test_export_and_import_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'lernraum.db'}"
    store = Store(url)
    store.create_schema()
    state = _workshop("peer-learning-kickoff")
    store.save_workshop(
        create_workshop(
            workshop_id=state.id,
            title=state.title,
            owner=state.owner,
            plan=state.plan,
            now=NOW,
        ),
        NOW,
    )
    store.close()
    path = tmp_path / "agenda.toml"
    assert main(["agenda", "export", state.id, "--output", str(path), "--database-url", url]) == 0
    assert (
        main(["agenda", "import", str(path), "--owner", "b@example.org", "--database-url", url])
        == 0
    )
    printed = capsys.readouterr().out
    assert "Created workshop" in printed
    store = Store(url)
    try:
        ids = store.workshop_ids()
        assert len(ids) == 2
        (new_id,) = set(ids) - {state.id}
        imported = store.load_state(new_id)
        assert imported is not None and imported.owner == "b@example.org"
        assert comparable(imported.plan) == comparable(state.plan)
    finally:
        store.close()
    assert main(["agenda", "export", "no-such", "--database-url", url]) == 1
