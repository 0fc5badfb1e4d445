"""``updated`` makes the same values as ``dataclasses.replace`` for every core dataclass."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from datetime import UTC, datetime

import pytest

import app.core
from app.core.boardstate import BoardState
from app.core.state import WorkshopState
from app.core.values import updated
from tests.factories import plan, running_workshop

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def started() -> WorkshopState:
    return running_workshop(plan(10, 5), NOW, ("p-1", "p-2"))


def _core_dataclasses() -> list[type]:
    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(app.core.__path__):
        module = importlib.import_module(f"app.core.{module_info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if dataclasses.is_dataclass(value) and value.__module__.startswith("app.core."):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


@pytest.mark.parametrize("kind", _core_dataclasses(), ids=lambda kind: kind.__qualname__)
def test_every_core_dataclass_is_a_plain_frozen_value(kind: type):
    """What ``updated`` relies on: frozen, an instance dict, every field set by __init__ and
    nothing computed after it."""
    assert kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert "__slots__" not in kind.__dict__
    assert not hasattr(kind, "__post_init__")
    assert all(f.init and f._field_type is dataclasses._FIELD for f in dataclasses.fields(kind))  # type: ignore[attr-defined]


def test_updated_equals_replace_and_leaves_the_original_alone():
    state = started()
    board = BoardState()
    changed = updated(state, version=state.version + 5, board=board, locked=True)
    assert changed == dataclasses.replace(
        state, version=state.version + 5, board=board, locked=True
    )
    assert type(changed) is WorkshopState
    assert state.version != changed.version and not state.locked
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.version = 1  # type: ignore[misc]


def test_updated_refuses_unknown_fields():
    with pytest.raises(TypeError, match="no field colour"):
        updated(started(), colour="red")
