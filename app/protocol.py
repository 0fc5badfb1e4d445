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
