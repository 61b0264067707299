"""Process ๔ (ติดตาม ประเมินผล) uses the shipped satisfaction survey: the officer opens the campaign from the step,
teachers are invited, and the closing step attaches the campaign's report (summary, chart, xlsx)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from handlers.surveys.definitions import builtin_templates, load_definition
from handlers.texts import t
from storage import surveys
from storage.db import Database
from storage.models import Contact
from storage.process_models import StepLog
from storage.survey_models import SurveyCampaign, SurveyResponse
from tests.events import tg_callback, tg_message
from tests.harness import Harness, running
from tests.test_processes_helpers import Watch, person, start

OFFICER = 9301
TEACHERS = (9311, 9312, 9313)


async def shipped_surveys(h: Harness) -> None:
    async with h.db.sessions() as session, session.begin():
        for path in builtin_templates():
            await surveys.import_definition(session, load_definition(path), now=h.clock.now(), source=path.name)


async def tap(h: Harness, user: int, data: str) -> None:
    assert (await h.post_telegram(tg_callback(user, data))).status == 200
    await h.settle()


async def say(h: Harness, user: int, text: str) -> None:
    assert (await h.post_telegram(tg_message(user, text))).status == 200
    await h.settle()


async def answer_all_fives(h: Harness, campaign_id: int, user: int) -> None:
    """A teacher's finished sheet (the chat flow itself is tested with the surveys)."""
    async with h.db.sessions() as session, session.begin():
        contact = (
            await session.execute(
                select(Contact).where(Contact.channel == "telegram", Contact.platform_user_id == str(user))
            )
        ).scalar_one()
        response = (
            await session.execute(
                select(SurveyResponse).where(
                    SurveyResponse.campaign_id == campaign_id, SurveyResponse.contact_id == contact.id
                )
            )
        ).scalar_one()
        campaign = await session.get(SurveyCampaign, campaign_id)
        assert campaign is not None
        definition = campaign.definition
        sheet = await surveys.start(
            session, response, anonymous=definition.anonymous, contact=contact, now=h.clock.now()
        )
        for question in definition.questions:
            if question.type == "likert5":
                await surveys.set_answer(session, sheet.id, question.id, [(5, None)])
        await surveys.complete(session, response, anonymous=definition.anonymous, now=h.clock.now())


async def test_the_survey_step_opens_the_campaign_and_the_closing_step_attaches_its_report(db: Database) -> None:
    async with running(db) as h:
        await shipped_surveys(h)
        officer = await person(h, OFFICER, name="ครูนิเทศ")
        for user in TEACHERS:
            await person(h, user, role="teacher", position="teacher", registered_at=h.clock.now())
        steps = await start(h, "info-evaluation", officer, start_on=date(2026, 1, 5), end_on=date(2026, 3, 31))
        survey_step, report_step = steps[3], steps[4]
        watch = Watch(h, OFFICER)

        await tap(h, OFFICER, f"proc:survey:{survey_step}")
        [who] = watch.new()
        assert who.text.startswith(t("proc_sv_who", survey="ict-satisfaction").split("\n")[0])
        # A typed audience the office does not have: a clear message, nothing opened.
        await say(h, OFFICER, "role:alien")
        assert [r.text for r in watch.new()] == [
            t("sv_audience_bad_role", value="alien"),
            t("proc_sv_type_audience"),
        ]
        await tap(h, OFFICER, f"proc:sva:{survey_step}:1")  # ครู
        [preview] = watch.new()
        assert "ถึง 3 คน (LINE 0, Telegram 3)" in preview.text
        assert await h.count(SurveyCampaign) == 0
        await tap(h, OFFICER, f"proc:svgo:{survey_step}")
        [opened] = watch.new()
        assert opened.text == t("proc_sv_opened", campaign=1, people=3, groups=0, n=4)
        for user in TEACHERS:  # each teacher invited once
            invitations = [x for x in h.telegram.sent_texts(user) if "แบบสอบถาม" in x]
            assert len(invitations) == 1
        async with h.db.sessions() as session:
            logged = (await session.execute(select(StepLog.detail).where(StepLog.action == "survey_opened"))).scalars()
            assert list(logged) == [{"survey": "ict-satisfaction", "campaign": 1}]
        # Tapping again says it is open, and opens nothing twice.
        await tap(h, OFFICER, f"proc:survey:{survey_step}")
        assert [r.text for r in watch.new()] == [t("proc_sv_already", campaign=1, invited=3)]
        assert await h.count(SurveyCampaign) == 1

        for user in TEACHERS[:2]:
            await answer_all_fives(h, 1, user)
        for step_id in steps[:4]:
            await tap(h, OFFICER, f"proc:done:{step_id}")
        watch.new()
        # Done on the closing step attaches the campaign's report first.
        before = len(h.telegram.sent)
        await tap(h, OFFICER, f"proc:done:{report_step}")
        sent = [s for s in h.telegram.sent[before:] if s.chat_id == str(OFFICER)]
        assert sent[0].text == t("proc_sv_attached", campaign=1, n=5)
        assert t("sv_chat_rate", n=2, invited=3, rate="66.67") in (sent[1].text or "")
        assert [s.method for s in sent[2:4]] == ["sendPhoto", "sendDocument"]
        upload = next(u for u in h.telegram.uploads if u["method"] == "sendDocument")
        assert upload["upload"] == "survey-1.xlsx"
        async with h.db.sessions() as session:
            evidence = (
                (
                    await session.execute(
                        select(StepLog.detail).where(StepLog.step_id == report_step, StepLog.action == "evidence")
                    )
                )
                .scalars()
                .all()
            )
        assert [e["kind"] for e in evidence] == ["survey_report"]
        served = await h.client.get(evidence[0]["reference"])
        workbook = load_workbook(io.BytesIO(await served.read()))
        rows = [[c.value for c in row] for row in workbook.active.iter_rows()]
        overall = next(r for r in rows if any(isinstance(v, str) and v.startswith("ภาพรวม") for v in r))
        assert 5.0 in overall and "มากที่สุด" in overall  # every likert answer was 5: mean 5.00, the top band


async def test_only_the_processs_officer_or_an_admin_opens_its_survey(db: Database) -> None:
    async with running(db) as h:
        await shipped_surveys(h)
        officer = await person(h, OFFICER)
        await person(h, 9320, role="officer", name="อีกคน")
        await person(h, TEACHERS[0], role="teacher", position="teacher", registered_at=h.clock.now())
        steps = await start(h, "info-evaluation", officer, start_on=date(2026, 1, 5), end_on=date(2026, 3, 31))
        other, teacher, own = Watch(h, 9320), Watch(h, TEACHERS[0]), Watch(h, OFFICER)
        await tap(h, 9320, f"proc:survey:{steps[3]}")
        await tap(h, 9320, f"proc:svgo:{steps[3]}")
        assert [r.text for r in other.new()] == [t("proc_not_yours", id=1)] * 2
        await tap(h, TEACHERS[0], f"proc:svgo:{steps[3]}")
        assert [r.text for r in teacher.new()] == [t("refused", roles=t("role_officer"))]
        assert await h.count(SurveyCampaign) == 0
        # A confirm with no preview before it (a stale or crafted button) opens nothing.
        await tap(h, OFFICER, f"proc:svgo:{steps[3]}")
        assert [r.text for r in own.new()] == [t("expired_button")]
        assert await h.count(SurveyCampaign) == 0
