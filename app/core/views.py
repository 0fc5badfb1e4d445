"""What each viewer may see of a workshop: the one visibility function.

A view is a pure function of the state and the viewer. It is split into *sections*
(``"workshop"``, ``"plan"``, ``"people"``, ``"groups"``, ``"items"``, …), each a mapping
from a key (a step index, a participant id, an item id) to a plain JSON value. The live
gateway sends a viewer the view on joining and afterwards only the *changes* between two
views, so nothing can reach a viewer by a side channel that their snapshot would not show:
a private canvas, unrevealed private writing, a hidden tally or another group's note simply
is not in their view, and a change to it produces no change for them. Exports use the same
function.

Most of a view depends only on the viewer's *audience*: the facilitators see everything,
a participant sees what their current scope (their breakout group, or the plenary) shows.
That shared part is computed once per audience; the few personal entries (my canvas, my
dots, my private notes, who I am) come from ``personal_view``. Section names of the two
parts never overlap.

Concept modules contribute sections through their ``SHARED`` and ``PERSONAL``
tables, as they contribute deciders to the reducer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, Literal

from app.core.agreement import agreement_of
from app.core.groups import PLENARY, Group
from app.core.plan import PlanStep, RoleSpec, Text
from app.core.setup import video_link
from app.core.state import WorkshopState

ViewerKind = Literal["facilitator", "participant"]
Json = Any  # a plain JSON value: dict, list, str, int, float, bool or None
Section = dict[str, Json]
Sections = dict[str, Section]
FACILITATORS = "*"  # the scope of the facilitators' audience: every group


@dataclass(frozen=True)
class Viewer:
    """Someone looking at a workshop: a facilitator account or a participant."""

    kind: ViewerKind
    id: str


@dataclass(frozen=True)
class Audience:
    """Everyone who sees the same shared view: the facilitators, or one scope's members."""

    kind: ViewerKind
    scope: str  # FACILITATORS, a breakout group id or PLENARY
    # earlier groups the scope's group continues (``Group.continues``): their content too
    continued: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        """A short stable name, e.g. ``participant:r1-g2``."""
        return f"{self.kind}:{self.scope}"

    @property
    def sees_all(self) -> bool:
        """Facilitators see every group."""
        return self.kind == "facilitator"


@dataclass(frozen=True)
class Change:
    """One entry of a view that differs: ``value`` None means the entry is gone."""

    section: str
    key: str
    value: Json


SharedSection = Callable[[WorkshopState, Audience], Section]
PersonalSection = Callable[[WorkshopState, Viewer], Section]
# The parts of the state a section reads. States are frozen and every change makes new
# parts, so while each part is the *same object* the section is the same: the live room
# keeps it instead of building it again. Leaving a part out would keep a stale section, so
# every part a section's function touches is listed (tests/core/test_views_since.py).
Reads = Callable[[WorkshopState], tuple[object, ...]]
# A shared section brought from the state ``before`` (and the section then) to ``state``
# entry by entry; None when it must be built whole.
SharedSince = Callable[[WorkshopState, Section, WorkshopState, Audience], Section | None]
# The same for a personal section and its viewer.
PersonalSince = Callable[[WorkshopState, Section, WorkshopState, Viewer], Section | None]
# Whose personal section may differ between two states whose reads differ: a set of viewer
# ids, or None for everyone.
Affected = Callable[[WorkshopState, WorkshopState], frozenset[str] | None]


def may_view(state: WorkshopState, viewer: Viewer) -> bool:
    """Whether the viewer belongs to the workshop at all."""
    if viewer.kind == "facilitator":
        return viewer.id in state.facilitators
    return viewer.id in state.participants


def audience_of(state: WorkshopState, viewer: Viewer) -> Audience | None:
    """The audience whose shared view the viewer gets; None when they may not view."""
    if not may_view(state, viewer):
        return None
    if viewer.kind == "facilitator":
        return Audience("facilitator", FACILITATORS)
    breakouts = state.breakouts
    return Audience("participant", breakouts.scope_of(viewer.id), breakouts.sight_of(viewer.id))


def shared_view(state: WorkshopState, audience: Audience) -> Sections:
    """Every shared section as the audience sees it."""
    return {name: build(state, audience) for name, build in shared_sections().items()}


def personal_view(state: WorkshopState, viewer: Viewer) -> Sections:
    """The sections only this viewer sees."""
    return {name: build(state, viewer) for name, build in personal_sections().items()}


def view(state: WorkshopState, viewer: Viewer) -> Sections | None:
    """The whole view of one viewer; None when they may not view the workshop."""
    audience = audience_of(state, viewer)
    if audience is None:
        return None
    return {**shared_view(state, audience), **personal_view(state, viewer)}


