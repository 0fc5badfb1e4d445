"""The library of structures, decks and agendas, read from TOML files (docs/structures.md).

Rule: the files are the contract. Every ``*.toml`` below a root is parsed with ``tomllib``
and validated with strict pydantic models that forbid unknown keys; every problem is
reported as ``file:line: message`` (see ``app/structures_check.py``) and a library is only
handed out when there are none. Structures and agendas are flattened into plain
``app.core.plan.PlanStep`` values, which is all the engine ever sees.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.core.plan import (
    Action,
    ExpiryPolicy,
    GroupConfig,
    GroupKind,
    Permissions,
    PlanStep,
    RoleSpec,
    Text,
    total_seconds,
)
from app.structures_check import (
    KEYED_ERROR,
    VERBATIM_ERROR,
    Loaded,
    Problem,
    SourceMap,
    check_loaded,
    format_minutes,
    structure_minutes,
    toml_error,
    validation_messages,
)

__all__ = [
    "SHIPPED_ROOT",
    "AgendaFile",
    "DeckFile",
    "Library",
    "LibraryError",
    "Problem",
    "StructureFile",
    "apportion_seconds",
    "check_library",
    "load_library",
    "run_check",
]

SHIPPED_ROOT = Path(__file__).resolve().parent.parent / "structures"

SECONDS_PER_MINUTE = 60
TITLE_SEPARATOR = " · "
PROMPT_SEPARATOR = "\n\n"  # between an outer step's prompt and the nested step's prompt
MAX_DOTS = 20  # dot-voting budget per participant
UNBOUNDED = 0  # GroupConfig.max_size for "all" and "rounds": no upper limit
GROUP_SIZES: dict[str, tuple[int, int]] = {  # kind -> (min_size, max_size) for fixed kinds
    "alone": (1, 1),
    "pairs": (2, 2),
    "trios": (3, 3),
    "foursomes": (4, 4),
    "all": (1, UNBOUNDED),
    "rounds": (1, UNBOUNDED),
}

SLUG_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


# ---------------------------------------------------------------------------------- models


def _slug(value: str) -> str:
    if not value or value[0] == "-" or not set(value) <= SLUG_CHARACTERS:
        raise PydanticCustomError(
            KEYED_ERROR, "must be a slug (a-z, 0-9 and -), got '{value}'", {"value": value}
        )
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError(KEYED_ERROR, "is empty")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
NonEmpty = Annotated[str, AfterValidator(_non_empty)]
Minutes = Annotated[float, Field(gt=0)]


class Bilingual(BaseModel):
    """A text with a German and an English twin, both non-empty."""

    model_config = _STRICT

    de: NonEmpty
    en: NonEmpty

    @model_validator(mode="before")
    @classmethod
    def _twins(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise PydanticCustomError(KEYED_ERROR, 'must be a text: { de = "…", en = "…" }')
        if "de" in data and "en" not in data:
            raise PydanticCustomError(VERBATIM_ERROR, "German text without its English twin")
        if "en" in data and "de" not in data:
            raise PydanticCustomError(VERBATIM_ERROR, "English text without its German twin")
        return data

    def text(self) -> Text:
        """As the engine's ``Text``."""
        return Text(de=self.de, en=self.en)


class Licence(BaseModel):
    """Whose wording a file holds and under which licence."""

    model_config = _STRICT

    spdx: NonEmpty
    attribution: NonEmpty
    url: NonEmpty | None = None


class GroupSpec(BaseModel):
    """How the room is split; a plain string ``"pairs"`` means ``{ kind = "pairs" }``."""

    model_config = _STRICT

    kind: GroupKind
    min: int | None = Field(default=None, ge=1)
    max: int | None = Field(default=None, ge=1)
    minutes_per_person: float | None = Field(default=None, gt=0)
    mix_by: Literal["organisation", "department", "generation"] | None = None
    avoid_repeats: bool = False
    keep_partners: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"kind": data} if isinstance(data, str) else data

    def config(self) -> GroupConfig:
        """As the engine's ``GroupConfig``."""
        if self.kind == "groups":
            min_size = self.min or 1
            max_size = self.max or min_size
        else:
            min_size, max_size = GROUP_SIZES[self.kind]
        keep = self.kind == "foursomes" and self.keep_partners is not False
        return GroupConfig(
            kind=self.kind,
            min_size=min_size,
            max_size=max_size,
            keep_partners=keep,
            mix_by=self.mix_by,
            avoid_repeats=self.avoid_repeats,
            minutes_per_person=self.minutes_per_person,
        )


