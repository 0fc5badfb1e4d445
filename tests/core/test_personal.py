"""Canvas and check-out reflections: private by default, changed and shared by the owner only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.clock import FakeClock
from app.core.actors import SYSTEM, Actor
from app.core.commands import EndWorkshop, NextStep
from app.core.groups import Group
from app.core.personal import (
    MAX_IDEA_CHARS,
    MAX_MILESTONES,
    RemoveMilestone,
    SetMilestone,
    ShareCanvas,
    UpdateCanvas,
)
from app.core.personalstate import AUDIENCES
from app.core.reducer import decide
from app.core.reflections import ShareReflection, SubmitReflection
from app.core.state import WorkshopState
from tests.factories import (
    OWNER,
    PARTICIPANT,
    admit,
    running_workshop,
    step_allowing,
    with_groups,
    workshop,
)
from tests.factories import (
    act as apply,
)
from tests.factories import (
    refusal as refused,
)

P2 = Actor("participant", "p-2")
GUEST = Actor("participant", "p-9")  # never joined

STEPS = (
    step_allowing("s0/talk", "notes"),
    step_allowing("s1/canvas", "canvas"),
    step_allowing("s2/reflect", "reflection", "poll", anonymous=True),
    step_allowing("s3/share", "reflection"),
    step_allowing("s4/wrap", "notes"),
)


def at_step(index: int, clock: FakeClock, ids: tuple[str, ...] = ("p-1", "p-2")) -> WorkshopState:
    """The workshop moved on to step ``index``."""
    state = running_workshop(STEPS, clock.now(), ids)
    for _ in range(index):
        state = apply(state, NextStep(), OWNER, clock.now())
    return state


def milestone(mid: str = "m1", by_when: str = "2026-12-15", **changes: str) -> SetMilestone:
    """A valid milestone command, with ``changes``."""
    fields = {"what": "Run a first learning circle", "how_measured": "It took place"} | changes
    return SetMilestone(milestone_id=mid, by_when=by_when, **fields)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_canvas_starts_in_a_canvas_step_and_stays_editable_later(clock):
    """The first edit needs a canvas step; afterwards the owner keeps editing in later steps."""
    state = at_step(0, clock)
    assert refused(state, UpdateCanvas(idea="x"), PARTICIPANT, clock.now()) == "action_not_allowed"
    assert refused(state, milestone(), PARTICIPANT, clock.now()) == "action_not_allowed"
    state = apply(state, NextStep(), OWNER, clock.now())
    state = apply(state, UpdateCanvas(idea="Reverse mentoring"), PARTICIPANT, clock.now())
    state = apply(state, NextStep(), OWNER, clock.now())
    state = apply(state, UpdateCanvas(goal="Pairs by spring"), PARTICIPANT, clock.now())
    canvas = state.personal.canvases["p-1"]
    assert (canvas.idea, canvas.goal, canvas.consents) == (
        "Reverse mentoring",
        "Pairs by spring",
        frozenset(),
    )
    assert refused(state, UpdateCanvas(idea="late"), P2, clock.now()) == "action_not_allowed"


def test_only_the_owner_edits_or_shares_a_canvas(clock):
    """Facilitators, the server and strangers are refused; a participant reaches only their own."""
    state = apply(at_step(1, clock), UpdateCanvas(idea="Mine"), PARTICIPANT, clock.now())
    state = apply(state, milestone(), PARTICIPANT, clock.now())
    for command in (
        UpdateCanvas(idea="Theirs"),
        milestone(what="Overwritten"),
        RemoveMilestone(milestone_id="m1"),
        ShareCanvas(audience="plenary"),
    ):
        assert refused(state, command, OWNER, clock.now()) == "not_owner"
        assert refused(state, command, SYSTEM, clock.now()) == "not_owner"
        assert refused(state, command, GUEST, clock.now()) == "not_participant"
    other = apply(state, UpdateCanvas(idea="Hers"), P2, clock.now())
    assert other.personal.canvases["p-1"] == state.personal.canvases["p-1"]
    assert other.personal.canvases["p-2"].idea == "Hers"


def test_canvas_consents_are_separate_explicit_choices(clock):
    """Each audience is granted or withdrawn alone; 'private' withdraws every consent."""
    state = apply(at_step(1, clock), UpdateCanvas(idea="Idea"), PARTICIPANT, clock.now())
    assert refused(state, ShareCanvas(audience="group"), PARTICIPANT, clock.now()) == (
        "invalid_argument"
    )
    state = apply(state, ShareCanvas(audience="plenary"), PARTICIPANT, clock.now())
    state = apply(state, ShareCanvas(audience="export"), PARTICIPANT, clock.now())
    assert state.personal.canvases["p-1"].consents == {"plenary", "export"}
    state = apply(state, ShareCanvas(audience="plenary", granted=False), PARTICIPANT, clock.now())
    assert state.personal.canvases["p-1"].consents == {"export"}
    grouped = with_groups(state, Group(id="r1-g1", members=("p-1", "p-2")))
    grouped = apply(grouped, ShareCanvas(audience="group"), PARTICIPANT, clock.now())
    canvas = grouped.personal.canvases["p-1"]
    assert (canvas.consents, canvas.group_id) == ({"export", "group"}, "r1-g1")
    assert decide(grouped, ShareCanvas(audience="export"), PARTICIPANT, clock.now()) == []
    private = ShareCanvas(audience="private", granted=False)
    assert refused(grouped, private, PARTICIPANT, clock.now()) == "invalid_argument"
    grouped = apply(grouped, ShareCanvas(audience="private"), PARTICIPANT, clock.now())
    canvas = grouped.personal.canvases["p-1"]
    assert (canvas.consents, canvas.group_id) == (frozenset(), None)
    odd = ShareCanvas(audience="world")  # type: ignore[arg-type]
    assert refused(grouped, odd, PARTICIPANT, clock.now()) == "invalid_argument"
    assert refused(grouped, ShareCanvas(audience="plenary"), P2, clock.now()) == "invalid_argument"


@pytest.mark.parametrize(
    "by_when",
    ["2026-02-30", "2026-1-05", "26-12-01", "2026-12-01T10:00", "20261201", "２０２６-12-01", ""],
)
def test_milestone_dates_must_be_real_calendar_days(clock, by_when):
    """by_when is a real date written YYYY-MM-DD with ASCII digits."""
    state = at_step(1, clock)
    assert refused(state, milestone(by_when=by_when), PARTICIPANT, clock.now()) == (
        "invalid_argument"
    )


def test_milestone_dates_lie_between_yesterday_and_ten_years_ahead(clock):
    """A day before yesterday or more than ten years out is refused; yesterday is fine."""
    state = at_step(1, clock)  # the fake clock says 2026-11-25
    for by_when in ("2026-11-23", "2037-01-01"):
        assert refused(state, milestone(by_when=by_when), PARTICIPANT, clock.now()) == (
            "invalid_argument"
        )
    state = apply(state, milestone(by_when="2026-11-24"), PARTICIPANT, clock.now())
    assert state.personal.canvases["p-1"].milestones[0].by_when == "2026-11-24"


def test_milestones_are_bounded_replaced_in_place_and_removed(clock):
    """At most ten milestones; setting an id again replaces it where it was; removal is exact."""
    state = at_step(1, clock)
    for n in range(MAX_MILESTONES):
        state = apply(state, milestone(f"m{n}"), PARTICIPANT, clock.now())
    assert refused(state, milestone("m-extra"), PARTICIPANT, clock.now()) == "invalid_argument"
    state = apply(state, milestone("m3", what="Sharper"), PARTICIPANT, clock.now())
    milestones = state.personal.canvases["p-1"].milestones
    assert [m.id for m in milestones] == [f"m{n}" for n in range(MAX_MILESTONES)]
    assert milestones[3].what == "Sharper"
    state = apply(state, RemoveMilestone(milestone_id="m3"), PARTICIPANT, clock.now())
    assert len(state.personal.canvases["p-1"].milestones) == MAX_MILESTONES - 1
    gone = RemoveMilestone(milestone_id="m3")
    assert refused(state, gone, PARTICIPANT, clock.now()) == "no_such_milestone"
    for bad in (
        milestone("a b"),
        milestone("x" * 41),
        milestone(what=" "),
        milestone(how_measured=""),
    ):
        assert refused(state, bad, PARTICIPANT, clock.now()) == "invalid_argument"


def test_canvas_text_is_cleaned_and_bounded(clock):
    """Control characters go, line breaks stay; overlong or empty updates are refused."""
    state = at_step(1, clock)
    state = apply(
        state, UpdateCanvas(idea=" One\x00 line\r\nTwo\u202e \n"), PARTICIPANT, clock.now()
    )
    assert state.personal.canvases["p-1"].idea == "One line\nTwo"
    too_long = UpdateCanvas(goal="g" * (MAX_IDEA_CHARS + 1))
    assert refused(state, too_long, PARTICIPANT, clock.now()) == "invalid_argument"
    assert refused(state, UpdateCanvas(), PARTICIPANT, clock.now()) == "invalid_argument"
    state = apply(state, UpdateCanvas(idea=""), PARTICIPANT, clock.now())
    assert state.personal.canvases["p-1"].idea == ""


def test_reflections_answer_three_questions_in_reflection_steps_only(clock):
    """Only the three check-out questions, only where the step asks, only by participants."""
    answer = SubmitReflection(question="exciting", text="The method cards")
    assert refused(at_step(1, clock), answer, PARTICIPANT, clock.now()) == "action_not_allowed"
    state = at_step(2, clock)
    odd = SubmitReflection(question="salary", text="x")  # type: ignore[arg-type]
    assert refused(state, odd, PARTICIPANT, clock.now()) == "invalid_argument"
    empty = SubmitReflection(question="exciting", text=" \x07 ")
    assert refused(state, empty, PARTICIPANT, clock.now()) == "invalid_argument"
    assert refused(state, answer, OWNER, clock.now()) == "not_owner"
    assert refused(state, answer, GUEST, clock.now()) == "not_participant"
    for question in ("exciting", "learn_more", "take_away"):
        state = apply(
            state, SubmitReflection(question=question, text="x"), PARTICIPANT, clock.now()
        )
    assert set(state.personal.reflections["p-1"]) == {"exciting", "learn_more", "take_away"}


def test_a_reflection_from_an_anonymous_step_stays_anonymous(clock):
    """Rewriting it in a named step keeps the anonymous flag and the first step's index."""
    state = at_step(2, clock)
    state = apply(state, SubmitReflection(question="take_away", text="A"), PARTICIPANT, clock.now())
    state = apply(state, NextStep(), OWNER, clock.now())
    state = apply(state, SubmitReflection(question="take_away", text="B"), PARTICIPANT, clock.now())
    state = apply(state, SubmitReflection(question="exciting", text="C"), PARTICIPANT, clock.now())
    mine = state.personal.reflections["p-1"]
    assert (mine["take_away"].text, mine["take_away"].anonymous) == ("B", True)
    assert (mine["take_away"].author, mine["take_away"].step_index) == ("p-1", 2)
    assert (mine["exciting"].anonymous, mine["exciting"].step_index) == (False, 3)


