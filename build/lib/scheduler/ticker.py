"""APScheduler only ticks: every few seconds each registered job claims the rows that are due and handles them.

Due work (scheduled broadcasts, reminders, survey closing, nudges) lives in database rows with a due time,
so a tick missed while the service was down is simply caught up by the next one, and several replicas can
tick at once (each job claims its rows atomically). Tests call `tick()` themselves after moving a FakeClock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = structlog.get_logger("phuankru.ticker")

DueJob = Callable[[], Awaitable[int]]  # handles what is due now; returns how many items it handled


class Ticker:
    def __init__(self, *, interval_s: float = 10.0) -> None:
        self.interval_s = interval_s
        self.jobs: list[tuple[str, DueJob]] = []
        self._scheduler: AsyncIOScheduler | None = None

    def add(self, name: str, job: DueJob) -> None:
        self.jobs.append((name, job))

    async def tick(self) -> dict[str, int]:
        """Run every job once; a failing job is logged and does not stop the others."""
        handled: dict[str, int] = {}
        for name, job in self.jobs:
            try:
                handled[name] = await job()
            except Exception:
                log.exception("ticker.job_failed", job=name)
                handled[name] = 0
        return handled

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler()
        # One tick at a time; a slow tick is not followed by a burst of missed ones.
        self._scheduler.add_job(self.tick, "interval", seconds=self.interval_s, max_instances=1, coalesce=True)
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