class Step(BaseModel):
    """One ``[[steps]]`` entry of a structure."""

    model_config = _STRICT

    id: Slug
    title: Bilingual
    minutes: Minutes | None = None
    use: Slug | None = None
    group: GroupSpec = Field(default_factory=lambda: GroupSpec(kind="all"))
    prompt: Bilingual | None = None
    allow: list[Action] = Field(default_factory=list)
    dots: int = Field(default=0, ge=0, le=MAX_DOTS)
    private_until_reveal: bool = False
    anonymous: bool = False
    before_start: bool = False  # pre-work: open before the start when it is the first step
    on_expiry: ExpiryPolicy = "advance"
    board: Slug | None = None
    deck: Slug | None = None

    @model_validator(mode="after")
    def _length(self) -> Step:
        if self.minutes is None and self.use is None:
            raise PydanticCustomError(VERBATIM_ERROR, "missing key 'minutes'")
        return self


class Role(BaseModel):
    """One ``[[roles]]`` entry: a role handed out inside each group."""

    model_config = _STRICT

    id: Slug
    name: Bilingual
    instructions: Bilingual
    count: int | None = Field(default=None, ge=1)
    acts_in: list[Slug] | None = None


class Area(BaseModel):
    """A named column or area of a board."""

    model_config = _STRICT

    id: Slug
    title: Bilingual


class Board(BaseModel):
    """A board template of a structure."""

    model_config = _STRICT

    id: Slug
    title: Bilingual
    areas: list[Area] = Field(min_length=1)


class _Common(BaseModel):
    model_config = _STRICT

    id: Slug
    name: Bilingual
    description: Bilingual
    licence: Licence


class StructureFile(_Common):
    """A file with ``kind = "structure"``."""

    kind: Literal["structure"]
    total_minutes: Minutes | None = None
    tags: list[NonEmpty] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    boards: list[Board] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)


class Card(BaseModel):
    """One card of a deck."""

    model_config = _STRICT

    id: Slug
    name: Bilingual
    summary: Bilingual
    benefit: Bilingual
    success_factors: Bilingual
    hurdles: Bilingual


class DeckFile(_Common):
    """A file with ``kind = "deck"``."""

    kind: Literal["deck"]
    cards: list[Card] = Field(min_length=1)


class AgendaItem(BaseModel):
    """One structure on an agenda."""

    model_config = _STRICT

    use: Slug
    minutes: Minutes | None = None
    title: Bilingual | None = None
    prompt: Bilingual | None = None
    prompts: dict[str, Bilingual] = Field(default_factory=dict)


class AgendaFile(_Common):
    """A file with ``kind = "agenda"``."""

    kind: Literal["agenda"]
    total_minutes: Minutes
    items: list[AgendaItem] = Field(min_length=1)


FILE_MODELS: dict[str, type[StructureFile] | type[DeckFile] | type[AgendaFile]] = {
    "structure": StructureFile,
    "deck": DeckFile,
    "agenda": AgendaFile,
}


# ------------------------------------------------------------------------------- flattening


def _join(first: Text, second: Text, separator: str) -> Text:
    return Text(de=first.de + separator + second.de, en=first.en + separator + second.en)


def _stack(outer: Text | None, inner: Text | None) -> Text | None:
    if outer is None or inner is None:
        return outer or inner
    return _join(outer, inner, PROMPT_SEPARATOR)


def apportion_seconds(weights: Sequence[float], total: int) -> list[int]:
    """Whole seconds proportional to ``weights`` that add up to ``total`` exactly."""
    weight_sum = sum(weights)
    shares = [math.floor(weight / weight_sum * total + 0.5) for weight in weights[:-1]]
    shares.append(total - sum(shares))
    if shares[-1] < 0:  # only for absurd weights: fall back to rounding the running sum
        bounds = [0]
        running = 0.0
        for weight in weights:
            running += weight
            bounds.append(math.floor(running / weight_sum * total + 0.5))
        bounds[-1] = total
        shares = [end - start for start, end in itertools.pairwise(bounds)]
    return shares