def test_reflections_are_shared_one_answer_and_one_audience_at_a_time(clock):
    """Sharing one answer leaves the others private; a rewrite keeps the consents."""
    state = at_step(2, clock)
    for question in ("exciting", "take_away"):
        state = apply(
            state, SubmitReflection(question=question, text="x"), PARTICIPANT, clock.now()
        )
    share = ShareReflection(question="take_away", audience="plenary")
    assert refused(state, share, OWNER, clock.now()) == "not_owner"
    assert refused(state, share, P2, clock.now()) == "invalid_argument"  # p-2 has no answer
    unanswered = ShareReflection(question="learn_more", audience="plenary")
    assert refused(state, unanswered, PARTICIPANT, clock.now()) == "invalid_argument"
    state = apply(state, share, PARTICIPANT, clock.now())
    state = apply(state, SubmitReflection(question="take_away", text="y"), PARTICIPANT, clock.now())
    mine = state.personal.reflections["p-1"]
    assert mine["take_away"].consents == {"plenary"}
    assert mine["exciting"].consents == frozenset()
    withdraw = ShareReflection(question="take_away", audience="plenary", granted=False)
    state = apply(state, withdraw, PARTICIPANT, clock.now())
    assert state.personal.reflections["p-1"]["take_away"].consents == frozenset()


