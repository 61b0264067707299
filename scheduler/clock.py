"""An injectable clock: everything that asks "what time is it" asks one of these.

Tests use `FakeClock` and move time forward by hand; nothing waits for real time to pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    __slots__ = ("_now",)

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # a Monday, 09:00 in Bangkok
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs timezone-aware times")
        self._now = when.astimezone(UTC)
