"""What each viewer sees of the board: items, clusters, dot votes. No I/O, no clock.

Shared sections (one per audience, see ``views.py``):

``items``: item id -> the item, for every live item the audience may see::

    {"kind": "note" | "card" | "wicked_question", "scope": str, "step_index": int,
     "text": str, "area": str | null, "position": [x, y] | null, "colour": str | null,
     "cluster_id": str | null, "deck_id": str | null, "card_id": str | null,
     "pole_a": str, "pole_b": str, "question": {"de": str, "en": str} | null,
     "answers": [{"id": str, "text": str, "author": str | null,
                  "author_kind": "participant" | "user" | null, "at": iso | null}],
     "author": str | null, "author_kind": "participant" | "user" | null,
     "anonymous": bool, "confidential": bool, "harvested": bool,
     "created_at": iso | null, "updated_at": iso | null,
     # facilitators only:
     "hidden": bool, "hidden_reason": str | null}

``clusters``: cluster id -> ``{"title": str, "scope": str, "step_index": int,
"harvested": bool}``.

``tallies``: the plan step key of a vote round -> ::

    {"step_index": int, "budget": int, "anonymous": bool,
     "revealed": bool,  # participants: their scope's tallies; facilitators: the whole round
     "counts": {item id: dots},  # revealed dots on items the audience sees
     # facilitators only:
     "revealed_all": bool, "revealed_scopes": [str],
     "by_scope": {scope: {item id: dots}},  # revealed scopes; empty in anonymous rounds
     "dots_used": {scope: dots},  # progress, also before the reveal
     "voters": {voter id: dots used}}  # empty in anonymous rounds

Personal sections (one per viewer):

``my_items``: item id -> the viewer's own live item, in the ``items`` shape plus
``"revealed": bool`` and ``"hidden": bool`` (never the moderation reason), whether or not
the shared ``items`` show it. A client marks these items as "mine" and draws from here
what only the author sees (unrevealed private writing, hidden items, items of a group the
author has left).

``my_votes``: plan step key -> ``{"step_index": int, "budget": int, "used": int,
"left": int, "revealed": bool, "dots": {item id: dots}}`` for the current step's vote and
every round the viewer placed dots in.

A participant gets a round in ``tallies`` only once their own scope's tallies (or the whole
round's) are revealed, so not even the fact that someone voted reaches them before; the
facilitators get every round, with counts of the revealed scopes only.

Rules (from ``docs/board.md``, ``boardstate.py``, ``boardrights.py``, ``moderation.py`` and
``voting.py``): an item is seen where it is in reach (``boardrights.in_reach``): in its own
group, in the plenary when it is the plenary's or harvested, and by facilitators
everywhere. Unrevealed private writing is seen by its author only; facilitators do not see
it either ("only the author sees it until items.reveal or the step's end"). Hidden items
reach the facilitators (with the reason) and their author, nobody else. Anonymous items
and answers carry no author, author kind or time for anybody, so neither a field nor the
order of times names the writer. A facilitator's account id is shown only to facilitators,
as in ``views._workshop``. Tallies stay hidden from everyone until their scope is revealed;
a participant sees the revealed counts of their own scope, and of every scope once the
whole round is revealed, on items they can see. Nobody is ever shown another person's
dots; in anonymous rounds facilitators do not even see who used how many.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.core.boardstate import Answer, Cluster, Item, VoteRound
from app.core.groups import PLENARY
from app.core.state import WorkshopState
from app.core.views import (
    Affected,
    Audience,
    Json,
    PersonalSection,
    PersonalSince,
    Reads,
    Section,
    SharedSection,
    SharedSince,
    Viewer,
    changed_keys,
    iso,
)
from app.core.wicked import question_text


def in_sight(audience: Audience, scope: str, harvested: bool) -> bool:
    """Whether content of ``scope`` reaches the audience: all for facilitators, else the
    plenary's, the audience's own group's and the groups it continues, and harvested
    groups' content."""
    return (
        audience.sees_all
        or scope in (PLENARY, audience.scope)
        or harvested
        or scope in audience.continued
    )


