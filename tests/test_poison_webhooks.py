"""One bad body never fails the others; a failed handling is retried while serving; recovery has no cap.

Concurrent webhooks share one commit (bot/ingest.py), so a body the database refused used to make every webhook of
its batch answer 503. These tests hold the commit so that the bodies posted together are stored in one batch for
certain, then check every answer, what was stored, and that every event was handled — on SQLite and PostgreSQL,
through the real aiohttp app with real signatures.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import pytest
from aiohttp import ClientResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.processing import EventProcessor
from core.clock import FakeClock
from handlers.texts import t
from storage import inbound
from storage.db import Database
from storage.inbound import RawEvent
from storage.models import InboundEvent
from tests.events import line_text, tg_message
from tests.harness import Harness, running, webhook_crashes

GOOD = 50
FIRST_BACKOFF_S = 1.0  # bot.processing.FIRST_BACKOFF_S


def counter(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0


def poison_bodies() -> dict[str, tuple[str, bytes]]:
    """Bodies a platform may really send that no database stores as Python parses them, by name: (route, body).

    Lone surrogate escapes in a text, in a LINE webhookEventId and in a Telegram update's key (its kind), and the
    numbers PostgreSQL's JSON refuses (NaN, Infinity, 1e400), in the JSON text exactly as they would arrive."""
    tg_text = json.dumps(tg_message(8801, "abc@", update_id=880_001)).replace("abc@", "abc\\udfff")
    tg_key = '{"update_id": 880002, "\\ud83d": {"x": 1}}'
    tg_numbers = json.dumps(tg_message(8802, "ตัวเลข", update_id=880_003)).replace(
        '"date": ', '"rating": NaN, "big": 1e400, "low": -Infinity, "date": '
    )
    line_event = line_text("Upoison", "@", reply_token="r" * 32, event_id="01POISON@")
    line_body = json.dumps({"destination": "Ubot0000", "events": [line_event]}, ensure_ascii=False)
    line_body = line_body.replace('"01POISON@"', '"01POISON\\ud83d"').replace('"@"', '"\\ud83d ครู", "size": NaN')
    return {
        "telegram text": ("telegram", tg_text.encode()),
        "telegram key": ("telegram", tg_key.encode()),
        "telegram numbers": ("telegram", tg_numbers.encode()),
        "line": ("line", line_body.encode()),
    }


async def post(h: Harness, route: str, body: bytes) -> ClientResponse:
    if route == "line":
        return await h.post_line_body(body)
    return await h.client.post(
        "/webhooks/telegram",
        data=body,
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "test_webhook_secret-1"},
    )


async def good_people(h: Harness) -> list[tuple[str, bytes, Callable[[], list[str]]]]:
    """GOOD bodies of people asking for /help (half LINE, half Telegram), each with who should get the answer."""
    bodies: list[tuple[str, bytes, Callable[[], list[str]]]] = []
    for i in range(GOOD):
        if i % 2:
            user = f"Ugood{i:03d}"
            await h.known_person("line", user)
            event = line_text(user, "/help", reply_token=h.line.issue_reply_token(to=user))
            body = json.dumps({"destination": "Ubot0000", "events": [event]}).encode()
            bodies.append(("line", body, lambda user=user: h.line.delivered_texts(user)))
        else:
            chat = 8900 + i
            await h.known_person("telegram", str(chat))
            bodies.append(
                ("telegram", json.dumps(tg_message(chat, "/help")).encode(), lambda c=chat: h.telegram.sent_texts(c))
            )
    return bodies


