"""The surveys' due work: reminders to non-respondents in office hours, closing at the closing time, telling staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from handlers.texts import t
from storage.db import Database
from storage.models import Role
from storage.survey_models import CampaignStatus, SurveyCampaign, SurveyResponse
from tests.harness import Harness, running
from tests.test_registration import LinePerson, TelegramPerson
from tests.test_survey_flow import import_fixture, send

TITLE = "แบบสอบถามทดสอบการคำนวณ"
REMINDER = t("sv_reminder", title=TITLE)


async def tick(h: Harness) -> None:
    await h.services.ticker.tick()
    await h.settle()


def reminders_to(h: Harness, telegram_id: int) -> int:
    return sum(1 for text in h.telegram.sent_texts(telegram_id) if text.startswith(REMINDER))


async def campaign_row(h: Harness, campaign_id: int) -> SurveyCampaign:
    async with h.db.sessions() as session:
        return (await session.execute(select(SurveyCampaign).where(SurveyCampaign.id == campaign_id))).scalar_one()


async def answer_all(person: TelegramPerson, campaign: int) -> None:
    await person.tap(f"sv:s:{campaign}")
    for q, value in ((0, 4), (1, 4), (2, 4), (3, 1)):
        await person.tap(f"sv:a:{campaign}:{q}:{value}")
    await person.tap(f"sv:k:{campaign}:4")


async def test_reminders_go_to_non_respondents_at_the_configured_times(db: Database) -> None:
    async with running(db) as h:  # Monday 5 January 2026, 09:00 in Bangkok
        await import_fixture(h, "hand-computed")
        for user in ("8001", "8002", "8003"):
            await h.known_person("telegram", user)
        campaign = await send(
            h,
            "test-hand-computed",
            "all",
            closes_at=h.clock.now() + timedelta(days=10),
            remind_every=timedelta(days=2),
            max_reminders=2,
        )
        await answer_all(TelegramPerson(h, 8001), campaign)
        await TelegramPerson(h, 8002).tap(f"sv:s:{campaign}")  # started, not finished: still reminded
        h.clock.advance(timedelta(days=1))
        await tick(h)
        assert [reminders_to(h, u) for u in (8001, 8002, 8003)] == [0, 0, 0]
        h.clock.advance(timedelta(days=1))  # Wednesday 09:00
        await tick(h)
        assert [reminders_to(h, u) for u in (8001, 8002, 8003)] == [0, 1, 1]
        await tick(h)  # nothing is due twice
        assert [reminders_to(h, u) for u in (8001, 8002, 8003)] == [0, 1, 1]
        await answer_all(TelegramPerson(h, 8003), campaign)
        h.clock.advance(timedelta(days=2))  # Friday 09:00
        await tick(h)
        assert [reminders_to(h, u) for u in (8001, 8002, 8003)] == [0, 2, 1]
        h.clock.advance(timedelta(days=2))
        await tick(h)
        assert reminders_to(h, 8002) == 2  # two at most
        async with h.db.sessions() as session:
            counts = dict((await session.execute(select(SurveyResponse.id, SurveyResponse.reminders))).all())
        assert sorted(counts.values()) == [0, 1, 2]


async def test_a_reminder_due_outside_office_hours_waits_for_the_office_to_open(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("line", "Uweekend")
        campaign = await send(h, "test-hand-computed", "all", remind_every=timedelta(days=5), max_reminders=1)
        h.clock.advance(timedelta(days=5))  # Saturday 09:00: the office is closed
        await tick(h)
        assert not any(text.startswith(REMINDER) for text in h.line.delivered_texts("Uweekend"))
        row = await campaign_row(h, campaign)
        assert row.next_reminder_at == datetime(2026, 1, 12, 1, 30, tzinfo=UTC)  # Monday 08:30 in Bangkok
        h.clock.set(datetime(2026, 1, 12, 1, 30, tzinfo=UTC))
        await tick(h)
        reminder = h.line.delivered_texts("Uweekend")[-1]
        assert reminder.startswith(REMINDER)
        assert (await LinePerson(h, "Uweekend").say("แบบสอบถาม"))[0].startswith(t("sv_starting", title=TITLE, n=5))


async def test_closing_time_ends_the_campaign_tells_staff_and_late_taps_are_refused(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "8100", role=Role.STAFF.value)
        await h.known_person("telegram", "8101")
        await h.known_person("telegram", "8102")
        campaign = await send(h, "test-hand-computed", "all", closes_at=h.clock.now() + timedelta(days=3))
        await answer_all(TelegramPerson(h, 8101), campaign)
        await TelegramPerson(h, 8102).tap(f"sv:s:{campaign}")
        h.clock.advance(timedelta(days=3))
        await tick(h)
        row = await campaign_row(h, campaign)
        assert (row.status, row.closed_at, row.due_at) == (CampaignStatus.CLOSED.value, h.clock.now(), None)
        notice = t("sv_closed_now", campaign=campaign, title=TITLE, n=1, invited=3)
        assert h.telegram.sent_texts(8100)[-1] == notice  # sent from the CLI: every staff member is told
        late = await TelegramPerson(h, 8102).tap(f"sv:a:{campaign}:0:5")
        assert late == [t("sv_closed", title=TITLE)]
        # The survey's state was ended: "4" is no answer any more, just a message to the office.
        assert await TelegramPerson(h, 8102).say("4") == [t("inbox_ack_open", hours="08:30–16:30")]
        assert (await TelegramPerson(h, 8101).tap(f"sv:s:{campaign}")) == [t("sv_closed", title=TITLE)]


async def test_the_staff_member_who_sent_it_is_told_when_it_closes(db: Database) -> None:
    async with running(db) as h:
        await import_fixture(h, "hand-computed")
        await h.known_person("telegram", "8200", role=Role.STAFF.value)
        await h.known_person("telegram", "8201", role=Role.ADMIN.value)
        await h.known_person("line", "Uteacher82")
        staff = TelegramPerson(h, 8200)
        await staff.say("/survey send test-hand-computed channel:line closes=2026-01-06")
        sent = await staff.tap("sv:send:yes")
        assert sent[0].startswith(t("sv_sent", campaign=1, people=1, groups=0).split("\n")[0])
        h.clock.advance(timedelta(days=2))
        await tick(h)
        assert h.telegram.sent_texts(8200)[-1] == t("sv_closed_now", campaign=1, title=TITLE, n=0, invited=1)
        assert not any("ปิดรับแบบสอบถาม" in text for text in h.telegram.sent_texts(8201))
