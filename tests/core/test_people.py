"""Participants and co-facilitators: who may add whom, and what a join records."""

from __future__ import annotations

from app.clock import FakeClock
from app.core.actors import SYSTEM, Actor
from app.core.commands import PauseWorkshop, StartWorkshop
from app.core.people import (
    AdmitParticipant,
    InviteFacilitator,
    RemoveFacilitator,
    RemoveParticipant,
)
from tests.factories import AGREED, OWNER, PARTICIPANT, admit, plan, workshop
from tests.factories import act as _apply
from tests.factories import refusal as _code

CO = Actor("user", "co@example.org")


def test_admission_records_a_cleaned_name_and_known_attributes():
    """The server admits a participant with a tidy name and only known join attributes."""
    clock = FakeClock()
    state = workshop(plan(5), clock.now())
    admit = AdmitParticipant(
        participant_id="p-1",
        name="  Ada   Lovelace ",
        attributes={"organisation": " ACME ", "generation": ""},
        agreement=AGREED,
    )
    state = _apply(state, admit, SYSTEM, clock.now())
    assert state.participants["p-1"].name == "Ada Lovelace"
    assert state.participants["p-1"].attributes == {"organisation": "ACME"}
    assert state.participants["p-1"].agreement == AGREED
    assert _code(state, admit, SYSTEM, clock.now()) == "already_joined"


def test_only_the_server_admits_and_bad_input_is_typed():
    """Participants cannot admit themselves; empty names and unknown attributes are refused."""
    clock = FakeClock()
    state = workshop(plan(5), clock.now())
    good = admit("p-2", "Bo")
    assert _code(state, good, PARTICIPANT, clock.now()) == "not_facilitator"
    assert _code(state, good, OWNER, clock.now()) == "not_facilitator"
    empty = admit("p-2", "   ")
    assert _code(state, empty, SYSTEM, clock.now()) == "invalid_argument"
    odd = admit("p-2", "Bo", salary="high")
    assert _code(state, odd, SYSTEM, clock.now()) == "invalid_argument"


def test_only_the_owner_invites_and_co_facilitators_can_steer_but_not_invite():
    """An invited co-facilitator steers the run; only the owner manages facilitators."""
    clock = FakeClock()
    state = workshop(plan(5), clock.now())
    assert _code(state, InviteFacilitator(user_id=CO.id), CO, clock.now()) == "not_owner"
    assert _code(state, StartWorkshop(), CO, clock.now()) == "not_facilitator"
    state = _apply(state, InviteFacilitator(user_id=CO.id), OWNER, clock.now())
    state = _apply(state, StartWorkshop(), CO, clock.now())
    other = InviteFacilitator(user_id="x@example.org")
    assert _code(state, other, CO, clock.now()) == "not_owner"
    assert (
        _code(state, RemoveFacilitator(user_id=OWNER.id), OWNER, clock.now()) == "invalid_argument"
    )
    state = _apply(state, RemoveFacilitator(user_id=CO.id), OWNER, clock.now())
    assert _code(state, PauseWorkshop(), CO, clock.now()) == "not_facilitator"


def test_facilitators_remove_participants_and_nobody_joins_an_ended_workshop():
    """Removal is a facilitator's right; an ended workshop admits nobody."""
    clock = FakeClock()
    state = _apply(
        workshop(plan(5), clock.now()),
        admit("p-1", "Ada"),
        SYSTEM,
        clock.now(),
    )
    assert (
        _code(state, RemoveParticipant(participant_id="p-1"), PARTICIPANT, clock.now())
        == "not_facilitator"
    )
    state = _apply(state, RemoveParticipant(participant_id="p-1"), OWNER, clock.now())
    assert state.participants == {}
    from app.core.commands import EndWorkshop

    state = _apply(state, EndWorkshop(), OWNER, clock.now())
    assert _code(state, admit("p-3", "Cy"), SYSTEM, clock.now()) == "workshop_ended"
