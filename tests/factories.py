"""Small plans and workshops for tests that should not depend on the shipped library."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from datetime import datetime
from typing import Any

from app.core.actors import SYSTEM, Actor
from app.core.agreement import DEFAULT_AGREEMENT, agreement_fingerprint
from app.core.commands import StartWorkshop
from app.core.errors import Rejection
from app.core.groups import Breakouts, Group
from app.core.people import AdmitParticipant
from app.core.plan import (
    Action,
    ExpiryPolicy,
    GroupConfig,
    Permissions,
    PlanStep,
    RoleSpec,
    Text,
)
from app.core.reducer import decide, evolve, fold
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState
from app.core.views import Sections, Viewer, view

OWNER = Actor("user", "owner@example.org")
STRANGER = Actor("user", "someone-else@example.org")
PARTICIPANT = Actor("participant", "p-1")
AGREED = agreement_fingerprint(DEFAULT_AGREEMENT)  # what the join form sends by default


def admit(
    participant_id: str, name: str | None = None, agreement: str = AGREED, **attributes: str
) -> AdmitParticipant:
    """An admission of someone who accepted the default working agreement (name = id)."""
    return AdmitParticipant(
        participant_id=participant_id,
        name=participant_id if name is None else name,
        attributes=attributes,
        agreement=agreement,
    )


def step(
    key: str, minutes: float, on_expiry: ExpiryPolicy = "advance", group: str = "all"
) -> PlanStep:
    """A plan step with just a key, a length and an expiry policy."""
    return PlanStep(
        key=key,
        structure_id=key.split("/")[0],
        step_id=key.split("/")[-1],
        title=Text(de=key, en=key),
        seconds=round(minutes * 60),
        group=GroupConfig(kind=group),  # type: ignore[arg-type]
        permissions=Permissions(actions=frozenset({"notes"})),
        on_expiry=on_expiry,
    )


def plan(*minutes: float, on_expiry: ExpiryPolicy = "advance") -> tuple[PlanStep, ...]:
    """A plan of steps with the given lengths."""
    return tuple(step(f"s{i}/step", m, on_expiry) for i, m in enumerate(minutes))


def plan_allowing(
    *minutes: float, actions: tuple[Action, ...], on_expiry: ExpiryPolicy = "advance"
) -> tuple[PlanStep, ...]:
    """A plan like ``plan`` whose steps all allow ``actions``."""
    return tuple(
        replace(s, permissions=Permissions(actions=frozenset(actions)))
        for s in plan(*minutes, on_expiry=on_expiry)
    )


def workshop(steps: tuple[PlanStep, ...], now: datetime) -> WorkshopState:
    """A fresh workshop in the lobby, owned by OWNER."""
    created = create_workshop(
        workshop_id="w1", title="Test workshop", owner=OWNER.id, plan=steps, now=now
    )
    return fold([created])


def step_allowing(
    key: str,
    *actions: Action,
    anonymous: bool = False,
    roles: tuple[RoleSpec, ...] = (),
    minutes: float = 5,
) -> PlanStep:
    """A plan step that lets participants do ``actions`` (and nothing else)."""
    return replace(
        step(key, minutes),
        permissions=Permissions(actions=frozenset(actions), anonymous=anonymous),
        roles=roles,
    )


def running_workshop(
    steps: tuple[PlanStep, ...], now: datetime, participant_ids: tuple[str, ...] = ("p-1",)
) -> WorkshopState:
    """A workshop in its first step with the given participants admitted (names = ids)."""
    state = workshop(steps, now)
    commands: list[tuple[Any, Actor]] = [(admit(pid), SYSTEM) for pid in participant_ids]
    for command, actor in [*commands, (StartWorkshop(), OWNER)]:
        events = decide(state, command, actor, now)
        assert isinstance(events, list), events
        for event in events:
            state = evolve(state, event)
    return state


def with_groups(state: WorkshopState, *groups: Group) -> WorkshopState:
    """The state with breakouts open in exactly these groups."""
    return replace(state, breakouts=Breakouts(open=True, round=1, groups=groups))


def board_step(
    key: str,
    *actions: Action,
    dots: int = 0,
    private: bool = False,
    anonymous: bool = False,
    deck: str | None = None,
    roles: tuple[RoleSpec, ...] = (),
) -> PlanStep:
    """A five-minute step with the board permissions given."""
    permissions = Permissions(
        actions=frozenset(actions),
        dots=dots,
        private_until_reveal=private,
        anonymous=anonymous,
    )
    return replace(step(key, 5), permissions=permissions, deck=deck, roles=roles)


def act(state: WorkshopState, command: Any, actor: Actor, now: datetime) -> WorkshopState:
    """Decide and evolve a command that must be accepted."""
    events = decide(state, command, actor, now)
    assert isinstance(events, list), events
    for event in events:
        state = evolve(state, event)
    return state


def refusal(state: WorkshopState, command: Any, actor: Actor, now: datetime) -> str:
    """The rejection code of a command that must be refused, checking nothing changed."""
    before = deepcopy(state)
    result = decide(state, command, actor, now)
    assert isinstance(result, Rejection), result
    assert state == before
    return result.code


def seen(pid: str) -> Viewer:
    """A participant as a viewer."""
    return Viewer("participant", pid)


def look(state: WorkshopState, viewer: Viewer) -> Sections:
    """The viewer's whole view, which must exist."""
    result = view(state, viewer)
    assert result is not None
    return result
