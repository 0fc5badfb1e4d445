"""Who may send which command: a table of every command type × every kind of sender.

The rows come from the engine's ``Command`` union itself, so a new command type without a
row fails ``test_the_table_has_a_row_for_every_command``. Each row names a workshop state
(a *scene*) in which its payload is valid for an allowed sender, and per sender the outcome
over the real gateway: ``ok`` (an ack) or the typed error code. Senders:

- ``owner``: the facilitator who created the workshop;
- ``co``: another facilitator account, invited over REST;
- ``group_a``: a participant in breakout group A (in scenes with groups; the author of the
  items the scene puts on the board, the one whose canvas, hand or vote the scene sets up);
- ``group_b``: a participant in another group B (in scenes without groups: another
  participant). Commands on group A's items, or naming group A's scope, are refused;
- ``other_workshop``: a participant of another workshop. Their token does not open this
  workshop (refused at hello, with a typed error and a close); the same command sent on their
  own workshop leaves this one untouched;
- ``no_token``: a hello without a token is refused with ``not_authenticated``.

Every refusal is checked to be typed (the code in the table, ``ref`` the command's id) and
to change nothing: the workshop's sequence and the owner's whole view are the same after it.
Refusals run first in a scene; allowed senders then each get a fresh scene unless the row
says their commands can follow one another (``together``).
"""

from __future__ import annotations

import asyncio
import copy
import re
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from app.client import LiveClient, View, log_in
from app.clock import FakeClock
from app.codec import COMMAND_ADAPTER
from app.core import errors
from app.core.planedit import InsertSteps
from app.core.reducer import Command
from app.protocol import CLOSE_FORBIDDEN, CLOSE_UNAUTHORISED, Ack, Error
from app.settings import Settings
from app.structures import SHIPPED_ROOT, load_library
from tests.conftest import LiveServer, serve_app
from tests.live.support import (
    PASSWORD,
    add_account,
    code_of,
    create_workshop,
    facilitation,
    hello_refusal,
    invite_facilitator,
    join_with,
    rest_client,
    workshop_version,
)

OWNER, CO, GROUP_A, GROUP_B = "owner", "co", "group_a", "group_b"
OTHER_WORKSHOP = "other_workshop"  # no_token needs no name: it never gets past hello
CONNECTED = (OWNER, CO, GROUP_A, GROUP_B)  # the senders that get a connection to the workshop
SHORT = {OWNER: "o", CO: "c", GROUP_A: "a", GROUP_B: "b", OTHER_WORKSHOP: "x"}
OK = "ok"
HELLO_CLOSE = {"not_authenticated": CLOSE_UNAUTHORISED, "forbidden": CLOSE_FORBIDDEN}

OWNER_EMAIL = "owner@permissions.test"
CO_EMAIL = "co@permissions.test"
STRANGER_EMAIL = "stranger@permissions.test"  # a facilitator account of no workshop here
INVITED_EMAIL = "invited@permissions.test"

KICKOFF = "peer-learning-kickoff"
LIBRARY = load_library(SHIPPED_ROOT)
DECK = "peer-learning-methods"
CARD = LIBRARY.decks[DECK].cards[0].id
EXTRA_STEP = LIBRARY.plan_for("check-out")[1]  # a step to insert into the plan

NF, NOT_OWNER, NP = "not_facilitator", "not_owner", "not_participant"
SCOPE, AUTHOR, MODERATOR = "not_in_scope", "not_author", "not_moderator"
NOT_ALLOWED = "action_not_allowed"


def command_types() -> dict[str, type]:
    """Every command class of the engine's ``Command`` union, by its wire name."""

    def flatten(union: Any) -> list[type]:
        members = typing.get_args(union)
        return [cls for member in members for cls in flatten(member)] if members else [union]

    return {cls.__dataclass_fields__["type"].default: cls for cls in flatten(Command)}


COMMAND_TYPES = command_types()


# --- the server, the accounts and the other workshop, made once for this module ------------


@dataclass
class World:
    """What every scene shares: the server, facilitator sessions, another workshop."""

    server: LiveServer
    owner: str  # session of the owner of every workshop here
    co: str  # session of the co-facilitator
    stranger: str  # session of a facilitator who facilitates none of them
    elsewhere: str  # the other workshop
    other_token: str  # a participant of the other workshop
    fingerprint: str  # of the default working agreement, which every workshop here has


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the whole table; every scene is a workshop of its own on it."""
    path = tmp_path_factory.mktemp("permissions")
    settings = Settings(
        database_url=f"sqlite:///{path / 'lernraum.db'}",
        demo=False,
        join_max_attempts=100_000,  # every scene joins two people
    )
    with serve_app(settings, FakeClock()) as live:
        yield live


_WORLDS: dict[str, World] = {}


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """One HTTP client for the REST calls of a test."""
    async with rest_client(server) as client:
        yield client


@pytest.fixture
async def world(server: LiveServer) -> World:
    """Made by the first test that needs it; plain strings, so any test's loop may use it."""
    if server.url not in _WORLDS:
        sessions = []
        for email in (OWNER_EMAIL, CO_EMAIL, STRANGER_EMAIL, INVITED_EMAIL):
            add_account(server, email)
            sessions.append(await log_in(server.url, email, PASSWORD))
        owner, co, stranger, _ = sessions
        async with rest_client(server) as http:
            elsewhere = await create_workshop(http, owner, KICKOFF)
            other = await join_with(http, await code_of(http, owner, elsewhere), "Xaver")
            fingerprint = (await facilitation(http, owner, elsewhere))["agreement_fingerprint"]
        assert isinstance(fingerprint, str)
        async with LiveClient(server.url, elsewhere, session=owner, reconnect=False) as steer:
            await must_ack(steer, {"type": "workshop.start"})
            await must_ack(steer, {"type": "step.jump", "index": ASSESS})
        _WORLDS[server.url] = World(
            server, owner, co, stranger, elsewhere, other.token, fingerprint
        )
    return _WORLDS[server.url]


