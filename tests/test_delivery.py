"""The delivery worker against the fake APIs: retries, limits, blocked people, crashes, several workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from bot.channels.line import LineChannel
from bot.channels.telegram import TelegramChannel
from core.clock import FakeClock
from core.model import Button, Channel, OutMessage, Target
from scheduler.delivery import DeliveryWorker, RetryPolicy
from storage import contacts, outbox
from storage.db import Database
from storage.models import Contact, OutboxMessage
from storage.outbox import Recipient
from tests.fakes import FakeLineApi, FakeTelegramApi, LineScripted, TelegramScripted
from tests.harness import LINE_SECRET, TELEGRAM_SECRET


def line_channel(fake: FakeLineApi, clock: FakeClock) -> LineChannel:
    return LineChannel(
        channel_secret=LINE_SECRET, access_token=fake.access_token, api_base_url=fake.base_url, clock=clock
    )


def telegram_channel(fake: FakeTelegramApi) -> TelegramChannel:
    return TelegramChannel(token=fake.token, api_base_url=fake.base_url, webhook_secret=TELEGRAM_SECRET)


async def queue(db: Database, clock: FakeClock, target: Target, *texts: str) -> None:
    async with db.sessions() as session, session.begin():
        outbox.enqueue(session, target, [OutMessage(text=x) for x in texts], now=clock.now())


async def drain(worker: DeliveryWorker, clock: FakeClock, *, rounds: int = 20, step_s: float = 700) -> None:
    """Run the worker, moving the clock past every backoff, until nothing is left to send."""
    for _ in range(rounds):
        await worker.run_once()
        async with worker.db.sessions() as session:
            counts = await outbox.count_by_state(session)
        if not counts.get("pending") and not counts.get("sending"):
            return
        clock.advance(timedelta(seconds=step_s))
    raise AssertionError("outbox did not drain")


async def states(db: Database) -> Counter[str]:
    async with db.sessions() as session:
        return Counter(await outbox.count_by_state(session))


async def test_429_then_success_is_delivered_exactly_once(db: Database, clock: FakeClock) -> None:
    async with FakeLineApi() as line, FakeTelegramApi() as tg:
        line.script("push", LineScripted(429, {"message": "The API rate limit has been exceeded."}))
        tg.script("sendMessage", TelegramScripted(429, description="Too Many Requests: retry after 3", retry_after=3))
        ln, tc = line_channel(line, clock), telegram_channel(tg)
        await ln.start()
        await tc.start()
        try:
            await queue(db, clock, Target(Channel.LINE, "user", "Uretry"), "ประกาศ 1")
            await queue(db, clock, Target(Channel.TELEGRAM, "user", "601"), "ประกาศ 1")
            worker = DeliveryWorker(db, {Channel.LINE: ln, Channel.TELEGRAM: tc}, clock)
            await drain(worker, clock)
        finally:
            await ln.close()
            await tc.close()
        assert line.delivery_counts() == Counter({("Uretry", "ประกาศ 1"): 1})
        assert tg.sent_counts() == Counter({("601", "ประกาศ 1"): 1})
        assert await states(db) == Counter({"sent": 2})
        # Telegram's retry_after was honoured: the second try came no sooner than 3 s later.
        assert worker.stats.by_outcome[("telegram", "retried")] == 1


async def test_blocked_person_is_marked_unreachable(db: Database, clock: FakeClock) -> None:
    async with FakeTelegramApi() as tg:
        tg.blocked.add(602)
        async with db.sessions() as session, session.begin():
            person, _ = await contacts.get_or_create(session, "telegram", "602", now=clock.now())
            outbox.enqueue(
                session,
                Target(Channel.TELEGRAM, "user", "602", contact_id=person.id),
                [OutMessage(text="ข่าว")],
                now=clock.now(),
            )
        tc = telegram_channel(tg)
        await tc.start()
        try:
            await drain(DeliveryWorker(db, {Channel.TELEGRAM: tc}, clock), clock)
        finally:
            await tc.close()
        async with db.sessions() as session:
            contact = await session.get(Contact, person.id)
            assert contact is not None
            assert (contact.reachable, contact.blocked_at is not None) == (False, True)
        assert await states(db) == Counter({"blocked": 1})


async def test_server_errors_are_retried_with_backoff_up_to_the_limit(db: Database, clock: FakeClock) -> None:
    async with FakeLineApi() as line:
        line.script("push", *[LineScripted(500, {"message": "boom"})] * 10)
        ln = line_channel(line, clock)
        await ln.start()
        try:
            await queue(db, clock, Target(Channel.LINE, "user", "Udown"), "x")
            worker = DeliveryWorker(db, {Channel.LINE: ln}, clock, policy=RetryPolicy(max_attempts=4))
            await drain(worker, clock)
        finally:
            await ln.close()
        rows = [r for r in line.requests if r.path.endswith("/push")]
        assert len(rows) == 4
        async with db.sessions() as session:
            row = (await session.execute(OutboxMessage.__table__.select())).one()
        assert row.state == "failed"
        assert row.error.startswith("gave up after 4 attempts: 500")
        assert line.deliveries == []


async def test_bad_request_fails_at_once_with_the_reason(db: Database, clock: FakeClock) -> None:
    async with FakeTelegramApi() as tg:
        tg.missing.add(603)
        tc = telegram_channel(tg)
        await tc.start()
        try:
            await queue(db, clock, Target(Channel.TELEGRAM, "user", "603"), "x")
            await drain(DeliveryWorker(db, {Channel.TELEGRAM: tc}, clock), clock)
        finally:
            await tc.close()
        async with db.sessions() as session:
            row = (await session.execute(OutboxMessage.__table__.select())).one()
        assert (row.state, row.attempts) == ("failed", 1)
        assert "chat not found" in row.error.lower()


async def test_line_recipients_are_grouped_into_multicasts_of_500(db: Database, clock: FakeClock) -> None:
    async with FakeLineApi() as line:
        people = [Recipient(f"U{i:04d}") for i in range(1200)]
        async with db.sessions() as session, session.begin():
            rows = await outbox.enqueue_many(
                session, Channel.LINE, people, [OutMessage(text="ข่าวด่วน")], now=clock.now()
            )
        assert rows == 3
        ln = line_channel(line, clock)
        await ln.start()
        try:
            await drain(DeliveryWorker(db, {Channel.LINE: ln}, clock), clock)
        finally:
            await ln.close()
        calls = [len(r.json["to"]) for r in line.requests if r.path.endswith("/multicast")]
        assert sorted(calls) == [200, 500, 500]
        counts = line.delivery_counts()
        assert len(counts) == 1200
        assert set(counts.values()) == {1}


async def test_buttons_render_within_line_limits(db: Database, clock: FakeClock) -> None:
    short = OutMessage(text="ความพึงพอใจ", buttons=tuple(Button(str(i), f"s:{i}") for i in range(1, 6)))
    long = OutMessage(
        text="เลือกโรงเรียน",
        buttons=(Button("โรงเรียนบ้านหนองบัวทองวิทยาคารสามัคคี", "s:a"), Button("อื่น ๆ", "s:b")),
    )
    many = OutMessage(text="เลือก", buttons=tuple(Button(f"ตัวเลือก {i}", f"m:{i}") for i in range(20)))
    async with FakeLineApi() as line:
        ln = line_channel(line, clock)
        await ln.start()
        try:
            for message in (short, long, many):
                async with db.sessions() as session, session.begin():
                    outbox.enqueue(session, Target(Channel.LINE, "user", "Ubtn"), [message], now=clock.now())
            await drain(DeliveryWorker(db, {Channel.LINE: ln}, clock), clock)
        finally:
            await ln.close()
        assert await states(db) == Counter({"sent": 3})
        sent = [d.message for d in line.deliveries]
        assert [i["action"]["label"] for i in sent[0]["quickReply"]["items"]] == ["1", "2", "3", "4", "5"]
        # Listed in the text as well, for LINE PC where quick replies do not show.
        assert "\n1. 1\n2. 2\n" in sent[0]["text"]
        # A label too long for a quick reply is never cut: the full text is listed, the button carries its number.
        assert "1. โรงเรียนบ้านหนองบัวทองวิทยาคารสามัคคี" in sent[1]["text"]
        assert [i["action"]["label"] for i in sent[1]["quickReply"]["items"]] == ["1", "2"]
        assert next(i["action"]["displayText"] for i in sent[1]["quickReply"]["items"]).startswith("โรงเรียนบ้าน")
        assert "20. ตัวเลือก 19" in sent[2]["text"]
        assert "quickReply" not in sent[2]


async def test_telegram_rate_limit_spaces_messages(db: Database, clock: FakeClock) -> None:
    async with FakeTelegramApi() as tg:
        tc = telegram_channel(tg)
        await tc.start()
        try:
            async with db.sessions() as session, session.begin():
                await outbox.enqueue_many(
                    session,
                    Channel.TELEGRAM,
                    [Recipient(str(700 + i)) for i in range(90)],
                    [OutMessage(text="ข่าว")],
                    now=clock.now(),
                )
            started = clock.monotonic()
            await DeliveryWorker(db, {Channel.TELEGRAM: tc}, clock, batch_size=500).run_once()
            elapsed = clock.monotonic() - started
        finally:
            await tc.close()
        assert len(tg.sent) == 90
        # 30 messages/s: ninety take about three seconds on the (fake) clock, never less.
        assert 2.9 <= elapsed <= 3.5


async def _killed_mid_batch(db: Database, clock: FakeClock, worker: DeliveryWorker, sent: object) -> None:
    task = asyncio.create_task(worker.run_once())
    for _ in range(2000):
        if len(sent) >= 40:  # type: ignore[arg-type]
            break
        await asyncio.sleep(0.005)
    task.cancel()  # the worker dies here: outcomes in flight are never recorded
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_worker_killed_mid_batch_resends_nothing_twice_on_line(db: Database, clock: FakeClock) -> None:
    async with FakeLineApi(latency_s=0.01) as line:
        for i in range(120):
            await queue(db, clock, Target(Channel.LINE, "user", f"Ucrash{i}"), f"ข่าว {i}")
        first = line_channel(line, clock)
        await first.start()
        dying = DeliveryWorker(db, {Channel.LINE: first}, clock, concurrency=8, flush_every=1000, owner="dying")
        await _killed_mid_batch(db, clock, dying, line.deliveries)
        await first.close()
        assert 0 < len(line.deliveries) < 120
        clock.advance(timedelta(minutes=5))  # the dead worker's lease runs out
        second = line_channel(line, clock)
        await second.start()
        try:
            survivor = DeliveryWorker(db, {Channel.LINE: second}, clock, owner="survivor")
            await drain(survivor, clock)
        finally:
            await second.close()
        counts = line.delivery_counts()
        assert len(counts) == 120
        assert set(counts.values()) == {1}, "LINE's retry key makes a resend a 409, never a second delivery"
        assert survivor.stats.possibly_doubled["line"] > 0
        assert await states(db) == Counter({"sent": 120})


async def test_worker_killed_mid_batch_on_telegram_doubles_at_most_the_in_flight_rows(
    db: Database, clock: FakeClock
) -> None:
    async with FakeTelegramApi(latency_s=0.01) as tg:
        async with db.sessions() as session, session.begin():
            await outbox.enqueue_many(
                session,
                Channel.TELEGRAM,
                [Recipient(str(9000 + i)) for i in range(120)],
                [OutMessage(text="ข่าว")],
                now=clock.now(),
            )
        first = telegram_channel(tg)
        await first.start()
        dying = DeliveryWorker(db, {Channel.TELEGRAM: first}, clock, concurrency=8, flush_every=1000)
        await _killed_mid_batch(db, clock, dying, tg.sent)
        await first.close()
        clock.advance(timedelta(minutes=5))
        second = telegram_channel(tg)
        await second.start()
        try:
            survivor = DeliveryWorker(db, {Channel.TELEGRAM: second}, clock)
            await drain(survivor, clock)
        finally:
            await second.close()
        counts = tg.sent_counts()
        doubled = sum(n - 1 for n in counts.values())
        assert len(counts) == 120, "nothing lost"
        assert doubled <= survivor.stats.possibly_doubled["telegram"]
        print(
            f"telegram: {doubled} message(s) doubled by the kill; in-flight window "
            f"{survivor.stats.possibly_doubled['telegram']} row(s)"
        )


async def test_two_workers_on_one_database_never_send_a_row_twice(db: Database) -> None:
    clock = FakeClock()
    async with FakeTelegramApi() as tg:
        async with db.sessions() as session, session.begin():
            await outbox.enqueue_many(
                session,
                Channel.TELEGRAM,
                [Recipient(str(10_000 + i)) for i in range(2000)],
                [OutMessage(text="ข่าว")],
                now=clock.now(),
            )
        other_db = Database(db.engine.url)  # a second process would have its own engine
        a, b = telegram_channel(tg), telegram_channel(tg)
        await a.start()
        await b.start()
        fast = {"batch_size": 100, "concurrency": 16}
        try:
            workers = [
                DeliveryWorker(db, {Channel.TELEGRAM: a}, clock, owner="replica-a", **fast),
                DeliveryWorker(other_db, {Channel.TELEGRAM: b}, clock, owner="replica-b", **fast),
            ]

            async def work(w: DeliveryWorker) -> None:
                while await w.run_once():
                    pass

            await asyncio.gather(*(work(w) for w in workers))
        finally:
            await a.close()
            await b.close()
            await other_db.dispose()
        counts = tg.sent_counts()
        assert len(counts) == 2000
        assert set(counts.values()) == {1}
        assert all(w.stats.by_outcome[("telegram", "sent")] > 0 for w in workers), "both replicas took part"


async def test_messages_to_one_chat_keep_their_order_even_through_a_retry(db: Database, clock: FakeClock) -> None:
    async with FakeTelegramApi() as tg:
        tg.script("sendMessage", TelegramScripted(429, description="Too Many Requests: retry after 2", retry_after=2))
        await queue(db, clock, Target(Channel.TELEGRAM, "user", "650"), "หนึ่ง", "สอง", "สาม")
        tc = telegram_channel(tg)
        await tc.start()
        try:
            await drain(DeliveryWorker(db, {Channel.TELEGRAM: tc}, clock), clock, step_s=3)
        finally:
            await tc.close()
        assert tg.sent_texts(650) == ["หนึ่ง", "สอง", "สาม"]
        async with db.sessions() as session:
            attempts = [r.attempts for r in (await session.execute(OutboxMessage.__table__.select())).all()]
        assert attempts == [2, 1, 1], "held-back messages do not lose an attempt"
