"""The visibility function as a whole: sections, diffs, and no secret reaching anyone else."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.core import boardviews, personalviews
from app.core.actors import SYSTEM, Actor
from app.core.board import DeleteNote, EditNote, PostNote
from app.core.breakouts import OpenBreakouts
from app.core.commands import JumpToStep, NextStep, PreviousStep, StartWorkshop
from app.core.errors import Rejection
from app.core.groups import PLENARY
from app.core.moderation import HarvestGroups, HideItem, MarkConfidential, RevealItems, UnhideItem
from app.core.personal import ShareCanvas, UpdateCanvas
from app.core.plan import GroupConfig
from app.core.reducer import decide, evolve, fold
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState
from app.core.views import (
    CORE_PERSONAL,
    CORE_SHARED,
    Change,
    Json,
    Sections,
    Viewer,
    diff,
    personal_sections,
    shared_sections,
    view,
)
from tests.factories import OWNER, STRANGER, admit, board_step
from tests.test_replay import board_commands, join_groups, personal_commands, steer_groups

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PIDS = ("p-1", "p-2", "p-3", "p-4")
PARTICIPANTS = tuple(Actor("participant", pid) for pid in PIDS)
VIEWERS = (Viewer("facilitator", OWNER.id), *(Viewer("participant", pid) for pid in PIDS))
PLAN = (
    replace(
        board_step("v0/board", "notes", "cluster", "cards", "canvas", "hand", "poll", dots=2),
        group=GroupConfig(kind="all"),
    ),
    replace(
        board_step("v1/alone", "notes", "wicked_questions", "canvas", dots=1, private=True),
        group=GroupConfig(kind="alone"),
    ),
    replace(
        board_step("v2/pairs", "notes", "canvas", "reflection", "poll", "hand", private=True),
        group=GroupConfig(kind="pairs"),
    ),
    replace(
        board_step("v3/anon", "notes", "reflection", dots=2, anonymous=True),
        group=GroupConfig(kind="groups", min_size=2, max_size=3),
    ),
)


def canvas_marker(pid: str) -> str:
    return f"CANVAS-{pid}-SECRET"


def note_marker(pid: str, number: int) -> str:
    return f"PRIVATE-{pid}-{number}-SECRET"


MARKED_IDS = [f"m-{pid}-{n}" for pid in PIDS for n in range(2)]
marked = st.sampled_from(MARKED_IDS)


def _own_markers(pid: str) -> st.SearchStrategy[tuple[Any, Actor]]:
    actor = Actor("participant", pid)
    return st.sampled_from(
        [
            (UpdateCanvas(idea=canvas_marker(pid)), actor),
            *((PostNote(item_id=f"m-{pid}-{n}", text=note_marker(pid, n)), actor) for n in (0, 1)),
            (ShareCanvas(audience="group"), actor),
            (ShareCanvas(audience="plenary"), actor),
            (ShareCanvas(audience="private"), actor),
            (EditNote(item_id=f"m-{pid}-0", text="rewritten"), actor),
        ]
    )


markers = st.sampled_from(PIDS).flatmap(_own_markers)
steering = st.one_of(
    st.sampled_from([NextStep(), PreviousStep(), OpenBreakouts(), HarvestGroups(), RevealItems()]),
    st.builds(JumpToStep, index=st.integers(0, 3)),
    st.builds(HideItem, item_id=marked),
    st.builds(UnhideItem, item_id=marked),
    st.builds(DeleteNote, item_id=marked),
    st.builds(MarkConfidential, item_id=marked, confidential=st.booleans()),
).map(lambda command: (command, OWNER))
anyone = st.sampled_from([OWNER, *PARTICIPANTS, SYSTEM])
others = st.tuples(st.one_of(board_commands, personal_commands, steer_groups, join_groups), anyone)
script = st.lists(st.one_of(markers, markers, markers, steering, others), min_size=5, max_size=50)

P1, P2, P3 = PARTICIPANTS[:3]
EVERY_SECRET: list[tuple[Any, Actor]] = [  # private notes and canvases in every state
    (UpdateCanvas(idea=canvas_marker("p-1")), P1),
    (PostNote(item_id="m-p-2-0", text=note_marker("p-2", 0)), P2),
    (NextStep(), OWNER),
    (PostNote(item_id="m-p-1-0", text=note_marker("p-1", 0)), P1),
    (PostNote(item_id="m-p-3-0", text=note_marker("p-3", 0)), P3),
    (HideItem(item_id="m-p-3-0"), OWNER),
    (RevealItems(), OWNER),
    (NextStep(), OWNER),
    (OpenBreakouts(), OWNER),
    (ShareCanvas(audience="group"), P1),
    (PostNote(item_id="m-p-1-1", text=note_marker("p-1", 1)), P1),
    (PostNote(item_id="m-p-2-1", text=note_marker("p-2", 1)), P2),
    (RevealItems(), OWNER),
    (UnhideItem(item_id="m-p-3-0"), OWNER),
    (HarvestGroups(), OWNER),
    (ShareCanvas(audience="plenary"), P1),
    (ShareCanvas(audience="private"), P1),
    (NextStep(), OWNER),
]


def started() -> tuple[WorkshopState, list[Any]]:
    """The first step running, everyone admitted with a private canvas; and the log so far."""
    created = create_workshop(
        workshop_id="w-views", title="Views", owner=OWNER.id, plan=PLAN, now=START
    )
    state, log = fold([created]), [created]
    setup: list[tuple[Any, Actor]] = [
        *((admit(pid), SYSTEM) for pid in PIDS),
        (StartWorkshop(), OWNER),
        *((UpdateCanvas(idea=canvas_marker(p.id)), p) for p in PARTICIPANTS),
    ]
    for command, actor in setup:
        result = decide(state, command, actor, START)
        assert not isinstance(result, Rejection), result
        log.extend(result)
        for event in result:
            state = evolve(state, event)
    return state, log


def patched(old: Sections, changes: list[Change]) -> Sections:
    """``old`` with ``changes`` applied as a client applies them."""
    new = {name: dict(section) for name, section in old.items()}
    for change in changes:
        section = new.setdefault(change.section, {})
        if change.value is None:
            section.pop(change.key, None)
        else:
            section[change.key] = change.value
    return new


def scope_of(state: WorkshopState, viewer: Viewer) -> str | None:
    """The scope whose content the viewer's audience shows (None: facilitators, every one)."""
    return None if viewer.kind == "facilitator" else state.breakouts.scope_of(viewer.id)


