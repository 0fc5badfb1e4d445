"""The server's frames built from plain dicts are exactly the protocol models' JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.protocol import (
    SERVER_MESSAGE,
    Ack,
    Bye,
    Change,
    Error,
    Event,
    Heartbeat,
    Pong,
    Welcome,
    You,
    ack_frame,
    bye_frame,
    change_dict,
    encode,
    error_frame,
    event_frame,
    heartbeat_frame,
    json_members,
    pong_frame,
    welcome_frame,
)

MOMENTS = [
    datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 9, 0, 0, 120000, tzinfo=UTC),
    datetime(2026, 11, 25, 9, 0, 59, 5, tzinfo=UTC),
]
VALUE = {
    "text": 'Ümlaute, "Anführung" & <b>\u2028',
    "position": [0.5, 1e-7],
    "answers": [],
    "author": None,
    "anonymous": False,
    "n": 12,
}


@pytest.mark.parametrize("moment", MOMENTS)
def test_every_frame_is_the_models_json(moment: datetime) -> None:
    changes = [Change(section="items", key="n-1", value=VALUE), Change(section="x", key="k")]
    wire = [change_dict(c.section, c.key, c.value) for c in changes]
    pairs = [
        (event_frame(moment, 7, wire), Event(server_time=moment, seq=7, changes=changes)),
        (
            ack_frame(moment, "c-1", 3, 4, True),
            Ack(server_time=moment, ref="c-1", first_seq=3, last_seq=4, repeated=True),
        ),
        (
            error_frame(moment, "forbidden", "nein", None),
            Error(server_time=moment, code="forbidden", message="nein"),
        ),
        (heartbeat_frame(moment, 9), Heartbeat(server_time=moment, seq=9)),
        (pong_frame(moment, 1764061200.5, 9), Pong(server_time=moment, t=1764061200.5, seq=9)),
        (pong_frame(moment, None, 0), Pong(server_time=moment, seq=0)),
        (
            bye_frame(moment, "too_slow", "behind"),
            Bye(server_time=moment, code="too_slow", message="behind"),
        ),
    ]
    for frame, model in pairs:
        assert frame == encode(model)


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_spliced_welcome_is_the_models_json(moment: datetime) -> None:
    shared = {"items": {"n-1": VALUE}, "people": {}}
    personal = {"me": {"main": {"kind": "participant", "id": "p-1"}}}
    you = You(kind="participant", id="p-1")
    whole = welcome_frame(
        moment,
        "w",
        5,
        ("participant", "p-1"),
        view_members=[json_members(shared), json_members(personal)],
    )
    model = Welcome(server_time=moment, workshop="w", seq=5, you=you, view={**shared, **personal})
    assert whole == encode(model)
    changes = [change_dict("items", "n-1", None)]
    resumed = welcome_frame(moment, "w", 5, ("participant", "p-1"), changes=changes)
    model = Welcome(
        server_time=moment,
        workshop="w",
        seq=5,
        you=you,
        resumed=True,
        changes=[Change(section="items", key="n-1", value=None)],
    )
    assert resumed == encode(model)
    assert SERVER_MESSAGE.validate_json(resumed) == model


def test_an_empty_personal_part_leaves_no_stray_comma() -> None:
    frame = welcome_frame(
        MOMENTS[0], "w", 1, ("facilitator", "f@x"), view_members=[json_members({"a": {}}), ""]
    )
    parsed = SERVER_MESSAGE.validate_json(frame)
    assert isinstance(parsed, Welcome) and parsed.view == {"a": {}}
