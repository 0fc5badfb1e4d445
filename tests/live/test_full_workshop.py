"""Acceptance test of the live workshop: 30 participants run the 90-minute reference workshop.

A real uvicorn server on a free loopback port, the websockets client library (through
``app.client.LiveClient``), one facilitator and 30 participants who join by code. The server
reads a ``FakeClock`` the test shares with it: the test advances it to each step's deadline
(its planned length; the talk is paused for five minutes on the way) and the server's own
scheduler expires the step (``advance`` steps move on by themselves, ``hold`` and ``ask``
wait in overtime for the facilitator's ``step.next``). That is the accelerated clock; it is
deterministic, because nothing moves unless the test moves it.

At every step everyone does what the step permits, and the test asserts per viewer what
reaches whom: a group's notes, cards, clusters and questions reach that group and the
facilitators and nobody else; canvases reach only their owner unless shared; vote tallies
stay out of participants' views until revealed (by a facilitator, by the last dot of a scope,
by the end of the step); check-out answers and the mood poll name nobody; and after every
automatic regrouping each participant's ``me.scope`` and ``groups`` show their own group.
At the end the workshop has ended, every step expired exactly once, and every client's view
equals the view a freshly connected client of the same identity gets.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.client import LiveClient, View
from app.clock import FakeClock
from app.settings import Settings
from app.store import Store
from app.structures import SHIPPED_ROOT, load_library
from tests.conftest import LiveServer, serve_app
from tests.live.support import (
    Room,
    ack,
    dump,
    fresh_view,
    refusal,
    resumed_view,
    room,
    seen_by,
    settle_all,
)

PARTICIPANTS = 30
AGENDA = "peer-learning-kickoff"
ORGANISATIONS = ("Stadtwerke Ost", "Bäckerei Nord", "Verband Süd")
DECK = "peer-learning-methods"
CARDS = ("learning-circle", "reverse-mentoring", "job-shadowing", "peer-coaching")
F = "facilitator"  # the facilitator's key among the viewers
PLENARY = "plenary"
WAIT_S = 20.0  # bound of every wait for the room to show a change
TALK_BEFORE_PAUSE_S = 100  # the facilitator pauses the talk after this long ...
PAUSE_S = 300  # ... for this long


@pytest.fixture
def crowd_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app with the demo workshop on a fake clock. All 30 people join from one address;
    each join costs a look-up and a join of the throttle's budget."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lernraum.db'}",
        join_max_attempts=4 * PARTICIPANTS,
    )
    with serve_app(settings, FakeClock()) as server:
        yield server


@dataclass
class Person:
    """A participant: who they are and their live connection."""

    id: str
    token: str
    organisation: str
    client: LiveClient


def parse(moment: str) -> datetime:
    """An ISO time of a view."""
    return datetime.fromisoformat(moment)


class Workshop:
    """The demo workshop with its facilitator and 30 participants, driven step by step."""

    def __init__(self, r: Room, people: list[Person], clock: FakeClock) -> None:
        self.r = r
        self.people = people
        self.clock = clock
        self.facilitator = r.facilitator
        plan = self.facilitator.view["plan"]
        self.plan: list[dict[str, Any]] = [plan[str(i)] for i in range(len(plan))]
        self.groups: dict[str, list[str]] = {}  # the open groups, from the facilitator's view
        self.round = 0
        self.snapshots: dict[str, tuple[View, int]] = {}  # views kept for a later resume

    # --- who sees what -------------------------------------------------------------------

    @property
    def viewers(self) -> dict[str, LiveClient]:
        """Every connection by identity: the facilitator and each participant."""
        return {F: self.facilitator, **{person.id: person.client for person in self.people}}

    @property
    def everyone(self) -> set[str]:
        """Every viewer's key."""
        return set(self.viewers)

    def scope_of(self, pid: str) -> str:
        """The participant's group, or the plenary."""
        return next((gid for gid, members in self.groups.items() if pid in members), PLENARY)

    def with_facilitator(self, *pids: str) -> set[str]:
        """Those participants and the facilitator."""
        return {F, *pids}

    def holders(self, item_id: str) -> set[str]:
        """The viewers whose shared board shows the item."""
        return {key for key, client in self.viewers.items() if item_id in client.view["items"]}

    async def sync(self) -> dict[str, str]:
        """Every view complete up to the newest sequence; each view as JSON text."""
        await settle_all(self.viewers.values(), timeout=WAIT_S)
        return {key: dump(client) for key, client in self.viewers.items()}

    async def each(self, action: Callable[[int, Person], Awaitable[object]]) -> None:
        """Every participant acts at once (each one's own commands in order)."""
        await asyncio.gather(*(action(i, person) for i, person in enumerate(self.people)))

    async def wait_all(self, predicate: Callable[[View], bool]) -> None:
        """Until every viewer's view satisfies the predicate."""
        await asyncio.gather(
            *(client.wait_until(predicate, WAIT_S) for client in self.viewers.values())
        )

    # --- the clock and the steps -------------------------------------------------------

    async def expire(self, index: int) -> None:
        """Let step ``index`` run out its time (to its deadline); the server's scheduler
        expires it.

        ``advance`` steps move on by themselves; ``hold`` and ``ask`` stay in overtime (``ask``
        flags that the facilitator must decide) until the facilitator presses "next"."""
        step = self.plan[index]
        assert self.facilitator.view["workshop"]["main"]["cursor"] == index
        last = index == len(self.plan) - 1

        def moved_on(view: View) -> bool:
            main = view["workshop"]["main"]
            return bool(main["phase"] == "ended" if last else main["cursor"] == index + 1)

        deadline = parse(self.facilitator.view["workshop"]["main"]["deadline"])
        self.clock.advance((deadline - self.clock.now()).total_seconds())
        if step["on_expiry"] == "advance":
            await self.wait_all(moved_on)
            return
        await self.wait_all(lambda view: bool(view["workshop"]["main"]["expired"]))
        await self.sync()
        for client in self.viewers.values():
            main = client.view["workshop"]["main"]
            assert (main["phase"], main["cursor"], main["expired"]) == ("running", index, True)
            assert main["awaiting_decision"] is (step["on_expiry"] == "ask")
        await ack(self.facilitator, {"type": "step.next", "from_index": index})
        await self.wait_all(moved_on)

    async def enter(self, index: int, grouping: str) -> dict[str, str]:
        """Check the step everyone is in now; ``grouping``: ``plenary``, ``new`` groups
        formed by the plan, or the ``same`` groups as the step before. Returns the dumps."""
        dumps = await self.sync()
        step = self.plan[index]
        deadline = self.facilitator.view["workshop"]["main"]["deadline"]
        for client in self.viewers.values():
            main = client.view["workshop"]["main"]
            assert (main["phase"], main["cursor"], main["expired"]) == ("running", index, False)
            assert main["deadline"] == deadline
        breakouts = self.facilitator.view["breakouts"]["main"]
        groups = self.facilitator.view["groups"]
        before = self.groups
        if grouping == PLENARY:
            assert step["group"]["kind"] in ("alone", "all")
            assert not breakouts["open"] and groups == {}
            self.groups = {}
        else:
            assert breakouts["open"]
            self.groups = {gid: list(group["members"]) for gid, group in groups.items()}
            if grouping == "new":
                self.round += 1
                assert step["group"]["kind"] == "groups"
                assert (breakouts["round"], breakouts["step_index"]) == (self.round, index)
                assert all(gid.startswith(f"r{self.round}-") for gid in self.groups)
                assert {frozenset(m) for m in self.groups.values()} != {
                    frozenset(m) for m in before.values()
                }
                low, high = step["group"]["min_size"], step["group"]["max_size"]
                assert all(low <= len(members) <= high for members in self.groups.values())
            else:
                assert grouping == "same" and self.groups == before
                assert breakouts["round"] == self.round
            placed = [pid for members in self.groups.values() for pid in members]
            assert sorted(placed) == sorted(person.id for person in self.people)
        shown = {key: value for key, value in breakouts.items() if key != "help_requests"}
        for person in self.people:
            view = person.client.view
            scope = self.scope_of(person.id)
            assert view["me"]["main"]["scope"] == scope
            assert view["groups"] == ({} if scope == PLENARY else {scope: groups[scope]})
            assert view["breakouts"]["main"] == shown
            assert view["history"] == {}  # planned versus actual is for facilitators
        history = self.facilitator.view["history"]
        assert len(history) == index + 1 and history[str(index)]["index"] == index
        if index > 0:  # the step before ended when this one started: no step ran twice
            assert history[str(index - 1)]["ended_at"] == history[str(index)]["started_at"]
        self.check_board()
        return dumps

    def check_board(self) -> None:
        """Every item and cluster on the board is in the shared view of exactly those who
        may see it: the facilitators, and the plenary's or harvested content everyone, a
        group's content the members of that group while it is open."""
        members = {gid: set(pids) for gid, pids in self.groups.items()}

        def audience(scope: str, harvested: bool) -> set[str]:
            if scope == PLENARY or harvested:
                return self.everyone
            return {F, *members.get(scope, ())}

        for section in ("items", "clusters"):
            entries = self.facilitator.view[section]
            for entry_id, entry in entries.items():
                holders = {k for k, c in self.viewers.items() if entry_id in c.view[section]}
                assert holders == audience(entry["scope"], entry["harvested"]), entry_id
            for person in self.people:
                assert set(person.client.view[section]) <= set(entries)

    # --- the workshop, step by step ------------------------------------------------------

    async def lobby(self) -> None:
        """Everyone is in; attributes reach the facilitators only."""
        await self.sync()
        people = self.facilitator.view["people"]
        assert {pid: entry["attributes"] for pid, entry in people.items()} == {
            person.id: {"organisation": person.organisation} for person in self.people
        }
        names = {pid: {"name": entry["name"]} for pid, entry in people.items()}
        for person in self.people:
            assert person.client.view["people"] == names
            assert person.client.view["workshop"]["main"]["phase"] == "lobby"
            assert "join_attributes" not in person.client.view["workshop"]["main"]
        assert await refusal(self.people[0].client, {"type": "workshop.start"}) == (
            "not_facilitator"
        )
        await ack(self.facilitator, {"type": "workshop.start"})

    async def arrive(self) -> None:
        """0 check-in/arrive: small groups; "I'm done" counts reach the own group only."""
        await self.enter(0, "new")
        first, members = next(iter(self.groups.items()))
        post = {"type": "note.post", "item_id": "n0-early", "text": "too early"}
        assert await refusal(self.people[0].client, post) == "action_not_allowed"
        clients = {person.id: person.client for person in self.people}
        await asyncio.gather(*(ack(clients[pid], {"type": "done.signal"}) for pid in members))
        await self.sync()
        for person in self.people:
            scope = self.scope_of(person.id)
            size = len(self.groups[scope])
            count = size if scope == first else 0
            assert person.client.view["done"] == {scope: {"count": count, "total": size}}
        done = self.facilitator.view["done"]
        assert set(done) == set(self.groups)
        assert done[first]["done"] == sorted(members)
        await self.expire(0)

    async def check_in_round(self) -> None:
        """1 check-in/round: the round takes turns in the same groups (hold)."""
        await self.enter(1, "same")
        for person in self.people:  # a new step run: nobody is done yet
            scope = self.scope_of(person.id)
            assert person.client.view["done"][scope]["count"] == 0
        assert await refusal(self.people[0].client, {"type": "hand.raise"}) == "action_not_allowed"
        await self.expire(1)

    async def capture(self) -> None:
        """2 check-in/capture: alone, in the plenary scope: every note reaches everyone."""
        await self.enter(2, PLENARY)

        async def note(i: int, person: Person) -> None:
            text = f"[[capture:{person.id}]]"
            await ack(person.client, {"type": "note.post", "item_id": f"n2-{i}", "text": text})

        await self.each(note)
        dumps = await self.sync()
        for i, person in enumerate(self.people):
            assert seen_by(dumps, f"[[capture:{person.id}]]") == self.everyone
            assert self.holders(f"n2-{i}") == self.everyone
            item = self.people[-1 - i].client.view["items"][f"n2-{i}"]
            assert (item["scope"], item["author"], item["step_index"]) == (PLENARY, person.id, 2)
        await self.expire(2)

    async def talk(self) -> None:
        """3 impulse/talk: the facilitator's note reaches the plenary (hold)."""
        await self.enter(3, PLENARY)
        text = "[[talk:facilitator]]"
        await ack(self.facilitator, {"type": "note.post", "item_id": "n3-talk", "text": text})
        dumps = await self.sync()
        assert seen_by(dumps, text) == self.everyone
        item = self.people[0].client.view["items"]["n3-talk"]
        assert (item["author_kind"], item["scope"]) == ("user", PLENARY)
        assert await refusal(self.people[0].client, {"type": "hand.raise"}) == "action_not_allowed"
        # a break in the middle of the talk: the clock stops for the step, not for the world
        self.clock.advance(TALK_BEFORE_PAUSE_S)
        await ack(self.facilitator, {"type": "workshop.pause"})
        self.clock.advance(PAUSE_S)
        await self.sync()
        left = self.plan[3]["seconds"] - TALK_BEFORE_PAUSE_S
        for client in self.viewers.values():
            main = client.view["workshop"]["main"]
            assert (main["phase"], main["remaining_s"], main["deadline"]) == ("paused", left, None)
        await ack(self.facilitator, {"type": "workshop.resume"})
        await self.sync()
        for client in self.viewers.values():
            main = client.view["workshop"]["main"]
            assert (main["phase"], main["cursor"], main["expired"]) == ("running", 3, False)
            assert parse(main["deadline"]) == self.clock.now() + timedelta(seconds=left)
        await self.expire(3)

    async def questions(self) -> None:
        """4 impulse/questions: raised hands, the floor, a cleared queue (ask)."""
        await self.enter(4, PLENARY)
        hands = [person.id for person in self.people[:3]]
        for person in self.people[:3]:  # one after the other: the queue keeps the order
            await ack(person.client, {"type": "hand.raise"})
        await self.sync()
        for client in self.viewers.values():
            queued = client.view["queues"][PLENARY]["hands"]
            assert [hand["participant_id"] for hand in queued] == hands
        call = {"type": "speaking.call_next", "scope": PLENARY, "participant_id": hands[0]}
        assert await refusal(self.people[3].client, call) == "not_moderator"
        await ack(self.facilitator, call)
        assert await refusal(self.facilitator, call) == "stale_queue"
        await self.sync()
        for client in self.viewers.values():
            queue = client.view["queues"][PLENARY]
            assert [hand["participant_id"] for hand in queue["hands"]] == hands[1:]
            assert queue["spoken"] == {hands[0]: 1}
        await ack(self.facilitator, {"type": "speaking.clear", "scope": PLENARY})
        await self.sync()
        assert all(not c.view["queues"][PLENARY]["hands"] for c in self.viewers.values())
        await self.expire(4)

    async def work_intro(self) -> None:
        """5 breakout-work/intro: a hand up and down; no notes in this step."""
        await self.enter(5, PLENARY)
        person = self.people[5]
        await ack(person.client, {"type": "hand.raise"})
        await self.sync()
        assert all(
            c.view["queues"][PLENARY]["hands"][0]["participant_id"] == person.id
            for c in self.viewers.values()
        )
        await ack(person.client, {"type": "hand.lower"})
        post = {"type": "note.post", "item_id": "n5-x", "text": "not now"}
        assert await refusal(person.client, post) == "action_not_allowed"
        await self.sync()
        for someone in self.people[:3]:  # what a tab that loses its connection now keeps
            kept = copy.deepcopy(someone.client.view)
            self.snapshots[someone.id] = (kept, someone.client.seq or 0)
        await self.expire(5)

    async def challenge(self) -> None:
        """6 breakout-work/challenge: new groups; a group's notes reach it and the
        facilitators and nobody else, also the facilitator's note into one group."""
        await self.enter(6, "new")
        await self.check_comeback()

        async def note(i: int, person: Person) -> None:
            text = f"[[challenge:{person.id}]]"
            await ack(person.client, {"type": "note.post", "item_id": f"n6-{i}", "text": text})

        await self.each(note)
        gid, members = next(iter(self.groups.items()))
        hint = {"type": "note.post", "item_id": "n6-hint", "text": "[[hint]]", "scope": gid}
        await ack(self.facilitator, hint)
        outsider = next(p for p in self.people if p.id not in members)
        elsewhere = {"type": "note.post", "item_id": "n6-x", "text": "x", "scope": gid}
        assert await refusal(outsider.client, elsewhere) == "not_in_scope"
        dumps = await self.sync()
        for i, person in enumerate(self.people):
            scope = self.scope_of(person.id)
            group = self.with_facilitator(*self.groups[scope])
            assert seen_by(dumps, f"[[challenge:{person.id}]]") == group
            assert self.holders(f"n6-{i}") == group
            assert self.facilitator.view["items"][f"n6-{i}"]["scope"] == scope
        assert seen_by(dumps, "[[hint]]") == self.with_facilitator(*members)
        await self.expire(6)

    async def formats(self) -> None:
        """7 breakout-work/formats: method cards of the step's deck, per group."""
        await self.enter(7, "same")
        clients = {person.id: person.client for person in self.people}
        places = []
        for n, (gid, members) in enumerate(self.groups.items()):
            card = {
                "type": "card.place",
                "item_id": f"card-{gid}",
                "deck_id": DECK,
                "card_id": CARDS[n % len(CARDS)],
            }
            places.append(ack(clients[members[0]], card))
        await asyncio.gather(*places)
        (_, members), (_, others) = list(self.groups.items())[:2]
        foreign = {"type": "card.place", "item_id": "card-x", "deck_id": "other", "card_id": "x"}
        assert await refusal(clients[members[0]], foreign) == "invalid_argument"
        their_note = f"n6-{self.index_of(others[0])}"
        move = {"type": "note.move", "item_id": their_note, "x": 1.0, "y": 2.0}
        assert await refusal(clients[members[0]], move) == "not_in_scope"
        dumps = await self.sync()
        for gid, group in self.groups.items():
            assert seen_by(dumps, f'"card-{gid}"') == self.with_facilitator(*group)
            assert self.facilitator.view["items"][f"card-{gid}"]["deck_id"] == DECK
        await self.expire(7)

    def index_of(self, pid: str) -> int:
        """The participant's position in the crowd."""
        return next(i for i, person in enumerate(self.people) if person.id == pid)

    async def assess(self) -> None:
        """8 breakout-work/assess: a cluster per group, holding the group's notes (hold)."""
        await self.enter(8, "same")
        clients = {person.id: person.client for person in self.people}

        async def cluster(gid: str, members: list[str]) -> None:
            create = {"type": "cluster.create", "cluster_id": f"cl-{gid}", "title": f"[[{gid}]]"}
            await ack(clients[members[0]], create)
            await asyncio.gather(
                *(
                    ack(
                        clients[pid],
                        {
                            "type": "note.move",
                            "item_id": f"n6-{self.index_of(pid)}",
                            "cluster_id": f"cl-{gid}",
                        },
                    )
                    for pid in members
                )
            )

        await asyncio.gather(*(cluster(gid, members) for gid, members in self.groups.items()))
        (first, _), (_, others) = list(self.groups.items())[:2]
        move = {
            "type": "note.move",
            "item_id": f"n6-{self.index_of(others[0])}",
            "cluster_id": f"cl-{first}",
        }
        assert await refusal(clients[others[0]], move) == "no_such_cluster"
        dumps = await self.sync()
        for gid, members in self.groups.items():
            group = self.with_facilitator(*members)
            assert seen_by(dumps, f"[[{gid}]]") == group
            for pid in members:
                for key in group:
                    item = self.viewers[key].view["items"][f"n6-{self.index_of(pid)}"]
                    assert item["cluster_id"] == f"cl-{gid}"
        await self.expire(8)

    async def decide(self) -> None:
        """9 breakout-work/decide: dot votes stay hidden until revealed, per group by the
        last dot, then for all by the facilitator (ask)."""
        await self.enter(9, "same")
        key = self.plan[9]["key"]
        budget = self.plan[9]["permissions"]["dots"]
        clients = {person.id: person.client for person in self.people}
        target = {}  # voter -> the note they give their dots to: the next member's
        for members in self.groups.values():
            for k, pid in enumerate(members):
                target[pid] = f"n6-{self.index_of(members[(k + 1) % len(members)])}"
        last = {members[-1] for members in self.groups.values()}

        async def vote(pid: str) -> None:
            for _ in range(budget):
                await ack(clients[pid], {"type": "vote.cast", "item_id": target[pid]})

        await asyncio.gather(*(vote(pid) for pid in target if pid not in last))
        voter = next(person.id for person in self.people if person.id not in last)
        extra = {"type": "vote.cast", "item_id": target[voter]}
        assert await refusal(clients[voter], extra) == "vote_budget_exhausted"
        (first, members), (_, others) = list(self.groups.items())[:2]
        across = {"type": "vote.cast", "item_id": f"n6-{self.index_of(others[0])}"}
        assert await refusal(clients[members[-1]], across) == "not_in_scope"
        await self.sync()

        def counts(gid: str, voters: set[str]) -> dict[str, int]:
            result: dict[str, int] = {}
            for pid in self.groups[gid]:
                if pid in voters:
                    result[target[pid]] = result.get(target[pid], 0) + budget
            return result

        for person in self.people:  # nothing of the vote reaches participants, not even that
            assert person.client.view["tallies"] == {}  # somebody voted
            mine = person.client.view["my_votes"][key]
            used = 0 if person.id in last else budget
            assert (mine["used"], mine["revealed"]) == (used, False)
            assert mine["dots"] == ({} if used == 0 else {target[person.id]: budget})
        tally = self.facilitator.view["tallies"][key]
        assert (tally["revealed"], tally["counts"], tally["by_scope"]) == (False, {}, {})
        assert tally["dots_used"] == {
            gid: budget * (len(members) - 1) for gid, members in self.groups.items()
        }

        await vote(members[-1])  # the last dot of the first group reveals that group's tallies
        await self.sync()
        voted = set(target) - last | {members[-1]}
        for person in self.people:
            tallies = person.client.view["tallies"]
            if self.scope_of(person.id) == first:
                assert tallies[key]["revealed"] is True
                assert tallies[key]["counts"] == counts(first, voted)
            else:
                assert tallies == {}
        tally = self.facilitator.view["tallies"][key]
        assert (tally["revealed"], tally["revealed_scopes"]) == (False, [first])
        assert tally["by_scope"] == {first: counts(first, voted)}
        retract = {"type": "vote.retract", "item_id": target[members[0]]}
        assert await refusal(clients[members[0]], retract) == "votes_revealed"

        await ack(self.facilitator, {"type": "votes.reveal"})
        await self.sync()
        for person in self.people:
            scope = self.scope_of(person.id)
            shown = person.client.view["tallies"][key]
            assert (shown["revealed"], shown["counts"]) == (True, counts(scope, voted))
        tally = self.facilitator.view["tallies"][key]
        assert tally["revealed_all"] is True
        assert tally["by_scope"] == {gid: counts(gid, voted) for gid in self.groups}
        await self.check_resume()  # in groups, with tallies revealed step by step
        await self.expire(9)

    async def wicked_intro(self) -> None:
        """10 wicked-questions/intro: back in the plenary, the groups' boards leave
        participants' views; authors keep their own items."""
        dumps = await self.enter(10, PLENARY)
        for i, person in enumerate(self.people):
            assert seen_by(dumps, f"[[challenge:{person.id}]]") == {F, person.id}
            assert self.holders(f"n6-{i}") == {F}
            assert f"n6-{i}" in person.client.view["my_items"]
        key = self.plan[9]["key"]
        assert all(p.client.view["tallies"][key]["counts"] == {} for p in self.people)
        await ack(self.people[10].client, {"type": "hand.raise"})
        await ack(self.people[10].client, {"type": "hand.lower"})
        await self.expire(10)

    async def generate_alone(self) -> None:
        """11 wicked-questions/generate-alone: questions alone, in the plenary scope."""
        await self.enter(11, PLENARY)

        async def propose(i: int, person: Person) -> None:
            if i < 3:
                await ack(
                    person.client,
                    {
                        "type": "wicked.propose",
                        "item_id": f"wq11-{i}",
                        "pole_a": f"[[a11:{person.id}]]",
                        "pole_b": "voluntary",
                    },
                )

        await self.each(propose)
        dumps = await self.sync()
        for i, person in enumerate(self.people[:3]):
            assert seen_by(dumps, f"[[a11:{person.id}]]") == self.everyone
            question = self.people[-1].client.view["items"][f"wq11-{i}"]["question"]
            pole = f"[[a11:{person.id}]]"
            assert question["en"] == f"How can we {pole} and at the same time voluntary?"
        await self.expire(11)

    async def generate_group(self) -> None:
        """12 wicked-questions/generate-group: new groups; questions stay in the group."""
        await self.enter(12, "new")

        async def propose(i: int, person: Person) -> None:
            await ack(
                person.client,
                {
                    "type": "wicked.propose",
                    "item_id": f"wq12-{i}",
                    "pole_a": f"[[a12:{person.id}]]",
                    "pole_b": "mandatory",
                },
            )

        await self.each(propose)
        dumps = await self.sync()
        for i, person in enumerate(self.people):
            group = self.with_facilitator(*self.groups[self.scope_of(person.id)])
            assert seen_by(dumps, f"[[a12:{person.id}]]") == group
            assert self.holders(f"wq12-{i}") == group
        await self.expire(12)

    async def choose(self) -> dict[str, int]:
        """13 wicked-questions/choose: dots stay hidden, also after the facilitator harvests
        the questions into the plenary; the step's end reveals them (ask)."""
        await self.enter(13, "same")
        key = self.plan[13]["key"]
        budget = self.plan[13]["permissions"]["dots"]
        clients = {person.id: person.client for person in self.people}
        expected: dict[str, int] = {}

        async def vote(pid: str, item_id: str, dots: int) -> None:
            for _ in range(dots):
                await ack(clients[pid], {"type": "vote.cast", "item_id": item_id})

        votes = []
        for members in self.groups.values():
            for k, pid in enumerate(members):
                # the last member keeps a dot back, so no group reveals itself
                dots = budget - 1 if k == len(members) - 1 else budget
                item_id = f"wq12-{self.index_of(members[(k + 1) % len(members)])}"
                expected[item_id] = dots
                votes.append(vote(pid, item_id, dots))
        await asyncio.gather(*votes)
        await self.sync()
        assert all(key not in p.client.view["tallies"] for p in self.people)
        assert self.facilitator.view["tallies"][key]["revealed"] is False

        harvest = {"type": "board.harvest", "group_ids": sorted(self.groups)}
        await ack(self.facilitator, harvest)
        dumps = await self.sync()
        for i, person in enumerate(self.people):
            assert seen_by(dumps, f"[[a12:{person.id}]]") == self.everyone
            assert self.people[-1 - i].client.view["items"][f"wq12-{i}"]["harvested"] is True
            # the first work phase's notes were not harvested
            assert seen_by(dumps, f"[[challenge:{person.id}]]") == {F, person.id}
            assert key not in person.client.view["tallies"]
        await self.expire(13)
        return expected

    async def share(self, expected: dict[str, int]) -> None:
        """14 wicked-questions/share: leaving the choice revealed its dots to all (hold)."""
        await self.enter(14, PLENARY)
        key = self.plan[13]["key"]
        for person in self.people:
            shown = person.client.view["tallies"][key]
            assert (shown["revealed"], shown["counts"]) == (True, expected)
        assert self.facilitator.view["tallies"][key]["revealed_all"] is True
        speaker = self.people[7]
        await ack(speaker.client, {"type": "hand.raise"})
        call = {"type": "speaking.call_next", "scope": PLENARY, "participant_id": speaker.id}
        await ack(self.facilitator, call)
        await self.expire(14)

    async def refine(self, chosen: dict[str, int]) -> None:
        """15 wicked-questions/refine: answers and a refined pole for the strongest question;
        a plenary vote that reveals itself with the last dot (hold)."""
        await self.enter(15, PLENARY)
        key = self.plan[15]["key"]
        budget = self.plan[15]["permissions"]["dots"]
        top = max(sorted(chosen), key=lambda item_id: chosen[item_id])

        async def answer(i: int, person: Person) -> None:
            if i < 5:
                text = f"[[answer:{person.id}]]"
                body = {"answer_id": f"ans-{i}", "text": text, "item_id": top}
                await ack(person.client, {"type": "wicked.answer", **body})

        await self.each(answer)
        refine = {"type": "wicked.refine", "item_id": top, "pole_a": "[[refined]]"}
        await ack(self.people[5].client, refine)
        dumps = await self.sync()
        assert seen_by(dumps, "[[refined]]") == self.everyone
        for client in self.viewers.values():
            item = client.view["items"][top]
            authors = [entry["author"] for entry in item["answers"]]
            assert sorted(authors) == sorted(person.id for person in self.people[:5])
            assert item["question"]["en"].startswith("How can we [[refined]] and")

        async def vote(i: int, person: Person) -> None:
            item_id = f"wq12-{(i + 1) % len(self.people)}"
            for _ in range(budget):
                await ack(person.client, {"type": "vote.cast", "item_id": item_id})

        *early, late = self.people
        await asyncio.gather(*(vote(i, person) for i, person in enumerate(early)))
        await self.sync()
        assert all(key not in person.client.view["tallies"] for person in self.people)
        tally = self.facilitator.view["tallies"][key]
        assert (tally["revealed"], tally["dots_used"]) == (False, {PLENARY: budget * len(early)})
        await vote(len(early), late)
        await self.sync()
        expected = {f"wq12-{i}": budget for i in range(len(self.people))}
        for person in self.people:
            shown = person.client.view["tallies"][key]
            assert (shown["revealed"], shown["counts"]) == (True, expected)
        await self.expire(15)

    async def canvas(self) -> None:
        """16-18 individual-canvas: idea, goal and milestones reach only their owner, until
        the owner shares the canvas with the plenary."""
        await self.enter(16, PLENARY)

        async def idea(i: int, person: Person) -> None:
            await ack(person.client, {"type": "canvas.update", "idea": f"[[idea:{person.id}]]"})

        await self.each(idea)
        update = {"type": "canvas.update", "idea": "not mine"}
        assert await refusal(self.facilitator, update) == "not_owner"
        dumps = await self.sync()
        for person in self.people:
            assert seen_by(dumps, f"[[idea:{person.id}]]") == {person.id}
        assert self.facilitator.view["my_canvas"] == {}
        await self.expire(16)

        await self.enter(17, PLENARY)

        async def goal(i: int, person: Person) -> None:
            await ack(person.client, {"type": "canvas.update", "goal": f"[[goal:{person.id}]]"})

        await self.each(goal)
        dumps = await self.sync()
        for person in self.people:
            assert seen_by(dumps, f"[[goal:{person.id}]]") == {person.id}
            mine = person.client.view["my_canvas"]["main"]
            assert (mine["idea"], mine["consents"]) == (f"[[idea:{person.id}]]", [])
        await self.expire(17)

        await self.enter(18, PLENARY)

        async def milestone(i: int, person: Person) -> None:
            body = {
                "milestone_id": "m1",
                "what": f"[[milestone:{person.id}]]",
                "by_when": "2027-03-31",
                "how_measured": "two learning circles meet monthly",
            }
            await ack(person.client, {"type": "canvas.set_milestone", **body})

        await self.each(milestone)
        public, exported, grouped = self.people[:3]
        await ack(public.client, {"type": "canvas.share", "audience": "plenary"})
        await ack(exported.client, {"type": "canvas.share", "audience": "export"})
        share = {"type": "canvas.share", "audience": "group"}
        assert await refusal(grouped.client, share) == "invalid_argument"  # nobody is in a group
        dumps = await self.sync()
        for person in self.people:
            owner = self.everyone if person is public else {person.id}
            for field in ("idea", "goal", "milestone"):
                assert seen_by(dumps, f"[[{field}:{person.id}]]") == owner
            shared = person.client.view["canvases_shared"]
            assert set(shared) == {public.id}
            assert shared[public.id]["shared_with"] == PLENARY
        assert set(self.facilitator.view["canvases_shared"]) == {public.id}
        assert exported.client.view["my_canvas"]["main"]["consents"] == ["export"]
        await self.expire(18)

    async def check_out(self) -> dict[str, int]:
        """19 check-out/reflect: an anonymous mood poll and anonymous reflections; what
        is shared names nobody, what is not shared reaches only its author."""
        await self.enter(19, PLENARY)
        poll = {"type": "poll.open", "poll_id": "mood", "question": "Wie geht es Ihnen jetzt?"}
        await ack(self.facilitator, poll)
        mood = {person.id: i % 5 + 1 for i, person in enumerate(self.people)}
        shared = {person.id for person in self.people[:10]}

        async def reflect(i: int, person: Person) -> None:
            answer = {"type": "poll.answer", "poll_id": "mood", "choices": [mood[person.id]]}
            await ack(person.client, answer)
            text = f"[[reflection:{i:02d}]]"  # no id in the text: it must name nobody
            body = {"type": "reflection.submit", "question": "take_away", "text": text}
            await ack(person.client, body)
            if person.id in shared:
                body = {"type": "reflection.share", "question": "take_away", "audience": "plenary"}
                await ack(person.client, body)
            await ack(person.client, {"type": "done.signal"})

        await self.each(reflect)
        dumps = await self.sync()
        tallies = [sum(1 for value in mood.values() if value == v) for v in range(1, 6)]
        ids = [person.id for person in self.people]
        for client in self.viewers.values():
            shown = client.view["polls"]["mood"]
            assert (shown["anonymous"], shown["answered"]) == (True, len(self.people))
            assert shown["tallies"] is None  # anonymous: nobody watches the tallies move
            entries = client.view["reflections_shared"]["take_away"]
            assert len(entries) == len(shared)
            assert all(
                (entry["author"], entry["group_id"], entry["at"]) == (None, None, None)
                for entry in entries
            )
            anonymous = json.dumps([client.view["polls"], client.view["reflections_shared"]])
            assert not any(pid in anonymous for pid in ids)
        assert self.facilitator.view["polls"]["mood"]["answers"] == {}
        for i, person in enumerate(self.people):
            text = f"[[reflection:{i:02d}]]"
            assert seen_by(dumps, text) == (self.everyone if person.id in shared else {person.id})
            mine = person.client.view["my_reflections"]["take_away"]
            assert (mine["text"], mine["anonymous"]) == (text, True)
            assert person.client.view["my_poll_answers"]["mood"] == {"choices": [mood[person.id]]}
            assert person.client.view["done"] == {
                PLENARY: {"count": len(self.people), "total": len(self.people)}
            }
        assert self.facilitator.view["done"][PLENARY]["done"] == sorted(ids)
        await ack(self.facilitator, {"type": "poll.reveal", "poll_id": "mood"})
        await self.sync()
        assert all(p.client.view["polls"]["mood"]["tallies"] == tallies for p in self.people)
        await self.expire(19)
        return mood

    async def voices(self) -> None:
        """20 check-out/voices: the last voices; "next" after the last step ends it (hold)."""
        await self.enter(20, PLENARY)
        first, second = self.people[8:10]
        await ack(first.client, {"type": "hand.raise"})
        await ack(second.client, {"type": "hand.raise"})
        call = {"type": "speaking.call_next", "scope": PLENARY, "participant_id": first.id}
        await ack(self.facilitator, call)
        await self.expire(20)

    async def ended(self, mood: dict[str, int]) -> None:
        """The end: everyone in the plenary, polls closed, anonymous answers forgotten, the
        run matches the plan to the second, and every step expired exactly once."""
        await self.sync()
        main = self.facilitator.view["workshop"]["main"]
        assert main["phase"] == "ended"
        for person in self.people:
            view = person.client.view
            assert view["workshop"]["main"]["phase"] == "ended"
            assert view["breakouts"]["main"]["open"] is False and view["groups"] == {}
            assert view["me"]["main"]["scope"] == PLENARY
            assert view["polls"]["mood"]["status"] == "closed"
            assert view["my_poll_answers"]["mood"] == {"choices": None}
        self.check_board()
        tallies = [sum(1 for value in mood.values() if value == v) for v in range(1, 6)]
        for client in self.viewers.values():  # the tallies stay, who chose what is gone
            assert client.view["polls"]["mood"]["tallies"] == tallies
        post = {"type": "note.post", "item_id": "n-late", "text": "late"}
        assert await refusal(self.people[0].client, post) == "workshop_ended"

        history = self.facilitator.view["history"]
        assert len(history) == len(self.plan)
        previous_end = parse(main["started_at"])
        for number, step in enumerate(self.plan):
            run = history[str(number)]
            started, ended = parse(run["started_at"]), parse(run["ended_at"])
            assert run["index"] == number and started == previous_end
            paused = PAUSE_S if number == 3 else 0
            assert (ended - started).total_seconds() == step["seconds"] + paused
            assert (run["paused_s"], run["retimed_s"]) == (paused, 0)
            previous_end = ended
        total = (parse(main["ended_at"]) - parse(main["started_at"])).total_seconds()
        assert sum(step["seconds"] for step in self.plan) == 90 * 60
        assert total == 90 * 60 + PAUSE_S

        store = Store(self.r.server.settings.database_url)
        try:
            log = await asyncio.to_thread(store.load_events, self.r.workshop)
        finally:
            store.close()
        kinds = [recorded.event.type for recorded in log]
        expired = [r.event.index for r in log if r.event.type == "step.expired"]
        started = [r.event.index for r in log if r.event.type == "step.started"]
        assert expired == started == list(range(len(self.plan)))
        assert kinds.count("workshop.ended") == 1
        assert log[-1].seq == self.facilitator.seq

    async def check_comeback(self) -> None:
        """Clients that come back with a view from before the regrouping get what changed
        since, and end up with the view a fresh connection gets."""
        seq = await settle_all(self.viewers.values(), timeout=WAIT_S)
        for person in self.people:
            if person.id in self.snapshots:
                view, last_seq = self.snapshots.pop(person.id)
                assert last_seq < seq
                server, workshop = self.r.server, self.r.workshop
                back, resumed = await resumed_view(
                    server, workshop, person.token, view, last_seq, seq
                )
                assert resumed and back == person.client.view
                assert back["me"]["main"]["scope"] == self.scope_of(person.id)

    async def check_resume(self) -> None:
        """Every client's view equals the view a fresh connection of the same identity gets."""
        seq = await settle_all(self.viewers.values(), timeout=WAIT_S)
        server, workshop = self.r.server, self.r.workshop
        fresh = await asyncio.gather(
            fresh_view(server, workshop, seq, session=self.r.session),
            *(fresh_view(server, workshop, seq, token=person.token) for person in self.people),
        )
        for (key, client), view in zip(self.viewers.items(), fresh, strict=True):
            assert client.seq == seq
            assert client.view == view, f"the view of {key} differs from a fresh one"


