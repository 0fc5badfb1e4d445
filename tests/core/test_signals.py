"""Speaking queues and "I'm done": FIFO hands, who may call whom, done counts per group."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import FakeClock
from app.core.actors import SYSTEM, Actor
from app.core.commands import EndWorkshop, NextStep, PreviousStep
from app.core.errors import Rejection
from app.core.groups import Breakouts, Group
from app.core.plan import RoleSpec, Text
from app.core.reducer import decide, evolve
from app.core.signals import (
    CallNext,
    ClearQueue,
    LowerHand,
    RaiseHand,
    SignalDone,
    WithdrawDone,
    done_by_group,
    queue_of,
    speaking_counts,
)
from app.core.state import WorkshopState
from tests.factories import (
    OWNER,
    PARTICIPANT,
    STRANGER,
    running_workshop,
    step_allowing,
    with_groups,
)
from tests.factories import (
    act as apply,
)
from tests.factories import (
    refusal as refused,
)

IDS = ("p-1", "p-2", "p-3", "p-4", "p-5")
P = {pid: Actor("participant", pid) for pid in IDS}
CASE_GIVER = RoleSpec(
    id="case_giver",
    name=Text(de="Fallgeber", en="Case giver"),
    instructions=Text(de="-", en="-"),
    acts=False,
)
MODERATOR = RoleSpec(
    id="moderator", name=Text(de="Moderation", en="Moderator"), instructions=Text(de="-", en="-")
)
STEPS = (
    step_allowing("s0/discuss", "hand", "notes", roles=(CASE_GIVER, MODERATOR)),
    step_allowing("s1/write", "notes"),
)
G1 = Group(
    id="r1-g1", members=("p-1", "p-2", "p-3"), roles={"p-1": "moderator", "p-2": "case_giver"}
)
G2 = Group(id="r1-g2", members=("p-4", "p-5"), roles={"p-4": "moderator"})


def call(scope: str, head: str) -> CallNext:
    """A call of the next speaker as a chair who saw ``head`` first in the queue sends it."""
    return CallNext(scope=scope, participant_id=head)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def plenary(clock: FakeClock) -> WorkshopState:
    return running_workshop(STEPS, clock.now(), IDS)


@pytest.fixture
def groups(plenary: WorkshopState) -> WorkshopState:
    return with_groups(plenary, G1, G2)


def test_hands_queue_first_come_first_called(plenary, clock):
    """The facilitator calls hands in the order they went up, and every call is recorded."""
    for pid in ("p-3", "p-1", "p-2"):
        plenary = apply(plenary, RaiseHand(), P[pid], clock.advance(1))
    assert queue_of(plenary, "plenary") == ("p-3", "p-1", "p-2")
    called = []
    for _ in range(3):
        head = queue_of(plenary, "plenary")[0]
        plenary = apply(plenary, call("plenary", head), OWNER, clock.advance(30))
        called.append(plenary.signals.calls[-1].participant_id)
    assert called == ["p-3", "p-1", "p-2"]
    assert refused(plenary, call("plenary", "p-2"), OWNER, clock.now()) == "queue_empty"
    plenary = apply(plenary, RaiseHand(), P["p-3"], clock.now())
    plenary = apply(plenary, call("plenary", "p-3"), OWNER, clock.now())
    assert speaking_counts(plenary) == {"p-3": 2, "p-1": 1, "p-2": 1}


def test_a_second_press_of_call_next_is_refused_as_stale(plenary, clock):
    """Two presses naming the same head call one person; the second is stale_queue."""
    for pid in ("p-3", "p-1"):
        plenary = apply(plenary, RaiseHand(), P[pid], clock.advance(1))
    press = call("plenary", "p-3")
    first = apply(plenary, press, OWNER, clock.advance(1))
    assert refused(first, press, OWNER, clock.now()) == "stale_queue"
    assert refused(plenary, call("plenary", "p-1"), OWNER, clock.now()) == "stale_queue"
    assert [c.participant_id for c in first.signals.calls] == ["p-3"]
    assert queue_of(first, "plenary") == ("p-1",)


def test_a_hand_goes_up_once_and_only_its_owner_lowers_it(plenary, clock):
    """Raising twice is already_queued; lowering without a hand up is not_queued."""
    plenary = apply(plenary, RaiseHand(), PARTICIPANT, clock.now())
    assert refused(plenary, RaiseHand(), PARTICIPANT, clock.now()) == "already_queued"
    assert refused(plenary, LowerHand(), P["p-2"], clock.now()) == "not_queued"
    assert refused(plenary, RaiseHand(), OWNER, clock.now()) == "not_participant"
    plenary = apply(plenary, NextStep(), OWNER, clock.now())  # no hands in this step
    assert refused(plenary, RaiseHand(), P["p-2"], clock.now()) == "action_not_allowed"
    plenary = apply(plenary, LowerHand(), PARTICIPANT, clock.now())  # lowering always works
    assert queue_of(plenary, "plenary") == ()
    assert plenary.signals.queues == {}


def test_hands_go_to_the_queue_of_the_own_group(groups, clock):
    """In breakouts each group has its own queue."""
    for pid in ("p-3", "p-4", "p-1"):
        groups = apply(groups, RaiseHand(), P[pid], clock.advance(1))
    assert queue_of(groups, "r1-g1") == ("p-3", "p-1")
    assert queue_of(groups, "r1-g2") == ("p-4",)


def test_a_listening_role_raises_no_hand(groups, clock):
    """The case giver's role does not act in this step, so their hand stays down."""
    assert refused(groups, RaiseHand(), P["p-2"], clock.now()) == "action_not_allowed"