class Library:
    """All structures, decks and agendas of one or more roots, checked and ready to plan."""

    def __init__(
        self,
        structures: Mapping[str, StructureFile],
        agendas: Mapping[str, AgendaFile],
        decks: Mapping[str, DeckFile],
        sources: Mapping[str, Path],
    ) -> None:
        self.structures: dict[str, StructureFile] = dict(structures)
        self.agendas: dict[str, AgendaFile] = dict(agendas)
        self.decks: dict[str, DeckFile] = dict(decks)
        self.sources: dict[str, Path] = dict(sources)  # id -> the file it was read from
        self._plans: dict[str, tuple[PlanStep, ...]] = {}

    def title_of(self, id: str) -> Text:
        """The name of an agenda, structure or deck."""
        found = self.agendas.get(id) or self.structures.get(id) or self.decks.get(id)
        if found is None:
            raise KeyError(id)
        return found.name.text()

    def plan_for(self, id: str) -> tuple[PlanStep, ...]:
        """The flattened plan of an agenda or a structure (KeyError for an unknown id)."""
        if id not in self._plans:
            if id in self.agendas:
                self._plans[id] = self._agenda_plan(self.agendas[id])
            elif id in self.structures:
                structure = self.structures[id]
                steps = self._expand(structure, structure.id, structure.name.text(), None, None)
                self._plans[id] = tuple(steps)
            else:
                raise KeyError(id)
        return self._plans[id]

    def minutes_of(self, id: str) -> float:
        """The planned length of an agenda or structure in minutes."""
        return total_seconds(self.plan_for(id)) / SECONDS_PER_MINUTE

    def _agenda_plan(self, agenda: AgendaFile) -> tuple[PlanStep, ...]:
        steps: list[PlanStep] = []
        for number, item in enumerate(agenda.items, start=1):
            structure = self.structures[item.use]
            title = (item.title or structure.name).text()
            seconds = None if item.minutes is None else _seconds(item.minutes)
            prompts = {step_id: text.text() for step_id, text in item.prompts.items()}
            prompt = item.prompt.text() if item.prompt else None
            key = f"{number}/{structure.id}"
            steps += self._expand(structure, key, title, None, seconds, prompt, prompts)
        return tuple(steps)

    def _expand(
        self,
        structure: StructureFile,
        key: str,
        title: Text,
        outer_prompt: Text | None,
        seconds: int | None,
        prompt_override: Text | None = None,
        prompt_overrides: Mapping[str, Text] | None = None,
    ) -> list[PlanStep]:
        """The plan steps of ``structure``, scaled to ``seconds`` when given."""
        weights = [self._step_minutes(step) for step in structure.steps]
        total = _seconds(sum(weights)) if seconds is None else seconds
        overrides = prompt_overrides or {}
        steps: list[PlanStep] = []
        for step, share in zip(structure.steps, apportion_seconds(weights, total), strict=True):
            step_key = f"{key}/{step.id}"
            step_title = _join(title, step.title.text(), TITLE_SEPARATOR)
            own_prompt = overrides.get(step.id) or prompt_override
            if own_prompt is None and step.prompt is not None:
                own_prompt = step.prompt.text()
            prompt = _stack(outer_prompt, own_prompt)
            if step.use is not None:
                inner = self.structures[step.use]
                inner_key = f"{step_key}/{inner.id}"
                steps += self._expand(inner, inner_key, step_title, prompt, share)
                continue
            roles = tuple(
                RoleSpec(
                    id=role.id,
                    name=role.name.text(),
                    instructions=role.instructions.text(),
                    count=role.count,
                    acts=role.acts_in is None or step.id in role.acts_in,
                )
                for role in structure.roles
            )
            permissions = Permissions(
                actions=frozenset(step.allow),
                dots=step.dots,
                private_until_reveal=step.private_until_reveal,
                anonymous=step.anonymous,
                before_start=step.before_start,
            )
            steps.append(
                PlanStep(
                    key=step_key,
                    structure_id=structure.id,
                    step_id=step.id,
                    title=step_title,
                    seconds=share,
                    group=step.group.config(),
                    prompt=prompt,
                    permissions=permissions,
                    roles=roles,
                    on_expiry=step.on_expiry,
                    board=step.board,
                    deck=step.deck,
                )
            )
        return steps

    def _step_minutes(self, step: Step) -> float:
        if step.minutes is not None:
            return step.minutes
        assert step.use is not None  # checked when loading
        minutes = structure_minutes(step.use, self.structures)
        assert minutes is not None  # checked when loading
        return minutes


def _seconds(minutes: float) -> int:
    return math.floor(minutes * SECONDS_PER_MINUTE + 0.5)


# ---------------------------------------------------------------------------------- loading