async def join_crowd(r: Room) -> list[Person]:
    """30 participants join by code, each with an organisation, and connect."""
    await ack(r.facilitator, {"type": "workshop.configure", "join_attributes": ["organisation"]})
    organisations = [ORGANISATIONS[i % len(ORGANISATIONS)] for i in range(PARTICIPANTS)]
    joined = await asyncio.gather(
        *(
            r.join(f"Person {i:02d}", organisation=organisation)
            for i, organisation in enumerate(organisations)
        )
    )
    return [
        Person(identity.participant_id, identity.token, organisation, client)
        for (identity, client), organisation in zip(joined, organisations, strict=True)
    ]


async def test_thirty_participants_run_the_reference_workshop(crowd_server: LiveServer) -> None:
    clock = crowd_server.clock
    assert isinstance(clock, FakeClock)
    async with room(crowd_server) as r:
        people = await join_crowd(r)
        try:
            w = Workshop(r, people, clock)
            library_plan = load_library(SHIPPED_ROOT).plan_for(AGENDA)
            assert [step["key"] for step in w.plan] == [step.key for step in library_plan]
            await w.lobby()
            await w.arrive()
            await w.check_in_round()
            await w.capture()
            await w.talk()
            await w.questions()
            await w.work_intro()
            await w.challenge()
            await w.formats()
            await w.assess()
            await w.decide()
            await w.wicked_intro()
            await w.generate_alone()
            await w.generate_group()
            chosen = await w.choose()
            await w.share(chosen)
            await w.refine(chosen)
            await w.canvas()
            mood = await w.check_out()
            await w.voices()
            await w.ended(mood)
            await w.check_resume()
        finally:
            await asyncio.gather(*(person.client.close() for person in people))
