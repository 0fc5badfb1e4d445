"""Agenda sharing: a workshop's plan as a structure file (docs/structures.md), and back.

Export writes one TOML file that ``lernraum structures check`` accepts next to the library:

- an **agenda** (``kind = "agenda"``) of library structures, with each item's minutes, title
  and changed prompts, whenever that agenda flattens to exactly the workshop's plan (a
  workshop planned from an agenda or a structure, also after whole items were retimed or
  inserted). Importing it gives the same plan, step for step.
- otherwise (steps moved, removed or retimed inside a structure, or structures the library
  lacks) a self-contained **structure** (``kind = "structure"``) with one step per plan
  step, the board templates it needs and the roles merged by id. Importing it gives the same
  steps, lengths, groups, prompts and rights; the titles gain the workshop's title in front
  (a structure's name always leads its steps' titles), and roles apply to every step, only
  listening where they did not act.

Import reads an agenda or a structure file, checks it against the library as
``structures check`` would, and creates a workshop in the lobby from its flattened plan.
Ids of the file that clash with the library are renamed for the check; the workshop
remembers the file's own id as its ``agenda_id``.
"""

from __future__ import annotations

import asyncio
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.core.errors import Rejected
from app.core.plan import GroupConfig, PlanStep, Text
from app.core.runofshow import create_workshop
from app.core.setup import MAX_TITLE_CHARS
from app.core.state import WorkshopState
from app.structures import (
    FILE_MODELS,
    TITLE_SEPARATOR,
    AgendaFile,
    Library,
    StructureFile,
)
from app.structures_check import Loaded, SourceMap, check_loaded, toml_error, validation_messages
from app.workshops import WorkshopService, new_workshop_id

MAX_TOML_CHARS = 512 * 1024
FALLBACK_LICENCE = {"spdx": "CC-BY-SA-4.0", "attribution": "Lernraum"}
_SLUG_RUN = re.compile(r"[^a-z0-9]+")
_UMLAUTS: dict[int, str] = {ord("ä"): "ae", ord("ö"): "oe", ord("ü"): "ue", ord("ß"): "ss"}


