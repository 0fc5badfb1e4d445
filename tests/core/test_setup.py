"""Workshop settings: title, join form, working agreement, video room, and the locked door."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from app.core.actors import SYSTEM
from app.core.commands import EndWorkshop
from app.core.plan import Text
from app.core.reducer import decide
from app.core.setup import (
    DEFAULT_AGREEMENT,
    ConfigureWorkshop,
    LockJoining,
    UnlockJoining,
    agreement_fingerprint,
    agreement_of,
    video_link,
)
from tests.factories import (
    AGREED,
    OWNER,
    PARTICIPANT,
    STRANGER,
    act,
    admit,
    plan,
    refusal,
    running_workshop,
    workshop,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OURS = Text(de="Wir duzen uns.", en="We use first names.")


def test_the_default_agreement_names_confidentiality_equality_respect_and_own_voice():
    """German first, English alongside: the four promises of the working agreement."""
    german, english = DEFAULT_AGREEMENT.de, DEFAULT_AGREEMENT.en
    for phrase in ("Vertraulichkeit", "bleibt im Raum", "Augenhöhe", "Respekt", "für sich"):
        assert phrase in german
    for phrase in (
        "Confidentiality",
        "stays in the room",
        "equal footing",
        "respect",
        "themselves",
    ):
        assert phrase in english


def test_the_fingerprint_is_sixteen_hex_digits_of_sha256_over_both_languages():
    """The fingerprint changes with either language and is the start of a sha256 hex digest."""
    fingerprint = agreement_fingerprint(OURS)
    assert len(fingerprint) == 16 and int(fingerprint, 16) >= 0
    expected = hashlib.sha256(f"{OURS.de}\x1f{OURS.en}".encode()).hexdigest()[:16]
    assert fingerprint == expected
    assert agreement_fingerprint(Text(de=OURS.de, en="Other.")) != fingerprint
    assert agreement_fingerprint(Text(de="Andere.", en=OURS.en)) != fingerprint
    assert agreement_fingerprint(Text(de="ab", en="c")) != agreement_fingerprint(
        Text(de="a", en="bc")
    )


def test_admission_needs_the_fingerprint_of_the_agreement_in_force():
    """The default agreement at first; after a change only the new text's fingerprint admits."""
    state = workshop(plan(5), NOW)
    assert agreement_of(state) == DEFAULT_AGREEMENT
    assert refusal(state, admit("p-1", agreement=""), SYSTEM, NOW) == "agreement_required"
    state = act(state, admit("p-1"), SYSTEM, NOW)
    assert state.participants["p-1"].agreement == AGREED
    state = act(state, ConfigureWorkshop(agreement=OURS), OWNER, NOW)
    assert agreement_of(state) == OURS
    assert refusal(state, admit("p-2"), SYSTEM, NOW) == "agreement_required"
    ours = agreement_fingerprint(OURS)
    events = decide(state, admit("p-2", agreement=ours), SYSTEM, NOW)
    assert isinstance(events, list) and events[0].agreement == ours
    state = act(state, admit("p-2", agreement=ours), SYSTEM, NOW)
    assert state.participants["p-2"].agreement == ours
    assert state.participants["p-1"].agreement == AGREED  # what they accepted stays recorded


def test_a_locked_door_admits_nobody_new_until_unlocked():
    """Locking refuses admissions with joining_locked; unlocking lets people in again."""
    state = running_workshop(plan(5), NOW, ("p-1",))
    assert refusal(state, LockJoining(), PARTICIPANT, NOW) == "not_facilitator"
    assert refusal(state, UnlockJoining(), OWNER, NOW) == "invalid_argument"
    state = act(state, LockJoining(), OWNER, NOW)
    assert state.locked
    assert refusal(state, LockJoining(), OWNER, NOW) == "invalid_argument"
    assert refusal(state, admit("p-2"), SYSTEM, NOW) == "joining_locked"
    state = act(state, UnlockJoining(), OWNER, NOW)
    assert not state.locked
    state = act(state, admit("p-2"), SYSTEM, NOW)
    assert set(state.participants) == {"p-1", "p-2"}
    ended = act(state, EndWorkshop(), OWNER, NOW)
    assert refusal(ended, LockJoining(), OWNER, NOW) == "workshop_ended"


