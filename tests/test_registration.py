"""People: first contact, consent, registration, privacy rights and roles — end to end through the fake APIs."""

from __future__ import annotations

from sqlalchemy import select

from handlers.catalogue.office import PRIVACY_NOTICE_VERSION
from handlers.texts import t
from storage import schools
from storage.db import Database
from storage.models import AuditLog, Contact, InboundEvent, School
from storage.schools import SchoolRow
from tests.events import line_follow, line_postback, line_text, tg_callback, tg_message
from tests.harness import Harness, running

SCHOOLS = [
    SchoolRow("โรงเรียนบ้านโพนงาม", "1034000101", "เดชอุดม"),
    SchoolRow("โรงเรียนบ้านโพนงามใต้", "1034000102", "เดชอุดม"),
    SchoolRow("โรงเรียนบุณฑริกวิทยา", "1034000201", "บุณฑริก"),
]


async def seed_schools(h: Harness) -> dict[str, int]:
    async with h.db.sessions() as session, session.begin():
        await schools.upsert_many(session, SCHOOLS, now=h.clock.now())
    async with h.db.sessions() as session:
        return {s.name: s.id for s in (await session.execute(select(School))).scalars()}


async def contact(h: Harness, channel: str, user_id: str) -> Contact:
    async with h.db.sessions() as session:
        row = (
            await session.execute(
                select(Contact).where(Contact.channel == channel, Contact.platform_user_id == user_id)
            )
        ).scalar_one()
        await session.refresh(row, ["tags"])
        return row


class TelegramPerson:
    def __init__(self, h: Harness, user_id: int) -> None:
        self.h, self.id = h, user_id

    async def say(self, text: str) -> list[str]:
        before = len(self.h.telegram.sent_texts(self.id))
        assert (await self.h.post_telegram(tg_message(self.id, text))).status == 200
        await self.h.settle()
        return self.h.telegram.sent_texts(self.id)[before:]

    async def tap(self, data: str) -> list[str]:
        before = len(self.h.telegram.sent_texts(self.id))
        assert (await self.h.post_telegram(tg_callback(self.id, data))).status == 200
        await self.h.settle()
        return self.h.telegram.sent_texts(self.id)[before:]

    def last_buttons(self) -> list[tuple[str, str]]:
        markup = next(s.reply_markup for s in reversed(self.h.telegram.sent) if s.chat_id == str(self.id))
        assert markup is not None, "the last message has no buttons"
        return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


class LinePerson:
    def __init__(self, h: Harness, user_id: str) -> None:
        self.h, self.id = h, user_id

    async def _send(self, event_for: object) -> list[str]:
        before = len(self.h.line.delivered_texts(self.id))
        token = self.h.line.issue_reply_token(to=self.id)
        assert (await self.h.post_line([event_for(token)])).status == 200  # type: ignore[operator]
        await self.h.settle()
        return self.h.line.delivered_texts(self.id)[before:]

    async def say(self, text: str) -> list[str]:
        return await self._send(lambda token: line_text(self.id, text, reply_token=token))

    async def tap(self, data: str) -> list[str]:
        return await self._send(lambda token: line_postback(self.id, data, reply_token=token))

    async def follow(self) -> list[str]:
        return await self._send(lambda token: line_follow(self.id, reply_token=token))


async def test_full_registration_on_telegram_by_tapping(db: Database) -> None:
    async with running(db) as h:
        ids = await seed_schools(h)
        teacher = TelegramPerson(h, 7001)
        first = await teacher.say("/start")
        assert first[0] == t("welcome")
        assert first[1].startswith("ประกาศความเป็นส่วนตัว")
        assert teacher.last_buttons() == [("ยินยอม", "reg:consent:yes"), ("ไม่ยินยอม", "reg:consent:no")]
        assert await teacher.tap("reg:consent:yes") == [t("consent_thanks")]
        assert await teacher.tap("reg:start") == [t("reg_name")]
        assert await teacher.say("ครูสมศรี “ใจดี” 😊") == [t("reg_position")]
        assert await teacher.tap("reg:pos:director") == [t("reg_school")]
        found = await teacher.say("โพนงาม")
        assert found == [t("reg_school_found")]
        buttons = teacher.last_buttons()
        assert ("โรงเรียนบ้านโพนงาม", f"reg:school:{ids['โรงเรียนบ้านโพนงาม']}") in buttons
        assert await teacher.tap(f"reg:school:{ids['โรงเรียนบ้านโพนงาม']}") == [t("reg_phone")]
        summary = await teacher.say("081-234-5678")
        assert "081-xxx-5678" in summary[0]
        assert "0812345678" not in summary[0]
        assert await teacher.tap("reg:confirm") == [t("reg_done")]
        person = await contact(h, "telegram", "7001")
        assert (person.display_name, person.position, person.school_id, person.phone) == (
            "ครูสมศรี “ใจดี” 😊",
            "director",
            ids["โรงเรียนบ้านโพนงาม"],
            "0812345678",
        )
        assert person.consent_notice_version == PRIVACY_NOTICE_VERSION
        assert person.registered_at is not None


