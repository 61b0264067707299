"""Delivery leases and slow chats: short leases kept alive while a worker lives, a row whose lease was lost is never
sent, a slow group neither holds a batch up nor gets a row twice, and one chat's messages keep their order."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from core.clock import FakeClock
from core.model import Channel, OutMessage, Target
from scheduler.delivery import DeliveryWorker, RetryPolicy, SendResult
from scheduler.ratelimit import RateKey
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import Claimed
from tests.fakes import FakeTelegramApi, TelegramScripted
from tests.harness import TELEGRAM_SECRET

GROUP = "-1001234567"  # a supergroup: 20 messages a minute
LEASE = timedelta(seconds=15)


def telegram_channel(fake: FakeTelegramApi) -> TelegramChannel:
    return TelegramChannel(token=fake.token, api_base_url=fake.base_url, webhook_secret=TELEGRAM_SECRET)


async def queue(db: Database, clock: FakeClock, target: Target, *texts: str) -> None:
    async with db.sessions() as session, session.begin():
        outbox.enqueue(session, target, [OutMessage(text=x) for x in texts], now=clock.now())


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def all_done(db: Database) -> bool:
    async with db.sessions() as session:
        counts = await outbox.count_by_state(session)
    return not counts.get("pending") and not counts.get("sending")


class Gated:
    """A Telegram sender whose calls wait for the test to let them through (a slow platform, on cue)."""

    channel = Channel.TELEGRAM

    def __init__(self, inner: TelegramChannel, before_send: Callable[[Claimed], Awaitable[None]]) -> None:
        self.inner, self.before_send = inner, before_send

    def rate_keys(self, item: Claimed) -> Sequence[RateKey]:
        return self.inner.rate_keys(item)

    async def send(self, item: Claimed) -> SendResult:
        await self.before_send(item)
        return await self.inner.send(item)


async def test_a_slow_group_does_not_hold_up_a_private_reply(db: Database, clock: FakeClock) -> None:
    """60 messages to a group (20 a minute) take three minutes; a reply queued meanwhile goes out in seconds.

    Before: the batch held all 60 and waited on the group's limit: the reply waited about 160 s."""
    texts = [f"ต่อ {i}" for i in range(60)]
    async with FakeTelegramApi(per_chat_limit=True, monotonic=clock.monotonic) as tg:
        await queue(db, clock, Target(Channel.TELEGRAM, "group", GROUP), *texts)
        tc = telegram_channel(tg)
        await tc.start()
        worker = DeliveryWorker(db, {Channel.TELEGRAM: tc}, clock, lease=LEASE)
        queued_at: list[float] = []

        async def reply_meanwhile() -> None:
            while len(tg.sent) < 6:
                await asyncio.sleep(0)
            await queue(db, clock, Target(Channel.TELEGRAM, "user", "801"), "ตอบกลับค่ะ")
            queued_at.append(clock.monotonic())

        replier = asyncio.create_task(reply_meanwhile())
        try:
            for _ in range(2000):
                if await worker.run_once() == 0:
                    if replier.done() and await all_done(db):
                        break
                    clock.advance(timedelta(seconds=1))  # idle: the next poll
            else:
                raise AssertionError("outbox did not drain")
        finally:
            replier.cancel()
            await tc.close()
        reply = next(r for r in await rows(db) if r.target == "801")
        assert reply.state == "sent" and reply.sent_at is not None
        waited = (reply.sent_at - reply.created_at).total_seconds()
        assert waited <= 5, f"the reply waited {waited:.0f} s behind the group"
        assert tg.sent_texts(GROUP) == texts, "every group message once, in order"
        assert clock.monotonic() >= 150, "the group's limit was kept (20 a minute)"


