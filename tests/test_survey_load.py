"""1,000 respondents answering at once through the webhook: no answer is lost, none is counted twice.

Every webhook request is posted at the same moment, the event processor's workers handle them concurrently, and
the delivery worker sends every reply to the fake Telegram API. `benchmarks/bench_survey.py` times the same.

On SQLite the processor runs one worker here: SQLite has one writer, and four workers contending for it through
SQLite's busy handler can starve one past the 5 s busy timeout ("database is locked": that event's answer is lost
and the person is asked to try again). The benchmark measures it with four workers, as `serve` runs today.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from storage import surveys
from storage.db import Database
from storage.models import Contact, InboundEvent
from storage.survey_models import ResponseState, SurveyAnswer, SurveyResponse
from tests.events import tg_callback
from tests.harness import Harness, running
from tests.test_survey_flow import import_fixture, send

pytestmark = pytest.mark.slow

RESPONDENTS = 1_000
FIRST_ID = 600_000


async def add_people(h: Harness, n: int) -> None:
    async with h.db.sessions() as session, session.begin():
        now = h.clock.now()
        await session.execute(
            insert(Contact),
            [
                {"channel": "telegram", "platform_user_id": str(FIRST_ID + i), "created_at": now, "updated_at": now}
                for i in range(n)
            ],
        )


async def start_everyone(h: Harness, campaign: int) -> None:
    """Everyone at the first question, as if they had tapped start (that path is tested in test_survey_flow)."""
    async with h.db.sessions() as session, session.begin():
        rows = (await session.execute(select(SurveyResponse, Contact).join(Contact))).all()
        for response, contact in rows:
            await surveys.start(session, response, anonymous=False, contact=contact, now=h.clock.now())


async def all_at_once(h: Harness, data_for: Any) -> None:
    """Post one tap per respondent concurrently while the processor's workers handle them, then deliver."""
    if h.db.backend == "sqlite":
        h.services.processor.concurrency = 1
    stop = asyncio.Event()
    workers = asyncio.create_task(h.services.processor.run(stop))
    try:
        answers = await asyncio.gather(
            *(h.post_telegram(tg_callback(FIRST_ID + i, data_for(i))) for i in range(RESPONDENTS))
        )
        assert {r.status for r in answers} == {200}
        await h.services.processor.queue.join()
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await workers
    await h.settle(max_rounds=500)


async def test_a_thousand_respondents_at_once_lose_no_answer(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await add_people(h, RESPONDENTS)
        campaign = await send(h, "test-hand-computed", "all")
        await start_everyone(h, campaign)
        await all_at_once(h, lambda i: f"sv:a:{campaign}:0:{1 + i % 5}")
        async with h.db.sessions() as session:
            counts = dict(
                (await session.execute(select(SurveyAnswer.value, func.count()).group_by(SurveyAnswer.value))).all()
            )
            at_question_2 = (
                await session.execute(
                    select(func.count()).where(
                        SurveyResponse.state == ResponseState.ANSWERING.value, SurveyResponse.current == 1
                    )
                )
            ).scalar_one()
            failed = (await session.execute(select(func.count()).where(InboundEvent.error.is_not(None)))).scalar_one()
        assert counts == {v: RESPONDENTS // 5 for v in range(1, 6)}
        assert (at_question_2, failed) == (RESPONDENTS, 0)
        asked = [texts[-1] for i in range(RESPONDENTS) if (texts := h.telegram.sent_texts(FIRST_ID + i))]
        assert len(asked) == RESPONDENTS and all(text.startswith("ข้อ 2/5") for text in asked)
