"""The log is the truth: replaying stored events rebuilds the live state exactly."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.codec import decode_event, decode_state, encode_state
from app.core.actors import SYSTEM, Actor
from app.core.board import ColourNote, DeleteNote, EditNote, MoveNote, PostNote
from app.core.breakouts import CloseBreakouts, OpenBreakouts
from app.core.cards import PlaceCard
from app.core.clusters import CreateCluster, DeleteCluster, RenameCluster
from app.core.commands import (
    EndWorkshop,
    ExtendStep,
    JumpToStep,
    NextStep,
    PauseWorkshop,
    PreviousStep,
    ResumeWorkshop,
    ShortenStep,
    StartWorkshop,
)
from app.core.errors import Rejection
from app.core.moderation import HarvestGroups, HideItem, MarkConfidential, RevealItems, UnhideItem
from app.core.people import AdmitParticipant, InviteFacilitator, RemoveParticipant
from app.core.personal import (
    RemoveMilestone,
    SetMilestone,
    ShareCanvas,
    UpdateCanvas,
)
from app.core.personalstate import AUDIENCES, QUESTIONS
from app.core.placement import ChooseTopic, FillTopicRooms, MoveParticipant, PlaceLateJoiner
from app.core.plan import Action, GroupConfig, RoleSpec, Text
from app.core.planedit import InsertSteps, MoveStep, RemoveStep, RetimeStep
from app.core.polls import AnswerPoll, ClosePoll, OpenPoll, RevealPoll
from app.core.reducer import decide, evolve, fold
from app.core.reflections import ShareReflection, SubmitReflection
from app.core.roles import AssignRole
from app.core.runofshow import create_workshop
from app.core.setup import ConfigureWorkshop, LockJoining, UnlockJoining, agreement_fingerprint
from app.core.signals import (
    CallNext,
    ClearQueue,
    LowerHand,
    RaiseHand,
    SignalDone,
    WithdrawDone,
)
from app.core.speedmatching import FormMatches, PlanSpeedMatching, RateMatch, SwitchPartner
from app.core.support import AskForHelp, Broadcast, HandleHelp
from app.core.timer import due
from app.core.voting import CastVote, RetractVote, RevealVotes
from app.core.wicked import AnswerWickedQuestion, ProposeWickedQuestion, RefineWickedQuestion
from app.store import SequenceConflict, Store
from tests.factories import (
    AGREED,
    OWNER,
    PARTICIPANT,
    admit,
    board_step,
    plan,
    plan_allowing,
    step_allowing,
)

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
REPLAY_ACTIONS: tuple[Action, ...] = (
    *("notes", "canvas", "reflection", "poll", "hand"),
    *("cluster", "cards", "wicked_questions"),
)

# canvas, reflections, polls, hands and done signals (app/core/personal, polls, signals)
own_commands = st.one_of(  # what a participant does with their own work
    st.builds(UpdateCanvas, idea=st.none() | st.text(max_size=12), goal=st.none() | st.text()),
    st.builds(
        SetMilestone,
        milestone_id=st.sampled_from(["m1", "m2"]),
        what=st.text(max_size=12),
        by_when=st.sampled_from(["2026-12-01", "2027-02-30", "2027-03-15"]),
        how_measured=st.text(max_size=12),
    ),
    st.builds(RemoveMilestone, milestone_id=st.sampled_from(["m1", "m2"])),
    st.builds(ShareCanvas, audience=st.sampled_from(AUDIENCES), granted=st.booleans()),
    st.builds(SubmitReflection, question=st.sampled_from(QUESTIONS), text=st.text(max_size=12)),
    st.builds(
        ShareReflection,
        question=st.sampled_from(QUESTIONS),
        audience=st.sampled_from(AUDIENCES),
        granted=st.booleans(),
    ),
    st.builds(
        AnswerPoll,
        poll_id=st.sampled_from(["q1", "q2"]),
        choices=st.lists(st.integers(0, 5), min_size=1, max_size=2).map(tuple),
    ),
    st.sampled_from([RaiseHand(), LowerHand(), SignalDone(), WithdrawDone()]),
)
chair_commands = st.one_of(  # what a facilitator (or a moderator) does with polls and queues
    st.builds(
        OpenPoll,
        poll_id=st.sampled_from(["q1", "q2"]),
        question=st.just("How is it going?"),
        options=st.sampled_from([(), ("yes", "no"), ("a", "b", "c")]),
        anonymous=st.booleans(),
        multiple=st.booleans(),
    ),
    st.builds(RevealPoll, poll_id=st.sampled_from(["q1", "q2"])),
    st.builds(ClosePoll, poll_id=st.sampled_from(["q1", "q2"])),
    st.builds(CallNext, scope=st.just("plenary"), participant_id=st.sampled_from(["p-1", "p-2"])),
    st.builds(ClearQueue, scope=st.just("plenary")),
)
personal_commands = own_commands | chair_commands

# the shared board (app/core/board, cards, clusters, moderation, voting, wicked)
item_ids = st.sampled_from(["n1", "n2", "q1", "c1"])
short_text = st.text(max_size=12)
board_commands = st.one_of(
    st.builds(
        PostNote,
        item_id=item_ids,
        text=short_text,
        area=st.none() | st.just("a"),
        colour=st.none() | st.just("red"),
        scope=st.none() | st.just("plenary"),
    ),
    st.builds(EditNote, item_id=item_ids, text=short_text),
    st.builds(
        MoveNote,
        item_id=item_ids,
        area=st.none() | st.just("b"),
        x=st.none() | st.floats(-50, 50),
        y=st.none() | st.floats(-50, 50),
        cluster_id=st.none() | st.just("k1"),
        unclustered=st.booleans(),
    ),
    st.builds(ColourNote, item_id=item_ids, colour=st.none() | st.just("#00ff00")),
    st.builds(DeleteNote, item_id=item_ids),
    st.builds(PlaceCard, item_id=item_ids, deck_id=st.just("methods"), card_id=st.just("fish")),
    st.builds(CreateCluster, cluster_id=st.sampled_from(["k1", "k2"]), title=short_text),
    st.builds(RenameCluster, cluster_id=st.sampled_from(["k1", "k2"]), title=short_text),
    st.builds(DeleteCluster, cluster_id=st.sampled_from(["k1", "k2"])),
    st.builds(CastVote, item_id=item_ids),
    st.builds(RetractVote, item_id=item_ids),
    st.builds(RevealVotes, step_index=st.none() | st.integers(0, 3)),
    st.builds(RevealItems, scope=st.none() | st.just("plenary")),
    st.builds(HideItem, item_id=item_ids, reason=st.none() | short_text),
    st.builds(UnhideItem, item_id=item_ids),
    st.builds(MarkConfidential, item_id=item_ids, confidential=st.booleans()),
    st.builds(HarvestGroups),
    st.builds(ProposeWickedQuestion, item_id=item_ids, pole_a=short_text, pole_b=short_text),
    st.builds(
        RefineWickedQuestion,
        item_id=item_ids,
        pole_a=st.none() | short_text,
        pole_b=st.none() | short_text,
    ),
    st.builds(
        AnswerWickedQuestion, item_id=item_ids, answer_id=st.sampled_from(["a1"]), text=short_text
    ),
)
# breakouts, roles, topic rooms, help, speed matching (app/core/breakouts, placement, roles,
# support, speedmatching)
participant_ids = st.sampled_from(["p-1", "p-2", "p-3", "p-4", "p-5"])
group_ids = st.sampled_from(["r1-g1", "r1-g2", "r2-g1", "r2-g2", "r3-g1"])
steer_groups = st.one_of(  # what facilitators do with groups
    st.sampled_from(
        [
            OpenBreakouts(),
            OpenBreakouts(strategy="keep"),
            OpenBreakouts(strategy="keep", keep_roles=True),
            OpenBreakouts(strategy="rotation"),
            OpenBreakouts(strategy="mix", mix_by="organisation"),
            OpenBreakouts(strategy="topics", topics=("Hybrid", "Onboarding"), capacity=2),
            CloseBreakouts(),
            FillTopicRooms(),
            FormMatches(),
        ]
    ),
    st.builds(
        OpenBreakouts,
        strategy=st.sampled_from(["balanced", "mix", "topics", "keep", "rotation"]),
        mix_by=st.none() | st.just("organisation"),
        topics=st.sampled_from([(), ("Hybrid", "Onboarding")]),
        capacity=st.none() | st.just(2),
    ),
    st.builds(MoveParticipant, participant_id=participant_ids, group_id=st.none() | group_ids),
    st.builds(HandleHelp, group_id=group_ids),
    st.builds(Broadcast, text=st.text(max_size=12)),
    st.builds(
        AssignRole, participant_id=participant_ids, role=st.sampled_from(["client", "rest", "x"])
    ),
    st.builds(
        PlanSpeedMatching,
        mentors=st.sampled_from([(), ("p-1",), ("p-1", "p-2")]),
        rounds=st.none() | st.integers(0, 4),
    ),
    st.builds(SwitchPartner, participant_id=participant_ids),
)
join_groups = st.one_of(  # what participants (and the server) do in groups
    st.builds(ChooseTopic, group_id=group_ids),
    st.just(AskForHelp()),
    st.builds(RateMatch, partner_id=participant_ids, score=st.integers(0, 5)),
    st.builds(SwitchPartner, participant_id=participant_ids),
    st.builds(PlaceLateJoiner, participant_id=participant_ids | st.just("p-6")),
)
breakout_commands = steer_groups | join_groups

# workshop settings and plan edits (app/core/setup, planedit)
OTHER_AGREEMENT = Text(de="Wir duzen uns.", en="We use first names.")
NEW_STEPS = (
    (step_allowing("new/write", "notes", "hand"),),
    (
        replace(step_allowing("new/pairs", "notes"), group=GroupConfig(kind="pairs")),
        replace(step_allowing("new/four", "notes"), group=GroupConfig(kind="foursomes")),
    ),
)
setup_commands = st.one_of(
    st.builds(
        ConfigureWorkshop,
        title=st.none() | st.sampled_from(["Kick-off", " ", "x" * 130]),
        join_attributes=st.none() | st.sampled_from([(), ("organisation",), ("salary",)]),
        agreement=st.none() | st.just(OTHER_AGREEMENT),
        video_url=st.none()
        | st.sampled_from(["", "https://meet.example.org/{workshop}-{group}", "javascript:x"]),
    ),
    st.sampled_from([LockJoining(), UnlockJoining()]),
    st.builds(InsertSteps, index=st.integers(-1, 7), steps=st.sampled_from(NEW_STEPS)),
    st.builds(RemoveStep, index=st.integers(-1, 7)),
    st.builds(MoveStep, from_index=st.integers(-1, 7), to_index=st.integers(-1, 7)),
    st.builds(RetimeStep, index=st.integers(-1, 7), minutes=st.sampled_from([0, 0.5, 3, 241])),
)
commands = st.one_of(
    st.just(StartWorkshop()),
    st.just(PauseWorkshop()),
    st.just(ResumeWorkshop()),
    st.builds(ExtendStep, seconds=st.integers(min_value=-10, max_value=900)),
    st.builds(ShortenStep, seconds=st.integers(min_value=1, max_value=900)),
    st.builds(NextStep, from_index=st.none() | st.integers(min_value=0, max_value=5)),
    st.builds(PreviousStep),
    st.builds(JumpToStep, index=st.integers(min_value=-1, max_value=6)),
    st.just(EndWorkshop()),
    st.builds(
        AdmitParticipant,
        participant_id=st.sampled_from(["p-1", "p-2", "p-3"]),
        name=st.text(max_size=12),
        attributes=st.fixed_dictionaries({}, optional={"organisation": st.text(max_size=8)}),
        agreement=st.sampled_from([AGREED, AGREED, "", agreement_fingerprint(OTHER_AGREEMENT)]),
    ),
    st.builds(RemoveParticipant, participant_id=st.sampled_from(["p-1", "p-2"])),
    st.builds(InviteFacilitator, user_id=st.sampled_from(["co@example.org", OWNER.id])),
    personal_commands,
    board_commands,
    breakout_commands,
    setup_commands,
)
script = st.lists(
    st.tuples(
        commands,
        st.sampled_from([OWNER, OWNER, OWNER, PARTICIPANT, SYSTEM]),
        st.floats(min_value=0, max_value=900, allow_nan=False),
    ),
    max_size=40,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("log") / "lernraum.db"
    store = Store(f"sqlite:///{path}")
    store.create_schema()
    yield store
    store.close()


@settings(max_examples=150, deadline=None)
@given(
    steps=script,
    policies=st.sampled_from(["advance", "hold", "ask"]),
    snapshot_at=st.integers(0, 40),
)
def test_replaying_the_stored_log_reproduces_the_live_state(store, steps, policies, snapshot_at):
    """For random command sequences, folding the stored events equals the live state."""
    now = START
    created = create_workshop(
        workshop_id=uuid.uuid4().hex,
        title="Replay",
        owner=OWNER.id,
        plan=plan_allowing(3, 1.5, 10, 2, 4, actions=REPLAY_ACTIONS, on_expiry=policies),
        now=now,
    )
    store.save_workshop(created, now)
    state = fold([created])
    for index, (command, actor, wait) in enumerate(steps):
        now += timedelta(seconds=wait)
        # the scheduler runs before the facilitator's command, as in the live server
        while (expiry := due(state, now)) is not None:
            result = decide(state, expiry, SYSTEM, now)
            assert not isinstance(result, Rejection)
            store.append_events(state.id, state.version, result, now)
            for event in result:
                state = evolve(state, event)
        result = decide(state, command, actor, now)
        if isinstance(result, Rejection):
            continue
        store.append_events(state.id, state.version, result, now)
        for event in result:
            state = evolve(state, event)
        if index == snapshot_at:
            store.save_snapshot(state, now)
    assert store.last_seq(state.id) == state.version
    assert store.load_state(state.id, use_snapshot=False) == state
    assert store.load_state(state.id) == state


def _replay_script(store, plan, script, *, step_s: float, snapshot_at: int):
    """Run a script live into the store; both folds of the stored log must equal the live state."""
    now = START
    created = create_workshop(
        workshop_id=uuid.uuid4().hex, title="Replay", owner=OWNER.id, plan=plan, now=now
    )
    store.save_workshop(created, now)
    state = fold([created])
    for index, (command, actor) in enumerate(script):
        now += timedelta(seconds=step_s)
        result = decide(state, command, actor, now)
        if isinstance(result, Rejection):
            continue
        store.append_events(state.id, state.version, result, now)
        for event in result:
            state = evolve(state, event)
        if index == snapshot_at:
            store.save_snapshot(state, now)
    assert store.load_state(state.id, use_snapshot=False) == state
    assert store.load_state(state.id) == state
    return state


def test_a_second_writer_for_the_same_sequence_fails(store):
    """The (workshop, seq) key refuses a forked log instead of silently merging it."""
    created = create_workshop(
        workshop_id=uuid.uuid4().hex, title="Race", owner=OWNER.id, plan=plan(1), now=START
    )
    store.save_workshop(created, START)
    started = decide(fold([created]), StartWorkshop(), OWNER, START)
    assert not isinstance(started, Rejection)
    store.append_events(created.workshop_id, 1, started, START)
    with pytest.raises(SequenceConflict):
        store.append_events(created.workshop_id, 1, started, START)
    assert store.last_seq(created.workshop_id) == 3


def test_sqlite_connections_use_wal_and_pragmas(store):
    """Every SQLite connection runs in WAL mode with foreign keys and a busy timeout."""
    with store.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


PERSONAL_PLAN = (
    step_allowing("s0/talk", "hand", "poll"),
    step_allowing("s1/canvas", "canvas"),
    step_allowing("s2/check-out", "reflection", "poll", anonymous=True),
    step_allowing("s3/voices", "hand", "notes"),
)

P2 = Actor("participant", "p-2")
EVERY_PERSONAL_EVENT = [  # a script that produces each event type of personal work once
    (JumpToStep(index=1), OWNER),
    (UpdateCanvas(idea="Reverse mentoring", goal="Five pairs"), PARTICIPANT),
    (
        SetMilestone(milestone_id="m1", what="Ask", by_when="2026-12-01", how_measured="Asked"),
        PARTICIPANT,
    ),
    (
        SetMilestone(milestone_id="m2", what="Pair", by_when="2027-01-15", how_measured="5"),
        PARTICIPANT,
    ),
    (RemoveMilestone(milestone_id="m1"), PARTICIPANT),
    (ShareCanvas(audience="export"), PARTICIPANT),
    (JumpToStep(index=2), OWNER),
    (SubmitReflection(question="take_away", text="Ask more"), PARTICIPANT),
    (ShareReflection(question="take_away", audience="plenary"), PARTICIPANT),
    (OpenPoll(poll_id="q1", question="Mood?"), OWNER),
    (AnswerPoll(poll_id="q1", choices=(3,)), PARTICIPANT),
    (AnswerPoll(poll_id="q1", choices=(4,)), P2),
    (AnswerPoll(poll_id="q1", choices=(5,)), PARTICIPANT),
    (RevealPoll(poll_id="q1"), OWNER),
    (ClosePoll(poll_id="q1"), OWNER),
    (JumpToStep(index=0), OWNER),
    (RaiseHand(), PARTICIPANT),
    (RaiseHand(), P2),
    (LowerHand(), P2),
    (RaiseHand(), P2),
    (CallNext(scope="plenary", participant_id="p-1"), OWNER),
    (ClearQueue(scope="plenary"), OWNER),
    (SignalDone(), PARTICIPANT),
    (SignalDone(), P2),
    (WithdrawDone(), P2),
]
ROOM_MOVES = st.builds(JumpToStep, index=st.integers(0, 3)) | st.sampled_from(
    [PauseWorkshop(), ResumeWorkshop(), NextStep(), PreviousStep()]
)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(own_commands, st.sampled_from([PARTICIPANT, P2])),
            st.tuples(own_commands, st.sampled_from([PARTICIPANT, P2])),
            st.tuples(chair_commands, st.just(OWNER)),
            st.tuples(ROOM_MOVES, st.just(OWNER)),
            st.tuples(personal_commands, st.sampled_from([OWNER, PARTICIPANT])),  # wrong senders
        ),
        min_size=10,
        max_size=40,
    ),
    snapshot_at=st.integers(0, 40),
)
@example(steps=EVERY_PERSONAL_EVENT, snapshot_at=12)
def test_replaying_personal_work_reproduces_the_live_state(store, steps, snapshot_at):
    """With two participants in a running room, personal work replays exactly from the log."""
    admitted = [(admit(p), SYSTEM) for p in ("p-1", "p-2")]
    script = [*admitted, (StartWorkshop(), OWNER), *steps]
    _replay_script(store, PERSONAL_PLAN, script, step_s=20, snapshot_at=snapshot_at)


BOARD_PLAN = (
    board_step("s0/board", "notes", "cluster", "cards", "wicked_questions", dots=2, deck="methods"),
    board_step("s1/alone", "notes", "wicked_questions", dots=1, private=True, anonymous=True),
    board_step("s2/wq", "wicked_questions", "notes", dots=3),
    board_step("s3/talk", "hand"),
)
EVERY_BOARD_EVENT = [  # a script that produces each board event type (but the harvest) once
    (PostNote(item_id="n2", text="two", area="a", colour="red"), P2),
    (EditNote(item_id="n2", text="two!"), P2),
    (CreateCluster(cluster_id="k1", title="K"), PARTICIPANT),
    (MoveNote(item_id="n2", x=1.5, y=-2, cluster_id="k1"), PARTICIPANT),
    (ColourNote(item_id="n1", colour="#00ff00"), P2),
    (PlaceCard(item_id="c1", deck_id="methods", card_id="fish"), P2),
    (RenameCluster(cluster_id="k1", title="L"), P2),
    (RefineWickedQuestion(item_id="q1", pole_b="c"), P2),
    (AnswerWickedQuestion(item_id="q1", answer_id="a1", text="try"), P2),
    (CastVote(item_id="q1"), PARTICIPANT),
    (CastVote(item_id="q1"), PARTICIPANT),
    (RetractVote(item_id="q1"), PARTICIPANT),
    (HideItem(item_id="c1", reason="twice"), OWNER),
    (UnhideItem(item_id="c1"), OWNER),
    (MarkConfidential(item_id="n2", confidential=True), P2),
    (DeleteCluster(cluster_id="k1"), OWNER),
    (RevealVotes(), OWNER),
    (NextStep(), OWNER),
    (PostNote(item_id="m1", text="private"), PARTICIPANT),
    (RevealItems(), OWNER),
    (PostNote(item_id="m2", text="private too"), P2),
    (CastVote(item_id="m2"), P2),
    (NextStep(), OWNER),
    (CastVote(item_id="q1"), P2),
    (DeleteNote(item_id="n2"), P2),
]
board_script = st.lists(
    st.tuples(
        st.one_of(board_commands, st.just(NextStep()), st.just(PreviousStep())),
        st.sampled_from([OWNER, PARTICIPANT, P2, P2, PARTICIPANT, SYSTEM]),
    ),
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(steps=board_script, snapshot_at=st.integers(0, 40))
@example(steps=EVERY_BOARD_EVENT, snapshot_at=12)
def test_replaying_a_board_log_reproduces_the_live_board(store, steps, snapshot_at):
    """Board commands with private, anonymous and voting steps replay exactly from the log."""
    setup: list[tuple[Any, Actor]] = [
        *[(admit(p), SYSTEM) for p in ("p-1", "p-2")],
        (StartWorkshop(), OWNER),
        (PostNote(item_id="n1", text="seed"), OWNER),
        (ProposeWickedQuestion(item_id="q1", pole_a="a", pole_b="b"), PARTICIPANT),
    ]
    script = [*setup, *steps]
    _replay_script(store, BOARD_PLAN, script, step_s=7, snapshot_at=snapshot_at)


TEXT = Text(de="x", en="x")
CLIENT = RoleSpec(id="client", name=TEXT, instructions=TEXT, count=1)
REST = RoleSpec(id="rest", name=TEXT, instructions=TEXT)
BREAKOUT_PLAN = (
    replace(step_allowing("l/pairs", "notes"), group=GroupConfig(kind="pairs", avoid_repeats=True)),
    replace(
        step_allowing("l/four", "notes"), group=GroupConfig(kind="foursomes", keep_partners=True)
    ),
    replace(
        step_allowing("troika/ask", "notes", roles=(CLIENT, REST)),
        group=GroupConfig(kind="trios", mix_by="organisation"),
    ),
    replace(
        step_allowing("troika/away", "notes", roles=(replace(CLIENT, acts=False), REST)),
        group=GroupConfig(kind="groups", min_size=2, max_size=3),
    ),
    step_allowing("x/all", "notes"),
)
PARTICIPANTS = [Actor("participant", f"p-{i}") for i in range(1, 7)]
breakout_script = st.lists(
    st.one_of(
        st.tuples(steer_groups, st.just(OWNER)),
        st.tuples(join_groups, st.sampled_from([*PARTICIPANTS, SYSTEM])),
        st.tuples(
            st.builds(JumpToStep, index=st.integers(0, 4))
            | st.builds(RemoveParticipant, participant_id=participant_ids),
            st.just(OWNER),
        ),
        st.tuples(st.just(admit("p-6", "Late")), st.just(SYSTEM)),
        st.tuples(breakout_commands, st.sampled_from([OWNER, SYSTEM, *PARTICIPANTS])),
        st.tuples(setup_commands, st.just(OWNER)),
    ),
    max_size=40,
)


EVERY_BREAKOUT_EVENT: list[tuple[Any, Actor]] = [  # each event type of groups at least once
    # the start opened the pairs of step 0 (round 1)
    *((AskForHelp(), p) for p in PARTICIPANTS),
    *((HandleHelp(group_id=g), OWNER) for g in ("r1-g1", "r1-g2")),
    (Broadcast(text="Five minutes"), OWNER),
    (JumpToStep(index=1), OWNER),  # foursomes of whole pairs (round 2)
    (JumpToStep(index=2), OWNER),  # trios with a client each (round 3)
    *((AssignRole(participant_id=f"p-{i}", role="client"), OWNER) for i in (1, 2)),
    (MoveParticipant(participant_id="p-3"), OWNER),
    (admit("p-6", "Late"), SYSTEM),  # seated at once
    (RemoveParticipant(participant_id="p-2"), OWNER),  # the client's role is handed on
    (admit("p-2", "Back"), SYSTEM),
    (OpenBreakouts(strategy="topics", topics=("Hybrid", "Onboarding"), capacity=3), OWNER),
    (ChooseTopic(group_id="r4-g1"), PARTICIPANTS[0]),
    (admit("p-7", "Later"), SYSTEM),  # topic rooms are chosen: the server places them
    (PlaceLateJoiner(participant_id="p-7"), SYSTEM),
    (FillTopicRooms(), OWNER),
    (CloseBreakouts(), OWNER),
    (JumpToStep(index=0), OWNER),
    (PlanSpeedMatching(mentors=("p-1", "p-2", "p-3")), OWNER),
    (OpenBreakouts(strategy="rotation"), OWNER),
    (OpenBreakouts(strategy="rotation"), OWNER),
    *(
        (RateMatch(partner_id=f"p-{j}", score=4), PARTICIPANTS[i - 1])
        for i in range(1, 7)
        for j in range(1, 7)
    ),
    (FormMatches(), OWNER),
    *((SwitchPartner(participant_id=f"p-{i}"), OWNER) for i in range(1, 7)),
    (InsertSteps(index=5, steps=NEW_STEPS[1]), OWNER),
    (RetimeStep(index=5, minutes=3), OWNER),
    (MoveStep(from_index=5, to_index=6), OWNER),
    (RemoveStep(index=5), OWNER),
    (ConfigureWorkshop(title="Again", video_url="https://v.example.org/{group}"), OWNER),
    (LockJoining(), OWNER),
    (UnlockJoining(), OWNER),
    (OpenPoll(poll_id="q1", question="Mood?"), OWNER),
    (EndWorkshop(), OWNER),  # recalls everyone and closes the poll
]


@settings(max_examples=100, deadline=None)
@given(steps=breakout_script, snapshot_at=st.integers(0, 45))
@example(steps=EVERY_BREAKOUT_EVENT, snapshot_at=20)
def test_replaying_breakouts_reproduces_the_live_groups(store, steps, snapshot_at):
    """Groupings, roles, moves, topic rooms and speed matching replay exactly from the log."""
    setup: list[tuple[Any, Actor]] = [
        (admit(f"p-{i}", f"P{i}", organisation="AB"[i % 2]), SYSTEM) for i in range(1, 6)
    ]
    script = [*setup, (StartWorkshop(), OWNER), *steps]
    _replay_script(store, BREAKOUT_PLAN, script, step_s=11, snapshot_at=snapshot_at)


def test_an_older_log_without_the_new_fields_still_folds():
    """Events and snapshots from before agreements, locks and settings decode with defaults."""
    created = create_workshop(
        workshop_id="old", title="Old", owner=OWNER.id, plan=plan(5), now=START
    )
    joined = decode_event(
        '{"type": "participant.joined", "participant_id": "p-1", "name": "Ada",'
        ' "attributes": {}, "at": "2026-11-25T09:00:00Z"}'
    )
    state = fold([created, joined])
    assert state.participants["p-1"].agreement == ""
    assert (state.locked, state.join_attributes, state.agreement, state.video_url) == (
        False,
        (),
        None,
        None,
    )
    snapshot = json.loads(encode_state(state))
    for name in ("locked", "join_attributes", "agreement", "video_url"):
        del snapshot[name]
    del snapshot["participants"]["p-1"]["agreement"]
    assert decode_state(json.dumps(snapshot)) == state