def same_parts(before: tuple[object, ...], after: tuple[object, ...]) -> bool:
    """Whether two ``Reads`` results name the very same objects."""
    return len(before) == len(after) and all(x is y for x, y in zip(before, after, strict=True))


# The last comparison: one publication asks the same question for several sections.
_LAST_CHANGED: list[tuple[Mapping[str, object], Mapping[str, object], frozenset[str]]] = []


def changed_keys(before: Mapping[str, object], after: Mapping[str, object]) -> frozenset[str]:
    """The keys whose value is not the same object in both mappings (added, gone, changed)."""
    if before is after:
        return frozenset()
    last = _LAST_CHANGED[0] if _LAST_CHANGED else None  # read once: threads may replace it
    if last is not None and last[0] is before and last[1] is after:
        return last[2]
    get = before.get
    changed = {key for key, value in after.items() if get(key) is not value}
    added = sum(1 for key in changed if key not in before)
    if len(before) + added > len(after):  # some keys are gone
        changed.update(key for key in before if key not in after)
    result = frozenset(changed)
    _LAST_CHANGED[:] = [(before, after, result)]
    return result


def touched_sections(before: WorkshopState, state: WorkshopState) -> frozenset[str]:
    """The shared sections whose reads differ between two states (the same for every
    audience, so a publication asks once)."""
    reads = shared_reads()
    return frozenset(
        name
        for name in shared_sections()
        if (read := reads.get(name)) is None or not same_parts(read(before), read(state))
    )


def shared_view_since(
    before: WorkshopState,
    sections: Mapping[str, Section],
    state: WorkshopState,
    audience: Audience,
    touched: Collection[str] | None = None,
) -> Sections:
    """``shared_view(state, audience)``, reusing the sections of the audience's view of
    ``before`` (``sections``) whose reads are unchanged, and updating others entry by entry
    where a section knows how. ``touched``: ``touched_sections(before, state)``, when the
    caller has it already."""
    if touched is None:
        touched = touched_sections(before, state)
    since = shared_since()
    result: Sections = {}
    for name, build in shared_sections().items():
        old = sections.get(name)
        if old is not None:
            if name not in touched:
                result[name] = old
                continue
            update = since.get(name)
            if update is not None:
                updated = update(before, old, state, audience)
                if updated is not None:
                    result[name] = updated
                    continue
        result[name] = build(state, audience)
    return result


def personal_changes(
    before: WorkshopState, state: WorkshopState
) -> dict[str, frozenset[str] | None]:
    """The personal sections that may differ between two states, each with the ids of the
    viewers concerned (None: everyone). Sections not named are the same for every viewer."""
    if before is state:
        return {}
    affected = personal_affected()
    result: dict[str, frozenset[str] | None] = {}
    for name, read in personal_reads().items():
        if same_parts(read(before), read(state)):
            continue
        narrow = affected.get(name)
        result[name] = narrow(before, state) if narrow is not None else None
    for name in personal_sections():
        if name not in personal_reads():
            result[name] = None
    return result


def personal_view_since(
    sections: Sections,
    state: WorkshopState,
    viewer: Viewer,
    changes: Mapping[str, frozenset[str] | None],
    before: WorkshopState | None = None,
) -> Sections:
    """``personal_view(state, viewer)`` from the viewer's personal view of an earlier state
    (``before``, when given: sections that know how are then updated entry by entry) and
    ``personal_changes`` between the two: only the sections concerned are built, and when
    none concerns the viewer, ``sections`` itself comes back."""
    builders = personal_sections()
    since = personal_since()
    result: dict[str, Section] | None = None
    for name, who in changes.items():
        if who is None or viewer.id in who or name not in sections:
            if result is None:
                result = dict(sections)
            update = since.get(name) if before is not None and name in sections else None
            updated = update(before, sections[name], state, viewer) if update and before else None
            result[name] = updated if updated is not None else builders[name](state, viewer)
    return sections if result is None else result


def diff(
    old: Mapping[str, Mapping[str, Json]], new: Mapping[str, Mapping[str, Json]]
) -> list[Change]:
    """The changes that turn view ``old`` into view ``new``, in a stable order."""
    changes: list[Change] = []
    for name in sorted(old.keys() | new.keys()):
        before = old.get(name, {})
        after = new.get(name, {})
        if before is after:
            continue
        for key, value in after.items():
            earlier = before.get(key, None)
            if earlier is not value and earlier != value:
                changes.append(Change(name, key, value))
        changes.extend(Change(name, key, None) for key in before if key not in after)
    return changes


