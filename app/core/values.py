"""A faster ``dataclasses.replace`` for the core's frozen values.

``evolve`` replaces the state, its board and one item for every board event, and
``dataclasses.replace`` pays for that with a call of the generated ``__init__`` that sets
every field one ``object.__setattr__`` at a time (``WorkshopState`` has 29). None of the
core's dataclasses has ``__slots__``, ``__post_init__``, ``InitVar`` or a field outside
``__init__``, so copying the instance's ``__dict__`` and setting the changed fields makes the
same value at a fraction of the cost: a tail of 364 board events on a 600-note board folds
in 4.3 instead of 15.7 ms (see docs/benchmarks.md, recovery).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")

_FIELD_NAMES: dict[type, frozenset[str]] = {}


def updated(value: T, /, **changes: Any) -> T:
    """``value`` with ``changes`` set, like ``dataclasses.replace`` (unknown fields raise)."""
    kind = type(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = frozenset(f.name for f in fields(kind))  # type: ignore[arg-type]
    if not names.issuperset(changes):
        unknown = ", ".join(sorted(set(changes) - names))
        raise TypeError(f"{kind.__name__} has no field {unknown}")
    new = object.__new__(kind)
    attributes = new.__dict__
    attributes.update(value.__dict__)
    attributes.update(changes)
    return new
