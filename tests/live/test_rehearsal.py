"""``lernraum rehearse``: the reference workshop end to end with the Python client alone."""

from __future__ import annotations

from app.cli import build_parser
from app.rehearsal import rehearse
from tests.live.support import OWNER_EMAIL, PASSWORD, add_account


async def test_bots_run_the_reference_workshop_to_its_end(live_server):
    add_account(live_server, OWNER_EMAIL)
    lines: list[str] = []
    rehearsal = await rehearse(
        live_server.url, OWNER_EMAIL, PASSWORD, participants=5, pause_s=0, say=lines.append
    )
    view = rehearsal.facilitator.view
    assert view["workshop"]["main"]["phase"] == "ended"
    assert [bot.refused for bot in rehearsal.bots] == [[]] * 5  # every step's rules were kept
    kinds = {item["kind"] for item in view["items"].values()}
    assert kinds == {"note", "card", "wicked_question"}
    assert any(tally["counts"] for tally in view["tallies"].values())
    assert len(view["history"]) == len(view["plan"])  # every step ran once
    assert len([line for line in lines if line[:3].strip().rstrip(".").isdigit()]) == 21
    for bot in rehearsal.bots:  # canvases stayed private: only their owner has them
        assert bot.client.view["my_canvas"]["main"]["milestones"]
        assert "canvases_shared" not in bot.client.view or not bot.client.view["canvases_shared"]


def test_the_command_line_knows_rehearse():
    args = build_parser().parse_args(["rehearse", "--participants", "3", "--pause", "0"])
    assert (args.participants, args.pause, args.url) == (3, 0.0, "http://127.0.0.1:8000")
