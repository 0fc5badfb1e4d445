"""Who is in a workshop: participants who joined, facilitators the owner invited.

Joining is checked by the shell (code, throttling) and then recorded by the system actor as
``AdmitParticipant``, which the core refuses while joining is locked or unless it carries
the fingerprint of the working agreement in force (``agreement.py``); from then on the
participant is part of the state every fold rebuilds. Only the owner invites or removes
co-facilitators. What follows a join or a removal in the same decision (a late joiner's
seat, a leaver's group, role, hand and "done" signals) is composed in ``roster.py``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.agreement import agreement_fingerprint, agreement_of
from app.core.errors import Rejected
from app.core.state import Participant, WorkshopState

JOIN_ATTRIBUTES = ("organisation", "department", "generation")
MAX_NAME_CHARS = 60
MAX_ATTRIBUTE_CHARS = 80


@dataclass(frozen=True, kw_only=True)
class AdmitParticipant:
    """Record a participant the shell let in (system actor only)."""

    participant_id: str
    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    agreement: str = ""  # fingerprint of the working agreement the person accepted
    type: Literal["participant.admit"] = "participant.admit"


@dataclass(frozen=True, kw_only=True)
class RemoveParticipant:
    """A facilitator takes a participant out of the workshop."""

    participant_id: str
    type: Literal["participant.remove"] = "participant.remove"


@dataclass(frozen=True, kw_only=True)
class InviteFacilitator:
    """The owner makes a facilitator account a co-facilitator."""

    user_id: str
    type: Literal["facilitator.invite"] = "facilitator.invite"


@dataclass(frozen=True, kw_only=True)
class RemoveFacilitator:
    """The owner takes a co-facilitator's rights away."""

    user_id: str
    type: Literal["facilitator.remove"] = "facilitator.remove"


@dataclass(frozen=True, kw_only=True)
class ParticipantJoined:
    """A participant is part of the workshop."""

    participant_id: str
    name: str
    attributes: Mapping[str, str]
    at: datetime
    agreement: str = ""  # fingerprint of the working agreement they accepted
    type: Literal["participant.joined"] = "participant.joined"


@dataclass(frozen=True, kw_only=True)
class ParticipantRemoved:
    """A participant was taken out of the workshop."""

    participant_id: str
    at: datetime
    type: Literal["participant.removed"] = "participant.removed"


@dataclass(frozen=True, kw_only=True)
class FacilitatorInvited:
    """A facilitator account may now steer the workshop."""

    user_id: str
    at: datetime
    type: Literal["facilitator.invited"] = "facilitator.invited"


@dataclass(frozen=True, kw_only=True)
class FacilitatorRemoved:
    """A co-facilitator may no longer steer the workshop."""

    user_id: str
    at: datetime
    type: Literal["facilitator.removed"] = "facilitator.removed"


PeopleCommand = AdmitParticipant | RemoveParticipant | InviteFacilitator | RemoveFacilitator
PeopleEvent = ParticipantJoined | ParticipantRemoved | FacilitatorInvited | FacilitatorRemoved


def clean_name(name: str) -> str:
    """A display name without control characters and with white space folded."""
    printable = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    return " ".join(printable.split())


def _require_owner(state: WorkshopState, actor: Actor) -> None:
    if not (actor.kind == "user" and actor.id == state.owner):
        raise Rejected("not_owner", f"only the owner of workshop {state.id!r} manages facilitators")


