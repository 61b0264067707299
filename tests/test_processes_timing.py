"""The timing rules of process steps, alone: periods, due dates over working days, reminder times, holidays."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.calendar import OfficeCalendar
from core.thaidate import parse_day
from handlers.processes import templates
from handlers.processes.messages import progress_bar
from storage import holidays
from storage import process_timing as repo
from storage.db import Database
from storage.process_models import ProcessError, ProcessStep, ReminderKind
from tests.test_processes_helpers import local

BKK = ZoneInfo("Asia/Bangkok")
CAL = OfficeCalendar().with_holidays({date(2026, 1, 9)})  # Friday 9 January 2026 off
MONDAY_9 = local(2026, 1, 5, 9)


def step(due_on: date, due_at: datetime | None = None) -> ProcessStep:
    return ProcessStep(due_on=due_on, due_at=due_at, state="pending", overdue_reminders=0)


def stamps(planned: list[repo.PlannedReminder]) -> list[tuple[str, int, str]]:
    return [(kind.value, seq, at.astimezone(BKK).strftime("%a %d %H:%M")) for kind, seq, at in planned]


@pytest.mark.parametrize(
    ("day", "year"), [(date(2025, 9, 30), 2568), (date(2025, 10, 1), 2569), (date(2026, 9, 30), 2569)]
)
def test_the_thai_fiscal_year(day: date, year: int) -> None:
    assert repo.fiscal_year(day) == year


def test_periods() -> None:
    assert repo.period_end("yearly", date(2026, 1, 5)) == date(2026, 9, 30)
    assert repo.period_end("yearly", date(2025, 10, 1)) == date(2026, 9, 30)
    assert repo.period_end("yearly", date(2026, 10, 1)) == date(2027, 9, 30)
    assert repo.period_end("monthly", date(2026, 2, 10)) == date(2026, 2, 28)
    assert repo.period_end("monthly", date(2026, 12, 3)) == date(2026, 12, 31)
    assert repo.period_end("none", date(2026, 2, 10)) is None
    assert repo.next_period("yearly", date(2026, 1, 5)) == (date(2026, 10, 1), date(2027, 9, 30))
    assert repo.next_period("monthly", date(2026, 12, 3)) == (date(2027, 1, 1), date(2027, 1, 31))


def test_due_dates_by_durations_skip_weekends_and_holidays() -> None:
    # From Monday 5: 2 days (Mon, Tue) -> Tue 6; then 3 (Wed, Thu, [Fri off], Mon) -> Mon 12; then 1 -> Tue 13.
    assert repo.spread_due_dates(CAL, date(2026, 1, 5), None, [2, 3, 1]) == [
        date(2026, 1, 6),
        date(2026, 1, 12),
        date(2026, 1, 13),
    ]
    # Starting on a Saturday counts from Monday.
    assert repo.spread_due_dates(CAL, date(2026, 1, 3), None, [1]) == [date(2026, 1, 5)]


def test_due_dates_spread_over_a_period_by_their_share() -> None:
    # 5-16 January has 9 working days (Friday 9 is off): shares 1, 1, 3 of 5 -> days 2, 4, 9.
    assert repo.spread_due_dates(CAL, date(2026, 1, 5), date(2026, 1, 16), [1, 1, 3]) == [
        date(2026, 1, 6),
        date(2026, 1, 8),
        date(2026, 1, 16),
    ]
    # More steps than working days: several fall on one day, never outside the period.
    assert repo.spread_due_dates(CAL, date(2026, 1, 5), date(2026, 1, 6), [1, 1, 1, 1]) == [
        date(2026, 1, 5),
        date(2026, 1, 5),
        date(2026, 1, 6),
        date(2026, 1, 6),
    ]
    with pytest.raises(ProcessError) as caught:
        repo.spread_due_dates(CAL, date(2026, 1, 10), date(2026, 1, 11), [1])
    assert caught.value.key == "proc_no_working_day"


def test_reminders_before_on_and_after() -> None:
    policy = repo.Policy()
    assert stamps(repo.plan_reminders(step(date(2026, 1, 12)), policy, CAL, MONDAY_9)) == [
        ("before", 3, "Tue 06 08:30"),
        ("before", 1, "Thu 08 08:30"),
        ("due", 0, "Mon 12 08:30"),
    ]
    # A due time of day; and a "before" reminder already past is dropped, not sent late.
    at_two = local(2026, 1, 7, 14)
    assert stamps(repo.plan_reminders(step(date(2026, 1, 7), at_two), policy, CAL, MONDAY_9)) == [
        ("before", 1, "Tue 06 08:30"),
        ("due", 0, "Wed 07 14:00"),
    ]
    # After office hours: the next opening.
    evening = local(2026, 1, 8, 18)
    assert stamps(repo.plan_reminders(step(date(2026, 1, 8), evening), policy, CAL, MONDAY_9))[-1] == (
        "due",
        0,
        "Mon 12 08:30",
    )
    # Already due when planned: the first overdue reminder the next working morning.
    assert stamps(repo.plan_reminders(step(date(2026, 1, 5)), policy, CAL, MONDAY_9)) == [
        ("overdue", 1, "Tue 06 08:30"),
    ]


def test_the_office_s_own_reminder_policy() -> None:
    policy = repo.Policy.from_json({"before": [5, 2], "overdue_limit": 1, "time": "09:15"})
    assert policy == repo.Policy((5, 2), 1, time(9, 15))
    assert repo.Policy.from_json(policy.to_json()) == policy
    planned = repo.plan_reminders(step(date(2026, 1, 16)), policy, CAL, MONDAY_9)
    assert stamps(planned) == [  # five working days before Friday 16 skip the holiday on Friday 9
        ("before", 5, "Thu 08 09:15"),
        ("before", 2, "Wed 14 09:15"),
        ("due", 0, "Fri 16 09:15"),
    ]
    late = step(date(2026, 1, 5))
    late.overdue_reminders = 1
    followup = repo.followup(late, policy, CAL, local(2026, 1, 6, 10))
    assert followup is not None and followup[0] is ReminderKind.ESCALATION


def test_step_status_counts_working_days() -> None:
    due = step(date(2026, 1, 12))
    assert repo.step_status(due, CAL, MONDAY_9) == repo.StepStatus("upcoming", 4)  # Tue, Wed, Thu, Mon
    assert repo.step_status(due, CAL, local(2026, 1, 12, 16)) == repo.StepStatus("due")
    assert repo.step_status(due, CAL, local(2026, 1, 14, 9)) == repo.StepStatus("overdue", 2)


def test_the_progress_bar() -> None:
    assert progress_bar(2, 5) == "▰▰▱▱▱ 2/5"
    assert progress_bar(0, 1) == "▱ 0/1"
    assert progress_bar(10, 20) == "▰▰▰▰▰▱▱▱▱▱ 10/20"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("15/2/2569", date(2026, 2, 15)),
        ("15/2/2026", date(2026, 2, 15)),
        ("2026-02-15", date(2026, 2, 15)),
        ("๑๕/๒/๒๕๖๙", date(2026, 2, 15)),
        ("15/2", date(2026, 2, 15)),
        ("3/1", date(2027, 1, 3)),  # already past this year: next year's
        ("31/2/2569", None),
        ("พรุ่งนี้", date(2026, 1, 6)),
        ("15 ก.พ. 2569", date(2026, 2, 15)),
        ("02-15", None),
    ],
)
def test_dates_typed_in_chat(typed: str, expected: date | None) -> None:
    assert parse_day(typed, date(2026, 1, 5)) == expected


def test_the_shipped_holidays_are_the_fixed_thai_public_holidays() -> None:
    shipped = {(h.month, h.day): h.name for h in templates.shipped_holidays()}
    assert all(h.year == holidays.EVERY_YEAR for h in templates.shipped_holidays())
    assert {(1, 1), (4, 6), (4, 13), (4, 14), (4, 15), (5, 4), (6, 3), (7, 28), (8, 12), (10, 13), (10, 23)} < set(
        shipped
    )
    assert {(12, 5), (12, 10), (12, 31)} < set(shipped)
    assert shipped[(4, 13)] == "วันสงกรานต์"


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        (b"date,name\n2026-13-01,x\n", "hol_bad_date", 2),
        (b"date,name\n2569-03-03,a\n3/3/2569,b\n", "hol_duplicate", 3),
        (b"day,what\n03-03,x\n", "hol_bad_header", None),
        (b"date,name\n03-03,\n", "hol_bad_name", 2),
        (b"date,name\n", "hol_empty", None),
        (b"date,name\n03-03,\xff\n", "hol_not_utf8", 2),
    ],
)
def test_bad_holiday_files_name_their_line(text: bytes, key: str, line: int | None) -> None:
    with pytest.raises(ProcessError) as caught:
        holidays.parse_holidays_csv(text, "h.csv")
    assert (caught.value.key, caught.value.values.get("line")) == (key, line)


def test_a_holiday_file_in_buddhist_years_with_a_bom_and_comments() -> None:
    text = "\ufeff# วันหยุดปี 2569\nวันที่,ชื่อ\n2569-03-03,วันมาฆบูชา\n29/02/2028,x\n02-29,ทุกปี\n".encode()
    rows = holidays.parse_holidays_csv(text, "h.csv")
    assert [(r.year, r.month, r.day) for r in rows] == [(2026, 3, 3), (2028, 2, 29), (0, 2, 29)]


async def test_the_office_calendar_skips_the_stored_holidays(db: Database) -> None:
    now = local(2026, 1, 5, 9)
    async with db.sessions() as session, session.begin():
        await holidays.ensure_shipped(session, templates.shipped_holidays(), now=now)
        await holidays.upsert(session, [holidays.HolidayRow(2026, 3, 3, "วันมาฆบูชา")], now=now)
    async with db.sessions() as session:
        calendar = await holidays.office_calendar(session, OfficeCalendar(), 2026)
        rows = await holidays.list_holidays(session, year=2026)
    assert not calendar.is_working_day(date(2026, 4, 13))  # Songkran, every year
    assert not calendar.is_working_day(date(2027, 1, 1))  # the year after is loaded too
    assert not calendar.is_working_day(date(2026, 3, 3))
    assert calendar.is_working_day(date(2026, 3, 4))
    assert len(rows) == len(templates.shipped_holidays()) + 1
