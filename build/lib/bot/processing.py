"""Handling stored events: translate, run the handlers, queue the answers, mark done — one transaction each.

Events of one conversation are handled one at a time and in order (a lock per chat and person); events
that were stored but not handled before a stop are picked up again at start.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import structlog
from sqlalchemy import select

from bot import metrics
from handlers import dispatch
from handlers.context import HandlerConfig
from handlers.model import Event, EventKind, OutMessage, Target
from handlers.texts import t
from scheduler.clock import Clock
from storage import inbound, outbox
from storage.db import Database
from storage.models import InboundEvent

log = structlog.get_logger("phuankru.processing")


class Translator(Protocol):
    def to_event(self, raw: dict[str, Any]) -> Event: ...


class EventProcessor:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        translators: Mapping[str, Translator],
        *,
        on_outbox: Callable[[], None] = lambda: None,
        acknowledge: Callable[[Event], Awaitable[None]] | None = None,
        concurrency: int = 4,
        config: HandlerConfig | None = None,
    ) -> None:
        self.config = config or HandlerConfig()
        self.db = db
        self.clock = clock
        self.translators = dict(translators)
        self.on_outbox = on_outbox  # wakes the delivery worker
        self.acknowledge = acknowledge  # e.g. answering a Telegram callback query
        self.concurrency = concurrency
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self._locks: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    def submit(self, event_ids: list[int]) -> None:
        for event_id in event_ids:
            self.queue.put_nowait(event_id)

    async def recover(self) -> int:
        """Queue every stored event not yet handled (after a crash or a stop); returns how many."""
        async with self.db.sessions() as session:
            ids = await inbound.unprocessed_ids(session, limit=100_000)
        self.submit(ids)
        return len(ids)

    async def run(self, stop: asyncio.Event) -> None:
        workers = [asyncio.create_task(self._work(stop)) for _ in range(self.concurrency)]
        try:
            await stop.wait()
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _work(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            event_id = await self.queue.get()
            try:
                await self.process(event_id)
            except Exception:
                # The database may be away; the event stays unprocessed and is retried at the next start.
                log.exception("processing.failed", event_id=event_id)
            finally:
                self.queue.task_done()

    async def drain(self) -> None:
        """Handle everything queued now (tests and the tour use this instead of `run`)."""
        while not self.queue.empty():
            event_id = self.queue.get_nowait()
            try:
                await self.process(event_id)
            finally:
                self.queue.task_done()

    async def process(self, event_id: int) -> None:
        async with self.db.sessions() as session:
            row = (
                await session.execute(
                    select(InboundEvent.channel, InboundEvent.raw, InboundEvent.processed_at).where(
                        InboundEvent.id == event_id
                    )
                )
            ).one_or_none()
        if row is None or row.processed_at is not None:
            return
        translator = self.translators.get(row.channel)
        if translator is None:
            return  # that channel is off in this process; another may handle it
        try:
            event = translator.to_event(row.raw)
        except Exception as exc:
            # A payload the platform's own parser could not make sense of: kept, marked, not answered.
            log.warning("processing.unreadable_event", event_id=event_id, channel=row.channel, error=repr(exc)[:300])
            async with self.db.sessions() as session, session.begin():
                await inbound.mark_processed(
                    session, event_id, now=self.clock.now(), error=f"unreadable: {exc!r}"[:1000]
                )
            return
        started = time.perf_counter()
        async with self._lock_for(event):
            queued = await self._handle(event_id, event)
        metrics.HANDLER_SECONDS.labels(event.channel.value).observe(time.perf_counter() - started)
        if queued:
            self.on_outbox()
        if self.acknowledge is not None and event.callback_id:
            await self.acknowledge(event)

    def _lock_for(self, event: Event) -> asyncio.Lock:
        key = (event.channel.value, event.chat.id, event.user_id or "")
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def _handle(self, event_id: int, event: Event) -> bool:
        """Run the handlers and queue their messages; True when something was queued."""
        try:
            async with self.db.sessions() as session, session.begin():
                if await inbound.lock_unprocessed(session, event_id) is None:
                    return False  # another replica has it, or had it
                ctx = await dispatch.handle(session, self.clock, event, self.config)
                contact_id = ctx.contact.id if ctx.contact is not None else None
                now = self.clock.now()
                if ctx.replies and event.chat.id:
                    target = Target.of_chat(event.chat, contact_id=contact_id if event.chat.is_private else None)
                    outbox.enqueue(session, target, ctx.replies, now=now, reply_token=event.reply_token)
                for other, message in ctx.extra:
                    outbox.enqueue(session, other, [message], now=now)
                await inbound.mark_processed(session, event_id, now=now)
                return bool(ctx.replies or ctx.extra or ctx.queued)
        except Exception as exc:
            log.exception("processing.handler_failed", event_id=event_id, channel=event.channel.value, kind=event.kind)
            return await self._apologise(event_id, event, exc)

    async def _apologise(self, event_id: int, event: Event, exc: Exception) -> bool:
        """Nothing the handler did is kept; the person gets a polite message instead of silence."""
        async with self.db.sessions() as session, session.begin():
            await inbound.mark_processed(session, event_id, now=self.clock.now(), error=repr(exc)[:1000])
            if not (event.chat.is_private and event.chat.id) or event.kind is EventKind.UNFOLLOW:
                return False
            outbox.enqueue(
                session,
                Target.of_chat(event.chat),
                [OutMessage(text=t("internal_error"))],
                now=self.clock.now(),
                reply_token=event.reply_token,
            )
            return True
