"""The one parser of typed dates (handlers/thaidate.py): every form offices write, and what it refuses.

The same table drives the chat's schedule step and the CLI's --at/--closes-at in tests/test_cli_input.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.thaidate import parse_day, parse_moment, read_typed, western_year

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=BANGKOK)  # FakeClock's start: a Monday, 09:00 in Bangkok
END_OF_DAY = time(23, 59)

# (typed, the moment it names in Bangkok; None when only a day is named, so the caller's time of day applies)
WITH_TIME = [
    ("2026-12-20T16:30", datetime(2026, 12, 20, 16, 30)),
    ("2026-12-20 16:30", datetime(2026, 12, 20, 16, 30)),
    ("5 ธ.ค. 2569 16:30", datetime(2026, 12, 5, 16, 30)),
    ("5/12/2569 16:30", datetime(2026, 12, 5, 16, 30)),
    ("5/12/2026 16:30", datetime(2026, 12, 5, 16, 30)),
    ("5 ธ.ค. 2569 16.30 น.", datetime(2026, 12, 5, 16, 30)),
    ("5 ธันวาคม 2569 เวลา 16.30 น.", datetime(2026, 12, 5, 16, 30)),
    ("๕ ธ.ค. ๒๕๖๙ ๑๖:๓๐", datetime(2026, 12, 5, 16, 30)),
    ("16.30 น.", datetime(2026, 1, 5, 16, 30)),
    ("พรุ่งนี้ 08:30", datetime(2026, 1, 6, 8, 30)),
    ("วันนี้ 15:00", datetime(2026, 1, 5, 15, 0)),
]
DAY_ONLY = [
    ("2026-12-20", date(2026, 12, 20)),
    ("5 ธันวาคม 2569", date(2026, 12, 5)),
    ("5 ธ.ค. 2569", date(2026, 12, 5)),
    ("๕ ธ.ค. ๒๕๖๙", date(2026, 12, 5)),
    ("วันที่ 5 ธันวาคม พ.ศ. 2569", date(2026, 12, 5)),
    ("5/12/2569", date(2026, 12, 5)),
    ("5/12/2026", date(2026, 12, 5)),
    ("10/11/2569", date(2026, 11, 10)),  # PyThaiNLP's thai_strptime reads month 11 as January: not used for these
]
REFUSED = ["soon", "31 ก.พ. 2569", "32/1/2569", "5 ธ.ค. ค.ศ. 2569", "5 Blah 2569", "25:00", "5/13/2569 09:00", ""]


@pytest.mark.parametrize(("typed", "expected"), WITH_TIME)
def test_a_day_and_time(typed: str, expected: datetime) -> None:
    assert parse_moment(typed, BANGKOK, NOW) == expected.replace(tzinfo=BANGKOK)
    assert parse_moment(typed, BANGKOK, NOW, day_time=END_OF_DAY) == expected.replace(tzinfo=BANGKOK)


@pytest.mark.parametrize(("typed", "expected"), DAY_ONLY)
def test_a_day_alone_takes_the_callers_time_or_is_not_a_moment(typed: str, expected: date) -> None:
    assert parse_day(typed) == expected
    assert parse_moment(typed, BANGKOK, NOW, day_time=END_OF_DAY) == datetime.combine(expected, END_OF_DAY, BANGKOK)
    assert parse_moment(typed, BANGKOK, NOW) is None  # an announcement is not sent at a guessed hour


@pytest.mark.parametrize("typed", REFUSED)
def test_refusals(typed: str) -> None:
    assert read_typed(typed, NOW.date()) is None


def test_an_offset_is_kept_and_relative_days_need_today() -> None:
    assert parse_moment("2026-12-20T16:30+00:00", BANGKOK, NOW) == datetime(2026, 12, 20, 16, 30, tzinfo=UTC)
    assert parse_day("พรุ่งนี้") is None  # a holidays file has no "today"
    assert parse_day("พรุ่งนี้", NOW.date()) == NOW.date() + timedelta(days=1)
    assert parse_day("15/2", NOW.date()) == date(2026, 2, 15)
    assert parse_day("3/1", NOW.date()) == date(2027, 1, 3)  # past this year: the next one
    assert parse_day("5 ธ.ค. 2569 16:30") is None  # a time given where a day alone was asked for
    assert (western_year(2569), western_year(2026)) == (2026, 2026)


def test_holiday_files_read_dates_with_the_same_parser() -> None:
    from storage.holidays import EVERY_YEAR
    from storage.holidays import parse_day as holiday_day

    assert holiday_day("3 มี.ค. 2569") == (2026, 3, 3)
    assert holiday_day("๓/๓/๒๕๖๙") == (2026, 3, 3)
    assert holiday_day("03-03") == (EVERY_YEAR, 3, 3)
    assert holiday_day("พรุ่งนี้") is None