async def must_ack(client: LiveClient, command: dict[str, Any]) -> Ack:
    """Send a setup command that must be accepted."""
    answer = await client.command(command)
    assert isinstance(answer, Ack), f"setup {command} refused: {answer.code}: {answer.message}"
    return answer


# --- scenes: a workshop in the state a row needs -------------------------------------------


@dataclass
class Ctx:
    """One scene: a fresh workshop with its four connected senders and the ids rows name."""

    world: World
    http: httpx.AsyncClient
    workshop: str
    a: str  # participant in group A
    b: str  # participant in group B
    clients: dict[str, LiveClient]
    ga: str = ""  # group A's id ("" without groups)
    rooms: list[str] = field(default_factory=list)  # topic rooms, in topic order

    @property
    def owner(self) -> LiveClient:
        return self.clients[OWNER]

    @property
    def main(self) -> dict[str, Any]:
        main: dict[str, Any] = self.owner.view["workshop"]["main"]
        return main

    @property
    def plan_len(self) -> int:
        return len(self.owner.view["plan"])

    def group_of(self, pid: str) -> tuple[str, dict[str, Any]] | None:
        for group_id, group in self.owner.view.get("groups", {}).items():
            if pid in group.get("members", ()):
                return group_id, group
        return None

    async def sync(self) -> int:
        """The workshop's sequence now, once the owner's view includes it."""
        version = await workshop_version(self.http, self.world.owner, self.workshop)
        await self.owner.wait_for_seq(version)
        return version

    async def refresh(self) -> None:
        """Read the group and room ids from the owner's (current) view."""
        await self.sync()
        self.ga = (self.group_of(self.a) or ("", {}))[0]
        groups = self.owner.view.get("groups", {})
        rooms = [(g["topic"], gid) for gid, g in groups.items() if g.get("topic") is not None]
        self.rooms = [gid for _, gid in sorted(rooms)]

    async def close(self) -> None:
        await asyncio.gather(*(client.close() for client in self.clients.values()))


Setup = Callable[[Ctx], Awaitable[None]]
Payload = Callable[[Ctx, str], dict[str, Any]]


@dataclass(frozen=True)
class Scene:
    """How to get a workshop into the state a row needs."""

    name: str
    source: str = KICKOFF
    step: int | None = None  # None: the lobby; else started and moved to this step
    split: bool = False  # group B: the participant b in a group of their own
    setup: tuple[Setup, ...] = ()

    def then(self, name: str, *setup: Setup) -> Scene:
        """This scene with more setup."""
        return Scene(name, self.source, self.step, self.split, (*self.setup, *setup))


def by(role: str, payload: Callable[[Ctx], dict[str, Any]]) -> Setup:
    """A setup command of one sender."""

    async def run(ctx: Ctx) -> None:
        await must_ack(ctx.clients[role], payload(ctx))

    return run


def give_role(who: str, role: str) -> Setup:
    """The owner gives participant ``who`` ("a" or "b") a role, unless they hold it."""

    async def run(ctx: Ctx) -> None:
        await ctx.sync()
        pid = ctx.a if who == "a" else ctx.b
        found = ctx.group_of(pid)
        assert found is not None, f"participant {who} is in no group"
        if found[1]["roles"].get(pid) != role:
            command = {"type": "role.assign", "participant_id": pid, "role": role}
            await must_ack(ctx.owner, command)

    return run


async def split(ctx: Ctx) -> None:
    """Put b into a group of their own, so a and b sit in different groups."""
    await ctx.sync()
    a, b = ctx.group_of(ctx.a), ctx.group_of(ctx.b)
    assert a is not None, "the scene's step opened no groups"
    if b is None or b[0] == a[0]:
        await must_ack(ctx.owner, {"type": "breakouts.move", "participant_id": ctx.b})


