"""Staff run surveys in chat: send (with a preview to confirm), results (summary and chart), list, close."""

from __future__ import annotations

from sqlalchemy import select

from handlers.texts import t
from storage import media
from storage.db import Database
from storage.models import AuditLog, Role
from storage.survey_models import SurveyCampaign, SurveyResponse
from tests.harness import running
from tests.test_registration import LinePerson, TelegramPerson
from tests.test_survey_flow import import_fixture, send

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TITLE = "แบบสอบถามทดสอบการคำนวณ"


async def test_staff_send_a_survey_in_chat_after_a_preview(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "8300", role=Role.STAFF.value)
        for i in range(3):
            await h.known_person("line", f"Ustaffsend{i}", position="teacher", registered_at=h.clock.now())
        await h.known_person("telegram", "8301", position="director", registered_at=h.clock.now())
        staff = TelegramPerson(h, 8300)
        preview = await staff.say(
            "/survey send test-hand-computed role:teacher closes=2026-01-20 remind=2d reminders=2"
        )
        assert preview[0].startswith(
            "พร้อมส่งแบบสอบถาม “แบบสอบถามทดสอบการคำนวณ” (ฉบับที่ 1, 5 ข้อ)\nถึง 3 คน (LINE 3, Telegram 0)"
        )
        assert "ปิดรับ: 20 ม.ค. 2569 23:59 น." in preview[0]
        assert "เตือนผู้ยังไม่ตอบ: 2 ครั้ง" in preview[0]
        assert staff.last_buttons() == [("ยืนยันส่ง", "sv:send:yes"), ("ยกเลิก", "sv:send:no")]
        assert await staff.say("2") == [t("sv_send_cancelled")]  # typed, as on LINE PC
        assert await h.count(SurveyCampaign) == 0
        await staff.say("/survey send test-hand-computed role:teacher closes=2026-01-20 remind=2d reminders=2")
        sent = await staff.say("1")
        assert sent == [t("sv_sent", campaign=1, people=3, groups=0)]
        assert h.line.delivered_texts("Ustaffsend0")[-1].startswith("📋 แบบสอบถาม: แบบสอบถามทดสอบการคำนวณ")
        assert h.telegram.sent_texts(8301) == []
        async with h.db.sessions() as session:
            campaign = (await session.execute(select(SurveyCampaign))).scalar_one()
            audit = (await session.execute(select(AuditLog).where(AuditLog.action == "survey.send"))).scalar_one()
        assert (campaign.max_reminders, campaign.remind_every_s, campaign.created_by) == (2, 2 * 86400, "telegram:8300")
        assert audit.detail["people"] == 3 and audit.actor_contact_id is not None


async def test_staff_mistakes_get_a_clear_answer_and_change_nothing(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "8400", role=Role.ADMIN.value)
        staff = TelegramPerson(h, 8400)
        assert await staff.say("/survey send") == [t("sv_send_usage")]
        assert await staff.say("/survey send nope all") == [t("sv_unknown_survey", key="nope")]
        assert await staff.say("/survey send test-hand-computed นักเรียน") == [
            t("sv_audience_unknown_word", value="นักเรียน")
        ]
        assert await staff.say("/survey send test-hand-computed all closes=2020-01-01") == [t("sv_closes_in_past")]
        assert await staff.say("/survey send test-hand-computed all closes=soon") == [t("sv_bad_moment", value="soon")]
        assert await staff.say("/survey send test-hand-computed all remind=often") == [
            t("sv_bad_duration", value="often")
        ]
        assert await staff.say("/survey results") == [t("sv_results_usage")]
        assert await staff.say("/survey results 99") == [t("sv_unknown_campaign", campaign=99)]
        assert await staff.say("/survey close abc") == [t("sv_close_usage")]
        assert await staff.say("/survey frobnicate") == [t("sv_staff_usage")]
        assert await h.count(SurveyCampaign) == 0


async def test_people_who_are_not_staff_are_refused_and_audited(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("line", "Unotstaff")
        teacher = LinePerson(h, "Unotstaff")
        refused = await teacher.say("/survey send test-hand-computed all")
        assert refused == [t("refused", roles=t("role_staff"))]
        assert await teacher.say("/survey results 1") == [t("refused", roles=t("role_staff"))]
        assert await teacher.say("/survey") == [t("sv_none_open")]  # everyone's own list
        async with h.db.sessions() as session:
            actions = (await session.execute(select(AuditLog.action, AuditLog.allowed))).all()
        assert sorted(actions) == [("survey.results", False), ("survey.send", False)]


async def test_results_in_chat_give_the_summary_and_the_chart(db: Database) -> None:
    async with running(db, settings_extra={"phuankru_public_url": "https://bot.example.go.th"}) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "8500", role=Role.STAFF.value)
        await h.known_person("telegram", "8501")
        await h.known_person("telegram", "8502")
        campaign = await send(h, "test-hand-computed", "all")
        for user, answers in ((8501, (5, 4, 3, 1)), (8502, (3, 4, 1, 2))):
            person = TelegramPerson(h, user)
            await person.tap(f"sv:s:{campaign}")
            for q, value in enumerate(answers):
                await person.tap(f"sv:a:{campaign}:{q}:{value}")
            await person.say("ดีค่ะ")
        staff = TelegramPerson(h, 8500)
        summary = await staff.say(f"/survey results {campaign}")
        assert summary[0].splitlines()[:4] == [
            t("sv_chat_results", title=TITLE, campaign=campaign),
            t("sv_chat_rate", n=2, invited=3, rate="66.67"),
            t("sv_chat_overall", mean="3.33", sd="1.37", level="ปานกลาง"),
            "• ด้านกระบวนการ: 4.00 (มาก)",
        ]
        assert t("sv_chat_texts", n=2) in summary[0]
        photo = next(r for r in h.telegram.requests if r.method == "sendPhoto")
        url = photo.params["photo"]
        assert url.startswith("https://bot.example.go.th/media/")
        async with h.db.sessions() as session:
            stored = await media.fetch(session, url.rsplit("/", 1)[1])
        assert stored is not None and stored.data.startswith(PNG_SIGNATURE) and stored.content_type == "image/png"

        listing = await staff.say("/survey list")
        assert listing[0].startswith(t("sv_list_surveys", n=1) + "\n• test-hand-computed (ฉบับที่ 1, 5 ข้อ)")
        assert f"#{campaign} test-hand-computed · เปิดรับ · 2/3" in listing[0]
        closed = await staff.say(f"/survey close {campaign}")
        assert closed == [t("sv_closed_now", campaign=campaign, title=TITLE, n=2, invited=3)]
        assert await staff.say(f"/survey close {campaign}") == [t("sv_already_closed", campaign=campaign)]
        async with h.db.sessions() as session:
            assert (await session.execute(select(SurveyResponse.state))).scalars().all().count("completed") == 2