def item_visible(item: Item, audience: Audience) -> bool:
    """Whether the shared view of ``audience`` shows ``item``."""
    if item.deleted or not item.revealed:
        return False
    if item.hidden and not audience.sees_all:
        return False
    return in_sight(audience, item.scope, item.harvested)


def _answer_json(state: WorkshopState, answer: Answer, sees_all: bool) -> Json:
    if answer.anonymous:
        return {
            "id": answer.id,
            "text": answer.text,
            "author": None,
            "author_kind": None,
            "at": None,
        }
    # Answers do not record the author's kind: a current facilitator's id marks a "user".
    kind = "user" if answer.author in state.facilitators else "participant"
    return {
        "id": answer.id,
        "text": answer.text,
        "author": answer.author if sees_all or kind == "participant" else None,
        "author_kind": kind,
        "at": iso(answer.at),
    }


# Items are frozen and every change makes a new item, so an item's JSON can be kept while
# the same item object lives on the board (answers also depend on who facilitates).
_ITEM_JSON: dict[tuple[int, bool, bool], tuple[Item, object, Json]] = {}
ITEM_JSON_CACHE = 50_000


def item_json(state: WorkshopState, item: Item, *, sees_all: bool, author: bool = False) -> Json:
    """One item as a viewer sees it; ``author`` when the viewer wrote it. Callers must not
    change the value they get: the same one serves every viewer of the same item."""
    key = (id(item), sees_all, author)
    facilitators = state.facilitators if item.answers else None
    cached = _ITEM_JSON.get(key)
    if cached is not None and cached[0] is item and cached[1] is facilitators:
        return cached[2]
    if len(_ITEM_JSON) >= ITEM_JSON_CACHE:
        _ITEM_JSON.clear()
    result = _item_json(state, item, sees_all=sees_all, author=author)
    _ITEM_JSON[key] = (item, facilitators, result)
    return result


def _item_json(state: WorkshopState, item: Item, *, sees_all: bool, author: bool) -> Json:
    question = None
    if item.kind == "wicked_question":
        question = {"de": question_text(item, "de"), "en": question_text(item, "en")}
    shown_author: str | None = None
    if author or sees_all or item.author_kind == "participant":
        shown_author = item.author
    named = author or not item.anonymous
    result: dict[str, Json] = {
        "kind": item.kind,
        "scope": item.scope,
        "step_index": item.step_index,
        "text": item.text,
        "area": item.area,
        "position": list(item.position) if item.position is not None else None,
        "colour": item.colour,
        "cluster_id": item.cluster_id,
        "deck_id": item.deck_id,
        "card_id": item.card_id,
        "pole_a": item.pole_a,
        "pole_b": item.pole_b,
        "question": question,
        "answers": [_answer_json(state, answer, sees_all) for answer in item.answers],
        "author": shown_author if named else None,
        "author_kind": item.author_kind if named else None,
        "anonymous": item.anonymous,
        "confidential": item.confidential,
        "harvested": item.harvested,
        # the times of an anonymous item would let a watcher line writers up with items
        "created_at": iso(item.created_at) if named else None,
        "updated_at": iso(item.updated_at) if named else None,
    }
    if author:
        result["revealed"] = item.revealed
        result["hidden"] = item.hidden
    elif sees_all:
        result["hidden"] = item.hidden
        result["hidden_reason"] = item.hidden_reason
    return result


def _sorted_items(items: Iterable[Item]) -> list[Item]:
    return sorted(items, key=lambda item: item.id)


def _items(state: WorkshopState, audience: Audience) -> Section:
    """Every item in sight that is live, revealed and (for participants) not hidden."""
    return {
        item.id: item_json(state, item, sees_all=audience.sees_all)
        for item in _sorted_items(state.board.items.values())
        if item_visible(item, audience)
    }