async def build(world: World, http: httpx.AsyncClient, scene: Scene) -> Ctx:
    """A fresh workshop in the scene's state, everyone connected."""
    server = world.server
    workshop = await create_workshop(http, world.owner, scene.source)
    _, code = await asyncio.gather(
        invite_facilitator(http, world.owner, workshop, CO_EMAIL),
        code_of(http, world.owner, workshop),
    )
    ada, ben = await asyncio.gather(join_with(http, code, "Ada"), join_with(http, code, "Ben"))
    clients = {
        OWNER: LiveClient(server.url, workshop, session=world.owner, reconnect=False),
        CO: LiveClient(server.url, workshop, session=world.co, reconnect=False),
        GROUP_A: LiveClient(server.url, workshop, token=ada.token, reconnect=False),
        GROUP_B: LiveClient(server.url, workshop, token=ben.token, reconnect=False),
    }
    ctx = Ctx(world, http, workshop, ada.participant_id, ben.participant_id, clients)
    try:
        await asyncio.gather(*(client.start() for client in clients.values()))
        if scene.step is not None:
            await must_ack(ctx.owner, {"type": "workshop.start"})
            if scene.step:
                await must_ack(ctx.owner, {"type": "step.jump", "index": scene.step})
        if scene.split:
            await split(ctx)
        await ctx.refresh()
        for setup in scene.setup:
            await setup(ctx)
        await ctx.refresh()
    except BaseException:
        await ctx.close()
        raise
    return ctx


async def scenes(world: World, http: httpx.AsyncClient, scene: Scene, count: int) -> list[Ctx]:
    """``count`` fresh workshops in the same state, built at the same time."""
    built = await asyncio.gather(
        *(build(world, http, scene) for _ in range(count)), return_exceptions=True
    )
    ready = [ctx for ctx in built if isinstance(ctx, Ctx)]
    failed = [error for error in built if isinstance(error, BaseException)]
    if failed:
        await asyncio.gather(*(ctx.close() for ctx in ready))
        raise failed[0]
    return ready


# steps of the reference agenda (peer-learning-kickoff)
TALK, CHALLENGE, ASSESS, DECIDE, GENERATE_GROUP, CANVAS_IDEA, REFLECT = 3, 6, 8, 9, 12, 16, 19
KB_BERATUNG = 4  # kollegiale-beratung: the case giver only listens
TROIKA_ASK, TROIKA_AWAY = 1, 3  # troika-consulting round 1: the client is turned away

LOBBY = Scene("lobby")
RUNNING = Scene("running", step=TALK)
PAUSED = RUNNING.then("paused", by(OWNER, lambda c: {"type": "workshop.pause"}))
LOCKED = RUNNING.then("locked", by(OWNER, lambda c: {"type": "joining.lock"}))
POLL = RUNNING.then(
    "poll open", by(OWNER, lambda c: {"type": "poll.open", "poll_id": "p1", "question": "Wie?"})
)
GROUPS = Scene("groups", step=CHALLENGE, split=True)
HELP = GROUPS.then("help asked", by(GROUP_A, lambda c: {"type": "help.ask"}))
DONE = GROUPS.then("a done", by(GROUP_A, lambda c: {"type": "done.signal"}))
MATCHED = GROUPS.then(
    "matched",
    by(GROUP_A, lambda c: {"type": "matching.rate", "partner_id": c.b, "score": 4}),
    by(GROUP_B, lambda c: {"type": "matching.rate", "partner_id": c.a, "score": 4}),
    by(OWNER, lambda c: {"type": "matching.form"}),
)
TOPICS = Scene(
    "topic rooms",
    step=CHALLENGE,
    setup=(
        by(OWNER, lambda c: {"type": "breakouts.open", "strategy": "topics", "topics": ["A", "B"]}),
    ),
)
BOARD = Scene(
    "board",
    step=ASSESS,
    split=True,
    setup=(
        by(GROUP_A, lambda c: {"type": "note.post", "item_id": "nA", "text": "Mehr Pausen"}),
        by(GROUP_A, lambda c: {"type": "cluster.create", "cluster_id": "cA", "title": "Zeit"}),
    ),
)
HIDDEN = BOARD.then("hidden note", by(OWNER, lambda c: {"type": "item.hide", "item_id": "nA"}))
VOTE = Scene(
    "dot vote",
    step=DECIDE,
    split=True,
    setup=(by(GROUP_A, lambda c: {"type": "note.post", "item_id": "nA", "text": "Lernkreis"}),),
)
VOTED = VOTE.then("a voted", by(GROUP_A, lambda c: {"type": "vote.cast", "item_id": "nA"}))
WICKED = Scene(
    "wicked questions",
    step=GENERATE_GROUP,
    split=True,
    setup=(
        by(
            GROUP_A,
            lambda c: {
                "type": "wicked.propose",
                "item_id": "wA",
                "pole_a": "schnell lernen",
                "pole_b": "gründlich sein",
            },
        ),
    ),
)
PRIVATE = Scene(
    "private writing",
    source="one-two-four-all",
    step=0,
    setup=(by(GROUP_A, lambda c: {"type": "note.post", "item_id": "nA", "text": "Geheim"}),),
)
CANVAS = Scene("canvas", step=CANVAS_IDEA)
CANVAS_A = CANVAS.then(
    "a's canvas",
    by(GROUP_A, lambda c: {"type": "canvas.update", "idea": "Lerntandem"}),
    by(GROUP_A, lambda c: milestone("m1")),
)
REFLECTION = Scene("reflection", step=REFLECT)
REFLECTION_A = REFLECTION.then(
    "a reflected",
    by(GROUP_A, lambda c: {"type": "reflection.submit", "question": "exciting", "text": "Alles"}),
)
# Kollegiale Beratung in its casting step, a and b in groups of their own: a is the
# secretary of group A, b the moderator of group B
KB = Scene(
    "kollegiale beratung",
    source="kollegiale-beratung",
    step=0,
    split=True,
    setup=(give_role("a", "secretary"), give_role("b", "moderator")),
)
KB_HAND = KB.then("a's hand up", by(GROUP_A, lambda c: {"type": "hand.raise"}))


