"""Run a workshop end to end with simulated participants, through the live protocol only.

``lernraum rehearse`` logs a facilitator in, lets a handful of bot participants join by
code, and steps through the whole agenda: at every step the bots do what the step allows
(notes, method cards, clusters, dots, Wicked Questions, their canvas, check-out answers,
raised hands) and signal "done"; the facilitator reveals votes and moves on. Each step is
printed with what the room looked like. It is a demonstration of the protocol and a smoke
test of a running server; it uses nothing but ``app/client.py`` and public REST routes.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from app.client import Joined, LiveClient, join, join_code, log_in
from app.protocol import Ack, Error

NAMES = ("Ada", "Bülent", "Clara", "Dmitri", "Eva", "Femi", "Greta", "Hakan", "Ines", "Jonas")
ORGANISATIONS = ("Bäckerei Nord", "Stadtwerke Süd", "Maschinenbau Ost", "Pflegedienst West")
TOPICS = ("Wissen teilen", "Einarbeitung", "Fehlerkultur", "Generationen", "Zeit für Lernen")


def new_id(prefix: str) -> str:
    """A random id: ids are visible to everyone who sees the item, so never a name."""
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass
class Bot:
    """One simulated participant."""

    joined: Joined
    client: LiveClient
    rng: random.Random
    refused: list[str] = field(default_factory=list)

    async def send(self, command: dict[str, Any]) -> bool:
        answer = await self.client.command(command)
        if isinstance(answer, Error):
            self.refused.append(f"{command['type']}: {answer.code}")
        return isinstance(answer, Ack)

    def visible_items(self) -> list[str]:
        return sorted(self.client.view.get("items", {}))


@dataclass
class Rehearsal:
    """A facilitator and bots in one workshop."""

    base_url: str
    workshop: str
    facilitator: LiveClient
    bots: list[Bot]
    say: Callable[[str], None]
    decks: dict[str, list[str]] = field(default_factory=dict)

    async def run(self, pause_s: float) -> None:
        await self.facilitator.command({"type": "workshop.start"})
        plan = self.facilitator.view["plan"]
        while self.facilitator.view["workshop"]["main"]["phase"] != "ended":
            main = self.facilitator.view["workshop"]["main"]
            index = main["cursor"]
            step = plan[str(index)]
            await self.settle()
            self.say(self.describe(index, step))
            await self.act(index, step)
            await asyncio.sleep(pause_s)
            if index + 1 < len(plan):
                answer = await self.facilitator.command({"type": "step.next", "from_index": index})
            else:
                answer = await self.facilitator.command({"type": "workshop.end"})
            if isinstance(answer, Error) and answer.code not in ("stale_step",):
                raise RuntimeError(f"the facilitator could not move on: {answer.code}")
            await self.settle()
        self.say(self.summary())

    async def settle(self) -> None:
        seq = self.facilitator.seq or 0
        await asyncio.gather(*(bot.client.wait_for_seq(seq) for bot in self.bots))

    def describe(self, index: int, step: dict[str, Any]) -> str:
        groups = self.facilitator.view.get("groups", {})
        sizes = sorted(len(g.get("members", ())) for g in groups.values())
        layout = f"{len(groups)} groups of {sizes}" if groups else "plenary"
        minutes = step["seconds"] / 60
        return f"{index + 1:>2}. {step['title']['de']} ({minutes:g} min, {layout})"

    async def act(self, index: int, step: dict[str, Any]) -> None:
        actions = set(step["permissions"]["actions"])
        await asyncio.gather(*(self.act_as(bot, step, actions) for bot in self.bots))
        if step["permissions"]["dots"]:
            await asyncio.gather(
                *(self.vote(bot, step["permissions"]["dots"]) for bot in self.bots)
            )
            await self.facilitator.command({"type": "votes.reveal", "step_index": index})
        if step["permissions"]["private_until_reveal"] and "notes" in actions:
            await self.facilitator.command({"type": "items.reveal"})
        if "poll" in actions:
            poll_id = new_id("poll")
            await self.facilitator.command(
                {"type": "poll.open", "poll_id": poll_id, "question": "Wie geht es dir jetzt?"}
            )
            await asyncio.gather(
                *(
                    bot.send(
                        {
                            "type": "poll.answer",
                            "poll_id": poll_id,
                            "choices": [bot.rng.randint(1, 5)],
                        }
                    )
                    for bot in self.bots
                )
            )
            await self.facilitator.command({"type": "poll.close", "poll_id": poll_id})
        await asyncio.gather(*(bot.send({"type": "done.signal"}) for bot in self.bots))

    async def act_as(self, bot: Bot, step: dict[str, Any], actions: set[str]) -> None:
        topic = bot.rng.choice(TOPICS)
        if "notes" in actions:
            await bot.send(
                {"type": "note.post", "item_id": new_id("n"), "text": f"{topic}: eine Idee"}
            )
        if "cards" in actions and step.get("deck"):
            cards = await self.cards_of(step["deck"])
            await bot.send(
                {
                    "type": "card.place",
                    "item_id": new_id("c"),
                    "deck_id": step["deck"],
                    "card_id": bot.rng.choice(cards),
                }
            )
        if "cluster" in actions:
            await bot.send({"type": "cluster.create", "cluster_id": new_id("k"), "title": topic})
        if "wicked_questions" in actions:
            await bot.send(
                {
                    "type": "wicked.propose",
                    "item_id": new_id("w"),
                    "pole_a": "Erfahrung weitergeben",
                    "pole_b": "Neues zulassen",
                }
            )
        if "canvas" in actions:
            await bot.send(
                {"type": "canvas.update", "idea": f"{topic} im Team", "goal": "Ein erster Versuch"}
            )
            await bot.send(
                {
                    "type": "canvas.set_milestone",
                    "milestone_id": "m1",
                    "what": "Erstes Treffen",
                    "by_when": (bot.client.server_now() + timedelta(weeks=4)).date().isoformat(),
                    "how_measured": "Treffen hat stattgefunden",
                }
            )
        if "reflection" in actions:
            for question in ("exciting", "learn_more", "take_away"):
                await bot.send({"type": "reflection.submit", "question": question, "text": topic})
        if "hand" in actions and bot.rng.random() < 0.3:
            queues = bot.client.view.get("queues", {}).values()
            hands = [hand["participant_id"] for queue in queues for hand in queue["hands"]]
            if bot.joined.participant_id not in hands:
                await bot.send({"type": "hand.raise"})

    async def vote(self, bot: Bot, dots: int) -> None:
        items = bot.visible_items()
        for _ in range(min(dots, len(items))):
            await bot.send({"type": "vote.cast", "item_id": bot.rng.choice(items)})

    async def cards_of(self, deck: str) -> list[str]:
        if deck not in self.decks:
            async with httpx.AsyncClient(base_url=self.base_url) as http:
                response = await http.get(f"/api/library/{deck}")
                response.raise_for_status()
                self.decks[deck] = [card["id"] for card in response.json()["cards"]]
        return self.decks[deck]

    def summary(self) -> str:
        view = self.facilitator.view
        refused = Counter(reason for bot in self.bots for reason in bot.refused)
        lines = [
            f"ended: {len(view.get('items', {}))} board items, "
            f"{len(view.get('polls', {}))} polls, {len(self.bots)} participants"
        ]
        lines += [f"  refused {count}x {reason}" for reason, count in sorted(refused.items())]
        return "\n".join(lines)


async def rehearse(
    base_url: str,
    email: str,
    password: str,
    *,
    participants: int = 6,
    workshop: str | None = None,
    agenda: str = "peer-learning-kickoff",
    pause_s: float = 0.5,
    seed: int = 1,
    say: Callable[[str], None] = print,
) -> Rehearsal:
    """Run one workshop end to end; returns the finished rehearsal."""
    session = await log_in(base_url, email, password)
    async with httpx.AsyncClient(base_url=base_url, cookies={"lernraum_session": session}) as http:
        if workshop is None:
            created = await http.post("/api/workshops", json={"source_id": agenda})
            created.raise_for_status()
            workshop = str(created.json()["id"])
        configured = await http.patch(
            f"/api/workshops/{workshop}", json={"join_attributes": ["organisation"]}
        )
        configured.raise_for_status()
    code = await join_code(base_url, workshop, session)
    say(f"workshop {workshop}, join code {code}")
    facilitator = LiveClient(base_url, workshop, session=session)
    await facilitator.start()
    rng = random.Random(seed)
    bots: list[Bot] = []
    for number in range(participants):
        name = NAMES[number % len(NAMES)] + ("" if number < len(NAMES) else f" {number}")
        organisation = ORGANISATIONS[number % len(ORGANISATIONS)]
        joined = await join(base_url, code, name, attributes={"organisation": organisation})
        client = LiveClient(base_url, workshop, token=joined.token)
        await client.start()
        bots.append(Bot(joined, client, random.Random(rng.random())))
    say(f"{participants} participants joined")
    rehearsal = Rehearsal(base_url, workshop, facilitator, bots, say)
    try:
        await rehearsal.run(pause_s)
    finally:
        await asyncio.gather(facilitator.close(), *(bot.client.close() for bot in bots))
    return rehearsal
