"""An injectable clock: everything that asks "what time is it", or waits, asks one of these.

Tests use `FakeClock`: time moves only when told to, and `sleep` moves it instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for rates and timeouts."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to (or when something sleeps on it)."""

    __slots__ = ("_now", "_start")

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # a Monday, 09:00 in Bangkok
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = self._start = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return (self._now - self._start).total_seconds()

    async def sleep(self, seconds: float) -> None:
        # Sleepers that start together end together: time moves to the latest wake-up asked for.
        # At least a microsecond (timedelta's grain), so that a tiny wait still moves time on.
        target = self._now + max(timedelta(seconds=max(0.0, seconds)), timedelta(microseconds=1 if seconds > 0 else 0))
        if target > self._now:
            self._now = target
        await asyncio.sleep(0)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs timezone-aware times")
        self._now = when.astimezone(UTC)
