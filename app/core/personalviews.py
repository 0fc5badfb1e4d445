"""What each viewer sees of polls, signals, personal work and speed matching. No I/O.

Shared sections (one per audience, see ``views.py``):

``polls``: poll id -> ::

    {"question": str, "options": [str], "values": [int], "mood": bool, "anonymous": bool,
     "multiple": bool, "status": "open" | "closed", "revealed": bool, "step_index": int,
     "opened_at": iso, "closed_at": iso | null, "answered": int,
     "tallies": [int] | null,  # one per value; null until revealed or closed (facilitators
                               # see a named poll's tallies at once)
     # facilitators only:
     "opened_by": str, "answers": {participant id: [int]}}  # always {} in anonymous polls

``queues``: scope (a group id or ``"plenary"``) -> ``{"hands": [{"participant_id": str,
"raised_at": iso}], "spoken": {participant id: times called}}``, longest-waiting first.
Participants get the plenary's queue and their own group's; facilitators every open
group's, the plenary's and any other that holds hands.

``done``: scope -> ``{"count": int, "total": int}`` for the current step run, plus
``"done": [participant id]`` for facilitators. Participants see only their own scope's
numbers: "I'm done" tells the facilitators, and the room only how far it is.

``canvases_shared``: owner id -> ``{"idea": str, "goal": str, "milestones": [{"id": str,
"what": str, "by_when": "YYYY-MM-DD", "how_measured": str}], "shared_with": "plenary" |
"group", "group_id": str | null, "updated_at": iso}``.

``reflections_shared``: question (``exciting``, ``learn_more``, ``take_away``) -> a list,
sorted by text, of ``{"text": str, "author": str | null, "shared_with": "plenary" |
"group", "group_id": str | null, "at": iso | null}``; anonymous answers carry neither
author, nor group, nor time, and the key is the question, never the author.

``matching`` (empty until a run is planned): ``"main"`` -> ``{"planned": bool,
"rounds": int, "opened": int, "mentors": [str], "formed": bool}`` plus
``"schedule": [[[str, str]]]`` for facilitators; ``"round"`` (while a rotation round is
open) -> ``{"number": int, "pairs": [[str]]}``, every pair for facilitators and the
viewer's own pair for its members; ``"matches"`` (once formed) -> ``{"pairs": [[str,
str]]}`` for everyone.

Personal sections (one per viewer; empty for facilitators):

``my_canvas``: ``"main"`` -> ``{"idea", "goal", "milestones", "consents": [str],
"group_id", "created_at", "updated_at"}`` once the viewer has a canvas.
``my_reflections``: question -> ``{"text": str, "anonymous": bool, "consents": [str],
"group_id": str | null, "step_index": int, "submitted_at": iso, "updated_at": iso}``.
``my_poll_answers``: poll id -> ``{"choices": [int] | null}`` for every poll the viewer
answered (null once an anonymous poll has closed and forgotten the answers).
``my_ratings``: partner id -> score (1–4) the viewer gave in speed matching.

Rules (from ``personal.py``, ``personalstate.py``, ``reflections.py``, ``pollstate.py``,
``polls.py``, ``signals.py`` and ``speedmatching.py``): canvases and reflections are
private; a "plenary" consent shows them to everyone, a "group" consent to the members of
the group it was given for while they sit in it, and to the facilitators; "export" alone
shows nothing live. Poll results reach participants only when revealed or closed; nobody
ever sees who chose what in an anonymous poll, nor who answered it. Speed-matching ratings
reach only their rater.
"""

from __future__ import annotations

from app.core.groups import PLENARY
from app.core.personalstate import QUESTIONS, Canvas, Consent, Milestone, Reflection
from app.core.pollstate import Poll
from app.core.signals import done_by_group, speaking_counts
from app.core.signalstate import done_key
from app.core.state import WorkshopState
from app.core.views import (
    Affected,
    Audience,
    Json,
    PersonalSection,
    Reads,
    Section,
    SharedSection,
    Viewer,
    changed_keys,
    iso,
)

# --- polls -------------------------------------------------------------------------------


def _poll_json(poll: Poll, sees_all: bool) -> Json:
    result: dict[str, Json] = {
        "question": poll.question,
        "options": list(poll.options),
        "values": list(poll.values),
        "mood": not poll.options,
        "anonymous": poll.anonymous,
        "multiple": poll.multiple,
        "status": poll.status,
        "revealed": poll.revealed,
        "step_index": poll.step_index,
        "opened_at": iso(poll.opened_at),
        "closed_at": iso(poll.closed_at),
        "answered": len(poll.voters),
        # anonymous polls: nobody watches the tallies move, or the timing of an answer
        # next to a named "done" would tell who chose what
        "tallies": list(poll.tallies)
        if poll.results_public or (sees_all and not poll.anonymous)
        else None,
    }
    if sees_all:
        answers = {} if poll.anonymous else poll.answers
        result["opened_by"] = poll.opened_by
        result["answers"] = {pid: list(answers[pid]) for pid in sorted(answers)}
    return result


