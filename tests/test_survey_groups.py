"""A survey posted to a group: each person answers in a private chat; nothing but the invitation is in the group."""

from __future__ import annotations

from sqlalchemy import select

from handlers.texts import t
from storage import chats
from storage.db import Database
from storage.survey_models import ResponseVia, SurveyCampaignGroup, SurveyResponse
from tests.events import _line_base, line_group
from tests.harness import Harness, running
from tests.test_registration import LinePerson, TelegramPerson
from tests.test_survey_flow import import_fixture, report_of, send

TELEGRAM_GROUP = -100500
LINE_GROUP = "Cschools01"


async def join(h: Harness, channel: str, chat_id: str, kind: str) -> None:
    async with h.db.sessions() as session, session.begin():
        await chats.joined(session, channel, chat_id, kind, title="กลุ่มครูโรงเรียน", now=h.clock.now())


async def post_in_groups(h: Harness) -> None:
    """The survey job queues group posts (it knows the bot's name for Telegram's deep link)."""
    await h.services.ticker.tick()
    await h.settle()


async def test_telegram_group_gets_a_deep_link_and_answers_stay_private(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await join(h, "telegram", str(TELEGRAM_GROUP), "supergroup")
        campaign = await send(h, "test-hand-computed", f"group:{TELEGRAM_GROUP}")
        assert h.telegram.sent_texts(TELEGRAM_GROUP) == []  # posted by the job, not yet
        await post_in_groups(h)
        (post,) = h.telegram.sent_texts(TELEGRAM_GROUP)
        assert post.startswith("📋 ขอเชิญทุกท่านตอบแบบสอบถาม: แบบสอบถามทดสอบการคำนวณ")
        assert post.endswith(f"https://t.me/phuankru_bot?start=sv_{campaign}")
        await post_in_groups(h)
        assert len(h.telegram.sent_texts(TELEGRAM_GROUP)) == 1  # posted once

        await h.known_person("telegram", "7800")
        person = TelegramPerson(h, 7800)
        started = await person.say(f"/start sv_{campaign}")  # what the deep link sends
        assert started[0].startswith(t("sv_starting", title="แบบสอบถามทดสอบการคำนวณ", n=5))
        for q, value in ((0, 5), (1, 5), (2, 4), (3, 2)):
            await person.tap(f"sv:a:{campaign}:{q}:{value}")
        assert (await person.tap(f"sv:k:{campaign}:4"))[0].startswith("ขอบคุณที่ตอบแบบสอบถามค่ะ")
        assert (await person.say(f"/start sv_{campaign}"))[0].startswith("คำตอบของท่าน")  # no second response
        assert len(h.telegram.sent_texts(TELEGRAM_GROUP)) == 1
        async with h.db.sessions() as session:
            response = (await session.execute(select(SurveyResponse))).scalar_one()
        assert response.via == ResponseVia.GROUP.value
        assert (await report_of(h, campaign)).respondents == 1
        assert (await person.say("/start"))[0] == t("welcome")  # the usual /start is still there


async def test_line_group_tap_starts_the_survey_in_a_private_chat(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await join(h, "line", LINE_GROUP, "group")
        campaign = await send(h, "test-hand-computed", f"group:{LINE_GROUP}")
        await post_in_groups(h)
        (post,) = h.line.delivered_texts(LINE_GROUP)
        assert t("sv_group_post_line") in post
        assert f"1. {t('sv_btn_start_private')}" not in post  # one button: a quick reply, not a numbered list

        token = h.line.issue_reply_token(to=LINE_GROUP)
        tap = _line_base(
            "postback", line_group(LINE_GROUP, "Ugroupmember"), replyToken=token, postback={"data": f"sv:g:{campaign}"}
        )
        assert (await h.post_line([tap])).status == 200
        await h.settle()
        assert h.line.delivered_texts(LINE_GROUP) == [post]  # nothing more in the group
        private = h.line.delivered_texts("Ugroupmember")
        assert private[0].startswith(t("sv_starting", title="แบบสอบถามทดสอบการคำนวณ", n=5))
        assert private[1].startswith("ข้อ 1/5")
        member = LinePerson(h, "Ugroupmember")
        assert (await member.say("5"))[0].startswith("ข้อ 2/5")  # typed, as on LINE PC: the buttons were remembered
        assert h.line.delivered_texts(LINE_GROUP) == [post]


async def test_a_group_the_bot_left_is_not_waited_for(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await join(h, "line", LINE_GROUP, "group")
        campaign = await send(h, "test-hand-computed", f"group:{LINE_GROUP}")
        async with h.db.sessions() as session, session.begin():
            await chats.left(session, "line", LINE_GROUP, now=h.clock.now())
        await post_in_groups(h)
        assert h.line.delivered_texts(LINE_GROUP) == []
        async with h.db.sessions() as session:
            row = (await session.execute(select(SurveyCampaignGroup))).scalar_one()
        assert row.posted_at is not None and row.campaign_id == campaign
