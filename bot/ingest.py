"""Storing webhook events fast: concurrent requests share one transaction (group commit).

Requests queue their events; one drain task commits everything queued while the previous commit ran,
and each request then answers with only its own new events. SQLite thus does one commit for many requests.
A batch that fails because of what one event holds is split in halves and each retried, so only the request
that brought that event gets the error (503) and the others their 200.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import structlog
from sqlalchemy import exc as sa_exc

from bot import metrics
from core.clock import Clock
from storage import inbound
from storage.db import Database
from storage.inbound import RawEvent

MAX_BATCH_EVENTS = 500
QUIET_S = 0.01

log = structlog.get_logger("phuankru.ingest")


Pending = tuple[Sequence[RawEvent], "asyncio.Future[list[tuple[int, RawEvent]]]"]


class InboundWriter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._waiting: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None
        self._last_request = float("-inf")

    @property
    def busy(self) -> bool:
        """Webhooks are arriving: some wait for their events to be stored, or one came within QUIET_S (the event
        processor gives way meanwhile; a burst's requests arrive closer together than that)."""
        if self._waiting or (self._drainer is not None and not self._drainer.done()):
            return True
        return time.monotonic() - self._last_request < QUIET_S

    async def store(self, events: Sequence[RawEvent]) -> list[int]:
        """Store the events; return the ids of those not seen before. Raises if the database fails."""
        return [event_id for event_id, _ in await self.store_events(events)]

    async def store_events(self, events: Sequence[RawEvent]) -> list[tuple[int, RawEvent]]:
        """Store the events; return (id, event) for those not seen before. Raises if the database fails."""
        if not events:
            return []
        self._last_request = time.monotonic()
        future: asyncio.Future[list[tuple[int, RawEvent]]] = asyncio.get_running_loop().create_future()
        self._waiting.append((events, future))
        if self._drainer is None or self._drainer.done():
            # A task of its own, so that a request that goes away does not strand the others queued behind it.
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            await self._write(self._take_batch())

    def _take_batch(self) -> list[Pending]:
        batch: list[Pending] = []
        count = 0
        while self._waiting and (not batch or count + len(self._waiting[0][0]) <= MAX_BATCH_EVENTS):
            item = self._waiting.pop(0)
            batch.append(item)
            count += len(item[0])
        return batch

    async def _write(self, batch: list[Pending]) -> None:
        try:
            async with self._db.sessions() as session, session.begin():
                ids = await inbound.store_new(
                    session, [e for events, _ in batch for e in events], now=self._clock.now()
                )
        except Exception as exc:
            if len(batch) > 1 and caused_by_the_data(exc):
                # One request's events may be what the database refused: each half is tried on its own (in order,
                # so a key brought twice still goes to the first request), down to the request at fault. That is
                # about 2·log2(n) more commits for one bad request among n, and only after a failure.
                metrics.INGEST_BATCH_SPLITS.inc()
                log.warning("ingest.batch_split", requests=len(batch), error=repr(exc)[:300])
                middle = len(batch) // 2
                await self._write(batch[:middle])
                await self._write(batch[middle:])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for events, future in batch:
            mine = []
            for e in events:
                # An id goes to the first request that brought the key; a duplicate in the batch gets none.
                event_id = ids.pop((e.channel, e.dedupe_key), None)
                if event_id is not None:
                    mine.append((event_id, e))
            if not future.done():
                future.set_result(mine)


def caused_by_the_data(exc: Exception) -> bool:
    """Whether a failed commit may be due to what some event holds, rather than to the database being away (then
    splitting the batch would only multiply the failed attempts: every request gets the error at once)."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return False
        if isinstance(exc, sa_exc.DataError | sa_exc.IntegrityError):
            return True
        # asyncpg's errors reach SQLAlchemy as a plain DBAPIError; their SQLSTATE class tells: 22 is a data
        # exception (a value PostgreSQL or asyncpg refused), 23 an integrity violation.
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return isinstance(sqlstate, str) and sqlstate[:2] in ("22", "23")
    if isinstance(exc, sa_exc.StatementError):
        return True  # raised while SQLAlchemy prepared the parameters, before any database was asked
    # sqlite3 encoding a parameter (UnicodeEncodeError is a ValueError), a JSON serializer that refused a value.
    return isinstance(exc, ValueError | TypeError | RecursionError)
