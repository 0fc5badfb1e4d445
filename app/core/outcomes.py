"""The outcome record of a workshop: what an export may contain. No I/O, no clock.

Every export format (``app/exports.py``) and the JSON bundle's schema (``docs/export.md``)
read this one projection of the state. It is built on the live visibility function: an item,
a cluster or a vote count is exported only when the facilitators' live view shows it
(``boardviews.item_visible``, ``cluster_visible``), and then only if the export rules below
let it through as well. It is plain JSON and deterministic: the same state and ``as_of``
give the same record, ordered by position, group number and text (never by author or time).

Export rules, stricter than the facilitators' view:

- no names, no join attributes, no account e-mails, no participant or account ids; groups
  appear by number (``1``, ``2``, … within each step; ``null`` is the plenary), canvases
  by a pseudonym (``Teilnehmer:in 3``, numbered in order of joining);
- never confidential items (they stay in the room), hidden items, unrevealed private
  writing, deleted items, and never any item's or answer's author;
- vote counts only of revealed scopes, poll results only of closed or revealed polls and
  only as tallies (never who chose what);
- canvases and check-out reflections only with their owner's ``export`` consent, and
  reflections always without their author.

A known limit: the state keeps only the current grouping and the current participants, so
group sizes of earlier steps and people removed before the export are not counted.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from app.core.boardstate import Item, VoteRound
from app.core.boardviews import cluster_visible, item_visible
from app.core.groups import PLENARY
from app.core.personalstate import QUESTIONS
from app.core.state import WorkshopState
from app.core.views import FACILITATORS, Audience, Json, iso, text
from app.core.wicked import question_text

PSEUDONYM: Final = "Teilnehmer:in {number}"
# The live view whose visibility the export starts from: every group, every scope.
_ALL_SCOPES = Audience("facilitator", FACILITATORS)
_GROUP_ID = re.compile(r"r(\d+)-g(\d+)")


def exported(item: Item) -> bool:
    """Whether an item may leave the room: seen live by facilitators, neither hidden nor
    confidential (unrevealed and deleted items are not seen live at all)."""
    return item_visible(item, _ALL_SCOPES) and not item.hidden and not item.confidential


def as_of(state: WorkshopState, now: datetime) -> datetime:
    """The moment an export describes: the end of an ended workshop, else ``now``."""
    return state.ended_at or now


def pseudonyms(state: WorkshopState) -> dict[str, str]:
    """Participant id -> ``Teilnehmer:in N``, numbered in order of joining."""
    people = sorted(state.participants.values(), key=lambda p: (p.joined_at, p.id))
    return {p.id: PSEUDONYM.format(number=n) for n, p in enumerate(people, start=1)}


def _group_order(group_id: str) -> tuple[int, int, str]:
    found = _GROUP_ID.fullmatch(group_id)
    return (int(found[1]), int(found[2]), "") if found else (1 << 30, 0, group_id)


def _numbers(scopes: set[str]) -> dict[str, int]:
    """A step's group ids -> 1, 2, … in the order the groups were formed."""
    groups = sorted((s for s in scopes if s != PLENARY), key=_group_order)
    return {group_id: number for number, group_id in enumerate(groups, start=1)}


def _votes(round_: VoteRound | None, exported_ids: set[str]) -> dict[str, int] | None:
    """Revealed dots per exported item; None when no scope of the round is revealed."""
    if round_ is None or not (round_.revealed_all or round_.revealed_scopes):
        return None
    counts = dict.fromkeys(sorted(exported_ids), 0)
    for scope, tally in round_.tallies.items():
        if round_.is_revealed(scope):
            for item_id, dots in tally.items():
                if item_id in counts:
                    counts[item_id] += dots
    return counts


def _item_json(item: Item, group: int | None, votes: dict[str, int] | None) -> Json:
    question = None
    if item.kind == "wicked_question":
        question = {"de": question_text(item, "de"), "en": question_text(item, "en")}
    return {
        "id": item.id,
        "kind": item.kind,
        "group": group,
        "area": item.area,
        "text": item.text,
        "cluster": item.cluster_id,
        "deck_id": item.deck_id,
        "card_id": item.card_id,
        "question": question,
        "answers": sorted(answer.text for answer in item.answers),
        "harvested": item.harvested,
        "votes": None if votes is None else votes.get(item.id, 0),
    }


