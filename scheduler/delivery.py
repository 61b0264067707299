"""The delivery worker: claims due outbox rows, sends them through the channel senders, records outcomes.

No transaction is open while a platform is called. Outcomes are written in small batches, so that a worker
killed mid-batch leaves at most the rows in flight to be sent again: none twice on LINE (the retry key
makes a resend a 409), at most those on Telegram (counted as `possibly_doubled`).
"""

from __future__ import annotations

import asyncio
import enum
import os
import random
import socket
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

import structlog

from core.clock import Clock
from core.model import Channel
from scheduler.ratelimit import RateKey, RateLimiter
from storage import outbox
from storage.db import Database
from storage.models import OutboxState
from storage.outbox import Claimed, Outcome

log = structlog.get_logger("phuankru.delivery")


class SendStatus(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # 429, 5xx, timeout, connection error: try again later
    FAILED = "failed"  # the platform refused the request itself (400 and the like)
    BLOCKED = "blocked"  # the person blocked the bot


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    message_id: str | None = None
    retry_after_s: float | None = None  # the platform said how long to wait (Telegram 429)
    error: str | None = None


class ChannelSender(Protocol):
    """What an adapter offers the worker: one call per outbox row, errors classified, never raised."""

    channel: Channel

    def rate_keys(self, item: Claimed) -> Sequence[RateKey]: ...

    async def send(self, item: Claimed) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 2.0
    cap_s: float = 600.0
    jitter: float = 0.2

    def delay(self, attempts: int, rng: random.Random) -> float:
        raw = min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1))
        return float(raw * (1 + rng.uniform(-self.jitter, self.jitter)))


