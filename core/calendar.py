"""Office time: when reminders and nudges may reach people (office hours, working days, holidays)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class OfficeCalendar:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Bangkok"))
    hours: tuple[time, time] | None = (time(8, 30), time(16, 30))  # None: any time of day
    workdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    holidays: frozenset[date] = frozenset()

    def with_holidays(self, days: Iterable[date]) -> OfficeCalendar:
        return OfficeCalendar(self.timezone, self.hours, self.workdays, frozenset(days))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        if not self.is_working_day(local.date()):
            return False
        return self.hours is None or self.hours[0] <= local.time() < self.hours[1]

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself when the office is open then, else the next opening time (aware, in UTC's terms)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.timezone)
        day = local.date()
        opening = self.hours[0] if self.hours else time(0, 0)
        if self.is_working_day(day) and local.time() < opening:
            return datetime.combine(day, opening, self.timezone)
        for _ in range(400):  # a year of holidays at most
            day += timedelta(days=1)
            if self.is_working_day(day):
                return datetime.combine(day, opening, self.timezone)
        raise ValueError("no working day within a year: check PHUANKRU_WORKDAYS and the holidays")

    def add_working_days(self, day: date, n: int) -> date:
        """The working day `n` working days after `day` (n may be 0: `day` itself, moved to a working day)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day
