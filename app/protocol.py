"""The live protocol, version 1: JSON messages over one websocket per browser tab.

These pydantic models are the contract. The server parses what clients send with
``CLIENT_MESSAGE`` and builds what it sends from the server models; ``app/client.py`` does
the opposite with the same classes, and docs/protocol.md documents every message with an
example. Every server message carries ``server_time`` so clients can correct their clock.

    client                                server
      hello {workshop, token|session, last_seq}  ->
                                          <- welcome {seq, you, view | changes}
      command {id, command}               ->
                                          <- event {seq, changes}   (to everyone who sees it)
                                          <- ack {ref, first_seq, last_seq} | error {code, ref}
      ping {t}                            -> <- pong {t}
                                          <- heartbeat {seq}        (every HEARTBEAT_S)
                                          <- bye {code}             (then the server closes)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

VERSION = 1
PATH = "/live"
MAX_MESSAGE_BYTES = 64 * 1024  # larger client messages get a typed error ("too_large")
TRANSPORT_MAX_BYTES = 128 * 1024  # larger frames close the connection (1009) in the server
HELLO_TIMEOUT_S = 10.0
HEARTBEAT_S = 15.0
MAX_COMMAND_ID_CHARS = 64

# Close codes (RFC 6455 private range 4000-4999 for ours)
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # bad Origin, or no valid hello
CLOSE_TOO_SLOW = 4008  # the connection fell too far behind: reconnect with last_seq
CLOSE_UNAUTHORISED = 4401  # token or session unknown, expired or revoked
CLOSE_FORBIDDEN = 4403  # not (or no longer) part of this workshop
CLOSE_NOT_FOUND = 4404  # no such workshop
CLOSE_GOING_AWAY = 1001  # the server shuts down; reconnect


class Message(BaseModel):
    """Common settings: unknown fields are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- client to server ------------------------------------------------------------------


class Hello(Message):
    """The first message of every connection: who I am and what I saw last."""

    type: Literal["hello"] = "hello"
    v: int = VERSION
    workshop: str = Field(min_length=1, max_length=64)
    token: str | None = Field(default=None, max_length=256, description="participant token")
    session: str | None = Field(
        default=None,
        max_length=256,
        description="facilitator session token; browsers send the session cookie instead",
    )
    last_seq: int | None = Field(
        default=None, ge=0, description="the last sequence this client applied, to resume"
    )


class CommandMessage(Message):
    """A command for the workshop's engine; ``id`` makes it idempotent per sender."""

    type: Literal["command"] = "command"
    id: str = Field(min_length=1, max_length=MAX_COMMAND_ID_CHARS)
    command: dict[str, Any]


class Ping(Message):
    """Ask for a pong, e.g. to measure round-trip time; ``t`` is echoed."""

    type: Literal["ping"] = "ping"
    t: float | None = None


ClientMessage = Annotated[Hello | CommandMessage | Ping, Field(discriminator="type")]
CLIENT_MESSAGE: TypeAdapter[Hello | CommandMessage | Ping] = TypeAdapter(ClientMessage)


# --- server to client ------------------------------------------------------------------


class Change(Message):
    """One entry of the viewer's view changed; ``value`` null means it is gone."""

    section: str
    key: str
    value: Any = None


class You(Message):
    """Who the server recognised."""

    kind: Literal["facilitator", "participant"]
    id: str


class ServerMessage(Message):
    """Every server message carries the server's time."""

    server_time: datetime


class Welcome(ServerMessage):
    """The answer to hello: the viewer's whole view, or only what changed since
    ``last_seq`` when the server could resume (``resumed``)."""

    type: Literal["welcome"] = "welcome"
    v: int = VERSION
    workshop: str
    seq: int
    you: You
    resumed: bool = False
    view: dict[str, dict[str, Any]] | None = None
    changes: list[Change] = Field(default_factory=list)


class Event(ServerMessage):
    """What the events up to ``seq`` changed in this viewer's view."""

    type: Literal["event"] = "event"
    seq: int
    changes: list[Change]


class Ack(ServerMessage):
    """The command ``ref`` was applied and is durable as ``first_seq``..``last_seq``."""

    type: Literal["ack"] = "ack"
    ref: str
    first_seq: int
    last_seq: int
    repeated: bool = False