def _items_since(
    before: WorkshopState, section: Section, state: WorkshopState, audience: Audience
) -> Section | None:
    """``_items`` of ``state`` from the section of ``before``: only the items that are not
    the same objects are looked at again (answers name facilitators: a change of the
    facilitators builds the section whole)."""
    if before.facilitators is not state.facilitators:
        return None
    changed = changed_keys(before.board.items, state.board.items)
    if not changed:
        return section
    items = state.board.items
    result: dict[str, Json] | None = None  # a copy, once anything in sight changed
    added = False
    for item_id in changed:
        item = items.get(item_id)
        if item is not None and item_visible(item, audience):
            if result is None:
                result = dict(section)
            added = added or item_id not in result
            result[item_id] = item_json(state, item, sees_all=audience.sees_all)
        elif item_id in section:
            if result is None:
                result = dict(section)
            result.pop(item_id, None)
    if result is None:  # nothing this audience sees changed
        return section
    return dict(sorted(result.items())) if added else result


def cluster_visible(cluster: Cluster, audience: Audience) -> bool:
    """Whether the shared view of ``audience`` shows ``cluster``."""
    return not cluster.deleted and in_sight(audience, cluster.scope, cluster.harvested)


def _clusters(state: WorkshopState, audience: Audience) -> Section:
    """Live clusters in sight; their members are the items naming them in ``cluster_id``.

    Neither a cluster's author nor its member count is shown: a cluster made in an
    anonymous step would name its maker, and a count would betray unseen items.
    """
    return {
        cluster.id: {
            "title": cluster.title,
            "scope": cluster.scope,
            "step_index": cluster.step_index,
            "harvested": cluster.harvested,
        }
        for cluster in sorted(state.board.clusters.values(), key=lambda c: c.id)
        if cluster_visible(cluster, audience)
    }


def _counts(
    state: WorkshopState, tallies: Iterable[Mapping[str, int]], audience: Audience
) -> dict[str, int]:
    """The dots of several scopes summed per item, on items the audience sees."""
    items = state.board.items
    total: dict[str, int] = {}
    for counts in tallies:
        for item_id, dots in counts.items():
            item = items.get(item_id)
            if dots > 0 and item is not None and item_visible(item, audience):
                total[item_id] = total.get(item_id, 0) + dots
    return dict(sorted(total.items()))


def _round_json(state: WorkshopState, round_: VoteRound, audience: Audience) -> Json | None:
    """A vote round as the audience sees it; None when nothing of it is theirs to see."""
    if audience.sees_all:
        shown = [scope for scope in round_.tallies if round_.is_revealed(scope)]
        revealed = round_.revealed_all
    else:
        revealed = round_.is_revealed(audience.scope)
        if not revealed:
            return None  # not even that someone has voted
        shown = [
            scope
            for scope in round_.tallies
            if round_.is_revealed(scope) and (round_.revealed_all or scope == audience.scope)
        ]
    result: dict[str, Json] = {
        "step_index": round_.step_index,
        "budget": round_.budget,
        "anonymous": round_.anonymous,
        "revealed": revealed,
        "counts": _counts(state, (round_.tallies[scope] for scope in shown), audience),
    }
    if audience.sees_all:
        # per-scope counts of an anonymous round could name the dots of a small group
        by_scope = {
            scope: _counts(state, [round_.tallies[scope]], audience)
            for scope in ([] if round_.anonymous else shown)
        }
        used: dict[str, int] = {}
        for dots in round_.ballots.values():
            for dot in dots:
                used[dot.scope] = used.get(dot.scope, 0) + 1
        result |= {
            "revealed_all": round_.revealed_all,
            "revealed_scopes": sorted(round_.revealed_scopes),
            "by_scope": {scope: by_scope[scope] for scope in sorted(by_scope) if by_scope[scope]},
            "dots_used": dict(sorted(used.items())),
            "voters": {}
            if round_.anonymous
            else {voter: len(dots) for voter, dots in sorted(round_.ballots.items())},
        }
    return result


