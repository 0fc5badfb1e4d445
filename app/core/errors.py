"""Typed rejections of the core.

A command the state or the actor's rights do not allow is answered with a ``Rejection``
value; it changes nothing. Inside the core, handlers raise ``Rejected`` and ``decide``
turns it into the value, so no handler can half-apply a command.

    Exception
    └── Rejected(code, message)   -> Rejection(code, message), the value decide returns

Codes are stable strings that clients and the web layer map on (see docs/protocol.md):

    not_facilitator     the actor may not steer this workshop
    workshop_not_started / workshop_ended / workshop_already_started
    step_not_running    the current step is not running (paused, lobby, ended)
    not_paused          resume without a pause
    no_such_step        a step index outside the plan
    stale_step          the command names a step that is no longer the current one
    stale_expiry        an expiry for a deadline that is no longer current (already applied)
    invalid_argument    a value out of range
    unknown_command     a command type the engine does not know
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rejection:
    """The answer to a command that may not happen; nothing changed."""

    code: str
    message: str


class Rejected(Exception):
    """Raised inside the core's handlers; ``decide`` returns it as a ``Rejection``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def as_value(self) -> Rejection:
        """The rejection as a value."""
        return Rejection(self.code, self.message)