async def post_in_one_batch(
    h: Harness, monkeypatch: pytest.MonkeyPatch, bodies: Sequence[tuple[str, bytes]]
) -> list[ClientResponse]:
    """Post `bodies` concurrently so that all are stored in one group commit, for certain: an opening webhook is
    stored first and its commit is held until every body has been verified (and so queued behind it)."""
    verified = 0
    first_in, all_in = asyncio.Event(), asyncio.Event()
    for adapter in (h.services.line, h.services.telegram):
        assert adapter is not None
        real_verify = adapter.verify

        def counting(body: bytes, credential: str | None, real: Any = real_verify) -> list[RawEvent]:
            nonlocal verified
            try:
                return list(real(body, credential))
            finally:
                verified += 1
                first_in.set()
                if verified == len(bodies) + 1:
                    all_in.set()

        monkeypatch.setattr(adapter, "verify", counting)
    real_store_new = inbound.store_new

    async def held(session: AsyncSession, events: Sequence[RawEvent], *, now: datetime) -> dict[tuple[str, str], int]:
        await asyncio.wait_for(all_in.wait(), timeout=30)
        return await real_store_new(session, events, now=now)

    monkeypatch.setattr(inbound, "store_new", held)
    await h.known_person("telegram", "8999")
    opener = asyncio.create_task(h.post_telegram(tg_message(8999, "/help")))
    await asyncio.wait_for(first_in.wait(), timeout=30)
    responses = await asyncio.gather(*(post(h, route, body) for route, body in bodies))
    assert (await opener).status == 200
    monkeypatch.setattr(inbound, "store_new", real_store_new)
    return list(responses)


async def stored(h: Harness) -> list[InboundEvent]:
    async with h.db.sessions() as session:
        return list((await session.execute(select(InboundEvent).order_by(InboundEvent.id))).scalars())