async def test_full_registration_on_line_by_typing_as_on_line_pc(db: Database) -> None:
    async with running(db) as h:
        await seed_schools(h)
        teacher = LinePerson(h, "Ulinepc")
        welcome = await teacher.follow()
        assert welcome[0] == t("welcome")
        assert "1. ยินยอม\n2. ไม่ยินยอม" in welcome[2]  # the options are in the text: no quick replies on PC
        assert (await teacher.say("1"))[0] == t("consent_thanks") + "\n\n1. ลงทะเบียน\n2. ไว้ภายหลัง\n\n" + t(
            "options_hint"
        )
        assert (await teacher.say("ลงทะเบียน"))[0].startswith(t("reg_name"))
        assert (await teacher.say("ครูมานะ 'OR 1=1; DROP TABLE contacts;--"))[0].startswith(t("reg_position"))
        assert (await teacher.say("ครู"))[0].startswith(t("reg_school"))
        none = await teacher.say("โรงเรียนที่ไม่มีในรายชื่อ")
        assert none[0].startswith(t("reg_school_none", query="โรงเรียนที่ไม่มีในรายชื่อ"))
        assert (await teacher.say("1"))[0].startswith(t("reg_phone"))  # 1 = use the name as typed
        summary = await teacher.say("ข้าม")
        assert "โรงเรียนที่ไม่มีในรายชื่อ (รอเจ้าหน้าที่ตรวจสอบ)" in summary[0]
        assert (await teacher.say("๑"))[0] == t("reg_done")  # Thai digit one = confirm
        person = await contact(h, "line", "Ulinepc")
        assert (person.display_name, person.position, person.school_id, person.school_name_unlisted, person.phone) == (
            "ครูมานะ 'OR 1=1; DROP TABLE contacts;--",
            "teacher",
            None,
            "โรงเรียนที่ไม่มีในรายชื่อ",
            None,
        )


async def test_bad_input_repeats_the_step_and_stores_nothing(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "7002")
        teacher = TelegramPerson(h, 7002)
        await teacher.say("/register")
        await teacher.say("ครูทดสอบ ระบบ")
        again = await teacher.say("ผู้อำนวยการใหญ่")  # not one of the options
        assert again == [t("reg_pick_hint", n=4), t("reg_position")]
        unknown = await teacher.say("/whatever")
        assert unknown == [t("unknown_command", command="/whatever")]
        bad_phone = None
        await teacher.tap("reg:pos:teacher")
        await teacher.say("บุณฑริก")
        await teacher.tap("reg:school:typed")
        bad_phone = await teacher.say("12345")
        assert bad_phone == [t("reg_phone_bad"), t("reg_phone")]
        assert await teacher.tap("reg:cancel") == [t("reg_cancelled")]
        person = await contact(h, "telegram", "7002")
        assert (person.display_name, person.position, person.registered_at) == (None, None, None)
        assert await teacher.tap("reg:confirm") == [t("expired_button")]


async def test_declining_consent_keeps_nothing_but_the_follow(db: Database) -> None:
    async with running(db) as h:
        teacher = TelegramPerson(h, 7003)
        await teacher.say("/start")
        assert await teacher.tap("reg:consent:no") == [t("consent_declined")]
        assert await teacher.say("/register") == [t("consent_needed"), *_notice_and_question()]
        person = await contact(h, "telegram", "7003")
        assert (person.consent_at, person.reachable) == (None, True)


