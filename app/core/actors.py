"""Who issues a command: a facilitator account, a participant, or the server itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["user", "participant", "system"]


@dataclass(frozen=True)
class Actor:
    """The sender of a command. Rights come from the workshop state, never from the actor."""

    kind: ActorKind
    id: str


SYSTEM = Actor("system", "scheduler")