def iso(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 in UTC with a ``Z``, or None."""
    if moment is None:
        return None
    return _iso(moment)


@lru_cache(maxsize=16_384)  # the same moments (an item's creation) are written again and again
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def text(value: Text | None) -> Json:
    """A German-and-English text as ``{"de": …, "en": …}``."""
    return None if value is None else {"de": value.de, "en": value.en}


# --- the run of show -----------------------------------------------------------------


def _workshop(state: WorkshopState, audience: Audience) -> Section:
    main: dict[str, Json] = {
        "id": state.id,
        "title": state.title,
        "phase": state.phase,
        "cursor": state.cursor,
        "deadline": iso(state.deadline),
        "remaining_s": state.remaining_s,
        "paused_at": iso(state.paused_at),
        "expired": state.expired,
        "awaiting_decision": state.awaiting_decision,
        "started_at": iso(state.started_at),
        "ended_at": iso(state.ended_at),
        "locked": state.locked,
        "agreement": text(agreement_of(state)),
    }
    if audience.sees_all:
        main["owner"] = state.owner
        main["facilitators"] = sorted(state.facilitators)
        main["join_attributes"] = list(state.join_attributes)
        main["video_url"] = state.video_url
    return {"main": main}


def _role(role: RoleSpec) -> Json:
    return {
        "id": role.id,
        "name": text(role.name),
        "instructions": text(role.instructions),
        "count": role.count,
        "acts": role.acts,
    }


def step_json(step: PlanStep) -> Json:
    """One plan step as the clients see it."""
    group = step.group
    permissions = step.permissions
    return {
        "key": step.key,
        "structure_id": step.structure_id,
        "step_id": step.step_id,
        "title": text(step.title),
        "seconds": step.seconds,
        "group": {
            "kind": group.kind,
            "min_size": group.min_size,
            "max_size": group.max_size,
            "keep_partners": group.keep_partners,
            "mix_by": group.mix_by,
            "avoid_repeats": group.avoid_repeats,
            "minutes_per_person": group.minutes_per_person,
        },
        "prompt": text(step.prompt),
        "permissions": {
            "actions": sorted(permissions.actions),
            "dots": permissions.dots,
            "private_until_reveal": permissions.private_until_reveal,
            "anonymous": permissions.anonymous,
            "before_start": permissions.before_start,
        },
        "roles": [_role(role) for role in step.roles],
        "on_expiry": step.on_expiry,
        "board": step.board,
        "deck": step.deck,
    }


def _plan(state: WorkshopState, audience: Audience) -> Section:
    del audience
    return {str(index): step_json(step) for index, step in enumerate(state.plan)}


def _history(state: WorkshopState, audience: Audience) -> Section:
    """Actual times of every step run, for the facilitators' planned-versus-actual view."""
    if not audience.sees_all:
        return {}
    return {
        str(number): {
            "index": run.index,
            "started_at": iso(run.started_at),
            "ended_at": iso(run.ended_at),
            "paused_s": run.paused_s,
            "retimed_s": run.retimed_s,
        }
        for number, run in enumerate(state.runs)
    }


# --- people and groups -----------------------------------------------------------------


def _people(state: WorkshopState, audience: Audience) -> Section:
    """Who is here. Join attributes are for the facilitators (they mix groups by them)."""
    if audience.sees_all:
        return {
            pid: {
                "name": person.name,
                "attributes": dict(person.attributes),
                "joined_at": iso(person.joined_at),
            }
            for pid, person in state.participants.items()
        }
    return {pid: {"name": person.name} for pid, person in state.participants.items()}


def _breakouts(state: WorkshopState, audience: Audience) -> Section:
    breakouts = state.breakouts
    main: dict[str, Json] = {
        "open": breakouts.open,
        "round": breakouts.round,
        "step_index": breakouts.step_index,
        "strategy": breakouts.strategy,
    }
    if audience.sees_all:
        main["help_requests"] = sorted(breakouts.help_requests)
    return {"main": main}


def _group_json(group: Group, help_requested: bool) -> Json:
    return {
        "members": list(group.members),
        "roles": dict(group.roles),
        "topic": group.topic,
        "capacity": group.capacity,
        "help_requested": help_requested,
    }


def _groups(state: WorkshopState, audience: Audience) -> Section:
    """Facilitators see every group; a participant sees their own group in full and, in
    self-selected topic rooms, the other rooms' topics and how full they are."""
    breakouts = state.breakouts
    if not breakouts.open:
        return {}
    result: Section = {}
    for group in breakouts.groups:
        asked = group.id in breakouts.help_requests
        if audience.sees_all or group.id == audience.scope:
            result[group.id] = _group_json(group, asked)
        elif group.topic is not None:
            result[group.id] = {
                "topic": group.topic,
                "capacity": group.capacity,
                "size": len(group.members),
            }
    return result


def _broadcasts(state: WorkshopState, audience: Audience) -> Section:
    return {
        str(number): {"text": message.text, "at": iso(message.at)}
        | ({"author": message.author} if audience.sees_all else {})
        for number, message in enumerate(state.breakouts.broadcasts)
    }


def _me(state: WorkshopState, viewer: Viewer) -> Section:
    """Who the viewer is, where they are and which role they hold now."""
    if viewer.kind == "facilitator":
        return {"main": {"kind": "facilitator", "id": viewer.id, "owner": viewer.id == state.owner}}
    person = state.participants.get(viewer.id)
    group = state.breakouts.group_of(viewer.id)
    return {
        "main": {
            "kind": "participant",
            "id": viewer.id,
            "name": person.name if person else None,
            "scope": group.id if group else PLENARY,
            "role": group.roles.get(viewer.id) if group else None,
            "video": {
                "plenary": video_link(state),
                "group": video_link(state, group.id) if group else None,
            },
        }
    }


CORE_SHARED: dict[str, SharedSection] = {
    "workshop": _workshop,
    "plan": _plan,
    "history": _history,
    "people": _people,
    "breakouts": _breakouts,
    "groups": _groups,
    "broadcasts": _broadcasts,
}
CORE_PERSONAL: dict[str, PersonalSection] = {"me": _me}
# "workshop" reads many scalars and is one small entry: it is always built.
CORE_SHARED_READS: dict[str, Reads] = {
    "workshop": lambda s: (
        s.id,
        s.title,
        s.phase,
        s.cursor,
        s.deadline,
        s.remaining_s,
        s.paused_at,
        s.expired,
        s.awaiting_decision,
        s.started_at,
        s.ended_at,
        s.locked,
        s.agreement,
        s.owner,
        s.facilitators,
        s.join_attributes,
        s.video_url,
    ),
    "plan": lambda s: (s.plan,),
    "history": lambda s: (s.runs,),
    "people": lambda s: (s.participants,),
    "breakouts": lambda s: (s.breakouts,),
    "groups": lambda s: (s.breakouts,),
    "broadcasts": lambda s: (s.breakouts,),
}
CORE_PERSONAL_READS: dict[str, Reads] = {
    "me": lambda s: (s.participants, s.breakouts, s.video_url, s.owner, s.id),
}


def _me_affected(before: WorkshopState, state: WorkshopState) -> frozenset[str] | None:
    """A participant's ``me`` reads only their own entry of the participants, unless the
    groups, the video link or the owner changed."""
    if (
        before.breakouts is not state.breakouts
        or before.video_url != state.video_url
        or before.owner != state.owner
        or before.id != state.id
    ):
        return None
    return changed_keys(before.participants, state.participants)


CORE_PERSONAL_AFFECTED: dict[str, Affected] = {"me": _me_affected}


@cache
def shared_sections() -> dict[str, SharedSection]:
    """Every shared section, from this module and the concept modules."""
    from app.core import boardviews, personalviews  # they import this module: import late

    return {**CORE_SHARED, **boardviews.SHARED, **personalviews.SHARED}


@cache
def personal_sections() -> dict[str, PersonalSection]:
    """Every personal section, from this module and the concept modules."""
    from app.core import boardviews, personalviews  # they import this module: import late

    return {**CORE_PERSONAL, **boardviews.PERSONAL, **personalviews.PERSONAL}


@cache
def shared_reads() -> dict[str, Reads]:
    """What each shared section reads (sections without an entry are always built)."""
    from app.core import boardviews, personalviews  # they import this module: import late

    return {**CORE_SHARED_READS, **boardviews.SHARED_READS, **personalviews.SHARED_READS}


@cache
def shared_since() -> dict[str, SharedSince]:
    """Shared sections that can be updated entry by entry."""
    from app.core import boardviews  # it imports this module: import late

    return dict(boardviews.SHARED_SINCE)


@cache
def personal_since() -> dict[str, PersonalSince]:
    """Personal sections that can be updated entry by entry."""
    from app.core import boardviews  # it imports this module: import late

    return dict(boardviews.PERSONAL_SINCE)


@cache
def personal_reads() -> dict[str, Reads]:
    """What each personal section reads (sections without an entry are always built)."""
    from app.core import boardviews, personalviews  # they import this module: import late

    return {**CORE_PERSONAL_READS, **boardviews.PERSONAL_READS, **personalviews.PERSONAL_READS}


@cache
def personal_affected() -> dict[str, Affected]:
    """Personal sections that can tell whose view a change concerns."""
    from app.core import boardviews, personalviews  # they import this module: import late

    return {
        **CORE_PERSONAL_AFFECTED,
        **boardviews.PERSONAL_AFFECTED,
        **personalviews.PERSONAL_AFFECTED,
    }
