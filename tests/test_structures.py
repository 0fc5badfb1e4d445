"""The structure file loader: messages and lines of problems, flattening, the check command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import app.structures
from app.core.plan import GroupConfig, Permissions, Text, total_seconds
from app.structures import (
    SHIPPED_ROOT,
    Library,
    LibraryError,
    Problem,
    check_library,
    load_library,
    run_check,
)
from app.structures_check import SourceMap

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "structures"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
USER = FIXTURES / "user"

SHIPPED_FILES = sorted(SHIPPED_ROOT.rglob("*.toml"))
KICKOFF_SECONDS = 90 * 60
METHOD_DECK = "peer-learning-methods"
METHOD_CARDS = 12
MIN_SHIPPED_STRUCTURES = 20


def _problems(path: Path) -> list[str]:
    """The problems of ``path`` checked together with the valid fixture library."""
    library, problems = check_library(VALID, path)
    assert (library is None) == bool(problems)
    return [str(problem) for problem in problems]


@pytest.fixture
def library() -> Library:
    """The valid fixture library."""
    return load_library(VALID)


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the valid fixtures stand in for the shipped library."""
    monkeypatch.setattr(app.structures, "SHIPPED_ROOT", VALID)


# ------------------------------------------------------------------------------ problems


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("invalid-toml.toml", ["invalid-toml.toml:10: invalid TOML: invalid value"]),
        (
            "unknown-key.toml",
            ["unknown-key.toml:9: unknown key 'fr'", "unknown-key.toml:11: unknown key 'colour'"],
        ),
        (
            "missing-key.toml",
            [
                "missing-key.toml:1: missing key 'description'",
                "missing-key.toml:11: missing key 'title'",
                "missing-key.toml:15: missing key 'minutes'",
            ],
        ),
        (
            "text-twins.toml",
            [
                "text-twins.toml:3: German text without its English twin",
                "text-twins.toml:6: English text without its German twin",
                "text-twins.toml:11: 'title.de' is empty",
            ],
        ),
        (
            "sum-off.toml",
            ["sum-off.toml:6: steps add up to 7.5 minutes, total_minutes says 10"],
        ),
        (
            "agenda.toml",
            [
                "agenda.toml:6: items add up to 42 minutes, total_minutes says 60",
                "agenda.toml:10: structure 'one-two-four-all' has no step 'nowhere'",
            ],
        ),
        (
            "acts-in-unknown.toml",
            [
                "acts-in-unknown.toml:14: role 'speaker' acts in unknown step 'nowhere'",
                "acts-in-unknown.toml:28: only one role may leave out 'count'",
            ],
        ),
        (
            "references.toml",
            [
                "references.toml:10: unknown structure 'no-such-structure'",
                "references.toml:17: unknown deck 'no-such-deck'",
                "references.toml:23: unknown board 'no-such-board'",
            ],
        ),
        (
            "agenda-unknown.toml",
            ["agenda-unknown.toml:9: unknown structure 'no-such-structure'"],
        ),
        (
            "duplicates.toml",
            [
                "duplicates.toml:14: duplicate id 'helper' (also on line 8)",
                "duplicates.toml:24: duplicate id 'one' (also on line 19)",
            ],
        ),
        (
            "duplicate-file-id.toml",
            [
                "duplicate-file-id.toml:2: duplicate id 'one-two-four-all'"
                " (also in valid/one-two-four-all.toml)"
            ],
        ),
        ("foursomes.toml", ["foursomes.toml:17: foursomes need an earlier pairs step"]),
        ("cycle", ["cycle/cycle-a.toml:10: nesting cycle: cycle-a -> cycle-b -> cycle-a"]),
        (
            "use-conflicts.toml",
            [
                "use-conflicts.toml:11: a step with 'use' cannot also set 'group'",
                "use-conflicts.toml:12: a step with 'use' cannot also set 'allow'",
                "use-conflicts.toml:13: a step with 'use' cannot also set 'dots'",
                "use-conflicts.toml:14: a step with 'use' cannot also set 'on_expiry'",
            ],
        ),
        (
            "cards-deck.toml",
            [
                "cards-deck.toml:11: action 'cards' needs a deck",
                "cards-deck.toml:18: a deck needs 'cards' in allow",
            ],
        ),
        (
            "group-keys.toml",
            [
                "group-keys.toml:11: 'min' is only for groups",
                "group-keys.toml:20: 'min' is larger than 'max'",
                "group-keys.toml:22: 'keep_partners' is only for foursomes",
                "group-keys.toml:28: missing key 'max'",
                "group-keys.toml:40: 'minutes_per_person' is only for rounds",
            ],
        ),
        (
            "values.toml",
            [
                "values.toml:2: 'id' must be a slug (a-z, 0-9 and -), got 'Bad Id'",
                'values.toml:3: \'name\' must be a text: { de = "…", en = "…" }',
                "values.toml:10: 'minutes' must be greater than 0",
                "values.toml:11: 'dots' must be less than or equal to 20",
                "values.toml:12: 'on_expiry' must be 'advance', 'hold' or 'ask'",
                "values.toml:15: 'allow' entry 2 must be 'notes', 'cluster', 'cards', 'canvas',"
                " 'poll', 'reflection', 'wicked_questions' or 'hand'",
                "values.toml:17: 'private_until_reveal' must be true or false",
                "values.toml:18: 'group.mix_by' must be 'organisation', 'department'"
                " or 'generation'",
            ],
        ),
        ("deck.toml", ["deck.toml:6: 'cards' needs at least one entry"]),
        ("no-kind.toml", ["no-kind.toml:1: missing key 'kind'"]),
        ("bad-kind.toml", ['bad-kind.toml:2: \'kind\' must be "structure", "agenda" or "deck"']),
    ],
)
def test_problem_messages_and_lines(fixture: str, expected: list[str]) -> None:
    """Each broken fixture yields exactly the documented messages at the offending lines."""
    assert _problems(BROKEN / fixture) == expected


