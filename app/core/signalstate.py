"""Signals as values: the speaking queues, who was called when, and who is done.

Types only; the rules are in ``signals.py``. A queue belongs to a scope (a breakout group's
id or ``"plenary"``) and is ordered by the time hands went up. ``calls`` remembers every
speaker a facilitator or moderator called, so a view can show who spoke how often.
``done`` is keyed by ``done_key(step index, run)``: going back to a step starts a new run,
so its "I'm done" signals start fresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


def done_key(step_index: int, run: int) -> str:
    """The key of one step run's "I'm done" signals (``run`` is ``len(state.runs)``)."""
    return f"{step_index}@{run}"


def parse_done_key(key: str) -> tuple[int, int]:
    """The step index and run a ``done_key`` was made of."""
    step_index, _, run = key.partition("@")
    return int(step_index), int(run)


@dataclass(frozen=True, kw_only=True)
class Hand:
    """A raised hand waiting in a speaking queue."""

    participant_id: str
    raised_at: datetime


@dataclass(frozen=True, kw_only=True)
class SpeakerCall:
    """Someone was given the floor."""

    participant_id: str
    scope: str
    by: str  # the facilitator's or moderator's id
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Signals:
    """Speaking queues, the speaking record, and "I'm done" signals."""

    queues: Mapping[str, tuple[Hand, ...]] = field(default_factory=dict)  # scope -> FIFO
    calls: tuple[SpeakerCall, ...] = ()  # in the order they happened
    done: Mapping[str, frozenset[str]] = field(default_factory=dict)  # done_key -> ids
