"""A recorded workshop for the export tests: every kind of outcome, and every secret.

Built only through ``decide`` and ``evolve`` with a fixed clock, so the log, the state and
every export of it are the same on every run. Texts in ``SECRETS`` must never appear in an
export; texts in ``SHARED`` must.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.actors import SYSTEM, Actor
from app.core.board import MoveNote, PostNote
from app.core.cards import PlaceCard
from app.core.clusters import CreateCluster
from app.core.commands import NextStep, PauseWorkshop, ResumeWorkshop, StartWorkshop
from app.core.moderation import HideItem, MarkConfidential
from app.core.personal import SetMilestone, ShareCanvas, UpdateCanvas
from app.core.plan import GroupConfig, PlanStep
from app.core.polls import AnswerPoll, ClosePoll, OpenPoll
from app.core.reducer import Event, decide, evolve, fold
from app.core.reflections import ShareReflection, SubmitReflection
from app.core.runofshow import create_workshop
from app.core.state import WorkshopState
from app.core.voting import CastVote, RevealVotes
from app.core.wicked import AnswerWickedQuestion, ProposeWickedQuestion
from tests.factories import OWNER, admit, board_step

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TICK = timedelta(seconds=7)
PIDS = ("p-1", "p-2", "p-3", "p-4")
P1, P2, P3, P4 = (Actor("participant", pid) for pid in PIDS)
NAMES = {
    "p-1": "Alma Namensgeheim",
    "p-2": "Bert Namensgeheim",
    "p-3": "Cleo Namensgeheim",
    "p-4": "Dana Namensgeheim",
}
ORGANISATION = "Geheimfirma GmbH"  # a join attribute: never exported
# What anonymising the recorded workshop must leave nowhere: names, join attributes, and
# every text that never became an outcome (ending the workshop revealed the private note)
ANONYMISED = (
    *NAMES.values(),
    ORGANISATION,
    "SECRET-CONFIDENTIAL-NOTE",
    "SECRET-HIDDEN-NOTE",
    "SECRET-HIDDEN-REASON",
    "SECRET-PRIVATE-CANVAS",
    "SECRET-PLENARY-ONLY-CANVAS",
    "SECRET-UNSHARED-REFLECTION",
    "SECRET-PLENARY-ONLY-REFLECTION",
)

# Never in any export: names, attributes, account e-mails, participant ids in content,
# confidential and hidden items, unrevealed private writing, private or plenary-only
# canvases, reflections without export consent, an open unrevealed poll.
SECRETS = (
    *NAMES.values(),
    ORGANISATION,
    OWNER.id,
    "SECRET-CONFIDENTIAL-NOTE",
    "SECRET-HIDDEN-NOTE",
    "SECRET-HIDDEN-REASON",
    "SECRET-UNREVEALED-NOTE",
    "SECRET-PRIVATE-CANVAS",
    "SECRET-PLENARY-ONLY-CANVAS",
    "SECRET-UNSHARED-REFLECTION",
    "SECRET-PLENARY-ONLY-REFLECTION",
    "SECRET-OPEN-POLL",
)
SHARED_ON_BOARD = (
    "Mehr Austausch zwischen Standorten",
    "Themen der Zusammenarbeit",
    "Wissen teilen",
    "Neues ausprobieren",
    "Erst einmal zuhören",
    "Mentoring-Programm starten",
)
SHARED = (
    *SHARED_ON_BOARD,
    "Mehr Zeit für Pausen",
    "Wie zufrieden bist du?",
    "Teilnehmer:in 1",
)


def plan() -> tuple[PlanStep, ...]:
    """Collect in the plenary, Wicked Questions in pairs, canvas alone, check-out."""
    return (
        board_step("collect/notes", "notes", "cluster", dots=2),
        replace(
            board_step(
                "wicked/pairs",
                "notes",
                "wicked_questions",
                "cards",
                dots=1,
                anonymous=True,
                deck="methods",
            ),
            group=GroupConfig(kind="pairs", min_size=2, max_size=2),
        ),
        replace(board_step("canvas/alone", "canvas", "poll"), group=GroupConfig(kind="alone")),
        board_step("check-out/reflect", "reflection", "notes", private=True),
    )


@dataclass
class Recorder:
    """A workshop under construction: its log and its state, one accepted command at a time."""

    events: list[Event]
    state: WorkshopState
    now: datetime

    def __call__(self, command: Any, actor: Actor) -> None:
        """Decide and evolve a command that must be accepted, a tick later than the last."""
        self.now += TICK
        decided = decide(self.state, command, actor, self.now)
        assert isinstance(decided, list), (command, decided)
        for event in decided:
            self.state = evolve(self.state, event)
        self.events.extend(decided)


def record() -> Recorder:
    """The whole recorded workshop, left running in its check-out step."""
    created = create_workshop(
        workshop_id="w-export",
        title="Peer-Learning Auftakt",
        owner=OWNER.id,
        plan=plan(),
        now=START,
    )
    run = Recorder([created], fold([created]), START)
    for pid in PIDS:
        run(admit(pid, NAMES[pid], organisation=ORGANISATION), SYSTEM)
    run(StartWorkshop(), OWNER)
    # 0: the plenary collects, clusters, hides, marks confidential and votes
    run(PostNote(item_id="n-austausch", text="Mehr Austausch zwischen Standorten"), P1)
    run(PostNote(item_id="n-formel", text='=HYPERLINK("http://x")'), P2)
    run(PostNote(item_id="n-vertraulich", text="SECRET-CONFIDENTIAL-NOTE"), P3)
    run(PostNote(item_id="n-versteckt", text="SECRET-HIDDEN-NOTE"), P4)
    run(MarkConfidential(item_id="n-vertraulich", confidential=True), OWNER)
    run(HideItem(item_id="n-versteckt", reason="SECRET-HIDDEN-REASON"), OWNER)
    run(CreateCluster(cluster_id="c-themen", title="Themen der Zusammenarbeit"), OWNER)
    run(MoveNote(item_id="n-austausch", cluster_id="c-themen"), OWNER)
    for voter in (P1, P2, P3):
        run(CastVote(item_id="n-austausch"), voter)
    run(CastVote(item_id="n-formel"), P4)
    run(CastVote(item_id="n-vertraulich"), P4)
    run(RevealVotes(), OWNER)
    run(PauseWorkshop(), OWNER)
    run(ResumeWorkshop(), OWNER)
    run(NextStep(), OWNER)
    # 1: pairs, anonymous: Wicked Questions, an answer, a method card, votes
    groups = run.state.breakouts.groups
    first, second = groups[0].members[0], groups[1].members[0]
    a, b = Actor("participant", first), Actor("participant", second)
    run(
        ProposeWickedQuestion(
            item_id="q-teilen", pole_a="Wissen teilen", pole_b="Vertrauliches schützen"
        ),
        a,
    )
    run(
        ProposeWickedQuestion(
            item_id="q-neu", pole_a="Neues ausprobieren", pole_b="Bewährtes pflegen"
        ),
        b,
    )
    run(AnswerWickedQuestion(item_id="q-neu", answer_id="a-1", text="Erst einmal zuhören"), b)
    run(PlaceCard(item_id="k-1", deck_id="methods", card_id="mentoring"), a)
    run(PostNote(item_id="n-mentoring", text="Mentoring-Programm starten"), a)
    run(CastVote(item_id="q-neu"), b)
    run(NextStep(), OWNER)  # leaving the step reveals its votes
    # 2: alone: canvases and polls
    run(UpdateCanvas(idea="Lernpartnerschaften", goal="Zwei Tandems bis Juni"), P1)
    run(
        SetMilestone(
            milestone_id="m-1",
            what="Tandems bilden",
            by_when="2027-03-01",
            how_measured="zwei Paare treffen sich",
        ),
        P1,
    )
    run(ShareCanvas(audience="export"), P1)
    run(UpdateCanvas(idea="SECRET-PRIVATE-CANVAS"), P2)
    run(UpdateCanvas(idea="SECRET-PLENARY-ONLY-CANVAS"), P3)
    run(ShareCanvas(audience="plenary"), P3)
    run(OpenPoll(poll_id="poll-mood", question="Wie zufrieden bist du?"), OWNER)
    for voter, value in ((P1, 4), (P2, 5), (P3, 4)):
        run(AnswerPoll(poll_id="poll-mood", choices=(value,)), voter)
    run(ClosePoll(poll_id="poll-mood"), OWNER)
    run(OpenPoll(poll_id="poll-open", question="SECRET-OPEN-POLL", options=("ja", "nein")), OWNER)
    run(AnswerPoll(poll_id="poll-open", choices=(0,)), P1)
    run(NextStep(), OWNER)
    # 3: check-out: reflections with and without export consent, private writing
    run(SubmitReflection(question="take_away", text="Mehr Zeit für Pausen"), P1)
    run(ShareReflection(question="take_away", audience="export"), P1)
    run(SubmitReflection(question="take_away", text="SECRET-UNSHARED-REFLECTION"), P2)
    run(SubmitReflection(question="exciting", text="SECRET-PLENARY-ONLY-REFLECTION"), P3)
    run(ShareReflection(question="exciting", audience="plenary"), P3)
    run(PostNote(item_id="n-privat", text="SECRET-UNREVEALED-NOTE"), P4)
    run.now += timedelta(minutes=3)
    return run


EXPORT_NOW = START + timedelta(hours=1)  # the "now" of every golden export


PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "{{ 7*7 }}{% raw %}",
    "</style><style>body{background:url(http://evil.example/)}</style>",
    "<iframe src=//evil.example></iframe>",
    "&lt;script&gt;",
    "<!-- x --><base href=//evil.example/>",
)


def injected(payload: str) -> Recorder:
    """A workshop with the payload in every field a person can write."""
    steps = (
        replace(
            board_step("w/q", "notes", "cluster", "wicked_questions"),
            group=GroupConfig(kind="all"),
        ),
        board_step("c/alone", "canvas", "poll", "reflection"),
    )
    created = create_workshop(
        workshop_id="w-html", title=payload[:100], owner=OWNER.id, plan=steps, now=START
    )
    run = Recorder([created], fold([created]), START)
    run(admit("p-1", payload[:60]), SYSTEM)
    run(StartWorkshop(), OWNER)
    run(PostNote(item_id="n-1", text=payload), P1)
    run(CreateCluster(cluster_id="c-1", title=payload[:80]), OWNER)
    run(ProposeWickedQuestion(item_id="q-1", pole_a=payload[:80], pole_b=payload[:80]), P1)
    run(AnswerWickedQuestion(item_id="q-1", answer_id="a-1", text=payload), P1)
    run(NextStep(), OWNER)
    run(UpdateCanvas(idea=payload, goal=payload), P1)
    run(
        SetMilestone(milestone_id="m-1", what=payload, by_when="2027-01-01", how_measured=payload),
        P1,
    )
    run(ShareCanvas(audience="export"), P1)
    run(OpenPoll(poll_id="p", question=payload[:200], options=(payload[:80], "b")), OWNER)
    run(AnswerPoll(poll_id="p", choices=(0,)), P1)
    run(ClosePoll(poll_id="p"), OWNER)
    run(SubmitReflection(question="take_away", text=payload), P1)
    run(ShareReflection(question="take_away", audience="export"), P1)
    return run
