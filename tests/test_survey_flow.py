"""Surveys end to end through the fake LINE and Telegram APIs, on SQLite and PostgreSQL.

The main test has 15 people answer chosen answers (Telegram by tapping, LINE by typing as on LINE PC) and checks
the report against the mean, S.D. and percentages worked out by hand below.
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.actor import Actor
from handlers.office.campaigns import SendRequest, open_campaign
from handlers.surveys import report as survey_report
from handlers.surveys.definitions import load_definition
from handlers.texts import t
from storage import surveys
from storage.db import Database
from storage.models import Contact, Role
from storage.survey_models import ResponseState, SurveyAnswer, SurveyResponse, SurveySheet
from tests.events import line_text
from tests.harness import Harness, running
from tests.test_registration import LinePerson, TelegramPerson

FIXTURES = Path(__file__).parent / "fixtures" / "surveys"
BANGKOK = ZoneInfo("Asia/Bangkok")


# --- helpers other survey tests share ----------------------------------------------------------------


async def import_fixture(h: Harness, name: str) -> None:
    spec = load_definition(FIXTURES / f"{name}.yaml")
    async with h.db.sessions() as session, session.begin():
        await surveys.import_definition(session, spec, now=h.clock.now(), source=name)


async def send(h: Harness, key: str, *audience: str, **options: Any) -> int:
    """Open a campaign as the CLI does, then deliver the invitations."""
    async with h.db.sessions() as session, session.begin():
        request = SendRequest(key, audience, **options)
        opened = await open_campaign(session, Actor.operator(), request, now=h.clock.now(), tz=BANGKOK)
        campaign_id = opened.campaign.id
    await h.settle()
    return campaign_id


async def report_of(h: Harness, campaign_id: int, **options: Any) -> survey_report.Report:
    async with h.db.sessions() as session:
        return await survey_report.build_report(session, campaign_id, **options)


async def response_of(h: Harness, campaign_id: int, channel: str, user_id: str) -> SurveyResponse:
    async with h.db.sessions() as session:
        return (
            await session.execute(
                select(SurveyResponse)
                .join(Contact, Contact.id == SurveyResponse.contact_id)
                .where(
                    SurveyResponse.campaign_id == campaign_id,
                    Contact.channel == channel,
                    Contact.platform_user_id == user_id,
                )
            )
        ).scalar_one()


async def answer_count(h: Harness) -> int:
    return await h.count(SurveyAnswer)


def question(n: int, total: int, text: str) -> str:
    """The start of a question's message."""
    return f"{t('sv_progress', n=n, total=total)}"


# --- the 15 respondents ------------------------------------------------------------------------------

# Chosen answers, respondent by respondent: q1 and q2 in section ด้านกระบวนการ, q3 in ด้านช่องทาง.
Q1 = [5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 3, 2]
Q2 = [5] * 10 + [4] * 5
Q3 = [3] * 5 + [2] * 5 + [1] * 5
ROLE = [1] * 10 + [2] * 4 + [3]  # ครู, ผู้บริหาร, อื่น ๆ
NOTES = {0: "อยากให้ตอบเร็วขึ้น", 8: "ขอบคุณค่ะ", 14: "เพิ่มช่องทางโทรศัพท์"}

# By hand (n, Σx, Σx²; x̄ = Σx/n; S.D. = √((Σx² − (Σx)²/n)/(n − 1))):
#   q1: 6×5 + 5×4 + 3×3 + 1×2: n 15, Σx 61, Σx² 261; x̄ 61/15 = 4.0667 → 4.07; S² = (261 − 3721/15)/14 = 97/105,
#       S.D. 0.9612 → 0.96; มาก. % 40.00, 33.33, 20.00, 6.67, 0.00
#   q2: 10×5 + 5×4: Σx 70, Σx² 330; x̄ 14/3 = 4.6667 → 4.67; S² = (330 − 4900/15)/14 = 5/21, S.D. 0.4880 → 0.49;
#       มากที่สุด. % 66.67, 33.33
#   q3: 5×3 + 5×2 + 5×1: Σx 30, Σx² 70; x̄ 2.00; S² = (70 − 60)/14 = 5/7, S.D. 0.8452 → 0.85; น้อย
#   ด้านกระบวนการ (q1 + q2, every answer): n 30, Σx 131, Σx² 591; x̄ 4.3667 → 4.37; S² = (591 − 131²/30)/29
#       = 569/870, S.D. 0.8087 → 0.81; มาก
#   ภาพรวม: n 45, Σx 161, Σx² 661; x̄ 3.5778 → 3.58; S² = (661 − 161²/45)/44 = 3824/1980, S.D. 1.3897 → 1.39; มาก
#   ตำแหน่ง: ครู 10 (66.67), ผู้บริหาร 4 (26.67), อื่น ๆ 1 (6.67); 15 of 16 invited answered: 93.75 %


