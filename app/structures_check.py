"""Where things are wrong in structure files: a TOML line locator and the library's checks.

Rule: every problem names a file and a real 1-based line. ``tomllib`` gives no positions,
so ``SourceMap`` scans the (already valid) TOML text and records the line of every table
header, key and array element by its path; a pydantic error ``loc`` or a semantic check's
path is then mapped to the longest recorded prefix. The checks here only read validated
models (see ``app/structures.py``) and never raise for content problems.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:
    from app.structures import AgendaFile, DeckFile, GroupSpec, StructureFile

Loc = tuple[str | int, ...]

# The pydantic error type for messages that are shown verbatim, and the one for messages
# that get the offending key put in front ("'title' must be a text ...").
VERBATIM_ERROR = "lernraum"
KEYED_ERROR = "lernraum_keyed"

# Keys a step that runs another structure (``use``) may not set: the nested steps keep
# their own group configuration, permissions, expiry policy, board and deck.
USE_EXCLUSIVE_KEYS = (
    "group",
    "allow",
    "dots",
    "private_until_reveal",
    "anonymous",
    "before_start",
    "on_expiry",
    "board",
    "deck",
)

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)")
_MINUTES_TOLERANCE = 1e-9  # minutes; sums of fractional minutes are compared with this slack


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, at one line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


# --------------------------------------------------------------------------- line locator


class _Scanner:
    """Walks valid TOML text and records the line where each path starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Loc, int] = {}

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        for _ in range(count):
            if self.pos < len(self.text):
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1

    def record(self, loc: Loc) -> None:
        self.lines.setdefault(loc, self.line)

    def record_path(self, base: Loc, keys: Sequence[str | int]) -> None:
        for end in range(1, len(keys) + 1):
            self.record(base + tuple(keys[:end]))

    def skip_blank(self, newlines: bool) -> None:
        while True:
            char = self.peek()
            if char in (" ", "\t", "\r") or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                while self.peek() not in ("\n", ""):
                    self.advance()
            else:
                return

    def string(self) -> str:
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            self.advance(3)
            while self.peek():
                if quote == '"' and self.peek() == "\\":
                    self.advance(2)
                elif self.text.startswith(quote * 3, self.pos):
                    self.advance(3)
                    for _ in range(2):  # a closing delimiter may carry up to two quotes
                        if self.peek() == quote:
                            self.advance()
                    return ""
                else:
                    self.advance()
            return ""
        self.advance()
        chars: list[str] = []
        while self.peek() not in ("", "\n"):
            char = self.peek()
            self.advance()
            if char == quote:
                break
            if quote == '"' and char == "\\":
                chars.append(self.peek())
                self.advance()
            else:
                chars.append(char)
        return "".join(chars)

    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.pos
                while self.peek() and (self.peek().isalnum() or self.peek() in "_-"):
                    self.advance()
                if self.pos == start:
                    return parts
                parts.append(self.text[start : self.pos])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def value(self, loc: Loc) -> None:
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self.array(loc)
        elif char == "{":
            self.inline_table(loc)
        else:
            while self.peek() not in ("", ",", "]", "}", "\n", "#"):
                self.advance()

    def array(self, loc: Loc) -> None:
        self.advance()
        index = 0
        while True:
            self.skip_blank(newlines=True)
            char = self.peek()
            if char in ("", "]"):
                self.advance()
                return
            if char == ",":
                self.advance()
                continue
            start = self.pos
            self.record((*loc, index))
            self.value((*loc, index))
            if self.pos == start:
                self.advance()
            index += 1

    def inline_table(self, loc: Loc) -> None:
        self.advance()
        while True:
            self.skip_blank(newlines=True)
            char = self.peek()
            if char in ("", "}"):
                self.advance()
                return
            if char == ",":
                self.advance()
                continue
            self.assignment(loc)

    def assignment(self, table: Loc) -> None:
        start = self.pos
        keys = self.key()
        self.record_path(table, keys)
        self.skip_blank(newlines=False)
        if self.peek() == "=":
            self.advance()
        self.skip_blank(newlines=False)
        self.value(table + tuple(keys))
        if self.pos == start:
            self.advance()

    def document(self) -> None:
        table: Loc = ()
        arrays: dict[Loc, int] = {}  # array-of-tables path -> how many entries seen so far
        while True:
            self.skip_blank(newlines=True)
            if not self.peek():
                return
            if self.peek() != "[":
                self.assignment(table)
                continue
            double = self.peek(1) == "["
            self.advance(2 if double else 1)
            keys = self.key()
            self.skip_blank(newlines=False)
            self.advance(2 if double else 1)
            path: Loc = ()
            for number, key in enumerate(keys):
                path = (*path, key)
                if number < len(keys) - 1 and path in arrays:
                    path = (*path, arrays[path] - 1)
            self.record_path((), path)
            if double:
                index = arrays.get(path, 0)
                arrays[path] = index + 1
                path = (*path, index)
                self.record(path)
            table = path