def test_personal_work_waits_for_the_start_and_stops_at_the_end(clock):
    """Nothing personal happens in the lobby or after the end."""
    lobby = apply(
        workshop(STEPS, clock.now()),
        admit("p-1", "Ada"),
        SYSTEM,
        clock.now(),
    )
    assert refused(lobby, UpdateCanvas(idea="x"), PARTICIPANT, clock.now()) == (
        "workshop_not_started"
    )
    state = apply(at_step(1, clock), UpdateCanvas(idea="x"), PARTICIPANT, clock.now())
    ended = apply(state, EndWorkshop(), OWNER, clock.now())
    for command in (UpdateCanvas(idea="y"), ShareCanvas(audience="export"), milestone()):
        assert refused(ended, command, PARTICIPANT, clock.now()) == "workshop_ended"


@given(
    choices=st.lists(st.tuples(st.sampled_from(AUDIENCES), st.booleans()), max_size=25),
)
def test_consents_follow_exactly_the_owners_choices(choices):
    """For any sequence of choices, each audience's consent is the last choice about it."""
    clock = FakeClock()
    state = apply(at_step(1, clock, ("p-1",)), UpdateCanvas(idea="x"), PARTICIPANT, clock.now())
    state = with_groups(state, Group(id="r1-g1", members=("p-1",)))
    expected: set[str] = set()
    for audience, granted in choices:
        command = ShareCanvas(audience=audience, granted=granted)
        if audience == "private" and not granted:
            assert refused(state, command, PARTICIPANT, clock.now()) == "invalid_argument"
            continue
        state = apply(state, command, PARTICIPANT, clock.now())
        if audience == "private":
            expected.clear()
        elif granted:
            expected.add(audience)
        else:
            expected.discard(audience)
        assert state.personal.canvases["p-1"].consents == expected
    assert (state.personal.canvases["p-1"].group_id is not None) == ("group" in expected)