def test_a_moderator_chairs_their_own_group_only(groups, clock):
    """The moderator calls and clears in their group; others' groups and the plenary are refused."""
    for pid in ("p-3", "p-5"):
        groups = apply(groups, RaiseHand(), P[pid], clock.now())
    assert refused(groups, call("r1-g2", "p-5"), P["p-1"], clock.now()) == "not_moderator"
    assert refused(groups, call("plenary", "p-3"), P["p-1"], clock.now()) == "not_moderator"
    assert refused(groups, call("r1-g1", "p-3"), P["p-3"], clock.now()) == "not_moderator"
    assert refused(groups, call("r1-g1", "p-3"), STRANGER, clock.now()) == "not_facilitator"
    assert refused(groups, call("r1-g1", "p-3"), SYSTEM, clock.now()) == "not_facilitator"
    groups = apply(groups, call("r1-g1", "p-3"), P["p-1"], clock.now())
    assert groups.signals.calls[-1].by == "p-1"
    assert refused(groups, ClearQueue(scope="r1-g2"), P["p-1"], clock.now()) == "not_moderator"
    groups = apply(groups, ClearQueue(scope="r1-g2"), P["p-4"], clock.now())
    assert groups.signals.queues == {}
    assert refused(groups, ClearQueue(scope="r1-g2"), OWNER, clock.now()) == "queue_empty"
    assert refused(groups, ClearQueue(scope=""), OWNER, clock.now()) == "invalid_argument"


def test_a_facilitator_chairs_every_queue(groups, clock):
    """Facilitators call and clear in every group and the plenary."""
    groups = apply(groups, RaiseHand(), P["p-5"], clock.now())
    groups = apply(groups, RaiseHand(), P["p-3"], clock.now())
    groups = apply(groups, call("r1-g2", "p-5"), OWNER, clock.now())
    groups = apply(groups, ClearQueue(scope="r1-g1"), OWNER, clock.now())
    assert groups.signals.queues == {}
    assert speaking_counts(groups, "r1-g2") == {"p-5": 1}
    assert speaking_counts(groups, "r1-g1") == {}


def test_done_counts_per_group_and_for_the_plenary(groups, clock):
    """done_by_group counts done members of every group; outside breakouts, the whole room."""
    for pid in ("p-1", "p-2", "p-4"):
        groups = apply(groups, SignalDone(), P[pid], clock.now())
    groups = apply(groups, WithdrawDone(), P["p-2"], clock.now())
    assert done_by_group(groups) == {"r1-g1": (1, 3), "r1-g2": (1, 2)}
    assert refused(groups, SignalDone(), P["p-1"], clock.now()) == "already_done"
    assert refused(groups, WithdrawDone(), P["p-2"], clock.now()) == "not_done"
    assert refused(groups, SignalDone(), OWNER, clock.now()) == "not_participant"
    plenary = apply(groups, SignalDone(), P["p-5"], clock.now())
    plenary = replace(plenary, breakouts=Breakouts())
    assert done_by_group(plenary) == {"plenary": (3, 5)}


def test_going_back_to_a_step_starts_its_done_signals_fresh(plenary, clock):
    """Done is per step run: after next and back, nobody is done yet."""
    plenary = apply(plenary, SignalDone(), PARTICIPANT, clock.now())
    assert done_by_group(plenary) == {"plenary": (1, 5)}
    plenary = apply(plenary, NextStep(), OWNER, clock.now())
    assert done_by_group(plenary) == {"plenary": (0, 5)}
    plenary = apply(plenary, PreviousStep(), OWNER, clock.now())
    assert plenary.cursor == 0
    assert done_by_group(plenary) == {"plenary": (0, 5)}
    plenary = apply(plenary, SignalDone(), PARTICIPANT, clock.now())


def test_signals_end_with_the_workshop(plenary, clock):
    """An ended workshop takes no hands, calls or done signals; the view is empty."""
    plenary = apply(plenary, RaiseHand(), PARTICIPANT, clock.now())
    assert plenary.signals.queues["plenary"]
    ended = apply(plenary, EndWorkshop(), OWNER, clock.now())
    assert not any(ended.signals.queues.values())  # the hands still up went down
    for command, actor in [
        (RaiseHand(), P["p-2"]),
        (LowerHand(), PARTICIPANT),
        (SignalDone(), PARTICIPANT),
        (call("plenary", "p-1"), OWNER),
        (ClearQueue(scope="plenary"), OWNER),
    ]:
        assert refused(ended, command, actor, clock.now()) == "workshop_ended"
    assert done_by_group(ended) == {}


@given(
    st.lists(
        st.tuples(st.sampled_from(["raise", "lower", "call"]), st.sampled_from(IDS)), max_size=40
    )
)
def test_the_queue_is_always_fifo_without_duplicates(script):
    """For any raise/lower/call sequence, the queue equals a FIFO model; calls name the head."""
    clock = FakeClock()
    state = running_workshop(STEPS, clock.now(), IDS)
    model: list[str] = []
    for action, pid in script:
        clock.advance(1)
        if action == "raise":
            result = decide(state, RaiseHand(), P[pid], clock.now())
            assert isinstance(result, Rejection) == (pid in model)
            if pid not in model:
                model.append(pid)
        elif action == "lower":
            result = decide(state, LowerHand(), P[pid], clock.now())
            assert isinstance(result, Rejection) == (pid not in model)
            if pid in model:
                model.remove(pid)
        else:
            result = decide(state, call("plenary", pid), OWNER, clock.now())
            assert isinstance(result, Rejection) == (not model or model[0] != pid)
            if model and model[0] == pid:
                model.pop(0)
        if not isinstance(result, Rejection):
            for event in result:
                state = evolve(state, event)
        assert list(queue_of(state, "plenary")) == model
