"""Anonymous surveys leave no link between a person and an answer: not in the tables, the results, the exports,
the stored webhooks, the outgoing messages or the logs. Named surveys are unlinked by /forgetme, answers kept."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.logs import configure_logging
from handlers.surveys import report as survey_report
from handlers.texts import t
from storage.db import Database
from storage.models import InboundEvent, OutboxMessage, School
from storage.survey_models import ResponseState, SurveyResponse, SurveySheet
from tests.harness import running
from tests.test_registration import LinePerson, TelegramPerson
from tests.test_survey_flow import import_fixture, report_of, send

MARKER = "คำตอบลับ-MARKER-4821"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Everything logged at the level PhuanKru runs at, as JSON lines."""
    stream = io.StringIO()
    configure_logging(stream=stream, json=True)
    yield stream
    configure_logging()


async def test_anonymous_answers_cannot_be_traced_to_anyone(db: Database, log_stream: io.StringIO) -> None:
    async with running(db) as h:
        await import_fixture(h, "anonymous")
        await h.known_person("telegram", "7600", display_name="ครูผู้ตอบ หนึ่ง")
        await h.known_person("line", "Uanon", display_name="ครูผู้ตอบ สอง")
        campaign = await send(h, "test-anonymous", "all")
        assert t("sv_anonymous_note") in h.telegram.sent_texts(7600)[-1]

        tapping = TelegramPerson(h, 7600)
        await tapping.tap(f"sv:s:{campaign}")
        several = await tapping.tap(f"sv:a:{campaign}:0:4")
        assert several[0].startswith("ข้อ 2/3\nช่องทางที่ใช้")
        ticked = await tapping.tap(f"sv:t:{campaign}:1:1")
        assert t("sv_hint_multiple", n=1) in ticked[0]
        # Ticks are counted, never shown: an outgoing message must not repeat an answer.
        assert [label for label, _ in tapping.last_buttons()][:3] == ["เว็บไซต์", "LINE", "Telegram"]
        await tapping.tap(f"sv:t:{campaign}:1:3")
        await tapping.tap(f"sv:d:{campaign}:1")
        confirm = await tapping.say(MARKER)
        assert confirm[0] == t("sv_confirm_anonymous", n=3)
        assert (await tapping.tap(f"sv:f:{campaign}"))[0] == t("sv_thanks_anonymous")
        assert (await tapping.tap(f"sv:s:{campaign}"))[0] == t("sv_already_done", title="แบบสอบถามไม่ระบุตัวตน")
        assert (await tapping.tap(f"sv:r:{campaign}"))[0] == t("sv_already_done", title="แบบสอบถามไม่ระบุตัวตน")

        typing = LinePerson(h, "Uanon")
        await typing.say("แบบสอบถาม")
        await typing.say("5")
        await typing.say("1,2")
        assert (await typing.say("ข้าม"))[0].startswith(t("sv_confirm_anonymous", n=3))
        assert (await typing.say("2"))[0].startswith("ข้อ 3/3")  # back from the confirmation
        await typing.say("ข้าม")
        assert (await typing.say("1"))[0] == t("sv_thanks_anonymous")

        async with h.db.sessions() as session:
            responses = list((await session.execute(select(SurveyResponse))).scalars())
            assert [(r.state, r.sheet_id) for r in responses] == [(ResponseState.COMPLETED.value, None)] * 2
            sheets = list((await session.execute(select(SurveySheet))).scalars())
            assert [(s.completed, s.school_id, s.position) for s in sheets] == [(True, None, None)] * 2
            raws = [
                json.dumps(r.raw, ensure_ascii=False) for r in (await session.execute(select(InboundEvent))).scalars()
            ]
            outgoing = [
                json.dumps(o.payload, ensure_ascii=False)
                for o in (await session.execute(select(OutboxMessage))).scalars()
            ]
        for stored in raws:  # the webhooks that carried answers were blanked once handled
            assert MARKER not in stored and "sv:a:" not in stored and "sv:t:" not in stored
        assert not any(MARKER in payload or "คำตอบเดิม" in payload or "✓" in payload for payload in outgoing)

        report = await report_of(h, campaign)
        assert report.respondents == 2
        assert report.texts[0].answers == [(MARKER, None)]
        assert [(o, n) for o, n, _ in report.choices[0].options] == [("เว็บไซต์", 2), ("LINE", 1), ("Telegram", 1)]
        exported = json.dumps(survey_report.to_json(report), ensure_ascii=False)
        assert MARKER in exported and '"by"' not in exported
        for name in ("ครูผู้ตอบ", "7600", "Uanon"):
            assert name not in exported
            assert name not in survey_report.to_csv(report)
            assert name not in survey_report.to_table(report)
        book = load_workbook(io.BytesIO(survey_report.to_xlsx(report)))
        cells = " ".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
        assert MARKER in cells and "ครูผู้ตอบ" not in cells
        with pytest.raises(ValueError, match="sv_results_by_anonymous"):
            await report_of(h, campaign, by="school")
    logged = log_stream.getvalue()
    assert logged  # the run did log
    assert MARKER not in logged and "sv:a:" not in logged and "sv:t:" not in logged


async def test_forgetme_unlinks_a_named_survey_and_keeps_the_answers(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        async with h.db.sessions() as session, session.begin():
            school = School(name="โรงเรียนบ้านทดสอบ", code="1034000999", created_at=h.clock.now())
            session.add(school)
            await session.flush()
            school_id = school.id
        await h.known_person("telegram", "7700", display_name="ครูขอลบ", school_id=school_id, position="teacher")
        campaign = await send(h, "test-hand-computed", "all")
        person = TelegramPerson(h, 7700)
        await person.tap(f"sv:s:{campaign}")
        for q, value in ((0, 5), (1, 4), (2, 3), (3, 1)):
            await person.tap(f"sv:a:{campaign}:{q}:{value}")
        await person.say("ข้อความของคนที่ขอลบ")
        by_school = await report_of(h, campaign, by="school")
        assert [(g.group_name, g.respondents) for g in by_school.groups] == [("โรงเรียนบ้านทดสอบ", 1)]
        assert (await report_of(h, campaign)).texts[0].answers == [("ข้อความของคนที่ขอลบ", "ครูขอลบ")]

        await person.say("/forgetme")
        assert (await person.tap("priv:forget:yes"))[0] == t("forget_done")

        report = await report_of(h, campaign)
        assert report.respondents == 1 and report.items[0].stat.counts == {5: 1}  # the answers still count
        assert report.texts[0].answers == [("ข้อความของคนที่ขอลบ", None)]  # but lead to nobody
        async with h.db.sessions() as session:
            response = (await session.execute(select(SurveyResponse))).scalar_one()
            sheet = (await session.execute(select(SurveySheet))).scalar_one()
        assert response.sheet_id is None and (sheet.school_id, sheet.position) == (None, None)
        regrouped = await report_of(h, campaign, by="school")
        assert [(g.group_name, g.respondents) for g in regrouped.groups] == [(t("sv_group_unknown"), 1)]