async def telegram_answers(person: TelegramPerson, campaign_id: int, i: int) -> None:
    c = campaign_id
    first = await person.tap(f"sv:s:{c}")
    assert first[0].startswith(t("sv_starting", title="แบบสอบถามทดสอบการคำนวณ", n=5))
    assert first[1].startswith("ข้อ 1/5 · ด้านกระบวนการ\nความรวดเร็วในการให้บริการ")
    if i == 0:
        assert [label for label, _ in person.last_buttons()] == [
            "น้อยที่สุด (1)",
            "น้อย (2)",
            "ปานกลาง (3)",
            "มาก (4)",
            "มากที่สุด (5)",
        ]
    assert (await person.tap(f"sv:a:{c}:0:{Q1[i]}"))[0].startswith("ข้อ 2/5 · ด้านกระบวนการ")
    if i == 1:  # the label typed instead of tapped
        assert (await person.say("มากที่สุด"))[0].startswith("ข้อ 3/5 · ด้านช่องทาง")
    else:
        assert (await person.tap(f"sv:a:{c}:1:{Q2[i]}"))[0].startswith("ข้อ 3/5 · ด้านช่องทาง")
    assert (await person.tap(f"sv:a:{c}:2:{Q3[i]}"))[0].startswith("ข้อ 4/5\nตำแหน่งของท่าน")
    assert (await person.tap(f"sv:a:{c}:3:{ROLE[i]}"))[0].startswith("ข้อ 5/5\nข้อเสนอแนะ")
    done = await person.say(NOTES[i]) if i in NOTES else await person.tap(f"sv:k:{c}:4")
    assert done[0].startswith("ขอบคุณที่ตอบแบบสอบถามค่ะ")


async def line_answers(person: LinePerson, i: int) -> None:
    """As on LINE PC: no buttons, everything typed."""
    first = await person.say("แบบสอบถาม")  # the rich menu's word
    assert first[1].startswith("ข้อ 1/5")
    assert "1. น้อยที่สุด (1)\n2. น้อย (2)\n3. ปานกลาง (3)\n4. มาก (4)\n5. มากที่สุด (5)" in first[1]
    assert (await person.say(str(Q1[i])))[0].startswith("ข้อ 2/5")
    assert (await person.say("๕" if Q2[i] == 5 else str(Q2[i])))[0].startswith("ข้อ 3/5")  # a Thai digit
    assert (await person.say(str(Q3[i])))[0].startswith("ข้อ 4/5")
    assert (await person.say(str(ROLE[i])))[0].startswith("ข้อ 5/5")
    done = await person.say(NOTES.get(i, "ข้าม"))
    assert done[0].startswith(t("sv_thanks_changes_open"))  # no closing time: changes are open until closed