def _step_json(state: WorkshopState, index: int, now: datetime) -> Json:
    step = state.plan[index]
    runs = [run for run in state.runs if run.index == index]
    items = [i for i in state.board.items.values() if i.step_index == index and exported(i)]
    clusters = [
        c
        for c in state.board.clusters.values()
        if c.step_index == index and cluster_visible(c, _ALL_SCOPES)
    ]
    numbers = _numbers({i.scope for i in items} | {c.scope for c in clusters})
    round_ = state.board.votes.get(step.key)
    votes = _votes(round_, {i.id for i in items})
    rows = sorted(
        (_item_json(i, numbers.get(i.scope), votes) for i in items),
        key=lambda r: (r["group"] or 0, r["area"] or "", r["kind"], r["text"], r["id"]),
    )
    ranked = sorted(
        (r for r in rows if r["kind"] == "wicked_question"),
        key=lambda r: (-(r["votes"] or 0), r["question"]["de"], r["id"]),
    )
    status = "not_run"
    if runs:
        status = "current" if index == state.cursor and state.phase != "ended" else "run"
    return {
        "index": index,
        "key": step.key,
        "structure_id": step.structure_id,
        "step_id": step.step_id,
        "title": text(step.title),
        "grouping": step.group.kind,
        "status": status,
        "planned_s": step.seconds,
        "actual_s": round(sum(run.active_s(now) for run in runs)),
        "runs": [
            {
                "started_at": iso(run.started_at),
                "ended_at": iso(run.ended_at),
                "paused_s": round(run.paused_s),
                "retimed_s": run.retimed_s,
            }
            for run in runs
        ],
        "groups": sorted(numbers.values()),
        "items": rows,
        "clusters": sorted(
            ({"id": c.id, "title": c.title, "group": numbers.get(c.scope)} for c in clusters),
            key=lambda c: (c["group"] or 0, c["title"], c["id"]),
        ),
        "vote": None
        if votes is None or round_ is None
        else {"budget": round_.budget, "revealed_all": round_.revealed_all},
        "wicked_questions": [r["id"] for r in ranked],
        "cards": [r["id"] for r in rows if r["kind"] == "card"],
    }


def _polls(state: WorkshopState) -> list[Json]:
    """Closed or revealed polls, as tallies only."""
    result: list[Json] = []
    for poll_id in sorted(state.polls.by_id, key=lambda p: (state.polls.by_id[p].opened_at, p)):
        poll = state.polls.by_id[poll_id]
        if not poll.results_public:
            continue
        result.append(
            {
                "id": poll.id,
                "step_index": poll.step_index,
                "question": poll.question,
                "options": list(poll.options),
                "values": list(poll.values),
                "mood": not poll.options,
                "status": poll.status,
                "answered": len(poll.voters),
                "tallies": list(poll.tallies),
            }
        )
    return result


def _canvases(state: WorkshopState) -> list[Json]:
    """Canvases whose owner consented to the export, under a pseudonym."""
    names = pseudonyms(state)
    result: list[Json] = []
    for owner, canvas in state.personal.canvases.items():
        if "export" not in canvas.consents or owner not in names:
            continue
        result.append(
            {
                "owner": names[owner],
                "idea": canvas.idea,
                "goal": canvas.goal,
                "milestones": [
                    {"what": m.what, "by_when": m.by_when, "how_measured": m.how_measured}
                    for m in canvas.milestones
                ],
            }
        )
    return sorted(result, key=lambda c: int(c["owner"].rsplit(" ", 1)[-1]))


def _reflections(state: WorkshopState) -> list[Json]:
    """Check-out answers shared for the export, anonymous, by question and text."""
    shared = [
        (QUESTIONS.index(r.question), r.text, r.question)
        for answers in state.personal.reflections.values()
        for r in answers.values()
        if "export" in r.consents
    ]
    return [{"question": question, "text": body} for _, body, question in sorted(shared)]


def outcome_record(state: WorkshopState, now: datetime) -> dict[str, Json]:
    """The whole outcome record of ``state`` as plain JSON, as of ``as_of(state, now)``."""
    moment = as_of(state, now)
    steps = [_step_json(state, index, moment) for index in range(len(state.plan))]
    return {
        "as_of": iso(moment),
        "workshop": {
            "id": state.id,
            "title": state.title,
            "agenda_id": state.agenda_id,
            "phase": state.phase,
            "created_at": iso(state.created_at),
            "started_at": iso(state.started_at),
            "ended_at": iso(state.ended_at),
            "planned_s": sum(step.seconds for step in state.plan),
            "actual_s": sum(step["actual_s"] for step in steps),
        },
        "attendance": {
            "participants": len(state.participants),
            "facilitators": len(state.facilitators),
            "steps_run": sum(1 for step in steps if step["runs"]),
        },
        "steps": steps,
        "polls": _polls(state),
        "canvases": _canvases(state),
        "reflections": _reflections(state),
    }