def test_problem_prints_as_file_line_message() -> None:
    """A problem reads as file:line: message."""
    assert str(Problem("structures/ls/triz.toml", 7, "unknown key 'x'")) == (
        "structures/ls/triz.toml:7: unknown key 'x'"
    )


def test_load_library_raises_with_all_problems() -> None:
    """load_library raises LibraryError listing every problem found."""
    with pytest.raises(LibraryError) as raised:
        load_library(VALID, BROKEN / "group-keys.toml")
    assert len(raised.value.problems) == 5
    assert all(problem.file == "group-keys.toml" for problem in raised.value.problems)


def test_broken_file_is_not_reported_again_by_its_users() -> None:
    """A reference to a file that did not validate gives no extra 'unknown structure'."""
    _, problems = check_library(BROKEN / "values.toml", USER / "my-agenda.toml", VALID)
    assert {problem.file for problem in problems} == {"values.toml"}


def test_missing_root_is_a_problem() -> None:
    """A root that does not exist is reported, not raised."""
    library, problems = check_library(FIXTURES / "nope")
    assert library is None
    assert [problem.message for problem in problems] == ["no such file or folder"]


def test_source_map_finds_keys_in_tricky_toml() -> None:
    """The line locator skips strings and comments and follows headers, arrays and inline tables."""
    source = SourceMap((FIXTURES / "locator" / "tricky.toml").read_text())
    assert source.line_of(("id",)) == 3
    assert source.line_of(("name", "en")) == 10
    assert source.line_of(("boards", 0, "areas", 1, "title", "en", "nested")) == 20
    assert source.line_of(("boards", 1, "areas", 1, "title")) == 25
    assert source.line_of(("boards", 1, "areas", 1, "missing")) == 25
    assert source.line_of(("licence", "spdx")) == 29
    assert source.line_of(("nothing",)) == 1


# ----------------------------------------------------------------------------- flattening


def test_valid_fixtures_load(library: Library) -> None:
    """The valid fixtures load into structures, decks and agendas by id."""
    assert sorted(library.structures) == [
        "method-market",
        "one-two-four-all",
        "peer-consult",
        "triz",
    ]
    assert list(library.decks) == ["methods"]
    assert list(library.agendas) == ["demo"]
    assert library.title_of("triz") == Text(de="TRIZ", en="TRIZ")
    assert library.title_of("methods").en == "Methods"


def test_unknown_id_is_a_key_error(library: Library) -> None:
    """plan_for and title_of raise KeyError for an id the library does not have."""
    with pytest.raises(KeyError):
        library.plan_for("nope")
    with pytest.raises(KeyError):
        library.title_of("nope")