def _tallies(state: WorkshopState, audience: Audience) -> Section:
    """Revealed dot counts per vote round; facilitators also see the voting progress."""
    result: Section = {}
    for key in sorted(state.board.votes):
        shown = _round_json(state, state.board.votes[key], audience)
        if shown is not None:
            result[key] = shown
    return result


def is_own(item: Item, viewer: Viewer) -> bool:
    """Whether ``viewer`` wrote ``item``."""
    kind = "user" if viewer.kind == "facilitator" else "participant"
    return item.author == viewer.id and item.author_kind == kind


# The author index of the latest items mapping. Items mappings are never changed in place
# (every change makes a new one), so the index of the same object stays right; holding the
# last one makes each viewer's "my items" cost their own items, not the whole board.
_AUTHOR_INDEX: list[tuple[Mapping[str, Item], dict[str, list[Item]]]] = []
# How often the latest items mapping without an index was asked about: from the eighth
# question on it gets one. A board that changes between a few questions (the live room
# asks for the authors whose items one tick changed) is scanned instead, which costs less
# than sorting it into an index; a board many ask about (a join storm) gets the index.
_ASKED: list[tuple[Mapping[str, Item], int]] = []
SCANS_BEFORE_INDEX = 8


def items_by_author(items: Mapping[str, Item]) -> dict[str, list[Item]]:
    """The items of each author id, sorted by item id."""
    cached = _AUTHOR_INDEX[0] if _AUTHOR_INDEX else None  # read once: threads may replace it
    if cached is not None and cached[0] is items:
        return cached[1]
    index: dict[str, list[Item]] = {}
    for item in _sorted_items(items.values()):
        index.setdefault(item.author, []).append(item)
    _AUTHOR_INDEX[:] = [(items, index)]
    return index


def items_of_author(items: Mapping[str, Item], author: str) -> list[Item]:
    """The items of one author id, sorted by item id."""
    cached = _AUTHOR_INDEX[0] if _AUTHOR_INDEX else None  # read once: threads may replace it
    if cached is not None and cached[0] is items:
        return cached[1].get(author, [])
    asked = _ASKED[0] if _ASKED else None
    count = asked[1] + 1 if asked is not None and asked[0] is items else 1
    if count >= SCANS_BEFORE_INDEX:
        return items_by_author(items).get(author, [])
    _ASKED[:] = [(items, count)]
    return _sorted_items(item for item in items.values() if item.author == author)


def _my_items(state: WorkshopState, viewer: Viewer) -> Section:
    """The viewer's own live items, whatever the shared view shows of them."""
    sees_all = viewer.kind == "facilitator"
    return {
        item.id: item_json(state, item, sees_all=sees_all, author=True)
        for item in items_of_author(state.board.items, viewer.id)
        if not item.deleted and is_own(item, viewer)
    }


def _my_items_since(
    before: WorkshopState, section: Section, state: WorkshopState, viewer: Viewer
) -> Section | None:
    """``_my_items`` of ``state`` from the viewer's section of ``before``: only the items
    that changed are looked at (a change of the facilitators builds it whole)."""
    if before.facilitators is not state.facilitators:
        return None
    items = state.board.items
    sees_all = viewer.kind == "facilitator"
    result: dict[str, Json] | None = None
    added = False
    for item_id in changed_keys(before.board.items, items):
        item = items.get(item_id)
        if item is not None and not item.deleted and is_own(item, viewer):
            if result is None:
                result = dict(section)
            added = added or item_id not in result
            result[item_id] = item_json(state, item, sees_all=sees_all, author=True)
        elif item_id in section:
            if result is None:
                result = dict(section)
            del result[item_id]
    if result is None:
        return section
    return dict(sorted(result.items())) if added else result