def _polls(state: WorkshopState, audience: Audience) -> Section:
    """Every poll; tallies for participants once public, named answers for facilitators."""
    by_id = state.polls.by_id
    return {pid: _poll_json(by_id[pid], audience.sees_all) for pid in sorted(by_id)}


# --- signals -----------------------------------------------------------------------------


def _queue_scopes(state: WorkshopState, audience: Audience) -> list[str]:
    if not audience.sees_all:
        return sorted({PLENARY, audience.scope})
    groups = {group.id for group in state.breakouts.groups} if state.breakouts.open else set()
    waiting = {scope for scope, hands in state.signals.queues.items() if hands}
    return sorted({PLENARY} | groups | waiting)


def _queues(state: WorkshopState, audience: Audience) -> Section:
    """The speaking queues the audience may follow, and how often each person spoke there."""
    result: Section = {}
    for scope in _queue_scopes(state, audience):
        hands = state.signals.queues.get(scope, ())
        result[scope] = {
            "hands": [
                {"participant_id": hand.participant_id, "raised_at": iso(hand.raised_at)}
                for hand in hands
                if hand.participant_id in state.participants
            ],
            "spoken": dict(sorted(speaking_counts(state, scope).items())),
        }
    return result


def _done(state: WorkshopState, audience: Audience) -> Section:
    """Who is done with the current step run: names for facilitators, numbers for the room."""
    counts = done_by_group(state)
    if not audience.sees_all:
        own = counts.get(audience.scope)
        return {} if own is None else {audience.scope: {"count": own[0], "total": own[1]}}
    done = state.signals.done.get(done_key(state.cursor, len(state.runs)), frozenset())
    grouped = {pid for group in state.breakouts.groups for pid in group.members}
    result: Section = {}
    for scope in sorted(counts):
        if scope == PLENARY:
            members = set(state.participants) - (grouped if state.breakouts.open else set())
        else:
            group = state.breakouts.group(scope)
            members = set(group.members) if group is not None else set()
        count, total = counts[scope]
        result[scope] = {"count": count, "total": total, "done": sorted(done & members)}
    return result


# --- canvases and reflections --------------------------------------------------------------


def shared_with(
    consents: frozenset[Consent], group_id: str | None, audience: Audience
) -> str | None:
    """How far the owner's consents reach this audience: "plenary", "group", or None."""
    if "plenary" in consents:
        return "plenary"
    in_group = group_id is not None and (audience.sees_all or audience.scope == group_id)
    return "group" if "group" in consents and in_group else None


def _milestone_json(milestone: Milestone) -> Json:
    return {
        "id": milestone.id,
        "what": milestone.what,
        "by_when": milestone.by_when,
        "how_measured": milestone.how_measured,
    }


def _canvases_shared(state: WorkshopState, audience: Audience) -> Section:
    """Canvases whose owners shared them with this audience."""
    result: Section = {}
    for owner in sorted(state.personal.canvases):
        canvas = state.personal.canvases[owner]
        reach = shared_with(canvas.consents, canvas.group_id, audience)
        if reach is None:
            continue
        result[owner] = {
            "idea": canvas.idea,
            "goal": canvas.goal,
            "milestones": [_milestone_json(m) for m in canvas.milestones],
            "shared_with": reach,
            "group_id": canvas.group_id if "group" in canvas.consents else None,
            "updated_at": iso(canvas.updated_at),
        }
    return result


def _reflection_json(reflection: Reflection, reach: str) -> Json:
    if reflection.anonymous:
        return {
            "text": reflection.text,
            "author": None,
            "shared_with": reach,
            "group_id": None,
            "at": None,
        }
    group_id = reflection.group_id if "group" in reflection.consents else None
    return {
        "text": reflection.text,
        "author": reflection.author,
        "shared_with": reach,
        "group_id": group_id,
        "at": iso(reflection.updated_at),
    }


def _reflections_shared(state: WorkshopState, audience: Audience) -> Section:
    """Shared check-out answers per question, ordered by text so no order names a writer."""
    lists: dict[str, list[Json]] = {}
    for author in sorted(state.personal.reflections):
        for question, reflection in state.personal.reflections[author].items():
            reach = shared_with(reflection.consents, reflection.group_id, audience)
            if reach is not None:
                lists.setdefault(question, []).append(_reflection_json(reflection, reach))
    return {
        question: sorted(
            lists[question], key=lambda entry: (entry["text"], entry["author"] or "", repr(entry))
        )
        for question in QUESTIONS
        if question in lists
    }


# --- speed matching ----------------------------------------------------------------------