@dataclass
class DeliveryStats:
    by_outcome: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, outcome) -> n
    possibly_doubled: Counter[str] = field(default_factory=Counter)  # channel -> rows resent after an interruption


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(1 << 30):x}"


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        senders: Mapping[Channel, ChannelSender],
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        owner: str | None = None,
        concurrency: int = 16,  # measured best on 2 cores (docs/PERFORMANCE.md, delivery sweep)
        batch_size: int = 200,
        lease: timedelta = timedelta(seconds=120),
        send_timeout_s: float = 30.0,
        flush_every: int = 20,
        poll_interval_s: float = 1.0,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        on_outcome: Callable[[str, str], None] | None = None,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.clock = clock
        self.limiter = limiter or RateLimiter(clock)
        self.owner = owner or default_owner()
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.lease = lease
        self.send_timeout_s = send_timeout_s
        self.flush_every = flush_every
        self.poll_interval_s = poll_interval_s
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()
        self.stats = DeliveryStats()
        self._on_outcome = on_outcome  # (channel, outcome): how bot/ feeds its metrics
        self._wakes: list[asyncio.Event] = []  # one per running lane
        self._pending: list[Outcome] = []
        self._flush_lock = asyncio.Lock()

    def wake(self) -> None:
        """New rows are waiting: do not wait for the next poll."""
        for event in self._wakes:
            event.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; a batch in progress is finished first.

        One lane per platform: each claims and sends its own platform's rows, so a broadcast's Telegram half and
        its LINE half go out side by side, and a slow platform's batch does not hold up the other's."""
        lanes = [asyncio.create_task(self._lane(stop, channel)) for channel in self.senders]
        try:
            await asyncio.gather(*lanes)
        finally:
            for lane in lanes:
                lane.cancel()

    async def _lane(self, stop: asyncio.Event, channel: Channel) -> None:
        wake = asyncio.Event()
        self._wakes.append(wake)
        try:
            await self._lane_loop(stop, channel, wake)
        finally:
            self._wakes.remove(wake)

    async def _lane_loop(self, stop: asyncio.Event, channel: Channel, wake: asyncio.Event) -> None:
        done = 0
        while not stop.is_set():
            try:
                # After a full batch the next claim follows at once; an idle lane (woken, or polling) reads first.
                done = await self.run_once([channel], probe=done == 0)
            except Exception:
                # The database may be restarting; the rows stay in the outbox and are claimed again later.
                log.exception("delivery.batch_failed", channel=channel.value)
                done = 0
            if done == 0:
                wake.clear()
                waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
                _, pending = await asyncio.wait(waiters, timeout=self.poll_interval_s, return_when="FIRST_COMPLETED")
                for task in pending:
                    task.cancel()

    async def run_once(self, channels: Sequence[Channel] | None = None, *, probe: bool = False) -> int:
        """Claim one batch of due rows (of `channels`, default all), send them all, record every outcome; return
        how many were handled. `probe`: look with a read first, so that finding nothing takes no write lock."""
        wanted = [c for c in (channels or self.senders) if c in self.senders]
        if not wanted:
            return 0
        now = self.clock.now()
        if probe:
            async with self.db.sessions() as session:
                if not await outbox.has_due(session, now=now, channels=[c.value for c in wanted]):
                    return 0
        async with self.db.sessions() as session, session.begin():
            items = await outbox.claim(
                session,
                owner=self.owner,
                now=now,
                lease=self.lease,
                limit=self.batch_size,
                channels=[c.value for c in wanted],
            )
        if not items:
            return 0
        interrupted = [item.id for item in items if item.interrupted]
        if interrupted:
            # A worker stopped while holding these: those it had already sent may reach people twice
            # (never on LINE, whose retry key turns the resend into a 409).
            log.warning("delivery.resending_interrupted", rows=len(interrupted), first_row=interrupted[0])
        semaphore = asyncio.Semaphore(self.concurrency)
        # Messages to one chat go one after another, in the order they were queued; chats go in parallel.
        conversations: dict[tuple[Channel, str], list[Claimed]] = {}
        for item in items:
            conversations.setdefault((item.channel, item.target or str(item.id)), []).append(item)

        async def in_order(queue: list[Claimed]) -> None:
            for position, item in enumerate(queue):
                async with semaphore:
                    result = await self._deliver(item)
                if result.status is SendStatus.RETRY:
                    # Later messages to the same chat wait for this one rather than overtake it.
                    self._hold_back(queue[position + 1 :], result)
                    return

        try:
            await asyncio.gather(*(in_order(queue) for queue in conversations.values()))
        finally:
            await self.flush()
        return len(items)

    def _hold_back(self, items: list[Claimed], blocking: SendResult) -> None:
        wait = blocking.retry_after_s or self.policy.base_s
        at = self.clock.now() + timedelta(seconds=wait)
        for item in items:
            self._pending.append(
                Outcome(
                    item.id,
                    OutboxState.PENDING,
                    self.clock.now(),
                    next_attempt_at=at,
                    error="waiting for an earlier message to the same chat",
                    not_attempted=True,
                )
            )

    async def _deliver(self, item: Claimed) -> SendResult:
        sender = self.senders[item.channel]
        if item.interrupted:
            # The worker that had this row stopped mid-call: the platform may already have it.
            self.stats.possibly_doubled[item.channel.value] += 1
            self._count(item.channel.value, "possibly_doubled")
        await self.limiter.acquire(sender.rate_keys(item))
        try:
            async with asyncio.timeout(self.send_timeout_s):
                result = await sender.send(item)
        except TimeoutError:
            result = SendResult(SendStatus.RETRY, error=f"no answer within {self.send_timeout_s:g} s")
        except Exception as exc:  # a sender must classify its errors; an unclassified one is retried
            log.exception("delivery.sender_error", row=item.id, channel=item.channel.value)
            result = SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}"[:500])
        if result.status is SendStatus.RETRY and result.retry_after_s:
            keys = sender.rate_keys(item)
            if keys:
                self.limiter.pause(keys[0], result.retry_after_s)  # the platform-wide bucket
        self._pending.append(self._outcome(item, result))
        if len(self._pending) >= self.flush_every:
            await self.flush()
        return result

    def _count(self, channel: str, outcome: str) -> None:
        self.stats.by_outcome[(channel, outcome)] += 1
        if self._on_outcome is not None:
            self._on_outcome(channel, outcome)

    def _outcome(self, item: Claimed, result: SendResult) -> Outcome:
        now = self.clock.now()
        channel = item.channel.value
        if result.status is SendStatus.SENT:
            self._count(channel, "sent")
            return Outcome(item.id, OutboxState.SENT, now, platform_message_id=result.message_id, error=result.error)
        if result.status is SendStatus.BLOCKED:
            self._count(channel, "blocked")
            return Outcome(item.id, OutboxState.BLOCKED, now, error=result.error, contact_id=item.contact_id)
        if result.status is SendStatus.RETRY and item.attempts < self.policy.max_attempts:
            self._count(channel, "retried")
            wait = result.retry_after_s or self.policy.delay(item.attempts, self.rng)
            return Outcome(
                item.id, OutboxState.PENDING, now, next_attempt_at=now + timedelta(seconds=wait), error=result.error
            )
        self._count(channel, "failed")
        error = result.error or "failed"
        if result.status is SendStatus.RETRY:
            error = f"gave up after {item.attempts} attempts: {error}"
        return Outcome(item.id, OutboxState.FAILED, now, error=error)

    async def flush(self) -> None:
        async with self._flush_lock:
            outcomes, self._pending = self._pending, []
            if not outcomes:
                return
            try:
                async with self.db.sessions() as session, session.begin():
                    await outbox.record(session, self.owner, outcomes)
            except Exception:
                # Keep them for the next flush: while the lease lasts, nobody else sends these rows.
                self._pending[:0] = outcomes
                raise