def decide_admit(
    state: WorkshopState, command: AdmitParticipant, actor: Actor, now: datetime
) -> list[PeopleEvent]:
    """Record a participant the shell admitted."""
    if actor.kind != "system":
        raise Rejected("not_facilitator", "participants are admitted by the server")
    if state.phase == "ended":
        raise Rejected("workshop_ended", f"workshop {state.id!r} has ended")
    if state.locked:
        raise Rejected("joining_locked", f"joining workshop {state.id!r} is locked")
    if command.participant_id in state.participants:
        raise Rejected("already_joined", f"participant {command.participant_id!r} is already in")
    if command.agreement != agreement_fingerprint(agreement_of(state)):
        raise Rejected("agreement_required", "accept the working agreement in force before joining")
    name = clean_name(command.name)
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise Rejected("invalid_argument", f"a display name has 1 to {MAX_NAME_CHARS} characters")
    unknown = set(command.attributes) - set(JOIN_ATTRIBUTES)
    if unknown:
        raise Rejected("invalid_argument", f"unknown join attributes: {sorted(unknown)}")
    attributes = {key: clean_name(value) for key, value in command.attributes.items()}
    if any(len(value) > MAX_ATTRIBUTE_CHARS for value in attributes.values()):
        raise Rejected(
            "invalid_argument", f"attributes have at most {MAX_ATTRIBUTE_CHARS} characters"
        )
    return [
        ParticipantJoined(
            participant_id=command.participant_id,
            name=name,
            attributes={key: value for key, value in attributes.items() if value},
            at=now,
            agreement=command.agreement,
        )
    ]


def decide_remove_participant(
    state: WorkshopState, command: RemoveParticipant, actor: Actor, now: datetime
) -> list[PeopleEvent]:
    """A facilitator removes a participant."""
    if not state.is_facilitator(actor):
        raise Rejected("not_facilitator", "only facilitators may remove participants")
    if command.participant_id not in state.participants:
        raise Rejected("no_such_participant", f"no participant {command.participant_id!r}")
    return [ParticipantRemoved(participant_id=command.participant_id, at=now)]


def decide_invite(
    state: WorkshopState, command: InviteFacilitator, actor: Actor, now: datetime
) -> list[PeopleEvent]:
    """The owner adds a co-facilitator."""
    _require_owner(state, actor)
    if command.user_id in state.facilitators:
        raise Rejected("already_facilitator", f"{command.user_id!r} already facilitates")
    return [FacilitatorInvited(user_id=command.user_id, at=now)]


def decide_remove_facilitator(
    state: WorkshopState, command: RemoveFacilitator, actor: Actor, now: datetime
) -> list[PeopleEvent]:
    """The owner removes a co-facilitator (never themselves)."""
    _require_owner(state, actor)
    if command.user_id == state.owner:
        raise Rejected("invalid_argument", "the owner cannot be removed")
    if command.user_id not in state.facilitators:
        raise Rejected("no_such_facilitator", f"{command.user_id!r} does not facilitate")
    return [FacilitatorRemoved(user_id=command.user_id, at=now)]


def evolve_joined(state: WorkshopState, event: ParticipantJoined) -> WorkshopState:
    """One more participant."""
    participant = Participant(
        id=event.participant_id,
        name=event.name,
        attributes=event.attributes,
        joined_at=event.at,
        agreement=event.agreement,
    )
    return replace(state, participants={**state.participants, participant.id: participant})


def evolve_removed(state: WorkshopState, event: ParticipantRemoved) -> WorkshopState:
    """One participant fewer."""
    rest = {pid: p for pid, p in state.participants.items() if pid != event.participant_id}
    return replace(state, participants=rest)


def evolve_invited(state: WorkshopState, event: FacilitatorInvited) -> WorkshopState:
    """One more facilitator."""
    return replace(state, facilitators=state.facilitators | {event.user_id})


def evolve_facilitator_removed(state: WorkshopState, event: FacilitatorRemoved) -> WorkshopState:
    """One facilitator fewer."""
    return replace(state, facilitators=state.facilitators - {event.user_id})


# AdmitParticipant and RemoveParticipant are dispatched by roster.py, which adds what follows
DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    InviteFacilitator: decide_invite,
    RemoveFacilitator: decide_remove_facilitator,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    ParticipantJoined: evolve_joined,
    ParticipantRemoved: evolve_removed,
    FacilitatorInvited: evolve_invited,
    FacilitatorRemoved: evolve_facilitator_removed,
}