async def test_fifteen_respondents_on_both_platforms_give_the_hand_computed_report(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        for i in range(8):
            await h.known_person("telegram", str(9000 + i), display_name=f"ครูคนที่ {i + 1}")
        for i in range(8, 16):  # the 16th is invited and never answers
            await h.known_person("line", f"Uline{i:02d}", display_name=f"ครูคนที่ {i + 1}")
        campaign = await send(h, "test-hand-computed", "all")
        invitation = h.telegram.sent_texts(9000)[-1]
        assert invitation.startswith("📋 แบบสอบถาม: แบบสอบถามทดสอบการคำนวณ")
        assert "มี 5 ข้อ" in invitation
        for i in range(8):
            await telegram_answers(TelegramPerson(h, 9000 + i), campaign, i)
        for i in range(8, 15):
            await line_answers(LinePerson(h, f"Uline{i:02d}"), i)

        report = await report_of(h, campaign)
        assert (report.respondents, report.invited, report.rate) == (15, 16, Decimal("93.75"))
        q1, q2, q3 = (item.stat for item in report.items)
        assert (q1.n, q1.moments.total, q1.moments.squares) == (15, 61, 261)
        assert q1.moments.mean == Fraction(61, 15) and q1.moments.variance == Fraction(97, 105)
        assert (str(q1.mean), str(q1.sd), q1.level, q1.rank) == ("4.07", "0.96", "มาก", 2)
        assert [str(q1.percent(v)) for v in (5, 4, 3, 2, 1)] == ["40.00", "33.33", "20.00", "6.67", "0.00"]
        assert [q1.counts.get(v, 0) for v in (5, 4, 3, 2, 1)] == [6, 5, 3, 1, 0]
        assert q2.moments.variance == Fraction(5, 21)
        assert (str(q2.mean), str(q2.sd), q2.level, q2.rank) == ("4.67", "0.49", "มากที่สุด", 1)
        assert [str(q2.percent(v)) for v in (5, 4)] == ["66.67", "33.33"]
        assert q3.moments.variance == Fraction(5, 7)
        assert (str(q3.mean), str(q3.sd), q3.level, q3.rank) == ("2.00", "0.85", "น้อย", 1)
        process, channels = report.sections
        assert (process.name, process.stat.n, process.stat.moments.total, process.stat.moments.squares) == (
            "ด้านกระบวนการ",
            30,
            131,
            591,
        )
        assert process.stat.moments.variance == Fraction(569, 870)
        assert (str(process.stat.mean), str(process.stat.sd), process.stat.level, process.stat.rank) == (
            "4.37",
            "0.81",
            "มาก",
            1,
        )
        assert (channels.name, str(channels.stat.mean), channels.stat.rank) == ("ด้านช่องทาง", "2.00", 2)
        overall = report.overall
        assert overall is not None and (overall.n, overall.moments.total, overall.moments.squares) == (45, 161, 661)
        assert math.isclose(overall.moments.sd or 0, math.sqrt(3824 / 1980))
        assert (str(overall.mean), str(overall.sd), overall.level) == ("3.58", "1.39", "มาก")
        (role,) = report.choices
        assert [(o, n, str(p)) for o, n, p in role.options] == [
            ("ครู", 10, "66.67"),
            ("ผู้บริหาร", 4, "26.67"),
            ("อื่น ๆ", 1, "6.67"),
        ]
        (notes,) = report.texts
        # A named survey says who wrote what.
        assert sorted(notes.answers) == sorted((text, f"ครูคนที่ {i + 1}") for i, text in NOTES.items())

        # The 0.80 scheme reads the same means differently only where the bands differ.
        alternative = await report_of(h, campaign, bands="0.80")
        assert [i.stat.level for i in alternative.items] == ["มาก", "มากที่สุด", "น้อย"]
        assert alternative.bands.describe().startswith("4.21–5.00 มากที่สุด, 3.41–4.20 มาก")


async def test_a_restart_mid_survey_resumes_at_the_same_question(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "7100")
        await h.known_person("line", "Urestart")
        campaign = await send(h, "test-hand-computed", "all")
        await TelegramPerson(h, 7100).tap(f"sv:s:{campaign}")
        await TelegramPerson(h, 7100).tap(f"sv:a:{campaign}:0:4")
        await LinePerson(h, "Urestart").say("แบบสอบถาม")
        await LinePerson(h, "Urestart").say("5")
        await LinePerson(h, "Urestart").say("3")
    async with running(db, h.clock) as h:  # a new process: nothing in memory survives
        assert (await TelegramPerson(h, 7100).say("2"))[0].startswith("ข้อ 3/5")  # the typed answer to question 2
        assert (await LinePerson(h, "Urestart").say("1"))[0].startswith("ข้อ 4/5")
        h.clock.advance(timedelta(days=3))  # the conversation state has expired; the response has not
        resumed = await TelegramPerson(h, 7100).say("แบบสอบถาม")
        assert resumed[0] == t("sv_resuming", title="แบบสอบถามทดสอบการคำนวณ")
        assert resumed[1].startswith("ข้อ 3/5")
        response = await response_of(h, campaign, "telegram", "7100")
        assert (response.state, response.current) == (ResponseState.ANSWERING.value, 2)


async def test_bad_input_changes_nothing(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "7200")
        campaign = await send(h, "test-hand-computed", "all")
        person = TelegramPerson(h, 7200)
        await person.tap(f"sv:s:{campaign}")
        before = await answer_count(h)
        again = await person.say("ดีมากเลยค่ะ")  # free text at a button question
        assert again[0] == t("sv_hint_likert_again")
        assert again[1].startswith("ข้อ 1/5")
        assert (await person.say("9"))[0] == t("sv_hint_likert_again")
        assert await answer_count(h) == before
        await person.tap(f"sv:a:{campaign}:0:5")
        stale = await person.tap(f"sv:a:{campaign}:0:1")  # the first question's button, tapped again later
        assert stale[0] == t("sv_stale")
        assert stale[1].startswith("ข้อ 2/5")
        assert (await person.tap(f"sv:a:{campaign + 7}:1:3"))[0] == t("sv_stale")  # a campaign that is not there
        assert (await person.tap(f"sv:a:{campaign}:1:9"))[0] == t("sv_stale")  # not a level
        assert (await person.tap("sv:a:x:y"))[0] == t("sv_stale")
        async with h.db.sessions() as session:
            sheet = (await session.execute(select(SurveySheet))).scalar_one()
            assert await surveys.answers(session, sheet.id) == {
                (await session.execute(select(func.min(SurveyAnswer.question_id)))).scalar_one(): [(5, None)]
            }
        for q, value in ((1, 4), (2, 3), (3, 1)):
            await person.tap(f"sv:a:{campaign}:{q}:{value}")
        too_long = await person.say("ก" * 51)
        assert too_long[0] == t("sv_text_too_long", limit=50, length=51)
        assert too_long[1].startswith("ข้อ 5/5")
        assert (await person.say("สั้นพอ"))[0].startswith("ขอบคุณที่ตอบแบบสอบถามค่ะ")


async def test_one_response_per_person_reviewed_and_changed_until_closing(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "7300")
        campaign = await send(h, "test-hand-computed", "all", closes_at=h.clock.now() + timedelta(days=5))
        person = TelegramPerson(h, 7300)
        await person.tap(f"sv:s:{campaign}")
        for q, value in ((0, 2), (1, 4), (2, 3), (3, 1)):
            await person.tap(f"sv:a:{campaign}:{q}:{value}")
        thanks = await person.tap(f"sv:k:{campaign}:4")
        assert thanks[0].startswith("ขอบคุณที่ตอบแบบสอบถามค่ะ 🙏 ตรวจทานหรือแก้ไขคำตอบได้ถึง 10 ม.ค. 2569")
        review = await person.tap(f"sv:s:{campaign}")  # starting again shows the answers, never a second response
        assert review[0].startswith("คำตอบของท่าน: แบบสอบถามทดสอบการคำนวณ\n1. ความรวดเร็วในการให้บริการ: น้อย (2)")
        assert "5. ข้อเสนอแนะ: (ไม่ได้ตอบ)" in review[0]
        change = await person.say("1")  # the number of the question to change (its button is "ข้อ 1")
        assert change[0].startswith("แก้ไขข้อ 1/5 · ด้านกระบวนการ")
        assert "คำตอบเดิม: น้อย (2)" in change[0]
        changed = await person.tap(f"sv:a:{campaign}:0:5")
        assert changed[0] == t("sv_changed")
        assert "1. ความรวดเร็วในการให้บริการ: มากที่สุด (5)" in changed[1]
        assert (await person.tap(f"sv:x:{campaign}"))[0] == t("sv_review_done")
        assert await h.count(SurveyResponse) == 1
        report = await report_of(h, campaign)
        assert (report.respondents, report.items[0].stat.counts) == (1, {5: 1})

        h.clock.advance(timedelta(days=6))  # past the closing time, before any job has closed it
        assert (await person.tap(f"sv:e:{campaign}:0"))[0] == t("sv_closed", title="แบบสอบถามทดสอบการคำนวณ")
        assert (await person.say("แบบสอบถาม"))[0] == t("sv_none_open")


async def test_no_changes_after_submitting_when_the_campaign_says_so(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("line", "Unochange")
        campaign = await send(h, "test-hand-computed", "all", changes_allowed=False)
        assert t("sv_named_no_changes") in h.line.delivered_texts("Unochange")[-1]
        person = LinePerson(h, "Unochange")
        await person.say("แบบสอบถาม")
        for value in ("5", "5", "5", "1"):
            await person.say(value)
        assert (await person.say("-"))[0] == t("sv_thanks")
        assert (await person.tap(f"sv:r:{campaign}"))[0] == t("sv_changes_closed")
        assert (await person.tap(f"sv:e:{campaign}:0"))[0] == t("sv_changes_closed")


async def test_back_and_skip(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "7400")
        campaign = await send(h, "test-hand-computed", "all")
        person = TelegramPerson(h, 7400)
        await person.tap(f"sv:s:{campaign}")
        await person.tap(f"sv:a:{campaign}:0:3")
        back = await person.tap(f"sv:b:{campaign}:1")
        assert back[0].startswith("ข้อ 1/5")
        assert "คำตอบเดิม: ปานกลาง (3)" in back[0]
        assert (await person.tap(f"sv:b:{campaign}:0"))[0] == t("sv_stale")  # the first question has no back
        assert (await person.tap(f"sv:k:{campaign}:0"))[0] == t("sv_required")  # no skip button was shown
        await person.tap(f"sv:a:{campaign}:0:4")
        await person.tap(f"sv:a:{campaign}:1:4")
        await person.tap(f"sv:a:{campaign}:2:4")
        text_question = await person.tap(f"sv:a:{campaign}:3:2")
        assert text_question[0].startswith("ข้อ 5/5\nข้อเสนอแนะ")
        assert person.last_buttons() == [("ข้าม", f"sv:k:{campaign}:4")]  # one button: a typed "1" stays an answer
        assert (await person.say("ย้อนกลับ"))[0].startswith("ข้อ 4/5")
        await person.say("2")
        assert (await person.say("1"))[0].startswith("ขอบคุณที่ตอบแบบสอบถามค่ะ")
        report = await report_of(h, campaign)
        assert report.items[0].stat.counts == {4: 1}
        assert report.texts[0].answers[0][0] == "1"


async def test_the_word_in_the_rich_menu_lists_several_open_surveys(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await import_fixture(h, "anonymous")
        await h.known_person("line", "Utwo")
        first = await send(h, "test-hand-computed", "all")
        second = await send(h, "test-anonymous", "all")
        person = LinePerson(h, "Utwo")
        listing = await person.say("แบบสอบถาม")
        assert listing[0].startswith(t("sv_open_list", n=2))
        assert "1. แบบสอบถามไม่ระบุตัวตน\n2. แบบสอบถามทดสอบการคำนวณ" in listing[0]
        started = await person.say("2")
        assert started[0].startswith(t("sv_starting", title="แบบสอบถามทดสอบการคำนวณ", n=5))
        assert (first, second) == (1, 2)


async def test_a_person_not_invited_cannot_answer(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "7500", role=Role.TEACHER.value)
        campaign = await send(h, "test-hand-computed", "role:staff", "role:admin", "all")
        await h.known_person("telegram", "7501")  # came after the campaign was sent
        assert (await TelegramPerson(h, 7501).tap(f"sv:s:{campaign}"))[0] == t("sv_not_invited")
        assert await h.count(SurveyResponse) == 1


async def test_line_pc_invitation_says_how_to_start_by_typing(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("line", "Upc")
        await send(h, "test-hand-computed", "all")
        invitation = h.line.delivered_texts("Upc")[-1]
        assert t("sv_invitation_how") in invitation
        token = h.line.issue_reply_token(to="Upc")
        await h.post_line([line_text("Upc", "แบบสอบถาม", reply_token=token)])
        await h.settle()
        assert h.line.delivered_texts("Upc")[-1].startswith("ข้อ 1/5")


async def test_one_person_on_line_and_telegram_has_one_response(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        line_id = await h.known_person("line", "Ulinked", last_seen_at=h.clock.now())
        await h.known_person("telegram", "7900", person_id=line_id)
        async with h.db.sessions() as session, session.begin():
            linked = await session.get(Contact, line_id)
            assert linked is not None
            linked.person_id = line_id
        campaign = await send(h, "test-hand-computed", "all")
        assert await h.count(SurveyResponse) == 1  # the same person counts once
        on_line = LinePerson(h, "Ulinked")
        await on_line.say("แบบสอบถาม")
        await on_line.say("4")
        on_telegram = TelegramPerson(h, 7900)
        resumed = await on_telegram.say("แบบสอบถาม")
        assert resumed[0] == t("sv_resuming", title="แบบสอบถามทดสอบการคำนวณ")
        assert resumed[1].startswith("ข้อ 2/5")
        await on_telegram.tap(f"sv:a:{campaign}:1:5")
        assert await h.count(SurveyResponse) == 1
        # Back on LINE, the response follows the person back: the number typed there still answers question 2,
        # whose buttons LINE showed last, so nothing changes and question 3 is shown; then it is answered.
        assert (await on_line.say("3"))[:2] == [t("sv_stale"), h.line.delivered_texts("Ulinked")[-1]]
        assert h.line.delivered_texts("Ulinked")[-1].startswith("ข้อ 3/5")
        assert (await on_line.say("3"))[0].startswith("ข้อ 4/5")
        response = await response_of(h, campaign, "line", "Ulinked")
        assert response.current == 3
        async with h.db.sessions() as session:
            sheet = (await session.execute(select(SurveySheet))).scalar_one()
            assert sorted(v for values in (await surveys.answers(session, sheet.id)).values() for v, _ in values) == [
                3,
                4,
                5,
            ]
