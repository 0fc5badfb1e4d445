"""JSON encoding of the core's values, for the event log, snapshots and the wire.

The core stays free of pydantic; here pydantic adapters read its frozen dataclasses,
discriminated by each event's and command's ``type``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from app.core.reducer import Command, Event
from app.core.state import WorkshopState

EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Annotated[Event, Field(discriminator="type")])
COMMAND_ADAPTER: TypeAdapter[Any] = TypeAdapter(Annotated[Command, Field(discriminator="type")])
STATE_ADAPTER: TypeAdapter[WorkshopState] = TypeAdapter(WorkshopState)


def encode_event(event: Event) -> str:
    """One event as a JSON text."""
    return EVENT_ADAPTER.dump_json(event).decode()


def decode_event(text: str | bytes) -> Event:
    """One event from its JSON text."""
    event: Event = EVENT_ADAPTER.validate_json(text)
    return event


def encode_state(state: WorkshopState) -> str:
    """A whole state as JSON, for snapshots."""
    return STATE_ADAPTER.dump_json(state).decode()


def decode_state(text: str | bytes) -> WorkshopState:
    """A state from a snapshot's JSON."""
    return STATE_ADAPTER.validate_json(text)


def decode_command(data: Any) -> Command:
    """A command from parsed JSON (a dict with ``type``); raises pydantic's ValidationError."""
    command: Command = COMMAND_ADAPTER.validate_python(data)
    return command