class AgendaError(ValueError):
    """The file cannot become a workshop; ``problems`` says why, line by line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems[:10]))


# --- writing TOML -----------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b"}


def toml_string(value: str) -> str:
    """A TOML basic string holding exactly ``value``."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """A TOML value on one line: strings, booleans, numbers, arrays, inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("TOML numbers here are finite")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_document(document: Mapping[str, Any]) -> str:
    """A document whose table values become ``[tables]`` and whose lists of tables become
    ``[[arrays of tables]]``; everything below them is written inline."""
    lines: list[str] = []
    tables: list[str] = []
    for key, value in document.items():
        if isinstance(value, Mapping) and key == "licence":
            tables.append(f"\n[{key}]")
            tables += [f"{_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for entry in value:
                tables.append(f"\n[[{key}]]")
                tables += [f"{_key(k)} = {toml_value(v)}" for k, v in entry.items()]
        else:
            lines.append(f"{_key(key)} = {toml_value(value)}")
    return "\n".join(lines + tables) + "\n"


# --- the plan as a file -------------------------------------------------------------------------


def _text(text: Text) -> dict[str, str]:
    return {"de": text.de, "en": text.en}


def _minutes(seconds: int) -> float:
    return seconds / 60


def slug(text: str, fallback: str = "agenda") -> str:
    """A file id from a title: lower case, ASCII letters and digits joined by dashes."""
    folded = text.lower().translate(_UMLAUTS)
    found = _SLUG_RUN.sub("-", folded).strip("-")[:60].strip("-")
    return found or fallback


def _licence(library: Library, structure_ids: Sequence[str]) -> dict[str, str]:
    """One licence for a file composed of these structures (share-alike wins)."""
    licences = [
        library.structures[s].licence
        for s in dict.fromkeys(structure_ids)
        if s in library.structures
    ]
    if not licences:
        return dict(FALLBACK_LICENCE)
    spdx = {licence.spdx for licence in licences}
    chosen = licences[0].spdx if len(spdx) == 1 else "CC-BY-SA-4.0"
    attribution = "; ".join(dict.fromkeys(licence.attribution for licence in licences))
    return {"spdx": chosen, "attribution": attribution}


def _segments(step: PlanStep) -> tuple[str, str]:
    """(item number or "", top-level structure id) of a plan step's key."""
    parts = step.key.split("/")
    if parts[0].isdigit() and len(parts) > 1:
        return parts[0], parts[1].split("#")[0]
    return "", parts[0].split("#")[0]


def _item_title(step: PlanStep) -> Text:
    de = step.title.de.split(TITLE_SEPARATOR, 1)[0]
    en = step.title.en.split(TITLE_SEPARATOR, 1)[0]
    return Text(de=de, en=en)


def _groups(plan: Sequence[PlanStep]) -> list[list[PlanStep]]:
    """Consecutive plan steps of the same agenda item."""
    groups: list[list[PlanStep]] = []
    for step in plan:
        if (
            groups
            and _segments(groups[-1][0]) == _segments(step)
            and not _restarts(groups[-1], step)
        ):
            groups[-1].append(step)
        else:
            groups.append([step])
    return groups


def _restarts(group: list[PlanStep], step: PlanStep) -> bool:
    """Whether ``step`` repeats a step already in the group (an item inserted twice)."""
    return any(seen.key.split("#")[0] == step.key.split("#")[0] for seen in group)


def comparable(plan: Sequence[PlanStep]) -> list[PlanStep]:
    """Plan steps without their keys: what the agenda is, whatever the steps are called."""
    return [replace(step, key="") for step in plan]


def _described(kind: str, file_id: str, title: str) -> dict[str, Any]:
    """The head of an exported file: its kind, id, name and description."""
    return {
        "kind": kind,
        "id": file_id,
        "name": {"de": title, "en": title},
        "description": {
            "de": f"Ablauf des Workshops „{title}“, aus Lernraum exportiert.",
            "en": f"Agenda of the workshop “{title}”, exported from Lernraum.",
        },
    }


def _as_agenda(
    plan: Sequence[PlanStep], library: Library, file_id: str, title: str
) -> dict[str, Any] | None:
    """The agenda file that flattens to ``plan``, or None when there is none."""
    items: list[dict[str, Any]] = []
    for group in _groups(plan):
        structure_id = _segments(group[0])[1]
        structure = library.structures.get(structure_id)
        if structure is None:
            return None
        item: dict[str, Any] = {
            "use": structure_id,
            "minutes": _minutes(sum(step.seconds for step in group)),
        }
        item_title = _item_title(group[0])
        if item_title != structure.name.text():
            item["title"] = _text(item_title)
        items.append(item)
    structure_ids = [item["use"] for item in items]
    document: dict[str, Any] = {
        **_described("agenda", file_id, title),
        "total_minutes": _minutes(sum(step.seconds for step in plan)),
        "licence": _licence(library, structure_ids),
        "items": items,
    }
    flattened = _flatten(document, library)
    if flattened is None:
        return None
    # prompts an agenda item replaced: each top-level step without nesting is one plan step
    for number, (item, group) in enumerate(zip(items, _groups(plan), strict=True), start=1):
        structure = library.structures[item["use"]]
        expected = [s for s in flattened if s.key.startswith(f"{number}/")]
        if len(expected) != len(group):
            return None
        prompts: dict[str, Any] = {}
        for own, wanted in zip(expected, group, strict=True):
            if own.prompt == wanted.prompt:
                continue
            top = own.key.split("/")[2]
            nested = any(s.id == top and s.use is not None for s in structure.steps)
            if wanted.prompt is None or nested:
                return None
            prompts[top] = _text(wanted.prompt)
        if prompts:
            item["prompts"] = prompts
    flattened = _flatten(document, library)
    if flattened is None or comparable(flattened) != comparable(plan):
        return None
    return document


def _flatten(document: Mapping[str, Any], library: Library) -> tuple[PlanStep, ...] | None:
    try:
        model = FILE_MODELS[document["kind"]].model_validate(dict(document))
    except ValidationError:
        return None
    try:
        return _library_with(library, model).plan_for(model.id)
    except (KeyError, ValueError, AssertionError, ZeroDivisionError):
        return None


def _library_with(library: Library, model: Any) -> Library:
    structures = dict(library.structures)
    agendas = dict(library.agendas)
    if isinstance(model, AgendaFile):
        agendas[model.id] = model
    else:
        structures[model.id] = model
    return Library(structures, agendas, library.decks, library.sources)


def _group_spec(group: GroupConfig) -> str | dict[str, Any]:
    spec: dict[str, Any] = {"kind": group.kind}
    if group.kind == "groups":
        spec["min"], spec["max"] = group.min_size, group.max_size
    if group.kind == "rounds" and group.minutes_per_person is not None:
        spec["minutes_per_person"] = group.minutes_per_person
    if group.mix_by is not None:
        spec["mix_by"] = group.mix_by
    if group.avoid_repeats:
        spec["avoid_repeats"] = True
    if group.kind == "foursomes" and not group.keep_partners:
        spec["keep_partners"] = False
    return group.kind if len(spec) == 1 else spec


def _as_structure(
    plan: Sequence[PlanStep], library: Library, file_id: str, title: str
) -> dict[str, Any]:
    """A self-contained structure with one step per plan step."""
    boards: dict[str, dict[str, Any]] = {}
    roles: dict[str, dict[str, Any]] = {}
    steps: list[dict[str, Any]] = []
    for number, step in enumerate(plan, start=1):
        step_id = f"s{number}-{step.step_id}"[:60].rstrip("-")
        entry: dict[str, Any] = {
            "id": step_id,
            "title": _text(step.title),
            "minutes": _minutes(step.seconds),
        }
        group = _group_spec(step.group)
        if group != "all":
            entry["group"] = group
        if step.prompt is not None:
            entry["prompt"] = _text(step.prompt)
        if step.permissions.actions:
            entry["allow"] = sorted(step.permissions.actions)
        if step.permissions.dots:
            entry["dots"] = step.permissions.dots
        for flag in ("private_until_reveal", "anonymous", "before_start"):
            if getattr(step.permissions, flag, False):
                entry[flag] = True
        if step.on_expiry != "advance":
            entry["on_expiry"] = step.on_expiry
        if step.board is not None:
            board_id = _copy_board(library, step, boards)
            if board_id is not None:
                entry["board"] = board_id
        if step.deck is not None:
            entry["deck"] = step.deck
        steps.append(entry)
        for role in step.roles:
            _merge_role(roles, role, step, step_id)
    document: dict[str, Any] = {
        **_described("structure", file_id, title),
        "licence": _licence(library, [step.structure_id for step in plan]),
    }
    if roles:
        document["roles"] = list(roles.values())
    if boards:
        document["boards"] = list(boards.values())
    document["steps"] = steps
    return document


def _copy_board(library: Library, step: PlanStep, boards: dict[str, dict[str, Any]]) -> str | None:
    structure = library.structures.get(step.structure_id)
    template = (
        next((b for b in structure.boards if b.id == step.board), None) if structure else None
    )
    if template is None:
        return None
    copied = {
        "id": template.id,
        "title": _text(template.title.text()),
        "areas": [{"id": a.id, "title": _text(a.title.text())} for a in template.areas],
    }
    board_id = template.id
    if board_id in boards and boards[board_id] != copied:
        board_id = f"{step.structure_id}-{template.id}"[:60]
        copied["id"] = board_id
    boards[board_id] = copied
    return board_id


def _merge_role(roles: dict[str, dict[str, Any]], role: Any, step: PlanStep, step_id: str) -> None:
    entry = {
        "id": role.id,
        "name": _text(role.name),
        "instructions": _text(role.instructions),
    }
    if role.count is not None:
        entry["count"] = role.count
    key = role.id
    known = roles.get(key)
    if known is not None and {k: v for k, v in known.items() if k != "acts_in"} != entry:
        key = f"{step.structure_id}-{role.id}"[:60]
        entry["id"] = key
        known = roles.get(key)
    if known is None:
        known = {**entry, "acts_in": []}
        roles[key] = known
    if role.acts:
        known["acts_in"].append(step_id)


def agenda_document(
    state: WorkshopState, library: Library, file_id: str | None = None
) -> dict[str, Any]:
    """The file describing ``state``'s plan, as data (see the module's docstring)."""
    chosen = file_id or slug(state.title)
    return _as_agenda(state.plan, library, chosen, state.title) or _as_structure(
        state.plan, library, chosen, state.title
    )


def agenda_toml(state: WorkshopState, library: Library, file_id: str | None = None) -> str:
    """The file describing ``state``'s plan, as TOML text."""
    if file_id is not None and slug(file_id) != file_id:
        raise AgendaError([f"'{file_id}' is not a slug (a-z, 0-9 and -)"])
    return toml_document(agenda_document(state, library, file_id))


# --- reading a file into a plan ----------------------------------------------------------------


def plan_from_toml(text: str, library: Library) -> tuple[str, Text, tuple[PlanStep, ...]]:
    """(the file's id, its name, the flattened plan) of an agenda or structure file."""
    if len(text) > MAX_TOML_CHARS:
        raise AgendaError([f"the file is larger than {MAX_TOML_CHARS // 1024} KiB"])
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, message = toml_error(error, text)
        raise AgendaError([f"line {line}: {message}"]) from None
    source = SourceMap(text)
    kind = raw.get("kind")
    if kind not in ("agenda", "structure"):
        raise AgendaError(
            [f'line {source.line_of(("kind",))}: \'kind\' must be "agenda" or "structure"']
        )
    own_id = raw.get("id")
    taken = set(library.structures) | set(library.agendas) | set(library.decks)
    if isinstance(own_id, str) and own_id in taken:
        raw["id"] = _unique(own_id, taken)
    try:
        model = FILE_MODELS[kind].model_validate(raw)
    except ValidationError as error:
        raise AgendaError(
            [
                f"line {source.line_of(loc)}: {message}"
                for loc, message in validation_messages(error)
            ]
        ) from None
    mine = Loaded(Path("agenda.toml"), "agenda.toml", source, model)
    others = [
        Loaded(path, path.name, SourceMap(""), found)
        for found_id, path in library.sources.items()
        if (found := _model_of(library, found_id)) is not None
    ]
    problems = [
        f"line {problem.line}: {problem.message}"
        for problem in check_loaded([*others, mine], ())
        if problem.file == mine.display
    ]
    if problems:
        raise AgendaError(problems)
    assert isinstance(model, AgendaFile | StructureFile)
    plan = _library_with(library, model).plan_for(model.id)
    return (own_id if isinstance(own_id, str) else model.id), model.name.text(), plan


def _model_of(library: Library, item_id: str) -> Any:
    return (
        library.structures.get(item_id)
        or library.agendas.get(item_id)
        or library.decks.get(item_id)
    )


def _unique(item_id: str, taken: set[str]) -> str:
    number = 2
    while f"{item_id}-{number}" in taken:
        number += 1
    return f"{item_id}-{number}"


async def import_agenda(
    service: WorkshopService, text: str, owner: str, title: str | None = None
) -> WorkshopState:
    """A new workshop in the lobby, owned by ``owner``, planned from an agenda or structure
    file; AgendaError when the file does not pass the library's checks."""
    file_id, name, plan = plan_from_toml(text, service.library)
    now = service.clock.now()
    try:
        created = create_workshop(
            workshop_id=new_workshop_id(),
            title=(title or name.de)[:MAX_TITLE_CHARS],
            owner=owner,
            plan=plan,
            now=now,
            agenda_id=file_id,
        )
    except Rejected as rejected:
        raise AgendaError([rejected.message]) from None
    await asyncio.to_thread(service.store.save_workshop, created, now)
    state = await service.get(created.workshop_id)
    assert state is not None
    return state
