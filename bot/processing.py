"""Handling stored events: translate, run the handlers, queue the answers, mark done — one transaction each.

Events of one conversation are handled one at a time and in order (a lock per chat and person); events
that were stored but not handled before a stop are picked up again at start, and an event whose handling failed
(the database away for the handler and for its apology too) is tried again while serving, with backoff.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from core.clock import Clock
from core.model import Attachment, Event, EventKind, FileRef, OutMessage, Target
from handlers.attachments import MAX_DOCUMENT_BYTES
from handlers.chat import dispatch
from handlers.chat.context import HandlerConfig
from handlers.sent_files import keep_sent_file
from handlers.texts import t
from storage import inbound, media, outbox
from storage.db import Database
from storage.inbound import RawEvent
from storage.models import InboundEvent

log = structlog.get_logger("phuankru.processing")

# A name for a photo, which has none on either platform (the inbox and the CLI show it).


class Translator(Protocol):
    def to_event(self, raw: dict[str, Any]) -> Event: ...


Download = Callable[[FileRef], Awaitable[bytes]]
DOWNLOAD_TIMEOUT_S = 60
# While webhooks are being stored, handling waits in steps of DEFER_STEP_S, at most MAX_DEFER_S per event.
DEFER_STEP_S = 0.005
MAX_DEFER_S = 1.0
# A failed handling is tried again after 1, 2, 4 ... s, at most a minute apart, until it succeeds.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 60.0
# Events read per query when recovering at start (all are queued: ids only, some 100 bytes each).
RECOVER_PAGE = 10_000


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
        downloads: Mapping[str, Download] | None = None,
        public_url: str = "",
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.config = config or HandlerConfig()
        self.downloads = dict(downloads or {})  # by channel: fetches a photo or document someone sent
        self.public_url = public_url.rstrip("/")
        self.db = db
        self.clock = clock
        self.translators = dict(translators)
        self.on_outbox = on_outbox  # wakes the delivery worker
        self.acknowledge = acknowledge  # e.g. answering a Telegram callback query
        self.concurrency = concurrency
        # An event id, with its payload when the webhook that stored it is still in memory (no read back).
        self.queue: asyncio.Queue[tuple[int, RawEvent | None]] = asyncio.Queue()
        self._locks: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = weakref.WeakValueDictionary()
        self.busy = busy  # webhooks are being stored right now (InboundWriter.busy): handling gives way
        # Failed events waiting for their next try: (due on clock.monotonic(), order, id, payload), earliest first.
        self._retries: list[tuple[float, int, int, RawEvent | None]] = []
        self._order = itertools.count()
        self._attempts: dict[int, int] = {}  # failed tries so far, by event id (forgotten once handled)
        self._retry_added = asyncio.Event()

    def submit(self, event_ids: Sequence[int]) -> None:
        for event_id in event_ids:
            self.queue.put_nowait((event_id, None))

    def submit_stored(self, stored: Sequence[tuple[int, RawEvent]]) -> None:
        for event_id, raw in stored:
            self.queue.put_nowait((event_id, raw))

    async def _yield_to_webhooks(self) -> None:
        """Let a burst of webhooks be stored and answered first: the platforms wait for the answer (and
        Telegram sends again when it is slow), while a reply a moment later is not noticed. Bounded, so that
        handling still moves under a sustained load."""
        waited = 0.0
        while self.busy() and waited < MAX_DEFER_S:
            await asyncio.sleep(DEFER_STEP_S)
            waited += DEFER_STEP_S

    async def recover(self) -> int:
        """Queue every stored event not yet handled (after a crash or a stop); returns how many."""
        total, after = 0, 0
        while True:
            async with self.db.sessions() as session:
                ids = await inbound.unprocessed_ids(session, after=after, limit=RECOVER_PAGE)
            self.submit(ids)
            total += len(ids)
            if len(ids) < RECOVER_PAGE:
                return total
            after = ids[-1]

    async def run(self, stop: asyncio.Event) -> None:
        workers = [asyncio.create_task(self._work(stop)) for _ in range(self.concurrency)]
        workers.append(asyncio.create_task(self._retry_when_due(stop)))
        try:
            await stop.wait()
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _work(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            event_id, raw = await self.queue.get()
            try:
                await self._yield_to_webhooks()
                await self.process(event_id, raw)
            except Exception:
                # The database may be away: the event stays unprocessed and is tried again (and at the next start).
                self._retry_later(event_id, raw)
            else:
                self._attempts.pop(event_id, None)
            finally:
                self.queue.task_done()

    def _retry_later(self, event_id: int, raw: RawEvent | None) -> None:
        attempt = self._attempts.get(event_id, 0) + 1
        self._attempts[event_id] = attempt
        delay = min(RETRY_MAX_S, RETRY_FIRST_S * 2.0 ** min(attempt - 1, 32))
        heapq.heappush(self._retries, (self.clock.monotonic() + delay, next(self._order), event_id, raw))
        metrics.EVENT_RETRIES.inc()
        log.exception("processing.failed", event_id=event_id, attempt=attempt, retry_in_s=delay)
        self._retry_added.set()

    def requeue_due(self) -> int:
        """Queue the failed events whose next try is due on the clock; returns how many."""
        now = self.clock.monotonic()
        count = 0
        while self._retries and self._retries[0][0] <= now:
            _, _, event_id, raw = heapq.heappop(self._retries)
            self.queue.put_nowait((event_id, raw))
            count += 1
        return count

    async def _retry_when_due(self, stop: asyncio.Event) -> None:
        """Queue failed events again as they fall due: waits on the injected clock, or for a new failure (which may
        be due before the earliest one waiting)."""
        while not stop.is_set():
            self.requeue_due()
            self._retry_added.clear()
            added = asyncio.ensure_future(self._retry_added.wait())
            waiters: set[asyncio.Future[Any]] = {added}
            if self._retries:
                waiters.add(asyncio.ensure_future(self.clock.sleep(self._retries[0][0] - self.clock.monotonic())))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def drain(self) -> None:
        """Handle everything queued now (tests and the tour use this instead of `run`)."""
        while not self.queue.empty():
            event_id, raw = self.queue.get_nowait()
            try:
                await self.process(event_id, raw)
            finally:
                self.queue.task_done()

    async def process(self, event_id: int, stored: RawEvent | None = None) -> None:
        """Handle one stored event; `stored` is its payload as the webhook stored it (else it is read back).
        Whether it is still unhandled is checked, under a lock, in the handling transaction itself."""
        if stored is not None:
            channel, raw = stored.channel, stored.raw
        else:
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
            channel, raw = row.channel, row.raw
        translator = self.translators.get(channel)
        if translator is None:
            return  # that channel is off in this process; another may handle it
        try:
            event = translator.to_event(raw)
        except Exception as exc:
            # A payload the platform's own parser could not make sense of: kept, marked, not answered.
            log.warning("processing.unreadable_event", event_id=event_id, channel=channel, error=repr(exc)[:300])
            async with self.db.sessions() as session, session.begin():
                await inbound.mark_processed(
                    session, event_id, now=self.clock.now(), error=f"unreadable: {exc!r}"[:1000]
                )
            return
        started = time.perf_counter()
        async with self._lock_for(event):
            # Fetched inside the conversation's lock, so a photo followed by a text is handled in that order.
            # Translators attach a file reference only where a file is wanted (private chats, replies to the bot).
            fetched = await self._download(event) if event.file is not None else None
            queued = await self._handle(event_id, event, fetched)
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

    async def _download(self, event: Event) -> bytes | str:
        """The file's bytes, or the catalogue key saying why it could not be fetched (no transaction is open)."""
        assert event.file is not None
        if event.file.size is not None and event.file.size > MAX_DOCUMENT_BYTES:
            return "file_too_large"  # Telegram would refuse it anyway (getFile serves up to 20 MB)
        download = self.downloads.get(event.channel.value)
        if download is None:
            return "file_unreachable"
        try:
            async with asyncio.timeout(DOWNLOAD_TIMEOUT_S):
                data = await download(event.file)
        except Exception as exc:  # the platform's error, a timeout, a dropped connection: the person is told
            log.warning("processing.download_failed", channel=event.channel.value, error=repr(exc)[:300])
            return "file_unreachable"
        if not data:
            return "file_empty"
        return "file_too_large" if len(data) > MAX_DOCUMENT_BYTES else data

    async def _keep_file(self, session: AsyncSession, event: Event, fetched: bytes | str) -> Event:
        """Keep a fetched file (served at /media/<token>) and hand it to the handlers as an attachment."""
        assert event.file is not None
        if isinstance(fetched, str):
            return replace(event, file_problem=fetched)
        kept = await keep_sent_file(session, fetched, given_name=event.file.name, now=self.clock.now())
        preview = f"{self.public_url}/media/{media.preview_token(kept.token)}" if kept.has_preview else None
        attachment = Attachment(
            kept.kind,
            f"{self.public_url}/media/{kept.token}",
            preview_url=preview,
            filename=kept.filename,
            media_token=kept.token,
            content_type=kept.content_type,
        )
        return replace(event, attachment=attachment)

    async def _handle(self, event_id: int, event: Event, fetched: bytes | str | None = None) -> bool:
        """Run the handlers and queue their messages; True when something was queued."""
        try:
            async with self.db.sessions() as session, session.begin():
                if not await inbound.lock_unprocessed(session, event_id):
                    return False  # another replica has it, or had it
                if fetched is not None:
                    event = await self._keep_file(session, event, fetched)
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