def milestone(milestone_id: str) -> dict[str, Any]:
    return {
        "type": "canvas.set_milestone",
        "milestone_id": milestone_id,
        "what": "Erstes Treffen",
        "by_when": "2026-12-31",
        "how_measured": "Termin steht",
    }


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One command: the scene it is valid in, its payload, the outcome per sender."""

    scene: Scene
    payload: Payload
    expect: Mapping[str, str]
    together: bool = False  # allowed senders may send one after the other in one scene


def row(
    scene: Scene,
    payload: Payload,
    *,
    owner: str,
    co: str,
    a: str,
    b: str,
    together: bool = False,
) -> Row:
    return Row(scene, payload, {OWNER: owner, CO: co, GROUP_A: a, GROUP_B: b}, together)


def facilitators(scene: Scene, payload: Payload, *, together: bool = False) -> Row:
    """Facilitators steer; participants are refused with ``not_facilitator``."""
    return row(scene, payload, owner=OK, co=OK, a=NF, b=NF, together=together)


def system_only(scene: Scene, payload: Payload) -> Row:
    """Only the server itself sends it: refused for everyone on the wire."""
    return row(scene, payload, owner=NF, co=NF, a=NF, b=NF)


def own_work(scene: Scene, payload: Payload, *, facilitator: str, b: str = OK) -> Row:
    """A participant's own work or signal; facilitators are refused with ``facilitator``."""
    return row(scene, payload, owner=facilitator, co=facilitator, a=OK, b=b, together=True)


def group_a_item(scene: Scene, payload: Payload, *, facilitator: str = OK, **kw: Any) -> Row:
    """Work on group A's board: group B is refused with ``not_in_scope``."""
    return row(scene, payload, owner=facilitator, co=facilitator, a=OK, b=SCOPE, **kw)


def command(kind: str, **fields: Any) -> Payload:
    """A payload with the same fields for every sender."""
    return lambda c, role: {"type": kind, **fields}


def mine(c: Ctx, role: str) -> str:
    """A sender's own fresh id, so allowed senders do not collide."""
    return f"{SHORT[role]}1"


