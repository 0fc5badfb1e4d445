"""Setting a workshop up: title, join form, working agreement, video room, locked door.

Facilitators configure a workshop in every phase but the end. ``ConfigureWorkshop`` names
only what changes (``None`` leaves a setting as it is), so two facilitators editing
different settings at once do not undo each other. The working agreement and its
fingerprint live in ``agreement.py`` and are re-exported here; admission checks them in
``people.py``. Editing the plan is in ``planedit.py``.

The video room is a URL template: ``{workshop}`` and ``{group}`` are the only placeholders,
and only in the path, query or fragment, so a filled-in link always goes to the host the
facilitator typed. Only ``http`` and ``https`` links are taken: a room link is shown to
every participant, so ``javascript:`` and the like must never get in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from app.core.actors import Actor
from app.core.agreement import DEFAULT_AGREEMENT, agreement_fingerprint, agreement_of
from app.core.breakouts import require_facilitator
from app.core.errors import Rejected
from app.core.groups import PLENARY
from app.core.people import JOIN_ATTRIBUTES, clean_name
from app.core.plan import Text
from app.core.state import WorkshopState

__all__ = [
    "DEFAULT_AGREEMENT",
    "ConfigureWorkshop",
    "JoiningLocked",
    "JoiningUnlocked",
    "LockJoining",
    "UnlockJoining",
    "WorkshopConfigured",
    "agreement_fingerprint",
    "agreement_of",
    "video_link",
]

MAX_TITLE_CHARS = 120
MAX_AGREEMENT_CHARS = 2000  # per language
MAX_URL_CHARS = 500
PLACEHOLDERS = ("{workshop}", "{group}")
URL_SCHEMES = ("http", "https")


@dataclass(frozen=True, kw_only=True)
class ConfigureWorkshop:
    """A facilitator changes settings; ``None`` leaves one as it is, ``video_url=""`` clears."""

    title: str | None = None
    join_attributes: tuple[str, ...] | None = None  # which of JOIN_ATTRIBUTES the form asks
    agreement: Text | None = None
    video_url: str | None = None
    type: Literal["workshop.configure"] = "workshop.configure"


@dataclass(frozen=True, kw_only=True)
class LockJoining:
    """A facilitator closes the door: nobody new is admitted."""

    type: Literal["joining.lock"] = "joining.lock"


@dataclass(frozen=True, kw_only=True)
class UnlockJoining:
    """A facilitator opens the door again."""

    type: Literal["joining.unlock"] = "joining.unlock"


@dataclass(frozen=True, kw_only=True)
class WorkshopConfigured:
    """Settings changed; ``None`` fields stay as they were, ``video_url=""`` clears the link."""

    title: str | None = None
    join_attributes: tuple[str, ...] | None = None
    agreement: Text | None = None
    video_url: str | None = None
    at: datetime
    type: Literal["workshop.configured"] = "workshop.configured"


@dataclass(frozen=True, kw_only=True)
class JoiningLocked:
    """Nobody new may join."""

    at: datetime
    type: Literal["joining.locked"] = "joining.locked"


@dataclass(frozen=True, kw_only=True)
class JoiningUnlocked:
    """New people may join again."""

    at: datetime
    type: Literal["joining.unlocked"] = "joining.unlocked"


SetupCommand = ConfigureWorkshop | LockJoining | UnlockJoining
SetupEvent = WorkshopConfigured | JoiningLocked | JoiningUnlocked


# --- checks -----------------------------------------------------------------------------


def _title(value: str) -> str:
    title = clean_name(value)
    if not 1 <= len(title) <= MAX_TITLE_CHARS:
        raise Rejected("invalid_argument", f"title: 1 to {MAX_TITLE_CHARS} characters")
    return title


def _join_attributes(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(value) - set(JOIN_ATTRIBUTES))
    if unknown:
        raise Rejected(
            "invalid_argument", f"join_attributes: {unknown} are not among {list(JOIN_ATTRIBUTES)}"
        )
    if len(set(value)) != len(value):
        raise Rejected("invalid_argument", "join_attributes: each attribute once")
    return tuple(name for name in JOIN_ATTRIBUTES if name in value)  # the form's order


def _agreement_text(value: str, language: str) -> str:
    text = value.strip()
    if not 1 <= len(text) <= MAX_AGREEMENT_CHARS:
        raise Rejected(
            "invalid_argument", f"agreement.{language}: 1 to {MAX_AGREEMENT_CHARS} characters"
        )
    return text


def check_video_url(value: str) -> str:
    """A checked video-room URL template, or ``""`` for none; refuses anything else."""
    url = value.strip()
    if not url:
        return ""
    if len(url) > MAX_URL_CHARS:
        raise Rejected("invalid_argument", f"video_url: at most {MAX_URL_CHARS} characters")
    if any(char.isspace() or unicodedata.category(char)[0] == "C" for char in url):
        raise Rejected("invalid_argument", "video_url: no spaces or control characters")
    rest = url
    for placeholder in PLACEHOLDERS:
        rest = rest.replace(placeholder, "")
    if "{" in rest or "}" in rest:
        raise Rejected(
            "invalid_argument", "video_url: the only placeholders are {workshop}, {group}"
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:  # e.g. a malformed port or IPv6 host
        raise Rejected("invalid_argument", f"video_url: {error}") from None
    if parts.scheme.lower() not in URL_SCHEMES or not host:
        raise Rejected("invalid_argument", "video_url: an http or https link with a host")
    if "{" in parts.netloc:
        raise Rejected("invalid_argument", "video_url: placeholders only after the host")
    return url


# --- decide -----------------------------------------------------------------------------


def decide_configure(
    state: WorkshopState, command: ConfigureWorkshop, actor: Actor, now: datetime
) -> list[SetupEvent]:
    """Check and record the settings a facilitator changed."""
    require_facilitator(state, actor)
    fields = (command.title, command.join_attributes, command.agreement, command.video_url)
    if all(value is None for value in fields):
        raise Rejected("invalid_argument", "name at least one setting to change")
    agreement = None
    if command.agreement is not None:
        agreement = Text(
            de=_agreement_text(command.agreement.de, "de"),
            en=_agreement_text(command.agreement.en, "en"),
        )
    attributes = command.join_attributes
    return [
        WorkshopConfigured(
            title=None if command.title is None else _title(command.title),
            join_attributes=None if attributes is None else _join_attributes(attributes),
            agreement=agreement,
            video_url=None if command.video_url is None else check_video_url(command.video_url),
            at=now,
        )
    ]


def decide_lock(
    state: WorkshopState, command: LockJoining, actor: Actor, now: datetime
) -> list[SetupEvent]:
    """Close the door to new participants."""
    require_facilitator(state, actor)
    if state.locked:
        raise Rejected("invalid_argument", f"joining workshop {state.id!r} is locked already")
    return [JoiningLocked(at=now)]


def decide_unlock(
    state: WorkshopState, command: UnlockJoining, actor: Actor, now: datetime
) -> list[SetupEvent]:
    """Open the door to new participants again."""
    require_facilitator(state, actor)
    if not state.locked:
        raise Rejected("invalid_argument", f"joining workshop {state.id!r} is not locked")
    return [JoiningUnlocked(at=now)]


# --- evolve -----------------------------------------------------------------------------


def evolve_configured(state: WorkshopState, event: WorkshopConfigured) -> WorkshopState:
    """The settings named in the event, the others unchanged."""
    changes: dict[str, Any] = {}
    if event.title is not None:
        changes["title"] = event.title
    if event.join_attributes is not None:
        changes["join_attributes"] = event.join_attributes
    if event.agreement is not None:
        changes["agreement"] = event.agreement
    if event.video_url is not None:
        changes["video_url"] = event.video_url or None
    return replace(state, **changes)


def evolve_locked(state: WorkshopState, event: JoiningLocked) -> WorkshopState:
    """The door is closed."""
    return replace(state, locked=True)


def evolve_unlocked(state: WorkshopState, event: JoiningUnlocked) -> WorkshopState:
    """The door is open."""
    return replace(state, locked=False)


# --- views ------------------------------------------------------------------------------


def video_link(state: WorkshopState, group_id: str | None = None) -> str | None:
    """The video-room link for a breakout group (or the plenary), if the workshop has one."""
    if state.video_url is None:
        return None
    link = state.video_url.replace("{workshop}", quote(state.id, safe=""))
    return link.replace("{group}", quote(group_id or PLENARY, safe=""))


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    ConfigureWorkshop: decide_configure,
    LockJoining: decide_lock,
    UnlockJoining: decide_unlock,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    WorkshopConfigured: evolve_configured,
    JoiningLocked: evolve_locked,
    JoiningUnlocked: evolve_unlocked,
}