@pytest.mark.parametrize("platform_limit", [False, True], ids=["own-limit", "platform-429s"])
async def test_two_workers_and_a_slow_group_send_each_row_once(db: Database, platform_limit: bool) -> None:
    """Two workers poll while one group's 60 messages trickle out at 20 a minute: 60 messages, in order, no doubles;
    with the workers' own limits only, and with the platform answering 429 (two workers send it 40 a minute).

    Before: one worker's batch outlived its 120 s lease, the other took the rest again: 80 messages for 60 rows."""
    clock = FakeClock()
    texts = [f"ข่าว {i}" for i in range(60)]
    privates = [str(900 + i) for i in range(20)]
    async with FakeTelegramApi(per_chat_limit=platform_limit, monotonic=clock.monotonic) as tg:
        await queue(db, clock, Target(Channel.TELEGRAM, "group", GROUP), *texts)
        for chat in privates:
            await queue(db, clock, Target(Channel.TELEGRAM, "user", chat), "สวัสดีค่ะ")
        other_db = Database(db.engine.url)  # a second process would have its own engine
        a, b = telegram_channel(tg), telegram_channel(tg)
        await a.start()
        await b.start()
        workers = [
            DeliveryWorker(db, {Channel.TELEGRAM: a}, clock, owner="replica-a", batch_size=200),
            DeliveryWorker(other_db, {Channel.TELEGRAM: b}, clock, owner="replica-b", batch_size=200),
        ]
        finished = asyncio.Event()

        async def work(w: DeliveryWorker) -> None:
            while not finished.is_set() and clock.monotonic() < 1800:
                if await w.run_once() == 0:
                    await asyncio.sleep(0.001)  # let the other worker run (real time: two event-loop turns)
                    clock.advance(timedelta(seconds=0.25))  # idle polls move time on, as time passes in production

        async def watch() -> None:
            while not (len(tg.sent_texts(GROUP)) >= 60 and await all_done(db)) and clock.monotonic() < 1800:
                await asyncio.sleep(0.01)
            finished.set()

        try:
            await asyncio.gather(watch(), *(work(w) for w in workers))
        finally:
            await a.close()
            await b.close()
            await other_db.dispose()
        assert tg.sent_texts(GROUP) == texts, "60 messages for 60 rows, in the order queued"
        assert Counter(s.chat_id for s in tg.sent if s.chat_id != GROUP) == Counter(dict.fromkeys(privates, 1))
        assert {r.state for r in await rows(db)} == {"sent"}
        assert sum(w.stats.lease_lost["telegram"] for w in workers) == 0, "no lease ran out under a live worker"


async def test_a_live_worker_keeps_its_rows_past_the_lease(db: Database, clock: FakeClock) -> None:
    """The heartbeat renews the lease while a send is slow: another worker finds nothing to take."""
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(item: Claimed) -> None:
        started.set()
        await release.wait()

    async with FakeTelegramApi() as tg:
        await queue(db, clock, Target(Channel.TELEGRAM, "user", "811"), "หนึ่ง", "สอง")
        a, b = telegram_channel(tg), telegram_channel(tg)
        await a.start()
        await b.start()
        try:
            holder = DeliveryWorker(db, {Channel.TELEGRAM: Gated(a, slow)}, clock, owner="holder", lease=LEASE)
            other = DeliveryWorker(db, {Channel.TELEGRAM: b}, clock, owner="other", lease=LEASE)
            batch = asyncio.create_task(holder.run_once())
            await started.wait()
            for _ in range(4):  # a minute in all, four lease lengths
                clock.advance(timedelta(seconds=10))
                assert len(await holder.renew_leases()) == 2  # what the heartbeat does every few seconds
                clock.advance(timedelta(seconds=5))
                assert await other.run_once() == 0, "a renewed lease is not free"
            release.set()
            assert await batch == 2
        finally:
            await a.close()
            await b.close()
        assert tg.sent_texts(811) == ["หนึ่ง", "สอง"]
        assert [r.state for r in await rows(db)] == ["sent", "sent"]


