"""Wicked Questions: paradoxes phrased as "How can we A and at the same time B?".

In a step that allows ``wicked_questions`` a participant proposes a question by its two
poles; the board keeps only the poles and renders the sentence per language
(``question_text``), so the German and the English room read the same question. Anyone
who can reach the question may sharpen its poles (last writer wins per pole, as for note
fields) and add first answers; the group picks the strongest with the ordinary dot vote,
and ``ranked_questions`` orders a scope's questions by their revealed dots. Questions are
board items: private writing, anonymity, moderation, harvest and deletion apply unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from app.core.actors import Actor
from app.core.boardrights import (
    add_item,
    apply_fields,
    board_actor,
    check_id,
    checked_area,
    checked_text,
    item_for,
    live_item,
    new_item,
    new_item_id,
    step_flags,
    target_scope,
    with_item,
)
from app.core.boardstate import Answer, AuthorKind, Field, Item
from app.core.errors import Rejected
from app.core.groups import PLENARY
from app.core.plan import Language
from app.core.state import WorkshopState
from app.core.voting import revealed_dots

MAX_POLE_CHARS = 200
MAX_ANSWER_CHARS = 500
MAX_ANSWERS_PER_QUESTION = 50
TEMPLATES: dict[Language, str] = {
    "de": "Wie können wir {a} und zugleich {b}?",
    "en": "How can we {a} and at the same time {b}?",
}


@dataclass(frozen=True, kw_only=True)
class ProposeWickedQuestion:
    """Propose a question from two poles; the client picks its id."""

    item_id: str
    pole_a: str
    pole_b: str
    area: str | None = None
    scope: str | None = None
    type: Literal["wicked.propose"] = "wicked.propose"


@dataclass(frozen=True, kw_only=True)
class RefineWickedQuestion:
    """Sharpen one pole or both."""

    item_id: str
    pole_a: str | None = None
    pole_b: str | None = None
    type: Literal["wicked.refine"] = "wicked.refine"


@dataclass(frozen=True, kw_only=True)
class AnswerWickedQuestion:
    """Add a first answer: what we could do to do justice to both poles."""

    item_id: str
    answer_id: str
    text: str
    type: Literal["wicked.answer"] = "wicked.answer"


@dataclass(frozen=True, kw_only=True)
class WickedQuestionProposed:
    """A Wicked Question is on the board."""

    item_id: str
    author: str
    author_kind: AuthorKind
    scope: str
    step_index: int
    pole_a: str
    pole_b: str
    area: str | None = None
    private: bool = False
    anonymous: bool = False
    at: datetime
    type: Literal["wicked.proposed"] = "wicked.proposed"


@dataclass(frozen=True, kw_only=True)
class WickedQuestionRefined:
    """New poles (``None``: unchanged); ``version`` is this event's sequence."""

    item_id: str
    pole_a: str | None = None
    pole_b: str | None = None
    version: int
    at: datetime
    type: Literal["wicked.refined"] = "wicked.refined"


@dataclass(frozen=True, kw_only=True)
class WickedQuestionAnswered:
    """One more first answer."""

    item_id: str
    answer_id: str
    author: str
    scope: str
    text: str
    anonymous: bool = False
    at: datetime
    type: Literal["wicked.answered"] = "wicked.answered"


WickedCommand = ProposeWickedQuestion | RefineWickedQuestion | AnswerWickedQuestion
WickedEvent = WickedQuestionProposed | WickedQuestionRefined | WickedQuestionAnswered


def question_text(item: Item, language: Language) -> str:
    """The question as one sentence in ``language``."""
    return TEMPLATES[language].format(a=item.pole_a, b=item.pole_b)


def _pole(value: str, name: str) -> str:
    return checked_text(value, name, MAX_POLE_CHARS, multiline=False)


def _question(state: WorkshopState, actor: Actor, item_id: str) -> tuple[str, str, Item]:
    who = board_actor(state, actor, "wicked_questions")
    item = item_for(state, who, item_id)
    if item.kind != "wicked_question":
        raise Rejected("invalid_argument", f"item {item.id!r} is a {item.kind}, not a question")
    return who.id, who.scope, item


def decide_propose(
    state: WorkshopState, command: ProposeWickedQuestion, actor: Actor, now: datetime
) -> list[WickedEvent]:
    """Put a question on the board in the actor's scope."""
    who = board_actor(state, actor, "wicked_questions")
    item_id = new_item_id(state, command.item_id)
    pole_a, pole_b = _pole(command.pole_a, "pole_a"), _pole(command.pole_b, "pole_b")
    index, private, anonymous = step_flags(state)
    return [
        WickedQuestionProposed(
            item_id=item_id,
            author=who.id,
            author_kind=who.kind,
            scope=target_scope(state, who, command.scope),
            step_index=index,
            pole_a=pole_a,
            pole_b=pole_b,
            area=checked_area(command.area),
            private=private,
            anonymous=anonymous,
            at=now,
        )
    ]


