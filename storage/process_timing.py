"""The timing rules of processes: periods, due dates spread over working days, reminder times, a step's status.

Small pure functions over the office calendar (its holidays already added by the caller), tested alone; nothing
here reads or writes the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from core.calendar import OfficeCalendar
from core.thaidate import BUDDHIST_ERA_OFFSET
from storage.process_models import ProcessError, ProcessStep, ReminderKind, StepState

# --- reminder policy --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    """When a step's officer is reminded: working days before, overdue reminders before escalating, time of day."""

    before_days: tuple[int, ...] = (3, 1)
    overdue_limit: int = 3
    reminder_time: time = time(8, 30)

    def to_json(self) -> dict[str, Any]:
        return {
            "before": list(self.before_days),
            "overdue_limit": self.overdue_limit,
            "time": self.reminder_time.strftime("%H:%M"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        default = cls()
        raw_time = data.get("time")
        return cls(
            before_days=tuple(data.get("before", default.before_days)),
            overdue_limit=int(data.get("overdue_limit", default.overdue_limit)),
            reminder_time=time.fromisoformat(raw_time) if raw_time else default.reminder_time,
        )


# --- timing -------------------------------------------------------------------------------------------


def fiscal_year(day: date) -> int:
    """The Thai fiscal year (ปีงบประมาณ, Buddhist era) of a day: 1 October 2025 – 30 September 2026 is 2569."""
    return (day.year + 1 if day.month >= 10 else day.year) + BUDDHIST_ERA_OFFSET


def period_end(recurrence: str, start: date) -> date | None:
    """The last day of the period `start` is in: 30 September for yearly, the month's end for monthly."""
    if recurrence == "yearly":
        return date(start.year + 1 if start.month >= 10 else start.year, 9, 30)
    if recurrence == "monthly":
        first_of_next = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return first_of_next - timedelta(days=1)
    return None


def next_period(recurrence: str, start: date) -> tuple[date, date] | None:
    end = period_end(recurrence, start)
    if end is None:
        return None
    following = end + timedelta(days=1)
    following_end = period_end(recurrence, following)
    assert following_end is not None
    return following, following_end


def working_days_in(calendar: OfficeCalendar, start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if calendar.is_working_day(start + timedelta(days=i))
    ]


def spread_due_dates(calendar: OfficeCalendar, start: date, end: date | None, days: Sequence[int]) -> list[date]:
    """Each step's due day: its share of the period's working days by the steps' durations.

    Without an end, each step takes its own duration in working days from the start.
    """
    cumulative = [sum(days[: i + 1]) for i in range(len(days))]
    if end is None:
        return [calendar.add_working_days(start, total - 1) for total in cumulative]
    working = working_days_in(calendar, start, end)
    if not working:
        raise ProcessError("proc_no_working_day", start=start, end=end)
    whole = cumulative[-1]
    # Ceiling division: a step never falls due before its share of the period is over.
    return [working[max(0, -(-total * len(working) // whole) - 1)] for total in cumulative]


def working_days_before(calendar: OfficeCalendar, day: date, n: int) -> date:
    for _ in range(400 * max(n, 1)):
        if n <= 0:
            break
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


def working_days_between(calendar: OfficeCalendar, first: date, last: date) -> int:
    """Working days d with first < d <= last (negative when last is before first)."""
    if last < first:
        return -working_days_between(calendar, last, first)
    return sum(1 for i in range(1, (last - first).days + 1) if calendar.is_working_day(first + timedelta(days=i)))


def local_day(moment: datetime, calendar: OfficeCalendar) -> date:
    return moment.astimezone(calendar.timezone).date()


def at_reminder_time(day: date, policy: Policy, calendar: OfficeCalendar) -> datetime:
    """The office's reminder time on `day`, or the next office time after it."""
    return calendar.next_open(datetime.combine(day, policy.reminder_time, calendar.timezone))


def due_moment(step: ProcessStep, policy: Policy, calendar: OfficeCalendar) -> datetime:
    return step.due_at or datetime.combine(step.due_on, policy.reminder_time, calendar.timezone)


def next_working_morning(policy: Policy, calendar: OfficeCalendar, now: datetime) -> datetime:
    """The reminder time of the next working day after today."""
    tomorrow = local_day(now, calendar) + timedelta(days=1)
    return at_reminder_time(calendar.add_working_days(tomorrow, 0), policy, calendar)


PlannedReminder = tuple[ReminderKind, int, datetime]  # kind, sequence, when


def plan_reminders(step: ProcessStep, policy: Policy, calendar: OfficeCalendar, now: datetime) -> list[PlannedReminder]:
    """A pending step's reminders from now on: n working days before, then at the due time.

    A step already due when planned gets its first overdue reminder the next working morning (the message
    that planned it — the start, a due-date change — already told the officer).
    """
    moment = due_moment(step, policy, calendar)
    planned: list[PlannedReminder] = []
    for n in policy.before_days:
        at = at_reminder_time(working_days_before(calendar, step.due_on, n), policy, calendar)
        if now < at and local_day(at, calendar) < step.due_on:
            planned.append((ReminderKind.BEFORE, n, at))
    if moment > now:
        planned.append((ReminderKind.DUE, 0, calendar.next_open(moment)))
    else:
        planned.append((ReminderKind.OVERDUE, 1, next_working_morning(policy, calendar, now)))
    return planned


@dataclass(frozen=True, slots=True)
class StepStatus:
    kind: str  # done, skipped, upcoming, due, overdue
    days: int = 0  # working days left (upcoming) or late (overdue)


def step_status(step: ProcessStep, calendar: OfficeCalendar, now: datetime) -> StepStatus:
    if step.state != StepState.PENDING.value:
        return StepStatus(step.state)
    today = local_day(now, calendar)
    if step.due_on > today:
        return StepStatus("upcoming", working_days_between(calendar, today, step.due_on))
    if step.due_on == today:
        return StepStatus("due")
    return StepStatus("overdue", max(1, working_days_between(calendar, step.due_on, today)))


def followup(step: ProcessStep, policy: Policy, calendar: OfficeCalendar, now: datetime) -> PlannedReminder | None:
    """After a reminder of a step that is due or late: the next overdue reminder, or the escalation, or nothing."""
    if step_status(step, calendar, now).kind not in ("due", "overdue") or due_moment(step, policy, calendar) > now:
        return None
    at = next_working_morning(policy, calendar, now)
    if step.overdue_reminders < policy.overdue_limit:
        return ReminderKind.OVERDUE, step.overdue_reminders + 1, at
    if step.escalated_at is None:
        return ReminderKind.ESCALATION, 0, at
    return None


def snooze_target(step: ProcessStep, days: int, calendar: OfficeCalendar, now: datetime) -> date:
    """`days` working days after today, or after the due day when that is later: a snooze never brings it closer."""
    return calendar.add_working_days(max(local_day(now, calendar), step.due_on), days)