async def test_a_row_whose_lease_was_taken_over_is_not_sent(db: Database, clock: FakeClock) -> None:
    """A worker stalled past its lease (no heartbeat got through) finds its rows taken: it sends none of them.

    Before: it sent them anyway, after the worker that had taken them over: every one twice."""
    other: DeliveryWorker | None = None

    async def stall_then_lose(item: Claimed) -> None:
        if item.messages[0].text == "หนึ่ง":
            clock.advance(timedelta(seconds=40))  # the first call hangs past the lease ...
            assert other is not None
            assert await other.run_once() == 3  # ... and another worker takes all three rows

    async with FakeTelegramApi() as tg:
        await queue(db, clock, Target(Channel.TELEGRAM, "user", "812"), "หนึ่ง", "สอง", "สาม")
        a, b = telegram_channel(tg), telegram_channel(tg)
        await a.start()
        await b.start()
        try:
            stalled = DeliveryWorker(
                db, {Channel.TELEGRAM: Gated(a, stall_then_lose)}, clock, owner="stalled", lease=LEASE
            )
            other = DeliveryWorker(db, {Channel.TELEGRAM: b}, clock, owner="other", lease=LEASE)
            assert await stalled.run_once() == 3
        finally:
            await a.close()
            await b.close()
        # The call in flight when the lease ran out could not be taken back (Telegram has no retry key); the
        # worker never started a call for a row it no longer held.
        assert tg.sent_texts(812) == ["หนึ่ง", "สอง", "สาม", "หนึ่ง"]
        assert stalled.stats.lease_lost["telegram"] == 1  # "สอง": checked before its call, found taken
        assert [r.state for r in await rows(db)] == ["sent", "sent", "sent"]
        assert {r.attempts for r in await rows(db)} == {2}, "the second worker's claim is the one recorded"


async def test_a_retry_without_retry_after_keeps_the_chat_in_order(db: Database, clock: FakeClock) -> None:
    """A 502 backs off 2 s +20 %: the messages behind it wait for it, whatever the jitter drew.

    Before: they were held back for 2 s flat, and went out before the retried message (due at 2.4 s)."""

    class HighJitter(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    async with FakeTelegramApi() as tg:
        tg.script("sendMessage", TelegramScripted(502, description="Bad Gateway"))
        await queue(db, clock, Target(Channel.TELEGRAM, "user", "813"), "หนึ่ง", "สอง", "สาม")
        tc = telegram_channel(tg)
        await tc.start()
        try:
            worker = DeliveryWorker(db, {Channel.TELEGRAM: tc}, clock, rng=HighJitter(), policy=RetryPolicy())
            for _ in range(20):
                await worker.run_once()
                if await all_done(db):
                    break
                clock.advance(timedelta(seconds=2.2))
        finally:
            await tc.close()
        assert worker.stats.by_outcome[("telegram", "retried")] == 1
        assert tg.sent_texts(813) == ["หนึ่ง", "สอง", "สาม"]


async def test_two_claims_never_split_one_chat(db: Database, clock: FakeClock) -> None:
    """While one worker holds a chat's first messages, another claim takes none of the rest (they would overtake),
    and a claim takes no more of one chat than its cap."""
    await queue(db, clock, Target(Channel.TELEGRAM, "group", GROUP), *[f"g{i}" for i in range(10)])
    await queue(db, clock, Target(Channel.TELEGRAM, "user", "814"), "p")
    caps = {("telegram", "group"): 3, ("telegram", "user"): 3}

    async def take(owner: str) -> list[str]:
        async with db.sessions() as session, session.begin():
            claimed = await outbox.claim(
                session, owner=owner, now=clock.now(), lease=LEASE, limit=200, channels=["telegram"], chat_caps=caps
            )
        return [c.messages[0].text or "" for c in claimed]

    assert await take("a") == ["g0", "g1", "g2", "p"]
    assert await take("b") == [], "g3.. wait behind g0..g2, which are being sent"
    clock.advance(LEASE + timedelta(seconds=1))  # a's lease runs out: its rows, and only then the rest, are free
    assert await take("b") == ["g0", "g1", "g2", "p"]