class SourceMap:
    """The line of every key, table and array element of one TOML source."""

    def __init__(self, text: str) -> None:
        scanner = _Scanner(text)
        scanner.document()
        self._lines = scanner.lines

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The line of ``loc``, or of its longest recorded prefix (1 when none)."""
        for end in range(len(loc), 0, -1):
            line = self._lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1


def toml_error(error: ValueError, text: str) -> tuple[int, str]:
    """Line and message for a ``tomllib`` parse error."""
    message = str(error)
    match = _TOML_POSITION.search(message)
    line = 1
    if match:
        line = int(match.group(1)) if match.group(1) else max(1, text.count("\n") + 1)
        message = message[: match.start()] + message[match.end() :]
    message = message.strip()
    return line, f"invalid TOML: {message[:1].lower()}{message[1:]}"


# ----------------------------------------------------------------- pydantic error messages


def _subject(loc: Loc) -> str:
    """The key an error is about, as shown to people: ``'title.de'``, ``'allow' entry 2``."""
    parts = list(loc)
    entry: int | None = None
    if parts and isinstance(parts[-1], int):
        entry = parts[-1]
        parts.pop()
    names: list[str] = []
    for part in reversed(parts):
        if isinstance(part, int):
            break
        names.insert(0, str(part))
    if not names:
        return "the file" if entry is None else f"entry {entry + 1}"
    named = "'" + ".".join(names) + "'"
    return named if entry is None else f"{named} entry {entry + 1}"


def _readable(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a table"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind == "too_short":
        return "needs at least one entry"
    if kind == "string_type":
        return "must be a string"
    if kind == "bool_type":
        return "must be true or false"
    if kind in ("int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    message = str(error["msg"])
    if message.startswith("Input should be"):
        return "must be" + message.removeprefix("Input should be")
    return message[:1].lower() + message[1:]


def validation_messages(error: ValidationError) -> list[tuple[Loc, str]]:
    """Each pydantic error as a path and the message the spec's table gives for it."""
    found: list[tuple[Loc, str]] = []
    for item in error.errors(include_url=False):
        loc: Loc = tuple(item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
        elif kind == "missing":
            message = f"missing key '{loc[-1]}'"
        elif kind == VERBATIM_ERROR:
            message = item["msg"]
        elif kind == KEYED_ERROR:
            message = f"{_subject(loc)} {item['msg']}"
        else:
            message = f"{_subject(loc)} {_readable(item)}"
        found.append((loc, message))
    return found


# ------------------------------------------------------------------------ semantic checks


@dataclass(frozen=True)
class Loaded:
    """A file that parsed and validated, with what is needed to point into it."""

    path: Path
    display: str
    source: SourceMap
    model: StructureFile | AgendaFile | DeckFile

    def problem(self, loc: Loc, message: str) -> Problem:
        """A problem at ``loc`` in this file."""
        return Problem(self.display, self.source.line_of(loc), message)


def format_minutes(minutes: float) -> str:
    """Minutes as people write them: ``12``, ``0.5``."""
    return f"{minutes:g}"


def structure_minutes(
    structure_id: str,
    structures: Mapping[str, StructureFile],
    visiting: frozenset[str] = frozenset(),
) -> float | None:
    """The natural length of a structure in minutes; None when it does not resolve."""
    structure = structures.get(structure_id)
    if structure is None or structure_id in visiting:
        return None
    total = 0.0
    for step in structure.steps:
        if step.minutes is not None:
            total += step.minutes
        elif step.use is not None:
            inner = structure_minutes(step.use, structures, visiting | {structure_id})
            if inner is None:
                return None
            total += inner
        else:
            return None
    return total


def _duplicates(file: Loaded, ids: Iterable[str], base: Loc) -> list[Problem]:
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, item_id in enumerate(ids):
        loc = (*base, index, "id")
        if item_id in seen:
            problems.append(
                file.problem(loc, f"duplicate id '{item_id}' (also on line {seen[item_id]})")
            )
        else:
            seen[item_id] = file.source.line_of(loc)
    return problems


def _group_problems(file: Loaded, group: GroupSpec, loc: Loc) -> list[Problem]:
    problems: list[Problem] = []
    if group.kind == "groups":
        for key in ("min", "max"):
            if getattr(group, key) is None:
                problems.append(file.problem(loc, f"missing key '{key}'"))
        if group.min is not None and group.max is not None and group.min > group.max:
            problems.append(file.problem((*loc, "min"), "'min' is larger than 'max'"))
    else:
        for key in ("min", "max"):
            if getattr(group, key) is not None:
                problems.append(file.problem((*loc, key), f"'{key}' is only for groups"))
    if group.kind != "rounds" and group.minutes_per_person is not None:
        problems.append(
            file.problem((*loc, "minutes_per_person"), "'minutes_per_person' is only for rounds")
        )
    if group.kind != "foursomes" and group.keep_partners is not None:
        problems.append(
            file.problem((*loc, "keep_partners"), "'keep_partners' is only for foursomes")
        )
    return problems


def _structure_problems(
    file: Loaded,
    structure: StructureFile,
    references: References,
) -> list[Problem]:
    """In-file checks of one structure plus its references."""
    problems = _duplicates(file, (step.id for step in structure.steps), ("steps",))
    problems += _duplicates(file, (role.id for role in structure.roles), ("roles",))
    problems += _duplicates(file, (board.id for board in structure.boards), ("boards",))
    for number, board in enumerate(structure.boards):
        areas = (area.id for area in board.areas)
        problems += _duplicates(file, areas, ("boards", number, "areas"))
    step_ids = {step.id for step in structure.steps}
    board_ids = {board.id for board in structure.boards}
    uncounted = 0
    for number, role in enumerate(structure.roles):
        if role.count is None:
            uncounted += 1
            if uncounted > 1:
                message = "only one role may leave out 'count'"
                problems.append(file.problem(("roles", number), message))
        for index, step_id in enumerate(role.acts_in or ()):
            if step_id not in step_ids:
                message = f"role '{role.id}' acts in unknown step '{step_id}'"
                problems.append(file.problem(("roles", number, "acts_in", index), message))
    had_pairs = False
    for number, step in enumerate(structure.steps):
        base: Loc = ("steps", number)
        if step.use is not None:
            for key in USE_EXCLUSIVE_KEYS:
                if key in step.model_fields_set:
                    message = f"a step with 'use' cannot also set '{key}'"
                    problems.append(file.problem((*base, key), message))
            if not references.resolves(step.use, "structure"):
                problems.append(file.problem((*base, "use"), f"unknown structure '{step.use}'"))
        problems += _group_problems(file, step.group, (*base, "group"))
        if step.group.kind == "foursomes" and not had_pairs:
            message = "foursomes need an earlier pairs step"
            problems.append(file.problem((*base, "group"), message))
        had_pairs = had_pairs or step.group.kind == "pairs"
        if step.board is not None and step.board not in board_ids:
            problems.append(file.problem((*base, "board"), f"unknown board '{step.board}'"))
        if step.deck is not None:
            if not references.resolves(step.deck, "deck"):
                problems.append(file.problem((*base, "deck"), f"unknown deck '{step.deck}'"))
            if "cards" not in step.allow:
                problems.append(file.problem((*base, "deck"), "a deck needs 'cards' in allow"))
        elif "cards" in step.allow:
            loc = (*base, "allow", step.allow.index("cards"))
            problems.append(file.problem(loc, "action 'cards' needs a deck"))
    return problems


def _cycle_problems(
    files: Mapping[str, Loaded], structures: Mapping[str, StructureFile]
) -> list[Problem]:
    """One problem per nesting cycle, at the ``use`` that starts it."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    cycles: list[tuple[str, ...]] = []

    def visit(structure_id: str) -> None:
        state[structure_id] = 1
        path.append(structure_id)
        for step in structures[structure_id].steps:
            target = step.use
            if target is None or target not in structures:
                continue
            if state.get(target) == 1:
                cycle = path[path.index(target) :]
                start = cycle.index(min(cycle))
                canonical = tuple(cycle[start:] + cycle[:start])
                if canonical not in cycles:
                    cycles.append(canonical)
            elif target not in state:
                visit(target)
        path.pop()
        state[structure_id] = 2

    for structure_id in sorted(structures):
        if structure_id not in state:
            visit(structure_id)
    problems: list[Problem] = []
    for cycle in cycles:
        first, following = cycle[0], cycle[1 % len(cycle)]
        number = next(i for i, s in enumerate(structures[first].steps) if s.use == following)
        message = "nesting cycle: " + " -> ".join((*cycle, first))
        problems.append(files[first].problem(("steps", number, "use"), message))
    return problems


def _agenda_problems(
    file: Loaded,
    agenda: AgendaFile,
    structures: Mapping[str, StructureFile],
    references: References,
) -> list[Problem]:
    problems: list[Problem] = []
    total: float | None = 0.0
    for number, item in enumerate(agenda.items):
        base: Loc = ("items", number)
        structure = structures.get(item.use)
        if structure is None:
            if not references.resolves(item.use, "structure"):
                message = f"unknown structure '{item.use}'"
                problems.append(file.problem((*base, "use"), message))
            total = None
            continue
        step_ids = {step.id for step in structure.steps}
        for step_id in item.prompts:
            if step_id not in step_ids:
                message = f"structure '{item.use}' has no step '{step_id}'"
                problems.append(file.problem((*base, "prompts", step_id), message))
        minutes = item.minutes
        if minutes is None:
            minutes = structure_minutes(item.use, structures)
        total = None if total is None or minutes is None else total + minutes
    if total is not None and not _same(total, agenda.total_minutes):
        message = (
            f"items add up to {format_minutes(total)} minutes, "
            f"total_minutes says {format_minutes(agenda.total_minutes)}"
        )
        problems.append(file.problem(("total_minutes",), message))
    return problems


@dataclass(frozen=True)
class References:
    """What ids exist: validated files by kind, and the ids of files that did not validate
    (a reference to those is not reported again; the broken file has its own problems)."""

    kinds: Mapping[str, str]
    broken: frozenset[str]

    def resolves(self, item_id: str, kind: str) -> bool:
        """Whether a reference to ``item_id`` as a ``kind`` can be satisfied."""
        return self.kinds.get(item_id) == kind or (
            item_id not in self.kinds and item_id in self.broken
        )


def check_loaded(files: Sequence[Loaded], broken_ids: Iterable[str]) -> list[Problem]:
    """Cross-file and semantic problems of validated files, in load order."""
    problems: list[Problem] = []
    owners: dict[str, Loaded] = {}
    for file in files:
        model = file.model
        if model.id in owners:
            message = f"duplicate id '{model.id}' (also in {owners[model.id].display})"
            problems.append(file.problem(("id",), message))
        else:
            owners[model.id] = file
    kinds = {item_id: file.model.kind for item_id, file in owners.items()}
    references = References(kinds, frozenset(broken_ids))
    structures: dict[str, StructureFile] = {}
    for item_id, file in owners.items():
        if file.model.kind == "structure":
            structures[item_id] = file.model
    for item_id, file in owners.items():
        model = file.model
        if model.kind == "structure":
            problems += _structure_problems(file, model, references)
            natural = structure_minutes(item_id, structures)
            if (
                model.total_minutes is not None
                and natural is not None
                and not _same(natural, model.total_minutes)
            ):
                message = (
                    f"steps add up to {format_minutes(natural)} minutes, "
                    f"total_minutes says {format_minutes(model.total_minutes)}"
                )
                problems.append(file.problem(("total_minutes",), message))
        elif model.kind == "deck":
            problems += _duplicates(file, (card.id for card in model.cards), ("cards",))
        else:
            problems += _agenda_problems(file, model, structures, references)
    problems += _cycle_problems(owners, structures)
    return problems


def _same(minutes: float, other: float) -> bool:
    return math.isclose(minutes, other, rel_tol=0, abs_tol=_MINUTES_TOLERANCE)