TABLE: dict[str, Row] = {
    # run of show
    "workshop.start": facilitators(LOBBY, command("workshop.start")),
    "workshop.pause": facilitators(RUNNING, command("workshop.pause")),
    "workshop.resume": facilitators(PAUSED, command("workshop.resume")),
    "step.extend": facilitators(RUNNING, command("step.extend", seconds=60), together=True),
    "step.shorten": facilitators(RUNNING, command("step.shorten", seconds=30), together=True),
    "step.next": facilitators(RUNNING, lambda c, r: {"type": "step.next", "from_index": TALK}),
    "step.back": facilitators(RUNNING, lambda c, r: {"type": "step.back", "from_index": TALK}),
    "step.jump": facilitators(RUNNING, command("step.jump", index=TALK + 2)),
    "workshop.end": facilitators(RUNNING, command("workshop.end")),
    "step.expire": system_only(  # the deadline the scheduler names (when it is due)
        RUNNING,
        lambda c, r: {"type": "step.expire", "index": TALK, "deadline": c.main["deadline"]},
    ),
    # people
    "participant.admit": system_only(
        RUNNING,
        lambda c, r: {
            "type": "participant.admit",
            "participant_id": "p-new",
            "name": "Eve",
            "attributes": {},
            "agreement": c.world.fingerprint,
        },
    ),
    "participant.remove": facilitators(
        GROUPS, lambda c, r: {"type": "participant.remove", "participant_id": c.a}
    ),
    "facilitator.invite": row(
        RUNNING,
        command("facilitator.invite", user_id=INVITED_EMAIL),
        owner=OK,
        co=NOT_OWNER,
        a=NOT_OWNER,
        b=NOT_OWNER,
    ),
    "facilitator.remove": row(
        RUNNING,
        command("facilitator.remove", user_id=CO_EMAIL),
        owner=OK,
        co=NOT_OWNER,
        a=NOT_OWNER,
        b=NOT_OWNER,
    ),
    # personal work: only its owner, never a facilitator
    "canvas.update": own_work(
        CANVAS, command("canvas.update", idea="Lerntandem"), facilitator=NOT_OWNER
    ),
    "canvas.set_milestone": own_work(CANVAS, lambda c, r: milestone("m1"), facilitator=NOT_OWNER),
    "canvas.remove_milestone": own_work(
        CANVAS_A,
        command("canvas.remove_milestone", milestone_id="m1"),
        facilitator=NOT_OWNER,
        b="no_such_milestone",  # b's own canvas has none: nobody names another's
    ),
    "canvas.share": own_work(
        CANVAS_A,
        command("canvas.share", audience="plenary"),
        facilitator=NOT_OWNER,
        b="invalid_argument",  # b has no canvas to share
    ),
    "reflection.submit": own_work(
        REFLECTION,
        command("reflection.submit", question="exciting", text="Viel"),
        facilitator=NOT_OWNER,
    ),
    "reflection.share": own_work(
        REFLECTION_A,
        command("reflection.share", question="exciting", audience="plenary"),
        facilitator=NOT_OWNER,
        b="invalid_argument",  # b wrote no answer to share
    ),
    # erasure: a participant erases their own work; only the server anonymises
    "contributions.erase": own_work(RUNNING, command("contributions.erase"), facilitator=NP),
    "workshop.anonymise": system_only(RUNNING, command("workshop.anonymise")),
    # polls
    "poll.open": facilitators(
        RUNNING,
        lambda c, r: {"type": "poll.open", "poll_id": mine(c, r), "question": "Wie geht's?"},
        together=True,
    ),
    "poll.answer": own_work(
        POLL, command("poll.answer", poll_id="p1", choices=[4]), facilitator=NP
    ),
    "poll.reveal": facilitators(POLL, command("poll.reveal", poll_id="p1")),
    "poll.close": facilitators(POLL, command("poll.close", poll_id="p1")),
    # signals
    "hand.raise": own_work(KB, command("hand.raise"), facilitator=NP),
    "hand.lower": own_work(KB_HAND, command("hand.lower"), facilitator=NP, b="not_queued"),
    "speaking.call_next": row(
        KB_HAND,
        lambda c, r: {"type": "speaking.call_next", "scope": c.ga, "participant_id": c.a},
        owner=OK,
        co=OK,
        a=MODERATOR,  # the secretary does not chair
        b=MODERATOR,  # group B's moderator does not chair group A
    ),
    "speaking.clear": row(
        KB_HAND,
        lambda c, r: {"type": "speaking.clear", "scope": c.ga},
        owner=OK,
        co=OK,
        a=MODERATOR,
        b=MODERATOR,
    ),
    "done.signal": own_work(GROUPS, command("done.signal"), facilitator=NP),
    "done.withdraw": own_work(DONE, command("done.withdraw"), facilitator=NP, b="not_done"),
    # the board: notes, cards, clusters
    "note.post": group_a_item(
        BOARD,
        lambda c, r: {"type": "note.post", "item_id": mine(c, r), "text": "Ja", "scope": c.ga},
        together=True,
    ),
    "note.edit": group_a_item(
        BOARD, command("note.edit", item_id="nA", text="Mehr Pause"), facilitator=AUTHOR
    ),
    "note.move": group_a_item(BOARD, command("note.move", item_id="nA", x=10, y=20), together=True),
    "note.colour": group_a_item(
        BOARD, command("note.colour", item_id="nA", colour="yellow"), together=True
    ),
    "note.delete": group_a_item(BOARD, command("note.delete", item_id="nA")),
    "card.place": group_a_item(
        BOARD,
        lambda c, r: {
            "type": "card.place",
            "item_id": mine(c, r),
            "deck_id": DECK,
            "card_id": CARD,
            "scope": c.ga,
        },
        together=True,
    ),
    "cluster.create": group_a_item(
        BOARD,
        lambda c, r: {"type": "cluster.create", "cluster_id": mine(c, r), "scope": c.ga},
        together=True,
    ),
    "cluster.rename": group_a_item(
        BOARD, command("cluster.rename", cluster_id="cA", title="Zeitfragen"), together=True
    ),
    "cluster.delete": group_a_item(BOARD, command("cluster.delete", cluster_id="cA")),
    # moderation and harvest
    "item.hide": facilitators(BOARD, command("item.hide", item_id="nA", reason="off topic")),
    "item.unhide": facilitators(HIDDEN, command("item.unhide", item_id="nA")),
    "item.mark_confidential": group_a_item(
        BOARD, command("item.mark_confidential", item_id="nA", confidential=True)
    ),
    "items.reveal": facilitators(PRIVATE, command("items.reveal")),
    "board.harvest": facilitators(BOARD, command("board.harvest")),
    # dot votes
    "vote.cast": group_a_item(VOTE, command("vote.cast", item_id="nA"), together=True),
    "vote.retract": row(
        VOTED,  # a's dot: nobody else has one to take back
        command("vote.retract", item_id="nA"),
        owner="no_such_vote",
        co="no_such_vote",
        a=OK,
        b="no_such_vote",
    ),
    "votes.reveal": facilitators(VOTE, command("votes.reveal")),
    # wicked questions
    "wicked.propose": group_a_item(
        WICKED,
        lambda c, r: {
            "type": "wicked.propose",
            "item_id": mine(c, r),
            "pole_a": "frei sein",
            "pole_b": "verbindlich sein",
            "scope": c.ga,
        },
        together=True,
    ),
    "wicked.refine": group_a_item(
        WICKED, command("wicked.refine", item_id="wA", pole_a="rasch lernen"), together=True
    ),
    "wicked.answer": group_a_item(
        WICKED,
        lambda c, r: {
            "type": "wicked.answer",
            "item_id": "wA",
            "answer_id": mine(c, r),
            "text": "Lernzeit blocken",
        },
        together=True,
    ),
    # breakouts, placement, roles, support
    "breakouts.open": facilitators(GROUPS, command("breakouts.open"), together=True),
    "breakouts.close": facilitators(GROUPS, command("breakouts.close")),
    "breakouts.move": facilitators(
        GROUPS, lambda c, r: {"type": "breakouts.move", "participant_id": c.b, "group_id": c.ga}
    ),
    "breakouts.place": system_only(  # b waits for a room: the server would seat them
        TOPICS, lambda c, r: {"type": "breakouts.place", "participant_id": c.b}
    ),
    "topic.choose": own_work(
        TOPICS, lambda c, r: {"type": "topic.choose", "group_id": c.rooms[0]}, facilitator=NP
    ),
    "topic.fill": facilitators(TOPICS, command("topic.fill")),
    "role.assign": facilitators(
        KB, lambda c, r: {"type": "role.assign", "participant_id": c.a, "role": "case-giver"}
    ),
    "help.ask": own_work(GROUPS, command("help.ask"), facilitator=NP),
    "help.handle": facilitators(HELP, lambda c, r: {"type": "help.handle", "group_id": c.ga}),
    "breakouts.broadcast": facilitators(
        GROUPS, command("breakouts.broadcast", text="Noch 5 Minuten"), together=True
    ),
    # speed matching
    "matching.plan": facilitators(GROUPS, command("matching.plan"), together=True),
    "matching.rate": own_work(
        GROUPS,
        lambda c, r: {
            "type": "matching.rate",
            "partner_id": c.a if r == GROUP_B else c.b,
            "score": 3,
        },
        facilitator=NP,
    ),
    "matching.form": facilitators(GROUPS, command("matching.form"), together=True),
    "matching.switch": row(
        MATCHED,
        lambda c, r: {"type": "matching.switch", "participant_id": c.a},
        owner=OK,
        co=OK,
        a=OK,
        b=NF,  # participants switch only their own partner
    ),
    # setup
    "workshop.configure": facilitators(
        RUNNING, lambda c, r: {"type": "workshop.configure", "title": f"Titel {r}"}, together=True
    ),
    "joining.lock": facilitators(RUNNING, command("joining.lock")),
    "joining.unlock": facilitators(LOCKED, command("joining.unlock")),
    # plan edits
    "plan.insert": facilitators(
        RUNNING,
        lambda c, r: insert_at_end(c, f"extra/{r}"),
        together=True,
    ),
    "plan.remove": facilitators(
        RUNNING, lambda c, r: {"type": "plan.remove", "index": c.plan_len - 1}
    ),
    "plan.move": facilitators(
        RUNNING,
        lambda c, r: {
            "type": "plan.move",
            "from_index": c.plan_len - 1,
            "to_index": c.plan_len - 2,
        },
        together=True,
    ),
    "plan.retime": facilitators(
        RUNNING,
        lambda c, r: {"type": "plan.retime", "index": c.plan_len - 1, "minutes": 7 + len(r)},
        together=True,
    ),
}