def _notice_and_question() -> list[str]:
    from handlers.catalogue.office import DATA_CONTACT_TH, OFFICE_NAME_TH, RAW_MESSAGE_RETENTION_DAYS

    notice = t(
        "privacy_notice",
        version=PRIVACY_NOTICE_VERSION,
        office=OFFICE_NAME_TH,
        contact=DATA_CONTACT_TH,
        days=RAW_MESSAGE_RETENTION_DAYS,
    )
    return [notice, t("consent_question")]


async def test_mydata_and_forgetme_erase_personal_data(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "7004", display_name="ครูลบ ข้อมูล", phone="0899999999", position="teacher")
        teacher = TelegramPerson(h, 7004)
        mine = await teacher.say("/mydata")
        assert "ครูลบ ข้อมูล" in mine[0]
        assert "089-xxx-9999" in mine[0]
        assert "0899999999" not in mine[0]
        assert await teacher.say("/forgetme") == [t("forget_confirm")]
        assert await teacher.tap("priv:forget:yes") == [t("forget_done")]
        async with h.db.sessions() as session:
            person = (await session.execute(select(Contact))).scalar_one()
            raw = (await session.execute(select(InboundEvent.raw))).scalars().all()
            audit = (await session.execute(select(AuditLog.action, AuditLog.target))).all()
        assert (person.display_name, person.phone, person.position, person.consent_at) == (None, None, None, None)
        assert person.platform_user_id.startswith("erased:")
        assert person.reachable is False
        assert person.erased_at is not None
        assert not any("7004" in str(r) for r in raw), "their raw messages are gone"
        assert ("privacy.erase", f"contact:{person.id}") in audit


async def test_teacher_is_refused_staff_commands_and_it_is_audited(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "7005")
        teacher = TelegramPerson(h, 7005)
        refusal = await teacher.say("/grant telegram:7005 admin")
        assert refusal == [t("refused", roles=t("role_admin"))]
        async with h.db.sessions() as session:
            rows = (await session.execute(select(AuditLog.action, AuditLog.allowed, AuditLog.actor))).all()
            role = (await session.execute(select(Contact.role))).scalar_one()
        assert rows == [("role.grant", False, "telegram:7005")]
        assert role == "teacher"


async def test_bootstrapped_admin_grants_a_role_in_chat(db: Database) -> None:
    async with running(db, settings_extra={"phuankru_admins": "telegram:7006"}) as h:
        await h.known_person("telegram", "7006")
        await h.known_person("line", "Ustaff")
        admin = TelegramPerson(h, 7006)
        assert await admin.say("/grant line:Ustaff staff") == [t("grant_done", role="staff", who="line:Ustaff")]
        assert (await contact(h, "line", "Ustaff")).role == "staff"
        assert (await contact(h, "telegram", "7006")).role == "admin"
        assert await admin.say("/grant nonsense") == [t("grant_usage")]


async def test_link_language_and_typed_commands(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "7007")
        await h.known_person("line", "Ulink")
        tg, line = TelegramPerson(h, 7007), LinePerson(h, "Ulink")
        reply = await tg.say("/link")
        code = reply[0].split()[1].split("\n")[0]
        assert len(code.replace("-", "")) == 10  # tests/test_linking.py checks the code itself
        assert await line.say(f"/link {code}") == [t("link_done")]
        assert (await contact(h, "telegram", "7007")).person_id == (await contact(h, "line", "Ulink")).person_id
        assert await line.say(f"/link {code}") == [t("link_bad")], "a code works once"
        assert await tg.say("/lang en") == [t("lang_set", "en")]
        assert await tg.say("/help") == [t("help", "en")]
        assert await line.say("ช่วยเหลือ") == [t("help")]


async def test_help_shows_each_role_its_own_commands(db: Database) -> None:
    async with running(db) as h:
        people = {"7201": "teacher", "7202": "staff", "7203": "officer", "7204": "admin"}
        for uid, role in people.items():
            await h.known_person("telegram", uid, role=role)
        said = {role: (await TelegramPerson(h, int(uid)).say("/help"))[0] for uid, role in people.items()}
    assert said["teacher"] == t("help")
    assert said["staff"] == "\n\n".join([t("help"), t("help_staff"), t("help_console")])
    assert said["officer"] == "\n\n".join([t("help"), t("help_officer"), t("help_console")])
    assert said["admin"] == "\n\n".join(
        [t("help"), t("help_staff"), t("help_officer"), t("help_admin"), t("help_console")]
    )
    assert "/broadcast" in said["staff"] and "/broadcast" not in said["teacher"]
