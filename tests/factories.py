"""Small plans and workshops for tests that should not depend on the shipped library."""

from __future__ import annotations

from datetime import datetime

from app.core.actors import Actor
from app.core.plan import ExpiryPolicy, GroupConfig, Permissions, PlanStep, Text
from app.core.reducer import fold
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState

OWNER = Actor("user", "owner@example.org")
STRANGER = Actor("user", "someone-else@example.org")
PARTICIPANT = Actor("participant", "p-1")


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


def workshop(steps: tuple[PlanStep, ...], now: datetime) -> WorkshopState:
    """A fresh workshop in the lobby, owned by OWNER."""
    created = create_workshop(
        workshop_id="w1", title="Test workshop", owner=OWNER.id, plan=steps, now=now
    )
    return fold([created])