def insert_at_end(c: Ctx, key: str) -> dict[str, Any]:
    """Append the check-out's last step to the plan under a key of its own."""
    from dataclasses import replace

    step = replace(EXTRA_STEP, key=key)
    body: dict[str, Any] = COMMAND_ADAPTER.dump_python(
        InsertSteps(index=c.plan_len, steps=(step,)), mode="json"
    )
    return body


# --- checks --------------------------------------------------------------------------------


@dataclass
class Witness:
    """What must not change: the workshop's sequence and the owner's whole view."""

    seq: int
    view: View

    @classmethod
    async def of(cls, ctx: Ctx) -> Witness:
        seq = await ctx.sync()
        return cls(seq, copy.deepcopy(ctx.owner.view))

    async def unchanged(self, ctx: Ctx, what: str) -> None:
        seq = await ctx.sync()
        assert seq == self.seq, f"{what}: the workshop moved from seq {self.seq} to {seq}"
        assert ctx.owner.view == self.view, f"{what}: the owner's view changed"


async def refused(ctx: Ctx, role: str, body: dict[str, Any], code: str) -> None:
    """The sender's command is refused with ``code`` (nothing changed: see ``Witness``)."""
    command_id = f"{body['type']}/{role}"
    answer = await ctx.clients[role].command(body, command_id=command_id)
    assert isinstance(answer, Error), f"{role}: {body['type']} was accepted"
    assert (answer.code, answer.ref) == (code, command_id), f"{role}: {answer.message}"


