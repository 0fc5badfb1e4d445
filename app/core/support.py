"""Facilitator support for groups at work: help requests and messages to every group.

A member of a group raises a hand for the whole group (``AskForHelp``); the request stays on
the group until a facilitator has handled it, or until the grouping ends. A broadcast is a
short text a facilitator sends into every group ("five minutes left"); the latest
``MAX_BROADCASTS_KEPT`` are kept so a participant who reconnects still sees them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.breakouts import (
    MAX_ID_CHARS,
    require_facilitator,
    require_live_participant,
    require_open,
)
from app.core.errors import Rejected
from app.core.groups import BroadcastMessage
from app.core.state import WorkshopState

MAX_BROADCAST_CHARS = 500
MAX_BROADCASTS_KEPT = 20


@dataclass(frozen=True, kw_only=True)
class AskForHelp:
    """A participant asks a facilitator to come to their group."""

    type: Literal["help.ask"] = "help.ask"


@dataclass(frozen=True, kw_only=True)
class HandleHelp:
    """A facilitator clears a group's help request."""

    group_id: str
    type: Literal["help.handle"] = "help.handle"


@dataclass(frozen=True, kw_only=True)
class Broadcast:
    """A facilitator sends a short text into every group."""

    text: str
    type: Literal["breakouts.broadcast"] = "breakouts.broadcast"


@dataclass(frozen=True, kw_only=True)
class HelpAsked:
    """A group asks for a facilitator."""

    group_id: str
    participant_id: str
    at: datetime
    type: Literal["help.asked"] = "help.asked"


@dataclass(frozen=True, kw_only=True)
class HelpHandled:
    """A facilitator handled a group's help request."""

    group_id: str
    at: datetime
    type: Literal["help.handled"] = "help.handled"


@dataclass(frozen=True, kw_only=True)
class BroadcastSent:
    """A facilitator's text went to every group."""

    text: str
    author: str
    at: datetime
    type: Literal["breakouts.broadcast_sent"] = "breakouts.broadcast_sent"


SupportCommand = AskForHelp | HandleHelp | Broadcast
SupportEvent = HelpAsked | HelpHandled | BroadcastSent


def clean_text(text: str) -> str:
    """A text without control characters, keeping its line breaks, trimmed at both ends."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = ("".join(c for c in line if unicodedata.category(c)[0] != "C") for line in lines)
    return "\n".join(line.rstrip() for line in kept).strip()


def decide_ask(
    state: WorkshopState, command: AskForHelp, actor: Actor, now: datetime
) -> list[SupportEvent]:
    """Raise the hand of the participant's group."""
    require_live_participant(state, actor)
    breakouts = require_open(state)
    group = breakouts.group_of(actor.id)
    if group is None:
        raise Rejected("no_such_group", "you are in no group; ask in the plenary")
    if group.id in breakouts.help_requests:
        raise Rejected("invalid_argument", f"group {group.id!r} has asked for help already")
    return [HelpAsked(group_id=group.id, participant_id=actor.id, at=now)]


def decide_handle(
    state: WorkshopState, command: HandleHelp, actor: Actor, now: datetime
) -> list[SupportEvent]:
    """Clear a group's help request."""
    require_facilitator(state, actor)
    breakouts = require_open(state)
    group_id = command.group_id[:MAX_ID_CHARS]
    if breakouts.group(group_id) is None:
        raise Rejected("no_such_group", f"no group {group_id!r}")
    if group_id not in breakouts.help_requests:
        raise Rejected("invalid_argument", f"group {group_id!r} has not asked for help")
    return [HelpHandled(group_id=group_id, at=now)]


def decide_broadcast(
    state: WorkshopState, command: Broadcast, actor: Actor, now: datetime
) -> list[SupportEvent]:
    """Send a cleaned text into every group."""
    require_facilitator(state, actor)
    require_open(state)
    text = clean_text(command.text)
    if not 1 <= len(text) <= MAX_BROADCAST_CHARS:
        raise Rejected("invalid_argument", f"text: 1 to {MAX_BROADCAST_CHARS} characters")
    return [BroadcastSent(text=text, author=actor.id, at=now)]


def evolve_asked(state: WorkshopState, event: HelpAsked) -> WorkshopState:
    """One more group waits for a facilitator."""
    requests = state.breakouts.help_requests | {event.group_id}
    return replace(state, breakouts=replace(state.breakouts, help_requests=requests))


def evolve_handled(state: WorkshopState, event: HelpHandled) -> WorkshopState:
    """One group fewer waits."""
    requests = state.breakouts.help_requests - {event.group_id}
    return replace(state, breakouts=replace(state.breakouts, help_requests=requests))


def evolve_broadcast(state: WorkshopState, event: BroadcastSent) -> WorkshopState:
    """The message joins the latest few."""
    sent = BroadcastMessage(text=event.text, author=event.author, at=event.at)
    kept = (*state.breakouts.broadcasts, sent)[-MAX_BROADCASTS_KEPT:]
    return replace(state, breakouts=replace(state.breakouts, broadcasts=kept))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    AskForHelp: decide_ask,
    HandleHelp: decide_handle,
    Broadcast: decide_broadcast,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    HelpAsked: evolve_asked,
    HelpHandled: evolve_handled,
    BroadcastSent: evolve_broadcast,
}