def _my_votes(state: WorkshopState, viewer: Viewer) -> Section:
    """The viewer's own dots: the current step's round and every round they voted in."""
    step = state.current_step
    current = step.key if step is not None and step.permissions.dots > 0 else None
    scope = state.breakouts.scope_of(viewer.id)
    facilitator = viewer.kind == "facilitator"
    result: Section = {}
    for key in sorted(state.board.votes.keys() | ({current} if current else set())):
        round_ = state.board.votes.get(key)
        ballot = round_.ballots.get(viewer.id, ()) if round_ is not None else ()
        if not ballot and key != current:
            continue
        if round_ is not None:
            revealed = round_.revealed_all if facilitator else round_.is_revealed(scope)
            index, budget = round_.step_index, round_.budget
        else:
            assert step is not None  # ``current`` is set only with a current step
            index, budget, revealed = state.cursor, step.permissions.dots, False
        dots: dict[str, int] = {}
        for dot in ballot:
            dots[dot.item_id] = dots.get(dot.item_id, 0) + 1
        result[key] = {
            "step_index": index,
            "budget": budget,
            "used": len(ballot),
            "left": max(0, budget - len(ballot)),
            "revealed": revealed,
            "dots": dict(sorted(dots.items())),
        }
    return result


def _authors_of_changed_items(before: WorkshopState, state: WorkshopState) -> frozenset[str] | None:
    """Whose ``my_items`` may differ: the authors of items that changed (everyone's when
    the facilitators changed, since answers name them)."""
    if before.facilitators is not state.facilitators:
        return None
    old, new = before.board.items, state.board.items
    authors: set[str] = set()
    for item_id in changed_keys(old, new):
        for item in (old.get(item_id), new.get(item_id)):
            if item is not None:
                authors.add(item.author)
    return frozenset(authors)


def _voters_of_changed_ballots(
    before: WorkshopState, state: WorkshopState
) -> frozenset[str] | None:
    """Whose ``my_votes`` may differ: the voters whose ballots changed, as long as no round
    began, ended, was revealed or changed its budget, and the step and groups are the same."""
    if (
        before.cursor != state.cursor
        or before.phase != state.phase
        or before.plan is not state.plan
        or before.breakouts is not state.breakouts
    ):
        return None
    old, new = before.board.votes, state.board.votes
    if old.keys() != new.keys():
        return None
    voters: set[str] = set()
    for key in changed_keys(old, new):
        a, b = old[key], new[key]
        if (a.step_index, a.budget, a.revealed_all, a.revealed_scopes) != (
            b.step_index,
            b.budget,
            b.revealed_all,
            b.revealed_scopes,
        ):
            return None
        voters.update(changed_keys(a.ballots, b.ballots))
    return frozenset(voters)


SHARED: dict[str, SharedSection] = {"items": _items, "clusters": _clusters, "tallies": _tallies}
PERSONAL: dict[str, PersonalSection] = {"my_items": _my_items, "my_votes": _my_votes}
SHARED_READS: dict[str, Reads] = {
    "items": lambda s: (s.board.items, s.facilitators),
    "clusters": lambda s: (s.board.clusters,),
    "tallies": lambda s: (s.board.votes, s.board.items),
}
SHARED_SINCE: dict[str, SharedSince] = {"items": _items_since}
PERSONAL_SINCE: dict[str, PersonalSince] = {"my_items": _my_items_since}
PERSONAL_READS: dict[str, Reads] = {
    "my_items": lambda s: (s.board.items, s.facilitators),
    "my_votes": lambda s: (s.board.votes, s.cursor, s.phase, s.plan, s.breakouts),
}
PERSONAL_AFFECTED: dict[str, Affected] = {
    "my_items": _authors_of_changed_items,
    "my_votes": _voters_of_changed_ballots,
}
