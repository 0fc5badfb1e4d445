"""Where the shell gets the time. The core never reads a clock; it is handed ``now``.

``SystemClock`` is the real one; ``FakeClock`` is advanced by hand in tests; ``ScaledClock``
runs faster than real time, so a whole workshop can run against a live server in seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of the current time, and of how long real time is per clock time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def real_seconds(self, clock_seconds: float) -> float:
        """How many real seconds to sleep for ``clock_seconds`` of this clock to pass."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)

    def real_seconds(self, clock_seconds: float) -> float:
        """Real time is clock time."""
        return clock_seconds


class ScaledClock:
    """A clock that runs ``factor`` times faster than real time, from the moment it is made."""

    def __init__(
        self, factor: float, start: datetime | None = None, *, epoch: datetime | None = None
    ) -> None:
        """``start``: the clock's time now. ``epoch``: a wall-clock moment at which the
        clock showed real time, so that processes started later (after a restart) continue
        the same scaled time instead of starting over."""
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = factor
        self._real_origin = time.monotonic()
        if epoch is not None:
            wall = datetime.now(UTC)
            self._origin = epoch + (wall - epoch) * factor
        else:
            self._origin = start or datetime.now(UTC)

    def now(self) -> datetime:
        """The scaled time."""
        elapsed = (time.monotonic() - self._real_origin) * self.factor
        return self._origin + timedelta(seconds=elapsed)

    def real_seconds(self, clock_seconds: float) -> float:
        """Clock seconds pass ``factor`` times faster than real ones."""
        return clock_seconds / self.factor


class FakeClock:
    """A clock that only moves when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The time the test set."""
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new time."""
        self._now += timedelta(seconds=seconds)
        return self._now

    def real_seconds(self, clock_seconds: float) -> float:
        """A fake clock does not pass by itself; waiting is the test's business."""
        return 0.0
