"""The office inbox: teachers' messages reach staff, staff answer through the bot across platforms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.clock import FakeClock
from handlers.texts import t
from storage import chats, settings
from storage.db import Database
from storage.inbox_models import InboxThread
from tests.events import tg_message
from tests.harness import Harness, running
from tests.test_registration import LinePerson, TelegramPerson


async def staff_group_on_telegram(h: Harness) -> None:
    async with h.db.sessions() as session, session.begin():
        chat = await chats.joined(session, "telegram", "-100777", "supergroup", title="ทีมประชาสัมพันธ์", now=h.clock.now())
        await settings.put(session, settings.INBOX_GROUP, {"chat_id": chat.id}, now=h.clock.now())


def forwards(h: Harness, chat_id: str) -> list[tuple[int, str]]:
    return [(s.message_id, s.text or "") for s in h.telegram.sent if s.chat_id == chat_id]


async def test_line_question_reaches_telegram_staff_and_the_answer_comes_back_once(db: Database) -> None:
    async with running(db) as h:  # FakeClock: Monday 09:00 in Bangkok, office open
        await staff_group_on_telegram(h)
        await h.known_person("line", "Uask", display_name="ครูสมใจ", position="teacher")
        await h.known_person("telegram", "5001", role="staff", display_name="พี่ประชา")
        teacher = LinePerson(h, "Uask")
        ack = await teacher.say("ขอแบบฟอร์มขอใช้ระบบ e-Office ได้ที่ไหนคะ")
        assert ack == [t("inbox_ack_open", hours="08:30–16:30")]
        forwarded = forwards(h, "-100777")
        assert len(forwarded) == 1
        message_id, text = forwarded[0]
        assert "ครูสมใจ" in text
        assert "ขอแบบฟอร์มขอใช้ระบบ e-Office ได้ที่ไหนคะ" in text
        # The staff member answers by replying to the forward in the Telegram group.
        reply = tg_message(-100777, "ดาวน์โหลดได้ที่เว็บไซต์สำนักงาน เมนูดาวน์โหลดค่ะ", user_id=5001, kind="supergroup")
        reply["message"]["reply_to_message"] = {
            "message_id": message_id,
            "date": 0,
            "chat": reply["message"]["chat"],
            "text": text,
        }
        await h.post_telegram(reply)
        await h.settle()
        answer = t("inbox_from_office", text="ดาวน์โหลดได้ที่เว็บไซต์สำนักงาน เมนูดาวน์โหลดค่ะ")
        assert h.line.delivery_counts()[("Uask", answer)] == 1
        assert forwards(h, "-100777")[-1][1] == t("inbox_reply_sent", thread=1, who="ครูสมใจ")
        async with db.sessions() as session:
            thread = (await session.execute(select(InboxThread))).scalar_one()
        assert thread.first_response_at is not None
        # A second message in the same thread is forwarded, not acknowledged again.
        assert await teacher.say("ขอบคุณค่ะ") == []
        assert len(forwards(h, "-100777")) == 3


async def test_outside_office_hours_the_acknowledgement_says_when(db: Database) -> None:
    saturday_evening = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # 19:00 in Bangkok
    async with running(db, FakeClock(saturday_evening)) as h:
        await h.known_person("telegram", "5002")
        teacher = TelegramPerson(h, 5002)
        ack = await teacher.say("สอบถามเรื่องการอบรมค่ะ")
        assert ack == [t("inbox_ack_closed", when="12 ม.ค. 2569 08:30 น.")]  # Monday morning


async def test_faq_answers_at_once_and_forwards_only_when_asked(db: Database) -> None:
    async with running(db) as h:
        await staff_group_on_telegram(h)
        await h.known_person("telegram", "5003", role="staff")
        await h.known_person("telegram", "5004")
        staff, teacher = TelegramPerson(h, 5003), TelegramPerson(h, 5004)
        assert await staff.say("/faq_add รหัสผ่าน; ลืมรหัส | ติดต่อขอรหัสผ่านใหม่ได้ที่ห้องไอที โทร 045-000000") == [
            t("faq_added", id=1)
        ]
        # Spaces and a doubled tone mark in the question still match.
        answer = await teacher.say("ลืม รหัส่่ผ่าน ทำยังไงคะ")
        assert answer == ["ติดต่อขอรหัสผ่านใหม่ได้ที่ห้องไอที โทร 045-000000"]
        assert forwards(h, "-100777") == []
        assert await teacher.tap("inbox:f") == [t("inbox_faq_forwarded")]
        assert len(forwards(h, "-100777")) == 1


async def test_group_chatter_is_ignored_and_teachers_cannot_reply(db: Database) -> None:
    async with running(db) as h:
        await staff_group_on_telegram(h)
        await h.known_person("telegram", "5005")
        await h.post_telegram(tg_message(-100888, "ใครไปประชุมบ้างคะ", user_id=5005, kind="group"))
        await h.settle()
        assert h.telegram.sent == []
        teacher = TelegramPerson(h, 5005)
        assert await teacher.say("/reply 1 สวัสดี") == [t("refused", roles=t("role_staff"))]
        async with db.sessions() as session:
            assert (await session.execute(select(InboxThread))).first() is None


async def test_line_staff_answer_with_the_button_reaches_telegram_and_bad_replies_send_nothing(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("line", "Ustaff", role="staff", display_name="เจ้าหน้าที่ LINE")
        await h.known_person("telegram", "5006", display_name="ครูเทเลแกรม")
        teacher, staff = TelegramPerson(h, 5006), LinePerson(h, "Ustaff")
        await teacher.say("ขอคู่มือการใช้งานระบบค่ะ")
        forward = h.line.delivered_texts("Ustaff")[-1]
        assert "ครูเทเลแกรม" in forward
        assert (await staff.tap("inbox:r:1"))[0].startswith(t("inbox_type_reply", who="ครูเทเลแกรม", thread=1))
        assert await staff.say("ส่งให้ทางอีเมลแล้วค่ะ") == [t("inbox_reply_sent", thread=1, who="ครูเทเลแกรม")]
        assert h.telegram.sent_texts(5006)[-1] == t("inbox_from_office", text="ส่งให้ทางอีเมลแล้วค่ะ")
        assert await staff.say("/reply 1    ") == [t("inbox_empty_reply")]
        assert await staff.tap("inbox:c:1") == [t("inbox_closed", thread=1)]
        before = len(h.telegram.sent_texts(5006))
        assert await staff.say("/reply 1 อีกเรื่องค่ะ") == [t("inbox_no_thread", thread=1)]
        assert await staff.say("/reply 99 ค่ะ") == [t("inbox_no_thread", thread=99)]
        assert len(h.telegram.sent_texts(5006)) == before


async def test_forgetme_erases_the_persons_threads(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "5007")
        teacher = TelegramPerson(h, 5007)
        await teacher.say("ข้อความส่วนตัวถึงสำนักงาน")
        await teacher.say("อีกข้อความหนึ่ง")
        mine = await teacher.say("/mydata")
        assert t("mydata_threads", n=1, messages=2) in mine[0]
        await teacher.say("/forgetme")
        await teacher.tap("priv:forget:yes")
        async with db.sessions() as session:
            assert (await session.execute(select(InboxThread))).first() is None


def test_cli_faq_import_and_inbox_commands(database_url: str, tmp_path: Path) -> None:
    import asyncio

    from click.testing import CliRunner

    from bot.cli import cli
    from storage.migrate import upgrade

    async def prepare() -> None:
        database = Database(database_url)
        await upgrade(database)
        async with database.sessions() as session, session.begin():
            await chats.joined(session, "line", "Cstaff", "group", title="ทีมงาน", now=FakeClock().now())
        await database.dispose()

    asyncio.run(prepare())
    env = {"DATABASE_URL": database_url}
    good = tmp_path / "faq.yaml"
    good.write_text("- {phrases: [รหัสผ่าน, ลืมรหัส], answer: ติดต่อห้องไอที}\n- {phrases: ปฏิทิน, answer: ดูที่เว็บไซต์}\n")
    result = CliRunner().invoke(cli, ["faq", "import", str(good), "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"ids": [1, 2]}
    listed = json.loads(CliRunner().invoke(cli, ["faq", "list", "--json"], env=env).stdout)
    assert listed[1] == {"id": 2, "phrases": ["ปฏิทิน"], "answer": "ดูที่เว็บไซต์"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {phrases: [a], answer: ok}\n- {phrases: [], answer: x}\n")
    refused = CliRunner().invoke(cli, ["faq", "import", str(bad)], env=env)
    assert refused.exit_code == 2
    assert "item 2" in refused.stderr
    grouped = CliRunner().invoke(cli, ["inbox", "set-group", "group:Cstaff", "--json"], env=env)
    assert json.loads(grouped.stdout)["channel"] == "line"
    missing = CliRunner().invoke(cli, ["inbox", "set-group", "group:nope"], env=env)
    assert missing.exit_code == 2
    threads = json.loads(CliRunner().invoke(cli, ["inbox", "list", "--open", "--json"], env=env).stdout)
    assert threads == {"threads": [], "last_30_days": {"threads": 0, "answered": 0, "median_first_response_s": None}}


async def test_inbox_lists_each_open_thread_with_its_last_message_and_buttons_in_pages(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "5100", role="staff", display_name="พี่ประชา")
        asks = {5101: "ขอแบบฟอร์มลาป่วยค่ะ", 5102: "รหัสผ่าน e-Office หายครับ", 5103: "ประชุมวันไหนคะ", 5104: "ส่งรายงานที่ใคร"}
        for uid, text in asks.items():
            await h.known_person("telegram", str(uid), display_name=f"ครู {uid}", position="teacher")
            await TelegramPerson(h, uid).say(text)
            await h.advance(600)
        staff = TelegramPerson(h, 5100)
        before = len(h.telegram.sent)
        cards = await staff.say("/inbox")
        assert cards[0] == t("inbox_open_page", n=4, first=1, last=3)
        # Most recent first: thread 4 waited 10 minutes (the clock moved on after the last question), thread 2 30.
        assert cards[1].startswith("เรื่องที่ 4 · ครู 5104\nTELEGRAM · ครู\nล่าสุด ")
        assert cards[1].endswith("(รอ 10 นาที)\n“ส่งรายงานที่ใคร”")
        assert cards[3].startswith("เรื่องที่ 2 · ครู 5102") and cards[3].endswith("(รอ 30 นาที)\n“รหัสผ่าน e-Office หายครับ”")
        buttons = [
            [b["callback_data"] for row in s.reply_markup["inline_keyboard"] for b in row]
            for s in h.telegram.sent[before:]
            if s.reply_markup
        ]
        assert buttons[:3] == [[f"inbox:r:{n}", f"inbox:c:{n}", f"inbox:a:{n}"] for n in (4, 3, 2)]
        assert buttons[3] == ["inbox:p:3"]
        rest = await staff.tap("inbox:p:3")
        assert rest[0] == t("inbox_open_page", n=4, first=4, last=4)
        assert rest[1].startswith("เรื่องที่ 1 · ครู 5101") and rest[1].endswith("“ขอแบบฟอร์มลาป่วยค่ะ”")
        assert len(rest) == 2  # no "more" button on the last page
        # ตอบ on a card answers that thread, ปิดเรื่อง closes it.
        assert (await staff.tap("inbox:r:1"))[0].startswith(t("inbox_type_reply", who="ครู 5101", thread=1))
        await staff.say("แนบไว้ในเว็บไซต์แล้วค่ะ")
        assert h.telegram.sent_texts(5101)[-1] == t("inbox_from_office", text="แนบไว้ในเว็บไซต์แล้วค่ะ")
        assert await staff.tap("inbox:c:1") == [t("inbox_closed", thread=1)]
        assert (await staff.say("/inbox"))[0] == t("inbox_open_page", n=3, first=1, last=3)