class LibraryError(Exception):
    """The library has problems; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(str(problem) for problem in self.problems[:10])
        more = len(self.problems) - 10
        super().__init__(shown + (f"\n… and {more} more" if more > 0 else ""))


def _display(file: Path, root: Path) -> str:
    """A relative root is shown as given; an absolute one relative to its parent."""
    if not root.is_absolute():
        shown = root if root.is_file() else root / file.relative_to(root)
        return shown.as_posix()
    return file.relative_to(root.parent).as_posix()


def _files_of(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(root.rglob("*.toml"))


def _read(path: Path, display: str) -> tuple[Loaded | None, str | None, list[Problem]]:
    """One file: the validated file, the id it claims, and its problems."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None, None, [Problem(display, 1, "invalid TOML: the file is not UTF-8")]
    except OSError as error:
        return None, None, [Problem(display, 1, f"cannot read the file: {error.strerror}")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, message = toml_error(error, text)
        return None, None, [Problem(display, line, message)]
    source = SourceMap(text)
    claimed = raw.get("id") if isinstance(raw.get("id"), str) else None
    kind = raw.get("kind")
    if "kind" not in raw:
        return None, claimed, [Problem(display, 1, "missing key 'kind'")]
    model_type = FILE_MODELS.get(kind) if isinstance(kind, str) else None
    if model_type is None:
        message = '\'kind\' must be "structure", "agenda" or "deck"'
        return None, claimed, [Problem(display, source.line_of(("kind",)), message)]
    try:
        model = model_type.model_validate(raw)
    except ValidationError as error:
        problems = [
            Problem(display, source.line_of(loc), message)
            for loc, message in validation_messages(error)
        ]
        return None, claimed, problems
    return Loaded(path, display, source, model), model.id, []


def _check_files(
    files: Sequence[tuple[Path, str]],
) -> tuple[Library | None, list[Problem]]:
    """Read, validate and cross-check ``files`` (path, display) in this order."""
    loaded: list[Loaded] = []
    broken: list[str] = []
    problems: list[Problem] = []
    for path, display in files:
        file, claimed, found = _read(path, display)
        problems += found
        if file is not None:
            loaded.append(file)
        elif claimed is not None:
            broken.append(claimed)
    problems += check_loaded(loaded, broken)
    order = {display: number for number, (_, display) in enumerate(files)}
    problems.sort(key=lambda problem: (order.get(problem.file, 0), problem.line))
    if problems:
        return None, problems
    structures = {f.model.id: f.model for f in loaded if isinstance(f.model, StructureFile)}
    agendas = {f.model.id: f.model for f in loaded if isinstance(f.model, AgendaFile)}
    decks = {f.model.id: f.model for f in loaded if isinstance(f.model, DeckFile)}
    sources = {f.model.id: f.path for f in loaded}
    return Library(structures, agendas, decks, sources), []


def _collect(roots: Sequence[Path]) -> list[tuple[Path, str]]:
    """Every file below ``roots`` once (the first root to hold it wins), with its display."""
    seen: set[Path] = set()
    files: list[tuple[Path, str]] = []
    for root in roots:
        for path in _files_of(root):
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append((path, _display(path, root)))
    return files


def check_library(*roots: Path) -> tuple[Library | None, list[Problem]]:
    """Check every file below ``roots`` (merged); the library only when there are no problems."""
    missing = [root for root in roots if not root.exists()]
    if missing:
        return None, [Problem(str(root), 1, "no such file or folder") for root in missing]
    return _check_files(_collect(roots))


def load_library(*roots: Path) -> Library:
    """The library below ``roots`` (the shipped one by default); LibraryError on problems."""
    library, problems = check_library(*(roots or (SHIPPED_ROOT,)))
    if library is None:
        raise LibraryError(problems)
    return library


def run_check(path: Path | None, out: TextIO) -> int:
    """``lernraum structures check [PATH]``: print problems or a summary; the exit code."""
    if path is None:
        focus: set[Path] | None = None
        files = _collect([SHIPPED_ROOT])
    elif not path.exists():
        out.write(f"{path}: no such file or folder\n")
        return 1
    else:
        own = _collect([path])
        focus = {file.resolve() for file, _ in own}
        shipped = [item for item in _collect([SHIPPED_ROOT]) if item[0].resolve() not in focus]
        files = shipped + own  # own files last: a clash with a shipped id is reported on them
    library, problems = _check_files(files)
    if library is None:
        for problem in problems:
            out.write(f"{problem}\n")
        return 1

    def counted(ids: Mapping[str, Any]) -> list[str]:
        return sorted(i for i in ids if focus is None or library.sources[i].resolve() in focus)

    agendas = counted(library.agendas)
    out.write(
        f"{len(counted(library.structures))} structures, {len(counted(library.decks))} decks, "
        f"{len(agendas)} agendas\n"
    )
    for agenda_id in agendas:
        out.write(f"{agenda_id}: {format_minutes(library.minutes_of(agenda_id))} minutes\n")
    return 0