def may_read_canvas(state: WorkshopState, owner: str, viewer: Viewer) -> bool:
    """The oracle for canvases: the owner's consents, as ``personal.py`` defines them."""
    canvas = state.personal.canvases.get(owner)
    if canvas is None or viewer.id == owner or "plenary" in canvas.consents:
        return True
    scope = scope_of(state, viewer)
    return "group" in canvas.consents and scope in (None, canvas.group_id)


def may_read_item(state: WorkshopState, item_id: str, viewer: Viewer) -> bool:
    """The oracle for items: the author always; others once revealed, unhidden and in reach."""
    item = state.board.items.get(item_id)
    if item is None or item.deleted or item.author == viewer.id:
        return True
    scope = scope_of(state, viewer)
    if not item.revealed or (item.hidden and scope is not None):
        return False
    return scope is None or item.scope in (PLENARY, scope) or item.harvested


def check_secrets(state: WorkshopState, viewer: Viewer, dumped: str) -> None:
    """No canvas or private note text the viewer may not read is anywhere in their view."""
    for pid in PIDS:
        if not may_read_canvas(state, pid, viewer):
            assert canvas_marker(pid) not in dumped, (viewer, pid)
        for number in (0, 1):
            if not may_read_item(state, f"m-{pid}-{number}", viewer):
                assert note_marker(pid, number) not in dumped, (viewer, pid, number)


@settings(max_examples=150, deadline=None)
@given(steps=script)
@example(steps=EVERY_SECRET)
def test_views_keep_secrets_and_diffs_rebuild_them(steps):
    """For random scripts no view holds a secret it may not, and diffs rebuild every view."""
    state, events = started()
    now = START
    seen: dict[Viewer, Sections | None] = {viewer: view(state, viewer) for viewer in VIEWERS}
    for command, actor in steps:
        now += timedelta(seconds=13)
        result = decide(state, command, actor, now)
        if isinstance(result, Rejection):
            continue
        events.extend(result)
        for event in result:
            state = evolve(state, event)
        for viewer in VIEWERS:
            current = view(state, viewer)
            before = seen[viewer]
            seen[viewer] = current
            if current is None or before is None:
                continue
            dumped = json.dumps(current, allow_nan=False)
            assert json.loads(dumped) == current
            check_secrets(state, viewer, dumped)
            assert patched(before, diff(before, current)) == current
    replayed = fold(events)
    for viewer in VIEWERS:
        assert json.dumps(view(replayed, viewer)) == json.dumps(view(state, viewer))


def test_shared_and_personal_section_names_never_overlap():
    """Every section name is either shared or personal, and the concept modules add theirs."""
    shared, personal = shared_sections(), personal_sections()
    assert not shared.keys() & personal.keys()
    assert {*CORE_SHARED, *boardviews.SHARED, *personalviews.SHARED} == shared.keys()
    assert {*CORE_PERSONAL, *boardviews.PERSONAL, *personalviews.PERSONAL} == personal.keys()


def test_outsiders_get_no_view():
    """Someone who is neither facilitator nor participant of the workshop sees nothing."""
    state, _ = started()
    assert view(state, Viewer("facilitator", STRANGER.id)) is None
    assert view(state, Viewer("participant", "p-9")) is None


def _entries(sections: Mapping[str, Mapping[str, Json]]) -> list[Json]:
    return [value for section in sections.values() for value in section.values()]


def test_no_entry_is_null_so_a_diff_never_mistakes_a_value_for_a_deletion():
    """``diff`` reads a None value as "gone": no section may hold None as an entry."""
    state, _ = started()
    for command, actor in EVERY_SECRET:
        result = decide(state, command, actor, START)
        if not isinstance(result, Rejection):
            for event in result:
                state = evolve(state, event)
        for viewer in VIEWERS:
            sections = view(state, viewer)
            assert sections is not None
            assert None not in _entries(sections)