def test_configuring_changes_only_what_it_names():
    """Each field left out stays as it was; the title is tidied; the form's order is kept."""
    state = workshop(plan(5), NOW)
    state = act(state, ConfigureWorkshop(title="  Kick-off \t 2027 "), OWNER, NOW)
    assert state.title == "Kick-off 2027"
    attributes = ConfigureWorkshop(join_attributes=("generation", "organisation"))
    state = act(state, attributes, OWNER, NOW)
    assert state.join_attributes == ("organisation", "generation")
    state = act(state, ConfigureWorkshop(video_url="https://meet.example.org/x"), OWNER, NOW)
    assert (state.title, state.join_attributes) == ("Kick-off 2027", ("organisation", "generation"))
    assert state.video_url == "https://meet.example.org/x" and state.agreement is None
    state = act(state, ConfigureWorkshop(join_attributes=()), OWNER, NOW)
    assert state.join_attributes == () and state.video_url == "https://meet.example.org/x"
    state = act(state, ConfigureWorkshop(video_url=""), OWNER, NOW)
    assert state.video_url is None


def test_configuring_is_for_facilitators_before_the_end_with_checked_values():
    """Wrong actors, the end, empty commands and bad values are refused without a change."""
    state = running_workshop(plan(5), NOW, ("p-1",))
    title = ConfigureWorkshop(title="New")
    assert refusal(state, title, PARTICIPANT, NOW) == "not_facilitator"
    assert refusal(state, title, STRANGER, NOW) == "not_facilitator"
    assert refusal(state, title, SYSTEM, NOW) == "not_facilitator"
    assert refusal(state, ConfigureWorkshop(), OWNER, NOW) == "invalid_argument"
    for bad in (
        ConfigureWorkshop(title=" \x00 "),
        ConfigureWorkshop(title="x" * 121),
        ConfigureWorkshop(join_attributes=("salary",)),
        ConfigureWorkshop(join_attributes=("organisation", "organisation")),
        ConfigureWorkshop(agreement=Text(de=" ", en="We agree.")),
        ConfigureWorkshop(agreement=Text(de="Ja.", en="x" * 2001)),
    ):
        assert refusal(state, bad, OWNER, NOW) == "invalid_argument", bad
    ended = act(state, EndWorkshop(), OWNER, NOW)
    assert refusal(ended, title, OWNER, NOW) == "workshop_ended"


@pytest.mark.parametrize(
    "url",
    [
        "https://meet.example.org/lernraum-{workshop}-{group}",
        "http://10.0.0.5:8080/room?id={group}&w={workshop}",
        "HTTPS://Meet.Example.org/static",
    ],
)
def test_video_urls_take_http_links_with_the_two_placeholders(url):
    """http and https links with {workshop} and {group} after the host are accepted."""
    state = act(workshop(plan(5), NOW), ConfigureWorkshop(video_url=f" {url} "), OWNER, NOW)
    assert state.video_url == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example.org/room",
        "https:///no-host",
        "https://meet.example.org/{room}",
        "https://meet.example.org/{workshop",
        "https://{workshop}.example.org/",
        "https://meet.example.org/a b",
        "https://meet.example.org/\x07",
        "https://[::1/room",
        "https://meet.example.org/" + "x" * 500,
        "meet.example.org/room",
    ],
)
def test_video_urls_refuse_other_schemes_placeholders_and_malformed_links(url):
    """Anything but a clean http(s) link with known placeholders after the host is refused."""
    state = workshop(plan(5), NOW)
    assert refusal(state, ConfigureWorkshop(video_url=url), OWNER, NOW) == "invalid_argument"


def test_a_video_link_fills_in_the_workshop_and_the_group_quoted():
    """The link of a group (or the plenary) has both placeholders filled in, URL-quoted."""
    state = workshop(plan(5), NOW)
    assert video_link(state, "r1-g2") is None
    template = "https://meet.example.org/{workshop}/{group}"
    state = act(state, ConfigureWorkshop(video_url=template), OWNER, NOW)
    assert video_link(state, "r1-g2") == "https://meet.example.org/w1/r1-g2"
    assert video_link(state) == "https://meet.example.org/w1/plenary"
    assert video_link(state, "a/b {group}") == "https://meet.example.org/w1/a%2Fb%20%7Bgroup%7D"