def test_structure_plan_keys_seconds_and_settings(library: Library) -> None:
    """A structure flattens to one step per step with whole seconds and its settings."""
    plan = library.plan_for("one-two-four-all")
    assert [step.key for step in plan] == [
        "one-two-four-all/alone",
        "one-two-four-all/pairs",
        "one-two-four-all/foursomes",
        "one-two-four-all/all",
    ]
    assert [step.seconds for step in plan] == [60, 120, 240, 300]
    alone, pairs, foursomes, everyone = plan
    assert alone.title == Text(de="1-2-4-Alle · Allein", en="1-2-4-All · Alone")
    assert alone.permissions == Permissions(actions=frozenset({"notes"}), private_until_reveal=True)
    assert alone.group == GroupConfig(kind="alone", min_size=1, max_size=1)
    assert pairs.group == GroupConfig(kind="pairs", min_size=2, max_size=2)
    assert foursomes.group == GroupConfig(
        kind="foursomes", min_size=4, max_size=4, keep_partners=True
    )
    assert everyone.group == GroupConfig(kind="all", min_size=1, max_size=0)
    assert everyone.permissions.dots == 3
    assert everyone.on_expiry == "hold"
    assert everyone.prompt is None


def test_nested_structure_expands_and_scales(library: Library) -> None:
    """TRIZ runs 1-2-4-All in each segment, scaled to the segment's minutes."""
    plan = library.plan_for("triz")
    assert len(plan) == 12
    assert plan[0].key == "triz/list/one-two-four-all/alone"
    assert plan[0].structure_id == "one-two-four-all"
    assert plan[0].step_id == "alone"
    assert plan[0].title.en == "TRIZ · List · Alone"
    assert [step.seconds for step in plan[:4]] == [60, 120, 240, 300]
    assert [step.seconds for step in plan[4:8]] == [30, 60, 120, 150]
    assert [step.seconds for step in plan[8:]] == [23, 45, 90, 112]
    assert total_seconds(plan) == round(22.5 * 60)


def test_outer_prompt_is_shown_above_nested_prompt(library: Library) -> None:
    """The outer step's prompt comes first, then a blank line, then the nested step's."""
    plan = library.plan_for("triz")
    assert plan[0].prompt == Text(
        de="Wie erreichen wir das Schlimmste?\n\nWas fällt dir ein?",
        en="How do we reach the worst?\n\nWhat comes to mind?",
    )
    assert plan[1].prompt is not None
    assert plan[1].prompt.en == "How do we reach the worst?"
    assert plan[5].prompt is None


def test_agenda_plan_keys_scaling_and_total(library: Library) -> None:
    """An agenda numbers its items, scales them to their minutes and sums exactly."""
    plan = library.plan_for("demo")
    assert plan[0].key == "1/one-two-four-all/alone"
    assert plan[4].key == "2/triz/list/one-two-four-all/alone"
    assert plan[-1].key == "3/method-market/fours"
    assert [step.seconds for step in plan[:4]] == [50, 100, 200, 250]
    assert [step.seconds for step in plan[-4:]] == [69, 208, 69, 104]
    assert total_seconds(plan) == 40 * 60
    assert library.minutes_of("demo") == 40


def test_proportional_scaling_sums_exactly() -> None:
    """Scaled seconds are whole, proportional and add up to the target exactly."""
    cases: list[tuple[list[float], int]] = [
        ([1, 1, 1], 100),
        ([0.5, 2, 4.25, 5], 397),
        ([3], 7),
        ([1, 2], 1),
        ([1, 1, 1, 0.01], 5),
    ]
    for weights, total in cases:
        shares = app.structures.apportion_seconds(weights, total)
        assert sum(shares) == total
        assert all(share >= 0 for share in shares)
    assert app.structures.apportion_seconds([1, 2, 4, 5], 270) == [23, 45, 90, 112]


def test_agenda_prompt_overrides(library: Library) -> None:
    """An item's prompt replaces every step's prompt; prompts replace the named steps'."""
    plan = library.plan_for("demo")
    assert plan[0].prompt == Text(de="Notiere drei Wünsche.", en="Write down three wishes.")
    assert all(
        step.prompt == Text(de="Was wollt ihr lernen?", en="What do you want to learn?")
        for step in plan[1:4]
    )
    assert plan[-1].title == Text(de="Markt · Zu viert", en="Market · Fours")


def test_roles_act_only_in_their_steps(library: Library) -> None:
    """Every step carries all roles of its structure, acting where acts_in allows."""
    plan = library.plan_for("peer-consult")
    acting = {step.step_id: {role.id: role.acts for role in step.roles} for step in plan}
    assert acting == {
        "present": {"case-giver": True, "moderator": True, "advisor": False},
        "ask": {"case-giver": False, "moderator": True, "advisor": True},
        "advise": {"case-giver": False, "moderator": True, "advisor": True},
        "answer": {"case-giver": True, "moderator": True, "advisor": False},
    }
    case_giver = plan[0].roles[0]
    assert case_giver.count == 1
    assert case_giver.name == Text(de="Fallgeber:in", en="Case giver")
    assert plan[0].roles[2].count is None