async def accepted(ctx: Ctx, role: str, body: dict[str, Any]) -> None:
    """The sender's command is acknowledged."""
    seq = await ctx.sync()
    command_id = f"{body['type']}/{role}"
    answer = await ctx.clients[role].command(body, command_id=command_id)
    assert isinstance(answer, Ack), (
        f"{role}: {body['type']} refused: {answer.code}: {answer.message}"
    )
    assert answer.ref == command_id and not answer.repeated
    assert answer.last_seq >= answer.first_seq > seq


async def refused_at_hello(ctx: Ctx) -> None:
    """No token, and another workshop's token: each a typed refusal and a close.

    The protocol says ``forbidden`` (4403) for another workshop's token; the gateway answers
    ``not_authenticated`` (4401): see test_a_participant_of_another_workshop_is_forbidden."""
    world = ctx.world
    anonymous, other = await asyncio.gather(
        hello_refusal(world.server, ctx.workshop),
        hello_refusal(world.server, ctx.workshop, token=world.other_token),
    )
    assert anonymous == ("not_authenticated", CLOSE_UNAUTHORISED)
    code, close = other
    assert code in HELLO_CLOSE and close == HELLO_CLOSE[code], other


async def elsewhere(ctx: Ctx, body: dict[str, Any]) -> None:
    """A participant of the other workshop sends the command there (to any outcome)."""
    world = ctx.world
    async with LiveClient(
        world.server.url, world.elsewhere, token=world.other_token, reconnect=False
    ) as other:
        command_id = f"{body['type']}/{OTHER_WORKSHOP}"
        answer = await other.command(body, command_id=command_id)
        assert isinstance(answer, Ack | Error) and answer.ref == command_id


# --- the tests -----------------------------------------------------------------------------


def test_the_table_has_a_row_for_every_command():
    assert sorted(set(COMMAND_TYPES) - set(TABLE)) == [], "commands without a row"
    assert sorted(set(TABLE) - set(COMMAND_TYPES)) == [], "rows of no command"
    documented = set(re.findall(r"[a-z]+(?:_[a-z]+)+", errors.__doc__ or ""))
    for kind, entry in TABLE.items():
        assert set(entry.expect) == set(CONNECTED), kind
        assert any(outcome != OK for outcome in entry.expect.values()), f"{kind}: nobody refused"
        for role, outcome in entry.expect.items():
            assert outcome == OK or outcome in documented, f"{kind}/{role}: {outcome} untyped"


@pytest.mark.parametrize("kind", sorted(COMMAND_TYPES))
async def test_every_sender_gets_the_outcome_of_the_table(
    world: World, http: httpx.AsyncClient, kind: str
):
    entry = TABLE.get(kind)
    assert entry is not None, f"no row for {kind!r} in TABLE"
    allowed = [role for role, outcome in entry.expect.items() if outcome == OK]
    ctxs = await scenes(world, http, entry.scene, 1 if entry.together else max(1, len(allowed)))
    try:
        ctx = ctxs[0]
        witness = await Witness.of(ctx)
        await refused_at_hello(ctx)
        await witness.unchanged(ctx, "refused hellos")
        await elsewhere(ctx, entry.payload(ctx, OTHER_WORKSHOP))
        await witness.unchanged(ctx, f"{kind} in the other workshop")
        for role, outcome in entry.expect.items():
            if outcome != OK:
                await refused(ctx, role, entry.payload(ctx, role), outcome)
                await witness.unchanged(ctx, f"{role} refused {kind}")
        for index, role in enumerate(allowed):
            scene = ctx if entry.together else ctxs[index]
            await accepted(scene, role, entry.payload(scene, role))
    finally:
        await asyncio.gather(*(ctx.close() for ctx in ctxs))


# --- role rights inside a group, and who else in the same group may do what ----------------


@dataclass(frozen=True)
class Case:
    """One sender's command in a scene, with its outcome."""

    role: str
    payload: Callable[[Ctx], dict[str, Any]]
    expect: str


def post(
    item_id: str, scope: Callable[[Ctx], str] | None = None
) -> Callable[[Ctx], dict[str, Any]]:
    def payload(c: Ctx) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "note.post", "item_id": item_id, "text": "Idee"}
        if scope is not None:
            body["scope"] = scope(c)
        return body

    return payload


def plain(kind: str, **fields: Any) -> Callable[[Ctx], dict[str, Any]]:
    return lambda c: {"type": kind, **fields}


def jump(index: int) -> Setup:
    return by(OWNER, lambda c: {"type": "step.jump", "index": index})