def _matching(state: WorkshopState, audience: Audience) -> Section:
    """The public part of speed matching: the plan, the open round, the pairs formed."""
    matching = state.matching
    if not matching.schedule and not matching.formed:
        return {}
    main: dict[str, Json] = {
        "planned": bool(matching.schedule),
        "rounds": len(matching.schedule),
        "opened": matching.next_round,
        "mentors": sorted(matching.mentors),
        "formed": matching.formed,
    }
    if audience.sees_all:
        main["schedule"] = [[list(pair) for pair in pairs] for pairs in matching.schedule]
    result: Section = {"main": main}
    breakouts = state.breakouts
    if breakouts.open and breakouts.strategy == "rotation":
        pairs = [
            list(group.members)
            for group in breakouts.groups
            if audience.sees_all or group.id == audience.scope
        ]
        result["round"] = {"number": matching.next_round, "pairs": pairs}
    if matching.formed:
        result["matches"] = {"pairs": [list(pair) for pair in sorted(matching.matches)]}
    return result


# --- personal ----------------------------------------------------------------------------


def _canvas_json(canvas: Canvas) -> Json:
    return {
        "idea": canvas.idea,
        "goal": canvas.goal,
        "milestones": [_milestone_json(m) for m in canvas.milestones],
        "consents": sorted(canvas.consents),
        "group_id": canvas.group_id,
        "created_at": iso(canvas.created_at),
        "updated_at": iso(canvas.updated_at),
    }


def _my_canvas(state: WorkshopState, viewer: Viewer) -> Section:
    """The viewer's own canvas, private or not."""
    canvas = state.personal.canvases.get(viewer.id) if viewer.kind == "participant" else None
    return {} if canvas is None else {"main": _canvas_json(canvas)}


def _my_reflections(state: WorkshopState, viewer: Viewer) -> Section:
    """The viewer's own check-out answers, with their consents."""
    if viewer.kind != "participant":
        return {}
    mine = state.personal.reflections.get(viewer.id, {})
    return {
        question: {
            "text": mine[question].text,
            "anonymous": mine[question].anonymous,
            "consents": sorted(mine[question].consents),
            "group_id": mine[question].group_id,
            "step_index": mine[question].step_index,
            "submitted_at": iso(mine[question].submitted_at),
            "updated_at": iso(mine[question].updated_at),
        }
        for question in QUESTIONS
        if question in mine
    }


def _my_poll_answers(state: WorkshopState, viewer: Viewer) -> Section:
    """The polls the viewer answered, with their own choices while the poll keeps them."""
    if viewer.kind != "participant":
        return {}
    result: Section = {}
    for poll_id in sorted(state.polls.by_id):
        poll = state.polls.by_id[poll_id]
        if viewer.id in poll.voters:
            choices = poll.answers.get(viewer.id)
            result[poll_id] = {"choices": None if choices is None else list(choices)}
    return result


def _my_ratings(state: WorkshopState, viewer: Viewer) -> Section:
    """The speed-matching scores the viewer gave; nobody else ever sees them."""
    if viewer.kind != "participant":
        return {}
    own = state.matching.ratings.get(viewer.id, {})
    return {partner: own[partner] for partner in sorted(own)}


SHARED: dict[str, SharedSection] = {
    "polls": _polls,
    "queues": _queues,
    "done": _done,
    "canvases_shared": _canvases_shared,
    "reflections_shared": _reflections_shared,
    "matching": _matching,
}
PERSONAL: dict[str, PersonalSection] = {
    "my_canvas": _my_canvas,
    "my_reflections": _my_reflections,
    "my_poll_answers": _my_poll_answers,
    "my_ratings": _my_ratings,
}
SHARED_READS: dict[str, Reads] = {
    "polls": lambda s: (s.polls,),
    "queues": lambda s: (s.signals, s.breakouts, s.participants),
    "done": lambda s: (s.signals, s.cursor, s.phase, s.plan, s.runs, s.participants, s.breakouts),
    "canvases_shared": lambda s: (s.personal.canvases,),
    "reflections_shared": lambda s: (s.personal.reflections,),
    "matching": lambda s: (s.matching, s.breakouts),
}
PERSONAL_READS: dict[str, Reads] = {
    "my_canvas": lambda s: (s.personal.canvases,),
    "my_reflections": lambda s: (s.personal.reflections,),
    "my_poll_answers": lambda s: (s.polls,),
    "my_ratings": lambda s: (s.matching.ratings,),
}
PERSONAL_AFFECTED: dict[str, Affected] = {
    "my_canvas": lambda before, state: changed_keys(
        before.personal.canvases, state.personal.canvases
    ),
    "my_reflections": lambda before, state: changed_keys(
        before.personal.reflections, state.personal.reflections
    ),
    "my_ratings": lambda before, state: changed_keys(
        before.matching.ratings, state.matching.ratings
    ),
}
