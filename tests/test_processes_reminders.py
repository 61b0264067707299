"""Process-step reminders end to end: the scheduler's job, the outbox and the fake Telegram API, on a FakeClock.

The clock starts on Monday 5 January 2026, 09:00 in Bangkok. Friday 9 January is made a holiday in most tests.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from core.clock import FakeClock
from handlers.texts import t
from scheduler.reminders import ProcessReminders
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from storage.process_models import ProcessReminder, ReminderState, StepLog
from tests.events import tg_callback, tg_message
from tests.harness import Harness, running
from tests.test_processes_helpers import (
    ONE_STEP,
    TWO_STEPS,
    Received,
    Watch,
    add_holiday,
    import_template,
    local,
    pending,
    person,
    run_until,
    start,
    step_row,
    tick,
)

OFFICER, ADMIN = 9001, 9002
DUE_MONDAY = {1: date(2026, 1, 12)}


def headers(received: list[Received]) -> list[tuple[str, int, str]]:
    return [(r.at, r.who, r.text.splitlines()[0]) for r in received]


def overdue(n: int, k: int) -> str:
    return t("rem_overdue", n=n, k=k, limit=3)


EXPECTED_SERIES = [
    ("Tue 06 08:30", OFFICER, t("rem_before", n=3)),  # Thu 8, Wed 7, Tue 6: three working days before Monday 12
    ("Thu 08 08:30", OFFICER, t("rem_before", n=1)),  # Friday 9 is a holiday
    ("Mon 12 08:30", OFFICER, t("rem_due")),
    ("Tue 13 08:30", OFFICER, overdue(1, 1)),
    ("Wed 14 08:30", OFFICER, overdue(2, 2)),
    ("Thu 15 08:30", OFFICER, overdue(3, 3)),
    ("Fri 16 08:30", ADMIN, t("rem_escalation", n=1)),
]


async def setup_one_step(h: Harness) -> int:
    officer = await person(h, OFFICER, name="ครูสมชาย")
    await person(h, ADMIN, role="admin", name="ผอ.กลุ่ม")
    await import_template(h, ONE_STEP)
    await add_holiday(h, date(2026, 1, 9))
    [step_id] = await start(h, "one-step", officer, step_due=DUE_MONDAY)
    return step_id


async def test_reminders_before_on_and_after_the_due_day_then_one_escalation(db: Database) -> None:
    async with running(db) as h:
        step_id = await setup_one_step(h)
        received = await run_until(h, local(2026, 1, 31, 12), Watch(h, OFFICER, ADMIN))
        assert headers(received) == EXPECTED_SERIES
        assert "⚠️ เลยกำหนด 4 วันทำการ" in received[-1].text and "ครูสมชาย" in received[-1].text
        assert t("rem_overdue_last") in received[-2].text
        assert "12 ม.ค. 2569" in received[0].text  # the due date in Thai with the Buddhist year
        assert await pending(h) == 0
        step = await step_row(h, step_id)
        assert (step.overdue_reminders, step.escalated_at is not None) == (3, True)


async def test_a_reminder_is_a_card_with_the_four_buttons(db: Database) -> None:
    async with running(db) as h:
        step_id = await setup_one_step(h)
        await run_until(h, local(2026, 1, 6, 9), Watch(h, OFFICER))
        markup = h.telegram.sent[-1].reply_markup
        assert markup is not None
        buttons = [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]
        assert buttons == [
            ("เสร็จแล้ว", f"proc:done:{step_id}"),
            ("เลื่อน", f"proc:snz:{step_id}"),
            ("ข้าม", f"proc:skip:{step_id}"),
            ("แนบหลักฐาน", f"proc:ev:{step_id}"),
        ]


async def test_no_quiet_hours_and_every_day_when_the_settings_say_so(db: Database) -> None:
    settings = {"phuankru_office_hours": "always", "phuankru_workdays": "all"}
    async with running(db, settings_extra=settings) as h:
        officer = await person(h, OFFICER)
        await import_template(h, ONE_STEP)
        await start(h, "one-step", officer, step_due={1: local(2026, 1, 11, 20)})  # a Sunday, 20:00
        received = await run_until(h, local(2026, 1, 12, 12), Watch(h, OFFICER))
        assert [r.at for r in received] == ["Thu 08 08:30", "Sat 10 08:30", "Sun 11 20:00", "Mon 12 08:30"]


async def test_a_step_due_at_a_time_outside_office_hours_is_reminded_at_the_next_opening(db: Database) -> None:
    async with running(db) as h:
        officer = await person(h, OFFICER)
        await import_template(h, ONE_STEP)
        await start(h, "one-step", officer, step_due={1: local(2026, 1, 7, 14, 15)})
        await start(h, "one-step", officer, step_due={1: local(2026, 1, 8, 18, 0)})
        received = await run_until(h, local(2026, 1, 9, 12), Watch(h, OFFICER))
        assert headers(received) == [
            ("Tue 06 08:30", OFFICER, t("rem_before", n=1)),
            ("Wed 07 08:30", OFFICER, t("rem_before", n=1)),  # the second one's "1 day before"
            ("Wed 07 14:15", OFFICER, t("rem_due")),
            ("Thu 08 08:30", OFFICER, overdue(1, 1)),  # coalescing keeps a lone item as a card
            ("Fri 09 08:30", OFFICER, t("rem_many", n=2)),  # 18:00 is after hours: next morning, with the other
        ]


async def test_done_stops_the_reminders(db: Database) -> None:
    async with running(db) as h:
        step_id = await setup_one_step(h)
        watch = Watch(h, OFFICER, ADMIN)
        assert len(await run_until(h, local(2026, 1, 6, 9), watch)) == 1
        await h.post_telegram(tg_callback(OFFICER, f"proc:done:{step_id}"))
        await h.settle()
        answers = [r.text for r in watch.new()]
        assert answers[0] == t("proc_done_ok", n=1, title="ส่งรายงาน")
        assert answers[1].startswith("🎉")
        assert await pending(h) == 0
        assert await run_until(h, local(2026, 1, 31), watch) == []


async def test_snooze_moves_the_reminders_and_restarts_the_count(db: Database) -> None:
    async with running(db) as h:
        step_id = await setup_one_step(h)
        watch = Watch(h, OFFICER, ADMIN)
        await run_until(h, local(2026, 1, 13, 9), watch)  # due on Monday, first overdue on Tuesday
        await h.post_telegram(tg_callback(OFFICER, f"proc:snz:{step_id}:3"))
        await h.settle()
        assert [r.text for r in watch.new()] == [t("proc_snoozed", n=1, due="16 ม.ค. 2569")]
        received = await run_until(h, local(2026, 1, 20, 12), watch)
        assert headers(received) == [
            ("Thu 15 08:30", OFFICER, t("rem_before", n=1)),
            ("Fri 16 08:30", OFFICER, t("rem_due")),
            ("Mon 19 08:30", OFFICER, overdue(1, 1)),
            ("Tue 20 08:30", OFFICER, overdue(2, 2)),
        ]
        step = await step_row(h, step_id)
        assert (step.planned_on, step.due_on, step.snoozes) == (date(2026, 1, 12), date(2026, 1, 16), 1)


async def test_snooze_to_a_chosen_date_and_not_into_the_past(db: Database) -> None:
    async with running(db) as h:
        step_id = await setup_one_step(h)
        watch = Watch(h, OFFICER)
        await h.post_telegram(tg_callback(OFFICER, f"proc:snz:{step_id}:d"))
        await h.settle()
        assert [r.text for r in watch.new()] == [t("proc_ask_date")]
        await h.post_telegram(tg_message(OFFICER, "1/1/2569"))
        await h.settle()
        refused = [r.text for r in watch.new()]
        assert refused[0] == t("proc_snooze_past", due="1 ม.ค. 2569", today="5 ม.ค. 2569")
        assert (await step_row(h, step_id)).due_on == date(2026, 1, 12)  # nothing changed
        await h.post_telegram(tg_message(OFFICER, "๑๘/๑/๒๕๖๙"))  # Sunday 18, in Thai digits
        await h.settle()
        moved = [r.text for r in watch.new()]
        assert moved == [
            t("proc_moved_to_working_day", wanted="18 ม.ค. 2569", due="19 ม.ค. 2569"),
            t("proc_snoozed", n=1, due="19 ม.ค. 2569"),
        ]
        received = await run_until(h, local(2026, 1, 19, 12), watch)
        assert [r.at for r in received] == ["Wed 14 08:30", "Fri 16 08:30", "Mon 19 08:30"]


async def test_missed_reminders_after_an_outage_come_once_and_together(db: Database) -> None:
    async with running(db) as h:
        officer = await person(h, OFFICER)
        await person(h, ADMIN, role="admin")
        await import_template(h, ONE_STEP)
        await import_template(h, TWO_STEPS)
        await start(h, "one-step", officer, step_due=DUE_MONDAY)
        await start(h, "two-steps", officer, step_due={1: date(2026, 1, 12), 2: date(2026, 1, 14)})
        watch = Watch(h, OFFICER, ADMIN)
        h.clock.set(local(2026, 1, 15, 10))  # down from Monday 5 to Thursday 15, 10:00
        await tick(h)
        received = watch.new()
        assert headers(received) == [("Thu 15 10:00", OFFICER, t("rem_many", n=3))]
        text = received[0].text
        assert text.count("เลยกำหนด 3 วันทำการ") == 2
        assert text.rindex("เลยกำหนด 1 วันทำการ") > text.rindex("เลยกำหนด 3 วันทำการ")  # the latest first
        await tick(h)
        assert watch.new() == []  # sent once, not replayed
        async with h.db.sessions() as session:
            sent = await session.scalar(
                select(func.count()).select_from(ProcessReminder).where(ProcessReminder.state == "sent")
            )
        assert sent == 9  # three reminders of each step, all answered by that one message
        nxt = await run_until(h, local(2026, 1, 16, 12), watch)
        assert headers(nxt) == [("Fri 16 08:30", OFFICER, t("rem_many", n=3))]


async def test_an_outage_ending_at_the_weekend_waits_for_monday(db: Database) -> None:
    async with running(db) as h:
        officer = await person(h, OFFICER)
        await import_template(h, ONE_STEP)
        await start(h, "one-step", officer, step_due={1: date(2026, 1, 14)})
        watch = Watch(h, OFFICER)
        h.clock.set(local(2026, 1, 17, 10))  # Saturday
        await tick(h)
        assert watch.new() == []
        received = await run_until(h, local(2026, 1, 19, 12), watch)
        assert headers(received) == [("Mon 19 08:30", OFFICER, overdue(3, 1))]  # three reminders, one message


async def test_a_restart_in_between_loses_none_and_doubles_none(db: Database) -> None:
    clock = FakeClock()
    before: list[Received] = []
    async with running(db, clock) as h:
        await setup_one_step(h)
        before = await run_until(h, local(2026, 1, 12, 9), Watch(h, OFFICER, ADMIN))
    async with running(db, clock) as h:  # a new process on the same database
        watch = Watch(h, OFFICER, ADMIN)
        await tick(h)
        assert watch.new() == []
        after = await run_until(h, local(2026, 1, 31), watch)
    assert headers(before + after) == EXPECTED_SERIES


async def test_a_crash_before_commit_sends_nothing_and_the_next_tick_sends_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(db) as h:
        await setup_one_step(h)
        watch = Watch(h, OFFICER)
        real = outbox.enqueue
        calls = {"n": 0}

        def crash_once(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("the process died here")
            return real(*args, **kwargs)

        monkeypatch.setattr(outbox, "enqueue", crash_once)  # the module the job calls it through
        h.clock.set(local(2026, 1, 6, 8, 30))
        await tick(h)
        assert watch.new() == []
        assert await h.count(ProcessReminder, ProcessReminder.state == ReminderState.PENDING.value) == 3
        await tick(h)
        assert headers(watch.new()) == [("Tue 06 08:30", OFFICER, t("rem_before", n=3))]
        await tick(h)
        assert watch.new() == []


async def test_two_replicas_never_send_twice_and_still_coalesce(db: Database) -> None:
    async with running(db) as h:
        officers = [await person(h, 9100 + i) for i in range(12)]
        await import_template(h, TWO_STEPS)
        for officer in officers:
            await start(h, "two-steps", officer, step_due={1: date(2026, 1, 12), 2: date(2026, 1, 13)})
        h.clock.set(local(2026, 1, 13, 9))
        other = Database(h.db.engine.url)
        try:
            jobs = [
                ProcessReminders(h.db, h.clock, h.services.calendar, officers_per_tick=5),
                ProcessReminders(other, h.clock, h.services.calendar, officers_per_tick=5),
            ]

            async def due_left() -> int:
                async with h.db.sessions() as session:
                    due = (ProcessReminder.state == "pending") & (ProcessReminder.due_at <= h.clock.now())
                    return int(await session.scalar(select(func.count()).select_from(ProcessReminder).where(due)) or 0)

            async def drain(job: ProcessReminders) -> None:
                # Like a replica's ticker: keep going while anything is due, whoever handles it.
                while await job() or await due_left():
                    await asyncio.sleep(0)

            await asyncio.gather(*(drain(job) for job in jobs))
        finally:
            await other.dispose()
        assert await h.count(OutboxMessage) == 12  # one message per officer
        assert await pending(h) == 24  # each step's next overdue reminder, planned once
        async with h.db.sessions() as session:
            logged = await session.scalar(select(func.count()).select_from(StepLog).where(StepLog.action == "reminded"))
        assert logged == 24  # every step reminded exactly once
        await h.settle()
        assert all(len(h.telegram.sent_texts(9100 + i)) == 1 for i in range(12))


async def test_the_survey_step_offers_the_campaign(db: Database) -> None:
    async with running(db) as h:
        officer = await person(h, OFFICER)
        steps = await start(h, "info-evaluation", officer, start_on=date(2026, 1, 5), end_on=date(2026, 3, 31))
        survey_step = await step_row(h, steps[3])
        assert (survey_step.number, survey_step.survey_key) == (4, "ict-satisfaction")
        watch = Watch(h, OFFICER)
        await h.post_telegram(tg_callback(OFFICER, f"proc:card:{survey_step.id}"))
        await h.settle()
        card = h.telegram.sent[-1]
        assert card.reply_markup is not None
        labels = [b["text"] for row in card.reply_markup["inline_keyboard"] for b in row]
        assert labels[-1] == "เปิดแบบสอบถาม"
        watch.new()
        await h.post_telegram(tg_callback(OFFICER, f"proc:survey:{survey_step.id}"))
        await h.settle()
        [offer] = watch.new()
        assert offer.text.startswith(t("proc_sv_who", survey="ict-satisfaction").split("\n")[0])
        assert await h.count(StepLog, StepLog.action == "survey_offered") == 1