def test_groups_boards_and_decks_are_copied(library: Library) -> None:
    """Group tables, boards and decks reach the plan steps."""
    present, _, advise, answer = library.plan_for("peer-consult")
    assert present.group == GroupConfig(
        kind="groups", min_size=4, max_size=6, mix_by="organisation", avoid_repeats=True
    )
    assert advise.board == "ideas"
    assert answer.on_expiry == "ask"
    pick, round_, _, fours = library.plan_for("method-market")
    assert pick.deck == "methods"
    assert pick.permissions.allows("cards")
    assert round_.group == GroupConfig(kind="rounds", min_size=1, max_size=0, minutes_per_person=1)
    assert round_.permissions.anonymous
    assert fours.group.keep_partners is False


# -------------------------------------------------------------------------- check command


def test_run_check_reports_problems(shipped: None) -> None:
    """A broken file prints file:line: message and exits with 1."""
    out = io.StringIO()
    assert run_check(BROKEN / "references.toml", out) == 1
    assert out.getvalue().splitlines() == [
        "references.toml:10: unknown structure 'no-such-structure'",
        "references.toml:17: unknown deck 'no-such-deck'",
        "references.toml:23: unknown board 'no-such-board'",
    ]


def test_run_check_resolves_against_shipped_library(shipped: None) -> None:
    """A user's agenda may use shipped structures; the summary counts only its files."""
    out = io.StringIO()
    assert run_check(USER, out) == 0
    assert out.getvalue() == "0 structures, 0 decks, 1 agendas\nmy-agenda: 30 minutes\n"


def test_run_check_on_shipped_library(shipped: None) -> None:
    """Without a path the shipped library is checked and summarised."""
    out = io.StringIO()
    assert run_check(None, out) == 0
    assert out.getvalue() == "4 structures, 1 decks, 1 agendas\ndemo: 40 minutes\n"


def test_run_check_clash_with_shipped_id_is_reported_on_the_user_file(shipped: None) -> None:
    """A user file reusing a shipped id is the one reported."""
    out = io.StringIO()
    assert run_check(BROKEN / "duplicate-file-id.toml", out) == 1
    assert out.getvalue() == (
        "duplicate-file-id.toml:2: duplicate id 'one-two-four-all'"
        " (also in valid/one-two-four-all.toml)\n"
    )


def test_run_check_shows_relative_paths_as_given(
    shipped: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative path is shown as the user typed it."""
    monkeypatch.chdir(FIXTURES)
    out = io.StringIO()
    assert run_check(Path("broken/foursomes.toml"), out) == 1
    assert out.getvalue() == "broken/foursomes.toml:17: foursomes need an earlier pairs step\n"
    out = io.StringIO()
    assert run_check(Path("broken/cycle"), out) == 1
    assert out.getvalue().startswith("broken/cycle/cycle-a.toml:10: nesting cycle:")


def test_run_check_missing_path() -> None:
    """A path that does not exist exits with 1."""
    out = io.StringIO()
    assert run_check(FIXTURES / "nope.toml", out) == 1
    assert "no such file or folder" in out.getvalue()


# ------------------------------------------------------------------------ shipped library


@pytest.fixture(scope="module")
def shipped_check() -> tuple[Library | None, list[Problem]]:
    """The shipped library, checked once."""
    return check_library(SHIPPED_ROOT)


@pytest.mark.parametrize(
    "path", SHIPPED_FILES, ids=[path.relative_to(SHIPPED_ROOT).as_posix() for path in SHIPPED_FILES]
)
def test_shipped_file_loads(
    path: Path, shipped_check: tuple[Library | None, list[Problem]]
) -> None:
    """Every shipped file loads without problems."""
    display = path.relative_to(SHIPPED_ROOT.parent).as_posix()
    assert [str(p) for p in shipped_check[1] if p.file == display] == []


def test_shipped_library_content(shipped_check: tuple[Library | None, list[Problem]]) -> None:
    """The shipped library has enough structures, the kickoff agenda and the method deck."""
    library, problems = shipped_check
    assert problems == []
    assert library is not None
    assert len(library.structures) >= MIN_SHIPPED_STRUCTURES
    assert total_seconds(library.plan_for("peer-learning-kickoff")) == KICKOFF_SECONDS
    assert len(library.decks[METHOD_DECK].cards) == METHOD_CARDS
