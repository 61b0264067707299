"""Due work of broadcasts: send the scheduled ones when their time comes, report the finished ones to their author.

A broadcast missed while the service was down goes out on start with a note in its report, unless it is
older than `max_late`: then it is reported as missed instead of surprising people hours later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.model import Channel, Target
from handlers.chat.broadcast import report_message
from scheduler.delivery import default_owner
from storage import broadcasts, outbox
from storage.broadcast_models import Broadcast, BroadcastState
from storage.claims import claim_due
from storage.db import Database, dialect_name
from storage.models import Contact

log = structlog.get_logger("phuankru.broadcasts")

MAX_LATE = timedelta(hours=6)
LATE_NOTE_AFTER = timedelta(minutes=5)
LEASE = timedelta(minutes=5)


class BroadcastJobs:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
        *,
        max_late: timedelta = MAX_LATE,
        owner: str | None = None,
    ) -> None:
        self.db, self.clock, self.wake = db, clock, wake
        self.max_late = max_late
        self.owner = owner or default_owner()

    async def tick(self) -> int:
        return await self.send_due() + await self.finish()

    async def send_due(self) -> int:
        now = self.clock.now()
        async with self.db.sessions() as session, session.begin():
            ids = await claim_due(
                session,
                Broadcast,
                due=Broadcast.scheduled_at,
                lease_until=Broadcast.lease_until,
                lease_owner=Broadcast.lease_owner,
                now=now,
                owner=self.owner,
                lease=LEASE,
                limit=20,
                where=Broadcast.state == BroadcastState.SCHEDULED.value,
            )
        for broadcast_id in ids:
            await self._send_one(broadcast_id)
        if ids:
            self.wake()
        return len(ids)

    async def _send_one(self, broadcast_id: int) -> None:
        now = self.clock.now()
        async with self.db.sessions() as session, session.begin():
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.state != BroadcastState.SCHEDULED.value:
                return
            late = now - broadcast.scheduled_at
            if late > self.max_late:
                broadcast.state = BroadcastState.MISSED.value
                broadcast.finished_at = now
                broadcast.note = f"missed: due {broadcast.scheduled_at.isoformat()}, service back {now.isoformat()}"
                log.warning("broadcast.missed", broadcast=broadcast_id, late_s=int(late.total_seconds()))
                return
            note = None
            if late > LATE_NOTE_AFTER:
                note = f"sent {int(late.total_seconds() // 60)} min late (service was down)"
            try:
                count = await broadcasts.queue(session, broadcast, now=now, note=note)
            except broadcasts.BroadcastError as exc:
                broadcast.state, broadcast.finished_at, broadcast.note = BroadcastState.DONE.value, now, exc.code
                return
            log.info("broadcast.queued", broadcast=broadcast_id, rows=count, late_s=int(late.total_seconds()))

    async def finish(self) -> int:
        """Mark finished broadcasts done and send each author the delivery report."""
        async with self.db.sessions() as session:
            candidates = await broadcasts.sending_ids(session)
            missed = await _missed_unreported(session)
        finished = 0
        for broadcast_id in [*candidates, *missed]:
            async with self.db.sessions() as session, session.begin():
                # Lock the broadcast first. Without it, two replicas whose ticks meet both read it unreported
                # and both send its author the report (tests/test_scaleout.py reproduces it). A broadcast another
                # replica holds is skipped: that replica is finishing it, or queueing it.
                if dialect_name(session) == "postgresql":
                    locked = await session.get(Broadcast, broadcast_id, with_for_update={"skip_locked": True})
                    if locked is None:
                        continue
                status = await broadcasts.status(session, broadcast_id)
                if status is None:
                    continue
                broadcast = status.broadcast
                if broadcast.state == BroadcastState.SENDING.value:
                    if not status.finished:
                        continue
                    broadcast.state, broadcast.finished_at = BroadcastState.DONE.value, self.clock.now()
                if broadcast.report_sent_at is None:
                    await self._report(session, status)
                finished += 1
        if finished:
            self.wake()
        return finished

    async def _report(self, session: AsyncSession, status: broadcasts.Status) -> None:
        broadcast = status.broadcast
        broadcast.report_sent_at = self.clock.now()
        if broadcast.author_contact_id is None:
            return  # from the CLI: `broadcast status` and `--wait` report there
        author = await session.get(Contact, broadcast.author_contact_id)
        if author is None or not author.reachable:
            return
        target = Target(Channel(author.channel), "user", author.platform_user_id, contact_id=author.id)
        outbox.enqueue(session, target, [report_message(status, author.language)], now=self.clock.now())


async def _missed_unreported(session: AsyncSession) -> list[int]:
    rows = await session.execute(
        select(Broadcast.id).where(Broadcast.state == BroadcastState.MISSED.value, Broadcast.report_sent_at.is_(None))
    )
    return list(rows.scalars())
