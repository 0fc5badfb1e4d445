"""Views brought forward from an earlier state equal views built from scratch.

The live room keeps each section whose reads did not change, updates the board's items
entry by entry and rebuilds personal sections only for the viewers a change concerns. For
random scripts (the same ones that check the secrets) and for every jump between two of
their states (one tick may hold many commits), the result must be exactly the view the
visibility function gives.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.core.actors import Actor
from app.core.board import MoveNote, PostNote
from app.core.errors import Rejection
from app.core.reducer import decide, evolve
from app.core.state import WorkshopState
from app.core.views import (
    Audience,
    audience_of,
    changed_keys,
    personal_changes,
    personal_view,
    personal_view_since,
    shared_reads,
    shared_sections,
    shared_view,
    shared_view_since,
)
from tests.core.test_views import EVERY_SECRET, PARTICIPANTS, START, VIEWERS, script, started


def states_of(steps: list[tuple[Any, Actor]]) -> list[WorkshopState]:
    """The state after the setup and after every accepted command of the script."""
    state, _ = started()
    states = [state]
    now = START
    for command, actor in steps:
        now += timedelta(seconds=13)
        result = decide(state, command, actor, now)
        if isinstance(result, Rejection):
            continue
        for event in result:
            state = evolve(state, event)
        states.append(state)
    return states


def audiences(*states: WorkshopState) -> set[Audience]:
    found = {audience_of(state, viewer) for state in states for viewer in VIEWERS}
    return {audience for audience in found if audience is not None}


def check_since(before: WorkshopState, after: WorkshopState) -> None:
    for audience in audiences(before, after):
        old = shared_view(before, audience)
        assert shared_view_since(before, old, after, audience) == shared_view(after, audience)
    changes = personal_changes(before, after)
    for viewer in VIEWERS:
        old = personal_view(before, viewer)
        since = personal_view_since(old, after, viewer, changes)
        assert since == personal_view(after, viewer), viewer
        entrywise = personal_view_since(old, after, viewer, changes, before)
        assert entrywise == personal_view(after, viewer), viewer


@settings(max_examples=100, deadline=None)
@given(steps=script, data=st.data())
@example(steps=EVERY_SECRET, data=None)
def test_views_brought_forward_equal_views_built_whole(steps, data):
    states = states_of(steps)
    for before, after in itertools.pairwise(states):
        check_since(before, after)
    if data is not None and len(states) > 2:  # several commits in one tick
        first = data.draw(st.integers(0, len(states) - 2))
        last = data.draw(st.integers(first + 1, len(states) - 1))
        check_since(states[first], states[last])


def test_unchanged_sections_are_the_same_objects_and_one_note_touches_one_author():
    state, _ = started()
    author = PARTICIPANTS[0]
    posted = state
    for event in decide(state, PostNote(item_id="n-1", text="erste Notiz"), author, START):
        posted = evolve(posted, event)
    moved = posted
    for event in decide(posted, MoveNote(item_id="n-1", x=0.5, y=0.25), author, START):
        moved = evolve(moved, event)
    assert changed_keys(posted.board.items, moved.board.items) == {"n-1"}
    audience = audience_of(posted, VIEWERS[1])
    assert audience is not None
    old = shared_view(posted, audience)
    new = shared_view_since(posted, old, moved, audience)
    assert new["people"] is old["people"] and new["plan"] is old["plan"]
    assert new["items"]["n-1"]["position"] == [0.5, 0.25]
    changes = personal_changes(posted, moved)
    assert changes == {"my_items": frozenset({author.id})}


class _Reading:
    """A state that notes which of its fields are read."""

    def __init__(self, state: WorkshopState) -> None:
        object.__setattr__(self, "_state", state)
        object.__setattr__(self, "read", set())

    def __getattr__(self, name: str) -> Any:
        derived = getattr(type(self._state), name, None)
        if isinstance(derived, property) and derived.fget is not None:
            return derived.fget(self)  # what it is computed from counts
        if callable(derived):  # a method: bound to this recorder
            return derived.__get__(self)
        self.read.add(name)
        return getattr(self._state, name)


def test_every_shared_section_lists_the_state_fields_it_reads():
    """A section kept because its reads are the same objects must read nothing else: the
    fields each builder touches are among the fields its ``Reads`` names."""
    state, _ = started()
    for name, build in shared_sections().items():
        reads = shared_reads().get(name)
        assert reads is not None, f"{name}: no reads, so it is built again for every audience"
        listed = _Reading(state)
        reads(listed)  # type: ignore[arg-type]
        for audience in audiences(state):
            used = _Reading(state)
            build(used, audience)  # type: ignore[arg-type]
            assert used.read <= listed.read, (name, audience.key, used.read - listed.read)