class Error(ServerMessage):
    """A typed refusal; ``ref`` names the command it answers when there is one."""

    type: Literal["error"] = "error"
    code: str
    message: str
    ref: str | None = None


class Heartbeat(ServerMessage):
    """The connection is alive; ``seq`` is the workshop's latest sequence."""

    type: Literal["heartbeat"] = "heartbeat"
    seq: int


class Pong(ServerMessage):
    """The answer to a ping."""

    type: Literal["pong"] = "pong"
    t: float | None = None
    seq: int = Field(description="the workshop's sequence when the pong was queued")


class Bye(ServerMessage):
    """The server is about to close this connection, and why."""

    type: Literal["bye"] = "bye"
    code: str
    message: str


AnyServerMessage = Annotated[
    Welcome | Event | Ack | Error | Heartbeat | Pong | Bye, Field(discriminator="type")
]
SERVER_MESSAGE: TypeAdapter[Welcome | Event | Ack | Error | Heartbeat | Pong | Bye] = TypeAdapter(
    AnyServerMessage
)


def utc(moment: datetime) -> datetime:
    """A moment in UTC, as every server message states it."""
    return moment.astimezone(UTC)


def encode(message: Message) -> str:
    """A message as its JSON text."""
    return message.model_dump_json()


# --- the server's frames without pydantic ----------------------------------------------
#
# The live layer builds the messages it sends many times a second from plain dicts, with
# the same fields in the same order as the models above (``encode`` of the model gives the
# same text; tests/live/test_frames.py holds them to it).

_UTC_Z = orjson.OPT_UTC_Z


def _dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message, option=_UTC_Z).decode()


def change_dict(section: str, key: str, value: Any) -> dict[str, Any]:
    """One change as it goes on the wire."""
    return {"section": section, "key": key, "value": value}


def event_frame(server_time: datetime, seq: int, changes: list[dict[str, Any]]) -> str:
    """An ``event`` of changes (see ``change_dict``)."""
    return _dumps({"server_time": server_time, "type": "event", "seq": seq, "changes": changes})


def ack_frame(
    server_time: datetime, ref: str, first_seq: int, last_seq: int, repeated: bool = False
) -> str:
    """An ``ack``."""
    return _dumps(
        {
            "server_time": server_time,
            "type": "ack",
            "ref": ref,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "repeated": repeated,
        }
    )


def error_frame(server_time: datetime, code: str, message: str, ref: str | None = None) -> str:
    """An ``error``."""
    return _dumps(
        {"server_time": server_time, "type": "error", "code": code, "message": message, "ref": ref}
    )


def heartbeat_frame(server_time: datetime, seq: int) -> str:
    """A ``heartbeat``."""
    return _dumps({"server_time": server_time, "type": "heartbeat", "seq": seq})


def pong_frame(server_time: datetime, t: float | None, seq: int) -> str:
    """A ``pong``."""
    return _dumps({"server_time": server_time, "type": "pong", "t": t, "seq": seq})


def bye_frame(server_time: datetime, code: str, message: str) -> str:
    """A ``bye``."""
    return _dumps({"server_time": server_time, "type": "bye", "code": code, "message": message})


def json_members(value: dict[str, Any]) -> str:
    """The members of a JSON object without its braces, to splice into a larger object."""
    return orjson.dumps(value, option=_UTC_Z).decode()[1:-1]


def welcome_frame(
    server_time: datetime,
    workshop: str,
    seq: int,
    you: tuple[str, str],
    *,
    view_members: list[str] | None = None,
    changes: list[dict[str, Any]] | None = None,
) -> str:
    """A ``welcome``: the whole view spliced from pre-encoded members (``json_members``),
    or, when resumed, the changes since the client's ``last_seq``."""
    head = _dumps(
        {
            "server_time": server_time,
            "type": "welcome",
            "v": VERSION,
            "workshop": workshop,
            "seq": seq,
            "you": {"kind": you[0], "id": you[1]},
            "resumed": view_members is None,
        }
    )[:-1]
    if view_members is None:
        tail = orjson.dumps(changes or []).decode()
        return f'{head},"view":null,"changes":{tail}}}'
    inner = ",".join(part for part in view_members if part)
    return f'{head},"view":{{{inner}}},"changes":[]}}'