async def test_poison_bodies_are_stored_cleaned_and_the_good_ones_of_their_batch_answered(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashes_before = webhook_crashes()
    async with running(db) as h:
        good = await good_people(h)
        poison = poison_bodies()
        bodies = [(route, body) for route, body, _ in good[: GOOD // 2]]
        bodies += list(poison.values()) + [(route, body) for route, body, _ in good[GOOD // 2 :]]
        responses = await post_in_one_batch(h, monkeypatch, bodies)
        answers = [(r.status, await r.json()) for r in responses]
        assert answers == [(200, {"ok": True})] * (GOOD + len(poison))
        await h.settle()
        # The 50 good ones: handled, each person answered once.
        assert [who() for _, _, who in good] == [[t("help")]] * GOOD
        rows = await stored(h)
        assert len(rows) == 1 + GOOD + len(poison)  # the opener too
        assert [r.id for r in rows if r.processed_at is None] == []
        assert [r.error for r in rows if r.error is not None and not r.error.startswith("unreadable")] == []
        # What was stored of the poison: lone surrogates are U+FFFD, non-finite numbers null; everything else kept.
        by_key = {(r.channel, r.dedupe_key): r for r in rows}
        assert by_key["telegram", "880001"].raw["message"]["text"] == "abc\ufffd"
        assert (by_key["telegram", "880002"].kind, by_key["telegram", "880002"].raw) == (
            "\ufffd",
            {"update_id": 880002, "\ufffd": {"x": 1}},
        )
        numbers = by_key["telegram", "880003"].raw["message"]
        assert (numbers["rating"], numbers["big"], numbers["low"], numbers["text"]) == (None, None, None, "ตัวเลข")
        line_row = by_key["line", "01POISON\ufffd"]
        assert (line_row.raw["message"]["text"], line_row.raw["message"]["size"]) == ("\ufffd ครู", None)
    assert webhook_crashes() == crashes_before


async def test_a_batch_that_fails_for_one_request_is_split_and_only_that_request_is_refused(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should something tied to one event still fail the commit (here: the cleaning is switched off, so the database
    itself refuses the lone surrogates and NaN), that request alone gets 503 and the 50 others of its batch 200."""
    monkeypatch.setattr(RawEvent, "__post_init__", lambda self: None)
    splits_before = counter("phuankru_ingest_batch_splits_total")
    async with running(db) as h:
        good = await good_people(h)
        poison = poison_bodies()["line"]  # a surrogate in its key: refused by SQLite and PostgreSQL alike
        bodies = [(route, body) for route, body, _ in good[: GOOD // 2]]
        bodies += [poison] + [(route, body) for route, body, _ in good[GOOD // 2 :]]
        responses = await post_in_one_batch(h, monkeypatch, bodies)
        answers = [(r.status, await r.json()) for r in responses]
        expected = [(200, {"ok": True})] * len(bodies)
        expected[GOOD // 2] = (503, {"ok": False, "error": "temporarily unavailable"})
        assert answers == expected
        await h.settle()
        assert [who() for _, _, who in good] == [[t("help")]] * GOOD
        rows = await stored(h)
        assert len(rows) == 1 + GOOD
        assert [r.id for r in rows if r.processed_at is None or r.error is not None] == []
    # Bisected down to the one request: a few splits, not one per request.
    assert 1 <= counter("phuankru_ingest_batch_splits_total") - splits_before <= 12


class Blip:
    """The database as the processor sees it, away for the first `failures` sessions it opens."""

    def __init__(self, db: Database, clock: FakeClock, failures: int) -> None:
        self.db, self.clock, self.left = db, clock, failures
        self.failed_at: list[float] = []

    def sessions(self) -> Any:
        if self.left > 0:
            self.left -= 1
            self.failed_at.append(self.clock.monotonic())
            raise sa_exc.OperationalError("BEGIN", {}, ConnectionRefusedError("the database is restarting"))
        return self.db.sessions()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Waits for the real work (database round trips) of a processor running in the background; the retries' own
    backoff runs on the fake clock and takes no real time."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.01)


async def test_an_event_whose_handling_and_apology_failed_is_retried_while_serving_with_backoff(db: Database) -> None:
    clock = FakeClock()
    async with running(db, clock) as h:
        await h.known_person("telegram", "8810")
        processor = h.services.processor
        # Twice both the handler's session and the apology's: two failed tries, then the database is back.
        blip = Blip(db, clock, failures=4)
        processor.db = blip  # type: ignore[assignment]
        retries_before = counter("phuankru_event_retries_total")
        stop = asyncio.Event()
        serving = asyncio.create_task(processor.run(stop))
        try:
            assert (await h.post_telegram(tg_message(8810, "/help"))).status == 200

            async def handled() -> bool:
                rows = await stored(h)
                return len(rows) == 1 and rows[0].processed_at is not None

            await eventually(handled)
        finally:
            stop.set()
            await serving
        assert blip.left == 0
        start = blip.failed_at[0]
        # Handler and apology fail together, then again 1 s later, then (2 s after that) the try that succeeds.
        assert [at - start for at in blip.failed_at] == [0.0, 0.0, FIRST_BACKOFF_S, FIRST_BACKOFF_S]
        assert clock.monotonic() - start >= 3 * FIRST_BACKOFF_S
        assert counter("phuankru_event_retries_total") - retries_before == 2
        (row,) = await stored(h)
        assert row.error is None
        await h.settle()
        assert h.telegram.sent_texts(8810) == [t("help")]


async def test_recover_queues_every_unhandled_event_past_the_old_cap_of_100_000(db: Database) -> None:
    count = 100_002  # one is handled: 100,001 to queue
    async with db.sessions() as session, session.begin():
        if db.backend == "postgresql":
            numbers = "SELECT generate_series(1, :count) AS n"
            raw = "CAST('{}' AS jsonb)"
        else:
            numbers = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) SELECT n FROM s"
            raw = "'{}'"
        await session.execute(
            text(
                "INSERT INTO inbound_events (channel, dedupe_key, kind, raw, received_at) "
                f"SELECT 'telegram', CAST(n AS VARCHAR(128)), 'message', {raw}, :now FROM ({numbers}) AS numbers"
            ),
            {"count": count, "now": FakeClock().now()},
        )
        # One handled already: not queued again.
        await session.execute(text("UPDATE inbound_events SET processed_at = received_at WHERE dedupe_key = '7'"))
    processor = EventProcessor(db, FakeClock(), {})
    assert await processor.recover() == count - 1
    queued = [processor.queue.get_nowait()[0] for _ in range(processor.queue.qsize())]
    async with db.sessions() as session:
        handled_id = (await session.execute(select(InboundEvent.id).where(InboundEvent.dedupe_key == "7"))).scalar_one()
        all_ids = list((await session.execute(select(InboundEvent.id).order_by(InboundEvent.id))).scalars())
    assert queued == [i for i in all_ids if i != handled_id]
