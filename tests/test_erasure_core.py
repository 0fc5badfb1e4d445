"""Erasure and anonymisation as events, and the log redaction that follows them (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from app.codec import encode_event
from app.core.actors import SYSTEM, Actor
from app.core.commands import EndWorkshop
from app.core.erasure import AnonymiseWorkshop, EraseContributions
from app.core.reducer import Event, decide, fold
from app.erasure import folds_alike, redaction_for
from app.export import build_bundle
from tests.recorded import (
    ANONYMISED,
    EXPORT_NOW,
    NAMES,
    OWNER,
    P1,
    P2,
    Recorder,
    record,
)

P2_TEXTS = ('=HYPERLINK(\\"http://x\\")', "SECRET-PRIVATE-CANVAS", "SECRET-UNSHARED-REFLECTION")


def _redacted(events: Sequence[Event], erasure_at: int) -> list[Event]:
    """The log with everything before the erasure at ``erasure_at`` redacted."""
    before = list(events[:erasure_at])
    changes = redaction_for(before, events[erasure_at])
    redacted = [changes.get(n, e) for n, e in enumerate(before)]
    assert folds_alike(before, redacted, events[erasure_at:])
    return redacted + list(events[erasure_at:])


def _text(events: Sequence[Event]) -> str:
    return "\n".join(encode_event(event) for event in events)


def _erase(run: Recorder, actor: Actor, leave: bool = False) -> int:
    """Erase ``actor``'s contributions; the position of the erasure event in the log."""
    position = len(run.events)
    run(EraseContributions(leave=leave), actor)
    return position


def test_erasure_takes_a_participants_work_out_of_the_state() -> None:
    run = record()
    poll_before = run.state.polls.by_id["poll-mood"]
    _erase(run, P2)
    state = run.state
    assert all(item.deleted for item in state.board.items.values() if item.author == "p-2")
    assert state.board.items["n-formel"].text == ""
    assert "p-2" not in state.personal.canvases
    assert "p-2" not in state.personal.reflections
    assert all("p-2" not in round_.ballots for round_ in state.board.votes.values())
    mood = state.polls.by_id["poll-mood"]
    assert "p-2" not in mood.voters
    assert mood.tallies == poll_before.tallies  # closed and anonymous: nobody's choice any more
    assert "p-2" in state.participants  # erasing the work is not leaving
    # the others' work stays
    assert state.board.items["n-austausch"].text == "Mehr Austausch zwischen Standorten"
    assert state.personal.canvases["p-1"].idea == "Lernpartnerschaften"


def test_erasure_gives_dots_on_erased_items_back_and_recounts_votes() -> None:
    run = record()
    _erase(run, P1)  # p-1 wrote n-austausch, which p-1, p-2 and p-3 dotted
    for round_ in run.state.board.votes.values():
        for counts in round_.tallies.values():
            assert "n-austausch" not in counts
        assert "p-1" not in round_.ballots
        assert all(dot.item_id != "n-austausch" for b in round_.ballots.values() for dot in b)


def test_the_redacted_log_folds_to_the_live_state_without_the_texts() -> None:
    run = record()
    at = _erase(run, P2)
    redacted = _redacted(run.events, at)
    assert fold(redacted) == run.state
    original, rewritten = _text(run.events[:at]), _text(redacted)
    for secret in P2_TEXTS:
        assert secret in original
        assert secret not in rewritten
    assert "Mehr Austausch zwischen Standorten" in rewritten  # p-1's note stays
    assert NAMES["p-2"] in rewritten  # still in the workshop under their name


def test_erase_me_also_takes_the_name_and_the_attributes() -> None:
    run = record()
    at = _erase(run, P2, leave=True)
    assert "p-2" not in run.state.participants
    redacted = _redacted(run.events, at)
    assert fold(redacted) == run.state
    rewritten = _text(redacted)
    assert NAMES["p-2"] not in rewritten
    assert NAMES["p-1"] in rewritten


def test_every_participant_erased_in_turn_still_replays() -> None:
    run = record()
    log = list(run.events)
    for actor in (P1, P2, Actor("participant", "p-3"), Actor("participant", "p-4")):
        at = len(log)
        run(EraseContributions(leave=True), actor)
        log = _redacted([*log, *run.events[at:]], at)
        assert fold(log) == run.state
    rewritten = _text(log)
    for name in NAMES.values():
        assert name not in rewritten
    assert run.state.participants == {}
    assert not [i for i in run.state.board.items.values() if not i.deleted and i.text]


def test_only_a_participant_erases_and_only_their_own() -> None:
    state = record().state
    refused = decide(state, EraseContributions(), OWNER, EXPORT_NOW)
    assert not isinstance(refused, list) and refused.code == "not_participant"
    events = decide(state, EraseContributions(), P2, EXPORT_NOW)
    assert isinstance(events, list)
    assert [getattr(e, "participant_id", None) for e in events] == ["p-2"]


def _ended() -> Recorder:
    run = record()
    run(EndWorkshop(), OWNER)
    return run


def test_anonymising_needs_the_server_and_an_ended_workshop() -> None:
    running = record().state
    refused = decide(running, AnonymiseWorkshop(), SYSTEM, EXPORT_NOW)
    assert not isinstance(refused, list) and refused.code == "workshop_not_ended"
    ended = _ended().state
    refused = decide(ended, AnonymiseWorkshop(), OWNER, EXPORT_NOW)
    assert not isinstance(refused, list) and refused.code == "not_facilitator"


def test_anonymising_keeps_the_outcome_record_exactly() -> None:
    run = _ended()
    before = build_bundle(run.state, EXPORT_NOW)
    at = len(run.events)
    run(AnonymiseWorkshop(), SYSTEM)
    assert build_bundle(run.state, EXPORT_NOW) == before
    redacted = _redacted(run.events, at)
    assert fold(redacted) == run.state
    assert build_bundle(fold(redacted), EXPORT_NOW) == before


def test_anonymising_removes_names_and_what_the_record_does_not_hold() -> None:
    run = _ended()
    at = len(run.events)
    run(AnonymiseWorkshop(), SYSTEM)
    state = run.state
    assert {p.name for p in state.participants.values()} == {
        f"Teilnehmer:in {n}" for n in range(1, 5)
    }
    assert all(not p.attributes for p in state.participants.values())
    assert set(state.personal.canvases) == {"p-1"}  # the one shared for the export
    mood = state.polls.by_id["poll-mood"]
    assert not set(mood.voters) & set(NAMES)
    rewritten = _text(_redacted(run.events, at))
    gone = ANONYMISED  # (ending the workshop revealed the private note: an outcome now)
    for secret in gone:
        assert secret not in rewritten, secret
    assert '"participant_id":"p-2","choices"' not in rewritten.replace(" ", "")
    assert "Mehr Zeit für Pausen" in rewritten  # shared for the export: an outcome