def decide_refine(
    state: WorkshopState, command: RefineWickedQuestion, actor: Actor, now: datetime
) -> list[WickedEvent]:
    """Sharpen a question in reach."""
    _, _, item = _question(state, actor, command.item_id)
    if command.pole_a is None and command.pole_b is None:
        raise Rejected("invalid_argument", "a refinement names pole_a, pole_b or both")
    pole_a = None if command.pole_a is None else _pole(command.pole_a, "pole_a")
    pole_b = None if command.pole_b is None else _pole(command.pole_b, "pole_b")
    return [
        WickedQuestionRefined(
            item_id=item.id, pole_a=pole_a, pole_b=pole_b, version=state.version + 1, at=now
        )
    ]


def decide_answer(
    state: WorkshopState, command: AnswerWickedQuestion, actor: Actor, now: datetime
) -> list[WickedEvent]:
    """Add a first answer to a question in reach."""
    author, scope, item = _question(state, actor, command.item_id)
    check_id(command.answer_id, "answer_id")
    if any(answer.id == command.answer_id for answer in item.answers):
        raise Rejected("answer_exists", f"answer {command.answer_id!r} exists already")
    if len(item.answers) >= MAX_ANSWERS_PER_QUESTION:
        raise Rejected(
            "invalid_argument", f"a question holds at most {MAX_ANSWERS_PER_QUESTION} answers"
        )
    text = checked_text(command.text, "text", MAX_ANSWER_CHARS)
    _, _, anonymous = step_flags(state)
    return [
        WickedQuestionAnswered(
            item_id=item.id,
            answer_id=command.answer_id,
            author=author,
            scope=scope,
            text=text,
            anonymous=anonymous,
            at=now,
        )
    ]


def ranked_questions(state: WorkshopState, scope: str) -> list[tuple[Item, int]]:
    """A scope's live, visible questions with their revealed dots, most dots first.

    The plenary's list includes questions harvested from the groups; ties keep the order
    in which the questions were proposed.
    """
    ranked = [
        (item, revealed_dots(state, item.id))
        for item in state.board.items.values()
        if item.kind == "wicked_question"
        and not (item.deleted or item.hidden or not item.revealed)
        and (item.scope == scope or (scope == PLENARY and item.harvested))
    ]
    ranked.sort(key=lambda pair: (-pair[1], pair[0].created_at, pair[0].id))
    return ranked


def evolve_proposed(state: WorkshopState, event: WickedQuestionProposed) -> WorkshopState:
    """One more question."""
    item = new_item(event, "wicked_question", pole_a=event.pole_a, pole_b=event.pole_b)
    return add_item(state, item)


def evolve_refined(state: WorkshopState, event: WickedQuestionRefined) -> WorkshopState:
    """New poles, each if no newer one is there."""
    item = live_item(state, event.item_id)
    if item is None:
        return state
    changes: dict[Field, Any] = {}
    if event.pole_a is not None:
        changes["pole_a"] = event.pole_a
    if event.pole_b is not None:
        changes["pole_b"] = event.pole_b
    return with_item(state, apply_fields(item, event.version, event.at, changes))


def evolve_answered(state: WorkshopState, event: WickedQuestionAnswered) -> WorkshopState:
    """One more answer, in the order given."""
    item = live_item(state, event.item_id)
    if item is None:
        return state
    answer = Answer(
        id=event.answer_id,
        author=event.author,
        scope=event.scope,
        text=event.text,
        anonymous=event.anonymous,
        at=event.at,
    )
    return with_item(
        state,
        replace(item, answers=(*item.answers, answer), updated_at=max(item.updated_at, event.at)),
    )


DECIDERS: dict[type, Callable[[WorkshopState, Any, Actor, datetime], list[Any]]] = {
    ProposeWickedQuestion: decide_propose,
    RefineWickedQuestion: decide_refine,
    AnswerWickedQuestion: decide_answer,
}
EVOLVERS: dict[type, Callable[[WorkshopState, Any], WorkshopState]] = {
    WickedQuestionProposed: evolve_proposed,
    WickedQuestionRefined: evolve_refined,
    WickedQuestionAnswered: evolve_answered,
}