# a and b in one group: a is the case giver, b the moderator
KB_TOGETHER = Scene(
    "kollegiale beratung, one group",
    source="kollegiale-beratung",
    step=0,
    setup=(give_role("a", "case-giver"), give_role("b", "moderator")),
)
ROLE_RIGHTS: dict[str, tuple[Scene, tuple[Case, ...]]] = {
    # the moderator chairs their own group's queue; the case giver does not
    "moderator chairs": (
        KB_TOGETHER.then("a's hand up", by(GROUP_A, lambda c: {"type": "hand.raise"})),
        (
            Case(GROUP_A, lambda c: {"type": "speaking.clear", "scope": c.ga}, MODERATOR),
            Case(
                GROUP_B,
                lambda c: {"type": "speaking.call_next", "scope": c.ga, "participant_id": c.a},
                OK,
            ),
        ),
    ),
    # "the case giver only listens in the advice phase"
    "case giver listens": (
        # b's note from the casting step is revealed when the advice phase starts
        KB_TOGETHER.then("advice phase", by(GROUP_B, post("nB")), jump(KB_BERATUNG)),
        (
            Case(GROUP_A, plain("hand.raise"), NOT_ALLOWED),
            Case(GROUP_A, post("n-a"), NOT_ALLOWED),
            Case(GROUP_A, plain("note.move", item_id="nB", x=1, y=1), NOT_ALLOWED),
            Case(GROUP_B, plain("hand.raise"), OK),
            Case(GROUP_B, post("n-b"), OK),
            Case(GROUP_B, plain("note.move", item_id="nB", x=1, y=1), OK),
        ),
    ),
    # "a Troika client is turned away" while the consultants talk: the client wrote a note
    # while preparing alone, and may not even edit it now
    "troika client away": (
        Scene(
            "troika, consultants talk",
            source="troika-consulting",
            step=0,
            setup=(
                by(GROUP_A, post("nA")),
                jump(TROIKA_ASK),
                give_role("a", "client"),
                jump(TROIKA_AWAY),
            ),
        ),
        (
            Case(GROUP_A, post("n-a"), NOT_ALLOWED),
            Case(GROUP_A, plain("note.edit", item_id="nA", text="Neu"), NOT_ALLOWED),
            Case(GROUP_B, post("n-b"), OK),
        ),
    ),
    # a note of a in a's and b's group: b arranges it, but never edits, deletes or marks it
    "same group, not the author": (
        Scene(
            "board, one group",
            step=ASSESS,
            setup=(by(GROUP_A, post("nA")),),
        ),
        (
            Case(GROUP_B, plain("note.edit", item_id="nA", text="Anders"), AUTHOR),
            Case(GROUP_B, plain("note.delete", item_id="nA"), AUTHOR),
            Case(GROUP_B, plain("item.mark_confidential", item_id="nA", confidential=True), AUTHOR),
            Case(GROUP_B, post("n-b", scope=lambda c: "plenary"), SCOPE),
            Case(GROUP_B, plain("note.move", item_id="nA", x=1, y=2), OK),
            Case(GROUP_B, plain("note.colour", item_id="nA", colour="green"), OK),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(ROLE_RIGHTS))
async def test_role_rights_are_enforced(world: World, http: httpx.AsyncClient, name: str):
    scene, cases = ROLE_RIGHTS[name]
    ctx = await build(world, http, scene)
    try:
        witness = await Witness.of(ctx)
        for case in cases:
            if case.expect != OK:
                await refused(ctx, case.role, case.payload(ctx), case.expect)
                await witness.unchanged(ctx, f"{case.role}: {case.payload(ctx)}")
        for case in cases:
            if case.expect == OK:
                await accepted(ctx, case.role, case.payload(ctx))
    finally:
        await ctx.close()


# --- hellos ----------------------------------------------------------------------------------


async def test_hellos_that_cannot_be_welcomed(world: World, http: httpx.AsyncClient):
    server = world.server
    ctx = await build(world, http, RUNNING)
    try:
        witness = await Witness.of(ctx)
        participant = ctx.clients[GROUP_A].token
        assert participant is not None
        refusals = {
            "no token": await hello_refusal(server, ctx.workshop),
            "unknown token": await hello_refusal(server, ctx.workshop, token="p" * 43),
            "a session as token": await hello_refusal(server, ctx.workshop, token=world.owner),
            "a token as session": await hello_refusal(server, ctx.workshop, session=participant),
            "a stranger facilitator": await hello_refusal(
                server, ctx.workshop, session=world.stranger
            ),
        }
        assert refusals == {
            "no token": ("not_authenticated", CLOSE_UNAUTHORISED),
            "unknown token": ("not_authenticated", CLOSE_UNAUTHORISED),
            "a session as token": ("not_authenticated", CLOSE_UNAUTHORISED),
            "a token as session": ("not_authenticated", CLOSE_UNAUTHORISED),
            "a stranger facilitator": ("forbidden", CLOSE_FORBIDDEN),
        }
        await witness.unchanged(ctx, "refused hellos")
    finally:
        await ctx.close()


async def test_a_participant_of_another_workshop_is_forbidden(
    world: World, http: httpx.AsyncClient
):
    ctx = await build(world, http, LOBBY)
    try:
        refusal = await hello_refusal(world.server, ctx.workshop, token=world.other_token)
        assert refusal == ("forbidden", CLOSE_FORBIDDEN)
    finally:
        await ctx.close()
