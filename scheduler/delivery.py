"""The delivery worker: claims due outbox rows, sends them through the channel senders, records outcomes.

No transaction is open while a platform is called. Outcomes are written in small batches, so that a worker
killed mid-batch leaves at most the rows in flight to be sent again: none twice on LINE (the retry key
makes a resend a 409), at most those on Telegram (counted as `possibly_doubled`).

Leases are short (15 s) and renewed by a heartbeat while the worker lives, so a restart after a crash finds the
dead worker's rows free within seconds. Right before each send the worker checks it still holds the row's lease
(renewing it when it runs low): a row whose lease was lost to another worker is not sent, since Telegram has no
retry key to make a second send harmless. A chat that cannot take a message soon (a group's 20 a minute, a 429)
does not hold the batch up: its rows go back to the queue, due when the chat can take them, and a claim takes
no more rows of one chat than its rate limit lets the worker send meanwhile.
"""

from __future__ import annotations

import asyncio
import enum
import math
import os
import random
import socket
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    lease_lost: Counter[str] = field(default_factory=Counter)  # channel -> rows not sent: another worker took them


@dataclass(slots=True)
class _Held:
    attempts: int  # the claim's attempts: with the owner, what makes the claim ours
    until: datetime  # the lease as last written


# Target kinds whose chats have a rate of their own (a LINE multicast or a followers broadcast has no chat).
CHAT_KINDS = ("user", "group", "room", "channel")


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
        lease: timedelta = timedelta(seconds=15),
        heartbeat_s: float | None = None,
        chat_wait_s: float = 2.0,
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
        # Real time, not the clock: it stands for this process being alive. Five beats per lease, so one or two
        # missed (a busy event loop, a database pause) still keep the rows.
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else lease.total_seconds() / 5
        # The longest a batch waits for one chat's rate limit; a longer wait sends the row back to the queue.
        self.chat_wait_s = chat_wait_s
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
        self._held: dict[int, _Held] = {}  # rows claimed and not yet recorded, over all lanes
        self._renew_lock = asyncio.Lock()
        self._caps: dict[Channel, dict[tuple[str, str], int]] = {}

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
        if self._pending:
            # Outcomes an earlier batch could not write (the database was away) go first: a row is never claimed
            # again, and so sent again, while what happened to it is only known here.
            await self.flush()
        now = self.clock.now()
        if probe:
            async with self.db.sessions() as session:
                if not await outbox.has_due(session, now=now, channels=[c.value for c in wanted]):
                    return 0
        caps: dict[tuple[str, str], int] = {}
        for channel in wanted:
            caps.update(self._chat_caps(channel))
        async with self.db.sessions() as session, session.begin():
            items = await outbox.claim(
                session,
                owner=self.owner,
                now=now,
                lease=self.lease,
                limit=self.batch_size,
                channels=[c.value for c in wanted],
                chat_caps=caps,
            )
        if not items:
            return 0
        for item in items:
            self._held[item.id] = _Held(item.attempts, now + self.lease)
        batch = [item.id for item in items]
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
                later = queue[position + 1 :]
                wait = self._chat_wait(item)
                if wait > self.chat_wait_s:
                    # The chat cannot take it soon: back to the queue, due when it can, rather than hold the batch.
                    self._hold_back(queue[position:], self.clock.now() + timedelta(seconds=wait), "chat rate limit")
                    self._count(item.channel.value, "deferred")
                    return
                async with semaphore:
                    outcome = await self._deliver(item, batch)
                if outcome is None:
                    # Not ours any more: another worker sends it, and the rest of this chat after it.
                    self._hold_back(later, None, "an earlier message to the same chat is with another worker")
                    return
                if outcome.state is OutboxState.PENDING:
                    # Later messages to the same chat wait for this one rather than overtake it.
                    self._hold_back(later, outcome.next_attempt_at, "waiting for an earlier message to the same chat")
                    return

        heartbeat = asyncio.create_task(self._heartbeat(batch))
        try:
            await asyncio.gather(*(in_order(queue) for queue in conversations.values()))
        finally:
            heartbeat.cancel()
            try:
                await self.flush()
            finally:
                # Rows left unsent by a failure stay "sending" until their lease runs out; those whose outcome
                # could not be written stay held, for the next batch to write first.
                unwritten = {o.row_id for o in self._pending}
                for row_id in batch:
                    if row_id not in unwritten:
                        self._held.pop(row_id, None)
        return len(items)

    def _chat_caps(self, channel: Channel) -> dict[tuple[str, str], int]:
        """How many rows of one chat a claim takes: what the chat's own rate (the sender's narrowest key) lets this
        worker send within `chat_wait_s`, at least one."""
        caps = self._caps.get(channel)
        if caps is None:
            caps = {}
            sender = self.senders[channel]
            for kind in CHAT_KINDS:
                probe = Claimed(0, channel, kind, "", (), None, (), None, "", 0, self.clock.now(), False)
                keys = sender.rate_keys(probe)
                if keys:
                    rate = keys[-1].rate
                    caps[(channel.value, kind)] = max(1, math.floor(rate.burst + rate.per_second * self.chat_wait_s))
            self._caps[channel] = caps
        return caps

    def _chat_wait(self, item: Claimed) -> float:
        if not item.target:
            return 0.0
        keys = self.senders[item.channel].rate_keys(item)
        return self.limiter.wait_s(keys[-1]) if keys else 0.0

    def _hold_back(self, items: Sequence[Claimed], at: datetime | None, why: str) -> None:
        """Give rows back unsent, due at `at` (None: when they were due), their attempt not counted."""
        now = self.clock.now()
        for item in items:
            self._pending.append(
                Outcome(
                    item.id,
                    OutboxState.PENDING,
                    now,
                    next_attempt_at=at,
                    error=why,
                    not_attempted=True,
                    attempts=item.attempts,
                )
            )

    async def _heartbeat(self, batch: Sequence[int]) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await self.renew_leases(batch)
            except Exception:
                # Missing a beat is survivable (the lease has four more); the send path checks before each send.
                log.warning("delivery.renew_failed", rows=len(batch), exc_info=True)

    async def renew_leases(self, rows: Sequence[int] | None = None) -> set[int]:
        """Extend the leases of `rows` (default: every row this worker holds); returns those still held."""
        async with self._renew_lock:
            wanted = [r for r in (rows if rows is not None else list(self._held)) if r in self._held]
            if not wanted:
                return set()
            now = self.clock.now()
            async with self.db.sessions() as session, session.begin():
                kept = await outbox.renew(
                    session, self.owner, {r: self._held[r].attempts for r in wanted}, now=now, lease=self.lease
                )
            unwritten = {o.row_id for o in self._pending}
            for row_id in wanted:
                held = self._held.get(row_id)
                if held is None:
                    continue
                if row_id in kept:
                    held.until = now + self.lease
                elif row_id not in unwritten:
                    self._held.pop(row_id)  # taken over by another worker (an outcome waiting to be written is ours)
            return kept

    async def _still_held(self, item: Claimed, batch: Sequence[int]) -> bool:
        """Whether this worker holds the row's lease with at least half of it left, renewing when it runs low."""
        held = self._held.get(item.id)
        if held is None or held.attempts != item.attempts:
            return False
        if held.until - self.clock.now() >= self.lease / 2:
            return True
        kept = await self.renew_leases(batch)
        return item.id in kept

    async def _deliver(self, item: Claimed, batch: Sequence[int]) -> Outcome | None:
        """Send one row and queue its outcome; None when the row's lease was lost and it was not sent."""
        sender = self.senders[item.channel]
        keys = sender.rate_keys(item)
        await self.limiter.acquire(keys)
        # After the rate limiter's wait, right before the call: a row that is no longer ours is never sent.
        if not await self._still_held(item, batch):
            self.stats.lease_lost[item.channel.value] += 1
            self._count(item.channel.value, "lease_lost")
            log.warning("delivery.lease_lost", row=item.id, channel=item.channel.value)
            return None
        if item.interrupted:
            # The worker that had this row stopped mid-call: the platform may already have it.
            self.stats.possibly_doubled[item.channel.value] += 1
            self._count(item.channel.value, "possibly_doubled")
        try:
            async with asyncio.timeout(self.send_timeout_s):
                result = await sender.send(item)
        except TimeoutError:
            result = SendResult(SendStatus.RETRY, error=f"no answer within {self.send_timeout_s:g} s")
        except Exception as exc:  # a sender must classify its errors; an unclassified one is retried
            log.exception("delivery.sender_error", row=item.id, channel=item.channel.value)
            result = SendResult(SendStatus.RETRY, error=f"{type(exc).__name__}: {exc}"[:500])
        if result.status is SendStatus.RETRY and result.retry_after_s and keys:
            # The chat waits; the whole platform too, unless the chat is one with a slow limit of its own (a group's
            # 20 a minute), whose 429 is its own: one busy group must not stop every other chat.
            self.limiter.pause(keys[-1], result.retry_after_s)
            if keys[-1].rate.per_second >= 1.0:
                self.limiter.pause(keys[0], result.retry_after_s)
        outcome = self._outcome(item, result)
        self._pending.append(outcome)
        if len(self._pending) >= self.flush_every:
            await self.flush()
        return outcome

    def _count(self, channel: str, outcome: str) -> None:
        self.stats.by_outcome[(channel, outcome)] += 1
        if self._on_outcome is not None:
            self._on_outcome(channel, outcome)

    def _outcome(self, item: Claimed, result: SendResult) -> Outcome:
        now = self.clock.now()
        channel = item.channel.value
        if result.status is SendStatus.SENT:
            self._count(channel, "sent")
            return Outcome(
                item.id,
                OutboxState.SENT,
                now,
                platform_message_id=result.message_id,
                error=result.error,
                attempts=item.attempts,
            )
        if result.status is SendStatus.BLOCKED:
            self._count(channel, "blocked")
            return Outcome(
                item.id,
                OutboxState.BLOCKED,
                now,
                error=result.error,
                contact_id=item.contact_id,
                attempts=item.attempts,
            )
        if result.status is SendStatus.RETRY and item.attempts < self.policy.max_attempts:
            self._count(channel, "retried")
            wait = result.retry_after_s or self.policy.delay(item.attempts, self.rng)
            return Outcome(
                item.id,
                OutboxState.PENDING,
                now,
                next_attempt_at=now + timedelta(seconds=wait),
                error=result.error,
                attempts=item.attempts,
            )
        self._count(channel, "failed")
        error = result.error or "failed"
        if result.status is SendStatus.RETRY:
            error = f"gave up after {item.attempts} attempts: {error}"
        return Outcome(item.id, OutboxState.FAILED, now, error=error, attempts=item.attempts)

    async def flush(self) -> None:
        async with self._flush_lock:
            outcomes, self._pending = self._pending, []
            if not outcomes:
                return
            try:
                async with self.db.sessions() as session, session.begin():
                    await outbox.record(session, self.owner, outcomes)
                for o in outcomes:
                    self._held.pop(o.row_id, None)
            except Exception:
                # Keep them for the next flush, which comes before the next claim: while the lease lasts (the
                # heartbeat renews it during the batch), nobody else sends these rows.
                self._pending[:0] = outcomes
                raise
